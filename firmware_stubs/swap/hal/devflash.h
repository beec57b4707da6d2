/*
 * devflash.h - install the chip port as the sflash backend (device builds).
 */
#ifndef SWAP_DEVFLASH_H
#define SWAP_DEVFLASH_H

#include "sflash.h"

/* devflash_init - sflash_init with the port backend and the chip geometry.
 * Returns: SF_OK (or SF_ERR_ARG for an inconsistent geometry, a build error in practice). */
int devflash_init(void);

#endif /* SWAP_DEVFLASH_H */
