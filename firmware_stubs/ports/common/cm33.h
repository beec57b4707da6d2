/*
 * cm33.h - Cortex-M33 core helpers shared by both ports (SCB, barriers, exception frames,
 * guarded flash loads). Register facts: shared/spec/targets.md §1.8 / §2.8 (CMSIS core_cm33.h).
 */
#ifndef OTA_CM33_H
#define OTA_CM33_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System Control Block (secure/NS view as seen by the running code). */
#define SCB_VTOR  0xE000ED08u
#define SCB_AIRCR 0xE000ED0Cu
#define SCB_CFSR  0xE000ED28u /* MMFSR|BFSR|UFSR, write-1-to-clear */
#define SCB_HFSR  0xE000ED2Cu /* HardFault status, write-1-to-clear */

#define SCB_AIRCR_VECTKEY      (0x05FAu << 16)
#define SCB_AIRCR_PRIGROUP_MSK (0x7u << 8)
#define SCB_AIRCR_SYSRESETREQ  (1u << 2)
#define SCB_CFSR_BFSR_MSK      (0xFFu << 8)
#define SCB_HFSR_FORCED        (1u << 30)

/* Barriers / interrupt masking. */
static inline void cm33_dsb(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void cm33_isb(void) { __asm volatile("isb 0xF" ::: "memory"); }

/* cm33_irq_save - mask IRQs (PRIMASK=1). Returns the previous PRIMASK for cm33_irq_restore. */
static inline uint32_t cm33_irq_save(void)
{
    uint32_t pm;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(pm)::"memory");
    return pm;
}

/* cm33_irq_restore - restore PRIMASK saved by cm33_irq_save. No return value. */
static inline void cm33_irq_restore(uint32_t pm)
{
    __asm volatile("msr primask, %0" ::"r"(pm) : "memory");
}

/*
 * cm33_system_reset - SYSRESETREQ via AIRCR: VECTKEY 0x05FA, PRIGROUP kept, DSB before and
 * after, then wait for the reset. Does not return.
 */
void cm33_system_reset(void) __attribute__((noreturn));

/*
 * cm33_start_image - VTOR = vtor, MSP = msp, branch to `entry` (Thumb bit set). No checks
 * (port_jump does them). Does not return.
 */
void cm33_start_image(uint32_t vtor, uint32_t msp, uint32_t entry) __attribute__((noreturn));

/* ---- sleeping ------------------------------------------------------------------------ */

/*
 * cm33_sleep_irq - with PRIMASK set by the caller (cm33_irq_save) and the peripheral's
 * interrupt source enabled, sleep in WFI until NVIC line `irq` becomes pending or about
 * `max_cycles` core cycles passed (SysTick on the processor clock, TICKINT, one period; both
 * only pend: PRIMASK keeps their handlers from running). Afterwards SysTick is stopped, its
 * pending bit and the line's enable and pending bits are cleared (the caller disables the
 * peripheral's source first, so a level line cannot pend again).
 * Returns nothing. A core that sleeps stops executing, so an idle wait costs no instructions
 * at any clock (the emulator jumps to the next event).
 */
void cm33_sleep_irq(uint32_t irq, uint32_t max_cycles);

/* cm33_irq_line_clear - NVIC ICER/ICPR for line `irq`. No return value. */
void cm33_irq_line_clear(uint32_t irq);

/* ---- polling ------------------------------------------------------------------------- */

#define CM33_POLL_FAST        16u /* status polls back to back before pausing between polls */
#define CM33_POLL_PAUSE_LOOPS 32u /* pause between later polls: about 100 cycles */
#define CM33_POLL_PAUSE_COST  16u /* a paused poll counts as this many against a poll limit */

/*
 * cm33_poll_step - call after a status poll that found the operation still running; `polls`
 * is the poll budget spent so far. The first CM33_POLL_FAST polls follow each other at once
 * (short commands finish there); later ones are CM33_POLL_PAUSE_LOOPS idle loops apart (no
 * bus access: a long flash erase/program is polled a few times less often, and each status
 * read is a host call in the emulator), and count CM33_POLL_PAUSE_COST against the limit, so
 * a timeout takes about as long as before.
 * Returns: the budget to add to `polls`.
 */
static inline uint32_t cm33_poll_step(uint32_t polls)
{
    uint32_t n;

    if (polls < CM33_POLL_FAST) {
        return 1u;
    }
    for (n = 0; n < CM33_POLL_PAUSE_LOOPS; n++) {
        __asm volatile("" ::: "memory"); /* an idle loop the compiler keeps */
    }
    return CM33_POLL_PAUSE_COST;
}

/* ---- guarded flash loads ------------------------------------------------------------- */

#define CM33_GUARD_NONE  0u /* the load completed */
#define CM33_GUARD_ECC   1u /* an ECC NMI hit the load (STM32 FLASH ECCR.ECCD) */
#define CM33_GUARD_FAULT 2u /* a HardFault/BusFault hit the load */

/*
 * cm33_guarded_load32 - one 32-bit load from `addr` that a fault or ECC NMI may interrupt:
 * the handlers see that the guard is armed and the stacked PC is on the guarded load,
 * record the outcome and resume after the load.
 * *outcome receives CM33_GUARD_NONE / _ECC / _FAULT.
 * Returns: the loaded word, or 0 when *outcome is not CM33_GUARD_NONE.
 */
uint32_t cm33_guarded_load32(uint32_t addr, uint32_t *outcome);

/*
 * cm33_guarded_copy32 - copy `nwords` 32-bit words from `src` (word aligned, e.g. flash) to
 * `dst` (word aligned RAM) with single 32-bit loads (never LDRD/LDM: each load is one bus
 * access the engine and the chip check on its own), four per loop pass. A fault or ECC NMI on
 * one of the loads is absorbed like cm33_guarded_load32's, but the copy is abandoned there:
 * the handler resumes at the routine's exit. The caller then re-reads the range word by word
 * to find the exact word and error (port_flash_read).
 * *outcome receives CM33_GUARD_NONE / _ECC / _FAULT.
 * Returns: nothing; on an outcome other than CM33_GUARD_NONE the contents of dst are
 *   unspecified.
 */
void cm33_guarded_copy32(uint32_t *dst, uint32_t src, uint32_t nwords, uint32_t *outcome);

/* Exception kinds passed by the entry stubs to cm33_exception(). */
#define CM33_EXC_NMI       2u
#define CM33_EXC_HARDFAULT 3u
#define CM33_EXC_MEMMANAGE 4u
#define CM33_EXC_BUSFAULT  5u
#define CM33_EXC_USAGE     6u
#define CM33_EXC_SECURE    7u
#define CM33_EXC_OTHER     0u

/*
 * cm33_exception - common C part of NMI/fault handling, called by the naked entry stubs
 * (CM33_EXCEPTION_ENTRY) with the stacked exception frame (r0-r3, r12, lr, pc, xPSR).
 *  - NMI: lets the port clear a flash double-ECC flag (port_nmi_ecc_check_clear); if the
 *    stacked PC is on the guarded load, skips that load (2 or 4 bytes by the Thumb opcode,
 *    like TF-M) and returns; if ECCD was set while the guard is armed but the PC is
 *    elsewhere (an imprecise NMI), records the ECC error and returns without skipping.
 *  - HardFault/BusFault: if a guarded load is on the stacked PC, clears CFSR.BFSR and
 *    HFSR.FORCED, skips the load and returns.
 *  - Either, with the stacked PC on the loads of cm33_guarded_copy32 while it is armed:
 *    records the outcome the same way and resumes at the copy's exit (abandons the copy).
 *  - Anything else: prints "! fatal <kind> pc=0x... lr=0x..." on the console and spins
 *    (the watchdog, once started, resets the chip).
 * Returns: normally (exception return) only for an absorbed guarded-load fault.
 */
void cm33_exception(uint32_t *frame, uint32_t kind);

/*
 * port_nmi_ecc_check_clear - chip hook: was this NMI a flash double-ECC error? If so,
 * clear the flag (STM32: FLASH ECCR.ECCD write-1) before returning.
 * Returns: 1 if it was (and is now cleared), 0 otherwise (LPC55: always 0).
 */
int port_nmi_ecc_check_clear(void);

/* Naked exception entry stub: r0 = frame (MSP or PSP by EXC_RETURN bit 2), r1 = kind,
 * tail-call cm33_exception so that its return is the exception return. */
#define CM33_EXCEPTION_ENTRY(fn, kind_literal)                                                 \
    __attribute__((naked, used)) void fn(void)                                                 \
    {                                                                                          \
        __asm volatile("tst lr, #4\n\t"                                                        \
                       "ite eq\n\t"                                                            \
                       "mrseq r0, msp\n\t"                                                     \
                       "mrsne r0, psp\n\t"                                                     \
                       "movs r1, #" #kind_literal "\n\t"                                       \
                       "b cm33_exception\n\t");                                                \
    }

#endif /* OTA_CM33_H */
