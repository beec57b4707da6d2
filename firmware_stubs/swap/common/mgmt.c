/*
 * mgmt.c - SMP framing, header, dispatch, OS group and error answers (mgmt.h).
 *
 * SMP header (8 bytes): op (bits 0-2) | version << 3, flags, length (u16 BE), group (u16 BE),
 * sequence, command id. The answer echoes version, group, sequence and id with op + 1.
 * Errors: SMP v1 {"rc": MGMT_ERR, "rsn": text}; SMP v2 {"err": {"group": g, "rc": code}} when
 * the group has a code for it, else the v1 form (as Zephyr).
 */
#include "mgmt.h"

#include <string.h>

#include "flash_map.h"
#include "mgmt_int.h"
#include "smp_frame.h"

#define HDR_SIZE   8u
#define OP_READ    0u
#define OP_WRITE   2u
#define GROUP_OS   0u
#define GROUP_IMG  1u

static mgmt_cfg_t cfg;
static smp_frame_rx_t rx;
static uint8_t rsp_buf[SMP_MSG_MAX];

void mgmt_init(const mgmt_cfg_t *c)
{
    cfg = *c;
    smp_frame_rx_init(&rx);
    mgmt_img_reset_session();
}

const mgmt_cfg_t *mgmt_cfg(void)
{
    return &cfg;
}

int mgmt_fail(mgmt_err_t *e, int rc, int group_rc, const char *rsn)
{
    e->rc = rc;
    e->group_rc = group_rc;
    e->rsn = rsn;
    return -1;
}

int mgmt_map_each(cbor_reader_t *r, mgmt_err_t *e,
                  int (*field)(void *ctx, const uint8_t *key, size_t klen, cbor_reader_t *r,
                               mgmt_err_t *e),
                  void *ctx)
{
    cbor_item_t it;
    uint64_t left;

    if (r->pos >= r->len) {
        return 0; /* empty payload = {} */
    }
    if (cbor_read_head(r, &it) != CBOR_OK || it.type != CBOR_T_MAP) {
        return mgmt_fail(e, MGMT_EINVAL, 0, "not a map");
    }
    left = it.arg; /* ATTACKER: bounded by the bytes that remain, checked per item */
    for (;;) {
        const uint8_t *key;
        size_t klen;
        int rc;
        if (it.indefinite) {
            int b = cbor_read_break(r);
            if (b == 1) {
                break;
            }
            if (b < 0) {
                return mgmt_fail(e, MGMT_EINVAL, 0, "bad map");
            }
        } else if (left-- == 0u) {
            break;
        }
        if (cbor_read_text(r, &key, &klen) != CBOR_OK) {
            return mgmt_fail(e, MGMT_EINVAL, 0, "bad key");
        }
        rc = field(ctx, key, klen, r, e);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1 && cbor_skip(r) != CBOR_OK) {
            return mgmt_fail(e, MGMT_EINVAL, 0, "bad value");
        }
    }
    return 0;
}

/* ---- OS group -------------------------------------------------------------------------- */

/* One text field, by name, of a request map. */
typedef struct {
    const uint8_t *text;
    size_t len;
    int have;
} text_field_t;

typedef struct {
    const char *name;
    text_field_t val;
} one_text_t;

static int one_text_field(void *ctx, const uint8_t *key, size_t klen, cbor_reader_t *r,
                          mgmt_err_t *e)
{
    one_text_t *t = ctx;

    if (!cbor_text_eq(key, klen, t->name)) {
        return 1;
    }
    if (t->val.have || cbor_read_text(r, &t->val.text, &t->val.len) != CBOR_OK) {
        return mgmt_fail(e, MGMT_EINVAL, 0, "bad field");
    }
    t->val.have = 1;
    return 0;
}

static int os_echo(cbor_reader_t *req, cbor_writer_t *w, mgmt_err_t *e)
{
    one_text_t t = {"d", {NULL, 0, 0}};

    if (mgmt_map_each(req, e, one_text_field, &t) != 0) {
        return -1;
    }
    if (!t.val.have) {
        return mgmt_fail(e, MGMT_EINVAL, 0, "d missing");
    }
    cbor_put_map(w, 1);
    cbor_put_text_z(w, "r", 2);
    cbor_put_text(w, (const char *)t.val.text, t.val.len);
    return 0;
}

static int skip_field(void *ctx, const uint8_t *key, size_t klen, cbor_reader_t *r,
                      mgmt_err_t *e)
{
    (void)ctx;
    (void)key;
    (void)klen;
    (void)r;
    (void)e;
    return 1;
}

static int os_reset(cbor_reader_t *req, cbor_writer_t *w, mgmt_err_t *e)
{
    /* force / boot_mode are accepted and ignored */
    if (mgmt_map_each(req, e, skip_field, NULL) != 0) {
        return -1;
    }
    cbor_put_map(w, 0);
    return 0;
}

static int os_params(cbor_reader_t *req, cbor_writer_t *w, mgmt_err_t *e)
{
    (void)req;
    (void)e;
    cbor_put_map(w, 2);
    cbor_put_text_z(w, "buf_size", 9);
    cbor_put_uint(w, SMP_FRAME_BUF_SIZE);
    cbor_put_text_z(w, "buf_count", 10);
    cbor_put_uint(w, 1);
    return 0;
}

/* Bootloader information (Zephyr os_mgmt): no query -> {"bootloader": "MCUboot"};
 * query "mode" -> {"mode": 3 (swap without scratch), "no-downgrade": true}. */
static int os_bootloader_info(cbor_reader_t *req, cbor_writer_t *w, mgmt_err_t *e)
{
    one_text_t q = {"query", {NULL, 0, 0}};

    if (mgmt_map_each(req, e, one_text_field, &q) != 0) {
        return -1;
    }
    if (!q.val.have) {
        cbor_put_map(w, 1);
        cbor_put_text_z(w, "bootloader", 11);
        cbor_put_text_z(w, "MCUboot", 8);
        return 0;
    }
    if (!cbor_text_eq(q.val.text, q.val.len, "mode")) {
        return mgmt_fail(e, MGMT_EINVAL, 3 /* OS_MGMT QUERY_YIELDS_NO_ANSWER */, "query");
    }
    cbor_put_map(w, 2);
    cbor_put_text_z(w, "mode", 5);
    cbor_put_int(w, (int64_t)swap_boot_params.mode);
    cbor_put_text_z(w, "no-downgrade", 13);
    cbor_put_bool(w, 1);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------- */

typedef struct {
    uint16_t group;
    uint8_t id;
    uint8_t op;
    mgmt_handler_fn fn;
    uint8_t app_only;
} route_t;

static const route_t routes[] = {
    {GROUP_OS, 0, OP_READ, os_echo, 0},
    {GROUP_OS, 0, OP_WRITE, os_echo, 0},
    {GROUP_OS, 5, OP_WRITE, os_reset, 0},
    {GROUP_OS, 6, OP_READ, os_params, 0},
    {GROUP_OS, 8, OP_READ, os_bootloader_info, 0},
    {GROUP_IMG, 0, OP_READ, mgmt_img_state_read, 0},
    {GROUP_IMG, 0, OP_WRITE, mgmt_img_state_write, 1},
    {GROUP_IMG, 1, OP_WRITE, mgmt_img_upload, 0},
    {GROUP_IMG, 5, OP_WRITE, mgmt_img_erase, 0},
};

static void emit(void *ctx, const uint8_t *line, size_t len)
{
    (void)ctx;
    if (cfg.out != NULL) {
        cfg.out(cfg.out_ctx, line, len);
    }
}

/* Encode the error map for the request's SMP version. */
static void put_error(cbor_writer_t *w, unsigned ver, uint16_t group, const mgmt_err_t *e)
{
    w->len = 0;
    w->overflow = 0;
    if (ver >= 1u && e->group_rc != 0) {
        cbor_put_map(w, 1);
        cbor_put_text_z(w, "err", 4);
        cbor_put_map(w, 2);
        cbor_put_text_z(w, "group", 6);
        cbor_put_uint(w, group);
        cbor_put_text_z(w, "rc", 3);
        cbor_put_uint(w, (uint64_t)e->group_rc);
        return;
    }
    cbor_put_map(w, e->rsn != NULL ? 2 : 1);
    cbor_put_text_z(w, "rc", 3);
    cbor_put_uint(w, (uint64_t)e->rc);
    if (e->rsn != NULL) {
        cbor_put_text_z(w, "rsn", 4);
        cbor_put_text_z(w, e->rsn, 48);
    }
}

/* Process one request message (`msg`, `len`: ATTACKER) and send the answer. */
static void process(const uint8_t *msg, size_t len)
{
    unsigned op;
    unsigned ver;
    uint16_t plen;
    uint16_t group;
    uint8_t id;
    cbor_reader_t r;
    cbor_writer_t w;
    mgmt_err_t e = {MGMT_ENOTSUP, 0, "not supported"};
    const route_t *route = NULL;
    size_t i;
    int rc = -1;

    if (len < HDR_SIZE) {
        return;
    }
    op = msg[0] & 7u;
    ver = (msg[0] >> 3) & 3u;
    plen = (uint16_t)(msg[2] << 8 | msg[3]);
    group = (uint16_t)(msg[4] << 8 | msg[5]);
    id = msg[7];
    if (op != OP_READ && op != OP_WRITE) {
        return; /* responses and unknown ops are not answered */
    }
    cbor_writer_init(&w, rsp_buf + HDR_SIZE, sizeof(rsp_buf) - HDR_SIZE);
    cbor_reader_init(&r, msg + HDR_SIZE, len - HDR_SIZE);
    if (ver > 1u) {
        mgmt_fail(&e, MGMT_ETOONEW, 0, "smp version");
    } else if (plen != len - HDR_SIZE) {
        mgmt_fail(&e, MGMT_EINVAL, 0, "length");
    } else {
        for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
            if (routes[i].group == group && routes[i].id == id && routes[i].op == op &&
                !(routes[i].app_only && cfg.recovery)) {
                route = &routes[i];
                break;
            }
        }
        if (route != NULL) {
            rc = route->fn(&r, &w, &e);
        }
    }
    if (rc == 0 && w.overflow) {
        mgmt_fail(&e, MGMT_EMSGSIZE, 0, "answer too large");
        rc = -1;
    }
    if (rc != 0) {
        put_error(&w, ver, group, &e);
    }
    memcpy(rsp_buf, msg, HDR_SIZE);
    rsp_buf[0] = (uint8_t)((op + 1u) | ver << 3);
    rsp_buf[1] = 0u;
    rsp_buf[2] = (uint8_t)(w.len >> 8);
    rsp_buf[3] = (uint8_t)w.len;
    (void)smp_frame_encode(rsp_buf, HDR_SIZE + w.len, emit, NULL);
    if (rc == 0 && route != NULL && route->fn == os_reset && cfg.reset != NULL) {
        cfg.reset();
    }
}

void mgmt_feed(int byte)
{
    int rc = smp_frame_rx_feed(&rx, byte);

    if (rc == SMP_RX_FRAME) {
        process(rx.buf, rx.msg_len);
    }
}
