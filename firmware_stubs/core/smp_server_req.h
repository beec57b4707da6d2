/*
 * smp_server_req.h - the SMP server's request side: the per-request context, the bounded
 * CBOR map parser for request fields, and response building (header, error responses).
 *
 * Internal to smp_server.c (one translation unit, see there): static definitions included
 * once by smp_server.c; not an API.
 */
#ifndef OTA_CORE_SMP_SERVER_REQ_H
#define OTA_CORE_SMP_SERVER_REQ_H

#ifndef OTA_CORE_SMP_SERVER_UNIT
#error "smp_server_req.h is internal to smp_server.c"
#endif

/* ---- request field parsing ---- */

#define F_U32   0u
#define F_BOOL  1u
#define F_BYTES 2u
#define F_TEXT  3u

#define MAX_FIELDS 6u

typedef struct {
    const char *name;
    uint8_t kind;
} field_def_t;

typedef struct {
    uint8_t present;
    uint32_t u32;
    int b;
    const uint8_t *ptr; /* BYTES/TEXT: inside the request (attacker-controlled) */
    size_t len;
} field_val_t;

/* An error to answer with. */
typedef struct {
    int mgmt;       /* MGMT_ERR for `rc` */
    int img;        /* the group's own code (IMG_MGMT_ERR, OS_MGMT_ERR) for a v2 `err` map
                       (0: none, use `rc`) */
    const char *rsn;
} smp_err_t;

/* Decoded request header. */
typedef struct {
    uint8_t op;
    uint8_t ver;
    uint16_t len;
    uint16_t group;
    uint8_t seq;
    uint8_t id;
} smp_hdr_t;

/* Per-request context. */
typedef struct {
    smp_server_t *s;
    smp_hdr_t hdr;
    uint8_t *rsp;
    size_t cap;
    cbor_writer_t w;
    smp_err_t err;
    int failed;
} req_t;

/* Set the error of the request. Returns -1 (for `return fail(...)`). */
static int fail(req_t *q, int mgmt, int img, const char *rsn)
{
    q->failed = 1;
    q->err.mgmt = mgmt;
    q->err.img = img;
    q->err.rsn = rsn;
    return -1;
}

/* Map an ops return code (see smp_server.h) with its generic reason. Returns -1. */
static int fail_ops_code(req_t *q, int rc)
{
    switch (rc) {
    case SMP_OPS_ERR_INVALID:
        return fail(q, SMP_MGMT_EINVAL, 0, "refused");
    case SMP_OPS_ERR_TOO_LARGE:
        return fail(q, SMP_MGMT_EINVAL, SMP_IMG_ERR_TOO_LARGE, "too large");
    case SMP_OPS_ERR_FLASH:
        return fail(q, SMP_MGMT_EUNKNOWN, SMP_IMG_ERR_FLASH_WRITE, "flash write");
    case SMP_OPS_ERR_ERASE:
        return fail(q, SMP_MGMT_EUNKNOWN, SMP_IMG_ERR_FLASH_ERASE, "flash erase");
    case SMP_OPS_ERR_VERIFY:
        return fail(q, SMP_MGMT_ECORRUPT, 0, "verify");
    case SMP_OPS_ERR_BUSY:
        return fail(q, SMP_MGMT_EBUSY, 0, "busy");
    case SMP_OPS_ERR_DENIED:
        return fail(q, SMP_MGMT_EACCESSDENIED, 0, "denied");
    case SMP_OPS_ERR_NO_IMAGE:
        return fail(q, SMP_MGMT_ENOENT, SMP_IMG_ERR_NO_IMAGE, "no image");
    case SMP_OPS_ERR_STATE:
        return fail(q, SMP_MGMT_EBADSTATE, 0, "state");
    case SMP_OPS_ERR_SLOT:
        return fail(q, SMP_MGMT_EINVAL, SMP_IMG_ERR_INVALID_SLOT, "slot");
    default:
        return fail(q, SMP_MGMT_EUNKNOWN, 0, "error");
    }
}

/* Map an ops return code; the app's own reason (ops.reason) replaces the generic one.
 * Returns -1. */
static int fail_ops(req_t *q, int rc)
{
    const smp_server_t *s = q->s;
    const char *why = NULL;

    (void)fail_ops_code(q, rc);
    if (s->ops->reason != NULL) {
        why = s->ops->reason(s->ops_ctx);
    }
    if (why != NULL && why[0] != '\0') {
        q->err.rsn = why;
    }
    return -1;
}

/*
 * Parse the request payload (`p`, `n` bytes, attacker-controlled) as one CBOR map whose text
 * keys named in `defs` are decoded into `vals`; other keys are skipped. An empty payload is
 * an empty map. Returns 0, or -1 with q->err set (EINVAL: not a map, bad CBOR, wrong type or
 * range, duplicate key, trailing bytes).
 */
static int parse_map(req_t *q, const uint8_t *p, size_t n, const field_def_t *defs,
                     field_val_t *vals, size_t nfields)
{
    cbor_reader_t r;
    cbor_item_t it;
    uint64_t pairs = 0;
    int indefinite;
    size_t i;
    int rc;

    for (i = 0; i < nfields; i++) {
        vals[i].present = 0;
        vals[i].u32 = 0;
        vals[i].b = 0;
        vals[i].ptr = NULL;
        vals[i].len = 0;
    }
    if (n == 0u) {
        return 0;
    }
    if (cbor_reader_init(&r, p, n) != CBOR_OK || cbor_read_head(&r, &it) != CBOR_OK) {
        return fail(q, SMP_MGMT_EINVAL, 0, "cbor");
    }
    if (it.type != CBOR_T_MAP) {
        return fail(q, SMP_MGMT_EINVAL, 0, "not a map");
    }
    indefinite = it.indefinite;
    pairs = it.arg; /* attacker-controlled; each pair consumes >= 2 bytes, so the loop ends */
    for (;;) {
        const uint8_t *kp;
        size_t kl;
        size_t f;

        if (indefinite) {
            rc = cbor_read_break(&r);
            if (rc < 0) {
                return fail(q, SMP_MGMT_EINVAL, 0, "cbor");
            }
            if (rc == 1) {
                break;
            }
        } else {
            if (pairs == 0u) {
                break;
            }
            pairs--;
        }
        rc = cbor_read_text(&r, &kp, &kl);
        if (rc == CBOR_ERR_TYPE) {
            /* a non-text key: skip key and value */
            if (cbor_skip(&r) != CBOR_OK || cbor_skip(&r) != CBOR_OK) {
                return fail(q, SMP_MGMT_EINVAL, 0, "cbor");
            }
            continue;
        }
        if (rc != CBOR_OK) {
            return fail(q, SMP_MGMT_EINVAL, 0, "cbor");
        }
        for (f = 0; f < nfields; f++) {
            if (cbor_text_eq(kp, kl, defs[f].name)) {
                break;
            }
        }
        if (f == nfields) {
            if (cbor_skip(&r) != CBOR_OK) {
                return fail(q, SMP_MGMT_EINVAL, 0, "cbor");
            }
            continue;
        }
        if (vals[f].present) {
            return fail(q, SMP_MGMT_EINVAL, 0, "duplicate key");
        }
        switch (defs[f].kind) {
        case F_U32:
            rc = cbor_read_u32(&r, &vals[f].u32);
            break;
        case F_BOOL:
            rc = cbor_read_bool(&r, &vals[f].b);
            break;
        case F_BYTES:
            rc = cbor_read_bytes(&r, &vals[f].ptr, &vals[f].len);
            break;
        default:
            rc = cbor_read_text(&r, &vals[f].ptr, &vals[f].len);
            break;
        }
        if (rc == CBOR_ERR_TYPE || rc == CBOR_ERR_RANGE) {
            return fail(q, SMP_MGMT_EINVAL, 0, defs[f].name); /* reason: the field's name */
        }
        if (rc != CBOR_OK) {
            return fail(q, SMP_MGMT_EINVAL, 0, "cbor");
        }
        vals[f].present = 1;
    }
    if (r.pos != r.len) {
        return fail(q, SMP_MGMT_EINVAL, 0, "trailing bytes");
    }
    return 0;
}

/* ---- response building ---- */

/* Start the response payload (after the 8-byte header). */
static void rsp_begin(req_t *q)
{
    (void)cbor_writer_init(&q->w, q->rsp + SMP_HDR_SIZE, q->cap - SMP_HDR_SIZE);
}

/* Write the response header for `payload_len` bytes. Returns the message length. */
static size_t rsp_finish(req_t *q, size_t payload_len)
{
    q->rsp[0] = (uint8_t)(((q->hdr.op + 1u) & 0x7u) | (uint8_t)(q->hdr.ver << 3));
    q->rsp[1] = 0;
    q->rsp[2] = (uint8_t)(payload_len >> 8);
    q->rsp[3] = (uint8_t)payload_len;
    q->rsp[4] = (uint8_t)(q->hdr.group >> 8);
    q->rsp[5] = (uint8_t)q->hdr.group;
    q->rsp[6] = q->hdr.seq;
    q->rsp[7] = q->hdr.id;
    return SMP_HDR_SIZE + payload_len;
}

/* Longest reason text sent (a constant of the firmware; longer ones are cut). */
#define SMP_RSN_MAX 64u

/* Strlen of a constant reason string (bounded by SMP_RSN_MAX). */
static size_t rsn_len(const char *s)
{
    size_t n = 0;

    while (s != NULL && n < SMP_RSN_MAX && s[n] != '\0') {
        n++;
    }
    return n;
}

/* Build the error response for q->err. Returns the message length. */
static size_t rsp_error(req_t *q)
{
    const char *rsn = (q->err.rsn != NULL) ? q->err.rsn : "error";

    rsp_begin(q);
    if (q->hdr.ver == SMP_VER_2 && q->err.img != 0) { /* a group error code of hdr.group */
        (void)cbor_put_map(&q->w, 1);
        (void)cbor_put_text(&q->w, "err", 3);
        (void)cbor_put_map(&q->w, 2);
        (void)cbor_put_text(&q->w, "group", 5);
        (void)cbor_put_uint(&q->w, q->hdr.group);
        (void)cbor_put_text(&q->w, "rc", 2);
        (void)cbor_put_uint(&q->w, (uint64_t)q->err.img);
    } else {
        (void)cbor_put_map(&q->w, 2);
        (void)cbor_put_text(&q->w, "rc", 2);
        (void)cbor_put_uint(&q->w, (uint64_t)q->err.mgmt);
        (void)cbor_put_text(&q->w, "rsn", 3);
        (void)cbor_put_text(&q->w, rsn, rsn_len(rsn));
    }
    /* cap >= SMP_HDR_SIZE + 32 (checked by the caller) always holds these few bytes */
    return rsp_finish(q, q->w.overflow ? 0u : q->w.len);
}

#endif /* OTA_CORE_SMP_SERVER_REQ_H */
