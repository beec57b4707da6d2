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
 *
 * The default feeds every word by the CPU, as the HAL's polled HAL_HASH_Start does. With
 * HIL_HASH_DMA defined (build flag), whole blocks at a word-aligned address go by DMA, as the
 * HAL's HAL_HASH_Start_DMA feeds it:
 * GPDMA1 channel 0 (GPDMA_CH 0x50 + 0x80 x: CFCR 0x0C, CSR 0x10 with IDLEF 0, TCF 8, DTEF 10,
 * USEF 12; CCR 0x14 EN 0, RESET 1; CTR1 0x40 word beats SDW_LOG2 = DDW_LOG2 = 2, SINC 3; CTR2
 * 0x44 REQSEL 6:0 = 89 HASH_IN, DREQ 10: the destination requests; CBR1 0x48 BNDT bytes; CSAR
 * 0x4C; CDAR 0x50; CLLR 0x7C = 0: one block) moves the words to DIN while HASH_CR has DMAE
 * (bit 3) and MDMAT (bit 13: more transfers follow, no automatic DCAL); the tail is written by
 * the CPU and DCAL by STR as before. Clock RCC_AHB1ENR (0x88) GPDMA1EN bit 0. Blocks at an
 * unaligned address are written by the CPU. Not the default: the image is hashed in
 * IMG_IO_CHUNK (256-byte) pieces read into RAM, and a transfer per piece, waited for, costs
 * more in the emulator and in virtual time than the CPU's writes, which overlap the HASH's
 * work (measured by `hil bench --what sweep`, README).
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

#ifdef HIL_HASH_DMA
#define RCC_AHB1ENR_GPDMA1EN (1u << 0)

#define HASH_CR_DMAE  (1u << 3)
#define HASH_CR_MDMAT (1u << 13)

#define DMA_CH_       (PLAT_PERIPH_GPDMA1_BASE + 0x50u) /* channel 0 */
#define DMA_CFCR      (DMA_CH_ + 0x0Cu)
#define DMA_CSR       (DMA_CH_ + 0x10u)
#define DMA_CCR       (DMA_CH_ + 0x14u)
#define DMA_CTR1      (DMA_CH_ + 0x40u)
#define DMA_CTR2      (DMA_CH_ + 0x44u)
#define DMA_CBR1      (DMA_CH_ + 0x48u)
#define DMA_CSAR      (DMA_CH_ + 0x4Cu)
#define DMA_CDAR      (DMA_CH_ + 0x50u)
#define DMA_CLLR      (DMA_CH_ + 0x7Cu)
#define DMA_CCR_EN    (1u << 0)
#define DMA_CCR_RESET (1u << 1)
#define DMA_CSR_TCF   (1u << 8)
#define DMA_CSR_DTEF  (1u << 10)
#define DMA_CSR_USEF  (1u << 12)
#define DMA_CFCR_ALL  0x7F00u
#define DMA_CTR1_WORDS ((2u << 0) | (1u << 3) | (2u << 16)) /* word beats, source incremented */
#define DMA_CTR2_HASH_IN ((89u << 0) | (1u << 10))          /* REQSEL HASH_IN, DREQ */
#define DMA_MAX_BYTES 0xFFC0u /* BNDT is 16 bits: whole blocks of at most this many bytes */
#endif

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
#ifdef HIL_HASH_DMA
    REG32(RCC_AHB1ENR) |= RCC_AHB1ENR_GPDMA1EN;
    (void)REG32(RCC_AHB1ENR);
#endif
    REG32(HASH_CR) = HASH_CR_ALGO_SHA256 | HASH_CR_DATATYPE_8BIT | HASH_CR_INIT;
    hash_failed = 0;
    return PORT_OK;
}

#ifdef HIL_HASH_DMA
/*
 * One DMA transfer of `bytes` (whole blocks, <= DMA_MAX_BYTES) at the word-aligned `p` to DIN.
 * Returns PORT_OK, or PORT_ERR_TIMEOUT when the channel reports an error or does not finish
 * within STM32_POLL_LIMIT (the message is then marked failed).
 */
static int hash_dma(const uint8_t *p, uint32_t bytes)
{
    uint32_t polls = 0;
    uint32_t sr;

    REG32(DMA_CCR) = DMA_CCR_RESET;
    REG32(DMA_CFCR) = DMA_CFCR_ALL;
    REG32(DMA_CTR1) = DMA_CTR1_WORDS;
    REG32(DMA_CTR2) = DMA_CTR2_HASH_IN;
    REG32(DMA_CBR1) = bytes;
    REG32(DMA_CSAR) = (uint32_t)(uintptr_t)p;
    REG32(DMA_CDAR) = HASH_DIN;
    REG32(DMA_CLLR) = 0u;
    REG32(HASH_CR) |= HASH_CR_DMAE | HASH_CR_MDMAT;
    REG32(DMA_CCR) = DMA_CCR_EN;
    while (((sr = REG32(DMA_CSR)) & (DMA_CSR_TCF | DMA_CSR_DTEF | DMA_CSR_USEF)) == 0u) {
        if (polls >= STM32_POLL_LIMIT) {
            break;
        }
        polls += cm33_poll_step(polls);
    }
    REG32(HASH_CR) &= ~(HASH_CR_DMAE | HASH_CR_MDMAT);
    REG32(DMA_CFCR) = DMA_CFCR_ALL;
    if ((sr & DMA_CSR_TCF) == 0u || (sr & (DMA_CSR_DTEF | DMA_CSR_USEF)) != 0u) {
        REG32(DMA_CCR) = DMA_CCR_RESET;
        hash_failed = 1;
        return PORT_ERR_TIMEOUT;
    }
    return PORT_OK;
}
#endif

/* See sha256_hw.h. `p` (nblocks * 64 bytes) may be attacker controlled: only hashed. */
int port_sha256_blocks(const uint8_t *p, size_t nblocks)
{
#ifdef HIL_HASH_DMA
    if (((uintptr_t)p & 3u) == 0u) {
        while (nblocks > 0u) {
            size_t n = nblocks < DMA_MAX_BYTES / 64u ? nblocks : DMA_MAX_BYTES / 64u;
            if (hash_dma(p, (uint32_t)(n * 64u)) != PORT_OK) {
                return PORT_ERR_TIMEOUT;
            }
            p += n * 64u;
            nblocks -= n;
        }
        return PORT_OK;
    }
#endif
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
