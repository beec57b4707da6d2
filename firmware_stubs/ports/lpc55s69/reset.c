/*
 * reset.c - LPC55S69 reset cause from PMC AOREG1 (written by the boot ROM; targets.md §2.5).
 *
 * SDK priority (fsl_power.c): WDT > SYSTEMRESET > POR > BOD > PAD > SWR. SYSTEMRESET is
 * ARM SYSRESETREQ and SWRRESET is SYSCON SWR_RESET: both are "software". The SDK's
 * deep-power-down branch (PMC STATUS.BOOTMODE != 0) is not decoded: DPD causes report
 * "unknown". After decoding, the cause bits (AOREG1[12:4]) are cleared so that a later
 * reset is not mixed with stale bits (NXP reports that bits accumulate).
 */
#include "port.h"
#include "regs.h"

/* See port.h. Returns the decoded cause; *raw = AOREG1 as read. */
port_reset_cause_t port_reset_cause(uint32_t *raw)
{
    uint32_t v = REG32(PMC_AOREG1);
    port_reset_cause_t cause;

    if (raw != NULL) {
        *raw = v;
    }
    if ((v & AOREG1_WDTRESET) != 0u) {
        cause = PORT_RESET_WATCHDOG;
    } else if ((v & AOREG1_SYSTEMRESET) != 0u) {
        cause = PORT_RESET_SOFTWARE;
    } else if ((v & AOREG1_POR) != 0u) {
        cause = PORT_RESET_POWER_ON;
    } else if ((v & AOREG1_BODRESET) != 0u) {
        cause = PORT_RESET_BROWNOUT;
    } else if ((v & AOREG1_PADRESET) != 0u) {
        cause = PORT_RESET_PIN;
    } else if ((v & AOREG1_SWRRESET) != 0u) {
        cause = PORT_RESET_SOFTWARE;
    } else {
        cause = PORT_RESET_UNKNOWN;
    }
    REG32(PMC_AOREG1) = v & ~AOREG1_CAUSE_MSK;
    return cause;
}
