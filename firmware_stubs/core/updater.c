/*
 * updater.c - SMP image upload into the inactive slot (see updater.h, contracts §8): init,
 * events, the flash shim, metadata helpers, the boot-test outcome (confirm, staged floor bump,
 * reject), slot readers and the SMP ops table with the session ops (begin, write, next).
 * Steps 1-3 are in updater_upload.c, step 4 and image state in updater_install.c
 * (updater_int.h lists what they share).
 *
 * Flash layout while uploading (unit = program unit, page = erase page):
 *   [0, T)            header + payload, programmed unit by unit as the stream arrives;
 *                     a unit is programmed only once it is complete
 *   the unit holding T (when T is not unit aligned): payload tail + TLV head, programmed
 *                     with the last payload byte (the "shared unit")
 *   [roundup(T), total) TLV units, programmed in place as soon as the slot is prepared
 *   [total, total+64) erased (img_check_policy's TRAILING_DATA check)
 *
 * The resume point `verified` (metadata up_offset) only grows by bootsel_upload_advance after
 * a chunk was re-read and its hash matched, and only shrinks by bootsel_upload_rewind
 * (committed before the erase that makes the rewind necessary).
 */
#include "updater_int.h"

#include "evidence.h"
#include "mut_hooks.h"
#include "sha256.h"

/* ---- small helpers ---------------------------------------------------------------------- */

void upd_tick(upd_t *u)
{
    if (u->cfg.tick != NULL) {
        u->cfg.tick(u->cfg.ctx);
    }
}

const char *upd_slot_name(uint32_t slot)
{
    return slot == 0u ? "A" : (slot == 1u ? "B" : "?");
}

/* ---- events ----------------------------------------------------------------------------- */

/* See updater.h. No return value. */
void upd_emit_events(const bs_event_t *ev, uint8_t n)
{
    uint8_t i;

    for (i = 0; ev != NULL && i < n && i < BS_MAX_EVENTS; i++) {
        ev_fields_t f;
        const char *name;
        ev_fields_init(&f);
        name = bootsel_event_fields(&ev[i], &f);
        if (name != NULL) {
            (void)ev_emit(name, &f);
        }
    }
}

/* SLOT_TRANSITION from=.. to=.. slot=.. attempt=0. No return value. */
void upd_ev_transition(uint8_t from, uint8_t to, uint8_t slot)
{
    bs_event_t e = {0};

    e.kind = BS_EV_SLOT_TRANSITION;
    e.from = from;
    e.to = to;
    e.slot = slot;
    e.attempt = 0u;
    upd_emit_events(&e, 1u);
}

/* PHASE name=<step>: announced right before the step starts. No return value. */
void upd_ev_phase(uint8_t step)
{
    bs_event_t e = {0};

    e.kind = BS_EV_PHASE;
    e.step = step;
    upd_emit_events(&e, 1u);
}

/* PARSE_MANIFEST result=fail error_code=<r> (steps 1-2). No return value. */
void upd_ev_parse_fail(img_result_t r)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", "fail");
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("PARSE_MANIFEST", &f);
}

/* ---- flash shim (WRITE_GATED, last error) ----------------------------------------------- */

static void ev_gated(const char *op, uint32_t addr)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_str(&f, "operation", op);
    (void)ev_add_hex(&f, "address", addr, 0u);
    (void)ev_emit("WRITE_GATED", &f);
}

static int shim_erase(void *ctx, uint32_t addr)
{
    upd_t *u = (upd_t *)ctx;
    int rc = u->cfg.fl->erase(u->cfg.fl->ctx, addr);

    u->last_flash_err = rc;
    if (rc == UPD_FLASH_GATED && u->cfg.gated_events) {
        ev_gated("erase", addr);
    }
    upd_tick(u);
    return rc;
}

static int shim_program(void *ctx, uint32_t addr, const void *data, uint32_t len)
{
    upd_t *u = (upd_t *)ctx;
    int rc = u->cfg.fl->program(u->cfg.fl->ctx, addr, data, len);

    u->last_flash_err = rc;
    if (rc == UPD_FLASH_GATED && u->cfg.gated_events) {
        ev_gated("program", addr);
    }
    upd_tick(u);
    return rc;
}

static int shim_read(void *ctx, uint32_t addr, void *data, uint32_t len)
{
    upd_t *u = (upd_t *)ctx;
    return u->cfg.fl->read(u->cfg.fl->ctx, addr, data, len);
}

int upd_shim_erase(upd_t *u, uint32_t addr)
{
    return shim_erase(u, addr);
}

int upd_shim_program(upd_t *u, uint32_t addr, const void *data, uint32_t len)
{
    return shim_program(u, addr, data, len);
}

/* Map the last flash error of a failed write to an SMP ops code. */
int upd_flash_fail(const upd_t *u, int erase)
{
    if (u->last_flash_err == UPD_FLASH_GATED) {
        return SMP_OPS_ERR_BUSY;
    }
    return erase ? SMP_OPS_ERR_ERASE : SMP_OPS_ERR_FLASH;
}

/* ---- metadata --------------------------------------------------------------------------- */

/* Reload the record. Returns 1 if it is usable (valid and meta_record_check), else 0. */
int upd_meta_refresh(upd_t *u)
{
    meta_load_t ld;

    u->meta_ok = 0;
    if (meta_load(&u->meta, &ld) != 0) {
        meta_defaults(&u->rec);
        return 0;
    }
    u->rec = ld.rec;
    u->meta_ok = (ld.result != META_BOTH_INVALID && meta_record_check(&ld.rec)) ? 1u : 0u;
    return u->meta_ok;
}

/* Commit p->rec, then emit its events. Returns UPD_OK or UPD_ERR_FLASH. */
int upd_commit_path(upd_t *u, const bs_path_t *p)
{
    if (meta_commit(&u->meta, &p->rec, NULL) != 0) {
        return UPD_ERR_FLASH;
    }
    u->rec = p->rec;
    upd_emit_events(p->events, p->n_events);
    return UPD_OK;
}

/* See updater.h. Returns UPD_OK or UPD_ERR_FLASH. */
int upd_commit_record(upd_t *u, const meta_record_t *rec)
{
    if (u == NULL || rec == NULL || meta_commit(&u->meta, rec, NULL) != 0) {
        return UPD_ERR_FLASH;
    }
    u->rec = *rec;
    return UPD_OK;
}

/* See updater.h. Returns 1 or 0. */
int upd_record(upd_t *u, meta_record_t *out)
{
    int ok = upd_meta_refresh(u);

    if (out != NULL) {
        *out = u->rec;
    }
    return ok;
}

/* See updater.h. */
uint8_t upd_target_slot(upd_t *u)
{
    if (!u->meta_ok) {
        return META_SLOT_NONE;
    }
    if (MUT_HOOK_TARGET_RUNNING_SLOT() && u->cfg.running_slot <= META_SLOT_B) {
        return u->cfg.running_slot; /* planted (item 3): update the running slot */
    }
    return (uint8_t)(u->rec.active ^ 1u);
}

/* Shared body of upd_confirm / upd_floor_bump / upd_reject: the path on the current record,
 * PHASE name=<step> right before its commit (when step < BS_STEP_COUNT), the commit, then the
 * path's events. */
enum { OUT_CONFIRM = 0, OUT_FLOOR, OUT_REJECT };

static int outcome(upd_t *u, uint8_t running, int which)
{
    bs_path_t p;
    int rc;

    if (u == NULL) {
        return UPD_ERR_ARG;
    }
    if (!upd_meta_refresh(u)) {
        return UPD_ERR_META;
    }
    if (which == OUT_CONFIRM) {
        rc = bootsel_confirm(&u->rec, running, &p);
    } else if (which == OUT_FLOOR) {
        rc = bootsel_floor_bump(&u->rec, running, &p);
    } else {
        rc = bootsel_reject(&u->rec, running, &p);
    }
    if (rc == BS_NOOP) {
        return UPD_NOOP;
    }
    if (rc != BS_OK) {
        return UPD_ERR_META;
    }
    if (which == OUT_CONFIRM) {
        upd_ev_phase(BS_STEP_CONFIRM);
    } else if (which == OUT_FLOOR) {
        upd_ev_phase(BS_STEP_FLOOR_BUMP);
    }
    return upd_commit_path(u, &p);
}

int upd_confirm(upd_t *u, uint8_t running)
{
    return outcome(u, running, OUT_CONFIRM);
}

int upd_floor_bump(upd_t *u, uint8_t running)
{
    return outcome(u, running, OUT_FLOOR);
}

int upd_reject(upd_t *u, uint8_t running)
{
    return outcome(u, running, OUT_REJECT);
}

/* ---- image sources ---------------------------------------------------------------------- */

/*
 * img_read_fn over a slot in flash. Reads are split at program-unit boundaries so that an
 * erased unit (LPC55S69 blank page: META_FLASH_ERASED) reads as the erased value, as data.
 * Returns 0 or the flash read error.
 */
int upd_slot_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    upd_slot_src_t *s = (upd_slot_src_t *)ctx;
    const meta_flash_t *fl = s->u->cfg.fl;
    uint8_t *d = (uint8_t *)dst;

    while (len > 0u) {
        uint32_t in_unit = fl->program_unit - (off % fl->program_unit);
        uint32_t n = upd_min(len, in_unit);
        int rc = fl->read(fl->ctx, s->base + off, d, n);
        if (rc == META_FLASH_ERASED) {
            uint32_t i;
            for (i = 0; i < n; i++) {
                d[i] = (uint8_t)fl->erased_value;
            }
        } else if (rc != 0) {
            return rc;
        }
        off += n;
        d += n;
        len -= n;
    }
    return 0;
}

static void src_tick(void *ctx)
{
    upd_tick(((upd_slot_src_t *)ctx)->u);
}

void upd_slot_source(upd_t *u, uint8_t slot, upd_slot_src_t *ss, img_source_t *src)
{
    ss->u = u;
    ss->base = u->cfg.slot_addr[slot];
    src->read = upd_slot_read;
    src->ctx = ss;
    src->size = u->cfg.slot_size[slot];
    src->tick = src_tick;
    src->io_err = 0;
    src->io_off = 0;
}

/* SHA-256 of the target slot's bytes [start, end), read back from flash. Returns 0 or -1. */
int upd_hash_slot(upd_t *u, uint32_t start, uint32_t end, uint8_t out[32])
{
    upd_slot_src_t ss;
    img_source_t src;
    sha256_ctx_t c;
    uint8_t blk[IMG_IO_CHUNK];
    uint32_t off;
    int ok = 0;

    upd_slot_source(u, u->slot, &ss, &src);
    sha256_init(&c);
    for (off = start; off < end; off += IMG_IO_CHUNK) {
        uint32_t n = upd_min(IMG_IO_CHUNK, end - off);
        if (upd_slot_read(&ss, off, blk, n) != 0) {
            ok = -1;
            break;
        }
        sha256_update(&c, blk, n);
        upd_tick(u);
    }
    sha256_final(&c, out);
    return ok;
}

/* See updater.h. */
img_result_t upd_read_manifest(upd_t *u, uint8_t slot, img_manifest_t *m)
{
    upd_slot_src_t ss;
    img_source_t src;

    if (u == NULL || m == NULL || slot > META_SLOT_B) {
        return IMG_BAD_HEADER;
    }
    upd_slot_source(u, slot, &ss, &src);
    return img_parse(&src, u->cfg.hdr_size, m);
}

/* ---- session control -------------------------------------------------------------------- */

void upd_session_drop(upd_t *u)
{
    u->phase = UPD_IDLE;
    u->staged = 0u;
}

/* Refuse the upload (events) and drop the session. Returns `code`. */
int upd_refuse(upd_t *u, uint8_t from, int code)
{
    upd_ev_transition(from, BS_PH_REJECTED, u->slot);
    upd_session_drop(u);
    return code;
}

/* ---- SMP ops: the upload session --------------------------------------------------------- */

static int op_begin(void *ctx, uint32_t image, uint32_t total_len, const uint8_t *sha,
                    size_t sha_len, int upgrade)
{
    upd_t *u = (upd_t *)ctx;
    uint8_t slot;

    (void)sha;
    (void)sha_len;
    (void)upgrade;
    u->why = NULL;
    upd_session_drop(u);
    /* image 0 (the default) or 1 (the secondary slot, as Zephyr's direct upload names it):
     * both go to the inactive slot */
    if (image > 1u) { /* ATTACKER: image */
        u->why = "image";
        return SMP_OPS_ERR_INVALID;
    }
    upd_meta_refresh(u);
    slot = upd_target_slot(u);
    if (slot == META_SLOT_NONE) {
        /* no usable metadata: a device that never booted (rescue before the bootloader
           adopted the factory image); the way on: one normal boot, then update */
        u->why = "never booted: boot once without rescue, then update";
        return SMP_OPS_ERR_STATE;
    }
    if (!MUT_HOOK_TARGET_RUNNING_SLOT() && !MUT_HOOK_NO_TRIAL_GUARD() &&
        slot == u->cfg.running_slot) {
        u->why = "boot test running";
        return SMP_OPS_ERR_STATE; /* a trial boot: confirm (or roll back) first */
    }
    u->slot = slot;
    if (total_len > u->cfg.slot_size[slot]) { /* ATTACKER: len */
        upd_ev_parse_fail(IMG_TOO_LARGE);
        return SMP_OPS_ERR_TOO_LARGE;
    }
    u->total = total_len;
    u->first_len = 0;
    u->tlv_have = 0;
    u->tlv_off = 0;
    u->pos = 0;
    u->verified = 0;
    u->need_prepare = 1;
    u->dirty = UPD_SCAN_NONE;
    u->phase = UPD_HEADER;
    return SMP_OPS_OK;
}

static int op_write(void *ctx, uint32_t off, const uint8_t *data, size_t len)
{
    upd_t *u = (upd_t *)ctx;
    uint32_t n = (uint32_t)len; /* <= SMP_MSG_MAX (server) */
    img_result_t r;

    u->why = NULL;
    switch (u->phase) {
    case UPD_HEADER: {
        uint32_t keep;
        uint32_t i;
        if (off != u->first_len) {
            return SMP_OPS_ERR_INVALID;
        }
        keep = upd_min(n, UPD_FIRST_MAX - u->first_len);
        for (i = 0; i < keep; i++) {
            u->first[u->first_len + i] = data[i];
        }
        u->first_len += keep;
        if (u->first_len < IMG_HEADER_BYTES) {
            return SMP_OPS_OK; /* keep asking sequentially until the header is in */
        }
        r = upd_header_check(u);
        if (r != IMG_OK) {
            u->why = img_result_name(r);
            upd_ev_parse_fail(r);
            return upd_refuse(u, BS_PH_IDLE, r == IMG_TOO_LARGE ? SMP_OPS_ERR_TOO_LARGE
                                                                 : SMP_OPS_ERR_VERIFY);
        }
        u->first_len = upd_min(u->first_len, u->tlv_off);
        u->phase = UPD_TLV;
        upd_tlv_take(u, off, data, n);
        break;
    }
    case UPD_TLV:
        upd_tlv_take(u, off, data, n);
        break;
    case UPD_PAYLOAD:
        if (u->need_prepare) {
            int rc = upd_prepare(u, 0);
            if (rc != SMP_OPS_OK) {
                return rc;
            }
        }
        if (off != u->pos) {
            return SMP_OPS_OK; /* not where we steered: ignored, steered again */
        }
        if (off < u->tlv_off) {
            return upd_payload(u, off, data, upd_min(n, u->tlv_off - off));
        }
        return SMP_OPS_OK;
    default:
        return SMP_OPS_ERR_STATE;
    }
    if (u->phase == UPD_TLV && u->tlv_have == u->total - u->tlv_off) {
        return upd_tlv_complete(u);
    }
    return SMP_OPS_OK;
}

static int op_next(void *ctx, uint32_t *next)
{
    upd_t *u = (upd_t *)ctx;

    switch (u->phase) {
    case UPD_HEADER:
        *next = u->first_len;
        return SMP_OPS_OK;
    case UPD_TLV:
        *next = u->tlv_off + u->tlv_have;
        return SMP_OPS_OK;
    case UPD_PAYLOAD:
        /* pos < T: the first payload byte not yet programmed (after a failure: the verified
         * offset, where the next write prepares the slot again); pos == T: all in */
        *next = (u->pos < u->tlv_off) ? u->pos : u->total;
        return SMP_OPS_OK;
    default:
        return SMP_OPS_ERR_STATE; /* abandoned (or finished): the server drops the session */
    }
}

/* ops.reason: the short reason of the last refusal. Returns it, or NULL. */
static const char *op_reason(void *ctx)
{
    return ((const upd_t *)ctx)->why;
}

static void op_reset(void *ctx)
{
    upd_t *u = (upd_t *)ctx;

    if (u->cfg.reset != NULL) {
        u->cfg.reset(u->cfg.ctx);
    }
}

static const smp_image_ops_t upd_ops = {
    .upload_begin = op_begin,
    .upload_write = op_write,
    .upload_end = upd_op_end,
    .upload_resume = NULL, /* resume is decided by the metadata once the TLVs are in */
    .image_erase = upd_op_erase,
    .state_read = upd_op_state_read,
    .state_write = upd_op_state_write,
    .reset = op_reset,
    .upload_next = op_next,
    .reason = op_reason,
    .upload_match = upd_op_match,
};

/* See updater.h. */
const smp_image_ops_t *upd_smp_ops(void)
{
    return &upd_ops;
}

/* See updater.h. */
int upd_init(upd_t *u, const upd_config_t *cfg)
{
    const meta_flash_t *fl;

    if (u == NULL || cfg == NULL || cfg->fl == NULL || cfg->kr == NULL) {
        return UPD_ERR_ARG;
    }
    fl = cfg->fl;
    if (fl->program_unit == 0u || fl->program_unit > META_UNIT_MAX ||
        (fl->program_unit & (fl->program_unit - 1u)) != 0u || fl->page_size == 0u ||
        fl->page_size % fl->program_unit != 0u || 512u % fl->program_unit != 0u ||
        cfg->hdr_size == 0u || cfg->hdr_size % 512u != 0u) {
        return UPD_ERR_ARG;
    }
    u->cfg = *cfg;
    u->shim = *fl;
    u->shim.erase = shim_erase;
    u->shim.program = shim_program;
    u->shim.read = shim_read;
    u->shim.ctx = u;
    u->last_flash_err = 0;
    u->phase = UPD_IDLE;
    u->staged = 0u;
    u->why = NULL;
    u->dirty = UPD_SCAN_NONE;
    if (meta_init(&u->meta, &u->shim, cfg->meta_addr[0], cfg->meta_addr[1]) != 0) {
        return UPD_ERR_ARG;
    }
    (void)upd_meta_refresh(u);
    return UPD_OK;
}
