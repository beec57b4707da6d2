/*
 * evring.c - append-only evidence ring in flash (see evring.h).
 */
#include "evring.h"

#include <stddef.h>

#include "crc32.h"

#define OFF_CRC 28u
#define EVR_SCAN 256u /* bytes per read while evring_open scans a page (whole slots) */

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

static void zero(uint8_t *p, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        p[i] = 0u;
    }
}

static uint32_t page_addr(const evring_t *r, uint32_t page)
{
    return r->base + page * r->fl->page_size;
}

static uint32_t slot_addr(const evring_t *r, uint32_t page, uint32_t slot)
{
    return page_addr(r, page) + slot * EVR_SLOT;
}

static void make_header(uint8_t out[EVR_SLOT], uint32_t page_seq)
{
    zero(out, EVR_SLOT);
    put32(out, EVR_MAGIC);
    put32(out + 4u, page_seq);
    out[8] = (uint8_t)EVR_SLOT;
    put32(out + OFF_CRC, crc32_compute(out, OFF_CRC));
}

static void make_record(uint8_t out[EVR_SLOT], const evr_record_t *rec)
{
    uint32_t i;

    zero(out, EVR_SLOT);
    out[0] = (uint8_t)rec->kind;
    out[1] = (uint8_t)(rec->kind >> 8);
    out[2] = rec->src;
    out[3] = rec->nvals;
    put32(out + 4u, rec->seq);
    for (i = 0; i < rec->nvals && i < EVR_MAX_VALS; i++) {
        put32(out + 8u + 4u * i, rec->v[i]);
    }
    put32(out + OFF_CRC, crc32_compute(out, OFF_CRC));
}

/* Slot content classes. */
enum { SLOT_ERASED = 0, SLOT_VALID, SLOT_BAD };

/* Class of a slot read without error (rc 0) into buf (word aligned): all bytes equal to the
 * erased value is ERASED, a CRC that holds VALID, anything else BAD. */
static int slot_class(const evring_t *r, const uint8_t *buf)
{
    const uint32_t *w = (const uint32_t *)(const void *)buf;
    uint32_t erased = (uint32_t)(uint8_t)r->fl->erased_value * 0x01010101u;
    uint32_t i;

    for (i = 0; i < EVR_SLOT / 4u; i++) {
        if (w[i] != erased) {
            return (get32(buf + OFF_CRC) == crc32_compute(buf, OFF_CRC)) ? SLOT_VALID : SLOT_BAD;
        }
    }
    return SLOT_ERASED;
}

/* Read one slot into buf (word aligned); SLOT_VALID when its CRC holds. A failed read is BAD
 * (torn); a read that reports erased, or all bytes equal to the erased value, is ERASED. */
static int read_slot(const evring_t *r, uint32_t page, uint32_t slot, uint8_t *buf)
{
    int rc = r->fl->read(r->fl->ctx, slot_addr(r, page, slot), buf, EVR_SLOT);

    if (rc == META_FLASH_ERASED) {
        return SLOT_ERASED;
    }
    if (rc != 0) {
        return SLOT_BAD;
    }
    return slot_class(r, buf);
}

/* 1 and *seq set if `page` has a valid header. */
static int page_header(const evring_t *r, uint32_t page, uint32_t *seq)
{
    uint32_t w[EVR_SLOT / 4u];
    uint8_t *buf = (uint8_t *)w;

    if (read_slot(r, page, 0u, buf) != SLOT_VALID || get32(buf) != EVR_MAGIC ||
        buf[8] != (uint8_t)EVR_SLOT) {
        return 0;
    }
    *seq = get32(buf + 4u);
    return 1;
}

static int parse_record(const uint8_t buf[EVR_SLOT], evr_record_t *rec)
{
    uint32_t i;

    rec->kind = (uint16_t)(buf[0] | ((uint16_t)buf[1] << 8));
    rec->src = buf[2];
    rec->nvals = buf[3];
    rec->seq = get32(buf + 4u);
    if (rec->nvals > EVR_MAX_VALS) {
        return 0;
    }
    for (i = 0; i < EVR_MAX_VALS; i++) {
        rec->v[i] = (i < rec->nvals) ? get32(buf + 8u + 4u * i) : 0u;
    }
    return 1;
}

/*
 * evring_open's scan of record slots [first, first + EVR_SCAN / EVR_SLOT) of `page` (those
 * below r->slots): one read for all of them, the slots classified as read_slot would, the
 * highest valid record seq folded into *have / *max and the last non-erased slot into *used.
 * A read that is not clean (an error, or erased units, whose buffer is unspecified) re-reads
 * each slot alone (read_slot), so every slot gets exactly its single-read class.
 * No return value.
 */
static void scan_slots(const evring_t *r, uint32_t page, uint32_t first, uint32_t *used,
                       int *have, uint32_t *max)
{
    uint32_t w[EVR_SCAN / 4u];
    uint8_t *buf = (uint8_t *)w;
    uint32_t n = r->slots - first;
    uint32_t i;
    int rc;

    if (n > EVR_SCAN / EVR_SLOT) {
        n = EVR_SCAN / EVR_SLOT;
    }
    rc = r->fl->read(r->fl->ctx, slot_addr(r, page, first), buf, n * EVR_SLOT);
    for (i = 0; i < n; i++) {
        uint8_t *b = &buf[i * EVR_SLOT];
        evr_record_t rec;
        int cls = (rc == 0) ? slot_class(r, b) : read_slot(r, page, first + i, b);

        if (cls != SLOT_ERASED) {
            *used = first + i;
        }
        if (cls == SLOT_VALID && parse_record(b, &rec) &&
            (!*have || meta_gen_newer(rec.seq, *max))) {
            *max = rec.seq;
            *have = 1;
        }
    }
}

/* Bind the ring to [base, base+size) of `fl`: geometry and mode, nothing recovered yet
 * (no page, seq 0). Returns 0, EVR_ERR_ARG or EVR_ERR_GEOMETRY. */
static int ring_bind(evring_t *r, const meta_flash_t *fl, uint32_t base, uint32_t size)
{
    if (r == NULL || fl == NULL || fl->read == NULL || fl->erase == NULL || fl->program == NULL) {
        return EVR_ERR_ARG;
    }
    if (fl->page_size == 0u || fl->program_unit == 0u || base % fl->page_size != 0u ||
        size % fl->page_size != 0u) {
        return EVR_ERR_GEOMETRY;
    }
    r->fl = fl;
    r->base = base;
    r->npages = size / fl->page_size;
    r->slots = fl->page_size / EVR_SLOT;
    if (r->npages < 2u || r->npages > EVR_MAX_PAGES || r->slots < 2u ||
        fl->page_size % EVR_SLOT != 0u) {
        return EVR_ERR_GEOMETRY;
    }
    if (fl->program_unit == fl->page_size && fl->page_size <= EVR_PAGE_BUF) {
        r->mode = EVR_MODE_PAGE;
    } else if (fl->program_unit <= EVR_SLOT && EVR_SLOT % fl->program_unit == 0u) {
        r->mode = EVR_MODE_WRITE_THROUGH;
    } else {
        return EVR_ERR_GEOMETRY;
    }
    r->cur_page = EVR_NONE;
    r->cur_seq = 0u;
    r->next_slot = 0u;
    r->next_rec_seq = 0u;
    r->buffered = 0u;
    return 0;
}

/* See evring.h. */
int evring_open(evring_t *r, const meta_flash_t *fl, uint32_t base, uint32_t size)
{
    uint32_t p;
    uint32_t s;
    uint32_t seq;
    int have_rec = 0;
    uint32_t max_rec = 0u;
    int rc = ring_bind(r, fl, base, size);

    if (rc != 0) {
        return rc;
    }
    for (p = 0; p < r->npages; p++) {
        uint32_t used = 0u; /* last non-erased record slot of p (0: none) */

        if (!page_header(r, p, &seq)) {
            continue;
        }
        for (s = 1u; s < r->slots; s += EVR_SCAN / EVR_SLOT) {
            scan_slots(r, p, s, &used, &have_rec, &max_rec);
        }
        if (r->cur_page == EVR_NONE || meta_gen_newer(seq, r->cur_seq)) {
            r->cur_page = p;
            r->cur_seq = seq;
            r->next_slot = used + 1u; /* after the last used (or torn) slot */
        }
    }
    r->next_rec_seq = have_rec ? max_rec + 1u : 0u;
    if (r->mode != EVR_MODE_WRITE_THROUGH) {
        r->next_slot = 0u;
    }
    return 0;
}

/* See evring.h. */
int evring_state(const evring_t *r, evr_state_t *st)
{
    if (r == NULL || r->fl == NULL || st == NULL || r->buffered != 0u) {
        return EVR_ERR_ARG;
    }
    st->cur_page = r->cur_page;
    st->cur_seq = r->cur_seq;
    st->next_slot = r->next_slot;
    st->next_rec_seq = r->next_rec_seq;
    return 0;
}

/* See evring.h. */
int evring_resume(evring_t *r, const meta_flash_t *fl, uint32_t base, uint32_t size,
                  const evr_state_t *st)
{
    int rc;

    if (st == NULL) {
        return EVR_ERR_ARG;
    }
    rc = ring_bind(r, fl, base, size);
    if (rc != 0) {
        return rc;
    }
    /* the state evring_open / evring_append / evring_flush can leave: no page and nothing
     * else, or a page of the ring (write-through: next slot 1..slots, page mode: 0) */
    if (st->cur_page == EVR_NONE ? (st->cur_seq != 0u || st->next_slot != 0u)
                                 : (st->cur_page >= r->npages ||
                                    (r->mode == EVR_MODE_WRITE_THROUGH
                                         ? (st->next_slot == 0u || st->next_slot > r->slots)
                                         : st->next_slot != 0u))) {
        r->fl = NULL; /* not opened */
        return EVR_ERR_ARG;
    }
    r->cur_page = st->cur_page;
    r->cur_seq = st->cur_seq;
    r->next_slot = st->next_slot;
    r->next_rec_seq = st->next_rec_seq;
    return 0;
}

/* The page after the current one in ring order (page 0 when none). */
static uint32_t next_page(const evring_t *r)
{
    return (r->cur_page == EVR_NONE) ? 0u : (r->cur_page + 1u) % r->npages;
}

static uint32_t next_page_seq(const evring_t *r)
{
    return (r->cur_page == EVR_NONE) ? 1u : r->cur_seq + 1u;
}

/* Write-through: erase the next page and program its header. Returns 0 or an EVR_ERR_*. */
static int open_page(evring_t *r)
{
    uint8_t hdr[EVR_SLOT];
    uint32_t page = next_page(r);
    uint32_t seq = next_page_seq(r);

    if (r->fl->erase(r->fl->ctx, page_addr(r, page)) != 0) {
        return EVR_ERR_ERASE;
    }
    make_header(hdr, seq);
    if (r->fl->program(r->fl->ctx, page_addr(r, page), hdr, EVR_SLOT) != 0) {
        return EVR_ERR_PROGRAM; /* page stays unopened: the next append retries it */
    }
    r->cur_page = page;
    r->cur_seq = seq;
    r->next_slot = 1u;
    return 0;
}

/* See evring.h. */
int evring_flush(evring_t *r)
{
    uint32_t page;
    uint32_t seq;
    uint32_t i;

    if (r == NULL || r->fl == NULL) {
        return EVR_ERR_ARG;
    }
    if (r->mode != EVR_MODE_PAGE || r->buffered == 0u) {
        return 0;
    }
    page = next_page(r);
    seq = next_page_seq(r);
    make_header(r->buf, seq);
    for (i = (1u + r->buffered) * EVR_SLOT; i < r->fl->page_size; i++) {
        r->buf[i] = (uint8_t)r->fl->erased_value;
    }
    if (r->fl->erase(r->fl->ctx, page_addr(r, page)) != 0) {
        return EVR_ERR_ERASE;
    }
    if (r->fl->program(r->fl->ctx, page_addr(r, page), r->buf, r->fl->page_size) != 0) {
        return EVR_ERR_PROGRAM;
    }
    r->cur_page = page;
    r->cur_seq = seq;
    r->buffered = 0u;
    return 0;
}

/* See evring.h. */
int evring_append(evring_t *r, uint16_t kind, uint8_t src, const uint32_t *vals, uint8_t nvals,
                  uint32_t *seq_out)
{
    evr_record_t rec;
    uint8_t slot[EVR_SLOT];
    uint32_t i;
    int rc;

    if (r == NULL || r->fl == NULL || nvals > EVR_MAX_VALS || (nvals > 0u && vals == NULL)) {
        return EVR_ERR_ARG;
    }
    rec.kind = kind;
    rec.src = src;
    rec.nvals = nvals;
    rec.seq = r->next_rec_seq;
    for (i = 0; i < EVR_MAX_VALS; i++) {
        rec.v[i] = (i < nvals) ? vals[i] : 0u;
    }

    if (r->mode == EVR_MODE_PAGE) {
        if (r->buffered >= r->slots - 1u) {
            rc = evring_flush(r); /* a previous flush failed: retry before buffering more */
            if (rc != 0) {
                return rc;
            }
        }
        make_record(&r->buf[(1u + r->buffered) * EVR_SLOT], &rec);
        r->buffered++;
        r->next_rec_seq++;
        if (seq_out != NULL) {
            *seq_out = rec.seq;
        }
        if (r->buffered >= r->slots - 1u) {
            return evring_flush(r);
        }
        return 0;
    }

    if (r->cur_page == EVR_NONE || r->next_slot >= r->slots) {
        rc = open_page(r);
        if (rc != 0) {
            return rc;
        }
    }
    make_record(slot, &rec);
    i = r->next_slot;
    r->next_slot++; /* a failed/torn slot is never reprogrammed */
    r->next_rec_seq++;
    if (seq_out != NULL) {
        *seq_out = rec.seq;
    }
    if (r->fl->program(r->fl->ctx, slot_addr(r, r->cur_page, i), slot, EVR_SLOT) != 0) {
        return EVR_ERR_PROGRAM;
    }
    return 0;
}

/* See evring.h. */
uint32_t evring_guaranteed(const evring_t *r)
{
    if (r == NULL || r->fl == NULL) {
        return 0u;
    }
    return (r->mode == EVR_MODE_PAGE) ? r->npages - 1u : (r->npages - 1u) * (r->slots - 1u);
}

/* See evring.h. */
int evring_iter_init(const evring_t *r, evr_iter_t *it)
{
    uint32_t seqs[EVR_MAX_PAGES];
    uint32_t newest = 0u;
    uint32_t p;
    uint32_t i;
    uint32_t seq;

    if (r == NULL || r->fl == NULL || it == NULL) {
        return EVR_ERR_ARG;
    }
    it->n = 0u;
    it->pi = 0u;
    it->slot = 1u;
    for (p = 0; p < r->npages; p++) {
        if (page_header(r, p, &seq)) {
            if (it->n == 0u || meta_gen_newer(seq, newest)) {
                newest = seq;
            }
            it->order[it->n] = (uint8_t)p;
            seqs[it->n] = seq;
            it->n++;
        }
    }
    /* insertion sort, oldest first: larger age (newest - seq) first */
    for (i = 1u; i < it->n; i++) {
        uint8_t po = it->order[i];
        uint32_t so = seqs[i];
        uint32_t j = i;

        while (j > 0u && (newest - seqs[j - 1u]) < (newest - so)) {
            it->order[j] = it->order[j - 1u];
            seqs[j] = seqs[j - 1u];
            j--;
        }
        it->order[j] = po;
        seqs[j] = so;
    }
    return 0;
}

/* See evring.h. */
int evring_iter_next(const evring_t *r, evr_iter_t *it, evr_record_t *rec)
{
    uint32_t w[EVR_SLOT / 4u];
    uint8_t *buf = (uint8_t *)w;

    if (r == NULL || r->fl == NULL || it == NULL || rec == NULL) {
        return EVR_ERR_ARG;
    }
    while (it->pi < it->n) {
        while (it->slot < r->slots) {
            uint32_t s = it->slot++;
            if (read_slot(r, it->order[it->pi], s, buf) == SLOT_VALID && parse_record(buf, rec)) {
                return 1;
            }
        }
        it->pi++;
        it->slot = 1u;
    }
    return 0;
}
