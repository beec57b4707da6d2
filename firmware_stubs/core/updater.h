/*
 * updater.h - the device side of an SMP image upload (docs/contracts.md §8, steps 1-4), as a
 * portable module: it plugs into core/smp_server.h's ops table and takes everything
 * device-specific (flash ops, slot and metadata addresses, trust anchor, running slot and
 * build, watchdog tick, reset) from its caller, so the application and the bootloader's
 * rescue mode run the same code.
 *
 * Upload (image 0, into the INACTIVE slot: the one that is not the CONFIRMED active slot):
 *
 *   1. off 0: the first 32 bytes are the image header: magic, hdr_size, flags, img_size,
 *      hdr_size + img_size + TLV area = `len` inside the slot. The answer steers the client
 *      to off = hdr_size + img_size (the TLV areas first).
 *   2. TLV areas (kept in RAM, at most UPD_TLV_MAX bytes): img_parse over header + TLVs
 *      (failure: PARSE_MANIFEST result=fail error_code=.., SMP error, upload abandoned).
 *      Then the metadata decides: the same image (slot, image id = first 4 bytes of the
 *      SHA256 TLV, build) already STAGING there -> resume from the recorded verified offset;
 *      otherwise a new upload: commit STAGING (SLOT_TRANSITION IDLE->DOWNLOADING) BEFORE any
 *      erase. Whatever lies in the slot from the resume point on and is not what this upload
 *      puts there is erased (page granular; a page that also holds verified chunks rewinds
 *      the recorded offset to the page start first, committed before the erase), the TLV
 *      bytes are programmed in place, and the answer is the first header/payload byte not
 *      yet received. A resumed upload reports RESUME chunk=<i> offset=<o>: the chunk-map
 *      chunk it accepts next and the offset it answers (nothing for a new upload).
 *   3. Payload: bytes are buffered to program units and programmed; when a chunk of the
 *      signed chunk map is complete it is re-read from flash and hashed:
 *      CHUNK index=i result=ok (metadata progress commit) | bad (SMP error, progress kept;
 *      the next try starts again at the last verified offset).
 *   4. Every byte in: SLOT_TRANSITION DOWNLOADING->VERIFYING, the slot is re-read and fully
 *      verified (img_parse, img_verify -> VERIFY_SIG, img_check_policy with the target slot,
 *      the anchor's hw_compat, floor = max(anchor floor, metadata floor) and the running build
 *      for REPLAY -> PARSE_MANIFEST); ok: VERIFYING->STAGING (the image is staged, not
 *      marked: the final upload answer carries `match`, the SHA-256 of the slot's bytes
 *      [0, len) against the upload's `sha`); refused: VERIFYING->REJECTED, and the SMP
 *      error's `rsn` is the check's result name (wrong_slot, bad_signature, replay, ...).
 *   5. SMP image state write with confirm=false and the image's hash (MCUboot's "test"): PHASE
 *      name=re_verify (the slot is read back once more: signed-region hash == the verified
 *      one, unprotected TLVs == the bytes received; a difference is VERIFY_SIG result=fail
 *      error_code=hash_mismatch and STAGING->REJECTED), PHASE name=meta_commit,
 *      bootsel_install commit, STAGING->PENDING. Only the image staged by this session can be
 *      marked (after a reset: upload it again; the device resumes with every byte in).
 *
 * A flash op refused for low supply (UPD_FLASH_GATED = PORT_ERR_GATED) fails the operation
 * (SMP BUSY) and, when cfg.gated_events is set, is reported as WRITE_GATED
 * operation=erase|program address=0x.. .
 *
 * ATTACKER-CONTROLLED: every byte of the upload (len, offsets, header, TLVs, payload). Sizes
 * from the header are range-checked against the slot and the RAM buffers before use; the
 * TLV area is only trusted for the chunk map after img_parse accepted it, and nothing is
 * installed before the full signature and policy check of step 4.
 *
 * No heap, no recursion; the RAM is one upd_t (about UPD_TLV_MAX + 2.5 KiB).
 */
#ifndef OTA_CORE_UPDATER_H
#define OTA_CORE_UPDATER_H

#include <stddef.h>
#include <stdint.h>

#include "bootsel.h"
#include "image.h"
#include "keyring.h"
#include "meta.h"
#include "smp_server.h"

#define UPD_TLV_MAX    8192u /* largest TLV area (protected + unprotected) accepted */
#define UPD_FIRST_MAX  1024u /* bytes of the first request kept until the slot is prepared */
#define UPD_FLASH_GATED (-3) /* the port's PORT_ERR_GATED: write refused for low supply */

/* Return codes of the upd_* functions that are not SMP ops (0 = success). */
#define UPD_OK         0
#define UPD_ERR_ARG   (-1) /* NULL pointer or inconsistent configuration */
#define UPD_ERR_META  (-2) /* metadata not usable / path refused (bootsel) */
#define UPD_ERR_FLASH (-3) /* metadata commit failed (flash error or gated) */
#define UPD_NOOP       1   /* nothing to do (e.g. the running slot is already confirmed) */

typedef struct {
    const meta_flash_t *fl;   /* the device's flash ops (tolerant reads) */
    uint32_t slot_addr[2];    /* slot A / B area start (image header) */
    uint32_t slot_size[2];
    uint32_t meta_addr[2];    /* meta_a / meta_b areas */
    uint32_t hdr_size;        /* PLAT_IMAGE_HEADER_SIZE */
    const keyring_t *kr;      /* parsed trust anchor (empty: every key unknown) */
    uint8_t running_slot;     /* slot the caller runs from, META_SLOT_NONE in rescue */
    uint32_t running_build;   /* its build (REPLAY check), 0 = none */
    uint8_t gated_events;     /* 1: emit WRITE_GATED for a gated op (0: the ops do it) */
    void (*tick)(void *ctx);  /* called between flash ops / hash blocks (watchdog), or NULL */
    void (*reset)(void *ctx); /* SMP OS reset: software reset (after the response), or NULL */
    void *ctx;                /* passed to tick and reset */
} upd_config_t;

/* Upload phases (upd_t.phase). */
enum { UPD_IDLE = 0, UPD_HEADER, UPD_TLV, UPD_PAYLOAD, UPD_DONE };

typedef struct {
    upd_config_t cfg;
    meta_flash_t shim;        /* cfg.fl wrapped (WRITE_GATED, last error) */
    meta_ctx_t meta;
    meta_record_t rec;        /* the record as last loaded / committed */
    uint8_t meta_ok;          /* rec is usable (meta_record_check) */
    int last_flash_err;       /* last error returned by a flash op (0 none) */
    /* session */
    uint8_t phase;
    uint8_t slot;             /* target slot */
    uint8_t staged;           /* 1: the session's image in `slot` passed step 4 (upload_end);
                                 it waits for the SMP state write that marks it for test */
    const char *why;          /* short reason of the last refusal (SMP `rsn`), or NULL */
    uint8_t need_prepare;     /* the slot must be (re)prepared before the next payload byte */
    uint32_t dirty;           /* a unit found not clean while streaming (prepare erases it) */
    uint32_t total;           /* `len` of the upload (ATTACKER) */
    uint32_t tlv_off;         /* hdr_size + img_size: start of the TLV areas */
    uint32_t hdr_size;        /* from the header (== cfg.hdr_size) */
    uint32_t first_len;       /* bytes of [0, first_len) held in first[] */
    uint32_t tlv_have;        /* bytes of the TLV areas received (from tlv_off) */
    uint32_t pos;             /* next header/payload byte to program */
    uint32_t verified;        /* recorded verified offset (metadata up_offset) */
    uint32_t image_id;
    uint32_t build;
    img_manifest_t man;       /* from the TLV stage (chunk map offsets) */
    uint32_t unit_buf[META_UNIT_MAX / 4u]; /* the program unit being filled by the stream */
    uint32_t scratch[META_UNIT_MAX / 4u];  /* unit reads / TLV unit programs */
    uint8_t first[UPD_FIRST_MAX];
    uint8_t tlv[UPD_TLV_MAX];
} upd_t;

/*
 * upd_init - bind the updater to its configuration (copied) and load the metadata.
 * Returns: UPD_OK, or UPD_ERR_ARG (NULL, bad geometry, program unit > META_UNIT_MAX).
 */
int upd_init(upd_t *u, const upd_config_t *cfg);

/* upd_smp_ops - the smp_image_ops_t to pass to smp_server_init() with ctx = the upd_t.
 * Returns a static table. */
const smp_image_ops_t *upd_smp_ops(void);

/*
 * upd_target_slot - the slot an upload goes to: the one that is not the active (CONFIRMED)
 * slot of the metadata (MUT_SAME_SLOT: the running slot).
 * Returns: META_SLOT_A / META_SLOT_B, or META_SLOT_NONE when the metadata is not usable.
 */
uint8_t upd_target_slot(upd_t *u);

/*
 * upd_confirm / upd_reject - the boot-test outcome of the image running from `running`
 * (bootsel_confirm / bootsel_reject + meta_commit, then their events). upd_confirm emits
 * PHASE name=confirm right before its commit; the floor is not moved (staged, see
 * upd_floor_bump).
 * Returns: UPD_OK, UPD_NOOP (running is already the confirmed slot), UPD_ERR_META,
 *   UPD_ERR_FLASH.
 */
int upd_confirm(upd_t *u, uint8_t running);
int upd_reject(upd_t *u, uint8_t running);

/*
 * upd_floor_bump - the staged floor bump after upd_confirm, as a commit of its own
 * (bootsel_floor_bump: floor = the confirmed build): PHASE name=floor_bump, then the commit.
 * A cut (or a gated write) between the two commits leaves the bump staged; the bootloader
 * completes it (contract-meta §3).
 * Returns: UPD_OK, UPD_NOOP (nothing staged), UPD_ERR_META (running is not the confirmed
 *   slot, or no usable metadata), UPD_ERR_FLASH.
 */
int upd_floor_bump(upd_t *u, uint8_t running);

/*
 * upd_record - the current metadata record (reloaded from flash).
 * Returns: 1 (usable record in *out), 0 (no usable metadata; *out = defaults).
 */
int upd_record(upd_t *u, meta_record_t *out);

/*
 * upd_commit_record - commit `rec` as is (used by mutation builds and tests).
 * Returns: UPD_OK or UPD_ERR_FLASH.
 */
int upd_commit_record(upd_t *u, const meta_record_t *rec);

/* upd_emit_events - emit bootsel path events (SLOT_TRANSITION, ROLLBACK, ...). No return. */
void upd_emit_events(const bs_event_t *ev, uint8_t n);

/*
 * upd_read_manifest - img_parse of the image in `slot` (flash), e.g. the running image's
 * own SELF_TEST TLV or the version for a state read.
 * Returns: the img_result_t of img_parse (IMG_OK: *m filled).
 */
img_result_t upd_read_manifest(upd_t *u, uint8_t slot, img_manifest_t *m);

#endif /* OTA_CORE_UPDATER_H */
