/*
 * bjournal.c - the planted in-place rollback journaled in RAM (see bjournal.h).
 */
#include "bjournal.h"

#include <stdint.h>

#include "evidence.h"

#define BJ_MAGIC  0x4C4E524Au /* "JRNL" */
#define BJ_OFFSET 0x80u       /* the app's RAM mark uses the window's first bytes */

typedef struct {
    uint32_t magic;
    uint8_t rec[META_RECORD_SIZE]; /* meta_serialize form, CRC included */
} bj_journal_t;

extern uint8_t __noinit_start[]; /* ports/common/sections.ld: the .noinit window, 0x100 B */

_Static_assert(BJ_OFFSET + sizeof(bj_journal_t) <= 0x100u, "journal outside the window");

static bj_journal_t *bj_journal(void)
{
    return (bj_journal_t *)(void *)(__noinit_start + BJ_OFFSET);
}

/* Rewrite `rec` over the winner in place, the journal set meanwhile. Returns as
 * meta_commit_in_place. */
static int bj_rewrite(meta_ctx_t *ctx, meta_load_t *ld, const meta_record_t *rec)
{
    bj_journal_t *j = bj_journal();
    meta_record_t r = *rec;
    int rc;

    j->magic = 0u;
    meta_serialize(&r, j->rec);
    j->magic = BJ_MAGIC;
    rc = meta_commit_in_place(ctx, &r);
    j->magic = 0u;
    (void)meta_load(ctx, ld);
    return rc;
}

/* See bjournal.h. */
int bjournal_rollback(meta_ctx_t *ctx, meta_load_t *ld)
{
    bj_journal_t *j = bj_journal();
    meta_record_t rec;

    if (j->magic == BJ_MAGIC && meta_parse(j->rec, &rec)) {
        (void)ev_emit_text("! planted: metadata rewrite finished from the RAM journal");
        return bj_rewrite(ctx, ld, &rec);
    }
    if (ld->result != META_RECOVERED) {
        return 0;
    }
    return bj_rewrite(ctx, ld, &ld->rec); /* bj_rewrite copies it before reloading ld */
}
