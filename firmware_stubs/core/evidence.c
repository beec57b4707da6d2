/*
 * evidence.c - evidence line formatter and emitter (see evidence.h, contracts §3).
 */
#include "evidence.h"

#include "crc32.h"
#include "fmt.h"

/* ---- character classes --------------------------------------------------------------- */

/* Returns 1 for [A-Z], else 0. */
static int ev_is_upper(char c) { return c >= 'A' && c <= 'Z'; }
/* Returns 1 for [a-z], else 0. */
static int ev_is_lower(char c) { return c >= 'a' && c <= 'z'; }
/* Returns 1 for [0-9], else 0. */
static int ev_is_digit(char c) { return c >= '0' && c <= '9'; }

/* Returns 1 if c may appear in a value ([A-Za-z0-9_.:+-]), else 0. */
static int ev_is_value_char(char c)
{
    return ev_is_upper(c) || ev_is_lower(c) || ev_is_digit(c) || c == '_' || c == '.' ||
           c == ':' || c == '+' || c == '-';
}

/*
 * ev_check_name - NAME must match [A-Z][A-Z0-9_]{0,31}.
 * Returns: its length (1..32) or EV_ERR_NAME / EV_ERR_ARG. Reads at most 33 characters.
 */
static int ev_check_name(const char *s)
{
    size_t i;

    if (s == NULL) {
        return EV_ERR_ARG;
    }
    if (!ev_is_upper(s[0])) {
        return EV_ERR_NAME;
    }
    for (i = 1; i <= EV_NAME_MAX; i++) {
        char c = s[i];
        if (c == '\0') {
            return (int)i;
        }
        if (i == EV_NAME_MAX || !(ev_is_upper(c) || ev_is_digit(c) || c == '_')) {
            return EV_ERR_NAME;
        }
    }
    return EV_ERR_NAME; /* not reached */
}

/*
 * ev_check_key - key must match [a-z][a-z0-9_]{0,15}.
 * Returns: its length (1..16) or EV_ERR_KEY / EV_ERR_ARG. Reads at most 17 characters.
 */
static int ev_check_key(const char *s)
{
    size_t i;

    if (s == NULL) {
        return EV_ERR_ARG;
    }
    if (!ev_is_lower(s[0])) {
        return EV_ERR_KEY;
    }
    for (i = 1; i <= EV_KEY_MAX; i++) {
        char c = s[i];
        if (c == '\0') {
            return (int)i;
        }
        if (i == EV_KEY_MAX || !(ev_is_lower(c) || ev_is_digit(c) || c == '_')) {
            return EV_ERR_KEY;
        }
    }
    return EV_ERR_KEY; /* not reached */
}

/*
 * ev_check_value - value must match [A-Za-z0-9_.:+-]{1,40}.
 * Returns: its length (1..40) or EV_ERR_VALUE / EV_ERR_ARG. Reads at most 41 characters.
 */
static int ev_check_value(const char *s)
{
    size_t i;

    if (s == NULL) {
        return EV_ERR_ARG;
    }
    for (i = 0; i <= EV_VALUE_MAX; i++) {
        char c = s[i];
        if (c == '\0') {
            return i == 0u ? EV_ERR_VALUE : (int)i;
        }
        if (i == EV_VALUE_MAX || !ev_is_value_char(c)) {
            return EV_ERR_VALUE;
        }
    }
    return EV_ERR_VALUE; /* not reached */
}

/*
 * ev_check_src - src must be exactly "boot", "app" or "rescue".
 * Returns: its length, or EV_ERR_SRC / EV_ERR_ARG.
 */
static int ev_check_src(const char *s)
{
    size_t n;

    if (s == NULL) {
        return EV_ERR_ARG;
    }
    n = fmt_strlen_bounded(s, 7u);
    if (fmt_streq("boot", s, n) || fmt_streq("app", s, n) || fmt_streq("rescue", s, n)) {
        return (int)n;
    }
    return EV_ERR_SRC;
}

/* ---- bounded line writer ------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap;   /* bytes usable for content (excludes the room kept for "\r\n" + NUL) */
    size_t len;
    int overflow; /* 1 once something did not fit */
} ev_writer_t;

/* Append `n` bytes of `s`; on overflow nothing is written and the flag latches. No return. */
static void ev_put(ev_writer_t *w, const char *s, size_t n)
{
    size_t i;

    if (w->overflow || n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    for (i = 0; i < n; i++) {
        w->buf[w->len + i] = s[i];
    }
    w->len += n;
}

/* ---- formatter ----------------------------------------------------------------------- */

/* See evidence.h. Returns line length including "\r\n", or a negative EV_ERR_* code. */
int ev_format(char *out, size_t cap, uint32_t seq, const char *src, const char *name,
              const char *const *keys, const char *const *values, size_t n)
{
    char num[FMT_U32_MAX_CHARS + 1u];
    char crc_txt[FMT_U32_MAX_CHARS + 1u];
    ev_writer_t w;
    int src_len;
    int name_len;
    int num_len;
    size_t i;
    size_t j;
    uint32_t crc;

    if (out == NULL) {
        return EV_ERR_ARG;
    }
    if (cap > 0u) {
        out[0] = '\0';
    }
    if (n > EV_MAX_FIELDS) {
        return EV_ERR_FIELDS;
    }
    if (n > 0u && (keys == NULL || values == NULL)) {
        return EV_ERR_ARG;
    }
    src_len = ev_check_src(src);
    if (src_len < 0) {
        return src_len;
    }
    name_len = ev_check_name(name);
    if (name_len < 0) {
        return name_len;
    }
    /* Validate every pair and the uniqueness of keys before writing anything. */
    for (i = 0; i < n; i++) {
        int kl = ev_check_key(keys[i]);
        int vl;
        if (kl < 0) {
            return kl;
        }
        vl = ev_check_value(values[i]);
        if (vl < 0) {
            return vl;
        }
        for (j = 0; j < i; j++) {
            if (fmt_streq(keys[j], keys[i], (size_t)kl)) {
                return EV_ERR_DUPKEY;
            }
        }
    }

    /* Content is limited to EV_MAX_LINE bytes and to what the caller's buffer can hold
     * after reserving "\r\n" + NUL. */
    w.buf = out;
    w.len = 0;
    w.overflow = 0;
    w.cap = EV_MAX_LINE;
    if (cap < 3u) {
        return EV_ERR_CAP;
    }
    if (cap - 3u < w.cap) {
        w.cap = cap - 3u;
    }

    num_len = fmt_u32_dec(num, sizeof(num), seq);
    if (num_len < 0) {
        return EV_ERR_ARG; /* cannot happen: num is large enough */
    }
    ev_put(&w, "EV ", 3u);
    ev_put(&w, num, (size_t)num_len);
    ev_put(&w, " ", 1u);
    ev_put(&w, src, (size_t)src_len);
    ev_put(&w, " ", 1u);
    ev_put(&w, name, (size_t)name_len);
    for (i = 0; i < n; i++) {
        ev_put(&w, " ", 1u);
        ev_put(&w, keys[i], fmt_strlen_bounded(keys[i], EV_KEY_MAX));
        ev_put(&w, "=", 1u);
        ev_put(&w, values[i], fmt_strlen_bounded(values[i], EV_VALUE_MAX));
    }
    crc = crc32_compute(out, w.overflow ? 0u : w.len);
    if (fmt_u32_hex(crc_txt, sizeof(crc_txt), crc, 8u) != 10) {
        return EV_ERR_ARG; /* cannot happen */
    }
    ev_put(&w, " #", 2u);
    ev_put(&w, &crc_txt[2], 8u); /* without the "0x" */

    if (w.overflow) {
        out[0] = '\0';
        /* Distinguish the contract limit from a small caller buffer. */
        return (w.cap < EV_MAX_LINE) ? EV_ERR_CAP : EV_ERR_TOO_LONG;
    }
    out[w.len] = '\r';
    out[w.len + 1u] = '\n';
    out[w.len + 2u] = '\0';
    return (int)(w.len + 2u);
}

/* ---- emitter ------------------------------------------------------------------------- */

static struct {
    const char *src;
    uint32_t seq;
    ev_sink_fn sink;
    char line[EV_LINE_BUF];
} ev_state;

/* See evidence.h. Returns EV_OK / EV_ERR_ARG / EV_ERR_SRC. */
int ev_init(const char *src, uint32_t first_seq, ev_sink_fn sink)
{
    int rc;

    ev_state.sink = NULL;
    if (sink == NULL) {
        return EV_ERR_ARG;
    }
    rc = ev_check_src(src);
    if (rc < 0) {
        return rc;
    }
    ev_state.src = src;
    ev_state.seq = first_seq;
    ev_state.sink = sink;
    return EV_OK;
}

/* See evidence.h. Returns the next seq. */
uint32_t ev_next_seq(void)
{
    return ev_state.sink != NULL ? ev_state.seq : 0u;
}

/* See evidence.h. No return value. */
void ev_fields_init(ev_fields_t *f)
{
    if (f == NULL) {
        return;
    }
    f->n = 0;
    f->used = 0;
    f->err = EV_OK;
}

/* Record one pair. Returns EV_OK or EV_ERR_FIELDS (latched). */
static int ev_add(ev_fields_t *f, const char *key, const char *value)
{
    if (f == NULL) {
        return EV_ERR_ARG;
    }
    if (f->n >= EV_MAX_FIELDS) {
        f->err = (f->err == EV_OK) ? EV_ERR_FIELDS : f->err;
        return EV_ERR_FIELDS;
    }
    f->keys[f->n] = key;
    f->values[f->n] = value;
    f->n++;
    return EV_OK;
}

/* See evidence.h. Returns EV_OK or EV_ERR_FIELDS / EV_ERR_ARG. */
int ev_add_str(ev_fields_t *f, const char *key, const char *value)
{
    return ev_add(f, key, value);
}

/* Format a number into the builder scratch and add it. Returns EV_OK or an error. */
static int ev_add_num(ev_fields_t *f, const char *key, uint32_t value, int hex, unsigned digits)
{
    char *dst;
    size_t room;
    int len;

    if (f == NULL) {
        return EV_ERR_ARG;
    }
    dst = &f->store[f->used];
    room = sizeof(f->store) - f->used;
    len = hex ? fmt_u32_hex(dst, room, value, digits) : fmt_u32_dec(dst, room, value);
    if (len < 0) {
        f->err = (f->err == EV_OK) ? EV_ERR_FIELDS : f->err;
        return EV_ERR_FIELDS;
    }
    if (ev_add(f, key, dst) != EV_OK) {
        return EV_ERR_FIELDS;
    }
    f->used += (size_t)len + 1u;
    return EV_OK;
}

/* See evidence.h. Returns EV_OK or EV_ERR_FIELDS. */
int ev_add_u32(ev_fields_t *f, const char *key, uint32_t value)
{
    return ev_add_num(f, key, value, 0, 0u);
}

/* See evidence.h. Returns EV_OK or EV_ERR_FIELDS. */
int ev_add_hex(ev_fields_t *f, const char *key, uint32_t value, unsigned min_digits)
{
    return ev_add_num(f, key, value, 1, min_digits);
}

/* Send "! evidence error <code>\r\n" (console text, not evidence). No return value. */
static void ev_report_error(int code)
{
    static const char prefix[] = "! evidence error -";
    char num[FMT_U32_MAX_CHARS + 1u];
    size_t i;
    int nl;

    for (i = 0; i < sizeof(prefix) - 1u; i++) {
        ev_state.line[i] = prefix[i];
    }
    nl = fmt_u32_dec(num, sizeof(num), (uint32_t)(-(code)));
    if (nl > 0) {
        size_t k;
        for (k = 0; k < (size_t)nl; k++) {
            ev_state.line[i++] = num[k];
        }
    }
    ev_state.line[i++] = '\r';
    ev_state.line[i++] = '\n';
    ev_state.sink(ev_state.line, i);
}

/* See evidence.h. Returns EV_OK or a negative EV_ERR_* code. */
int ev_emit(const char *name, const ev_fields_t *f)
{
    int len;

    if (ev_state.sink == NULL) {
        return EV_ERR_NOINIT;
    }
    if (f != NULL && f->err != EV_OK) {
        ev_report_error(f->err);
        return f->err;
    }
    len = ev_format(ev_state.line, sizeof(ev_state.line), ev_state.seq, ev_state.src, name,
                    f != NULL ? f->keys : NULL, f != NULL ? f->values : NULL,
                    f != NULL ? f->n : 0u);
    if (len < 0) {
        ev_report_error(len);
        return len;
    }
    ev_state.sink(ev_state.line, (size_t)len);
    ev_state.seq++;
    return EV_OK;
}

/* See evidence.h. Returns EV_OK / EV_ERR_NOINIT / EV_ERR_ARG / EV_ERR_VALUE. */
int ev_emit_text(const char *text)
{
    size_t n;
    size_t i;

    if (ev_state.sink == NULL) {
        return EV_ERR_NOINIT;
    }
    if (text == NULL) {
        return EV_ERR_ARG;
    }
    n = fmt_strlen_bounded(text, EV_MAX_LINE + 1u);
    if (n > EV_MAX_LINE || (n >= 3u && text[0] == 'E' && text[1] == 'V' && text[2] == ' ')) {
        return EV_ERR_VALUE;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)text[i] < 0x20u || (unsigned char)text[i] >= 0x7Fu) {
            return EV_ERR_VALUE;
        }
        ev_state.line[i] = text[i];
    }
    ev_state.line[n] = '\r';
    ev_state.line[n + 1u] = '\n';
    ev_state.sink(ev_state.line, n + 2u);
    return EV_OK;
}
