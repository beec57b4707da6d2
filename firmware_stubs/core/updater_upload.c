/*
 * updater_upload.c - steps 1-3 of an upload (contracts §8, updater.h): the header and TLV
 * stage, the new / resumed decision (RESUME), the slot preparation (erase what is not this
 * upload's, program the TLV units) and the payload stream with the per-chunk check (CHUNK,
 * metadata progress). Shared internals: updater_int.h.
 *
 * Planted bugs (core/mut_hooks.h, never in normal builds): MUT_RESUME_BEFORE_VERIFY (item 2,
 * ADVANCE_RESUME_ON_RECEIPT), MUT_PENDING_BEFORE_HASH (item 11, PENDING_ON_LAST_BYTES),
 * MUT_SAME_SLOT (item 3, REPORT_RUNNING_SLOT_DOWNLOAD), MUT_RESUME_TRUSTS_WRITTEN (item 2,
 * issue 10 resume class, TRUST_WRITTEN_CHUNK).
 */
#include "updater_int.h"

#include "evidence.h"
#include "mut_hooks.h"

/* CHUNK index=i result=ok|bad. No return value. */
static void ev_chunk(uint32_t index, int ok)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_u32(&f, "index", index);
    (void)ev_add_str(&f, "result", ok ? "ok" : "bad");
    (void)ev_emit("CHUNK", &f);
}

/*
 * RESUME chunk=<i> offset=<o>: a resumed upload was recognised and the slot prepared (or,
 * within the session, prepared again after bytes found programmed with other values); o is
 * the offset the device answers next (the first payload byte it still needs, or len when
 * every payload byte is in), i the chunk-map chunk that starts there (chunk_count when all
 * are in). No return value.
 */
static void ev_resume(const upd_t *u)
{
    ev_fields_t f;
    uint32_t chunk;
    uint32_t off;

    if (u->pos >= u->tlv_off) {
        chunk = u->man.chunk_count;
        off = u->total;
    } else {
        chunk = (u->pos <= u->hdr_size) ? 0u : (u->pos - u->hdr_size) / u->man.chunk_size;
        off = u->pos;
    }
    ev_fields_init(&f);
    (void)ev_add_u32(&f, "chunk", chunk);
    (void)ev_add_u32(&f, "offset", off);
    (void)ev_emit("RESUME", &f);
}

/* ---- image sources ----------------------------------------------------------------- */

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

/* ---- slot preparation -------------------------------------------------------------- */

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

    if (MUT_HOOK_ERASE_PAST_END()) {
        /* planted (geometry class): the erased tail window is not clamped to the slot */
        end = u->total + IMG_TAIL_BYTES;
        return (end + unit - 1u) / unit * unit;
    }
    end = (end + unit - 1u) / unit * unit;
    return upd_min(end, size);
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
        if (upd_shim_program(u, u->cfg.slot_addr[u->slot] + a, u->scratch, unit) != 0) {
            return upd_flash_fail(u, 0);
        }
    }
    return SMP_OPS_OK;
}

static int stream(upd_t *u, const uint8_t *data, uint32_t n);

/*
 * Make the slot ready to receive the payload from `verified` on: find the first unit that
 * is not clean (new upload: 0; `dirty` when the stream found one), rewind the recorded
 * progress to its page if that page holds verified bytes (commit first), erase from that page
 * to the end of the region, program the TLV units, then replay the bytes of the first request
 * that are still needed. Prepared again within the session (the payload stage): RESUME.
 * Returns SMP_OPS_OK or an SMP_OPS_ERR_* code.
 */
int upd_prepare(upd_t *u, int fresh)
{
    uint32_t unit = u->cfg.fl->program_unit;
    uint32_t page = u->cfg.fl->page_size;
    uint32_t end = region_end(u);
    uint32_t dirty = u->dirty;
    int again = (u->phase == UPD_PAYLOAD);
    uint32_t a;
    int rc;

    u->dirty = UPD_SCAN_NONE;
    if (fresh || u->verified > u->tlv_off) {
        dirty = 0u;
    } else if (u->verified > 0u) {
        uint8_t h[IMG_HEADER_BYTES];
        upd_slot_src_t ss;
        img_source_t src;
        uint32_t i;
        upd_slot_source(u, u->slot, &ss, &src);
        if (upd_slot_read(&ss, 0u, h, IMG_HEADER_BYTES) != 0) {
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
                upd_commit_path(u, &p) != UPD_OK) {
                return SMP_OPS_ERR_FLASH;
            }
            u->verified = start;
        }
        for (a = start; a < end; a += page) {
            if (upd_shim_erase(u, u->cfg.slot_addr[u->slot] + a) != 0) {
                return upd_flash_fail(u, 1);
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
        uint32_t stop = upd_min(u->first_len, u->tlv_off);
        rc = stream(u, &u->first[u->pos], stop - u->pos);
    }
    if (again && rc == SMP_OPS_OK && !u->need_prepare) {
        ev_resume(u); /* the client is steered to a new resume point */
    }
    return rc;
}

/* ---- payload stream and per-chunk check ----------------------------------------- */

/* End (slot offset) of the chunk-map chunk holding payload offset `off` (>= hdr_size). */
static uint32_t chunk_end(const upd_t *u, uint32_t off)
{
    uint32_t cs = u->man.chunk_size;
    uint32_t i = (off - u->hdr_size) / cs;
    uint32_t end = u->hdr_size + (i + 1u) * cs; /* <= tlv_off + cs: no wrap (slot bounded) */

    return upd_min(end, u->tlv_off);
}

/*
 * Chunk `i` is complete in flash: re-read it, hash it, compare with CHUNK_HASHES[i] (kept in
 * tlv[]), emit CHUNK and commit the progress on success. `trusted` is 0 except in the
 * MUT_RESUME_TRUSTS_WRITTEN build (TRUST_WRITTEN_CHUNK: a chunk found written before the
 * reboot is taken as checked, nothing re-read).
 * Returns SMP_OPS_OK, SMP_OPS_ERR_VERIFY (bad hash / unreadable) or a commit failure.
 */
static int verify_chunk(upd_t *u, uint32_t i, int trusted)
{
    uint32_t cs = u->man.chunk_size;
    uint32_t start = u->hdr_size + i * cs;
    uint32_t end = upd_min(start + cs, u->tlv_off);
    uint8_t got[32];
    int ok;
    bs_path_t p;

    ok = trusted || (upd_hash_slot(u, start, end, got) == 0);
    /* chunk_hashes_off/len were bounds-checked by img_parse against the TLV area in tlv[];
     * i < chunk_count keeps the read inside it (without MUT_SKIP_MANIFEST count is exact) */
    if (ok && !trusted && i < u->man.chunk_count) {
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
        u->why = img_result_name(IMG_CHUNK_HASH);
        return SMP_OPS_ERR_VERIFY;
    }
    if ((MUT_HOOK_ADVANCE_RESUME_ON_RECEIPT() || MUT_HOOK_PENDING_ON_LAST_BYTES()) &&
        (u->rec.state[u->slot] == (uint8_t)META_ST_PENDING || u->rec.up_offset >= end)) {
        u->verified = end; /* the planted bug recorded it already (or the upload is PENDING) */
        return SMP_OPS_OK;
    }
    if (bootsel_upload_advance(&u->rec, u->slot, u->image_id, end, &p) != BS_OK ||
        upd_commit_path(u, &p) != UPD_OK) {
        return SMP_OPS_ERR_FLASH;
    }
    u->verified = end;
    return SMP_OPS_OK;
}

/*
 * Program header/payload bytes [pos, pos + n) (n <= tlv_off - pos) unit by unit; verify
 * every chunk that completes. On any failure the payload restarts at the verified offset
 * (the slot is prepared again first). A unit found programmed with other bytes (written by
 * an earlier session, e.g. a corrupt chunk whose check a reboot cut off) is no failure of
 * this upload: the remaining bytes are dropped, the client is steered back to the verified
 * offset and the slot prepared again from that unit's page (RESUME reports where).
 * Returns SMP_OPS_OK or an SMP_OPS_ERR_* code.
 */
static int stream(upd_t *u, const uint8_t *data, uint32_t n)
{
    uint32_t unit = u->cfg.fl->program_unit;
    uint8_t *b = (uint8_t *)u->unit_buf;
    int rc = SMP_OPS_OK;
    int again = 0;   /* a unit holds other bytes: prepare again from its page */
    int written = 0; /* the last unit was found programmed already (TRUST_WRITTEN_CHUNK) */

    while (n > 0u && rc == SMP_OPS_OK) {
        uint32_t ua = u->pos / unit * unit;
        uint32_t k = u->pos - ua;
        uint32_t take = upd_min(upd_min(unit - k, n), u->tlv_off - u->pos);
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
            written = (st == 0);
            if (st == 0) {
                /* programmed by a session cut off before this chunk's check: the same bytes
                 * are fine (the chunk hash decides), anything else must be erased first */
                for (i = 0; i < unit && b[i] == ((const uint8_t *)u->scratch)[i]; i++) {
                }
                if (i != unit && !MUT_HOOK_TRUST_WRITTEN_CHUNK()) {
                    u->dirty = ua;
                    again = 1;
                    break;
                }
            } else if (st < 0) {
                u->dirty = ua;
                rc = SMP_OPS_ERR_FLASH;
                break;
            } else if (upd_shim_program(u, u->cfg.slot_addr[u->slot] + ua, u->unit_buf, unit) !=
                       0) {
                rc = upd_flash_fail(u, 0);
                break;
            }
        }
        if (u->pos > u->hdr_size && u->pos == chunk_end(u, before < u->hdr_size
                                                                 ? u->hdr_size
                                                                 : before)) {
            uint32_t ci = (u->pos - 1u - u->hdr_size) / u->man.chunk_size;
            rc = verify_chunk(u, ci, MUT_HOOK_TRUST_WRITTEN_CHUNK() && written);
            if (rc == SMP_OPS_ERR_VERIFY) {
                u->dirty = u->hdr_size + ci * u->man.chunk_size; /* erase it before a retry */
            }
        }
    }
    if (rc != SMP_OPS_OK || again) {
        u->need_prepare = 1;
        u->pos = u->verified;
    }
    return rc;
}


/* Planted bug (mut_hooks.h ADVANCE_RESUME_ON_RECEIPT, item 2; only used in that mutation
 * build): record the resume point at the end of the last chunk whose bytes are in [.., end),
 * as soon as they are received (nothing programmed or checked yet). */
static void mut_advance_early(upd_t *u, uint32_t end)
{
    uint32_t cs = u->man.chunk_size;
    uint32_t e;
    bs_path_t p;

    if (end >= u->tlv_off) {
        e = u->tlv_off;
    } else if (end > u->hdr_size) {
        e = u->hdr_size + (end - u->hdr_size) / cs * cs;
    } else {
        return;
    }
    if (e > u->rec.up_offset &&
        bootsel_upload_advance(&u->rec, u->slot, u->image_id, e, &p) == BS_OK) {
        (void)upd_commit_path(u, &p);
    }
}

/* Planted bug (mut_hooks.h PENDING_ON_LAST_BYTES, item 11; only used in that mutation build):
 * the last payload bytes arrived: PENDING right now, before they are programmed, read back
 * and the whole slot re-verified. */
static void mut_pending_early(upd_t *u)
{
    bs_path_t p;

    if (u->rec.state[u->slot] == (uint8_t)META_ST_STAGING &&
        bootsel_install(&u->rec, u->slot, u->image_id, u->build, &p) == BS_OK) {
        (void)upd_commit_path(u, &p);
    }
}

/* See updater_int.h: a payload write request at off == pos (< T), n <= T - off bytes. */
int upd_payload(upd_t *u, uint32_t off, const uint8_t *data, uint32_t n)
{
    if (MUT_HOOK_ADVANCE_RESUME_ON_RECEIPT()) {
        mut_advance_early(u, off + n);
    }
    if (MUT_HOOK_PENDING_ON_LAST_BYTES() && off + n >= u->tlv_off) {
        mut_pending_early(u);
    }
    (void)off;
    return stream(u, data, n);
}

/* ---- the TLV stage: parse, decide new/resume, prepare ---------------------------------- */

/* Header checks (step 1) on first[0..32). Returns IMG_OK or the result to report. */
img_result_t upd_header_check(upd_t *u)
{
    const uint8_t *h = u->first;
    uint32_t hdr_size = (uint32_t)h[8] | ((uint32_t)h[9] << 8);
    uint32_t img_size = upd_rd_le32(&h[12]);
    uint32_t slot_size = u->cfg.slot_size[u->slot];

    if (upd_rd_le32(&h[0]) != IMG_MAGIC) {
        return IMG_BAD_MAGIC;
    }
    if (hdr_size != u->cfg.hdr_size || upd_rd_le32(&h[16]) != 0u || img_size == 0u) {
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
void upd_tlv_take(upd_t *u, uint32_t off, const uint8_t *data, uint32_t n)
{
    uint32_t want = u->tlv_off + u->tlv_have;
    uint32_t i;

    if (off > want || off + n <= want) {
        return;
    }
    data += want - off;
    n -= want - off;
    n = upd_min(n, u->total - want);
    for (i = 0; i < n; i++) {
        u->tlv[u->tlv_have + i] = data[i];
    }
    u->tlv_have += n;
}

/* See updater_int.h: the TLV areas are all in (step 2). Returns an SMP_OPS_* code. */
int upd_tlv_complete(upd_t *u)
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
        u->why = img_result_name(r);
        upd_ev_parse_fail(r);
        return upd_refuse(u, BS_PH_IDLE, SMP_OPS_ERR_VERIFY);
    }
    if (!upd_meta_refresh(u) || upd_target_slot(u) != u->slot) {
        u->why = "metadata changed";
        upd_session_drop(u);
        return SMP_OPS_ERR_STATE;
    }
    id = upd_rd_be32(u->man.sha256); /* ATTACKER until step 4; only identifies the upload */
    build = u->man.sec_cnt;
    u->image_id = id;
    u->build = build;
    if (u->rec.up_slot == u->slot && u->rec.up_image_id == id && u->rec.up_build == build &&
        u->rec.state[u->slot] == (uint8_t)META_ST_STAGING) {
        u->verified = u->rec.up_offset; /* resume */
        rc = upd_prepare(u, 0);
        if (rc == SMP_OPS_OK) {
            ev_resume(u);
        }
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
        if (upd_commit_path(u, &p) != UPD_OK) {
            if (MUT_HOOK_REPORT_RUNNING_SLOT_DOWNLOAD()) {
                /* planted (item 3): the download into the running slot is reported; the
                 * metadata rules (up_slot never the active slot) refuse the record itself */
                upd_emit_events(p.events, p.n_events);
            }
            upd_session_drop(u);
            return upd_flash_fail(u, 0) == SMP_OPS_ERR_BUSY ? SMP_OPS_ERR_BUSY
                                                            : SMP_OPS_ERR_STATE;
        }
        u->verified = 0u;
        rc = upd_prepare(u, 1);
    }
    u->phase = UPD_PAYLOAD;
    if (rc != SMP_OPS_OK) {
        upd_session_drop(u); /* the slot could not be prepared: the client starts over */
    }
    return rc;
}
