/*
 * sha256_hw.c - SHA-256 on the STM32U585 hash processor HASH (core/sha256_hw.h; CRYPTO=hw).
 *
 * Registers (STC = cmsis_device_u5 stm32u585xx.h, platforms/stm32u585/platform.yaml "hash"):
 * CR 0x00 (INIT bit 2, DATATYPE 5:4 = 2 bytes, ALGO 18:17 = 3 SHA-256), DIN 0x04, STR 0x08
 * (NBLW 4:0 valid bits of the last word, 0 = 32; DCAL bit 8), SR 0x24 (DINIS bit 0: the input
 * FIFO takes a new block, DCIS bit 1: digest ready), HASH_DIGEST HR0..HR7 at 0x310..0x32C;
 * clock RCC_AHB2ENR1 (0x8C) HASHEN bit 17. DATATYPE = bytes: a word is 4 message bytes in
 * memory order (little-endian load), the processor swaps them; it pads the message itself after
 * NBLW bits when DCAL is written. Polled, every wait bounded by STM32_POLL_LIMIT.
 */
#include "sha256_hw.h"

#include "port.h"
#include "regs.h"

#define HASH_BASE_  PLAT_PERIPH_HASH_BASE
#define HASH_CR     (HASH_BASE_ + 0x00u)
#define HASH_DIN    (HASH_BASE_ + 0x04u)
#define HASH_STR    (HASH_BASE_ + 0x08u)
#define HASH_SR     (HASH_BASE_ + 0x24u)
#define HASH_HR(i)  (HASH_BASE_ + 0x310u + 4u * (i))

#define HASH_CR_INIT          (1u << 2)
#define HASH_CR_DATATYPE_8BIT (2u << 4)
#define HASH_CR_ALGO_SHA256   (3u << 17)
#define HASH_STR_DCAL         (1u << 8)
#define HASH_SR_DINIS         (1u << 0)
#define HASH_SR_DCIS          (1u << 1)

#define RCC_AHB2ENR1        (RCC_BASE_ + 0x8Cu)
#define RCC_AHB2ENR1_HASHEN (1u << 17)

static int hash_failed; /* a wait timed out in this message: its digest is not trustworthy */

/* Wait (bounded) until SR has `flag`. Returns PORT_OK or PORT_ERR_TIMEOUT. */
static int hash_wait(uint32_t flag)
{
    uint32_t polls = 0;

    while ((REG32(HASH_SR) & flag) == 0u) {
        if (polls >= STM32_POLL_LIMIT) {
            hash_failed = 1;
            return PORT_ERR_TIMEOUT;
        }
        polls += cm33_poll_step(polls);
    }
    return PORT_OK;
}

/* 4 message bytes in memory order as one DIN word (DATATYPE = bytes); any alignment. */
static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* See sha256_hw.h. */
int port_sha256_start(void)
{
    REG32(RCC_AHB2ENR1) |= RCC_AHB2ENR1_HASHEN;
    (void)REG32(RCC_AHB2ENR1); /* the clock is on before the first access (read back) */
    REG32(HASH_CR) = HASH_CR_ALGO_SHA256 | HASH_CR_DATATYPE_8BIT | HASH_CR_INIT;
    hash_failed = 0;
    return PORT_OK;
}

/* See sha256_hw.h. `p` (nblocks * 64 bytes) may be attacker controlled: only hashed. */
int port_sha256_blocks(const uint8_t *p, size_t nblocks)
{
    while (nblocks-- > 0u) {
        unsigned i;
        if (hash_wait(HASH_SR_DINIS) != PORT_OK) {
            return PORT_ERR_TIMEOUT;
        }
        for (i = 0; i < 16u; i++) {
            REG32(HASH_DIN) = load_le32(p);
            p += 4;
        }
    }
    return PORT_OK;
}

/* See sha256_hw.h. `tail` (n bytes) may be attacker controlled: only hashed. */
int port_sha256_finish(const uint8_t *tail, size_t n, uint64_t total, uint8_t out[32])
{
    unsigned i;
    size_t k;

    (void)total; /* the processor counts the message itself */
    for (i = 0; i < 32u; i++) {
        out[i] = 0u;
    }
    if (n >= 64u || hash_wait(HASH_SR_DINIS) != PORT_OK) {
        return PORT_ERR_TIMEOUT;
    }
    for (k = 0; k + 4u <= n; k += 4u) {
        REG32(HASH_DIN) = load_le32(tail + k);
    }
    if (k < n) { /* the last 1..3 bytes: the rest of the word is not hashed (NBLW) */
        uint32_t w = 0;
        unsigned s;
        for (s = 0; k < n; k++, s += 8u) {
            w |= (uint32_t)tail[k] << s;
        }
        REG32(HASH_DIN) = w;
    }
    REG32(HASH_STR) = (uint32_t)(8u * (n & 3u)) | HASH_STR_DCAL;
    if (hash_wait(HASH_SR_DCIS) != PORT_OK || hash_failed) {
        return PORT_ERR_TIMEOUT;
    }
    for (i = 0; i < 8u; i++) {
        uint32_t h = REG32(HASH_HR(i));
        out[4u * i] = (uint8_t)(h >> 24);
        out[4u * i + 1u] = (uint8_t)(h >> 16);
        out[4u * i + 2u] = (uint8_t)(h >> 8);
        out[4u * i + 3u] = (uint8_t)h;
    }
    return PORT_OK;
}
