/*
 * image_read.h - reading the image source: little-endian loads, constant-time compare,
 * bounded reads (img_read), streamed hashing and the single read pass of step 3.
 *
 * Internal to image.c (one translation unit, see there): static definitions included once by
 * image.c after its names table; not an API.
 */
#ifndef OTA_CORE_IMAGE_READ_H
#define OTA_CORE_IMAGE_READ_H

#ifndef OTA_CORE_IMAGE_UNIT
#error "image_read.h is internal to image.c"
#endif

/* ---- helpers -------------------------------------------------------------------------- */

/* Little-endian loads from local buffers. Return the value. */
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

/* Constant-time equality of n bytes. Returns 1 if equal, else 0. */
static int ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        d = (uint8_t)(d | (a[i] ^ b[i]));
    }
    return d == 0u;
}

/*
 * Read [off, off+len) of the source into dst. The range is checked against src->size
 * again here (defence in depth; callers check first).
 * Returns: IMG_OK, or `fail` on a range error or a reader error (kept in io_err/io_off).
 */
static img_result_t img_read(img_source_t *src, uint32_t off, void *dst, uint32_t len,
                             img_result_t fail)
{
    int rc;

    if (len > src->size || off > src->size - len) {
        return fail;
    }
    if (len == 0u) {
        return IMG_OK;
    }
    rc = src->read(src->ctx, off, dst, len);
    if (rc != 0) {
        src->io_err = rc;
        src->io_off = off;
        return fail;
    }
    return IMG_OK;
}

/* Call the progress hook if there is one. No return value. */
static void img_tick(const img_source_t *src)
{
    if (src->tick != NULL) {
        src->tick(src->ctx);
    }
}

/*
 * Hash [off, off+len) of the source into ctx in IMG_IO_CHUNK blocks (caller checked the
 * range). Returns IMG_OK or `fail` on a read error.
 */
static img_result_t img_hash_range(img_source_t *src, sha256_ctx_t *ctx, uint32_t off,
                                   uint32_t len, img_result_t fail)
{
    uint8_t buf[IMG_IO_CHUNK];
    uint32_t done = 0;

    while (done < len) {
        uint32_t n = len - done;
        img_result_t r;
        if (n > IMG_IO_CHUNK) {
            n = IMG_IO_CHUNK;
        }
        r = img_read(src, off + done, buf, n, fail);
        if (r != IMG_OK) {
            return r;
        }
        sha256_update(ctx, buf, n);
        done += n;
        img_tick(src);
    }
    return IMG_OK;
}

/*
 * The single read pass of step 3 (img_verify): [0, signed_end) is read once, in
 * IMG_IO_CHUNK blocks; every byte goes into the whole-image SHA-256 and every payload byte
 * also into the SHA-256 of its chunk-map chunk. When a chunk is complete its digest is
 * compared with CHUNK_HASHES[i] (32 bytes read from the protected area, which is inside the
 * signed region); the outcome is kept in m->chunk_result for step 6 (img_check_policy), which
 * reports it only after the signature verified, so the result order is unchanged.
 * Payload bytes go into both with sha256_update2 (one message schedule per block for both
 * when the two contexts are at the same block offset: hdr_size and chunk_size multiples of 64,
 * as every real image has; otherwise it falls back to two updates, same digests either way).
 */

typedef struct {
    sha256_ctx_t c;  /* the chunk being hashed */
    uint32_t index;  /* its index */
    uint32_t filled; /* payload bytes of it hashed so far (< chunk_size) */
} chunk_pass_t;

/*
 * Chunk cp->index is complete: compare its digest with the chunk map entry (chunks past
 * chunk_count are not checked: only reachable with MUT_SKIP_MANIFEST) and start the next.
 * A mismatch or a read error of the entry sets m->chunk_result = IMG_CHUNK_HASH (the first
 * such outcome is kept). No return value.
 */
static void pass_chunk_done(img_source_t *src, img_manifest_t *m, chunk_pass_t *cp)
{
    uint8_t got[32];
    uint8_t want[32];

    sha256_final(&cp->c, got);
    if (cp->index < m->chunk_count) {
        /* index < chunk_count = chunk_hashes_len / 32 (ATTACKER, bounded by img_parse to the
         * TLV value inside the protected area): the entry lies inside that value, no wrap */
        if (img_read(src, m->chunk_hashes_off + cp->index * 32u, want, 32u, IMG_CHUNK_HASH) !=
                IMG_OK ||
            !ct_equal(got, want, 32u)) {
            m->chunk_result = IMG_CHUNK_HASH;
        }
    }
    cp->index++;
    cp->filled = 0u;
    sha256_init(&cp->c);
}

/*
 * Hash `n` payload bytes at `p` (payload offset pay_off .. pay_off + n, inside the payload)
 * into `whole` and the chunk contexts, completing chunks at chunk_size boundaries and at the
 * payload end. No return value.
 */
static void pass_payload(img_source_t *src, img_manifest_t *m, chunk_pass_t *cp,
                         sha256_ctx_t *whole, const uint8_t *p, uint32_t pay_off, uint32_t n)
{
    while (n > 0u) {
        uint32_t k = m->chunk_size - cp->filled; /* > 0: chunk_size >= 512 (img_parse) */
        if (k > n) {
            k = n;
        }
        sha256_update2(whole, &cp->c, p, k);
        cp->filled += k;
        p += k;
        pay_off += k;
        n -= k;
        if (cp->filled == m->chunk_size || pay_off == m->img_size) {
            pass_chunk_done(src, m, cp);
        }
    }
}

/*
 * Step 3's read pass: whole SHA-256 of [0, signed_end) into m->computed_hash (flag
 * IMG_HAVE_COMPUTED) and the chunk-map outcome into m->chunk_result (flag IMG_HAVE_CHUNKS).
 * Returns IMG_OK, or IMG_HASH_MISMATCH on a read error of the signed region.
 */
static img_result_t verify_pass(img_source_t *src, img_manifest_t *m)
{
    uint32_t buf[IMG_IO_CHUNK / 4u]; /* word aligned for the port's word copies */
    uint8_t *b = (uint8_t *)buf;
    sha256_ctx_t whole;
    chunk_pass_t cp;
    /* payload [pay_start, pay_end) lies inside [0, signed_end): hdr_size + img_size <= size
     * (TOO_LARGE check) and signed_end = hdr_size + img_size + protect_tlv_size (img_parse) */
    uint32_t pay_start = m->hdr_size;
    uint32_t pay_end = m->hdr_size + m->img_size;
    uint32_t off = 0u;

    sha256_init(&whole);
    sha256_init(&cp.c);
    cp.index = 0u;
    cp.filled = 0u;
    m->chunk_result = IMG_OK;
    while (off < m->signed_end) {
        uint32_t n = m->signed_end - off;
        uint32_t s;
        uint32_t e;
        img_result_t r;
        if (n > IMG_IO_CHUNK) {
            n = IMG_IO_CHUNK;
        }
        r = img_read(src, off, b, n, IMG_HASH_MISMATCH);
        if (r != IMG_OK) {
            return r;
        }
        /* [off, s) before the payload, [s, e) payload, [e, off + n) after it */
        s = pay_start < off ? off : (pay_start < off + n ? pay_start : off + n);
        e = pay_end < s ? s : (pay_end < off + n ? pay_end : off + n);
        sha256_update(&whole, b, s - off);
        pass_payload(src, m, &cp, &whole, &b[s - off], s - pay_start, e - s);
        sha256_update(&whole, &b[e - off], off + n - e);
        off += n; /* <= signed_end */
        img_tick(src);
    }
    sha256_final(&whole, m->computed_hash);
    m->present |= IMG_HAVE_COMPUTED | IMG_HAVE_CHUNKS;
    return IMG_OK;
}

#endif /* OTA_CORE_IMAGE_READ_H */
