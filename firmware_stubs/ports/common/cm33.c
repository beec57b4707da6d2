/*
 * cm33.c - Cortex-M33 helpers shared by both ports (see cm33.h).
 */
#include "cm33.h"

#include "fmt.h"
#include "port.h"

/* Guard state shared with the exception path. */
static volatile uint32_t cm33_guard_armed;
static volatile uint32_t cm33_guard_outcome;

/* Assembly body of the guarded load (so the handler knows exactly which instruction to
 * skip): r0 = addr on entry, r0 = value (or 0 when skipped) on return.
 * The load is a 16-bit LDR; its address range is [cm33_guard_insn, cm33_guard_end). */
__asm__(".section .text.cm33_guard_load_asm,\"ax\",%progbits\n"
        ".balign 4\n"
        ".global cm33_guard_load_asm\n"
        ".type cm33_guard_load_asm, %function\n"
        ".thumb_func\n"
        "cm33_guard_load_asm:\n"
        "    mov  r1, r0\n"
        "    movs r0, #0\n"
        ".global cm33_guard_insn\n"
        "cm33_guard_insn:\n"
        "    ldr  r0, [r1]\n"
        "    dsb  0xF\n"
        ".global cm33_guard_end\n"
        "cm33_guard_end:\n"
        "    bx   lr\n"
        ".size cm33_guard_load_asm, . - cm33_guard_load_asm\n"
        ".text\n");

extern uint32_t cm33_guard_load_asm(uint32_t addr);
extern const uint8_t cm33_guard_insn[];
extern const uint8_t cm33_guard_end[];

/* Assembly body of the guarded block copy: r0 = dst, r1 = src, r2 = nwords. The loads are
 * the single LDRs in [cm33_copy_insn, cm33_copy_end); a fault there resumes at
 * cm33_copy_abort (r4-r6 are still on the stack: the exception frame sits below them).
 * Four words per pass (LDR x4, STM to RAM, ADD, SUBS, BNE), then the remainder one by one. */
__asm__(".section .text.cm33_guard_copy_asm,\"ax\",%progbits\n"
        ".balign 4\n"
        ".global cm33_guard_copy_asm\n"
        ".type cm33_guard_copy_asm, %function\n"
        ".thumb_func\n"
        "cm33_guard_copy_asm:\n"
        "    push {r4, r5, r6}\n"
        "    lsrs r3, r2, #2\n"
        ".global cm33_copy_insn\n"
        "cm33_copy_insn:\n"
        "    beq  2f\n"
        "1:  ldr  r4, [r1, #0]\n"
        "    ldr  r5, [r1, #4]\n"
        "    ldr  r6, [r1, #8]\n"
        "    ldr  r12, [r1, #12]\n"
        "    stmia r0!, {r4, r5, r6, r12}\n"
        "    adds r1, r1, #16\n"
        "    subs r3, r3, #1\n"
        "    bne  1b\n"
        "2:  ands r2, r2, #3\n"
        "    beq  4f\n"
        "3:  ldr  r4, [r1], #4\n"
        "    str  r4, [r0], #4\n"
        "    subs r2, r2, #1\n"
        "    bne  3b\n"
        "4:  dsb  0xF\n"
        ".global cm33_copy_end\n"
        "cm33_copy_end:\n"
        ".global cm33_copy_abort\n"
        "cm33_copy_abort:\n"
        "    pop  {r4, r5, r6}\n"
        "    bx   lr\n"
        ".size cm33_guard_copy_asm, . - cm33_guard_copy_asm\n"
        ".text\n");

extern void cm33_guard_copy_asm(uint32_t *dst, uint32_t src, uint32_t nwords);
extern const uint8_t cm33_copy_insn[];
extern const uint8_t cm33_copy_end[];
extern const uint8_t cm33_copy_abort[];

#define CM33_ARMED_LOAD 1u /* cm33_guarded_load32 */
#define CM33_ARMED_COPY 2u /* cm33_guarded_copy32 */

/* See cm33.h. Returns the word, or 0 when a fault/ECC NMI interrupted the load. */
uint32_t cm33_guarded_load32(uint32_t addr, uint32_t *outcome)
{
    uint32_t v;

    cm33_guard_outcome = CM33_GUARD_NONE;
    cm33_guard_armed = CM33_ARMED_LOAD;
    cm33_dsb();
    v = cm33_guard_load_asm(addr);
    cm33_dsb();
    cm33_guard_armed = 0u;
    if (outcome != NULL) {
        *outcome = cm33_guard_outcome;
    }
    return cm33_guard_outcome == CM33_GUARD_NONE ? v : 0u;
}

/* See cm33.h. Returns nothing; *outcome says whether the copy completed. */
void cm33_guarded_copy32(uint32_t *dst, uint32_t src, uint32_t nwords, uint32_t *outcome)
{
    cm33_guard_outcome = CM33_GUARD_NONE;
    cm33_guard_armed = CM33_ARMED_COPY;
    cm33_dsb();
    cm33_guard_copy_asm(dst, src, nwords);
    cm33_dsb();
    cm33_guard_armed = 0u;
    if (outcome != NULL) {
        *outcome = cm33_guard_outcome;
    }
}

/* Length of the Thumb instruction at `pc`: 4 if its first halfword is 0b11101, 0b11110 or
 * 0b11111 in bits [15:11] (a 32-bit encoding), else 2. Returns 2 or 4. */
static uint32_t cm33_insn_len(uint32_t pc)
{
    uint16_t hw = *(const volatile uint16_t *)(uintptr_t)(pc & ~1u);
    return ((hw & 0xF800u) >= 0xE800u) ? 4u : 2u;
}

/* Returns 1 if the stacked PC is on the guarded load instruction while the guard is
 * armed (the only place a fault is absorbed), else 0. */
static int cm33_on_guarded_load(const uint32_t *frame)
{
    uint32_t pc = frame[6];
    return cm33_guard_armed == CM33_ARMED_LOAD && pc >= (uint32_t)(uintptr_t)cm33_guard_insn &&
           pc < (uint32_t)(uintptr_t)cm33_guard_end;
}

/* Returns 1 if the stacked PC is on the loads of the guarded copy while it is armed, else 0.
 * (Addresses of Thumb labels carry bit 0; the stacked PC does not.) */
static int cm33_on_guarded_copy(const uint32_t *frame)
{
    uint32_t pc = frame[6];
    return cm33_guard_armed == CM33_ARMED_COPY &&
           pc >= ((uint32_t)(uintptr_t)cm33_copy_insn & ~1u) &&
           pc < ((uint32_t)(uintptr_t)cm33_copy_end & ~1u);
}

/* Resume the interrupted guarded copy at its exit (abandoned). No return value. */
static void cm33_abort_copy(uint32_t *frame)
{
    frame[6] = (uint32_t)(uintptr_t)cm33_copy_abort & ~1u;
}

/* Print "! fatal <kind> pc=0x.. lr=0x..\r\n" (console text, not evidence). No return. */
static void cm33_report_fatal(const uint32_t *frame, uint32_t kind)
{
    static const char *const names[8] = {"exception", "exception", "nmi",   "hardfault",
                                         "memmanage", "busfault",  "usage", "securefault"};
    char num[FMT_U32_MAX_CHARS + 1u];
    const char *name = names[kind < 8u ? kind : 0u];
    int n;

    (void)port_uart_write("! fatal ", 8u);
    (void)port_uart_write(name, fmt_strlen_bounded(name, 16u));
    (void)port_uart_write(" pc=", 4u);
    n = fmt_u32_hex(num, sizeof(num), frame[6], 8u);
    (void)port_uart_write(num, n > 0 ? (size_t)n : 0u);
    (void)port_uart_write(" lr=", 4u);
    n = fmt_u32_hex(num, sizeof(num), frame[5], 8u);
    (void)port_uart_write(num, n > 0 ? (size_t)n : 0u);
    (void)port_uart_write("\r\n", 2u);
}

/* See cm33.h. Returns only when a guarded-load fault was absorbed. */
__attribute__((used)) void cm33_exception(uint32_t *frame, uint32_t kind)
{
    if (kind == CM33_EXC_NMI) {
        /* An NMI on the guarded load is taken as its ECC error even if ECCD did not latch
         * (ECCR only latches while ECCC/ECCD are clear); the flag is cleared either way. */
        int ecc = port_nmi_ecc_check_clear();
        if (cm33_on_guarded_load(frame)) {
            cm33_guard_outcome = CM33_GUARD_ECC;
            frame[6] += cm33_insn_len(frame[6]);
            return;
        }
        if (cm33_on_guarded_copy(frame)) {
            cm33_guard_outcome = CM33_GUARD_ECC;
            cm33_abort_copy(frame);
            return;
        }
        if (ecc && cm33_guard_armed != 0u) {
            cm33_guard_outcome = CM33_GUARD_ECC; /* imprecise: the load already retired */
            return;
        }
    } else if (kind == CM33_EXC_HARDFAULT || kind == CM33_EXC_BUSFAULT) {
        if (cm33_on_guarded_load(frame)) {
            /* Clear the sticky fault status (write-1-to-clear) so the next fault is seen. */
            REG32(SCB_CFSR) = SCB_CFSR_BFSR_MSK;
            if (kind == CM33_EXC_HARDFAULT) {
                REG32(SCB_HFSR) = SCB_HFSR_FORCED;
            }
            cm33_guard_outcome = CM33_GUARD_FAULT;
            frame[6] += cm33_insn_len(frame[6]);
            return;
        }
        if (cm33_on_guarded_copy(frame)) {
            REG32(SCB_CFSR) = SCB_CFSR_BFSR_MSK;
            if (kind == CM33_EXC_HARDFAULT) {
                REG32(SCB_HFSR) = SCB_HFSR_FORCED;
            }
            cm33_guard_outcome = CM33_GUARD_FAULT;
            cm33_abort_copy(frame);
            return;
        }
    }
    cm33_report_fatal(frame, kind);
    for (;;) {
        /* Spin: the watchdog (if started) resets the chip; a debugger can inspect. */
    }
}

/* See cm33.h. Does not return. */
void cm33_system_reset(void)
{
    uint32_t aircr;

    cm33_dsb();
    aircr = REG32(SCB_AIRCR);
    REG32(SCB_AIRCR) = SCB_AIRCR_VECTKEY | (aircr & SCB_AIRCR_PRIGROUP_MSK) |
                       SCB_AIRCR_SYSRESETREQ;
    cm33_dsb();
    for (;;) {
        /* wait for the reset */
    }
}

/* See cm33.h. Does not return. */
void cm33_start_image(uint32_t vtor, uint32_t msp, uint32_t entry)
{
    REG32(SCB_VTOR) = vtor;
    cm33_dsb();
    cm33_isb();
    __asm volatile("msr msp, %0\n\t"
                   "isb 0xF\n\t"
                   "bx %1\n\t"
                   :
                   : "r"(msp), "r"(entry)
                   : "memory");
    __builtin_unreachable();
}

/* ---- sleeping ------------------------------------------------------------------------ */

#define SYST_CSR  0xE000E010u
#define SYST_RVR  0xE000E014u
#define SYST_CVR  0xE000E018u
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* processor clock */
#define SYST_RVR_MAX       0x00FFFFFFu
#define SCB_ICSR           0xE000ED04u
#define SCB_ICSR_PENDSTCLR (1u << 25)
#define NVIC_ISER(n) (0xE000E100u + 4u * ((n) >> 5))
#define NVIC_ICER(n) (0xE000E180u + 4u * ((n) >> 5))
#define NVIC_ICPR(n) (0xE000E280u + 4u * ((n) >> 5))

/* See cm33.h. */
void cm33_irq_line_clear(uint32_t irq)
{
    REG32(NVIC_ICER(irq)) = 1u << (irq & 31u);
    REG32(NVIC_ICPR(irq)) = 1u << (irq & 31u);
}

/* See cm33.h. */
void cm33_sleep_irq(uint32_t irq, uint32_t max_cycles)
{
    uint32_t reload = max_cycles == 0u ? 1u : max_cycles;

    if (reload > SYST_RVR_MAX) {
        reload = SYST_RVR_MAX;
    }
    REG32(NVIC_ISER(irq)) = 1u << (irq & 31u);
    if ((REG32(SYST_CSR) & SYST_CSR_ENABLE) != 0u) {
        /* SysTick already runs: the firmware owns it (an RTOS or application tick). Leave it
         * alone; its tick (or the line) wakes the core and the caller polls again. */
        cm33_dsb();
        __asm volatile("wfi" ::: "memory");
        return;
    }
    REG32(SYST_CSR) = 0u;
    REG32(SYST_RVR) = reload;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    cm33_dsb();
    __asm volatile("wfi" ::: "memory");
    REG32(SYST_CSR) = 0u;
    REG32(SCB_ICSR) = SCB_ICSR_PENDSTCLR;
}
