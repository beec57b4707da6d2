/*
 * recovery.h - serial recovery mode of the swap bootloader.
 */
#ifndef SWAP_RECOVERY_H
#define SWAP_RECOVERY_H

/* recovery_run - log the entry (`why`: "strap" / "no bootable image" / ...) and serve MCUmgr
 * SMP on the management UART until a reset command. Does not return. */
void recovery_run(const char *why) __attribute__((noreturn));

#endif /* SWAP_RECOVERY_H */
