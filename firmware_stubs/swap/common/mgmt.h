/*
 * mgmt.h - MCUmgr SMP server of the swap target, on its management UART
 * (docs/contract-swap.md §10). One implementation for the application (img_mgmt semantics)
 * and the bootloader's serial recovery (boot_serial semantics), selected by mgmt_cfg_t.
 *
 * Transport: SMP over a serial line (smp_frame.h: base64 lines starting 06 09 / 04 14,
 * CRC-16/XMODEM), one request at a time (buf_count 1, buf_size 1024). Every line on the
 * management UART is SMP; anything else is dropped.
 *
 * Commands (group, id): OS 0 echo, OS 5 reset, OS 6 MCUmgr params, OS 8 bootloader info;
 * image 0 state (read; write in the application only), image 1 upload, image 5 erase. Others
 * are answered ENOTSUP. Everything received is attacker-controlled: the frame layer bounds
 * the message, the CBOR reader never leaves it, every field is range-checked.
 */
#ifndef SWAP_MGMT_H
#define SWAP_MGMT_H

#include <stddef.h>
#include <stdint.h>

/* MCUmgr generic error codes (MGMT_ERR, the "rc" of SMP v1 answers). */
#define MGMT_EOK           0
#define MGMT_EUNKNOWN      1
#define MGMT_EINVAL        3
#define MGMT_ENOENT        5
#define MGMT_EBADSTATE     6
#define MGMT_EMSGSIZE      7
#define MGMT_ENOTSUP       8
#define MGMT_ECORRUPT      9
#define MGMT_EBUSY         10
#define MGMT_EACCESSDENIED 11
#define MGMT_ETOONEW       13

/* Image-group codes (IMG_MGMT_ERR, SMP v2 {"err": {"group": 1, "rc": ...}}) we answer. */
#define IMGERR_NO_IMAGE            3
#define IMGERR_HASH_NOT_FOUND      8
#define IMGERR_FLASH_WRITE         12
#define IMGERR_FLASH_ERASE         13
#define IMGERR_INVALID_SLOT        14
#define IMGERR_INVALID_OFFSET      20
#define IMGERR_INVALID_LENGTH      21
#define IMGERR_HEADER_MAGIC        23
#define IMGERR_INVALID_HASH        24
#define IMGERR_TOO_LARGE           30
#define IMGERR_DATA_OVERRUN        31
#define IMGERR_CONFIRMATION_DENIED 32
#define IMGERR_TEST_TO_ACTIVE      33

typedef void (*mgmt_out_fn)(void *ctx, const uint8_t *line, size_t len);

typedef struct {
    int recovery;      /* 1: serial recovery (uploads are validated and marked permanent) */
    mgmt_out_fn out;   /* response lines go here (the management UART) */
    void *out_ctx;
    void (*reset)(void); /* called once the OS reset response has been sent (may be NULL) */
    /* recovery: checks the uploaded secondary image like a swap candidate; returns 0 when
     * it may be installed (logging the reason otherwise). NULL: every upload is accepted. */
    int (*validate)(void);
} mgmt_cfg_t;

/* An error answer: generic code, image/OS group code for SMP v2 (0 = none), short reason. */
typedef struct {
    int rc;
    int group_rc;
    const char *rsn;
} mgmt_err_t;

/* mgmt_init - start (or restart) the server. No return value. */
void mgmt_init(const mgmt_cfg_t *cfg);

/* mgmt_feed - one byte received on the management UART (0..255). A completed request is
 * processed and answered before it returns. No return value. */
void mgmt_feed(int byte);

/* mgmt_cfg - the configuration given to mgmt_init (for the image group). */
const mgmt_cfg_t *mgmt_cfg(void);

#endif /* SWAP_MGMT_H */
