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

/* See cm33.h. Returns the word, or 0 when a fault/ECC NMI interrupted the load. */
uint32_t cm33_guarded_load32(uint32_t addr, uint32_t *outcome)
{
    uint32_t v;

    cm33_guard_outcome = CM33_GUARD_NONE;
    cm33_guard_armed = 1u;
    cm33_dsb();
    v = cm33_guard_load_asm(addr);
    cm33_dsb();
    cm33_guard_armed = 0u;
    if (outcome != NULL) {
        *outcome = cm33_guard_outcome;
    }
    return cm33_guard_outcome == CM33_GUARD_NONE ? v : 0u;
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
    return cm33_guard_armed != 0u && pc >= (uint32_t)(uintptr_t)cm33_guard_insn &&
           pc < (uint32_t)(uintptr_t)cm33_guard_end;
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
