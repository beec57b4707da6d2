/*
 * harness.c - host "device" for the metadata / boot-selection / evidence-ring power-cut
 * tests: flashsim + meta + evring + bootsel glued the way the bootloader, the updater and the
 * app will glue them (see docs/contract-meta.md §6). Test code, host only.
 *
 * Images in the slots are a stand-in for the signed MCUboot images (issue 3): a 32-byte
 * header {u32 magic "IMG1", u32 build, u32 image_id, u32 payload length, u32 crc32(payload),
 * u32 crc32(header[0,20))} followed by a deterministic payload; "verifies" means the header
 * and payload read back through the tolerant read and both CRCs match.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "crc32.h"

#define IMG_MAGIC 0x31474D49u /* "IMG1" */
#define IMG_HDR 32u

struct hdev {
    flashsim_t *fs;
    meta_flash_t fl;
    meta_ctx_t meta;
    evring_t ring;
    uint32_t ev_base, ev_size;
    uint32_t slot[2], slot_size;
    uint32_t chunk;
    uint32_t anchor_floor;
    uint8_t max_attempts;
    uint8_t rescue;
    uint8_t reset_cause;
    meta_record_t log[H_LOG];
    uint32_t nlog;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

hdev_t *h_create(const h_geom_t *g)
{
    hdev_t *d;
    uint32_t lo = g->meta_a;
    uint32_t hi = g->slot_b + g->slot_size;

    if (g->chunk == 0 || g->chunk % g->program_unit != 0 || g->chunk < IMG_HDR) {
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    d->fs = fs_create(g->chip, lo, hi - lo, g->page_size, g->program_unit, g->erased_value);
    if (d->fs == NULL) {
        free(d);
        return NULL;
    }
    d->fl.erase = fs_erase;
    d->fl.program = fs_program;
    d->fl.read = fs_read;
    d->fl.ctx = d->fs;
    d->fl.program_unit = g->program_unit;
    d->fl.page_size = g->page_size;
    d->fl.erased_value = g->erased_value;
    if (meta_init(&d->meta, &d->fl, g->meta_a, g->meta_b) != 0) {
        h_destroy(d);
        return NULL;
    }
    d->ev_base = g->ev_base;
    d->ev_size = g->ev_size;
    d->slot[0] = g->slot_a;
    d->slot[1] = g->slot_b;
    d->slot_size = g->slot_size;
    d->chunk = g->chunk;
    d->max_attempts = (uint8_t)g->max_attempts;
    return d;
}

void h_destroy(hdev_t *d)
{
    if (d != NULL) {
        fs_destroy(d->fs);
        free(d);
    }
}

flashsim_t *h_fs(hdev_t *d)
{
    return d->fs;
}

void h_set_inputs(hdev_t *d, uint32_t anchor_floor, uint8_t rescue, uint8_t reset_cause)
{
    d->anchor_floor = anchor_floor;
    d->rescue = rescue;
    d->reset_cause = reset_cause;
}

/* Byte `off` of the image (header + payload) identified by build/id/len. */
static uint8_t payload_byte(uint32_t id, uint32_t i)
{
    uint32_t x = id * 2654435761u + i * 40503u + 0x9Eu;

    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    return (uint8_t)x;
}

static uint32_t image_total(uint32_t len)
{
    return IMG_HDR + len;
}

/* Fill out[0,n) with image bytes [off, off+n); bytes past the image end are erased value. */
static void image_bytes(const hdev_t *d, uint32_t build, uint32_t id, uint32_t len, uint32_t off,
                        uint8_t *out, uint32_t n)
{
    uint8_t hdr[IMG_HDR];
    uint32_t i;
    uint32_t crc = 0;

    memset(hdr, 0, sizeof(hdr));
    for (i = 0; i < len; i++) {
        uint8_t b = payload_byte(id, i);
        crc = crc32_update(crc, &b, 1);
    }
    put32(hdr, IMG_MAGIC);
    put32(hdr + 4, build);
    put32(hdr + 8, id);
    put32(hdr + 12, len);
    put32(hdr + 16, crc);
    put32(hdr + 20, crc32_compute(hdr, 20));
    for (i = 0; i < n; i++) {
        uint32_t p = off + i;
        if (p < IMG_HDR) {
            out[i] = hdr[p];
        } else if (p < image_total(len)) {
            out[i] = payload_byte(id, p - IMG_HDR);
        } else {
            out[i] = (uint8_t)d->fl.erased_value;
        }
    }
}

int h_verify(hdev_t *d, uint8_t slot, bs_image_t *img)
{
    uint8_t hdr[IMG_HDR];
    uint8_t buf[64];
    uint32_t len;
    uint32_t crc = 0;
    uint32_t off;

    img->valid = 0;
    img->build = 0;
    img->image_id = 0;
    if (fs_read(d->fs, d->slot[slot], hdr, IMG_HDR) != 0 || get32(hdr) != IMG_MAGIC ||
        get32(hdr + 20) != crc32_compute(hdr, 20)) {
        return 0;
    }
    len = get32(hdr + 12);
    if (len > d->slot_size - IMG_HDR) {
        return 0;
    }
    for (off = 0; off < len; off += sizeof(buf)) {
        uint32_t n = (len - off < sizeof(buf)) ? len - off : (uint32_t)sizeof(buf);
        if (fs_read(d->fs, d->slot[slot] + IMG_HDR + off, buf, n) != 0) {
            return 0;
        }
        crc = crc32_update(crc, buf, n);
    }
    if (crc != get32(hdr + 16)) {
        return 0;
    }
    img->valid = 1;
    img->build = get32(hdr + 4);
    img->image_id = get32(hdr + 8);
    return 1;
}

/* Write chunk k of an image (erasing the page first when the chunk starts one), read it
 * back and compare (the "verified chunk"). Returns 0 or a negative error. */
static int write_chunk(hdev_t *d, uint8_t slot, uint32_t build, uint32_t id, uint32_t len,
                       uint32_t k)
{
    uint8_t buf[H_MAX_CHUNK];
    uint8_t back[H_MAX_CHUNK];
    uint32_t off = k * d->chunk;
    uint32_t addr = d->slot[slot] + off;
    int rc;

    if (d->chunk > H_MAX_CHUNK) {
        return -100;
    }
    if (off % d->fl.page_size == 0) {
        rc = fs_erase(d->fs, addr);
        if (rc != 0) {
            return rc;
        }
    }
    image_bytes(d, build, id, len, off, buf, d->chunk);
    rc = fs_program(d->fs, addr, buf, d->chunk);
    if (rc != 0) {
        return rc;
    }
    rc = fs_read(d->fs, addr, back, d->chunk);
    if (rc != 0) {
        return rc;
    }
    return memcmp(buf, back, d->chunk) == 0 ? 0 : -101;
}

int h_factory(hdev_t *d, uint8_t slot, uint32_t build, uint32_t id, uint32_t len)
{
    uint32_t k;
    uint32_t n = (image_total(len) + d->chunk - 1) / d->chunk;
    int rc;

    for (k = 0; k < n; k++) {
        rc = write_chunk(d, slot, build, id, len, k);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int h_load(hdev_t *d, meta_load_t *out)
{
    return meta_load(&d->meta, out);
}

static int commit(hdev_t *d, const meta_record_t *rec)
{
    if (d->nlog < H_LOG) {
        d->log[d->nlog++] = *rec; /* every record a commit was started for */
    }
    return meta_commit(&d->meta, rec, NULL);
}

uint32_t h_log_count(hdev_t *d)
{
    return d->nlog;
}

int h_log_get(hdev_t *d, uint32_t i, meta_record_t *out)
{
    if (i >= d->nlog) {
        return -1;
    }
    *out = d->log[i];
    return 0;
}

void h_log_reset(hdev_t *d)
{
    d->nlog = 0;
}

/* Append events to the ring as compact records (kind = bs_ev_kind_t). */
static int log_events(hdev_t *d, const bs_event_t *ev, uint8_t n, uint8_t src)
{
    uint8_t i;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        uint32_t v[5] = {ev[i].from | ((uint32_t)ev[i].to << 8) | ((uint32_t)ev[i].slot << 16),
                         ev[i].attempt, ev[i].reason | ((uint32_t)ev[i].cause << 8) |
                                            ((uint32_t)ev[i].result << 16),
                         ev[i].floor, ev[i].candidate_build};
        rc = evring_append(&d->ring, ev[i].kind, src, v, 5, NULL);
    }
    if (rc == 0) {
        rc = evring_flush(&d->ring);
    }
    return rc;
}

int h_boot(hdev_t *d, h_boot_t *res)
{
    bs_input_t in;
    bs_output_t *out = &res->out;
    uint8_t i;
    int rc;

    memset(res, 0, sizeof(*res));
    res->action = -1;
    if (meta_load(&d->meta, &res->load) != 0) {
        return H_ERR;
    }
    if (evring_open(&d->ring, &d->fl, d->ev_base, d->ev_size) != 0) {
        return H_ERR;
    }
    memset(&in, 0, sizeof(in));
    in.meta_result = res->load.result;
    in.meta_copy = res->load.copy;
    in.meta_generation = res->load.generation;
    in.rec = res->load.rec;
    h_verify(d, 0, &in.image[0]);
    h_verify(d, 1, &in.image[1]);
    in.anchor_floor = d->anchor_floor;
    in.reset_cause = d->reset_cause;
    in.rescue = d->rescue;
    in.max_attempts = d->max_attempts;
    if (fs_dead(d->fs)) {
        return H_DEAD;
    }
    if (bootsel_decide(&in, out) != BS_OK) {
        return H_ERR;
    }
    res->action = out->action;
    res->slot = out->slot;
    res->trial = out->trial;
    for (i = 0; i < out->commits; i++) {
        rc = commit(d, &out->rec);
        if (fs_dead(d->fs)) {
            return H_DEAD;
        }
        if (rc != 0) {
            res->commit_rc = rc;
            res->action = out->fb_action;
            res->slot = out->fb_slot;
            res->trial = 0;
            break;
        }
    }
    rc = log_events(d, out->events, out->n_events, 0);
    if (fs_dead(d->fs)) {
        return H_DEAD;
    }
    res->ring_rc = rc;
    /* a staged floor bump is completed at boot (boot/bfloor.c): reload, then the same rule */
    {
        meta_load_t now;
        bs_path_t p;
        if (meta_load(&d->meta, &now) == 0 && now.result != META_BOTH_INVALID &&
            bootsel_floor_due(&in, &now.rec) &&
            bootsel_floor_bump(&now.rec, now.rec.active, &p) == BS_OK) {
            rc = commit(d, &p.rec);
            if (fs_dead(d->fs)) {
                return H_DEAD;
            }
            res->floor_rc = rc;
            res->floor_bumped = rc == 0;
        }
    }
    res->jumped = 1; /* the bootloader reached the jump (or rescue entry) */
    return H_OK;
}

/* Shared body of confirm/floor bump/reject: load, run the path, commit, log. */
enum { P_CONFIRM = 0, P_FLOOR, P_REJECT };

static int app_path(hdev_t *d, uint8_t running, int which)
{
    meta_load_t ld;
    bs_path_t p;
    int rc;

    if (meta_load(&d->meta, &ld) != 0 || fs_dead(d->fs)) {
        return fs_dead(d->fs) ? H_DEAD : H_ERR;
    }
    if (evring_open(&d->ring, &d->fl, d->ev_base, d->ev_size) != 0) {
        return H_ERR;
    }
    if (which == P_CONFIRM) {
        rc = bootsel_confirm(&ld.rec, running, &p);
    } else if (which == P_FLOOR) {
        rc = bootsel_floor_bump(&ld.rec, running, &p);
    } else {
        rc = bootsel_reject(&ld.rec, running, &p);
    }
    if (rc != BS_OK) {
        return rc;
    }
    rc = commit(d, &p.rec);
    if (fs_dead(d->fs)) {
        return H_DEAD;
    }
    if (rc != 0) {
        return rc;
    }
    rc = log_events(d, p.events, p.n_events, 1);
    if (fs_dead(d->fs)) {
        return H_DEAD;
    }
    return rc;
}

/* The app after a passed self-test: the CONFIRMED commit, then the floor bump commit. */
int h_confirm(hdev_t *d, uint8_t running)
{
    int rc = app_path(d, running, P_CONFIRM);

    if (rc != 0) {
        return rc;
    }
    rc = app_path(d, running, P_FLOOR);
    return rc == BS_NOOP ? 0 : rc;
}

int h_confirm_only(hdev_t *d, uint8_t running)
{
    return app_path(d, running, P_CONFIRM);
}

int h_floor_bump(hdev_t *d, uint8_t running)
{
    return app_path(d, running, P_FLOOR);
}

int h_reject(hdev_t *d, uint8_t running)
{
    return app_path(d, running, P_REJECT);
}

/* 1 if [addr, addr+n) reads back cleanly as erased. */
static int clean(hdev_t *d, uint32_t addr, uint32_t n)
{
    uint8_t buf[64];
    uint32_t off;
    uint32_t i;

    for (off = 0; off < n; off += sizeof(buf)) {
        uint32_t m = (n - off < sizeof(buf)) ? n - off : (uint32_t)sizeof(buf);
        int rc = fs_read(d->fs, addr + off, buf, m);
        if (rc == FS_ERR_ERASED) {
            continue;
        }
        if (rc != 0) {
            return 0;
        }
        for (i = 0; i < m; i++) {
            if (buf[i] != (uint8_t)d->fl.erased_value) {
                return 0;
            }
        }
    }
    return 1;
}

int h_upload(hdev_t *d, uint8_t slot, uint32_t build, uint32_t id, uint32_t len,
             uint32_t max_chunks, uint32_t *resumed_at)
{
    meta_load_t ld;
    bs_path_t p;
    uint32_t off = 0;
    uint32_t total = image_total(len);
    uint32_t page = d->fl.page_size;
    uint32_t done = 0;
    int rc;

    if (total % d->chunk != 0 || total > d->slot_size) {
        return H_ERR;
    }
    if (meta_load(&d->meta, &ld) != 0 || fs_dead(d->fs)) {
        return fs_dead(d->fs) ? H_DEAD : H_ERR;
    }
    if (evring_open(&d->ring, &d->fl, d->ev_base, d->ev_size) != 0) {
        return H_ERR;
    }
    rc = bootsel_upload_begin(&ld.rec, slot, id, build, &p, &off);
    if (rc == BS_OK) {
        rc = commit(d, &p.rec);
        if (rc == 0) {
            rc = log_events(d, p.events, p.n_events, 1);
        }
        if (fs_dead(d->fs)) {
            return H_DEAD;
        }
        if (rc != 0) {
            return rc;
        }
        ld.rec = p.rec;
    } else if (rc != BS_NOOP) {
        return rc;
    }
    /* Resume: a cut may have left the unverified tail of the page at `off` half written;
     * rewind to the page start (committed first) unless that tail is still clean. */
    if (off % page != 0 && !clean(d, d->slot[slot] + off, page - off % page)) {
        uint32_t back = off - off % page;
        rc = bootsel_upload_rewind(&ld.rec, slot, id, back, &p);
        if (rc == BS_OK) {
            rc = commit(d, &p.rec);
        }
        if (fs_dead(d->fs)) {
            return H_DEAD;
        }
        if (rc != 0) {
            return rc;
        }
        ld.rec = p.rec;
        off = back;
    }
    if (resumed_at != NULL) {
        *resumed_at = off;
    }
    while (off < total) {
        if (done >= max_chunks) {
            return H_PARTIAL;
        }
        rc = write_chunk(d, slot, build, id, len, off / d->chunk);
        if (fs_dead(d->fs)) {
            return H_DEAD;
        }
        if (rc != 0) {
            return rc;
        }
        rc = bootsel_upload_advance(&ld.rec, slot, id, off + d->chunk, &p);
        if (rc == BS_OK) {
            rc = commit(d, &p.rec);
        }
        if (fs_dead(d->fs)) {
            return H_DEAD;
        }
        if (rc != 0) {
            return rc;
        }
        ld.rec = p.rec;
        off += d->chunk;
        done++;
    }
    {
        bs_image_t img;
        if (!h_verify(d, slot, &img) || img.build != build || img.image_id != id) {
            return fs_dead(d->fs) ? H_DEAD : H_ERR;
        }
    }
    rc = bootsel_install(&ld.rec, slot, id, build, &p);
    if (rc != BS_OK) {
        return rc;
    }
    rc = commit(d, &p.rec);
    if (rc == 0) {
        rc = log_events(d, p.events, p.n_events, 1);
    }
    if (fs_dead(d->fs)) {
        return H_DEAD;
    }
    return rc;
}

int h_chunk_ok(hdev_t *d, uint8_t slot, uint32_t build, uint32_t id, uint32_t len, uint32_t k)
{
    uint8_t buf[H_MAX_CHUNK];
    uint8_t back[H_MAX_CHUNK];

    image_bytes(d, build, id, len, k * d->chunk, buf, d->chunk);
    if (fs_read(d->fs, d->slot[slot] + k * d->chunk, back, d->chunk) != 0) {
        return 0;
    }
    return memcmp(buf, back, d->chunk) == 0;
}

int h_ring_open(hdev_t *d)
{
    return evring_open(&d->ring, &d->fl, d->ev_base, d->ev_size);
}

int h_ring_state(hdev_t *d, uint32_t out[4])
{
    evr_state_t st;
    int rc = evring_state(&d->ring, &st);

    if (rc == 0) {
        out[0] = st.cur_page;
        out[1] = st.cur_seq;
        out[2] = st.next_slot;
        out[3] = st.next_rec_seq;
    }
    return rc;
}

int h_ring_resume(hdev_t *d, const uint32_t in[4])
{
    evr_state_t st;

    st.cur_page = in[0];
    st.cur_seq = in[1];
    st.next_slot = in[2];
    st.next_rec_seq = in[3];
    return evring_resume(&d->ring, &d->fl, d->ev_base, d->ev_size, &st);
}

int h_ring_append(hdev_t *d, uint16_t kind, uint32_t v0)
{
    uint32_t v[2] = {v0, ~v0};

    return evring_append(&d->ring, kind, 0, v, 2, NULL);
}

int h_ring_flush(hdev_t *d)
{
    return evring_flush(&d->ring);
}

uint32_t h_ring_guaranteed(hdev_t *d)
{
    return evring_guaranteed(&d->ring);
}

uint32_t h_ring_mode(hdev_t *d)
{
    return d->ring.mode;
}

int h_ring_replay(hdev_t *d, evr_record_t *out, uint32_t cap)
{
    evr_iter_t it;
    uint32_t n = 0;
    int rc;

    if (evring_iter_init(&d->ring, &it) != 0) {
        return -1;
    }
    while (n < cap && (rc = evring_iter_next(&d->ring, &it, &out[n])) == 1) {
        n++;
    }
    return (int)n;
}

int h_event_line(const bs_event_t *ev, uint32_t seq, char *out, uint32_t cap)
{
    ev_fields_t f;
    const char *name;

    ev_fields_init(&f);
    name = bootsel_event_fields(ev, &f);
    if (name == NULL || f.err != EV_OK) {
        return -1;
    }
    return ev_format(out, cap, seq, "boot", name, f.keys, f.values, f.n);
}
