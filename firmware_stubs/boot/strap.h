/*
 * strap.h - the rescue strap input (one per chip: strap_<chip>.c), sampled by the bootloader
 * at reset. The pin must match the `gpio` peripheral's params.pins.rescue.bit in
 * platforms/<chip>/platform.yaml (assumed: STM32U585 PC13 = the B-U585I-IOT02A user button;
 * LPC55S69 PIO0_5 = the EVK's ISP button). High = rescue requested.
 */
#ifndef OTA_BOOT_STRAP_H
#define OTA_BOOT_STRAP_H

/*
 * strap_rescue_requested - enable the GPIO port clock, configure the pin as a digital input
 * and read it.
 * Returns: 1 if the strap is high (rescue requested), 0 otherwise.
 */
int strap_rescue_requested(void);

#endif /* OTA_BOOT_STRAP_H */
