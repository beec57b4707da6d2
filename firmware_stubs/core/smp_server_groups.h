/*
 * smp_server_groups.h - the SMP server's command handlers: OS group (echo, reset, params,
 * bootloader info) and
 * image group (state read/write, upload with resume and steering, erase).
 *
 * Internal to smp_server.c (one translation unit, see there): static definitions included
 * once by smp_server.c after smp_server_req.h; not an API.
 */
#ifndef OTA_CORE_SMP_SERVER_GROUPS_H
#define OTA_CORE_SMP_SERVER_GROUPS_H

#ifndef OTA_CORE_SMP_SERVER_UNIT
#error "smp_server_groups.h is internal to smp_server.c"
#endif

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

/* Bootloader info: {query?} -> {"bootloader": "MCUboot"}; query "mode" -> {"mode": 5,
 * "no-downgrade": true}; any other query: v2 err {group 0, rc QUERY_YIELDS_NO_ANSWER}, v1
 * rc EINVAL. Returns 0 or -1. */
static int os_bootloader(req_t *q, const uint8_t *p, size_t n)
{
    static const field_def_t defs[] = {{"query", F_TEXT}};
    field_val_t v[1];

    if (parse_map(q, p, n, defs, v, 1) != 0) {
        return -1;
    }
    if (!v[0].present) {
        (void)cbor_put_map(&q->w, 1);
        (void)cbor_put_text(&q->w, "bootloader", 10);
        (void)cbor_put_text(&q->w, SMP_BOOTLOADER_NAME, sizeof SMP_BOOTLOADER_NAME - 1u);
        return 0;
    }
    if (!cbor_text_eq(v[0].ptr, v[0].len, "mode")) { /* ATTACKER: query text, compared only */
        return fail(q, SMP_MGMT_EINVAL, SMP_OS_ERR_QUERY_NO_ANSWER, "query");
    }
    (void)cbor_put_map(&q->w, 2);
    (void)cbor_put_text(&q->w, "mode", 4);
    (void)cbor_put_uint(&q->w, SMP_BOOTLOADER_MODE);
    (void)cbor_put_text(&q->w, "no-downgrade", 12);
    (void)cbor_put_bool(&q->w, 1);
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

/* The final answer of a completed upload: {"off": total} plus, when the session had a sha
 * and the app checks it (ops.upload_match), "match" as MCUboot's img_mgmt. Returns 0. */
static int upload_final_rsp(req_t *q)
{
    smp_server_t *s = q->s;
    int match = -1;

    if (s->up.sha_len > 0u && s->ops->upload_match != NULL) {
        match = s->ops->upload_match(s->ops_ctx, s->up.sha, s->up.sha_len);
    }
    (void)cbor_put_map(&q->w, match < 0 ? 1u : 2u);
    (void)cbor_put_text(&q->w, "off", 3);
    (void)cbor_put_uint(&q->w, s->up.total_len);
    if (match >= 0) {
        (void)cbor_put_text(&q->w, "match", 5);
        (void)cbor_put_bool(&q->w, match != 0);
    }
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
            return upload_final_rsp(q);
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

#endif /* OTA_CORE_SMP_SERVER_GROUPS_H */
