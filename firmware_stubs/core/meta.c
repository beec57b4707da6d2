/*
 * meta.c - two-copy A/B boot metadata with CRC-32 and generation counter (see meta.h).
 */
#include "meta.h"

#include <stddef.h>

#include "crc32.h"
#include "mut_hooks.h"

#define META_CHUNK 64u /* read-back granularity (bytes) */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* See meta.h. Returns 1 if a is newer than b. */
int meta_gen_newer(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* See meta.h. Never fails. */
void meta_defaults(meta_record_t *rec)
{
    uint32_t i;
    uint8_t *p = (uint8_t *)rec;

    for (i = 0; i < sizeof(*rec); i++) {
        p[i] = 0u;
    }
    rec->active = META_SLOT_NONE;
    rec->next = META_SLOT_NONE;
    rec->up_slot = META_SLOT_NONE;
    rec->state[0] = META_ST_EMPTY;
    rec->state[1] = META_ST_EMPTY;
}

/* See meta.h. Never fails. */
void meta_serialize(const meta_record_t *rec, uint8_t out[META_RECORD_SIZE])
{
    uint32_t i;

    for (i = 0; i < META_RECORD_SIZE; i++) {
        out[i] = 0u;
    }
    put32(out + META_OFF_MAGIC, META_MAGIC);
    put16(out + META_OFF_VERSION, META_VERSION);
    put16(out + META_OFF_LENGTH, META_RECORD_SIZE);
    put32(out + META_OFF_GEN, rec->generation);
    put32(out + META_OFF_FLOOR, rec->floor);
    out[META_OFF_ACTIVE] = rec->active;
    out[META_OFF_NEXT] = rec->next;
    out[META_OFF_STATE] = rec->state[0];
    out[META_OFF_STATE + 1u] = rec->state[1];
    out[META_OFF_ATTEMPTS] = rec->attempts[0];
    out[META_OFF_ATTEMPTS + 1u] = rec->attempts[1];
    out[META_OFF_UP_SLOT] = rec->up_slot;
    put32(out + META_OFF_BUILD, rec->build[0]);
    put32(out + META_OFF_BUILD + 4u, rec->build[1]);
    put32(out + META_OFF_IMAGE_ID, rec->image_id[0]);
    put32(out + META_OFF_IMAGE_ID + 4u, rec->image_id[1]);
    put32(out + META_OFF_UP_OFFSET, rec->up_offset);
    put32(out + META_OFF_UP_ID, rec->up_image_id);
    put32(out + META_OFF_UP_BUILD, rec->up_build);
    put32(out + META_OFF_FLOOR_NEXT, rec->floor_next);
    put32(out + META_OFF_CRC, crc32_compute(out, META_OFF_CRC));
}

/* See meta.h. Returns 1 if the envelope (magic, version, length, reserved, CRC) is right. */
int meta_parse(const uint8_t in[META_RECORD_SIZE], meta_record_t *rec)
{
    if (get32(in + META_OFF_MAGIC) != META_MAGIC || get16(in + META_OFF_VERSION) != META_VERSION ||
        get16(in + META_OFF_LENGTH) != META_RECORD_SIZE ||
        /* planted (at-rest class): a record with a wrong CRC is parsed as valid */
        (!MUT_HOOK_SKIP_META_CRC() && get32(in + META_OFF_CRC) != crc32_compute(in, META_OFF_CRC))) {
        return 0;
    }
    if (in[META_OFF_RSVD8] != 0u || get32(in + META_OFF_RSVD32) != 0u) {
        return 0;
    }
    rec->generation = get32(in + META_OFF_GEN);
    rec->floor = get32(in + META_OFF_FLOOR);
    rec->active = in[META_OFF_ACTIVE];
    rec->next = in[META_OFF_NEXT];
    rec->state[0] = in[META_OFF_STATE];
    rec->state[1] = in[META_OFF_STATE + 1u];
    rec->attempts[0] = in[META_OFF_ATTEMPTS];
    rec->attempts[1] = in[META_OFF_ATTEMPTS + 1u];
    rec->up_slot = in[META_OFF_UP_SLOT];
    rec->build[0] = get32(in + META_OFF_BUILD);
    rec->build[1] = get32(in + META_OFF_BUILD + 4u);
    rec->image_id[0] = get32(in + META_OFF_IMAGE_ID);
    rec->image_id[1] = get32(in + META_OFF_IMAGE_ID + 4u);
    rec->up_offset = get32(in + META_OFF_UP_OFFSET);
    rec->up_image_id = get32(in + META_OFF_UP_ID);
    rec->up_build = get32(in + META_OFF_UP_BUILD);
    rec->floor_next = get32(in + META_OFF_FLOOR_NEXT);
    return 1;
}

static int state_ok(uint8_t s)
{
    return s >= (uint8_t)META_ST_EMPTY && s <= (uint8_t)META_ST_FAILED;
}

/* See meta.h. Returns 1 if the record obeys the structural rules. */
int meta_record_check(const meta_record_t *rec)
{
    uint8_t a;
    uint8_t o;

    if (rec == NULL || rec->active > META_SLOT_B || rec->next > META_SLOT_B) {
        return 0;
    }
    a = rec->active;
    o = (uint8_t)(a ^ 1u);
    if (!state_ok(rec->state[0]) || !state_ok(rec->state[1])) {
        return 0;
    }
    if (rec->state[a] != (uint8_t)META_ST_CONFIRMED ||
        rec->state[o] == (uint8_t)META_ST_CONFIRMED) {
        return 0;
    }
    /* planted (item 4): a floor above the active build passes, so the floor can be raised
     * before the new image is confirmed */
    if (rec->attempts[a] != 0u ||
        (!MUT_HOOK_ALLOW_FLOOR_ABOVE_ACTIVE() && rec->floor > rec->build[a])) {
        return 0;
    }
    if (rec->up_slot != META_SLOT_NONE && rec->up_slot != o) {
        return 0;
    }
    /* a staged floor bump only ever targets the CONFIRMED active image, and only upwards */
    if (rec->floor_next != 0u &&
        (rec->floor_next != rec->build[a] || rec->floor_next <= rec->floor)) {
        return 0;
    }
    return 1;
}

/* Read and classify one copy. Returns a meta_copy_status_t; *rec filled when VALID. */
static uint8_t load_copy(const meta_flash_t *fl, uint32_t addr, meta_record_t *rec)
{
    uint8_t buf[META_RECORD_SIZE];
    uint32_t i;
    int rc = fl->read(fl->ctx, addr, buf, META_RECORD_SIZE);

    if (rc == META_FLASH_ERASED) {
        return (uint8_t)META_COPY_ERASED;
    }
    if (rc != META_FLASH_OK) {
        return (uint8_t)META_COPY_UNREADABLE;
    }
    for (i = 0; i < META_RECORD_SIZE; i++) {
        if (buf[i] != (uint8_t)fl->erased_value) {
            break;
        }
    }
    if (i == META_RECORD_SIZE) {
        return (uint8_t)META_COPY_ERASED;
    }
    if (!meta_parse(buf, rec) || !meta_record_check(rec)) {
        return (uint8_t)META_COPY_BAD;
    }
    return (uint8_t)META_COPY_VALID;
}

static uint32_t padded_size(const meta_flash_t *fl)
{
    return (META_RECORD_SIZE + fl->program_unit - 1u) / fl->program_unit * fl->program_unit;
}

/* See meta.h. Returns 0 or META_ERR_ARG. */
int meta_init(meta_ctx_t *ctx, const meta_flash_t *fl, uint32_t addr_a, uint32_t addr_b)
{
    uint32_t pu;

    if (ctx == NULL || fl == NULL || fl->erase == NULL || fl->program == NULL || fl->read == NULL) {
        return META_ERR_ARG;
    }
    pu = fl->program_unit;
    if (pu < 4u || pu > META_UNIT_MAX || (pu & (pu - 1u)) != 0u || fl->page_size == 0u ||
        fl->page_size % pu != 0u || fl->page_size < padded_size(fl) || fl->erased_value > 0xFFu) {
        return META_ERR_ARG;
    }
    if (addr_a % fl->page_size != 0u || addr_b % fl->page_size != 0u || addr_a == addr_b) {
        return META_ERR_ARG;
    }
    ctx->fl = fl;
    ctx->addr[0] = addr_a;
    ctx->addr[1] = addr_b;
    ctx->cur = META_SLOT_NONE;
    ctx->gen = 0u;
    return 0;
}

/* See meta.h. Returns 0 or META_ERR_ARG. */
int meta_load(meta_ctx_t *ctx, meta_load_t *out)
{
    meta_record_t r[2];
    uint8_t win;

    if (ctx == NULL || ctx->fl == NULL || out == NULL) {
        return META_ERR_ARG;
    }
    out->status[0] = load_copy(ctx->fl, ctx->addr[0], &r[0]);
    out->status[1] = load_copy(ctx->fl, ctx->addr[1], &r[1]);

    if (out->status[0] == (uint8_t)META_COPY_VALID && out->status[1] == (uint8_t)META_COPY_VALID) {
        /* newest wins; equal generations (never written that way) resolve to copy A */
        win = meta_gen_newer(r[1].generation, r[0].generation) ? META_SLOT_B : META_SLOT_A;
        out->result = META_OK;
    } else if (out->status[0] == (uint8_t)META_COPY_VALID) {
        win = META_SLOT_A;
        out->result = META_RECOVERED;
    } else if (out->status[1] == (uint8_t)META_COPY_VALID) {
        win = META_SLOT_B;
        out->result = META_RECOVERED;
    } else {
        meta_defaults(&out->rec);
        out->result = META_BOTH_INVALID;
        out->copy = META_SLOT_NONE;
        out->generation = 0u;
        ctx->cur = META_SLOT_NONE;
        ctx->gen = 0u;
        return 0;
    }
    out->rec = r[win];
    out->copy = win;
    out->generation = r[win].generation;
    ctx->cur = win;
    ctx->gen = r[win].generation;
    return 0;
}

static inline __attribute__((always_inline)) int commit_to(meta_ctx_t *ctx,
                                                        const meta_record_t *rec,
                                                        uint32_t *gen_out, int in_place);

/* See meta.h. Returns 0 or a META_ERR_* code; ctx unchanged on failure. */
int meta_commit(meta_ctx_t *ctx, const meta_record_t *rec, uint32_t *gen_out)
{
    return commit_to(ctx, rec, gen_out, MUT_HOOK_META_WRITE_IN_PLACE());
}

/* See meta.h (planted bugs only). */
int meta_commit_in_place(meta_ctx_t *ctx, const meta_record_t *rec)
{
    return commit_to(ctx, rec, NULL, 1);
}

/* See meta.h (planted bugs only). */
int meta_erase_other(meta_ctx_t *ctx)
{
    if (ctx == NULL || ctx->fl == NULL) {
        return META_ERR_ARG;
    }
    if (ctx->fl->erase(ctx->fl->ctx, ctx->addr[ctx->cur == META_SLOT_A ? 1 : 0]) !=
        META_FLASH_OK) {
        return META_ERR_ERASE;
    }
    return 0;
}

/* `in_place`: write over the current winner (planted bugs), else the other copy. */
static inline __attribute__((always_inline)) int commit_to(meta_ctx_t *ctx,
                                                        const meta_record_t *rec,
                                                        uint32_t *gen_out, int in_place)
{
    uint8_t unit[META_UNIT_MAX];
    uint8_t back[META_CHUNK];
    meta_record_t r;
    const meta_flash_t *fl;
    uint32_t len;
    uint32_t i;
    uint32_t off;
    uint8_t target;

    if (ctx == NULL || ctx->fl == NULL || rec == NULL) {
        return META_ERR_ARG;
    }
    if (!meta_record_check(rec)) {
        return META_ERR_RECORD;
    }
    fl = ctx->fl;
    len = padded_size(fl);
    r = *rec;
    r.generation = (ctx->cur == META_SLOT_NONE) ? 1u : ctx->gen + 1u;
    if (in_place) {
        /* planted (item 12, MUT_META_IN_PLACE; issue 15's in-place rollback and floor bump):
         * the record is rewritten in place in ONE copy (the winner; copy A when none): a cut
         * between the erase and the program below leaves no valid copy when the other one is
         * not valid */
        target = (ctx->cur == META_SLOT_NONE) ? META_SLOT_A : ctx->cur;
    } else {
        target = (ctx->cur == META_SLOT_A) ? META_SLOT_B : META_SLOT_A;
    }

    for (i = META_RECORD_SIZE; i < len; i++) {
        unit[i] = (uint8_t)fl->erased_value;
    }
    meta_serialize(&r, unit);

    if (fl->erase(fl->ctx, ctx->addr[target]) != META_FLASH_OK) {
        return META_ERR_ERASE;
    }
    if (fl->program(fl->ctx, ctx->addr[target], unit, len) != META_FLASH_OK) {
        return META_ERR_PROGRAM;
    }
    for (off = 0u; off < len; off += META_CHUNK) {
        uint32_t n = (len - off < META_CHUNK) ? (len - off) : META_CHUNK;
        if (fl->read(fl->ctx, ctx->addr[target] + off, back, n) != META_FLASH_OK) {
            return META_ERR_VERIFY;
        }
        for (i = 0; i < n; i++) {
            if (back[i] != unit[off + i]) {
                return META_ERR_VERIFY;
            }
        }
    }
    ctx->cur = target;
    ctx->gen = r.generation;
    if (gen_out != NULL) {
        *gen_out = r.generation;
    }
    return 0;
}

/* See meta.h. Returns a static string. */
const char *meta_result_name(meta_result_t r)
{
    static const char *const names[] = {"ok", "recovered", "both-invalid"};

    return ((unsigned)r < 3u) ? names[r] : "unknown";
}

/* See meta.h. Returns a static string ("UNKNOWN" when out of range). */
const char *meta_state_name(uint8_t state)
{
    static const char *const names[] = {"EMPTY", "STAGING", "PENDING", "CONFIRMED", "FAILED"};

    return state_ok(state) ? names[state - 1u] : "UNKNOWN";
}
