/*
 * mgmt_img.c - MCUmgr image group of the swap target (mgmt.h): state read/write, upload,
 * erase, with MCUboot img_mgmt semantics in the application and boot_serial semantics in
 * serial recovery (docs/contract-swap.md §10).
 *
 * Upload (group 1, id 1) always targets the secondary slot (image 0, slot 1):
 *   off 0: needs len (> 0, fits the slot's image area) and a first chunk starting with the
 *     image header magic; the application refuses while its own image is unconfirmed (the
 *     secondary slot holds the image a revert needs) or while the secondary is already marked
 *     for a swap. A request with the len and sha of the upload in progress resumes it
 *     (answer: the next offset, nothing written). A new upload erases the secondary trailer
 *     first (any old request disappears), then each sector just before its first write.
 *   other offsets: must be the expected one, else the answer is {off: expected} (nothing
 *     written), which clients follow.
 *   The last chunk completes the upload. Application: nothing more (the image is only marked
 *   by a state write; integrity is checked then). Recovery: the image is validated like a
 *   swap candidate (signature, key not revoked, security counter, newer than a valid primary)
 *   and marked for a permanent swap, or erased and refused (EACCESSDENIED).
 */
#include <string.h>

#include "flash_map.h"
#include "imgstate.h"
#include "layout.h"
#include "mgmt_int.h"
#include "slog.h"
#include "swap_hooks.h"
#include "trailer.h"

#define MOD "img_mgmt"

static struct {
    int active;
    uint32_t total;      /* len of the upload in progress */
    uint32_t next;       /* next expected offset */
    uint8_t sha[32];     /* sha given at off 0 (identifies the upload for a resume) */
    uint32_t sha_len;
    uint32_t erased_to;  /* the slot is erased below this offset (sector multiple) */
    uint32_t fill;       /* bytes waiting in unit */
    uint32_t unit[512u / 4u]; /* one program unit being assembled */
} up;

void mgmt_img_reset_session(void)
{
    memset(&up, 0, sizeof(up));
}

static uint32_t image_area(void)
{
    return tr_first_trailer_sector_off(fa_secondary, SWAP_SECTOR_SIZE);
}

/* ---- state read ------------------------------------------------------------------------ */

static void put_flag(cbor_writer_t *w, const char *name, int v)
{
    cbor_put_text_z(w, name, 12);
    cbor_put_bool(w, v);
}

/* One images[] entry per slot holding an image. */
static void put_states(cbor_writer_t *w)
{
    swapimg_info_t info[2];
    uint32_t flags[2];
    int present[2];
    uint32_t slot;
    uint64_t n = 0;

    for (slot = 0; slot < 2u; slot++) {
        present[slot] = imgst_slot(slot, &info[slot], &flags[slot]) == IMGST_OK;
        n += (uint64_t)present[slot];
    }
    cbor_put_map(w, 2);
    cbor_put_text_z(w, "images", 7);
    cbor_put_array(w, n);
    for (slot = 0; slot < 2u; slot++) {
        char ver[24];
        const swapimg_info_t *in = &info[slot];
        if (!present[slot]) {
            continue;
        }
        /* Zephyr img_mgmt_ver_str: "major.minor.revision", ".build" when build != 0 */
        if (in->ver_build != 0u) {
            slog_fmt(ver, sizeof(ver), "%u.%u.%u.%u", in->ver_major, in->ver_minor,
                     in->ver_revision, (unsigned)in->ver_build);
        } else {
            slog_fmt(ver, sizeof(ver), "%u.%u.%u", in->ver_major, in->ver_minor,
                     in->ver_revision);
        }
        cbor_put_map(w, 9);
        cbor_put_text_z(w, "image", 6);
        cbor_put_uint(w, 0);
        cbor_put_text_z(w, "slot", 5);
        cbor_put_uint(w, slot);
        cbor_put_text_z(w, "version", 8);
        cbor_put_text_z(w, ver, sizeof(ver));
        cbor_put_text_z(w, "hash", 5);
        cbor_put_bytes(w, in->sha256, 32u);
        put_flag(w, "bootable", (flags[slot] & IMGST_F_BOOTABLE) != 0u);
        put_flag(w, "pending", (flags[slot] & IMGST_F_PENDING) != 0u);
        put_flag(w, "confirmed", (flags[slot] & IMGST_F_CONFIRMED) != 0u);
        put_flag(w, "active", (flags[slot] & IMGST_F_ACTIVE) != 0u);
        put_flag(w, "permanent", (flags[slot] & IMGST_F_PERMANENT) != 0u);
    }
    cbor_put_text_z(w, "splitStatus", 12);
    cbor_put_uint(w, 0);
}

int mgmt_img_state_read(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e)
{
    (void)req;
    (void)e;
    put_states(rsp);
    return 0;
}

/* ---- state write (application) --------------------------------------------------------- */

typedef struct {
    const uint8_t *hash;
    size_t hash_len;
    int have_hash;
    int confirm;
    int have_confirm;
} state_req_t;

static int state_field(void *ctx, const uint8_t *key, size_t klen, cbor_reader_t *r,
                       mgmt_err_t *e)
{
    state_req_t *s = ctx;

    if (cbor_text_eq(key, klen, "hash")) {
        if (s->have_hash || cbor_read_bytes(r, &s->hash, &s->hash_len) != CBOR_OK ||
            s->hash_len == 0u || s->hash_len > 32u) {
            return mgmt_fail(e, MGMT_EINVAL, 0, "bad hash");
        }
        s->have_hash = 1;
        return 0;
    }
    if (cbor_text_eq(key, klen, "confirm")) {
        if (s->have_confirm || cbor_read_bool(r, &s->confirm) != CBOR_OK) {
            return mgmt_fail(e, MGMT_EINVAL, 0, "bad confirm");
        }
        s->have_confirm = 1;
        return 0;
    }
    return 1;
}

/* Slot whose image hash starts with `hash` (1..32 bytes), or -1. */
static int slot_of_hash(const uint8_t *hash, size_t len)
{
    swapimg_info_t info;
    uint32_t flags;
    uint32_t slot;

    for (slot = 0; slot < 2u; slot++) {
        if (imgst_slot(slot, &info, &flags) == IMGST_OK && memcmp(info.sha256, hash, len) == 0) {
            return (int)slot;
        }
    }
    return -1;
}

int mgmt_img_state_write(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e)
{
    state_req_t s;
    int slot;
    int rc;

    memset(&s, 0, sizeof(s));
    if (mgmt_map_each(req, e, state_field, &s) != 0) {
        return -1;
    }
    slot = s.have_hash ? slot_of_hash(s.hash, s.hash_len) : (s.confirm ? 0 : -2);
    if (slot == -2) {
        return mgmt_fail(e, MGMT_EINVAL, 0, "hash missing");
    }
    if (slot < 0) {
        return mgmt_fail(e, MGMT_ENOENT, IMGERR_HASH_NOT_FOUND, "no image with that hash");
    }
    if (slot == 0) {
        if (!s.confirm) {
            return mgmt_fail(e, MGMT_EBADSTATE, IMGERR_TEST_TO_ACTIVE, "running image");
        }
        rc = imgst_confirm();
        if (rc == IMGST_OK) {
            slog(SLOG_INF, MOD, "image in the primary slot confirmed");
        }
    } else {
        rc = imgst_set_pending(s.confirm);
        if (rc == IMGST_OK) {
            slog(SLOG_INF, MOD, "secondary slot marked for a %s swap",
                 s.confirm ? "permanent" : "test");
        }
    }
    switch (rc) {
    case IMGST_OK:
        break;
    case IMGST_ERR_HASH:
        slog(SLOG_ERR, MOD, "state write refused: the slot does not match its hash");
        return mgmt_fail(e, MGMT_ECORRUPT, IMGERR_INVALID_HASH, "hash mismatch");
    case IMGST_ERR_NO_IMAGE:
        return mgmt_fail(e, MGMT_ENOENT, IMGERR_NO_IMAGE, "no image");
    case IMGST_ERR_STATE:
        return mgmt_fail(e, MGMT_EBADSTATE, IMGERR_CONFIRMATION_DENIED, "bad trailer");
    default:
        return mgmt_fail(e, MGMT_EUNKNOWN, IMGERR_FLASH_WRITE, "flash write failed");
    }
    put_states(rsp);
    return 0;
}

/* ---- erase ----------------------------------------------------------------------------- */

typedef struct {
    uint32_t slot;
    int have;
} erase_req_t;

static int erase_field(void *ctx, const uint8_t *key, size_t klen, cbor_reader_t *r,
                       mgmt_err_t *e)
{
    erase_req_t *q = ctx;

    if (!cbor_text_eq(key, klen, "slot")) {
        return 1;
    }
    if (q->have || cbor_read_u32(r, &q->slot) != CBOR_OK) {
        return mgmt_fail(e, MGMT_EINVAL, 0, "bad slot");
    }
    q->have = 1;
    return 0;
}

/* Erase the secondary slot: trailer first (a request disappears before the data). */
static int erase_secondary(void)
{
    if (tr_erase(fa_secondary, SWAP_SECTOR_SIZE) != SF_OK ||
        sflash_erase(fa_secondary, 0u, image_area(), 0) != SF_OK) {
        return -1;
    }
    return 0;
}

int mgmt_img_erase(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e)
{
    erase_req_t q = {1u, 0};

    if (mgmt_map_each(req, e, erase_field, &q) != 0) {
        return -1;
    }
    if (q.slot != 1u) {
        return mgmt_fail(e, MGMT_EINVAL, IMGERR_INVALID_SLOT, "only slot 1");
    }
    if (!mgmt_cfg()->recovery && !imgst_running_confirmed()) {
        return mgmt_fail(e, MGMT_EBADSTATE, 0, "running image not confirmed");
    }
    mgmt_img_reset_session();
    if (erase_secondary() != 0) {
        return mgmt_fail(e, MGMT_EUNKNOWN, IMGERR_FLASH_ERASE, "erase failed");
    }
    slog(SLOG_INF, MOD, "secondary slot erased");
    cbor_put_map(rsp, 0);
    return 0;
}

/* ---- upload ---------------------------------------------------------------------------- */

typedef struct {
    uint32_t off;
    const uint8_t *data; /* ATTACKER */
    size_t data_len;
    uint32_t len;
    const uint8_t *sha;
    size_t sha_len;
    uint32_t image;
    int have_off, have_data, have_len, have_sha, have_image;
} upload_req_t;

static int upload_field(void *ctx, const uint8_t *key, size_t klen, cbor_reader_t *r,
                        mgmt_err_t *e)
{
    upload_req_t *u = ctx;
    int bad = 0;

    if (cbor_text_eq(key, klen, "off")) {
        bad = u->have_off++ || cbor_read_u32(r, &u->off) != CBOR_OK;
    } else if (cbor_text_eq(key, klen, "data")) {
        bad = u->have_data++ || cbor_read_bytes(r, &u->data, &u->data_len) != CBOR_OK;
    } else if (cbor_text_eq(key, klen, "len")) {
        bad = u->have_len++ || cbor_read_u32(r, &u->len) != CBOR_OK;
    } else if (cbor_text_eq(key, klen, "sha")) {
        bad = u->have_sha++ || cbor_read_bytes(r, &u->sha, &u->sha_len) != CBOR_OK ||
              u->sha_len > 32u;
    } else if (cbor_text_eq(key, klen, "image")) {
        bad = u->have_image++ || cbor_read_u32(r, &u->image) != CBOR_OK;
    } else {
        return 1; /* "upgrade" and unknown keys */
    }
    return bad ? mgmt_fail(e, MGMT_EINVAL, 0, "bad field") : 0;
}

/* Program the assembled unit at slot offset `off` (a unit boundary), erasing its sector
 * first when the upload has not erased it yet. Returns 0 or -1 with *e. */
static int flush_unit(uint32_t off, mgmt_err_t *e)
{
    uint32_t unit = SWAP_WRITE_ALIGN;

    while (up.erased_to <= off) {
        if (sflash_erase(fa_secondary, up.erased_to, SWAP_SECTOR_SIZE, 0) != SF_OK) {
            return mgmt_fail(e, MGMT_EUNKNOWN, IMGERR_FLASH_ERASE, "erase failed");
        }
        up.erased_to += SWAP_SECTOR_SIZE;
    }
    memset((uint8_t *)up.unit + up.fill, sflash_geom()->erased_value, unit - up.fill);
    if (sflash_program(fa_secondary, off, up.unit, unit) != SF_OK) {
        return mgmt_fail(e, MGMT_EUNKNOWN, IMGERR_FLASH_WRITE, "write failed");
    }
    up.fill = 0;
    return 0;
}

static int start_upload(const upload_req_t *u, mgmt_err_t *e)
{
    static const uint8_t magic[4] = {0x3d, 0xb8, 0xf3, 0x96}; /* 0x96f3b83d LE */
    tr_state_t st;

    if (!u->have_len || u->len == 0u) {
        return mgmt_fail(e, MGMT_EINVAL, IMGERR_INVALID_LENGTH, "len missing");
    }
    if (u->len > image_area()) {
        return mgmt_fail(e, MGMT_EINVAL, IMGERR_TOO_LARGE, "image too large");
    }
    if (u->data_len < 4u || memcmp(u->data, magic, 4u) != 0) {
        return mgmt_fail(e, MGMT_EINVAL, IMGERR_HEADER_MAGIC, "no image header");
    }
    if (!mgmt_cfg()->recovery) {
        if (!imgst_running_confirmed()) {
            slog(SLOG_ERR, MOD, "upload refused: the running image is not confirmed");
            return mgmt_fail(e, MGMT_EBADSTATE, 0, "running image not confirmed");
        }
        tr_read(fa_secondary, &st);
        if (st.magic == TR_MAGIC_GOOD) {
            slog(SLOG_ERR, MOD, "upload refused: the secondary slot is marked for a swap");
            return mgmt_fail(e, MGMT_EBADSTATE, 28 /* IMAGE_ALREADY_PENDING */, "pending");
        }
    }
    mgmt_img_reset_session();
    if (tr_erase(fa_secondary, SWAP_SECTOR_SIZE) != SF_OK) {
        return mgmt_fail(e, MGMT_EUNKNOWN, IMGERR_FLASH_ERASE, "erase failed");
    }
    up.active = 1;
    up.total = u->len;
    up.sha_len = (uint32_t)u->sha_len;
    if (u->sha_len != 0u) {
        memcpy(up.sha, u->sha, u->sha_len);
    }
    slog(SLOG_INF, MOD, "upload started: %u bytes to the secondary slot", (unsigned)u->len);
    return 0;
}

static int finish_upload(mgmt_err_t *e)
{
    const mgmt_cfg_t *c = mgmt_cfg();

    up.active = 0;
    slog(SLOG_INF, MOD, "upload complete: %u bytes", (unsigned)up.total);
    if (!c->recovery) {
        return 0;
    }
    if ((c->validate == NULL || c->validate() == 0 || SWAP_HOOK_RECOVERY_SKIP_CHECKS()) &&
        imgst_set_pending(1) == IMGST_OK) {
        slog(SLOG_INF, MOD, "Recovery image accepted: permanent swap at the next boot");
        return 0;
    }
    slog(SLOG_ERR, MOD, "Recovery image rejected");
    (void)erase_secondary();
    return mgmt_fail(e, MGMT_EACCESSDENIED, 0, "image rejected");
}

int mgmt_img_upload(cbor_reader_t *req, cbor_writer_t *rsp, mgmt_err_t *e)
{
    upload_req_t u;
    size_t i;

    memset(&u, 0, sizeof(u));
    if (mgmt_map_each(req, e, upload_field, &u) != 0) {
        return -1;
    }
    if (!u.have_off || !u.have_data) {
        return mgmt_fail(e, MGMT_EINVAL, 0, "off/data missing");
    }
    if (u.have_image && u.image != 0u) {
        return mgmt_fail(e, MGMT_EINVAL, IMGERR_INVALID_SLOT, "image 0 only");
    }
    if (u.off == 0u) {
        if (up.active && u.have_len && u.len == up.total && u.sha_len != 0u &&
            u.sha_len == up.sha_len && memcmp(u.sha, up.sha, u.sha_len) == 0) {
            goto answer; /* the same upload again: resume where it is */
        }
        if (start_upload(&u, e) != 0) {
            return -1;
        }
    }
    if (!up.active || u.off != up.next) {
        goto answer; /* not the expected chunk: tell the client where we are */
    }
    if (u.data_len > up.total - up.next) {
        return mgmt_fail(e, MGMT_EINVAL, IMGERR_DATA_OVERRUN, "data past len");
    }
    for (i = 0; i < u.data_len; i++) {
        ((uint8_t *)up.unit)[up.fill++] = u.data[i];
        if (up.fill == SWAP_WRITE_ALIGN) {
            uint32_t unit_off = up.next + (uint32_t)i + 1u - SWAP_WRITE_ALIGN;
            if (flush_unit(unit_off, e) != 0) {
                /* the session stays at the last whole unit: the client retries from there */
                up.next = unit_off;
                up.fill = 0;
                return -1;
            }
        }
    }
    up.next += (uint32_t)u.data_len;
    if (up.next == up.total) {
        if (up.fill != 0u && flush_unit(up.next - up.fill, e) != 0) {
            up.next -= up.fill;
            up.fill = 0;
            return -1;
        }
        if (finish_upload(e) != 0) {
            return -1;
        }
    }
answer:
    cbor_put_map(rsp, 1);
    cbor_put_text_z(rsp, "off", 4);
    cbor_put_uint(rsp, up.next);
    return 0;
}
