/*
 * sha256_hw.c - SHA-256 on the LPC55S69 HASHCRYPT block (core/sha256_hw.h; CRYPTO=hw).
 *
 * Registers (SVD HASHCRYPT, platforms/lpc55s69/platform.yaml "hashcrypt"): CTRL 0x00 (MODE 2:0
 * = 2 SHA2-256, NEW_HASH bit 4), STATUS 0x04 (WAITING bit 0: wants the next 16 words, DIGEST
 * bit 1: the digest after the last block is ready, ERROR bit 2), INDATA 0x20, DIGEST0..7
 * 0x40..0x5C; clock SYSCON AHBCLKCTRL2 (0x208) HASH_AES bit 18, reset PRESETCTRL2 (0x108)
 * HASH_AES_RST bit 18. A word written to INDATA is 4 message bytes in memory order
 * (little-endian load; the block swaps them). The block does not pad: the driver appends the
 * SHA-256 padding and length itself, as the SDK's hashcrypt_sha_finalize does; DIGEST0..7 then
 * hold H0..H7. Word-aligned runs of whole blocks go through the AHB master (MEMCTRL 0x10: MASTER
 * bit 0, COUNT 26:16 blocks; MEMADDR 0x14), as the SDK's hashcrypt_sha_process_message_data
 * does: the block reads them from memory itself; other blocks are written to INDATA. Polled,
 * every wait bounded by LPC_POLL_LIMIT.
 */
#include "sha256_hw.h"

#include "port.h"
#include "regs.h"

#define HC_BASE_     PLAT_PERIPH_HASHCRYPT_BASE
#define HC_CTRL      (HC_BASE_ + 0x00u)
#define HC_STATUS    (HC_BASE_ + 0x04u)
#define HC_MEMCTRL   (HC_BASE_ + 0x10u)
#define HC_MEMADDR   (HC_BASE_ + 0x14u)
#define HC_INDATA    (HC_BASE_ + 0x20u)
#define HC_DIGEST(i) (HC_BASE_ + 0x40u + 4u * (i))

#define HC_CTRL_MODE_SHA256 2u
#define HC_CTRL_NEW_HASH    (1u << 4)
#define HC_STATUS_WAITING   (1u << 0)
#define HC_STATUS_DIGEST    (1u << 1)
#define HC_STATUS_ERROR     (1u << 2)
#define HC_MEMCTRL_MASTER   1u
#define HC_MEMCTRL_COUNT_SHIFT 16
#define HC_MASTER_MAX_BLOCKS 2047u /* COUNT is 11 bits */

#define SYSCON_PRESETCTRL2        (SYSCON_BASE_ + 0x108u)
#define SYSCON_AHBCLKCTRL2        (SYSCON_BASE_ + 0x208u)
#define SYSCON_AHBCLKCTRL2_HASH   (1u << 18)
#define SYSCON_PRESETCTRL2_HASH   (1u << 18)

static int hc_failed; /* a wait timed out in this message: its digest is not trustworthy */

/* Wait (bounded) until STATUS has `flag`. Returns PORT_OK or PORT_ERR_TIMEOUT. */
static int hc_wait(uint32_t flag)
{
    uint32_t polls = 0;

    while ((REG32(HC_STATUS) & flag) == 0u) {
        if (polls >= LPC_POLL_LIMIT) {
            hc_failed = 1;
            return PORT_ERR_TIMEOUT;
        }
        polls += cm33_poll_step(polls);
    }
    return PORT_OK;
}

/* 4 message bytes in memory order as one INDATA word; any alignment. */
static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* One 64-byte block at `p` into INDATA after WAITING. Returns PORT_OK or PORT_ERR_TIMEOUT. */
static int hc_block(const uint8_t *p)
{
    unsigned i;

    if (hc_wait(HC_STATUS_WAITING) != PORT_OK) {
        return PORT_ERR_TIMEOUT;
    }
    for (i = 0; i < 16u; i++) {
        REG32(HC_INDATA) = load_le32(p + 4u * i);
    }
    return PORT_OK;
}

/* See sha256_hw.h. */
int port_sha256_start(void)
{
    REG32(SYSCON_AHBCLKCTRL2) |= SYSCON_AHBCLKCTRL2_HASH;
    REG32(SYSCON_PRESETCTRL2) &= ~SYSCON_PRESETCTRL2_HASH;
    /* NEW_HASH first, then the mode with NEW_HASH (the SDK's hashcrypt_engine_init) */
    REG32(HC_CTRL) = HC_CTRL_NEW_HASH;
    REG32(HC_CTRL) = HC_CTRL_MODE_SHA256 | HC_CTRL_NEW_HASH;
    REG32(HC_STATUS) = HC_STATUS_ERROR; /* write 1 to clear a stale error */
    hc_failed = 0;
    return PORT_OK;
}

/* Up to HC_MASTER_MAX_BLOCKS word-aligned blocks at `p` through the AHB master. Returns
 * PORT_OK, or PORT_ERR_TIMEOUT when a wait timed out or the master reported a bus error. */
static int hc_master(const uint8_t *p, uint32_t nblocks)
{
    if (hc_wait(HC_STATUS_WAITING) != PORT_OK) {
        return PORT_ERR_TIMEOUT;
    }
    REG32(HC_MEMADDR) = (uint32_t)(uintptr_t)p;
    REG32(HC_MEMCTRL) = HC_MEMCTRL_MASTER | (nblocks << HC_MEMCTRL_COUNT_SHIFT);
    if ((REG32(HC_STATUS) & HC_STATUS_ERROR) != 0u || hc_wait(HC_STATUS_DIGEST) != PORT_OK) {
        hc_failed = 1;
        return PORT_ERR_TIMEOUT;
    }
    return PORT_OK;
}

/* See sha256_hw.h. `p` (nblocks * 64 bytes) may be attacker controlled: only hashed. */
int port_sha256_blocks(const uint8_t *p, size_t nblocks)
{
    while (((uintptr_t)p & 3u) == 0u && nblocks > 0u) {
        uint32_t n = nblocks > HC_MASTER_MAX_BLOCKS ? HC_MASTER_MAX_BLOCKS : (uint32_t)nblocks;

        if (hc_master(p, n) != PORT_OK) {
            return PORT_ERR_TIMEOUT;
        }
        p += 64u * n;
        nblocks -= n;
    }
    while (nblocks-- > 0u) {
        if (hc_block(p) != PORT_OK) {
            return PORT_ERR_TIMEOUT;
        }
        p += 64;
    }
    return PORT_OK;
}

/* See sha256_hw.h. `tail` (n bytes) may be attacker controlled: only hashed. */
int port_sha256_finish(const uint8_t *tail, size_t n, uint64_t total, uint8_t out[32])
{
    uint8_t blk[64];
    uint64_t bits = total << 3;
    unsigned i;
    size_t k;

    for (i = 0; i < 32u; i++) {
        out[i] = 0u;
    }
    if (n >= 64u) {
        return PORT_ERR_TIMEOUT;
    }
    for (k = 0; k < n; k++) {
        blk[k] = tail[k];
    }
    blk[k++] = 0x80u;
    if (k > 56u) { /* no room for the length: pad this block, the length goes in the next */
        while (k < 64u) {
            blk[k++] = 0u;
        }
        if (hc_block(blk) != PORT_OK) {
            return PORT_ERR_TIMEOUT;
        }
        k = 0;
    }
    while (k < 56u) {
        blk[k++] = 0u;
    }
    for (i = 0; i < 8u; i++) {
        blk[56u + i] = (uint8_t)(bits >> (56u - 8u * i));
    }
    if (hc_block(blk) != PORT_OK || hc_wait(HC_STATUS_DIGEST) != PORT_OK || hc_failed ||
        (REG32(HC_STATUS) & HC_STATUS_ERROR) != 0u) {
        return PORT_ERR_TIMEOUT;
    }
    for (i = 0; i < 8u; i++) {
        uint32_t h = REG32(HC_DIGEST(i));
        out[4u * i] = (uint8_t)(h >> 24);
        out[4u * i + 1u] = (uint8_t)(h >> 16);
        out[4u * i + 2u] = (uint8_t)(h >> 8);
        out[4u * i + 3u] = (uint8_t)h;
    }
    return PORT_OK;
}
