/*
 * swapsig.c - key lookup and ECDSA P-256 signature check of MCUboot images (swapimg.h
 * swapimg_validate, keys.h swap_key_find). Bootloader and serial recovery only: the
 * application never verifies signatures (as an MCUboot application's img_mgmt).
 */
#include <string.h>

#include "keys.h"
#include "p256.h"
#include "sha256.h"
#include "swap_hooks.h"
#include "swapimg.h"

int swap_key_find(const uint8_t keyhash[32])
{
    uint8_t h[32];
    unsigned i;

    for (i = 0; i < swap_key_count; i++) {
        sha256(swap_keys[i].der, swap_keys[i].der_len, h);
        if (memcmp(h, keyhash, 32u) == 0) {
            return (int)i;
        }
    }
    return -1;
}

swapimg_result_t swapimg_validate(const struct flash_area *fa, uint32_t limit,
                                  swapimg_info_t *info)
{
    uint8_t keyhash[32];
    uint8_t der[72];
    uint8_t r[32];
    uint8_t s[32];
    const swap_key_t *key;
    swapimg_result_t res;
    int idx;

    res = swapimg_parse(fa, limit, info);
    if (res != SWAPIMG_OK) {
        return res;
    }
    res = swapimg_check_hash(fa, info);
    if (res != SWAPIMG_OK) {
        return res;
    }
    if (info->keyhash_off == 0u || info->sig_off == 0u) {
        return SWAPIMG_ERR_NO_SIG;
    }
    if (sflash_read(fa, info->keyhash_off, keyhash, 32u, NULL) != SF_OK ||
        sflash_read(fa, info->sig_off, der, info->sig_len, NULL) != SF_OK) {
        return SWAPIMG_ERR_READ;
    }
    idx = swap_key_find(keyhash); /* keyhash: ATTACKER, only compared */
    if (idx < 0) {
        return SWAPIMG_ERR_KEY_UNKNOWN;
    }
    info->key_index = idx;
    key = &swap_keys[idx];
    if (key->status != SWAP_KEY_ALLOWED && !SWAP_HOOK_ACCEPT_REVOKED_KEY()) {
        return SWAPIMG_ERR_KEY_REVOKED;
    }
    /* der: ATTACKER, length 8..72 checked by the parser; p256_der_to_rs is strict. */
    if ((p256_der_to_rs(der, info->sig_len, r, s) != 0 ||
         p256_verify(key->der + SWAP_KEY_POINT_OFF + 1u, info->sha256, r, s) != P256_OK) &&
        !SWAP_HOOK_SKIP_SIGNATURE()) {
        return SWAPIMG_ERR_SIGNATURE;
    }
    if (!info->has_sec_cnt) {
        return SWAPIMG_ERR_NO_SEC_CNT;
    }
    return SWAPIMG_OK;
}
