/*
 * strap_stm32u585.c - rescue strap on GPIOC pin 13 (B-U585I-IOT02A user button, assumed;
 * platforms/stm32u585/platform.yaml gpio params.pins.rescue.bit = 13).
 * RCC_AHB2ENR1 (RCC + 0x8C) bit 2 GPIOCEN; GPIOx_MODER (0x00, 2 bits per pin, 00 = input),
 * GPIOx_IDR (0x10). Reset value of MODER for port C: all analog (IDR reads 0 then).
 */
#include "strap.h"

#include <stdint.h>

#include "platform_gen.h"

#ifndef BOOT_STRAP_BIT
#define BOOT_STRAP_BIT 13u
#endif

#define RCC_AHB2ENR1 (*(volatile uint32_t *)(PLAT_PERIPH_RCC_BASE + 0x8Cu))
#define RCC_GPIOCEN  (1u << 2)
#define GPIO_MODER   (*(volatile uint32_t *)(PLAT_PERIPH_GPIO_BASE + 0x00u))
#define GPIO_IDR     (*(volatile uint32_t *)(PLAT_PERIPH_GPIO_BASE + 0x10u))

int strap_rescue_requested(void)
{
    uint32_t i;

    RCC_AHB2ENR1 |= RCC_GPIOCEN;
    (void)RCC_AHB2ENR1; /* read back: the clock is on before the port is touched */
    GPIO_MODER &= ~(3u << (2u * BOOT_STRAP_BIT));
    for (i = 0; i < 16u; i++) {
        __asm__ volatile("nop"); /* input synchroniser: a few AHB cycles */
    }
    return (GPIO_IDR >> BOOT_STRAP_BIT) & 1u ? 1 : 0;
}
