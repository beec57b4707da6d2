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
 *
 * One translation unit in three files, so that the compiler sees every static helper next to
 * the steps it inlines into (the verifier's instruction counts are part of the evidence):
 * image_read.h (bounded reads, hashing, the single read pass of step 3) and image_tlv.h (TLV
 * walking, the BAD_FIELD checks) are internal to this file and included once, below.
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

/* ---- internal parts: helpers + read pass, TLV walking ----------------------------------- */

/* Included here, after the names: definitions keep their source order in the object. */
#define OTA_CORE_IMAGE_UNIT 1 /* the internal parts check it */
#include "image_read.h"
#include "image_tlv.h"

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
        p256_verify_sig(key->pub, m->computed_hash, r32, s32) != P256_OK) {
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
