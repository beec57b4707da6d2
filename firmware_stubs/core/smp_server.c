/*
 * smp_server.c - MCUmgr SMP server: header, dispatch, OS and image groups (see smp_server.h).
 */
#include "smp_server.h"

#include "cbor.h"

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
    int img;        /* IMG_MGMT_ERR for a v2 `err` map (0: none, use `rc`) */
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

/* Map an ops return code (see smp_server.h). Returns -1. */
static int fail_ops(req_t *q, int rc)
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

/* Strlen of a constant reason string (bounded). */
static size_t rsn_len(const char *s)
{
    size_t n = 0;

    while (s != NULL && n < 20u && s[n] != '\0') {
        n++;
    }
    return n;
}

/* Build the error response for q->err. Returns the message length. */
static size_t rsp_error(req_t *q)
{
    const char *rsn = (q->err.rsn != NULL) ? q->err.rsn : "error";

    rsp_begin(q);
    if (q->hdr.ver == SMP_VER_2 && q->err.img != 0 && q->hdr.group == SMP_GROUP_IMAGE) {
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

/* ---- OS group ---- */

/* echo: {"d": text} -> {"r": text}. Returns 0 or -1 (q->err set). */
static int os_echo(req_t *q, const uint8_t *p, size_t n)
{
    static const field_def_t defs[] = {{"d", F_TEXT}};
    field_val_t v[1];

    if (parse_map(q, p, n, defs, v, 1) != 0) {
        return -1;
    }
    if (!v[0].present) {
        return fail(q, SMP_MGMT_EINVAL, 0, "d missing");
    }
    (void)cbor_put_map(&q->w, 1);
    (void)cbor_put_text(&q->w, "r", 1);
    (void)cbor_put_text(&q->w, (const char *)v[0].ptr, v[0].len);
    return 0;
}

/* reset: {force?, boot_mode?} -> {} and a deferred reset. Returns 0 or -1. */
static int os_reset(req_t *q, const uint8_t *p, size_t n)
{
    static const field_def_t defs[] = {{"force", F_U32}, {"boot_mode", F_U32}};
    field_val_t v[2];

    if (parse_map(q, p, n, defs, v, 2) != 0) {
        return -1;
    }
    if (v[1].present && v[1].u32 != 0u) {
        return fail(q, SMP_MGMT_ENOTSUP, 0, "boot_mode");
    }
    if (q->s->ops->reset == NULL) {
        return fail(q, SMP_MGMT_ENOTSUP, 0, "reset");
    }
    (void)cbor_put_map(&q->w, 0);
    q->s->reset_pending = 1;
    return 0;
}

/* MCUmgr parameters: {} -> {"buf_size", "buf_count"}. Returns 0 or -1. */
static int os_params(req_t *q, const uint8_t *p, size_t n)
{
    field_val_t v[1];

    if (parse_map(q, p, n, NULL, v, 0) != 0) {
        return -1;
    }
    (void)cbor_put_map(&q->w, 2);
    (void)cbor_put_text(&q->w, "buf_size", 8);
    (void)cbor_put_uint(&q->w, SMP_FRAME_BUF_SIZE);
    (void)cbor_put_text(&q->w, "buf_count", 9);
    (void)cbor_put_uint(&q->w, 1);
    return 0;
}

/* ---- image group ---- */

/* Encode the image list from ops->state_read. Returns 0 or -1. */
static int img_state_rsp(req_t *q)
{
    smp_server_t *s = q->s;
    int n = s->ops->state_read(s->ops_ctx, s->states, SMP_IMAGE_STATE_MAX);
    int i;

    if (n < 0) {
        return fail_ops(q, n);
    }
    if ((size_t)n > SMP_IMAGE_STATE_MAX) {
        return fail(q, SMP_MGMT_EUNKNOWN, 0, "state count");
    }
    (void)cbor_put_map(&q->w, 2);
    (void)cbor_put_text(&q->w, "images", 6);
    (void)cbor_put_array(&q->w, (uint64_t)n);
    for (i = 0; i < n; i++) {
        const smp_image_state_t *e = &s->states[i];
        static const char *const names[5] = {"bootable", "pending", "confirmed", "active",
                                             "permanent"};
        uint64_t pairs = 3u; /* image, slot, version */
        unsigned b;

        if (e->hash_len > SMP_SHA_MAX) {
            return fail(q, SMP_MGMT_EUNKNOWN, 0, "state hash");
        }
        pairs += (e->hash_len > 0u) ? 1u : 0u;
        for (b = 0; b < 5u; b++) {
            pairs += ((e->flags >> b) & 1u);
        }
        (void)cbor_put_map(&q->w, pairs);
        (void)cbor_put_text(&q->w, "image", 5);
        (void)cbor_put_uint(&q->w, e->image);
        (void)cbor_put_text(&q->w, "slot", 4);
        (void)cbor_put_uint(&q->w, e->slot);
        (void)cbor_put_text(&q->w, "version", 7);
        if (cbor_put_text_z(&q->w, e->version, sizeof e->version) == CBOR_ERR_RANGE) {
            return fail(q, SMP_MGMT_EUNKNOWN, 0, "state version");
        }
        if (e->hash_len > 0u) {
            (void)cbor_put_text(&q->w, "hash", 4);
            (void)cbor_put_bytes(&q->w, e->hash, e->hash_len);
        }
        for (b = 0; b < 5u; b++) {
            if (((e->flags >> b) & 1u) != 0u) {
                (void)cbor_put_text_z(&q->w, names[b], 16);
                (void)cbor_put_bool(&q->w, 1);
            }
        }
    }
    (void)cbor_put_text(&q->w, "splitStatus", 11);
    (void)cbor_put_uint(&q->w, 0);
    return 0;
}

/* state write: {hash?, confirm?} -> image list. Returns 0 or -1. */
static int img_state_write(req_t *q, const uint8_t *p, size_t n)
{
    static const field_def_t defs[] = {{"hash", F_BYTES}, {"confirm", F_BOOL}};
    field_val_t v[2];
    int confirm;
    int rc;

    if (parse_map(q, p, n, defs, v, 2) != 0) {
        return -1;
    }
    confirm = v[1].present ? v[1].b : 0;
    if (v[0].present && (v[0].len == 0u || v[0].len > SMP_SHA_MAX)) {
        return fail(q, SMP_MGMT_EINVAL, 0, "hash");
    }
    if (!v[0].present && !confirm) {
        return fail(q, SMP_MGMT_EINVAL, 0, "hash missing");
    }
    rc = q->s->ops->state_write(q->s->ops_ctx, v[0].ptr, v[0].present ? v[0].len : 0u, confirm);
    if (rc != SMP_OPS_OK) {
        return fail_ops(q, rc);
    }
    return img_state_rsp(q);
}

/* Make sure s->up reflects the app (ask upload_resume once). Returns 0 or -1. */
static int upload_sync(req_t *q)
{
    smp_server_t *s = q->s;
    smp_upload_info_t info;
    int rc;

    if (s->up_known) {
        return 0;
    }
    s->up_active = 0;
    if (s->ops->upload_resume != NULL) {
        info.image = 0;
        info.total_len = 0;
        info.off = 0;
        info.sha_len = 0;
        rc = s->ops->upload_resume(s->ops_ctx, &info);
        if (rc < 0) {
            return fail_ops(q, rc);
        }
        /* the app's record is trusted only if it is self-consistent */
        if (rc == 1 && info.total_len > 0u && info.off < info.total_len &&
            info.sha_len <= SMP_SHA_MAX) {
            s->up = info;
            s->up_active = 1;
        }
    }
    s->up_known = 1;
    return 0;
}

/* Does the off-0 request (len, sha) name the session in progress? Returns 1 or 0. */
static int same_upload(const smp_upload_info_t *up, uint32_t image, uint32_t total,
                       const field_val_t *sha)
{
    size_t i;

    if (!sha->present || sha->len != up->sha_len || up->sha_len == 0u ||
        total != up->total_len || image != up->image) {
        return 0;
    }
    for (i = 0; i < sha->len; i++) {
        if (sha->ptr[i] != up->sha[i]) {
            return 0;
        }
    }
    return 1;
}

/* Answer {"off": off}. Returns 0. */
static int upload_rsp(req_t *q, uint32_t off)
{
    (void)cbor_put_map(&q->w, 1);
    (void)cbor_put_text(&q->w, "off", 3);
    (void)cbor_put_uint(&q->w, off);
    return 0;
}

/*
 * Ask the app where the upload continues (ops.upload_next, optional). Without the callback the
 * offset just advances by `advanced`. On an app error (or an offset past the end) the session
 * is dropped. Returns: 1 if the session continues (s->up.off set), 0 if it was dropped.
 */
static int upload_steer(smp_server_t *s, uint32_t advanced)
{
    uint32_t next = 0;

    if (s->ops->upload_next == NULL) {
        s->up.off += advanced;
        return 1;
    }
    if (s->ops->upload_next(s->ops_ctx, &next) != SMP_OPS_OK || next > s->up.total_len) {
        s->up_active = 0;
        return 0;
    }
    s->up.off = next;
    return 1;
}

/* upload: {off, data, len?, sha?, image?, upgrade?} -> {"off"}. Returns 0 or -1. */
static int img_upload(req_t *q, const uint8_t *p, size_t n)
{
    enum { OFF, DATA, LEN, SHA, IMAGE, UPGRADE };
    static const field_def_t defs[] = {{"off", F_U32},   {"data", F_BYTES}, {"len", F_U32},
                                       {"sha", F_BYTES}, {"image", F_U32},  {"upgrade", F_BOOL}};
    field_val_t v[MAX_FIELDS];
    smp_server_t *s = q->s;
    uint32_t off;
    uint32_t dlen;
    size_t i;
    int rc;

    if (parse_map(q, p, n, defs, v, 6) != 0) {
        return -1;
    }
    if (!v[OFF].present) {
        return fail(q, SMP_MGMT_EINVAL, 0, "off missing");
    }
    if (!v[DATA].present) {
        return fail(q, SMP_MGMT_EINVAL, 0, "data missing");
    }
    if (upload_sync(q) != 0) {
        return -1;
    }
    off = v[OFF].u32;
    dlen = (uint32_t)v[DATA].len; /* <= SMP_MSG_MAX: inside the request */

    if (off == 0u) {
        uint32_t image = v[IMAGE].present ? v[IMAGE].u32 : 0u;
        uint32_t total;

        if (!v[LEN].present) {
            return fail(q, SMP_MGMT_EINVAL, 0, "len missing");
        }
        total = v[LEN].u32;
        if (total == 0u) {
            return fail(q, SMP_MGMT_EINVAL, 0, "len");
        }
        if (v[SHA].present && (v[SHA].len == 0u || v[SHA].len > SMP_SHA_MAX)) {
            return fail(q, SMP_MGMT_EINVAL, 0, "sha");
        }
        if (s->up_active && s->up.off > 0u) {
            if (same_upload(&s->up, image, total, &v[SHA])) {
                if (!upload_steer(s, 0u)) {
                    return fail(q, SMP_MGMT_EBADSTATE, 0, "upload abandoned");
                }
                return upload_rsp(q, s->up.off); /* resume: the client continues from here */
            }
            return fail(q, SMP_MGMT_EBUSY, 0, "upload in progress");
        }
        s->up_active = 0;
        rc = s->ops->upload_begin(s->ops_ctx, image, total, v[SHA].ptr,
                                  v[SHA].present ? v[SHA].len : 0u,
                                  v[UPGRADE].present ? v[UPGRADE].b : 0);
        if (rc != SMP_OPS_OK) {
            return fail_ops(q, rc);
        }
        s->up.image = image;
        s->up.total_len = total;
        s->up.off = 0;
        s->up.sha_len = (uint8_t)(v[SHA].present ? v[SHA].len : 0u);
        for (i = 0; i < s->up.sha_len; i++) {
            s->up.sha[i] = v[SHA].ptr[i];
        }
        s->up_active = 1;
    } else if (!s->up_active) {
        return upload_rsp(q, 0); /* nothing in progress: start at 0 (with len) */
    } else if (off != s->up.off) {
        return upload_rsp(q, s->up.off); /* out of order: data dropped, expected offset */
    }

    if (dlen > 0u) {
        if (dlen > s->up.total_len - s->up.off) {
            return fail(q, SMP_MGMT_EINVAL, SMP_IMG_ERR_DATA_OVERRUN, "overrun");
        }
        rc = s->ops->upload_write(s->ops_ctx, s->up.off, v[DATA].ptr, dlen);
        if (rc != SMP_OPS_OK) {
            /* session kept at the same offset, or where the app steers it (or dropped) */
            if (s->ops->upload_next != NULL) {
                (void)upload_steer(s, 0u);
            }
            return fail_ops(q, rc);
        }
        if (!upload_steer(s, dlen)) {
            return fail(q, SMP_MGMT_EBADSTATE, 0, "upload abandoned");
        }
        if (s->up.off == s->up.total_len) {
            s->up_active = 0;
            rc = s->ops->upload_end(s->ops_ctx);
            if (rc != SMP_OPS_OK) {
                return fail_ops(q, rc);
            }
            return upload_rsp(q, s->up.total_len);
        }
    }
    return upload_rsp(q, s->up.off);
}

/* erase: {slot?} -> {}. Returns 0 or -1. */
static int img_erase(req_t *q, const uint8_t *p, size_t n)
{
    static const field_def_t defs[] = {{"slot", F_U32}};
    field_val_t v[1];
    int rc;

    if (parse_map(q, p, n, defs, v, 1) != 0) {
        return -1;
    }
    if (q->s->ops->image_erase == NULL) {
        return fail(q, SMP_MGMT_ENOTSUP, 0, "erase");
    }
    rc = q->s->ops->image_erase(q->s->ops_ctx, v[0].present ? v[0].u32 : 1u);
    q->s->up_active = 0;
    q->s->up_known = 1;
    if (rc != SMP_OPS_OK) {
        return fail_ops(q, rc);
    }
    (void)cbor_put_map(&q->w, 0);
    return 0;
}

/* Dispatch on (group, id, op). Returns 0 (response payload written) or -1 (q->err set). */
static int dispatch(req_t *q, const uint8_t *p, size_t n)
{
    uint8_t op = q->hdr.op;

    if (q->hdr.group == SMP_GROUP_OS) {
        if (q->hdr.id == SMP_OS_ECHO) {
            return os_echo(q, p, n);
        }
        if (q->hdr.id == SMP_OS_RESET && op == SMP_OP_WRITE) {
            return os_reset(q, p, n);
        }
        if (q->hdr.id == SMP_OS_PARAMS && op == SMP_OP_READ) {
            return os_params(q, p, n);
        }
    } else if (q->hdr.group == SMP_GROUP_IMAGE) {
        if (q->hdr.id == SMP_IMG_STATE) {
            if (op == SMP_OP_READ) {
                field_val_t v[1];
                if (parse_map(q, p, n, NULL, v, 0) != 0) {
                    return -1;
                }
                return img_state_rsp(q);
            }
            return img_state_write(q, p, n);
        }
        if (q->hdr.id == SMP_IMG_UPLOAD && op == SMP_OP_WRITE) {
            return img_upload(q, p, n);
        }
        if (q->hdr.id == SMP_IMG_ERASE && op == SMP_OP_WRITE) {
            return img_erase(q, p, n);
        }
    }
    return fail(q, SMP_MGMT_ENOTSUP, 0, "not supported");
}

/* ---- public API ---- */

/* See smp_server.h. Returns SMP_OK or SMP_ERR_ARG. */
int smp_server_init(smp_server_t *s, const smp_image_ops_t *ops, void *ops_ctx,
                    smp_frame_emit_fn out, void *out_ctx)
{
    if (s == NULL || ops == NULL || out == NULL || ops->upload_begin == NULL ||
        ops->upload_write == NULL || ops->upload_end == NULL || ops->state_read == NULL ||
        ops->state_write == NULL) {
        return SMP_ERR_ARG;
    }
    smp_frame_rx_init(&s->rx);
    s->ops = ops;
    s->ops_ctx = ops_ctx;
    s->out = out;
    s->out_ctx = out_ctx;
    s->up.image = 0;
    s->up.total_len = 0;
    s->up.off = 0;
    s->up.sha_len = 0;
    s->up_known = 0;
    s->up_active = 0;
    s->reset_pending = 0;
    s->requests = 0;
    s->errors = 0;
    return SMP_OK;
}

/* Read the 8-byte header (attacker-controlled). */
static void read_hdr(const uint8_t *m, smp_hdr_t *h)
{
    h->op = (uint8_t)(m[0] & 0x7u);
    h->ver = (uint8_t)((m[0] >> 3) & 0x3u);
    h->len = (uint16_t)(((uint16_t)m[2] << 8) | m[3]);
    h->group = (uint16_t)(((uint16_t)m[4] << 8) | m[5]);
    h->seq = m[6];
    h->id = m[7];
}

/* See smp_server.h. Returns 1 (response built), 0 (no response) or SMP_ERR_ARG. */
int smp_server_process(smp_server_t *s, const uint8_t *req, size_t len, uint8_t *rsp,
                       size_t cap, size_t *rsp_len)
{
    req_t q;
    size_t n;

    if (s == NULL || s->ops == NULL || (req == NULL && len > 0u) || rsp == NULL ||
        rsp_len == NULL || cap < SMP_HDR_SIZE + 32u) {
        return SMP_ERR_ARG;
    }
    *rsp_len = 0;
    if (len < SMP_HDR_SIZE) {
        return 0;
    }
    q.s = s;
    q.rsp = rsp;
    q.cap = (cap > SMP_MSG_MAX) ? SMP_MSG_MAX : cap;
    q.failed = 0;
    q.err.mgmt = 0;
    q.err.img = 0;
    q.err.rsn = NULL;
    read_hdr(req, &q.hdr);
    if (q.hdr.op != SMP_OP_READ && q.hdr.op != SMP_OP_WRITE) {
        return 0; /* a response or garbage: never answer it */
    }
    rsp_begin(&q);
    if (q.hdr.ver > SMP_VER_2) {
        q.hdr.ver = SMP_VER_2;
        (void)fail(&q, SMP_MGMT_TOO_NEW, 0, "version");
    } else if ((size_t)q.hdr.len != len - SMP_HDR_SIZE) {
        (void)fail(&q, SMP_MGMT_EINVAL, 0, "length");
    } else if (dispatch(&q, req + SMP_HDR_SIZE, len - SMP_HDR_SIZE) == 0 && q.w.overflow) {
        s->reset_pending = 0;
        (void)fail(&q, SMP_MGMT_EMSGSIZE, 0, "response too large");
    }
    if (q.failed) {
        s->reset_pending = 0;
        s->errors++;
        n = rsp_error(&q);
    } else {
        n = rsp_finish(&q, q.w.len);
    }
    s->requests++;
    *rsp_len = n;
    return 1;
}

/* See smp_server.h. No return value. */
void smp_server_after_response(smp_server_t *s)
{
    if (s == NULL || !s->reset_pending) {
        return;
    }
    s->reset_pending = 0;
    if (s->ops != NULL && s->ops->reset != NULL) {
        s->ops->reset(s->ops_ctx);
    }
}

/* See smp_server.h. No return value. */
void smp_server_upload_forget(smp_server_t *s)
{
    if (s != NULL) {
        s->up_known = 0;
        s->up_active = 0;
    }
}

/* See smp_server.h. Returns the size. */
size_t smp_server_sizeof(void)
{
    return sizeof(smp_server_t);
}

/* Answer a dropped frame whose (untrusted) header looks like a request. */
static void answer_dropped(smp_server_t *s, int mgmt, const char *rsn)
{
    req_t q;
    size_t n;

    if (s->rx.msg_len < SMP_HDR_SIZE) {
        return;
    }
    q.s = s;
    q.rsp = s->rsp;
    q.cap = sizeof s->rsp;
    read_hdr(s->rx.buf, &q.hdr);
    if ((q.hdr.op != SMP_OP_READ && q.hdr.op != SMP_OP_WRITE) || q.hdr.ver > SMP_VER_2) {
        return;
    }
    (void)fail(&q, mgmt, 0, rsn);
    n = rsp_error(&q);
    s->errors++;
    (void)smp_frame_encode(s->rsp, n, s->out, s->out_ctx);
}

/* See smp_server.h. Returns SMP_RX_TEXT / SMP_RX_MORE / SMP_RX_FRAME / SMP_RX_ERR_*. */
int smp_server_feed(smp_server_t *s, int byte)
{
    size_t n = 0;
    int rc;

    if (s == NULL || s->ops == NULL) {
        return SMP_RX_MORE;
    }
    rc = smp_frame_rx_feed(&s->rx, byte);
    if (rc == SMP_RX_FRAME) {
        if (smp_server_process(s, s->rx.buf, s->rx.msg_len, s->rsp, sizeof s->rsp, &n) == 1) {
            (void)smp_frame_encode(s->rsp, n, s->out, s->out_ctx);
            smp_server_after_response(s);
        }
    } else if (rc == SMP_RX_ERR_CRC) {
        answer_dropped(s, SMP_MGMT_ECORRUPT, "crc");
    } else if (rc == SMP_RX_ERR_TOO_LARGE) {
        answer_dropped(s, SMP_MGMT_EMSGSIZE, "frame too large");
    }
    return rc;
}
