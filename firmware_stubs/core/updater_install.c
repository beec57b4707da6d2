/*
 * updater_install.c - steps 4 and 5 of an upload (contracts §8, updater.h). Step 4, every
 * byte is in: VERIFYING (the slot re-read: img_parse, VERIFY_SIG, PARSE_MANIFEST with the
 * policy) -> STAGING; the image stays unmarked (MCUboot's img_mgmt: an upload never marks
 * an image) and the final answer carries `match`. Step 5, the SMP state write that marks it
 * for test: PHASE name=re_verify (final re-read and hash of the written slot) -> PHASE
 * name=meta_commit (the PENDING metadata commit) -> PENDING. Also the SMP image erase and
 * image state read. Shared internals: updater_int.h.
 */
#include "updater_int.h"

#include "evidence.h"
#include "fmt.h"
#include "mut_hooks.h"

/* VERIFY_SIG result=.. key_id=.. error_code=... No return value. */
static void ev_verify_sig(img_result_t r, uint32_t key_id)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_hex(&f, "key_id", key_id, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("VERIFY_SIG", &f);
}

/*
 * The final re-verify, right before any boot flag is set (ota-requirements §1 Integrity): the
 * written slot is read back once more and its signed region hashed; the hash must still be
 * the one the signature covered (m->computed_hash == the SHA256 TLV), and the unprotected TLV
 * area must still hold the bytes received.
 * Returns IMG_OK, or IMG_HASH_MISMATCH (different or unreadable).
 */
static img_result_t re_verify(upd_t *u, const img_manifest_t *m)
{
    upd_slot_src_t ss;
    img_source_t src;
    uint8_t got[32];
    uint8_t blk[IMG_IO_CHUNK];
    uint8_t diff = 0;
    uint32_t off;
    uint32_t k;

    if (upd_hash_slot(u, 0u, m->signed_end, got) != 0) {
        return IMG_HASH_MISMATCH;
    }
    for (k = 0; k < 32u; k++) {
        diff |= (uint8_t)(got[k] ^ m->computed_hash[k]);
    }
    /* [signed_end, image_end) lies inside [tlv_off, total): img_parse bounded it by the
     * upload's own TLV areas (kept in tlv[]) and the slot holds the same image */
    upd_slot_source(u, u->slot, &ss, &src);
    for (off = m->signed_end; diff == 0u && off < m->image_end && off < u->total;
         off += IMG_IO_CHUNK) {
        uint32_t n = upd_min(IMG_IO_CHUNK, upd_min(m->image_end, u->total) - off);
        if (off < u->tlv_off || upd_slot_read(&ss, off, blk, n) != 0) {
            return IMG_HASH_MISMATCH;
        }
        for (k = 0; k < n; k++) {
            diff |= (uint8_t)(blk[k] ^ u->tlv[off - u->tlv_off + k]);
        }
    }
    return diff == 0u ? IMG_OK : IMG_HASH_MISMATCH;
}

/* The manifest step 4 verified for the staged image (valid while u->staged; large, and one
 * updater per device). */
static img_manifest_t staged_m;

/* Step 4: re-read and verify the whole slot; the image is then STAGING, not marked. */
int upd_op_end(void *ctx)
{
    upd_t *u = (upd_t *)ctx;
    img_manifest_t *m = &staged_m;
    upd_slot_src_t ss;
    img_source_t src;
    img_policy_t pol;
    img_result_t r;
    ev_fields_t f;
    uint32_t floor;

    u->why = NULL;
    if (u->phase != UPD_PAYLOAD || u->pos != u->tlv_off || u->need_prepare) {
        upd_session_drop(u);
        return SMP_OPS_ERR_STATE;
    }
    u->phase = UPD_DONE;
    upd_ev_transition(BS_PH_DOWNLOADING, BS_PH_VERIFYING, u->slot);
    upd_slot_source(u, u->slot, &ss, &src);
    r = img_parse(&src, u->cfg.hdr_size, m);
    if (r != IMG_OK) {
        u->why = img_result_name(r);
        upd_ev_parse_fail(r);
        return upd_refuse(u, BS_PH_VERIFYING, SMP_OPS_ERR_VERIFY);
    }
    r = img_verify(&src, m, u->cfg.kr);
    ev_verify_sig(r, m->key_id);
    if (r != IMG_OK) {
        u->why = img_result_name(r);
        return upd_refuse(u, BS_PH_VERIFYING, SMP_OPS_ERR_VERIFY);
    }
    upd_meta_refresh(u);
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
    if (MUT_HOOK_SKIP_REPLAY_CHECK()) {
        pol.running_build = 0u; /* planted (item 8): install without comparing the build */
    }
    pol.erased_value = u->cfg.fl->erased_value;
    r = img_check_policy(&src, m, &pol);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_u32(&f, "build", m->sec_cnt);
    (void)ev_add_str(&f, "slot", upd_slot_name(m->target_slot));
    (void)ev_add_hex(&f, "compat", m->hw_compat, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("PARSE_MANIFEST", &f);
    if (r != IMG_OK) {
        u->why = img_result_name(r);
        return upd_refuse(u, BS_PH_VERIFYING, SMP_OPS_ERR_VERIFY);
    }
    upd_ev_transition(BS_PH_VERIFYING, BS_PH_STAGING, u->slot);
    upd_session_drop(u);
    u->staged = 1u; /* the state write (test) marks it PENDING */
    return SMP_OPS_OK;
}

/* See updater_int.h. Returns 1, 0 or -1. */
int upd_op_match(void *ctx, const uint8_t *sha, size_t sha_len)
{
    upd_t *u = (upd_t *)ctx;
    uint8_t got[32];
    uint8_t diff = 0;
    uint32_t k;

    if (!u->staged || sha_len != 32u || upd_hash_slot(u, 0u, u->total, got) != 0) {
        return -1;
    }
    for (k = 0; k < 32u; k++) {
        diff |= (uint8_t)(got[k] ^ sha[k]); /* ATTACKER: sha, compared only */
    }
    return diff == 0u ? 1 : 0;
}

/*
 * Step 5: mark the staged image for test: PHASE name=re_verify, the final re-read, PHASE
 * name=meta_commit, the PENDING commit (STAGING->PENDING).
 * Returns SMP_OPS_OK, SMP_OPS_ERR_VERIFY (the slot changed since step 4), SMP_OPS_ERR_STATE
 * (the metadata does not record this upload) or a commit failure.
 */
static int mark_for_test(upd_t *u)
{
    const img_manifest_t *m = &staged_m;
    img_result_t r;
    bs_path_t p;

    upd_ev_phase(BS_STEP_RE_VERIFY);
    r = re_verify(u, m);
    if (r != IMG_OK) {
        ev_verify_sig(r, m->key_id);
        u->why = img_result_name(r);
        return upd_refuse(u, BS_PH_STAGING, SMP_OPS_ERR_VERIFY);
    }
    if (!u->meta_ok ||
        bootsel_install(&u->rec, u->slot, upd_rd_be32(m->computed_hash), m->sec_cnt, &p) !=
            BS_OK) {
        u->why = "upload again";
        return upd_refuse(u, BS_PH_STAGING, SMP_OPS_ERR_STATE);
    }
    upd_ev_phase(BS_STEP_META_COMMIT);
    if (upd_commit_path(u, &p) != UPD_OK) {
        return upd_refuse(u, BS_PH_STAGING, upd_flash_fail(u, 0));
    }
    upd_session_drop(u);
    return SMP_OPS_OK;
}

int upd_op_erase(void *ctx, uint32_t slot)
{
    upd_t *u = (upd_t *)ctx;

    u->why = NULL;
    upd_meta_refresh(u);
    if (slot > 1u || (u->meta_ok && slot == u->rec.active)) {
        u->why = slot > 1u ? "slot" : "active slot";
        return SMP_OPS_ERR_SLOT;
    }
    upd_session_drop(u); /* the slot itself is erased by the next upload */
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

int upd_op_state_read(void *ctx, smp_image_state_t *out, size_t max)
{
    upd_t *u = (upd_t *)ctx;
    static img_manifest_t m;
    size_t n = 0;
    uint8_t s;

    upd_meta_refresh(u);
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

/*
 * SMP image state write (MCUboot's img_mgmt semantics for our A/B slots):
 *   confirm = 0, hash of an image: the staged image is marked for test (mark_for_test); an
 *     image already PENDING, or the confirmed one, needs nothing.
 *   confirm = 1: the running (or named) image must be the confirmed one: it is (OK); a boot
 *     test decides for a trial image itself, and a new image is always tested first (no
 *     permanent install): refused (DENIED).
 */
int upd_op_state_write(void *ctx, const uint8_t *hash, size_t hash_len, int confirm)
{
    upd_t *u = (upd_t *)ctx;
    static img_manifest_t m;
    uint8_t s;
    uint8_t found = META_SLOT_NONE;

    u->why = NULL;
    upd_meta_refresh(u);
    if (!u->meta_ok) {
        u->why = "no metadata";
        return SMP_OPS_ERR_STATE;
    }
    for (s = 0; s <= META_SLOT_B && found == META_SLOT_NONE; s++) {
        size_t i;
        int same = (hash_len == 32u && upd_read_manifest(u, s, &m) == IMG_OK);
        for (i = 0; same && i < 32u; i++) {
            same = (m.sha256[i] == hash[i]); /* ATTACKER: hash, compared only */
        }
        if (same || (confirm && hash_len == 0u && s == u->cfg.running_slot)) {
            found = s;
        }
    }
    if (found == META_SLOT_NONE) {
        u->why = "no such image";
        return SMP_OPS_ERR_NO_IMAGE;
    }
    if (found == u->rec.active) {
        return SMP_OPS_OK; /* confirmed already (test of the confirmed image: nothing to do) */
    }
    if (confirm) {
        u->why = found == u->cfg.running_slot ? "self-test decides" : "test first";
        return SMP_OPS_ERR_DENIED;
    }
    if (u->rec.state[found] == (uint8_t)META_ST_PENDING && u->rec.next == found) {
        return SMP_OPS_OK; /* marked already */
    }
    if (!u->staged || u->slot != found) {
        u->why = "upload again";
        return SMP_OPS_ERR_STATE;
    }
    return mark_for_test(u);
}
