/*
 * updater.c - SMP image upload into the inactive slot (see updater.h, contracts §8).
 *
 * Offsets: everything is relative to the target slot start (= image offset). T = hdr_size +
 * img_size is where the TLV areas start; `total` is the upload's len (T + TLV areas).
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
#include "updater.h"

#include "evidence.h"
#include "fmt.h"
#include "sha256.h"

#define UPD_SCAN_NONE 0xFFFFFFFFu

/* ---- small helpers ---------------------------------------------------------------------- */

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint32_t rd_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void upd_tick(upd_t *u)
{
    if (u->cfg.tick != NULL) {
        u->cfg.tick(u->cfg.ctx);
    }
}

static const char *slot_name(uint32_t slot)
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
static void ev_transition(uint8_t from, uint8_t to, uint8_t slot)
{
    bs_event_t e = {0};

    e.kind = BS_EV_SLOT_TRANSITION;
    e.from = from;
    e.to = to;
    e.slot = slot;
    e.attempt = 0u;
    upd_emit_events(&e, 1u);
}

/* PARSE_MANIFEST result=fail error_code=<r> (steps 1-2). No return value. */
static void ev_parse_fail(img_result_t r)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", "fail");
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("PARSE_MANIFEST", &f);
}

/* CHUNK index=i result=ok|bad. No return value. */
static void ev_chunk(uint32_t index, int ok)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_u32(&f, "index", index);
    (void)ev_add_str(&f, "result", ok ? "ok" : "bad");
    (void)ev_emit("CHUNK", &f);
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

/* Map the last flash error of a failed write to an SMP ops code. */
static int flash_fail(const upd_t *u, int erase)
{
    if (u->last_flash_err == UPD_FLASH_GATED) {
        return SMP_OPS_ERR_BUSY;
    }
    return erase ? SMP_OPS_ERR_ERASE : SMP_OPS_ERR_FLASH;
}

/* ---- metadata --------------------------------------------------------------------------- */

/* Reload the record. Returns 1 if it is usable (valid and meta_record_check), else 0. */
static int meta_refresh(upd_t *u)
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
static int commit_path(upd_t *u, const bs_path_t *p)
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
    int ok = meta_refresh(u);

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
#if defined(MUT_SAME_SLOT) && MUT_SAME_SLOT
    /* MUTATION (matrix item 3): update the running slot instead of the inactive one. */
    if (u->cfg.running_slot <= META_SLOT_B) {
        return u->cfg.running_slot;
    }
#endif
    return (uint8_t)(u->rec.active ^ 1u);
}

/* Shared body of upd_confirm / upd_reject. */
static int outcome(upd_t *u, uint8_t running, int confirm)
{
    bs_path_t p;
    int rc;

    if (u == NULL) {
        return UPD_ERR_ARG;
    }
    if (!meta_refresh(u)) {
        return UPD_ERR_META;
    }
    rc = confirm ? bootsel_confirm(&u->rec, running, &p) : bootsel_reject(&u->rec, running, &p);
    if (rc == BS_NOOP) {
        return UPD_NOOP;
    }
    if (rc != BS_OK) {
        return UPD_ERR_META;
    }
    return commit_path(u, &p);
}

int upd_confirm(upd_t *u, uint8_t running)
{
    return outcome(u, running, 1);
}

int upd_reject(upd_t *u, uint8_t running)
{
    return outcome(u, running, 0);
}

/* ---- image sources ---------------------------------------------------------------------- */

typedef struct {
    upd_t *u;
    uint32_t base; /* slot start address */
} slot_src_t;

/*
 * img_read_fn over a slot in flash. Reads are split at program-unit boundaries so that an
 * erased unit (LPC55S69 blank page: META_FLASH_ERASED) reads as the erased value, as data.
 * Returns 0 or the flash read error.
 */
static int slot_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    slot_src_t *s = (slot_src_t *)ctx;
    const meta_flash_t *fl = s->u->cfg.fl;
    uint8_t *d = (uint8_t *)dst;

    while (len > 0u) {
        uint32_t in_unit = fl->program_unit - (off % fl->program_unit);
        uint32_t n = min_u32(len, in_unit);
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
    upd_tick(((slot_src_t *)ctx)->u);
}

static void slot_source(upd_t *u, uint8_t slot, slot_src_t *ss, img_source_t *src)
{
    ss->u = u;
    ss->base = u->cfg.slot_addr[slot];
    src->read = slot_read;
    src->ctx = ss;
    src->size = u->cfg.slot_size[slot];
    src->tick = src_tick;
    src->io_err = 0;
    src->io_off = 0;
}

/* See updater.h. */
img_result_t upd_read_manifest(upd_t *u, uint8_t slot, img_manifest_t *m)
{
    slot_src_t ss;
    img_source_t src;

    if (u == NULL || m == NULL || slot > META_SLOT_B) {
        return IMG_BAD_HEADER;
    }
    slot_source(u, slot, &ss, &src);
    return img_parse(&src, u->cfg.hdr_size, m);
}

/*
 * img_read_fn over the upload as received so far: the header from first[], the TLV areas
 * from tlv[] (the payload is never read by img_parse). Returns 0, or -1 for any other range.
 */
static int upload_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    const upd_t *u = (const upd_t *)ctx;
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *from;
    uint32_t i;

    if (off < u->first_len && len <= u->first_len - off && off + len <= u->tlv_off) {
        from = &u->first[off];
    } else if (off >= u->tlv_off && off - u->tlv_off <= u->tlv_have &&
               len <= u->tlv_have - (off - u->tlv_off)) {
        from = &u->tlv[off - u->tlv_off];
    } else {
        return -1;
    }
    for (i = 0; i < len; i++) {
        d[i] = from[i];
    }
    return 0;
}

/* ---- session control -------------------------------------------------------------------- */

static void session_drop(upd_t *u)
{
    u->phase = UPD_IDLE;
}

/* Refuse the upload (events) and drop the session. Returns `code`. */
static int refuse(upd_t *u, uint8_t from, int code)
{
    ev_transition(from, BS_PH_REJECTED, u->slot);
    session_drop(u);
    return code;
}

/* The expected byte at slot offset `a` for the TLV/tail region (a >= tlv_off): the TLV byte
 * or the erased value after the image. */
static uint8_t tlv_byte(const upd_t *u, uint32_t a)
{
    if (a >= u->tlv_off && a < u->total) {
        return u->tlv[a - u->tlv_off];
    }
    return (uint8_t)u->cfg.fl->erased_value;
}

/* End (exclusive, slot offset, unit aligned) of what the upload touches: the image plus the
 * erased tail checked by TRAILING_DATA, inside the slot. */
static uint32_t region_end(const upd_t *u)
{
    uint32_t unit = u->cfg.fl->program_unit;
    uint32_t size = u->cfg.slot_size[u->slot];
    uint32_t end = (size - u->total > IMG_TAIL_BYTES) ? u->total + IMG_TAIL_BYTES : size;

    end = (end + unit - 1u) / unit * unit;
    return min_u32(end, size);
}

/*
 * Read the unit at slot offset `a` into unit_buf. Returns 1 if it is erased (LPC blank page,
 * or all bytes 0xFF on a chip whose erased cells read as data), 0 if it holds data, -1 if it
 * cannot be read (torn / ECC).
 */
static int read_unit(upd_t *u, uint32_t a)
{
    const meta_flash_t *fl = u->cfg.fl;
    uint8_t *b = (uint8_t *)u->scratch;
    uint32_t i;
    int rc = fl->read(fl->ctx, u->cfg.slot_addr[u->slot] + a, b, fl->program_unit);

    if (rc == META_FLASH_ERASED) {
        return 1;
    }
    if (rc != 0) {
        return -1;
    }
    if (fl->erased_value != 0xFFu) {
        return 0; /* erased cells do not read as data there: this unit is programmed */
    }
    for (i = 0; i < fl->program_unit; i++) {
        if (b[i] != 0xFFu) {
            return 0;
        }
    }
    return 1;
}

/*
 * Is the unit at `a` (unit aligned) consistent with the upload state? Bytes before
 * `verified` are not looked at; unverified payload bytes may be erased or already programmed
 * (a chunk cut off before its check: stream() compares them with the bytes received again
 * and only programs erased units); TLV and tail bytes must be erased or exactly what the
 * upload puts there (whole unit). A unit that cannot be read (torn) is never clean.
 * Returns 1 (clean), 0 (must be erased).
 */
static int unit_clean(upd_t *u, uint32_t a)
{
    uint32_t unit = u->cfg.fl->program_unit;
    const uint8_t *b = (const uint8_t *)u->scratch;
    int st = read_unit(u, a);
    uint32_t i;

    if (st < 0) {
        return 0;
    }
    if (st == 1) {
        return a >= u->verified; /* an erased unit holding verified bytes is not clean */
    }
    for (i = 0; i < unit; i++) {
        uint32_t off = a + i;
        if (off < u->tlv_off) {
            continue; /* verified, or compared when received again */
        }
        if (b[i] != tlv_byte(u, off)) {
            return 0;
        }
    }
    return 1;
}

/* Program the TLV units (those starting at or after T) that still read erased. Returns
 * SMP_OPS_OK or an SMP_OPS_ERR_* code. */
static int program_tlv_units(upd_t *u)
{
    uint32_t unit = u->cfg.fl->program_unit;
    uint32_t a = (u->tlv_off + unit - 1u) / unit * unit;
    uint8_t *b = (uint8_t *)u->scratch;

    for (; a < u->total; a += unit) {
        uint32_t i;
        int st = read_unit(u, a);
        if (st != 1) {
            if (st == 0 && unit_clean(u, a)) {
                continue; /* already programmed with these bytes */
            }
            return SMP_OPS_ERR_FLASH;
        }
        for (i = 0; i < unit; i++) {
            b[i] = tlv_byte(u, a + i);
        }
        if (shim_program(u, u->cfg.slot_addr[u->slot] + a, u->scratch, unit) != 0) {
            return flash_fail(u, 0);
        }
    }
    return SMP_OPS_OK;
}

static int stream(upd_t *u, const uint8_t *data, uint32_t n);

/*
 * Make the slot ready to receive the payload from `verified` on: find the first unit that
 * is not clean (new upload: 0), rewind the recorded progress to its page if that page holds
 * verified bytes (commit first), erase from that page to the end of the region, program the
 * TLV units, then replay the bytes of the first request that are still needed.
 * Returns SMP_OPS_OK or an SMP_OPS_ERR_* code.
 */
static int prepare(upd_t *u, int fresh)
{
    uint32_t unit = u->cfg.fl->program_unit;
    uint32_t page = u->cfg.fl->page_size;
    uint32_t end = region_end(u);
    uint32_t dirty = u->dirty;
    uint32_t a;
    int rc;

    u->dirty = UPD_SCAN_NONE;
    if (fresh || u->verified > u->tlv_off) {
        dirty = 0u;
    } else if (u->verified > 0u) {
        uint8_t h[IMG_HEADER_BYTES];
        slot_src_t ss;
        img_source_t src;
        uint32_t i;
        slot_source(u, u->slot, &ss, &src);
        if (slot_read(&ss, 0u, h, IMG_HEADER_BYTES) != 0) {
            dirty = 0u;
        } else {
            for (i = 0; i < IMG_HEADER_BYTES; i++) {
                if (h[i] != u->first[i]) {
                    dirty = 0u;
                    break;
                }
            }
        }
    }
    for (a = u->verified / unit * unit; dirty == UPD_SCAN_NONE && a < end; a += unit) {
        if (!unit_clean(u, a)) {
            dirty = a;
        }
        upd_tick(u);
    }
    if (dirty != UPD_SCAN_NONE) {
        uint32_t start = dirty / page * page;
        if (start < u->verified) {
            bs_path_t p;
            /* the page also holds verified chunks: record the rewind before erasing them */
            if (bootsel_upload_rewind(&u->rec, u->slot, u->image_id, start, &p) != BS_OK ||
                commit_path(u, &p) != UPD_OK) {
                return SMP_OPS_ERR_FLASH;
            }
            u->verified = start;
        }
        for (a = start; a < end; a += page) {
            if (shim_erase(u, u->cfg.slot_addr[u->slot] + a) != 0) {
                return flash_fail(u, 1);
            }
        }
    }
    rc = program_tlv_units(u);
    if (rc != SMP_OPS_OK) {
        return rc;
    }
    u->pos = u->verified;
    u->need_prepare = 0;
    if (u->pos < u->first_len) {
        uint32_t stop = min_u32(u->first_len, u->tlv_off);
        return stream(u, &u->first[u->pos], stop - u->pos);
    }
    return SMP_OPS_OK;
}

/* End (slot offset) of the chunk-map chunk holding payload offset `off` (>= hdr_size). */
static uint32_t chunk_end(const upd_t *u, uint32_t off)
{
    uint32_t cs = u->man.chunk_size;
    uint32_t i = (off - u->hdr_size) / cs;
    uint32_t end = u->hdr_size + (i + 1u) * cs; /* <= tlv_off + cs: no wrap (slot bounded) */

    return min_u32(end, u->tlv_off);
}

/*
 * Chunk `i` is complete in flash: re-read it, hash it, compare with CHUNK_HASHES[i] (kept in
 * tlv[]), emit CHUNK and commit the progress on success.
 * Returns SMP_OPS_OK, SMP_OPS_ERR_VERIFY (bad hash / unreadable) or a commit failure.
 */
static int verify_chunk(upd_t *u, uint32_t i)
{
    uint32_t cs = u->man.chunk_size;
    uint32_t start = u->hdr_size + i * cs;
    uint32_t end = min_u32(start + cs, u->tlv_off);
    slot_src_t ss;
    img_source_t src;
    sha256_ctx_t c;
    uint8_t got[32];
    uint8_t blk[IMG_IO_CHUNK];
    uint32_t off;
    int ok = 1;
    bs_path_t p;

    slot_source(u, u->slot, &ss, &src);
    sha256_init(&c);
    for (off = start; off < end; off += IMG_IO_CHUNK) {
        uint32_t n = min_u32(IMG_IO_CHUNK, end - off);
        if (slot_read(&ss, off, blk, n) != 0) {
            ok = 0;
            break;
        }
        sha256_update(&c, blk, n);
        upd_tick(u);
    }
    sha256_final(&c, got);
    /* chunk_hashes_off/len were bounds-checked by img_parse against the TLV area in tlv[];
     * i < chunk_count keeps the read inside it (without MUT_SKIP_MANIFEST count is exact) */
    if (ok && i < u->man.chunk_count) {
        const uint8_t *want = &u->tlv[u->man.chunk_hashes_off - u->tlv_off + i * 32u];
        uint32_t k;
        uint8_t diff = 0;
        for (k = 0; k < 32u; k++) {
            diff |= (uint8_t)(got[k] ^ want[k]);
        }
        ok = (diff == 0u);
    }
    ev_chunk(i, ok);
    if (!ok) {
        return SMP_OPS_ERR_VERIFY;
    }
    if (bootsel_upload_advance(&u->rec, u->slot, u->image_id, end, &p) != BS_OK ||
        commit_path(u, &p) != UPD_OK) {
        return SMP_OPS_ERR_FLASH;
    }
    u->verified = end;
    return SMP_OPS_OK;
}

/*
 * Program header/payload bytes [pos, pos + n) (n <= tlv_off - pos) unit by unit; verify
 * every chunk that completes. On any failure the payload restarts at the verified offset
 * (the slot is prepared again first). Returns SMP_OPS_OK or an SMP_OPS_ERR_* code.
 */
static int stream(upd_t *u, const uint8_t *data, uint32_t n)
{
    uint32_t unit = u->cfg.fl->program_unit;
    uint8_t *b = (uint8_t *)u->unit_buf;
    int rc = SMP_OPS_OK;

    while (n > 0u && rc == SMP_OPS_OK) {
        uint32_t ua = u->pos / unit * unit;
        uint32_t k = u->pos - ua;
        uint32_t take = min_u32(min_u32(unit - k, n), u->tlv_off - u->pos);
        uint32_t before = u->pos;
        uint32_t i;

        if (take == 0u) {
            break; /* callers never pass bytes at or past T */
        }
        if (k == 0u) {
            for (i = 0; i < unit; i++) {
                b[i] = (uint8_t)u->cfg.fl->erased_value;
            }
        }
        for (i = 0; i < take; i++) {
            b[k + i] = data[i];
        }
        u->pos += take;
        data += take;
        n -= take;
        if (u->pos == ua + unit || u->pos == u->tlv_off) {
            if (u->pos == u->tlv_off) {
                for (i = u->pos - ua; i < unit; i++) { /* the shared unit: TLV head */
                    b[i] = tlv_byte(u, ua + i);
                }
            }
            int st = read_unit(u, ua);
            if (st == 0) {
                /* programmed by a session cut off before this chunk's check: the same bytes
                 * are fine (the chunk hash decides), anything else must be erased first */
                for (i = 0; i < unit && b[i] == ((const uint8_t *)u->scratch)[i]; i++) {
                }
                if (i != unit) {
                    u->dirty = ua;
                    rc = SMP_OPS_ERR_FLASH;
                    break;
                }
            } else if (st < 0) {
                u->dirty = ua;
                rc = SMP_OPS_ERR_FLASH;
                break;
            } else if (shim_program(u, u->cfg.slot_addr[u->slot] + ua, u->unit_buf, unit) !=
                       0) {
                rc = flash_fail(u, 0);
                break;
            }
        }
        if (u->pos > u->hdr_size && u->pos == chunk_end(u, before < u->hdr_size
                                                                 ? u->hdr_size
                                                                 : before)) {
            uint32_t ci = (u->pos - 1u - u->hdr_size) / u->man.chunk_size;
            rc = verify_chunk(u, ci);
            if (rc == SMP_OPS_ERR_VERIFY) {
                u->dirty = u->hdr_size + ci * u->man.chunk_size; /* erase it before a retry */
            }
        }
    }
    if (rc != SMP_OPS_OK) {
        u->need_prepare = 1;
        u->pos = u->verified;
    }
    return rc;
}

/* ---- the TLV stage: parse, decide new/resume, prepare ---------------------------------- */

static int tlv_complete(upd_t *u)
{
    img_source_t src;
    img_result_t r;
    bs_path_t p;
    uint32_t id;
    uint32_t build;
    int rc;

    src.read = upload_read;
    src.ctx = u;
    src.size = u->total;
    src.tick = NULL;
    src.io_err = 0;
    src.io_off = 0;
    r = img_parse(&src, u->cfg.hdr_size, &u->man);
    if (r != IMG_OK) {
        ev_parse_fail(r);
        return refuse(u, BS_PH_IDLE, SMP_OPS_ERR_VERIFY);
    }
    if (!meta_refresh(u) || upd_target_slot(u) != u->slot) {
        session_drop(u);
        return SMP_OPS_ERR_STATE;
    }
    id = rd_be32(u->man.sha256); /* ATTACKER until step 4; only identifies the upload */
    build = u->man.sec_cnt;
    u->image_id = id;
    u->build = build;
    if (u->rec.up_slot == u->slot && u->rec.up_image_id == id && u->rec.up_build == build &&
        u->rec.state[u->slot] == (uint8_t)META_ST_STAGING) {
        u->verified = u->rec.up_offset; /* resume */
        rc = prepare(u, 0);
    } else {
        uint32_t dummy = 0;
        rc = bootsel_upload_begin(&u->rec, u->slot, id, build, &p, &dummy);
        if (rc != BS_OK) {
            /* Not fresh (replay / below floor) or not allowed: the package is still taken in
             * so that the verdict comes after its signature (VERIFY_SIG then PARSE_MANIFEST
             * replay / below_floor, §7); the record is the one bootsel_upload_begin would make.
             * Nothing can be installed: bootsel_install and img_check_policy refuse it. */
            p.rec = u->rec;
            p.rec.state[u->slot] = META_ST_STAGING;
            p.rec.attempts[u->slot] = 0u;
            p.rec.build[u->slot] = 0u;
            p.rec.image_id[u->slot] = 0u;
            p.rec.next = u->rec.active;
            p.rec.up_slot = u->slot;
            p.rec.up_offset = 0u;
            p.rec.up_image_id = id;
            p.rec.up_build = build;
            p.n_events = 1u;
            p.events[0].kind = BS_EV_SLOT_TRANSITION;
            p.events[0].from = BS_PH_IDLE;
            p.events[0].to = BS_PH_DOWNLOADING;
            p.events[0].slot = u->slot;
            p.events[0].attempt = 0u;
        }
        if (commit_path(u, &p) != UPD_OK) {
#if defined(MUT_SAME_SLOT) && MUT_SAME_SLOT
            /* MUTATION: the download into the running slot is reported; the metadata rules
             * (up_slot never the active slot) refuse the record itself */
            upd_emit_events(p.events, p.n_events);
#endif
            session_drop(u);
            return flash_fail(u, 0) == SMP_OPS_ERR_BUSY ? SMP_OPS_ERR_BUSY : SMP_OPS_ERR_STATE;
        }
        u->verified = 0u;
        rc = prepare(u, 1);
    }
    u->phase = UPD_PAYLOAD;
    if (rc != SMP_OPS_OK) {
        session_drop(u); /* the slot could not be prepared: the client starts over (resume) */
    }
    return rc;
}

/* Header checks (step 1) on first[0..32). Returns IMG_OK or the result to report. */
static img_result_t header_check(upd_t *u)
{
    const uint8_t *h = u->first;
    uint32_t hdr_size = (uint32_t)h[8] | ((uint32_t)h[9] << 8);
    uint32_t img_size = rd_le32(&h[12]);
    uint32_t slot_size = u->cfg.slot_size[u->slot];

    if (rd_le32(&h[0]) != IMG_MAGIC) {
        return IMG_BAD_MAGIC;
    }
    if (hdr_size != u->cfg.hdr_size || rd_le32(&h[16]) != 0u || img_size == 0u) {
        return IMG_BAD_HEADER;
    }
    /* ATTACKER: img_size; hdr_size + img_size must leave room for the TLV infos in len */
    if (img_size > slot_size || hdr_size > slot_size - img_size) {
        return IMG_TOO_LARGE;
    }
    if (hdr_size + img_size > u->total || u->total - (hdr_size + img_size) < 8u) {
        return IMG_TLV_TRUNCATED;
    }
    if (u->total - (hdr_size + img_size) > UPD_TLV_MAX) {
        return IMG_TOO_LARGE; /* the TLV areas do not fit the RAM buffer */
    }
    u->hdr_size = hdr_size;
    u->tlv_off = hdr_size + img_size;
    return IMG_OK;
}

/* Append the part of [off, off + n) that continues the TLV areas. */
static void tlv_take(upd_t *u, uint32_t off, const uint8_t *data, uint32_t n)
{
    uint32_t want = u->tlv_off + u->tlv_have;
    uint32_t i;

    if (off > want || off + n <= want) {
        return;
    }
    data += want - off;
    n -= want - off;
    n = min_u32(n, u->total - want);
    for (i = 0; i < n; i++) {
        u->tlv[u->tlv_have + i] = data[i];
    }
    u->tlv_have += n;
}

/* ---- SMP ops ---------------------------------------------------------------------------- */

static int op_begin(void *ctx, uint32_t image, uint32_t total_len, const uint8_t *sha,
                    size_t sha_len, int upgrade)
{
    upd_t *u = (upd_t *)ctx;
    uint8_t slot;

    (void)sha;
    (void)sha_len;
    (void)upgrade;
    session_drop(u);
    if (image != 0u) {
        return SMP_OPS_ERR_INVALID;
    }
    meta_refresh(u);
    slot = upd_target_slot(u);
    if (slot == META_SLOT_NONE) {
        return SMP_OPS_ERR_STATE;
    }
#if !(defined(MUT_SAME_SLOT) && MUT_SAME_SLOT)
    if (slot == u->cfg.running_slot) {
        return SMP_OPS_ERR_STATE; /* a trial boot: confirm (or roll back) first */
    }
#endif
    u->slot = slot;
    if (total_len > u->cfg.slot_size[slot]) { /* ATTACKER: len */
        ev_parse_fail(IMG_TOO_LARGE);
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

    switch (u->phase) {
    case UPD_HEADER: {
        uint32_t keep;
        uint32_t i;
        if (off != u->first_len) {
            return SMP_OPS_ERR_INVALID;
        }
        keep = min_u32(n, UPD_FIRST_MAX - u->first_len);
        for (i = 0; i < keep; i++) {
            u->first[u->first_len + i] = data[i];
        }
        u->first_len += keep;
        if (u->first_len < IMG_HEADER_BYTES) {
            return SMP_OPS_OK; /* keep asking sequentially until the header is in */
        }
        r = header_check(u);
        if (r != IMG_OK) {
            ev_parse_fail(r);
            return refuse(u, BS_PH_IDLE, r == IMG_TOO_LARGE ? SMP_OPS_ERR_TOO_LARGE
                                                             : SMP_OPS_ERR_VERIFY);
        }
        u->first_len = min_u32(u->first_len, u->tlv_off);
        u->phase = UPD_TLV;
        tlv_take(u, off, data, n);
        break;
    }
    case UPD_TLV:
        tlv_take(u, off, data, n);
        break;
    case UPD_PAYLOAD:
        if (u->need_prepare) {
            int rc = prepare(u, 0);
            if (rc != SMP_OPS_OK) {
                return rc;
            }
        }
        if (off != u->pos) {
            return SMP_OPS_OK; /* not where we steered: ignored, steered again */
        }
        if (off < u->tlv_off) {
            return stream(u, data, min_u32(n, u->tlv_off - off));
        }
        return SMP_OPS_OK;
    default:
        return SMP_OPS_ERR_STATE;
    }
    if (u->phase == UPD_TLV && u->tlv_have == u->total - u->tlv_off) {
        return tlv_complete(u);
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

/* Step 4: re-read and verify the whole slot, then install. */
static int op_end(void *ctx)
{
    upd_t *u = (upd_t *)ctx;
    static img_manifest_t m; /* large; one updater per device */
    slot_src_t ss;
    img_source_t src;
    img_policy_t pol;
    img_result_t r;
    ev_fields_t f;
    bs_path_t p;
    uint32_t floor;

    if (u->phase != UPD_PAYLOAD || u->pos != u->tlv_off || u->need_prepare) {
        session_drop(u);
        return SMP_OPS_ERR_STATE;
    }
    u->phase = UPD_DONE;
    ev_transition(BS_PH_DOWNLOADING, BS_PH_VERIFYING, u->slot);
    slot_source(u, u->slot, &ss, &src);
    r = img_parse(&src, u->cfg.hdr_size, &m);
    if (r != IMG_OK) {
        ev_parse_fail(r);
        return refuse(u, BS_PH_VERIFYING, SMP_OPS_ERR_VERIFY);
    }
    r = img_verify(&src, &m, u->cfg.kr);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_hex(&f, "key_id", m.key_id, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("VERIFY_SIG", &f);
    if (r != IMG_OK) {
        return refuse(u, BS_PH_VERIFYING, SMP_OPS_ERR_VERIFY);
    }
    meta_refresh(u);
    floor = u->cfg.kr->floor;
    if (u->meta_ok && u->rec.floor > floor) {
        floor = u->rec.floor;
    }
    pol.hw_compat = u->cfg.kr->hw_compat;
    pol.slot = u->slot;
    pol.image_type = IMG_TYPE_APP;
    pol.floor = floor;
    pol.running_build = u->cfg.running_build;
    if (pol.running_build == 0u && u->meta_ok) {
        pol.running_build = u->rec.build[u->rec.active]; /* rescue: the confirmed build */
    }
#if defined(MUT_NO_REPLAY_CHECK) && MUT_NO_REPLAY_CHECK
    pol.running_build = 0u; /* MUTATION (item 8): install without comparing the build */
#endif
    pol.erased_value = u->cfg.fl->erased_value;
    r = img_check_policy(&src, &m, &pol);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_u32(&f, "build", m.sec_cnt);
    (void)ev_add_str(&f, "slot", slot_name(m.target_slot));
    (void)ev_add_hex(&f, "compat", m.hw_compat, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("PARSE_MANIFEST", &f);
    if (r != IMG_OK) {
        return refuse(u, BS_PH_VERIFYING, SMP_OPS_ERR_VERIFY);
    }
    ev_transition(BS_PH_VERIFYING, BS_PH_STAGING, u->slot);
    if (!u->meta_ok ||
        bootsel_install(&u->rec, u->slot, rd_be32(m.computed_hash), m.sec_cnt, &p) != BS_OK) {
        return refuse(u, BS_PH_STAGING, SMP_OPS_ERR_STATE);
    }
    if (commit_path(u, &p) != UPD_OK) {
        return refuse(u, BS_PH_STAGING, flash_fail(u, 0));
    }
    session_drop(u);
    return SMP_OPS_OK;
}

static int op_erase(void *ctx, uint32_t slot)
{
    upd_t *u = (upd_t *)ctx;

    meta_refresh(u);
    if (slot > 1u || (u->meta_ok && slot == u->rec.active)) {
        return SMP_OPS_ERR_SLOT;
    }
    session_drop(u); /* the slot itself is erased by the next upload */
    return SMP_OPS_OK;
}

/* "major.minor.revision.build" into out[SMP_VERSION_MAX + 1]. */
static void version_text(const img_manifest_t *m, char *out)
{
    uint32_t parts[4];
    size_t n = 0;
    uint32_t i;

    parts[0] = m->ver_major;
    parts[1] = m->ver_minor;
    parts[2] = m->ver_revision;
    parts[3] = m->sec_cnt;
    for (i = 0; i < 4u; i++) {
        int k = fmt_u32_dec(&out[n], SMP_VERSION_MAX + 1u - n, parts[i]);
        if (k < 0) {
            break;
        }
        n += (size_t)k;
        if (i < 3u && n < SMP_VERSION_MAX) {
            out[n++] = '.';
        }
    }
    out[n] = '\0';
}

static int op_state_read(void *ctx, smp_image_state_t *out, size_t max)
{
    upd_t *u = (upd_t *)ctx;
    static img_manifest_t m;
    size_t n = 0;
    uint8_t s;

    meta_refresh(u);
    for (s = 0; s <= META_SLOT_B && n < max; s++) {
        smp_image_state_t *e = &out[n];
        uint32_t i;
        if (upd_read_manifest(u, s, &m) != IMG_OK) {
            continue;
        }
        e->image = 0u;
        e->slot = s;
        version_text(&m, e->version);
        for (i = 0; i < 32u; i++) {
            e->hash[i] = m.sha256[i];
        }
        e->hash_len = 32u;
        e->flags = 0u;
        if (u->meta_ok && s == u->rec.active) {
            e->flags |= SMP_IMG_F_CONFIRMED | SMP_IMG_F_BOOTABLE;
        }
        if (u->meta_ok && u->rec.state[s] == (uint8_t)META_ST_PENDING && u->rec.next == s) {
            e->flags |= SMP_IMG_F_PENDING | SMP_IMG_F_BOOTABLE;
        }
        if (s == u->cfg.running_slot) {
            e->flags |= SMP_IMG_F_ACTIVE;
        }
        n++;
    }
    return (int)n;
}

static int op_state_write(void *ctx, const uint8_t *hash, size_t hash_len, int confirm)
{
    upd_t *u = (upd_t *)ctx;
    static img_manifest_t m;
    uint8_t s;

    meta_refresh(u);
    if (!u->meta_ok) {
        return SMP_OPS_ERR_STATE;
    }
    for (s = 0; s <= META_SLOT_B; s++) {
        size_t i;
        int same = (hash_len == 32u && upd_read_manifest(u, s, &m) == IMG_OK);
        for (i = 0; same && i < 32u; i++) {
            same = (m.sha256[i] == hash[i]);
        }
        if (confirm && ((hash_len == 0u && s == u->cfg.running_slot) || same)) {
            /* only an image that is already confirmed; a boot test confirms by itself */
            return s == u->rec.active ? SMP_OPS_OK : SMP_OPS_ERR_DENIED;
        }
        if (!confirm && same) {
            return (u->rec.state[s] == (uint8_t)META_ST_PENDING && u->rec.next == s)
                       ? SMP_OPS_OK
                       : SMP_OPS_ERR_DENIED;
        }
    }
    return SMP_OPS_ERR_NO_IMAGE;
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
    .upload_end = op_end,
    .upload_resume = NULL, /* resume is decided by the metadata once the TLVs are in */
    .image_erase = op_erase,
    .state_read = op_state_read,
    .state_write = op_state_write,
    .reset = op_reset,
    .upload_next = op_next,
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
    u->dirty = UPD_SCAN_NONE;
    if (meta_init(&u->meta, &u->shim, cfg->meta_addr[0], cfg->meta_addr[1]) != 0) {
        return UPD_ERR_ARG;
    }
    (void)meta_refresh(u);
    return UPD_OK;
}
