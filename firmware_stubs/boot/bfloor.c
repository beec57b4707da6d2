/*
 * bfloor.c - completion of a staged floor bump at boot (see bfloor.h).
 */
#include "bfloor.h"

#include "evidence.h"
#include "mut_hooks.h"

/* See bfloor.h. */
int bfloor_complete(meta_ctx_t *ctx, const bs_input_t *in)
{
    static meta_load_t ld; /* one per boot; keeps the stack small */
    bs_event_t ev = {0};
    bs_path_t p;
    ev_fields_t f;
    const char *name;
    int rc;

    if (meta_load(ctx, &ld) != 0 || ld.result == META_BOTH_INVALID ||
        !bootsel_floor_due(in, &ld.rec) ||
        bootsel_floor_bump(&ld.rec, ld.rec.active, &p) != BS_OK) {
        return 0;
    }
    ev.kind = BS_EV_PHASE;
    ev.step = BS_STEP_FLOOR_BUMP;
    ev_fields_init(&f);
    name = bootsel_event_fields(&ev, &f);
    if (name != NULL) {
        (void)ev_emit(name, &f);
    }
    if (MUT_HOOK_UNJOURNALED_FLOOR_BUMP()) {
        /* planted (issue 15): the stale copy is cleared, then the bump overwrites the current
         * copy in place: no journal of the state the step started from */
        (void)meta_erase_other(ctx);
        rc = meta_commit_in_place(ctx, &p.rec);
    } else {
        rc = meta_commit(ctx, &p.rec, NULL);
    }
    if (rc == 0) {
        return 1;
    }
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", "fail");
    (void)ev_add_str(&f, "rc", rc == META_ERR_ERASE     ? "erase"
                               : rc == META_ERR_PROGRAM ? "program"
                               : rc == META_ERR_VERIFY  ? "verify"
                                                        : "record");
    (void)ev_emit("META_COMMIT", &f);
    return rc;
}
