/*
 * smp_server.h - device-side MCUmgr SMP server (portable, polled, no heap, no recursion).
 *
 * Supported commands (group, id, op), request fields and response fields: see
 * docs/contract-smp.md. In short:
 *   OS (0):    echo (0, read/write) d -> r; reset (5, write) force, boot_mode (0 only) -> {};
 *              MCUmgr params (6, read) -> buf_size = SMP_FRAME_BUF_SIZE, buf_count = 1;
 *              bootloader info (8, read) query? -> bootloader "MCUboot" | mode, no-downgrade.
 *   Image (1): state (0, read) -> images[], splitStatus; state (0, write) hash, confirm ->
 *              images[] (confirm false: mark the image for test, as MCUboot's img_mgmt);
 *              upload (1, write) off, data, len, sha, image, upgrade -> off (+ match in the
 *              final answer when the upload had a sha); erase (5, write) slot -> {}.
 * Anything else is answered with MGMT_ERR_ENOTSUP.
 *
 * The SMP header (8 bytes, big-endian fields): byte 0 = op (bits 0-2) | version << 3 (bits 3-4),
 * byte 1 = flags, bytes 2-3 = payload length, bytes 4-5 = group, byte 6 = sequence,
 * byte 7 = command id. A response echoes version, group, sequence and id with op + 1.
 *
 * Errors: SMP v1 requests get {"rc": MGMT_ERR, "rsn": "<reason>"}; SMP v2 requests get
 * {"err": {"group": 1, "rc": IMG_MGMT_ERR}} for image-group errors that have an
 * image-group code, otherwise the same {"rc", "rsn"} map (as Zephyr does for generic errors).
 *
 * Everything received is attacker-controlled: the frame layer bounds the message to
 * SMP_MSG_MAX bytes, the CBOR decoder never reads outside it, and every field is range-checked
 * before an ops callback sees it.
 */
#ifndef OTA_CORE_SMP_SERVER_H
#define OTA_CORE_SMP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "smp_frame.h"

#define SMP_HDR_SIZE        8u
#define SMP_SHA_MAX         32u /* bytes of the upload `sha` (SHA-256) and state `hash` */
#define SMP_IMAGE_STATE_MAX 4u  /* image/slot entries one state read can report */
#define SMP_VERSION_MAX     31u /* characters of an image version string */

/* SMP header op codes and versions. */
#define SMP_OP_READ      0u
#define SMP_OP_READ_RSP  1u
#define SMP_OP_WRITE     2u
#define SMP_OP_WRITE_RSP 3u
#define SMP_VER_1        0u
#define SMP_VER_2        1u

/* Groups and command ids handled. */
#define SMP_GROUP_OS       0u
#define SMP_GROUP_IMAGE    1u
#define SMP_OS_ECHO        0u
#define SMP_OS_RESET       5u
#define SMP_OS_PARAMS      6u
#define SMP_OS_BOOTLOADER  8u
#define SMP_IMG_STATE      0u
#define SMP_IMG_UPLOAD     1u
#define SMP_IMG_ERASE      5u

/* MCUmgr generic error codes (MGMT_ERR, the `rc` field). */
#define SMP_MGMT_EOK           0
#define SMP_MGMT_EUNKNOWN      1
#define SMP_MGMT_ENOMEM        2
#define SMP_MGMT_EINVAL        3
#define SMP_MGMT_ETIMEOUT      4
#define SMP_MGMT_ENOENT        5
#define SMP_MGMT_EBADSTATE     6
#define SMP_MGMT_EMSGSIZE      7
#define SMP_MGMT_ENOTSUP       8
#define SMP_MGMT_ECORRUPT      9
#define SMP_MGMT_EBUSY         10
#define SMP_MGMT_EACCESSDENIED 11
#define SMP_MGMT_TOO_NEW       13 /* UNSUPPORTED_TOO_NEW: SMP version > 2 */

/* OS-group error codes (OS_MGMT_ERR, v2 `err.rc` with group 0) that the server uses. */
#define SMP_OS_ERR_QUERY_NO_ANSWER 3 /* OS_MGMT_ERR_QUERY_YIELDS_NO_ANSWER */

/* Bootloader info answers (MCUboot's, as Zephyr's os_mgmt reports them): A/B slots executed
 * in place with a test boot and revert = MCUboot mode 5 (DirectXIP with revert); builds not
 * above the running one are refused (no-downgrade). */
#define SMP_BOOTLOADER_NAME "MCUboot"
#define SMP_BOOTLOADER_MODE 5u /* MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT */
/* Image-group error codes (IMG_MGMT_ERR, v2 `err.rc` with group 1) that the server uses. */
#define SMP_IMG_ERR_UNKNOWN        1
#define SMP_IMG_ERR_NO_IMAGE       3
#define SMP_IMG_ERR_FLASH_WRITE    12
#define SMP_IMG_ERR_FLASH_ERASE    13
#define SMP_IMG_ERR_INVALID_SLOT   14
#define SMP_IMG_ERR_TOO_LARGE      30 /* INVALID_IMAGE_TOO_LARGE */
#define SMP_IMG_ERR_DATA_OVERRUN   31 /* INVALID_IMAGE_DATA_OVERRUN */

/*
 * Return codes of the ops callbacks (0 = success). The server maps each to an SMP error:
 *   code                      v1 rc (MGMT_ERR)   v2 (image group)
 *   SMP_OPS_ERR_INVALID       EINVAL             rc EINVAL
 *   SMP_OPS_ERR_TOO_LARGE     EINVAL             err INVALID_IMAGE_TOO_LARGE (30)
 *   SMP_OPS_ERR_FLASH         EUNKNOWN           err FLASH_WRITE_FAILED (12)
 *   SMP_OPS_ERR_ERASE         EUNKNOWN           err FLASH_ERASE_FAILED (13)
 *   SMP_OPS_ERR_VERIFY        ECORRUPT           rc ECORRUPT
 *   SMP_OPS_ERR_BUSY          EBUSY              rc EBUSY
 *   SMP_OPS_ERR_DENIED        EACCESSDENIED      rc EACCESSDENIED
 *   SMP_OPS_ERR_NO_IMAGE      ENOENT             err NO_IMAGE (3)
 *   SMP_OPS_ERR_STATE         EBADSTATE          rc EBADSTATE
 *   SMP_OPS_ERR_SLOT          EINVAL             err INVALID_SLOT (14)
 *   anything else non-zero    EUNKNOWN           rc EUNKNOWN
 */
#define SMP_OPS_OK             0
#define SMP_OPS_ERR_INVALID   (-1)  /* an argument the app refuses (e.g. image number) */
#define SMP_OPS_ERR_TOO_LARGE (-2)  /* total_len larger than the target slot */
#define SMP_OPS_ERR_FLASH     (-3)  /* program failed */
#define SMP_OPS_ERR_ERASE     (-4)  /* erase failed */
#define SMP_OPS_ERR_VERIFY    (-5)  /* chunk / image verification failed */
#define SMP_OPS_ERR_BUSY      (-6)  /* temporarily refused (e.g. brownout write gating) */
#define SMP_OPS_ERR_DENIED    (-7)  /* policy refusal (e.g. confirm denied) */
#define SMP_OPS_ERR_NO_IMAGE  (-8)  /* no image with that hash / in that slot */
#define SMP_OPS_ERR_STATE     (-9)  /* not allowed in the current state */
#define SMP_OPS_ERR_SLOT      (-10) /* bad slot number */

/* smp_image_state_t.flags */
#define SMP_IMG_F_BOOTABLE  0x01u
#define SMP_IMG_F_PENDING   0x02u
#define SMP_IMG_F_CONFIRMED 0x04u
#define SMP_IMG_F_ACTIVE    0x08u
#define SMP_IMG_F_PERMANENT 0x10u

/* One entry of an image state read (filled by the app). */
typedef struct {
    uint32_t image;                     /* image number (0 for a single-image device) */
    uint32_t slot;                      /* 0 primary (running), 1 secondary */
    char version[SMP_VERSION_MAX + 1u]; /* NUL-terminated, e.g. "1.2.3.45" */
    uint8_t hash[SMP_SHA_MAX];          /* image hash (SHA-256) */
    uint8_t hash_len;                   /* 0: the entry has no hash field; else <= SMP_SHA_MAX */
    uint8_t flags;                      /* SMP_IMG_F_*; only set flags are sent (as true) */
} smp_image_state_t;

/* A recorded (partial) upload, as the app reports it through upload_resume. */
typedef struct {
    uint32_t image;
    uint32_t total_len;         /* the upload's `len` */
    uint32_t off;               /* bytes written and verified so far: the resume point */
    uint8_t sha[SMP_SHA_MAX];   /* the upload's `sha` (identifies the session) */
    uint8_t sha_len;            /* 0 if the upload had no sha (it can then never be resumed) */
} smp_upload_info_t;

/*
 * The operations the app implements. `ctx` is the ops_ctx given to smp_server_init. Pointers
 * passed in point into the server's receive buffer (attacker-controlled content, already
 * bounds-checked) and are valid only during the call. Callbacks must not call back into the
 * server. All int callbacks return SMP_OPS_OK or an SMP_OPS_ERR_* code (mapped as above).
 */
typedef struct {
    /* A new upload starts (off 0): prepare the target slot. total_len > 0; sha_len 0 (no sha)
       or 1..SMP_SHA_MAX; upgrade 0/1. Refuse with SMP_OPS_ERR_TOO_LARGE if it cannot fit. */
    int (*upload_begin)(void *ctx, uint32_t image, uint32_t total_len, const uint8_t *sha,
                        size_t sha_len, int upgrade);
    /* Store and verify `len` (> 0) bytes at `off`. The server guarantees off is exactly the
       end of the previous write (0 for the first) and off + len <= total_len. */
    int (*upload_write)(void *ctx, uint32_t off, const uint8_t *data, size_t len);
    /* All total_len bytes were written: verify the whole image. On an error the server drops
       the session (the client must start over). */
    int (*upload_end)(void *ctx);
    /* Optional (NULL: uploads never resume). Called before the first upload request after
       smp_server_init / smp_server_upload_forget. Returns 1 and fills *out if a partial upload
       is recorded (out->off < out->total_len), 0 if none, or an SMP_OPS_ERR_* code. */
    int (*upload_resume)(void *ctx, smp_upload_info_t *out);
    /* Optional (NULL: erase answers ENOTSUP). Erase `slot` and forget any partial upload. */
    int (*image_erase)(void *ctx, uint32_t slot);
    /* Fill up to `max` entries. Returns the number of entries (0..max) or SMP_OPS_ERR_*. */
    int (*state_read)(void *ctx, smp_image_state_t *out, size_t max);
    /* Mark the image with `hash` (hash_len 1..SMP_SHA_MAX) for test, or confirm it
       (confirm = 1; hash_len 0 means the running image). */
    int (*state_write)(void *ctx, const uint8_t *hash, size_t hash_len, int confirm);
    /* Optional (NULL: reset answers ENOTSUP). Called after the reset response has been
       emitted; normally does not return (flush the UART first). */
    void (*reset)(void *ctx);
    /* Optional (NULL: the upload is strictly sequential). Lets the app steer the upload:
       called after each upload_write (successful or not) and when an off-0 request resumes the
       session; *next receives the offset the app wants next (next == total_len: every byte
       is in, the server then calls upload_end). Returns SMP_OPS_OK, or an SMP_OPS_ERR_* code:
       the app abandoned the upload and the server drops the session. A next > total_len is
       treated as an abandon too. */
    int (*upload_next)(void *ctx, uint32_t *next);
    /* Optional (NULL: the generic reason of each code, e.g. "verify"). The short reason of the
       last SMP_OPS_ERR_* a callback returned (a static string of at most 20 characters, e.g.
       the image check's result name "bad_signature"), sent as the error's `rsn`; NULL: the
       generic one. */
    const char *(*reason)(void *ctx);
    /* Optional (NULL: no `match` field). After upload_end succeeded for an upload that carried
       a `sha` (sha_len 1..SMP_SHA_MAX): does the SHA-256 of the whole uploaded file equal
       `sha`? Returns 1 (match: true), 0 (match: false) or a negative value (not checked: the
       field is left out). */
    int (*upload_match)(void *ctx, const uint8_t *sha, size_t sha_len);
} smp_image_ops_t;

typedef struct {
    smp_frame_rx_t rx;
    uint8_t rsp[SMP_MSG_MAX];
    smp_image_state_t states[SMP_IMAGE_STATE_MAX];
    const smp_image_ops_t *ops;
    void *ops_ctx;
    smp_frame_emit_fn out;
    void *out_ctx;
    smp_upload_info_t up;  /* the current upload session */
    uint8_t up_known;      /* up/up_active reflect the app (upload_resume was asked) */
    uint8_t up_active;     /* an upload is in progress */
    uint8_t reset_pending; /* a reset response was produced; reset after sending it */
    uint32_t requests;     /* statistics: requests answered */
    uint32_t errors;       /* statistics: error responses */
} smp_server_t;

/* smp_server_init() / smp_server_process() results */
#define SMP_OK       0
#define SMP_ERR_ARG (-1)

/*
 * smp_server_init - set up the server. `ops` must stay valid; `out` receives each response
 * line (<= SMP_FRAME_LINE_MAX bytes) and should write it to the UART.
 * Returns: SMP_OK, or SMP_ERR_ARG (NULL s / ops / out, or a required callback missing:
 * upload_begin, upload_write, upload_end, state_read, state_write).
 */
int smp_server_init(smp_server_t *s, const smp_image_ops_t *ops, void *ops_ctx,
                    smp_frame_emit_fn out, void *out_ctx);

/*
 * smp_server_feed - push one byte received on the console UART. Complete requests are
 * processed and answered (through `out`) before this returns; after a reset response the ops
 * reset callback is called.
 * Returns: SMP_RX_TEXT if the byte belongs to a console text line (hand it to the console
 * reader), else SMP_RX_MORE, SMP_RX_FRAME (a request was handled) or an SMP_RX_ERR_* code (a
 * frame was dropped; for SMP_RX_ERR_CRC / SMP_RX_ERR_TOO_LARGE an error response is sent when
 * the received header looks like a request: rc ECORRUPT / EMSGSIZE).
 */
int smp_server_feed(smp_server_t *s, int byte);

/*
 * smp_server_process - handle one SMP message `req` (header + CBOR, `len` bytes,
 * attacker-controlled) and build the response message in `rsp` (capacity `cap`, at least
 * SMP_HDR_SIZE + 32 bytes; SMP_MSG_MAX recommended). Transport-independent: the caller frames
 * and sends the response, then calls smp_server_after_response().
 * Returns: 1 (a response of *rsp_len bytes is in rsp), 0 (no response: shorter than a header,
 * or not a request, i.e. op is not read/write), or SMP_ERR_ARG.
 */
int smp_server_process(smp_server_t *s, const uint8_t *req, size_t len, uint8_t *rsp,
                       size_t cap, size_t *rsp_len);

/*
 * smp_server_after_response - run actions deferred until the response was sent (the reset).
 * No return value.
 */
void smp_server_after_response(smp_server_t *s);

/*
 * smp_server_upload_forget - drop the server's view of the upload session, so the next upload
 * request asks upload_resume again (call it when the app aborted or finished an upload on its
 * own). No return value.
 */
void smp_server_upload_forget(smp_server_t *s);

/* smp_server_sizeof - sizeof(smp_server_t), for host bindings. Returns the size. */
size_t smp_server_sizeof(void);

#endif /* OTA_CORE_SMP_SERVER_H */
