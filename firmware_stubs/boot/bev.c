/*
 * bev.c - evidence sinks of the bootloader: console UART + flash evidence ring (bev.h).
 */
#include "bev.h"

#include "crc32.h"
#include "evidence.h"
#include "evring.h"
#include "fmt.h"
#include "bflash.h"
#include "platform_gen.h"
#include "port.h"

static evring_t ring;
static int ring_open;
static int ring_tried; /* bev_ring_open was called: no more backlog */

/* Lines emitted before the ring is open (REBOOT_REASON ...) wait here. */
#define BEV_BACKLOG 3u
static char backlog[BEV_BACKLOG][EV_LINE_BUF];
static size_t backlog_len[BEV_BACKLOG];
static uint32_t backlog_n;
static int in_ring; /* re-entrancy guard: ring writes never emit */
static uint32_t stored;
static uint32_t failed;

typedef struct {
    const char *name;
    uint16_t kind;
} bev_name_t;

static const bev_name_t names[] = {
    {"REBOOT_REASON", BEV_K_REBOOT_REASON},
    {"ANCHOR", BEV_K_ANCHOR},
    {"META", BEV_K_META},
    {"PARSE_MANIFEST", BEV_K_PARSE_MANIFEST},
    {"VERIFY_SIG", BEV_K_VERIFY_SIG},
    {"SLOT_TRANSITION", BEV_K_SLOT_TRANSITION},
    {"ROLLBACK", BEV_K_ROLLBACK},
    {"RESCUE", BEV_K_RESCUE},
    {"JUMP", BEV_K_JUMP},
    {"BOOT", BEV_K_BOOT},
    {"WRITE_GATED", BEV_K_WRITE_GATED},
    {"CHUNK", BEV_K_CHUNK},
    {"BOOT_HALT", BEV_K_BOOT_HALT},
    {"SLOT_CHECK", BEV_K_SLOT_CHECK},
    {"EVRING", BEV_K_EVRING},
    {"REJECT", BEV_K_REJECT},
    {"PHASE", BEV_K_PHASE},
    {"RESUME", BEV_K_RESUME},
};

/* Parse [s, s+len) as decimal or 0x-hex u32. Returns 1 and *out, or 0 if not a number. */
static int parse_num(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    size_t i;

    if (len == 0u) {
        return 0;
    }
    if (len > 2u && s[0] == '0' && s[1] == 'x') {
        return len <= 10u && fmt_parse_hex32(&s[2], len - 2u, out) == 0;
    }
    if (len > 10u) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        uint32_t d;
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        d = (uint32_t)(s[i] - '0');
        if (v > (0xFFFFFFFFu - d) / 10u) {
            return 0;
        }
        v = v * 10u + d;
    }
    *out = v;
    return 1;
}

/* Next space-separated token of line[*pos, end). Returns its length (0 at the end). */
static size_t next_token(const char *line, size_t end, size_t *pos, size_t *start)
{
    size_t p = *pos;
    while (p < end && line[p] == ' ') {
        p++;
    }
    *start = p;
    while (p < end && line[p] != ' ') {
        p++;
    }
    *pos = p;
    return p - *start;
}

/* Store one evidence line as a ring record (see bev.h). No return value. */
static void ring_store(const char *line, size_t len)
{
    uint32_t v[EVR_MAX_VALS];
    uint8_t n = 0;
    uint8_t src;
    uint16_t kind = BEV_K_OTHER;
    size_t end = len;
    size_t pos = 3; /* after "EV " */
    size_t st;
    size_t tl;
    size_t i;
    size_t hash;

    while (end > 0u && (line[end - 1u] == '\r' || line[end - 1u] == '\n')) {
        end--;
    }
    /* "... #xxxxxxxx": the CRC is the last token */
    if (end < 13u || line[end - 9u] != '#' || line[end - 10u] != ' ') {
        return;
    }
    hash = end - 8u;
    end -= 10u;
    tl = next_token(line, end, &pos, &st); /* seq */
    if (!parse_num(&line[st], tl, &v[0])) {
        return;
    }
    tl = next_token(line, end, &pos, &st); /* src */
    if (tl == 4u && line[st] == 'b') {
        src = 0;
    } else if (tl == 3u && line[st] == 'a') {
        src = 1;
    } else if (tl == 6u && line[st] == 'r') {
        src = 2;
    } else {
        return;
    }
    tl = next_token(line, end, &pos, &st); /* NAME */
    if (tl == 6u && fmt_streq("LAYOUT", &line[st], tl)) {
        return;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (fmt_streq(names[i].name, &line[st], tl)) {
            kind = names[i].kind;
            break;
        }
    }
    if (fmt_parse_hex32(&line[hash], 8u, &v[1]) != 0) {
        return;
    }
    n = 2;
    while (n < EVR_MAX_VALS) {
        size_t k;
        tl = next_token(line, end, &pos, &st);
        if (tl == 0u) {
            break;
        }
        for (k = 0; k < tl && line[st + k] != '='; k++) {
        }
        if (k >= tl) {
            continue;
        }
        if (!parse_num(&line[st + k + 1u], tl - k - 1u, &v[n])) {
            v[n] = crc32_compute(&line[st + k + 1u], tl - k - 1u);
        }
        n++;
    }
    if (evring_append(&ring, kind, src, v, n, NULL) == 0) {
        stored++;
    } else {
        failed++;
    }
}

/* Is this an evidence line? Returns 1 or 0. */
static int is_evidence(const char *data, size_t len)
{
    return len > 3u && data[0] == 'E' && data[1] == 'V' && data[2] == ' ';
}

void bev_sink(const char *data, size_t len)
{
    (void)port_uart_write(data, len);
    if (!ring_tried && is_evidence(data, len) && backlog_n < BEV_BACKLOG &&
        len < EV_LINE_BUF) {
        size_t i;
        for (i = 0; i < len; i++) {
            backlog[backlog_n][i] = data[i];
        }
        backlog_len[backlog_n++] = len;
        return;
    }
    if (ring_open && !in_ring && len > 3u && data[0] == 'E' && data[1] == 'V' &&
        data[2] == ' ') {
        in_ring = 1;
        ring_store(data, len);
        in_ring = 0;
    }
}

/* The ring is opened (rc 0) or not: store the backlog, stop collecting it. Returns rc. */
static int ring_opened(int rc)
{
    uint32_t i;

    ring_tried = 1;
    ring_open = (rc == 0);
    if (ring_open) {
        in_ring = 1;
        for (i = 0; i < backlog_n; i++) {
            ring_store(backlog[i], backlog_len[i]);
        }
        in_ring = 0;
    }
    backlog_n = 0;
    return rc;
}

int bev_ring_open(void)
{
    return ring_opened(
        evring_open(&ring, &bflash_quiet, PLAT_AREA_EVIDENCE_ADDR, PLAT_AREA_EVIDENCE_SIZE));
}

int bev_ring_resume(const evr_state_t *st)
{
    return ring_opened(evring_resume(&ring, &bflash_quiet, PLAT_AREA_EVIDENCE_ADDR,
                                     PLAT_AREA_EVIDENCE_SIZE, st));
}

int bev_ring_state(evr_state_t *st)
{
    return ring_open ? evring_state(&ring, st) : EVR_ERR_ARG;
}

int bev_flush(void)
{
    int rc;
    if (!ring_open) {
        return 0;
    }
    in_ring = 1;
    rc = evring_flush(&ring);
    in_ring = 0;
    if (rc != 0) {
        failed++;
    }
    return rc;
}

void bev_ring_stats(uint32_t *s, uint32_t *f, uint32_t *g)
{
    if (s != NULL) {
        *s = stored;
    }
    if (f != NULL) {
        *f = failed;
    }
    if (g != NULL) {
        *g = ring_open ? evring_guaranteed(&ring) : 0u;
    }
}

/* Append decimal v and a separator to line[*n]. No return value. */
static void put_dec(char *line, size_t cap, size_t *n, uint32_t v)
{
    int k;
    if (*n + 1u >= cap) {
        return;
    }
    line[(*n)++] = ' ';
    k = fmt_u32_dec(&line[*n], cap - *n, v);
    if (k > 0) {
        *n += (size_t)k;
    }
}

uint32_t bev_replay(void)
{
    static char line[96];
    evr_iter_t it;
    evr_record_t rec;
    uint32_t count = 0;

    if (!ring_open || evring_iter_init(&ring, &it) != 0) {
        return 0;
    }
    while (evring_iter_next(&ring, &it, &rec) == 1) {
        size_t n = 3;
        uint8_t i;
        line[0] = 'e';
        line[1] = 'v';
        line[2] = 'r';
        put_dec(line, sizeof(line), &n, rec.seq);
        put_dec(line, sizeof(line), &n, rec.kind);
        put_dec(line, sizeof(line), &n, rec.src);
        for (i = 0; i < rec.nvals && i < EVR_MAX_VALS; i++) {
            put_dec(line, sizeof(line), &n, rec.v[i]);
        }
        line[n < sizeof(line) ? n : sizeof(line) - 1u] = '\0';
        (void)port_uart_write(line, n);
        (void)port_uart_write("\r\n", 2u);
        count++;
        port_wdt_feed();
    }
    return count;
}
