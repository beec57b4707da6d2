/*
 * cbor.c - minimal bounded CBOR encoder/decoder (see cbor.h).
 *
 * Every value read from r->buf is attacker-controlled. The invariant kept everywhere is
 * r->pos <= r->len; sizes are compared against (r->len - r->pos) before any pointer is formed.
 */
#include "cbor.h"

#define CBOR_BREAK 0xFFu

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_ARG. */
int cbor_reader_init(cbor_reader_t *r, const uint8_t *buf, size_t len)
{
    if (r == NULL || (buf == NULL && len > 0u)) {
        return CBOR_ERR_ARG;
    }
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    return CBOR_OK;
}

/* Bytes left to read. r must be valid. */
static size_t remaining(const cbor_reader_t *r)
{
    return (r->pos <= r->len) ? (r->len - r->pos) : 0u;
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG, CBOR_ERR_EOF or CBOR_ERR_SYNTAX. */
int cbor_read_head(cbor_reader_t *r, cbor_item_t *it)
{
    size_t pos;
    uint8_t ib;
    uint8_t mt;
    uint8_t ai;
    size_t nbytes;
    uint64_t arg = 0;
    size_t i;

    if (r == NULL || it == NULL || r->pos > r->len) {
        return CBOR_ERR_ARG;
    }
    if (remaining(r) < 1u) {
        return CBOR_ERR_EOF;
    }
    pos = r->pos;
    ib = r->buf[pos++]; /* attacker-controlled initial byte */
    mt = (uint8_t)(ib >> 5);
    ai = (uint8_t)(ib & 0x1Fu);

    it->type = (cbor_type_t)mt;
    it->indefinite = 0;
    it->ptr = NULL;

    if (ai < 24u) {
        nbytes = 0;
        arg = ai;
    } else if (ai <= 27u) {
        nbytes = (size_t)1u << (ai - 24u); /* 1, 2, 4, 8 */
    } else if (ai == 31u) {
        /* indefinite length: only strings, arrays and maps; 0xFF (break) is not an item */
        if (mt != CBOR_T_BYTES && mt != CBOR_T_TEXT && mt != CBOR_T_ARRAY && mt != CBOR_T_MAP) {
            return CBOR_ERR_SYNTAX;
        }
        it->indefinite = 1;
        it->arg = 0;
        r->pos = pos;
        return CBOR_OK;
    } else {
        return CBOR_ERR_SYNTAX; /* 28..30 reserved */
    }
    if (r->len - pos < nbytes) {
        return CBOR_ERR_EOF;
    }
    for (i = 0; i < nbytes; i++) {
        arg = (arg << 8) | r->buf[pos++];
    }
    if (mt == CBOR_T_SIMPLE && ai == 24u && arg < 32u) {
        return CBOR_ERR_SYNTAX; /* two-byte simple values below 32 are not well-formed */
    }
    if (mt == CBOR_T_BYTES || mt == CBOR_T_TEXT) {
        /* attacker-controlled length: must lie inside the buffer */
        if (arg > (uint64_t)(r->len - pos)) {
            return CBOR_ERR_EOF;
        }
        it->ptr = &r->buf[pos];
        pos += (size_t)arg;
    }
    it->arg = arg;
    r->pos = pos;
    return CBOR_OK;
}

/* See cbor.h. Returns 1 (break consumed), 0 (no break), CBOR_ERR_EOF or CBOR_ERR_ARG. */
int cbor_read_break(cbor_reader_t *r)
{
    if (r == NULL || r->pos > r->len) {
        return CBOR_ERR_ARG;
    }
    if (remaining(r) < 1u) {
        return CBOR_ERR_EOF;
    }
    if (r->buf[r->pos] == CBOR_BREAK) {
        r->pos++;
        return 1;
    }
    return 0;
}

/*
 * See cbor.h. Iterative: level 0 is a virtual container holding exactly the one item to skip;
 * each open array/map/tag/indefinite string pushes a level (count of items still inside, or
 * "until break"). Returns CBOR_OK or a CBOR_ERR_* code.
 */
int cbor_skip(cbor_reader_t *r)
{
    uint64_t rem[CBOR_MAX_DEPTH + 1u];
    uint8_t indef[CBOR_MAX_DEPTH + 1u];
    uint8_t kind[CBOR_MAX_DEPTH + 1u]; /* major type of the open container (0 at the root) */
    size_t top = 0;
    cbor_item_t it;
    int rc;

    if (r == NULL) {
        return CBOR_ERR_ARG;
    }
    rem[0] = 1;
    indef[0] = 0;
    kind[0] = 0;
    for (;;) {
        while (indef[top] == 0u && rem[top] == 0u) {
            if (top == 0u) {
                return CBOR_OK;
            }
            top--;
        }
        if (indef[top] != 0u) {
            rc = cbor_read_break(r);
            if (rc < 0) {
                return rc;
            }
            if (rc == 1) {
                top--; /* an indefinite level is never the root, so top >= 1 here */
                continue;
            }
        } else {
            rem[top]--;
        }
        rc = cbor_read_head(r, &it);
        if (rc != CBOR_OK) {
            return rc;
        }
        if (indef[top] != 0u && (kind[top] == CBOR_T_BYTES || kind[top] == CBOR_T_TEXT)) {
            /* chunks of an indefinite string: definite strings of the same major type */
            if ((uint8_t)it.type != kind[top] || it.indefinite != 0) {
                return CBOR_ERR_SYNTAX;
            }
            continue;
        }
        switch (it.type) {
        case CBOR_T_BYTES:
        case CBOR_T_TEXT:
        case CBOR_T_ARRAY:
        case CBOR_T_MAP:
        case CBOR_T_TAG: {
            uint64_t count = it.arg;
            if (it.indefinite == 0) {
                if (it.type == CBOR_T_BYTES || it.type == CBOR_T_TEXT) {
                    continue; /* already stepped over */
                }
                if (it.type == CBOR_T_TAG) {
                    count = 1;
                } else {
                    /* every item needs at least one byte: reject absurd counts early */
                    if (count > (uint64_t)remaining(r)) {
                        return CBOR_ERR_EOF;
                    }
                    if (it.type == CBOR_T_MAP) {
                        count *= 2u; /* <= 2 * SIZE_MAX, fits in uint64_t */
                    }
                }
                if (count == 0u) {
                    continue;
                }
            }
            if (top >= CBOR_MAX_DEPTH) {
                return CBOR_ERR_DEPTH;
            }
            top++;
            rem[top] = count;
            indef[top] = (uint8_t)(it.indefinite != 0);
            kind[top] = (uint8_t)it.type;
            break;
        }
        default:
            break; /* integers, simple values, floats: head only */
        }
    }
}

/* Read a head and require `type` (definite length for strings). Cursor unchanged on error. */
static int read_typed(cbor_reader_t *r, cbor_type_t type, cbor_item_t *it)
{
    size_t save;
    int rc;

    if (r == NULL) {
        return CBOR_ERR_ARG;
    }
    save = r->pos;
    rc = cbor_read_head(r, it);
    if (rc != CBOR_OK) {
        return rc;
    }
    if (it->type != type || it->indefinite != 0) {
        r->pos = save;
        return CBOR_ERR_TYPE;
    }
    return CBOR_OK;
}

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_*. */
int cbor_read_u64(cbor_reader_t *r, uint64_t *out)
{
    cbor_item_t it;
    int rc;

    if (out == NULL) {
        return CBOR_ERR_ARG;
    }
    rc = read_typed(r, CBOR_T_UINT, &it);
    if (rc == CBOR_OK) {
        *out = it.arg;
    }
    return rc;
}

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_*. */
int cbor_read_u32(cbor_reader_t *r, uint32_t *out)
{
    size_t save;
    uint64_t v;
    int rc;

    if (r == NULL || out == NULL) {
        return CBOR_ERR_ARG;
    }
    save = r->pos;
    rc = cbor_read_u64(r, &v);
    if (rc != CBOR_OK) {
        return rc;
    }
    if (v > 0xFFFFFFFFu) {
        r->pos = save;
        return CBOR_ERR_RANGE;
    }
    *out = (uint32_t)v;
    return CBOR_OK;
}

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_*. */
int cbor_read_i64(cbor_reader_t *r, int64_t *out)
{
    size_t save;
    cbor_item_t it;
    int rc;

    if (r == NULL || out == NULL) {
        return CBOR_ERR_ARG;
    }
    save = r->pos;
    rc = cbor_read_head(r, &it);
    if (rc != CBOR_OK) {
        return rc;
    }
    if (it.type != CBOR_T_UINT && it.type != CBOR_T_NINT) {
        r->pos = save;
        return CBOR_ERR_TYPE;
    }
    if (it.arg > (uint64_t)INT64_MAX) {
        r->pos = save;
        return CBOR_ERR_RANGE;
    }
    /* NINT value is -1 - arg; arg <= INT64_MAX so the result >= INT64_MIN */
    *out = (it.type == CBOR_T_UINT) ? (int64_t)it.arg : (-1 - (int64_t)it.arg);
    return CBOR_OK;
}

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_*. */
int cbor_read_bool(cbor_reader_t *r, int *out)
{
    size_t save;
    cbor_item_t it;
    int rc;

    if (r == NULL || out == NULL) {
        return CBOR_ERR_ARG;
    }
    save = r->pos;
    rc = cbor_read_head(r, &it);
    if (rc != CBOR_OK) {
        return rc;
    }
    if (it.type != CBOR_T_SIMPLE || (it.arg != CBOR_SIMPLE_FALSE && it.arg != CBOR_SIMPLE_TRUE) ||
        r->pos - save != 1u) {
        r->pos = save;
        return CBOR_ERR_TYPE;
    }
    *out = (it.arg == CBOR_SIMPLE_TRUE) ? 1 : 0;
    return CBOR_OK;
}

/* Shared body of cbor_read_bytes / cbor_read_text. */
static int read_string(cbor_reader_t *r, cbor_type_t type, const uint8_t **ptr, size_t *len)
{
    cbor_item_t it;
    int rc;

    if (ptr == NULL || len == NULL) {
        return CBOR_ERR_ARG;
    }
    rc = read_typed(r, type, &it);
    if (rc == CBOR_OK) {
        *ptr = it.ptr;
        *len = (size_t)it.arg; /* checked against the buffer in cbor_read_head */
    }
    return rc;
}

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_*. */
int cbor_read_bytes(cbor_reader_t *r, const uint8_t **ptr, size_t *len)
{
    return read_string(r, CBOR_T_BYTES, ptr, len);
}

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_*. */
int cbor_read_text(cbor_reader_t *r, const uint8_t **ptr, size_t *len)
{
    return read_string(r, CBOR_T_TEXT, ptr, len);
}

/* See cbor.h. Returns 1 if equal, else 0. */
int cbor_text_eq(const uint8_t *ptr, size_t len, const char *s)
{
    size_t i;

    if (s == NULL || (ptr == NULL && len > 0u)) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (s[i] == '\0' || (uint8_t)s[i] != ptr[i]) {
            return 0;
        }
    }
    return s[len] == '\0';
}

/* ---- encoder ---- */

/* See cbor.h. Returns CBOR_OK or CBOR_ERR_ARG. */
int cbor_writer_init(cbor_writer_t *w, uint8_t *buf, size_t cap)
{
    if (w == NULL || (buf == NULL && cap > 0u)) {
        return CBOR_ERR_ARG;
    }
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = 0;
    return CBOR_OK;
}

/* Size of the shortest head for `arg`. */
static size_t head_size(uint64_t arg)
{
    if (arg < 24u) {
        return 1;
    }
    if (arg <= 0xFFu) {
        return 2;
    }
    if (arg <= 0xFFFFu) {
        return 3;
    }
    if (arg <= 0xFFFFFFFFu) {
        return 5;
    }
    return 9;
}

/* Check that `n` more bytes fit. Returns CBOR_OK, or CBOR_ERR_OVERFLOW (sets the flag). */
static int reserve(cbor_writer_t *w, size_t n)
{
    if (w->overflow || w->cap - w->len < n) {
        w->overflow = 1;
        return CBOR_ERR_OVERFLOW;
    }
    return CBOR_OK;
}

/* Write a head whose space has been reserved. */
static void write_head(cbor_writer_t *w, uint8_t mt, uint64_t arg)
{
    size_t n = head_size(arg);
    size_t i;
    uint8_t ai;

    switch (n) {
    case 1:
        ai = (uint8_t)arg;
        break;
    case 2:
        ai = 24;
        break;
    case 3:
        ai = 25;
        break;
    case 5:
        ai = 26;
        break;
    default:
        ai = 27;
        break;
    }
    w->buf[w->len++] = (uint8_t)((mt << 5) | ai);
    for (i = n - 1u; i > 0u; i--) {
        w->buf[w->len++] = (uint8_t)(arg >> (8u * (i - 1u)));
    }
}

/* Head-only item. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
static int put_head(cbor_writer_t *w, uint8_t mt, uint64_t arg)
{
    int rc;

    if (w == NULL) {
        return CBOR_ERR_ARG;
    }
    rc = reserve(w, head_size(arg));
    if (rc == CBOR_OK) {
        write_head(w, mt, arg);
    }
    return rc;
}

/* Head + payload string. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
static int put_string(cbor_writer_t *w, uint8_t mt, const uint8_t *data, size_t len)
{
    size_t hs;
    size_t i;

    if (w == NULL || (data == NULL && len > 0u)) {
        return CBOR_ERR_ARG;
    }
    hs = head_size(len);
    if (w->overflow || w->cap - w->len < hs || w->cap - w->len - hs < len) {
        w->overflow = 1;
        return CBOR_ERR_OVERFLOW;
    }
    write_head(w, mt, len);
    for (i = 0; i < len; i++) {
        w->buf[w->len++] = data[i];
    }
    return CBOR_OK;
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
int cbor_put_uint(cbor_writer_t *w, uint64_t v)
{
    return put_head(w, CBOR_T_UINT, v);
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
int cbor_put_int(cbor_writer_t *w, int64_t v)
{
    if (v >= 0) {
        return put_head(w, CBOR_T_UINT, (uint64_t)v);
    }
    return put_head(w, CBOR_T_NINT, (uint64_t)(-(v + 1))); /* -1 - v, no overflow */
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
int cbor_put_bytes(cbor_writer_t *w, const uint8_t *data, size_t len)
{
    return put_string(w, CBOR_T_BYTES, data, len);
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
int cbor_put_text(cbor_writer_t *w, const char *text, size_t len)
{
    return put_string(w, CBOR_T_TEXT, (const uint8_t *)text, len);
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG, CBOR_ERR_RANGE or CBOR_ERR_OVERFLOW. */
int cbor_put_text_z(cbor_writer_t *w, const char *text, size_t max)
{
    size_t n = 0;

    if (text == NULL) {
        return CBOR_ERR_ARG;
    }
    while (n < max && text[n] != '\0') {
        n++;
    }
    if (n == max) {
        return CBOR_ERR_RANGE; /* no NUL within max bytes */
    }
    return put_string(w, CBOR_T_TEXT, (const uint8_t *)text, n);
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
int cbor_put_bool(cbor_writer_t *w, int v)
{
    return put_head(w, CBOR_T_SIMPLE, v ? CBOR_SIMPLE_TRUE : CBOR_SIMPLE_FALSE);
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
int cbor_put_array(cbor_writer_t *w, uint64_t count)
{
    return put_head(w, CBOR_T_ARRAY, count);
}

/* See cbor.h. Returns CBOR_OK, CBOR_ERR_ARG or CBOR_ERR_OVERFLOW. */
int cbor_put_map(cbor_writer_t *w, uint64_t pairs)
{
    return put_head(w, CBOR_T_MAP, pairs);
}
