/* chip.h - STM32U585 facts the common startup code needs. */
#ifndef PORT_CHIP_H
#define PORT_CHIP_H

/* External interrupts IRQ 0..124; all point at Default_Handler (the firmware is polled). */
#define PORT_NUM_IRQS 125u

#endif /* PORT_CHIP_H */
