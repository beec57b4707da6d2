/* chip.h - LPC55S69 (core0) facts the common startup code needs. */
#ifndef PORT_CHIP_H
#define PORT_CHIP_H

/* External interrupts of core0; all point at Default_Handler (the firmware is polled). */
#define PORT_NUM_IRQS 60u

#endif /* PORT_CHIP_H */
