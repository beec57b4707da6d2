/*
 * image_tlv.h - the TLV areas (step 2): known types, the structure and field walk, the
 * value capture and the BAD_FIELD checks.
 *
 * Internal to image.c (one translation unit, see there): static definitions included once by
 * image.c after its names table; not an API.
 */
#ifndef OTA_CORE_IMAGE_TLV_H
#define OTA_CORE_IMAGE_TLV_H

#ifndef OTA_CORE_IMAGE_UNIT
#error "image_tlv.h is internal to image.c"
#endif

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

#endif /* OTA_CORE_IMAGE_TLV_H */
