/*
 * updater_int.h - internals shared by the updater's source files (not an API):
 *
 *   updater.c          init, events, flash shim (WRITE_GATED), metadata helpers, the boot-test
 *                      outcome (confirm / floor bump / reject), slot readers, the SMP ops
 *                      table and the upload session ops (begin, write, next)
 *   updater_upload.c   steps 1-3: header and TLV stage, new/resume decision (RESUME), slot
 *                      preparation, payload streaming, per-chunk verification (CHUNK)
 *   updater_install.c  step 4: verification (the image is staged) and `match`; step 5: the
 *                      state write marking it for test (final re-verify, PENDING commit);
 *                      image erase, image state read
 *
 * Offsets are relative to the target slot start (= image offset). T = tlv_off = hdr_size +
 * img_size is where the TLV areas start; `total` is the upload's len (T + TLV areas).
 */
#ifndef OTA_CORE_UPDATER_INT_H
#define OTA_CORE_UPDATER_INT_H

#include "updater.h"

#define UPD_SCAN_NONE 0xFFFFFFFFu

static inline uint32_t upd_rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint32_t upd_rd_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

static inline uint32_t upd_min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* ---- updater.c ---------------------------------------------------------------------- */

/* An image source over one slot in flash (img_read_fn ctx). */
typedef struct {
    upd_t *u;
    uint32_t base; /* slot start address */
} upd_slot_src_t;

void upd_tick(upd_t *u);
/* Returns "A", "B", or "?" for any other value (static strings). */
const char *upd_slot_name(uint32_t slot);
/* SLOT_TRANSITION from -> to (attempt 0), PHASE name=<step>, PARSE_MANIFEST result=fail. */
void upd_ev_transition(uint8_t from, uint8_t to, uint8_t slot);
void upd_ev_phase(uint8_t step);
void upd_ev_parse_fail(img_result_t r);
/* Flash writes through the shim (last error kept, WRITE_GATED when configured). Return 0 or
 * the op's negative code. */
int upd_shim_erase(upd_t *u, uint32_t addr);
int upd_shim_program(upd_t *u, uint32_t addr, const void *data, uint32_t len);
/* The SMP code for the last failed write: BUSY when gated, else ERASE / FLASH. */
int upd_flash_fail(const upd_t *u, int erase);
/* Reload the record. Returns 1 if it is usable, else 0 (rec = defaults when unreadable). */
int upd_meta_refresh(upd_t *u);
/* Commit p->rec, then emit its events. Returns UPD_OK or UPD_ERR_FLASH. */
int upd_commit_path(upd_t *u, const bs_path_t *p);
/* img_read_fn over a slot (erased units read as the erased value). Returns 0 or the error. */
int upd_slot_read(void *ctx, uint32_t off, void *dst, uint32_t len);
void upd_slot_source(upd_t *u, uint8_t slot, upd_slot_src_t *ss, img_source_t *src);
/* SHA-256 of slot bytes [start, end) read back from flash. Returns 0, or -1 if unreadable. */
int upd_hash_slot(upd_t *u, uint32_t start, uint32_t end, uint8_t out[32]);
void upd_session_drop(upd_t *u);
/* SLOT_TRANSITION from -> REJECTED, drop the session. Returns `code`. */
int upd_refuse(upd_t *u, uint8_t from, int code);

/* ---- updater_upload.c --------------------------------------------------------------- */

/* Header checks (step 1) on first[0..32). Returns IMG_OK or the result to report. */
img_result_t upd_header_check(upd_t *u);
/* Append the part of [off, off + n) that continues the TLV areas. */
void upd_tlv_take(upd_t *u, uint32_t off, const uint8_t *data, uint32_t n);
/* The TLV areas are complete: parse, decide new / resumed, prepare the slot. Returns an
 * SMP_OPS_* code. */
int upd_tlv_complete(upd_t *u);
/* (Re)prepare the slot from the verified offset on. Returns an SMP_OPS_* code. */
int upd_prepare(upd_t *u, int fresh);
/* A payload write request at `off` (== pos, < T), n bytes: program, verify chunks. Returns an
 * SMP_OPS_* code. */
int upd_payload(upd_t *u, uint32_t off, const uint8_t *data, uint32_t n);

/* ---- updater_install.c --------------------------------------------------------------- */

/* The smp_image_ops_t entries upload_end, image_erase, state_read, state_write (smp_server.h).
 * Return SMP_OPS_OK or an SMP_OPS_ERR_* code; state_read the number of entries written
 * (0..max) or an SMP_OPS_ERR_* code. */
int upd_op_end(void *ctx);
int upd_op_erase(void *ctx, uint32_t slot);
int upd_op_state_read(void *ctx, smp_image_state_t *out, size_t max);
int upd_op_state_write(void *ctx, const uint8_t *hash, size_t hash_len, int confirm);
/* ops.upload_match: SHA-256 of the staged slot's bytes [0, total) against `sha`. Returns 1
 * (equal), 0 (different) or -1 (nothing staged, or not a 32-byte sha). */
int upd_op_match(void *ctx, const uint8_t *sha, size_t sha_len);

#endif /* OTA_CORE_UPDATER_INT_H */
