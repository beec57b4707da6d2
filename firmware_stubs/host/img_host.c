/*
 * img_host.c - host-side convenience API over core/image.c for ctypes (libotacore.so):
 * img_verify_buffer() runs every verification step over an in-memory slot image the way
 * the bootloader does. Also exports img_buffer_source() for C drivers (tests, fuzzing).
 */
#include <string.h>

#include "image.h"
#include "keyring.h"

/* Buffer reader context. */
typedef struct {
    const uint8_t *data;
    uint32_t len;
} img_buf_t;

/*
 * Reader over a buffer. img_read() already restricts [off, off+len) to the source size,
 * which is the buffer length; checked again here.
 * Returns 0, or -1 when the range is outside the buffer.
 */
static int img_buf_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    const img_buf_t *b = (const img_buf_t *)ctx;

    if (len > b->len || off > b->len - len) {
        return -1;
    }
    memcpy(dst, &b->data[off], len);
    return 0;
}

/* Copy the manifest fields into the report. No return value. */
static void report_manifest(img_host_report_t *out, const img_manifest_t *m)
{
    out->build = m->sec_cnt;
    out->key_id = m->key_id;
    out->hw_compat = m->hw_compat;
    out->target_slot = m->target_slot;
    out->image_type = m->image_type;
    out->img_size = m->img_size;
    out->hdr_size = m->hdr_size;
    out->protect_tlv_size = m->protect_tlv_size;
    out->chunk_size = m->chunk_size;
    out->chunk_count = m->chunk_count;
    out->self_test = m->self_test;
    out->signed_end = m->signed_end;
    out->image_end = m->image_end;
    memcpy(out->tlv_hash, m->sha256, sizeof(out->tlv_hash));
    memcpy(out->version, m->version, sizeof(out->version));
    if ((m->present & IMG_HAVE_COMPUTED) != 0u) {
        out->hash_valid = 1u;
        memcpy(out->hash, m->computed_hash, sizeof(out->hash));
    }
}

/* See image.h. Returns the img_result_t. */
int img_verify_buffer(const uint8_t *slot, uint32_t slot_len, const uint8_t *anchor,
                      uint32_t anchor_len, const img_host_policy_t *pol,
                      img_host_report_t *out)
{
    static const uint8_t empty[1] = {0};
    img_host_report_t scratch;
    img_buf_t buf;
    img_source_t src;
    img_manifest_t m;
    img_policy_t p;
    keyring_t kr;
    img_result_t r;
    int ar;

    if (out == NULL) {
        out = &scratch;
    }
    memset(out, 0, sizeof(*out));
    if (pol == NULL) {
        out->result = IMG_BAD_HEADER;
        return IMG_BAD_HEADER;
    }
    if (anchor == NULL || anchor_len == 0u) {
        keyring_init_empty(&kr);
        ar = KR_ERR_SHORT;
    } else {
        ar = keyring_parse(anchor, anchor_len, &kr);
    }
    out->anchor_result = ar;

    buf.data = slot != NULL ? slot : empty;
    buf.len = slot != NULL ? slot_len : 0u;
    memset(&src, 0, sizeof(src));
    src.read = img_buf_read;
    src.ctx = &buf;
    src.size = buf.len;

    out->stage = 1u;
    r = img_parse(&src, pol->hdr_size, &m);
    if (r == IMG_OK) {
        out->stage = 2u;
        r = img_verify(&src, &m, &kr);
        report_manifest(out, &m);
    }
    if (r == IMG_OK) {
        out->stage = 3u;
        p.hw_compat = pol->use_anchor ? kr.hw_compat : pol->hw_compat;
        p.floor = pol->use_anchor ? kr.floor : pol->floor;
        p.slot = pol->slot;
        p.image_type = pol->image_type;
        p.running_build = pol->running_build;
        p.erased_value = pol->erased_value;
        r = img_check_policy(&src, &m, &p);
        if (r == IMG_OK) {
            out->stage = 4u;
        }
    }
    out->result = (int32_t)r;
    return (int)r;
}
