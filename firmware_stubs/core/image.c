/*
 * image.c - signed image verification (see image.h for the order and the decision table).
 *
 * Conventions:
 *  - Every value read from the image is marked ATTACKER where it enters; all offset/length
 *    arithmetic on such values is done as "x <= limit && y <= limit - x" in uint32_t, so it
 *    cannot wrap.
 *  - The image is read only through img_read(), which re-checks the range against the
 *    source size and maps a reader error to the result of the step that was reading.
 *  - No heap, no recursion; every loop is bounded by the source size (TLV walks advance by
 *    at least 4 bytes per TLV; streamed hashing advances by up to IMG_IO_CHUNK bytes).
 */
#include "image.h"

#include <string.h>

#include "mut_hooks.h"
#include "p256.h"
#include "sha256.h"

/* ---- names ---------------------------------------------------------------------------- */

/* Indexed by img_result_t; NULL = unassigned. */
static const char *const img_names[IMG_RESULT_MAX + 1] = {
    [IMG_OK] = "ok",
    [IMG_BAD_MAGIC] = "bad_magic",
    [IMG_BAD_HEADER] = "bad_header",
    [IMG_TOO_LARGE] = "too_large",
    [IMG_TLV_MAGIC] = "tlv_magic",
    [IMG_TLV_OVERRUN] = "tlv_overrun",
    [IMG_TLV_TRUNCATED] = "tlv_truncated",
    [IMG_DUPLICATE_TLV] = "duplicate_tlv",
    [IMG_MISSING_FIELD] = "missing_field",
    [IMG_BAD_FIELD] = "bad_field",
    [IMG_CHUNK_MAP] = "chunk_map",
    [IMG_CHUNK_HASH] = "chunk_hash",
    [IMG_NO_HASH] = "no_hash",
    [IMG_HASH_MISMATCH] = "hash_mismatch",
    [IMG_NO_SIGNATURE] = "no_signature",
    [IMG_KEY_UNKNOWN] = "key_unknown",
    [IMG_KEY_REVOKED] = "key_revoked",
    [IMG_KEYID_MISMATCH] = "keyid_mismatch",
    [IMG_BAD_SIGNATURE] = "bad_signature",
    [IMG_HW_MISMATCH] = "hw_mismatch",
    [IMG_WRONG_SLOT] = "wrong_slot",
    [IMG_BELOW_FLOOR] = "below_floor",
    [IMG_REPLAY] = "replay",
    [IMG_TRAILING_DATA] = "trailing_data",
    [IMG_WRONG_TYPE] = "wrong_type",
};

/* See image.h. Returns a static name, "unknown" for unassigned numbers. */
const char *img_result_name(int result)
{
    if (result < 0 || result > IMG_RESULT_MAX || img_names[result] == NULL) {
        return "unknown";
    }
    return img_names[result];
}

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

/* ---- TLV walking ---------------------------------------------------------------------- */

#define AREA_PROT   0
#define AREA_UNPROT 1

/* One known TLV type: area, IMG_HAVE_* bit. */
typedef struct {
    uint16_t type;
    uint8_t area;
    uint8_t slot;   /* index into parse_ctx_t.len[] */
    uint32_t bit;
} tlv_kind_t;

#define KIND_COUNT 13u

/* Known types, in the order the BAD_FIELD checks run (type order per area). */
static const tlv_kind_t kinds[KIND_COUNT] = {
    {IMG_TLV_SEC_CNT, AREA_PROT, 0u, IMG_HAVE_SEC_CNT},
    {IMG_TLV_KEY_ID, AREA_PROT, 1u, IMG_HAVE_KEY_ID},
    {IMG_TLV_HW_COMPAT, AREA_PROT, 2u, IMG_HAVE_HW_COMPAT},
    {IMG_TLV_IMAGE_TYPE, AREA_PROT, 3u, IMG_HAVE_IMAGE_TYPE},
    {IMG_TLV_TARGET_SLOT, AREA_PROT, 4u, IMG_HAVE_TARGET_SLOT},
    {IMG_TLV_PAYLOAD_SIZE, AREA_PROT, 5u, IMG_HAVE_PAYLOAD_SIZE},
    {IMG_TLV_CHUNK_SIZE, AREA_PROT, 6u, IMG_HAVE_CHUNK_SIZE},
    {IMG_TLV_CHUNK_HASHES, AREA_PROT, 7u, IMG_HAVE_CHUNK_HASHES},
    {IMG_TLV_VERSION, AREA_PROT, 8u, IMG_HAVE_VERSION},
    {IMG_TLV_SELF_TEST, AREA_PROT, 9u, IMG_HAVE_SELF_TEST},
    {IMG_TLV_SHA256, AREA_UNPROT, 10u, IMG_HAVE_SHA256},
    {IMG_TLV_KEYHASH, AREA_UNPROT, 11u, IMG_HAVE_KEYHASH},
    {IMG_TLV_ECDSA_SIG, AREA_UNPROT, 12u, IMG_HAVE_ECDSA_SIG},
};

/* Required exactly once and checked as MISSING_FIELD in step 2 (SHA256 and ECDSA_SIG are
 * reported by steps 3/4 as NO_HASH / NO_SIGNATURE). */
#define REQUIRED_STEP2                                                                    \
    (IMG_HAVE_SEC_CNT | IMG_HAVE_KEY_ID | IMG_HAVE_HW_COMPAT | IMG_HAVE_IMAGE_TYPE |       \
     IMG_HAVE_TARGET_SLOT | IMG_HAVE_PAYLOAD_SIZE | IMG_HAVE_CHUNK_SIZE |                  \
     IMG_HAVE_CHUNK_HASHES | IMG_HAVE_KEYHASH)

typedef struct {
    uint32_t len[KIND_COUNT];  /* declared length of each known TLV (ATTACKER) */
    uint32_t u32[KIND_COUNT];  /* value of 4-byte TLVs */
} parse_ctx_t;

/* Returns the kinds[] entry for (type, area), or NULL for a type unknown in that area. */
static const tlv_kind_t *kind_of(uint32_t type, int area)
{
    uint32_t i;

    for (i = 0; i < KIND_COUNT; i++) {
        if (kinds[i].type == type && kinds[i].area == area) {
            return &kinds[i];
        }
    }
    return NULL;
}

/*
 * Capture the value of a known TLV at source offset `voff` (len bytes, already checked to
 * lie inside the area) into the manifest, if its length is one the field can hold; wrong
 * lengths are left for the BAD_FIELD checks.
 * Returns IMG_OK, or IMG_TLV_OVERRUN on a read error.
 */
static img_result_t capture(img_source_t *src, const tlv_kind_t *k, uint32_t voff,
                            uint32_t len, img_manifest_t *m, parse_ctx_t *pc)
{
    uint8_t b[4];
    img_result_t r = IMG_OK;

    pc->len[k->slot] = len;
    switch (k->type) {
    case IMG_TLV_CHUNK_HASHES:
        m->chunk_hashes_off = voff; /* read later, one hash at a time */
        m->chunk_hashes_len = len;
        break;
    case IMG_TLV_VERSION:
        if (len >= 1u && len <= IMG_VERSION_MAX) {
            r = img_read(src, voff, m->version, len, IMG_TLV_OVERRUN);
            m->version[len] = '\0';
        }
        break;
    case IMG_TLV_SHA256:
        if (len == 32u) {
            r = img_read(src, voff, m->sha256, 32u, IMG_TLV_OVERRUN);
        }
        break;
    case IMG_TLV_KEYHASH:
        if (len == 32u) {
            r = img_read(src, voff, m->keyhash, 32u, IMG_TLV_OVERRUN);
        }
        break;
    case IMG_TLV_ECDSA_SIG:
        m->sig_len = len;
        if (len <= IMG_SIG_MAX) {
            r = img_read(src, voff, m->sig, len, IMG_TLV_OVERRUN);
        }
        break;
    default: /* the u32 fields */
        if (len == 4u) {
            r = img_read(src, voff, b, 4u, IMG_TLV_OVERRUN);
            pc->u32[k->slot] = le32(b);
        }
        break;
    }
    return r;
}

/*
 * Walk the TLVs of one area [start, end) (end <= src->size, checked by the caller).
 *   fields == 0: structure only -> IMG_TLV_OVERRUN when a TLV header or value runs past
 *                `end`, IMG_TLV_TRUNCATED on a read error of a TLV header.
 *   fields == 1: (structure already checked) -> IMG_DUPLICATE_TLV for the second instance
 *                of a known type; known values are captured.
 * Returns IMG_OK or the codes above (IMG_TLV_OVERRUN also for a value read error).
 */
static img_result_t walk(img_source_t *src, uint32_t start, uint32_t end, int area,
                         int fields, img_manifest_t *m, parse_ctx_t *pc)
{
    uint32_t off = start;

    /* Each pass of the loop advances off by >= 4, so at most (end - start) / 4 passes. */
    while (off < end) {
        uint8_t th[4];
        uint32_t type;
        uint32_t len;
        img_result_t r;

        if (end - off < 4u) {
            return IMG_TLV_OVERRUN; /* a TLV header runs past its area */
        }
        r = img_read(src, off, th, 4u, IMG_TLV_TRUNCATED);
        if (r != IMG_OK) {
            return r;
        }
        type = le16(&th[0]); /* ATTACKER */
        len = le16(&th[2]);  /* ATTACKER: checked against the area below */
        if (len > end - off - 4u) {
            return IMG_TLV_OVERRUN;
        }
        if (fields) {
            const tlv_kind_t *k = kind_of(type, area);
            if (k != NULL) {
                if ((m->present & k->bit) != 0u) {
                    return IMG_DUPLICATE_TLV;
                }
                m->present |= k->bit;
                r = capture(src, k, off + 4u, len, m, pc);
                if (r != IMG_OK) {
                    return r;
                }
            }
        }
        off += 4u + len; /* <= end by the check above */
    }
    return IMG_OK;
}

/* Returns 1 if v is a power of two in [IMG_CHUNK_MIN, IMG_CHUNK_MAX], else 0. */
static int chunk_size_ok(uint32_t v)
{
    return v >= IMG_CHUNK_MIN && v <= IMG_CHUNK_MAX && (v & (v - 1u)) == 0u;
}

/* Returns 1 if every byte of s[0..n) is printable ASCII (0x20..0x7e), else 0. */
static int printable(const char *s, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20u || (unsigned char)s[i] > 0x7eu) {
            return 0;
        }
    }
    return 1;
}

/*
 * The BAD_FIELD checks of step 2, in type order (all give the same code).
 * Returns IMG_OK or IMG_BAD_FIELD.
 */
static img_result_t check_fields(img_manifest_t *m, const parse_ctx_t *pc)
{
    uint32_t i;

    /* 4-byte fields: SEC_CNT .. CHUNK_SIZE (slots 0..6) must be exactly 4 bytes. */
    for (i = 0; i <= 6u; i++) {
        if (pc->len[i] != 4u) {
            return IMG_BAD_FIELD;
        }
    }
    m->sec_cnt = pc->u32[0];
    m->key_id = pc->u32[1];
    m->hw_compat = pc->u32[2];
    m->image_type = pc->u32[3];
    m->target_slot = pc->u32[4];
    m->payload_size = pc->u32[5];
    m->chunk_size = pc->u32[6];

    /*
     * | field        | rule                                     |
     * |--------------|------------------------------------------|
     * | SEC_CNT      | == header build_num                      |
     * | TARGET_SLOT  | 0 (A) or 1 (B)                           |
     * | PAYLOAD_SIZE | == header img_size                       |
     * | CHUNK_SIZE   | power of two, 512 .. 65536               |
     * | CHUNK_HASHES | length a multiple of 32                  |
     * | VERSION      | 1..32 printable ASCII (optional)         |
     * | SELF_TEST    | 4 bytes, 0..2 (optional)                 |
     * | SHA256       | 32 bytes (when present)                  |
     * | KEYHASH      | 32 bytes                                 |
     */
    if (m->sec_cnt != m->build_num) {
        return IMG_BAD_FIELD;
    }
    if (m->target_slot > 1u) {
        return IMG_BAD_FIELD;
    }
    if (m->payload_size != m->img_size) {
        return IMG_BAD_FIELD;
    }
    if (!chunk_size_ok(m->chunk_size)) {
        return IMG_BAD_FIELD;
    }
    if ((m->chunk_hashes_len % 32u) != 0u) {
        return IMG_BAD_FIELD;
    }
    if ((m->present & IMG_HAVE_VERSION) != 0u) {
        uint32_t n = pc->len[8];
        if (n < 1u || n > IMG_VERSION_MAX || !printable(m->version, n)) {
            return IMG_BAD_FIELD;
        }
        m->has_version = 1u;
    }
    if ((m->present & IMG_HAVE_SELF_TEST) != 0u) {
        if (pc->len[9] != 4u || pc->u32[9] > IMG_SELF_TEST_MAX) {
            return IMG_BAD_FIELD;
        }
        m->self_test = pc->u32[9];
    }
    if ((m->present & IMG_HAVE_SHA256) != 0u && pc->len[10] != 32u) {
        return IMG_BAD_FIELD;
    }
    if (pc->len[11] != 32u) {
        return IMG_BAD_FIELD;
    }
    return IMG_OK;
}

/* ---- step 1-2 ------------------------------------------------------------------------- */

/*
 * Step 1: the 32-byte header. Fills the header fields of m.
 * Returns IMG_OK, IMG_BAD_MAGIC, IMG_BAD_HEADER or IMG_TOO_LARGE.
 */
static img_result_t parse_header(img_source_t *src, uint32_t hdr_size, img_manifest_t *m)
{
    uint8_t h[IMG_HEADER_BYTES];
    uint32_t n = src->size < IMG_HEADER_BYTES ? src->size : IMG_HEADER_BYTES;
    img_result_t r;

    if (src->size < 4u) {
        return IMG_BAD_MAGIC;
    }
    r = img_read(src, 0u, h, n, IMG_BAD_HEADER);
    if (r != IMG_OK) {
        return r;
    }
    if (le32(&h[0]) != IMG_MAGIC) {
        return IMG_BAD_MAGIC;
    }
    if (n < IMG_HEADER_BYTES) {
        return IMG_BAD_HEADER;
    }
    m->hdr_size = le16(&h[8]);          /* ATTACKER */
    m->protect_tlv_size = le16(&h[10]); /* ATTACKER */
    m->img_size = le32(&h[12]);         /* ATTACKER */
    m->flags = le32(&h[16]);
    m->ver_major = h[20];
    m->ver_minor = h[21];
    m->ver_revision = (uint16_t)le16(&h[22]);
    m->build_num = le32(&h[24]);

    if (hdr_size < IMG_HEADER_BYTES || m->hdr_size != hdr_size || m->flags != 0u ||
        m->img_size == 0u) {
        return IMG_BAD_HEADER;
    }
    /* The payload must fit the slot: hdr_size + img_size <= size, without wrapping. */
    if (m->hdr_size > src->size || m->img_size > src->size - m->hdr_size) {
        return IMG_TOO_LARGE;
    }
    return IMG_OK;
}

/*
 * Read and check one TLV area info at `off` (4 bytes: magic, tlv_tot).
 *   magic: expected magic; *tot receives tlv_tot.
 * Returns IMG_OK, IMG_TLV_TRUNCATED (info not inside the source / read error) or
 *   IMG_TLV_MAGIC.
 */
static img_result_t read_info(img_source_t *src, uint32_t off, uint32_t magic,
                              uint32_t *tot)
{
    uint8_t b[4];
    img_result_t r;

    if (off > src->size || src->size - off < 4u) {
        return IMG_TLV_TRUNCATED;
    }
    r = img_read(src, off, b, 4u, IMG_TLV_TRUNCATED);
    if (r != IMG_OK) {
        return r;
    }
    if (le16(&b[0]) != magic) {
        return IMG_TLV_MAGIC;
    }
    *tot = le16(&b[2]); /* ATTACKER */
    return IMG_OK;
}

/* See image.h. Returns an img_result_t of steps 1-2. */
img_result_t img_parse(img_source_t *src, uint32_t hdr_size, img_manifest_t *m)
{
    parse_ctx_t pc;
    uint32_t p_off;   /* protected area start */
    uint32_t u_off;   /* unprotected area start */
    uint32_t u_tot;
    img_result_t r;

    if (src == NULL || src->read == NULL || m == NULL) {
        return IMG_BAD_HEADER;
    }
    memset(m, 0, sizeof(*m));
    memset(&pc, 0, sizeof(pc));
    src->io_err = 0;
    src->io_off = 0u;

    /* step 1 */
    r = parse_header(src, hdr_size, m);
    if (r != IMG_OK) {
        return r;
    }

    /* step 2a: structure. p_off <= size by the TOO_LARGE check. */
    p_off = m->hdr_size + m->img_size;
    if (m->protect_tlv_size != 0u) {
        uint32_t p_tot = 0;
        r = read_info(src, p_off, IMG_TLV_PROT_MAGIC, &p_tot);
        if (r != IMG_OK) {
            return r;
        }
        /* shorter than its own info, != header protect_tlv_size, or past the source */
        if (p_tot < 4u || p_tot != m->protect_tlv_size || p_tot > src->size - p_off) {
            return IMG_TLV_TRUNCATED;
        }
        r = walk(src, p_off + 4u, p_off + m->protect_tlv_size, AREA_PROT, 0, m, &pc);
        if (r != IMG_OK) {
            return r;
        }
    }
    u_off = p_off + m->protect_tlv_size; /* <= size (checked above, or protect == 0) */
    r = read_info(src, u_off, IMG_TLV_INFO_MAGIC, &u_tot);
    if (r != IMG_OK) {
        return r;
    }
    if (u_tot < 4u || u_tot > src->size - u_off) {
        return IMG_TLV_TRUNCATED;
    }
    r = walk(src, u_off + 4u, u_off + u_tot, AREA_UNPROT, 0, m, &pc);
    if (r != IMG_OK) {
        return r;
    }
    m->signed_end = u_off;
    m->image_end = u_off + u_tot;

    /* step 2b: fields. Duplicates in image order (protected area first). */
    if (m->protect_tlv_size != 0u) {
        r = walk(src, p_off + 4u, p_off + m->protect_tlv_size, AREA_PROT, 1, m, &pc);
        if (r != IMG_OK) {
            return r;
        }
    }
    r = walk(src, u_off + 4u, u_off + u_tot, AREA_UNPROT, 1, m, &pc);
    if (r != IMG_OK) {
        return r;
    }
    if ((m->present & REQUIRED_STEP2) != REQUIRED_STEP2) {
        return IMG_MISSING_FIELD;
    }
    r = check_fields(m, &pc);
    if (r != IMG_OK) {
        return r;
    }
    /* CHUNK_MAP: exactly ceil(img_size / chunk_size) hashes (chunk_size >= 512 here). */
    m->chunk_count = m->chunk_hashes_len / 32u;
    if (!MUT_HOOK_SKIP_CHUNK_MAP_CHECK() &&
        m->chunk_count !=
            m->img_size / m->chunk_size + ((m->img_size % m->chunk_size) != 0u ? 1u : 0u)) {
        return IMG_CHUNK_MAP;
    }
    return IMG_OK;
}

/* ---- steps 3-5 ------------------------------------------------------------------------ */

/* DER SubjectPublicKeyInfo prefix of an uncompressed P-256 key (id-ecPublicKey,
 * prime256v1, BIT STRING of 66 bytes), followed by 0x04 || X || Y. */
static const uint8_t spki_prefix[26] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

/* See image.h. Returns nothing. */
void img_spki_hash(const uint8_t pub64[64], uint8_t out32[32])
{
    static const uint8_t uncompressed = 0x04u;
    sha256_ctx_t c;

    sha256_init(&c);
    sha256_update(&c, spki_prefix, sizeof(spki_prefix));
    sha256_update(&c, &uncompressed, 1u);
    sha256_update(&c, pub64, 64u);
    sha256_final(&c, out32);
}

/* See image.h. Returns an img_result_t of steps 3-5. */
img_result_t img_verify(img_source_t *src, img_manifest_t *m, const keyring_t *kr)
{
    const kr_key_t *key = NULL;
    uint8_t kh[32];
    uint8_t r32[32];
    uint8_t s32[32];
    img_result_t r;

    if (src == NULL || src->read == NULL || m == NULL || kr == NULL) {
        return IMG_HASH_MISMATCH;
    }
    /* step 3: integrity of [0, signed_end) (inside the source: checked by img_parse) */
    if ((m->present & IMG_HAVE_SHA256) == 0u) {
        return IMG_NO_HASH;
    }
    r = verify_pass(src, m); /* one read pass: whole hash + chunk-map hashes */
    if (r != IMG_OK) {
        return r;
    }
    if (!ct_equal(m->computed_hash, m->sha256, 32u)) {
        return IMG_HASH_MISMATCH;
    }

    /* step 4: key policy */
    if ((m->present & IMG_HAVE_ECDSA_SIG) == 0u) {
        return IMG_NO_SIGNATURE;
    }
    switch (keyring_lookup(kr, m->key_id, &key)) {
    case KR_KEY_FOUND:
        break;
    case KR_KEY_REVOKED:
        if (!MUT_HOOK_USE_REVOKED_KEY()) {
            return IMG_KEY_REVOKED;
        }
        /* planted (mut_hooks.h, item 10): the revoked key is used like an allowed one */
        for (uint32_t i = 0; i < kr->count && i < KR_MAX_KEYS && key == NULL; i++) {
            if (kr->keys[i].key_id == m->key_id) {
                key = &kr->keys[i];
            }
        }
        break;
    default:
        return IMG_KEY_UNKNOWN;
    }
    img_spki_hash(key->pub, kh);
    if (!ct_equal(kh, m->keyhash, 32u)) {
        return IMG_KEYID_MISMATCH;
    }

    /* step 5: signature (DER strictly parsed; any failure is BAD_SIGNATURE) */
    if (m->sig_len > IMG_SIG_MAX) {
        return IMG_BAD_SIGNATURE;
    }
    if (p256_der_to_rs(m->sig, m->sig_len, r32, s32) != 0) {
        return IMG_BAD_SIGNATURE;
    }
    img_tick(src);
    if (!MUT_HOOK_SKIP_SIGNATURE_CHECK() &&
        p256_verify(key->pub, m->computed_hash, r32, s32) != P256_OK) {
        return IMG_BAD_SIGNATURE;
    }
    img_tick(src);
    return IMG_OK;
}

/* ---- steps 6-8 ------------------------------------------------------------------------ */

/* See image.h. Returns an img_result_t of steps 6-8. */
img_result_t img_check_policy(img_source_t *src, const img_manifest_t *m,
                              const img_policy_t *pol)
{
    uint32_t i;
    uint32_t tail;
    img_result_t r;

    if (src == NULL || src->read == NULL || m == NULL || pol == NULL) {
        return IMG_CHUNK_HASH;
    }
    /* step 6a: chunk hashes, computed by img_verify's read pass (one pass over the payload)
     * when it ran; otherwise re-hashed here. chunk_count == ceil(img_size / chunk_size)
     * (img_parse), so i * chunk_size < img_size for every i < chunk_count: no wrap. The
     * hashes lie inside the protected area (img_parse). */
    if ((m->present & IMG_HAVE_CHUNKS) != 0u) {
        if (m->chunk_result != IMG_OK) {
            return IMG_CHUNK_HASH;
        }
    }
    for (i = 0; (m->present & IMG_HAVE_CHUNKS) == 0u && i < m->chunk_count; i++) {
        sha256_ctx_t c;
        uint8_t got[32];
        uint8_t want[32];
        uint32_t start = i * m->chunk_size;
        uint32_t n;
        if (MUT_HOOK_IGNORE_EXTRA_CHUNK_HASHES() && start >= m->img_size) {
            break; /* planted (mut_hooks.h, item 7): hashes beyond the payload ignored */
        }
        n = m->img_size - start;
        if (n > m->chunk_size) {
            n = m->chunk_size;
        }
        sha256_init(&c);
        r = img_hash_range(src, &c, m->hdr_size + start, n, IMG_CHUNK_HASH);
        if (r != IMG_OK) {
            return r;
        }
        sha256_final(&c, got);
        r = img_read(src, m->chunk_hashes_off + i * 32u, want, 32u, IMG_CHUNK_HASH);
        if (r != IMG_OK) {
            return r;
        }
        if (!ct_equal(got, want, 32u)) {
            return IMG_CHUNK_HASH;
        }
    }
    /* step 6b-d */
    if (m->hw_compat != pol->hw_compat) {
        return IMG_HW_MISMATCH;
    }
    if (m->target_slot != pol->slot) {
        return IMG_WRONG_SLOT;
    }
    if (m->image_type != pol->image_type) {
        return IMG_WRONG_TYPE;
    }
    /* step 7: freshness (the build is SEC_CNT == header build_num) */
    if (m->sec_cnt + MUT_HOOK_FLOOR_SLACK() < pol->floor) { /* slack: 0 (mut_hooks.h) */
        return IMG_BELOW_FLOOR;
    }
    if (pol->running_build != 0u && m->sec_cnt <= pol->running_build) {
        return IMG_REPLAY;
    }
    /* step 8: the bytes after the image end inside the slot must be erased */
    tail = src->size - m->image_end; /* image_end <= size (img_parse) */
    if (tail > IMG_TAIL_BYTES) {
        tail = IMG_TAIL_BYTES;
    }
    if (tail != 0u) {
        uint8_t b[IMG_TAIL_BYTES];
        r = img_read(src, m->image_end, b, tail, IMG_TRAILING_DATA);
        if (r != IMG_OK) {
            return r;
        }
        for (i = 0; i < tail; i++) {
            if (b[i] != (uint8_t)pol->erased_value) {
                return IMG_TRAILING_DATA;
            }
        }
    }
    return IMG_OK;
}
