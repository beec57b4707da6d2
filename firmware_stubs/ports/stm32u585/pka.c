/*
 * pka.c - ECDSA P-256 signature verification on the STM32U585 public key accelerator (PKA),
 * the port's p256_verify_sig (see p256.h). Built unless CRYPTO=sw (HIL_CRYPTO_SW), which keeps
 * the software p256_verify (the weak default in core/p256.c).
 *
 * Register and RAM layout (STC = cmsis_device_u5 stm32u585xx.h; details and sources in the
 * pka entry of platforms/stm32u585/platform.yaml): CR/SR/CLRFR at 0x00/0x04/0x08, PKA RAM from
 * 0x400; operands are little-endian 32-bit words, least significant first, each followed by two
 * zero words, as ST's HAL loads them. The procedure is the HAL's: RCC_AHB2ENR1.PKAEN, CR = EN,
 * wait INITOK, load the operands, CR.MODE = 0x26 (ECDSA verification) + START, wait PROCENDF,
 * read the result word (0xD60D = valid), clear the flags, CR = 0.
 *
 * The wait sleeps (WFI with PRIMASK set, cm33_sleep_irq) on the PKA line with PROCENDIE, so a
 * verification costs no core instructions while the accelerator works. Every wait is bounded.
 * No heap; the stack holds no operand copies (words go straight to the PKA RAM).
 */
#include "p256.h"
#include "regs.h"

#ifndef HIL_CRYPTO_SW

#define PKA_BASE_  PLAT_PERIPH_PKA_BASE
#define PKA_IRQ    PLAT_PERIPH_PKA_IRQ_PKA
#define PKA_CR     (PKA_BASE_ + 0x00u)
#define PKA_SR     (PKA_BASE_ + 0x04u)
#define PKA_CLRFR  (PKA_BASE_ + 0x08u)

#define PKA_CR_EN         (1u << 0)
#define PKA_CR_START      (1u << 1)
#define PKA_CR_MODE_POS   8u
#define PKA_CR_PROCENDIE  (1u << 17)
#define PKA_SR_INITOK     (1u << 0)
#define PKA_SR_BUSY       (1u << 16)
#define PKA_SR_PROCENDF   (1u << 17)
#define PKA_SR_RAMERRF    (1u << 19)
#define PKA_SR_ADDRERRF   (1u << 20)
#define PKA_SR_OPERRF     (1u << 21)
#define PKA_SR_ERRORS     (PKA_SR_RAMERRF | PKA_SR_ADDRERRF | PKA_SR_OPERRF)
#define PKA_CLRFR_ALL     (PKA_SR_PROCENDF | PKA_SR_ERRORS)

#define PKA_MODE_ECDSA_VERIFY 0x26u
#define PKA_RESULT_VALID      0xD60Du

/* ECDSA verification operands: byte offsets from the PKA base (STC:24188-24201). */
#define PKA_V_ORDER_NB_BITS 0x0408u
#define PKA_V_MOD_NB_BITS   0x04C8u
#define PKA_V_A_COEFF_SIGN  0x0468u
#define PKA_V_A_COEFF       0x0470u
#define PKA_V_MOD_GF        0x04D0u
#define PKA_V_GX            0x0678u
#define PKA_V_GY            0x06D0u
#define PKA_V_QX            0x12F8u
#define PKA_V_QY            0x1350u
#define PKA_V_R             0x10E0u
#define PKA_V_S             0x0C68u
#define PKA_V_HASH          0x13A8u
#define PKA_V_ORDER_N       0x1088u
#define PKA_V_RESULT        0x05D0u

#define RCC_AHB2ENR1       (RCC_BASE_ + 0x8Cu) /* STC:1048 */
#define RCC_AHB2ENR1_PKAEN (1u << 19)          /* STC:16650-16652 */

/* Sleeps of at most PKA_SLEEP_CYCLES core cycles each while the PKA computes: about 1.3 s
 * in all at 160 MHz, far above a verification. */
#define PKA_SLEEP_CYCLES 0x00FFFFFFu
#define PKA_SLEEPS_MAX   12u

/* NIST P-256 (SEC 2 2.4.2), big endian: public curve constants, not attacker controlled. */
static const uint8_t P256_P_BE[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
static const uint8_t P256_N_BE[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
static const uint8_t P256_GX_BE[32] = {
    0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2,
    0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96};
static const uint8_t P256_GY_BE[32] = {
    0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16,
    0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5};
/* |a| = 3 (a = -3, sign word 1) */
static const uint8_t P256_ABS_A_BE[32] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};

/* One 32-bit word into the PKA RAM at byte offset `off`. No return value. */
static void pka_w(uint32_t off, uint32_t v)
{
    REG32(PKA_BASE_ + off) = v;
}

/*
 * Load a 256-bit big-endian number `be` (may be ATTACKER controlled: r, s, hash, key) at
 * byte offset `off` as 8 little-endian words, then the two zero words that end an operand.
 * No return value.
 */
static void pka_load(uint32_t off, const uint8_t be[32])
{
    uint32_t i;

    for (i = 0; i < 8u; i++) {
        const uint8_t *b = &be[28u - 4u * i];
        pka_w(off + 4u * i, ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
                                ((uint32_t)b[2] << 8) | (uint32_t)b[3]);
    }
    pka_w(off + 32u, 0u);
    pka_w(off + 36u, 0u);
}

/* Whether the 256-bit big-endian `v` (ATTACKER controlled) is in [1, n-1]. Returns 1 or 0. */
static int in_scalar_range(const uint8_t v[32])
{
    uint32_t i;
    uint8_t any = 0u;

    for (i = 0; i < 32u; i++) {
        any |= v[i];
    }
    if (any == 0u) {
        return 0;
    }
    for (i = 0; i < 32u; i++) {
        if (v[i] != P256_N_BE[i]) {
            return v[i] < P256_N_BE[i] ? 1 : 0;
        }
    }
    return 0; /* v == n */
}

/* Turn the PKA off and drop its flags and interrupt line. No return value. */
static void pka_off(void)
{
    REG32(PKA_CLRFR) = PKA_CLRFR_ALL;
    REG32(PKA_CR) = 0u;
    cm33_irq_line_clear(PKA_IRQ);
}

/*
 * See p256.h: the PKA's ECDSA verification. `pub`, `hash`, `r` and `s` are ATTACKER
 * controlled. r and s outside [1, n-1] are refused here (P256_ERR_RANGE) before the PKA sees
 * them; anything the PKA does not call valid (a wrong signature, a key not on the curve, a PKA
 * error flag, a timeout) is P256_ERR_MISMATCH, as is a NULL argument.
 * Returns: P256_OK only when the PKA reported a valid signature.
 */
p256_result_t p256_verify_sig(const uint8_t pub[64], const uint8_t hash[32], const uint8_t r[32],
                              const uint8_t s[32])
{
    uint32_t polls;
    uint32_t sleeps;
    uint32_t sr;
    uint32_t result;
    uint32_t pm;

    if (pub == NULL || hash == NULL || r == NULL || s == NULL) {
        return P256_ERR_MISMATCH;
    }
    if (!in_scalar_range(r) || !in_scalar_range(s)) {
        return P256_ERR_RANGE;
    }
    REG32(RCC_AHB2ENR1) |= RCC_AHB2ENR1_PKAEN;
    (void)REG32(RCC_AHB2ENR1); /* the clock is on before the first PKA access */
    REG32(PKA_CR) = PKA_CR_EN;
    for (polls = 0; (REG32(PKA_SR) & PKA_SR_INITOK) == 0u; polls += cm33_poll_step(polls)) {
        if (polls >= STM32_POLL_LIMIT) {
            pka_off();
            return P256_ERR_MISMATCH;
        }
    }
    REG32(PKA_CLRFR) = PKA_CLRFR_ALL;

    pka_w(PKA_V_ORDER_NB_BITS, 256u);
    pka_w(PKA_V_ORDER_NB_BITS + 4u, 0u);
    pka_w(PKA_V_MOD_NB_BITS, 256u);
    pka_w(PKA_V_MOD_NB_BITS + 4u, 0u);
    pka_w(PKA_V_A_COEFF_SIGN, 1u); /* a is negative */
    pka_w(PKA_V_A_COEFF_SIGN + 4u, 0u);
    pka_load(PKA_V_A_COEFF, P256_ABS_A_BE);
    pka_load(PKA_V_MOD_GF, P256_P_BE);
    pka_load(PKA_V_GX, P256_GX_BE);
    pka_load(PKA_V_GY, P256_GY_BE);
    pka_load(PKA_V_QX, &pub[0]);
    pka_load(PKA_V_QY, &pub[32]);
    pka_load(PKA_V_R, r);
    pka_load(PKA_V_S, s);
    pka_load(PKA_V_HASH, hash);
    pka_load(PKA_V_ORDER_N, P256_N_BE);

    pm = cm33_irq_save();
    REG32(PKA_CR) = PKA_CR_EN | PKA_CR_PROCENDIE | (PKA_MODE_ECDSA_VERIFY << PKA_CR_MODE_POS);
    REG32(PKA_CR) = PKA_CR_EN | PKA_CR_PROCENDIE | (PKA_MODE_ECDSA_VERIFY << PKA_CR_MODE_POS) |
                    PKA_CR_START;
    sr = REG32(PKA_SR);
    for (sleeps = 0; (sr & (PKA_SR_PROCENDF | PKA_SR_ERRORS)) == 0u && sleeps < PKA_SLEEPS_MAX;
         sleeps++) {
        cm33_sleep_irq(PKA_IRQ, PKA_SLEEP_CYCLES);
        sr = REG32(PKA_SR);
    }
    REG32(PKA_CR) = PKA_CR_EN; /* PROCENDIE off: the line falls */
    cm33_irq_line_clear(PKA_IRQ);
    cm33_irq_restore(pm);
    if ((sr & PKA_SR_PROCENDF) == 0u || (sr & (PKA_SR_ERRORS | PKA_SR_BUSY)) != 0u) {
        pka_off();
        return P256_ERR_MISMATCH;
    }
    result = REG32(PKA_BASE_ + PKA_V_RESULT);
    pka_off();
    return result == PKA_RESULT_VALID ? P256_OK : P256_ERR_MISMATCH;
}

#endif /* HIL_CRYPTO_SW */
