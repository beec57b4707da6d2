/*
 * strap_lpc55s69.c - rescue strap on PIO0_5 (LPC55S69-EVK ISP button, assumed;
 * platforms/lpc55s69/platform.yaml gpio params.pins.rescue.bit = 5, port 0).
 * SYSCON AHBCLKCTRLSET0 (SYSCON + 0x220): bit 13 IOCON, bit 14 GPIO0; GPIO DIR[0] (0x2000,
 * 0 = input after reset), PIN[0] (0x2100). With -DPORT_BOARD_PINMUX=1 (real board) IOCON
 * PIO0_5 (IOCON 0x40001000 + 0x14) gets DIGIMODE (bit 8); the emulator has no IOCON model.
 */
#include "strap.h"

#include <stdint.h>

#include "platform_gen.h"

#ifndef BOOT_STRAP_BIT
#define BOOT_STRAP_BIT 5u
#endif
#ifndef PORT_BOARD_PINMUX
#define PORT_BOARD_PINMUX 0
#endif

#define SYSCON_AHBCLKCTRLSET0 (*(volatile uint32_t *)(PLAT_PERIPH_SYSCON_BASE + 0x220u))
#define CLK_IOCON             (1u << 13)
#define CLK_GPIO0             (1u << 14)
#define GPIO_DIR0             (*(volatile uint32_t *)(PLAT_PERIPH_GPIO_BASE + 0x2000u))
#define GPIO_PIN0             (*(volatile uint32_t *)(PLAT_PERIPH_GPIO_BASE + 0x2100u))
#define IOCON_PIO0_5          (*(volatile uint32_t *)(0x40001000u + 0x14u))
#define IOCON_DIGIMODE        (1u << 8)

int strap_rescue_requested(void)
{
    uint32_t i;

    SYSCON_AHBCLKCTRLSET0 = CLK_GPIO0 | (PORT_BOARD_PINMUX ? CLK_IOCON : 0u);
#if PORT_BOARD_PINMUX
    IOCON_PIO0_5 |= IOCON_DIGIMODE;
#endif
    GPIO_DIR0 &= ~(1u << BOOT_STRAP_BIT);
    for (i = 0; i < 16u; i++) {
        __asm__ volatile("nop");
    }
    return (GPIO_PIN0 >> BOOT_STRAP_BIT) & 1u ? 1 : 0;
}
