/*
 * wdt.c - STM32U585 IWDG (targets.md §1.7), clocked by LSI = PLAT_WATCHDOG_CLOCK_HZ.
 * Timeout = (RLR + 1) * 4 * 2^PR / f_LSI.
 */
#include "port.h"
#include "regs.h"

/* See port.h. Returns PORT_OK or PORT_ERR_BADARG (ms == 0 or beyond the 1024 * 4096
 * ticks reachable). */
int port_wdt_start(uint32_t ms)
{
    uint64_t lsi_ticks;
    uint32_t pr;
    uint32_t n;

    if (ms == 0u) {
        return PORT_ERR_BADARG;
    }
    lsi_ticks = ((uint64_t)ms * PLAT_WATCHDOG_CLOCK_HZ) / 1000u;
    for (pr = 0; pr <= 8u; pr++) {
        uint64_t div = 4ull << pr;
        uint64_t reload = (lsi_ticks + div - 1u) / div; /* round up: never shorter than ms */
        if (reload == 0u) {
            reload = 1u;
        }
        if (reload <= 4096u) {
            /* HAL order for U5: start first (turns LSI on), then unlock PR/RLR, program,
             * wait until the update flags clear (bounded), then reload. */
            REG32(IWDG_KR) = IWDG_KEY_START;
            REG32(IWDG_KR) = IWDG_KEY_ACCESS;
            REG32(IWDG_PR) = pr;
            REG32(IWDG_RLR) = (uint32_t)reload - 1u;
            for (n = 0; n < STM32_POLL_LIMIT; n++) {
                if ((REG32(IWDG_SR) & (IWDG_SR_PVU | IWDG_SR_RVU)) == 0u) {
                    break;
                }
            }
            REG32(IWDG_KR) = IWDG_KEY_RELOAD;
            return PORT_OK;
        }
    }
    return PORT_ERR_BADARG;
}

/* See port.h. Writes the reload key. */
void port_wdt_feed(void)
{
    REG32(IWDG_KR) = IWDG_KEY_RELOAD;
}
