/*
 * swapimg.c - MCUboot image header and TLV parsing, hash check, version order (swapimg.h).
 * Every value read from flash is ATTACKER-controlled: sizes and offsets are bounds-checked
 * against `limit` before they are used, additions are ordered so that nothing overflows.
 */
#include "swapimg.h"

#include <string.h>

#include "sha256.h"

/* Block buffer for hashing (a multiple of both write units; word aligned for the ports). */
static uint32_t img_buf[512u / 4u];

static uint32_t le16(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}

static uint32_t le32(const uint8_t *b)
{
    return le16(b) | le16(b + 2) << 16;
}

/* Read `len` bytes at off; SWAPIMG_ERR_READ on failure. */
static swapimg_result_t rd(const struct flash_area *fa, uint32_t off, void *buf, uint32_t len)
{
    return sflash_read(fa, off, buf, len, NULL) == SF_OK ? SWAPIMG_OK : SWAPIMG_ERR_READ;
}

/* Walk one TLV area [start, end) (after its info header). prot = 1 for the protected area.
 * Records the TLVs it knows in *info. */
static swapimg_result_t walk_tlvs(const struct flash_area *fa, uint32_t start, uint32_t end,
                                  int prot, swapimg_info_t *info)
{
    uint32_t off = start;
    uint8_t th[4];

    while (off < end) {
        uint32_t type;
        uint32_t len;
        swapimg_result_t r;

        if (end - off < 4u) {
            return SWAPIMG_ERR_TLV; /* a TLV header runs past the area */
        }
        r = rd(fa, off, th, 4u);
        if (r != SWAPIMG_OK) {
            return r;
        }
        type = le16(th);    /* ATTACKER */
        len = le16(th + 2); /* ATTACKER */
        off += 4u;
        if (len > end - off) {
            return SWAPIMG_ERR_TLV; /* the value runs past the area */
        }
        if (prot) {
            if (type == SWAPIMG_TLV_SEC_CNT) {
                uint8_t v[4];
                if (info->has_sec_cnt || len != 4u) {
                    return SWAPIMG_ERR_TLV;
                }
                r = rd(fa, off, v, 4u);
                if (r != SWAPIMG_OK) {
                    return r;
                }
                info->has_sec_cnt = 1;
                info->sec_cnt = le32(v);
            } else if (type == SWAPIMG_TLV_SELF_TEST) {
                uint8_t v[4] = {0, 0, 0, 0};
                if (len == 0u || len > 4u) {
                    return SWAPIMG_ERR_TLV;
                }
                r = rd(fa, off, v, len);
                if (r != SWAPIMG_OK) {
                    return r;
                }
                info->self_test = le32(v);
            }
            /* other protected TLVs (dependencies, boot record, UUIDs, ...) are ignored */
        } else {
            uint32_t *slot;
            uint32_t want;
            switch (type) {
            case SWAPIMG_TLV_SHA256:    slot = &info->sha_off;     want = 32u; break;
            case SWAPIMG_TLV_KEYHASH:   slot = &info->keyhash_off; want = 32u; break;
            case SWAPIMG_TLV_ECDSA_SIG: slot = &info->sig_off;     want = 0u;  break;
            default:
                return SWAPIMG_ERR_TLV; /* not on the allow list of unprotected TLVs */
            }
            if (*slot != 0u || (want != 0u && len != want) ||
                (want == 0u && (len < 8u || len > 72u))) {
                return SWAPIMG_ERR_TLV; /* duplicate or wrong length */
            }
            *slot = off;
            if (type == SWAPIMG_TLV_ECDSA_SIG) {
                info->sig_len = len;
            }
        }
        off += len;
    }
    return SWAPIMG_OK;
}

swapimg_result_t swapimg_parse(const struct flash_area *fa, uint32_t limit, swapimg_info_t *info)
{
    uint8_t h[32];
    uint8_t ti[4];
    uint32_t tlv_off;
    uint32_t tot;
    swapimg_result_t r;

    memset(info, 0, sizeof(*info));
    info->key_index = -1;
    if (fa == NULL || limit > fa->fa_size || limit < SWAPIMG_HDR_MIN) {
        return SWAPIMG_ERR_HEADER;
    }
    r = rd(fa, 0u, h, sizeof(h));
    if (r != SWAPIMG_OK) {
        return r;
    }
    if (le32(h) != SWAPIMG_MAGIC) {
        return SWAPIMG_ERR_MAGIC;
    }
    info->hdr_size = le16(h + 8);          /* ATTACKER */
    info->protect_tlv_size = le16(h + 10); /* ATTACKER */
    info->img_size = le32(h + 12);         /* ATTACKER */
    info->flags = le32(h + 16);            /* ATTACKER */
    info->ver_major = h[20];
    info->ver_minor = h[21];
    info->ver_revision = (uint16_t)le16(h + 22);
    info->ver_build = le32(h + 24);
    if (info->hdr_size < SWAPIMG_HDR_MIN || info->hdr_size > limit || info->img_size == 0u ||
        info->img_size > limit - info->hdr_size) {
        return SWAPIMG_ERR_HEADER;
    }
    if ((info->flags & (SWAPIMG_F_ENCRYPTED_AES128 | SWAPIMG_F_ENCRYPTED_AES256 |
                        SWAPIMG_F_NON_BOOTABLE | SWAPIMG_F_RAM_LOAD)) != 0u) {
        return SWAPIMG_ERR_FLAGS;
    }
    tlv_off = info->hdr_size + info->img_size; /* <= limit, checked above */
    if (info->protect_tlv_size != 0u) {
        if (info->protect_tlv_size < 4u || info->protect_tlv_size > limit - tlv_off) {
            return SWAPIMG_ERR_TOO_LARGE;
        }
        r = rd(fa, tlv_off, ti, 4u);
        if (r != SWAPIMG_OK) {
            return r;
        }
        if (le16(ti) != SWAPIMG_TLV_PROT_MAGIC || le16(ti + 2) != info->protect_tlv_size) {
            return SWAPIMG_ERR_TLV;
        }
        r = walk_tlvs(fa, tlv_off + 4u, tlv_off + info->protect_tlv_size, 1, info);
        if (r != SWAPIMG_OK) {
            return r;
        }
    }
    info->signed_end = tlv_off + info->protect_tlv_size;
    if (limit - info->signed_end < 4u) {
        return SWAPIMG_ERR_TOO_LARGE;
    }
    r = rd(fa, info->signed_end, ti, 4u);
    if (r != SWAPIMG_OK) {
        return r;
    }
    tot = le16(ti + 2); /* ATTACKER */
    if (le16(ti) != SWAPIMG_TLV_INFO_MAGIC || tot < 4u) {
        return SWAPIMG_ERR_TLV;
    }
    if (tot > limit - info->signed_end) {
        return SWAPIMG_ERR_TOO_LARGE;
    }
    info->image_end = info->signed_end + tot;
    r = walk_tlvs(fa, info->signed_end + 4u, info->image_end, 0, info);
    if (r != SWAPIMG_OK) {
        return r;
    }
    if (info->sha_off == 0u) {
        return SWAPIMG_ERR_NO_HASH;
    }
    return rd(fa, info->sha_off, info->sha256, 32u);
}

swapimg_result_t swapimg_check_hash(const struct flash_area *fa, const swapimg_info_t *info)
{
    sha256_ctx_t ctx;
    uint8_t digest[32];
    uint32_t off = 0;

    sha256_init(&ctx);
    while (off < info->signed_end) {
        uint32_t n = info->signed_end - off;
        if (n > sizeof(img_buf)) {
            n = sizeof(img_buf);
        }
        if (rd(fa, off, img_buf, n) != SWAPIMG_OK) {
            return SWAPIMG_ERR_READ;
        }
        sha256_update(&ctx, img_buf, n);
        off += n;
    }
    sha256_final(&ctx, digest);
    return memcmp(digest, info->sha256, 32u) == 0 ? SWAPIMG_OK : SWAPIMG_ERR_HASH;
}

int swapimg_version_cmp(const swapimg_info_t *a, const swapimg_info_t *b)
{
    if (a->ver_major != b->ver_major) {
        return a->ver_major < b->ver_major ? -1 : 1;
    }
    if (a->ver_minor != b->ver_minor) {
        return a->ver_minor < b->ver_minor ? -1 : 1;
    }
    if (a->ver_revision != b->ver_revision) {
        return a->ver_revision < b->ver_revision ? -1 : 1;
    }
    if (a->ver_build != b->ver_build) {
        return a->ver_build < b->ver_build ? -1 : 1;
    }
    return 0;
}

const char *swapimg_result_name(swapimg_result_t r)
{
    switch (r) {
    case SWAPIMG_OK:              return "ok";
    case SWAPIMG_ERR_READ:        return "read error";
    case SWAPIMG_ERR_MAGIC:       return "bad image magic";
    case SWAPIMG_ERR_HEADER:      return "bad header";
    case SWAPIMG_ERR_FLAGS:       return "unsupported flags";
    case SWAPIMG_ERR_TLV:         return "bad TLV area";
    case SWAPIMG_ERR_TOO_LARGE:   return "too large";
    case SWAPIMG_ERR_NO_HASH:     return "no hash";
    case SWAPIMG_ERR_HASH:        return "hash mismatch";
    case SWAPIMG_ERR_NO_SIG:      return "no signature";
    case SWAPIMG_ERR_KEY_UNKNOWN: return "unknown key";
    case SWAPIMG_ERR_KEY_REVOKED: return "revoked key";
    case SWAPIMG_ERR_SIGNATURE:   return "bad signature";
    case SWAPIMG_ERR_NO_SEC_CNT:  return "no security counter";
    default:                      return "unknown";
    }
}
