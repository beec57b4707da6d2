/*
 * bootsel.c - boot decision table and metadata paths (see bootsel.h, docs/contract-meta.md).
 *
 * One translation unit in two files: the vocabulary's names and the events' evidence fields
 * are in bootsel_events.h, internal to this file and included at its end (a separate object
 * would reorder the bootloader's constant data: the firmware layout stays as it is).
 */
#include "bootsel.h"

#include <stddef.h>

#include "mut_hooks.h"

#define X 2u /* don't care in a rule */

/* What a rule boots. */
enum { T_NONE = 0, T_ACTIVE, T_OTHER, T_CAND };
/* What a rule changes in the record. */
enum { CH_NONE = 0, CH_ADOPT, CH_ATTEMPT, CH_FAIL_OTHER };

#define PC_BIT(p) (1u << (p))
#define PC_ALL    ((1u << BS_PC_COUNT) - 1u)
#define PC_BAD    (PC_BIT(BS_PC_EXHAUSTED) | PC_BIT(BS_PC_INVALID) | \
                   PC_BIT(BS_PC_INCONSISTENT) | PC_BIT(BS_PC_BELOW_FLOOR))

/* One row of the decision table. Conditions: rq = rescue requested, mv = metadata usable
 * (not both-invalid and structurally valid), cok = confirmed slot bootable, cand = an
 * adoption candidate exists (only looked at when mv = 0), pcs = set of pending classes. */
typedef struct {
    uint8_t rq;
    uint8_t mv;
    uint8_t cok;
    uint8_t cand;
    uint8_t pcs;
    uint8_t row;
    uint8_t action;
    uint8_t target;
    uint8_t change;
} bs_rule_t;

/* The decision table: the first matching row wins. Rows are mutually exclusive anyway
 * (tests check every input combination matches exactly one). */
static const bs_rule_t bootsel_table[] = {
    /* rq  mv  cok cand pcs               row                     action         target    change */
    {1u, X,  X,  X,  PC_ALL,              BS_ROW_RESCUE_REQUEST,  BS_ACT_RESCUE, T_NONE,   CH_NONE},
    {0u, 0u, X,  1u, PC_ALL,              BS_ROW_ADOPT,           BS_ACT_BOOT,   T_CAND,  CH_ADOPT},
    {0u, 0u, X,  0u, PC_ALL,              BS_ROW_NO_META_RESCUE,  BS_ACT_RESCUE, T_NONE,   CH_NONE},
    {0u, 1u, X,  X,  PC_BIT(BS_PC_READY), BS_ROW_TRIAL,           BS_ACT_BOOT,   T_OTHER,
     CH_ATTEMPT},
    {0u, 1u, 1u, X,  PC_BIT(BS_PC_NONE),  BS_ROW_CONFIRMED,       BS_ACT_BOOT,   T_ACTIVE, CH_NONE},
    {0u, 1u, 1u, X,  PC_BAD,              BS_ROW_ROLLBACK,        BS_ACT_BOOT,   T_ACTIVE,
     CH_FAIL_OTHER},
    {0u, 1u, 0u, X,  PC_BAD,              BS_ROW_ROLLBACK_RESCUE, BS_ACT_RESCUE, T_NONE,
     CH_FAIL_OTHER},
    {0u, 1u, 0u, X,  PC_BIT(BS_PC_NONE),  BS_ROW_NOTHING_RESCUE,  BS_ACT_RESCUE, T_NONE,   CH_NONE},
};

#define TABLE_LEN (sizeof(bootsel_table) / sizeof(bootsel_table[0]))

static int cond(uint8_t want, uint8_t have)
{
    return want == X || want == have;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return (a > b) ? a : b;
}

static int meta_usable(const bs_input_t *in)
{
    return in->meta_result != META_BOTH_INVALID && meta_record_check(&in->rec);
}

static uint32_t eff_floor(const bs_input_t *in)
{
    return meta_usable(in) ? max_u32(in->rec.floor, in->anchor_floor) : in->anchor_floor;
}

static int image_matches(const bs_input_t *in, uint8_t s)
{
    return in->image[s].build == in->rec.build[s] && in->image[s].image_id == in->rec.image_id[s];
}

static int confirmed_ok(const bs_input_t *in)
{
    uint8_t a = in->rec.active;

    return in->image[a].valid && image_matches(in, a) && in->image[a].build >= eff_floor(in);
}

/* See bootsel.h. Returns a bs_pending_t. */
bs_pending_t bootsel_pending_class(const bs_input_t *in)
{
    uint8_t o;
    int pend;
    int is_next;

    if (in == NULL || !meta_usable(in)) {
        return BS_PC_NONE;
    }
    o = (uint8_t)(in->rec.active ^ 1u);
    pend = in->rec.state[o] == (uint8_t)META_ST_PENDING;
    is_next = in->rec.next == o;
    if (!pend && !is_next) {
        return BS_PC_NONE;
    }
    if (pend != is_next) {
        return BS_PC_INCONSISTENT;
    }
    if (in->rec.attempts[o] >= in->max_attempts) {
        return BS_PC_EXHAUSTED;
    }
    if (!in->image[o].valid) {
        return BS_PC_INVALID;
    }
    if (!image_matches(in, o)) {
        return BS_PC_INCONSISTENT;
    }
    /* planted (anchor class): the pending build is checked against the recorded build of the
     * active image instead of the floor */
    if (in->image[o].build <
        (MUT_HOOK_PENDING_VS_OWN_BUILD() ? in->rec.build[in->rec.active] + 1u : eff_floor(in))) {
        return BS_PC_BELOW_FLOOR;
    }
    return BS_PC_READY;
}

/* Adoption candidate when no metadata is usable: the valid image with the highest build at
 * or above the anchor floor (ties: A). Returns the slot or META_SLOT_NONE. */
static uint8_t adopt_candidate(const bs_input_t *in)
{
    uint8_t best = META_SLOT_NONE;
    uint8_t s;

    for (s = 0u; s < 2u; s++) {
        if (!in->image[s].valid || in->image[s].build < in->anchor_floor) {
            continue;
        }
        if (best == META_SLOT_NONE || in->image[s].build > in->image[best].build) {
            best = s;
        }
    }
    return best;
}

static bs_event_t *add_event(bs_event_t *evs, uint8_t *n, uint8_t kind)
{
    bs_event_t *e;
    uint8_t *p;
    uint32_t i;

    if (*n >= BS_MAX_EVENTS) {
        return NULL; /* never: each path emits at most BS_MAX_EVENTS */
    }
    e = &evs[*n];
    p = (uint8_t *)e;
    for (i = 0; i < sizeof(*e); i++) {
        p[i] = 0u;
    }
    e->kind = kind;
    e->slot = META_SLOT_NONE;
    e->copy = META_SLOT_NONE;
    (*n)++;
    return e;
}

static void ev_transition(bs_event_t *evs, uint8_t *n, uint8_t from, uint8_t to, uint8_t slot,
                          uint32_t attempt)
{
    bs_event_t *e = add_event(evs, n, BS_EV_SLOT_TRANSITION);

    if (e != NULL) {
        e->from = from;
        e->to = to;
        e->slot = slot;
        e->attempt = attempt;
    }
}

static void ev_rollback(bs_event_t *evs, uint8_t *n, uint8_t reason, uint32_t floor,
                        uint32_t candidate)
{
    bs_event_t *e = add_event(evs, n, BS_EV_ROLLBACK);

    if (e != NULL) {
        e->reason = reason;
        e->floor = floor;
        e->candidate_build = candidate;
    }
}

static uint8_t reason_of(bs_pending_t pc)
{
    switch (pc) {
    case BS_PC_EXHAUSTED:
        return BS_RB_ATTEMPTS;
    case BS_PC_INVALID:
        return BS_RB_VERIFY;
    case BS_PC_BELOW_FLOOR:
        return BS_RB_BELOW_FLOOR;
    default:
        return BS_RB_INCONSISTENT;
    }
}

/* See bootsel.h. Returns BS_OK or BS_ERR_ARG. */
int bootsel_decide(const bs_input_t *in, bs_output_t *out)
{
    const bs_rule_t *r = NULL;
    bs_event_t *e;
    uint8_t rq;
    uint8_t mv;
    uint8_t cok = 0u;
    uint8_t cand;
    uint8_t o = META_SLOT_NONE;
    bs_pending_t pc;
    uint32_t i;

    if (in == NULL || out == NULL || in->max_attempts == 0u || in->rescue >= BS_RQ_COUNT) {
        return BS_ERR_ARG;
    }
    rq = (in->rescue != BS_RQ_NONE) ? 1u : 0u;
    mv = meta_usable(in) ? 1u : 0u;
    if (mv) {
        cok = confirmed_ok(in) ? 1u : 0u;
        o = (uint8_t)(in->rec.active ^ 1u);
    }
    cand = adopt_candidate(in);
    pc = bootsel_pending_class(in);

    for (i = 0; i < TABLE_LEN; i++) {
        const bs_rule_t *t = &bootsel_table[i];
        if (cond(t->rq, rq) && cond(t->mv, mv) && cond(t->cok, cok) &&
            cond(t->cand, (cand != META_SLOT_NONE) ? 1u : 0u) && (t->pcs & PC_BIT(pc)) != 0u) {
            r = t;
            break;
        }
    }
    if (r == NULL) {
        return BS_ERR_ARG; /* unreachable: the table is complete (tested exhaustively) */
    }

    out->action = r->action;
    out->row = r->row;
    out->pending = (uint8_t)pc;
    out->trial = 0u;
    out->slot = META_SLOT_NONE;
    out->build = 0u;
    out->rescue_cause = BS_RC_NO_BOOTABLE;
    if (r->row == BS_ROW_RESCUE_REQUEST) {
        out->rescue_cause = (in->rescue == BS_RQ_PIN) ? BS_RC_PIN : BS_RC_UART;
    }
    out->n_events = 0u;
    if (mv) {
        out->rec = in->rec;
    } else {
        meta_defaults(&out->rec);
    }

    e = add_event(out->events, &out->n_events, BS_EV_META);
    e->result = (uint8_t)in->meta_result;
    e->generation = in->meta_generation;
    e->copy = in->meta_copy;

    switch (r->target) {
    case T_ACTIVE:
        out->slot = in->rec.active;
        break;
    case T_OTHER:
        out->slot = o;
        out->trial = 1u;
        break;
    case T_CAND:
        out->slot = cand;
        break;
    default:
        break;
    }
    if (out->slot != META_SLOT_NONE) {
        out->build = in->image[out->slot].build;
    }

    switch (r->change) {
    case CH_ADOPT:
        out->rec.active = cand;
        out->rec.next = cand;
        out->rec.state[cand] = META_ST_CONFIRMED;
        out->rec.build[cand] = in->image[cand].build;
        out->rec.image_id[cand] = in->image[cand].image_id;
        out->rec.floor = in->anchor_floor; /* adoption is not a self-test: no floor bump */
        out->commits = 2u;                 /* both copies, so the next load says ok */
        ev_transition(out->events, &out->n_events, BS_PH_IDLE, BS_PH_CONFIRMED, cand, 0u);
        break;
    case CH_ATTEMPT:
        out->rec.attempts[o] = (uint8_t)(out->rec.attempts[o] + 1u);
        out->commits = 1u;
        ev_transition(out->events, &out->n_events, BS_PH_PENDING, BS_PH_BOOT_TEST, o,
                      out->rec.attempts[o]);
        break;
    case CH_FAIL_OTHER:
        out->rec.state[o] = META_ST_FAILED;
        out->rec.next = in->rec.active;
        out->rec.up_slot = META_SLOT_NONE;
        out->rec.up_offset = 0u;
        out->rec.up_image_id = 0u;
        out->rec.up_build = 0u;
        out->commits = 1u;
        ev_rollback(out->events, &out->n_events, reason_of(pc), eff_floor(in),
                    in->image[o].valid ? in->image[o].build : in->rec.build[o]);
        ev_transition(out->events, &out->n_events,
                      (in->rec.attempts[o] > 0u) ? BS_PH_BOOT_TEST : BS_PH_PENDING,
                      BS_PH_ROLLBACK, o, in->rec.attempts[o]);
        break;
    default:
        /* heal: a recovered load rewrites the bad copy with the same truth */
        out->commits = (mv && in->meta_result == META_RECOVERED && r->action == BS_ACT_BOOT)
                           ? 1u : 0u;
        break;
    }
    if (r->action == BS_ACT_RESCUE) {
        e = add_event(out->events, &out->n_events, BS_EV_RESCUE);
        if (e != NULL) {
            e->cause = out->rescue_cause;
        }
    }

    /* Only a trial boot depends on its commit (the attempt must be recorded first). */
    out->fb_action = out->action;
    out->fb_slot = out->slot;
    if (r->change == CH_ATTEMPT) {
        out->fb_action = cok ? BS_ACT_BOOT : BS_ACT_RESCUE;
        out->fb_slot = cok ? in->rec.active : META_SLOT_NONE;
    }
    return BS_OK;
}

/* ---- app / updater paths -------------------------------------------------------------- */

static void path_init(const meta_record_t *cur, bs_path_t *out)
{
    out->rec = *cur;
    out->n_events = 0u;
}

static void clear_upload(meta_record_t *r)
{
    r->up_slot = META_SLOT_NONE;
    r->up_offset = 0u;
    r->up_image_id = 0u;
    r->up_build = 0u;
}

/* Common argument/state checks. Returns 0 or a BS_ERR_* code. */
static int path_check(const meta_record_t *cur, uint8_t slot, const bs_path_t *out)
{
    if (cur == NULL || out == NULL || slot > META_SLOT_B) {
        return BS_ERR_ARG;
    }
    if (!meta_record_check(cur)) {
        return BS_ERR_STATE;
    }
    return 0;
}

static int fresh(const meta_record_t *cur, uint32_t build)
{
    /* planted (item 8): no comparison with the running build */
    return (MUT_HOOK_SKIP_REPLAY_CHECK() || build > cur->build[cur->active]) &&
           build >= cur->floor;
}

/* See bootsel.h. */
int bootsel_upload_begin(const meta_record_t *cur, uint8_t slot, uint32_t image_id,
                         uint32_t build, bs_path_t *out, uint32_t *resume_offset)
{
    int rc = path_check(cur, slot, out);

    if (rc != 0 || resume_offset == NULL) {
        return (rc != 0) ? rc : BS_ERR_ARG;
    }
    *resume_offset = 0u;
    if (slot == cur->active) {
        return BS_ERR_SLOT;
    }
    if (!fresh(cur, build)) {
        return BS_ERR_FRESH;
    }
    path_init(cur, out);
    if (cur->up_slot == slot && cur->up_image_id == image_id && cur->up_build == build &&
        cur->state[slot] == (uint8_t)META_ST_STAGING) {
        *resume_offset = cur->up_offset;
        return BS_NOOP;
    }
    out->rec.state[slot] = META_ST_STAGING;
    out->rec.attempts[slot] = 0u;
    out->rec.build[slot] = 0u;
    out->rec.image_id[slot] = 0u;
    out->rec.next = cur->active;
    out->rec.up_slot = slot;
    out->rec.up_offset = 0u;
    out->rec.up_image_id = image_id;
    out->rec.up_build = build;
    ev_transition(out->events, &out->n_events, BS_PH_IDLE, BS_PH_DOWNLOADING, slot, 0u);
    return BS_OK;
}

/* See bootsel.h. */
int bootsel_upload_advance(const meta_record_t *cur, uint8_t slot, uint32_t image_id,
                           uint32_t new_offset, bs_path_t *out)
{
    int rc = path_check(cur, slot, out);

    if (rc != 0) {
        return rc;
    }
    if (cur->up_slot != slot || cur->up_image_id != image_id ||
        cur->state[slot] != (uint8_t)META_ST_STAGING || new_offset <= cur->up_offset) {
        return BS_ERR_PROGRESS;
    }
    path_init(cur, out);
    out->rec.up_offset = new_offset;
    return BS_OK;
}

/* See bootsel.h. */
int bootsel_upload_rewind(const meta_record_t *cur, uint8_t slot, uint32_t image_id,
                          uint32_t new_offset, bs_path_t *out)
{
    int rc = path_check(cur, slot, out);

    if (rc != 0) {
        return rc;
    }
    if (cur->up_slot != slot || cur->up_image_id != image_id ||
        cur->state[slot] != (uint8_t)META_ST_STAGING || new_offset >= cur->up_offset) {
        return BS_ERR_PROGRESS;
    }
    path_init(cur, out);
    out->rec.up_offset = new_offset;
    return BS_OK;
}

/* See bootsel.h. */
int bootsel_install(const meta_record_t *cur, uint8_t slot, uint32_t image_id, uint32_t build,
                    bs_path_t *out)
{
    int rc = path_check(cur, slot, out);

    if (rc != 0) {
        return rc;
    }
    if (slot == cur->active) {
        return BS_ERR_SLOT;
    }
    if (!fresh(cur, build)) {
        return BS_ERR_FRESH;
    }
    if (cur->up_slot != slot || cur->up_image_id != image_id || cur->up_build != build ||
        cur->state[slot] != (uint8_t)META_ST_STAGING) {
        return BS_ERR_PROGRESS;
    }
    path_init(cur, out);
    out->rec.state[slot] = META_ST_PENDING;
    out->rec.attempts[slot] = 0u;
    out->rec.build[slot] = build;
    out->rec.image_id[slot] = image_id;
    out->rec.next = slot;
    clear_upload(&out->rec);
    ev_transition(out->events, &out->n_events, BS_PH_STAGING, BS_PH_PENDING, slot, 0u);
    return BS_OK;
}

/* See bootsel.h. */
int bootsel_confirm(const meta_record_t *cur, uint8_t running, bs_path_t *out)
{
    int rc = path_check(cur, running, out);
    uint8_t old;

    if (rc != 0) {
        return rc;
    }
    if (running == cur->active) {
        return BS_NOOP;
    }
    if (cur->state[running] != (uint8_t)META_ST_PENDING || cur->next != running) {
        return BS_ERR_STATE;
    }
    path_init(cur, out);
    old = cur->active;
    out->rec.state[running] = META_ST_CONFIRMED;
    out->rec.state[old] = META_ST_EMPTY;
    out->rec.attempts[0] = 0u;
    out->rec.attempts[1] = 0u;
    out->rec.active = running;
    out->rec.next = running;
    /* staged floor bump: the floor itself moves in a commit of its own (bootsel_floor_bump),
     * so it can never rise before this CONFIRMED record is on flash */
    out->rec.floor_next = (cur->build[running] > cur->floor) ? cur->build[running] : 0u;
    clear_upload(&out->rec);
    ev_transition(out->events, &out->n_events, BS_PH_BOOT_TEST, BS_PH_CONFIRMED, running,
                  cur->attempts[running]);
    return BS_OK;
}

/* See bootsel.h. */
int bootsel_floor_bump(const meta_record_t *cur, uint8_t running, bs_path_t *out)
{
    int rc = path_check(cur, running, out);

    if (rc != 0) {
        return rc;
    }
    if (running != cur->active) {
        return BS_ERR_STATE; /* never for an image that is not the CONFIRMED one */
    }
    if (cur->floor_next == 0u) {
        return BS_NOOP;
    }
    path_init(cur, out);
    out->rec.floor = cur->floor_next; /* == build[active] > floor (meta_record_check) */
    out->rec.floor_next = 0u;
    return BS_OK;
}

/* See bootsel.h. Returns 1 or 0. */
int bootsel_floor_due(const bs_input_t *in, const meta_record_t *rec)
{
    const bs_image_t *img;
    uint8_t a;

    if (in == NULL || rec == NULL || !meta_record_check(rec) || rec->floor_next == 0u) {
        return 0;
    }
    a = rec->active;
    img = &in->image[a];
    return img->valid && img->build == rec->build[a] && img->image_id == rec->image_id[a] &&
           img->build >= max_u32(rec->floor, in->anchor_floor);
}

/* See bootsel.h. */
int bootsel_reject(const meta_record_t *cur, uint8_t running, bs_path_t *out)
{
    int rc = path_check(cur, running, out);

    if (rc != 0) {
        return rc;
    }
    if (running == cur->active) {
        return BS_NOOP;
    }
    if (cur->state[running] != (uint8_t)META_ST_PENDING || cur->next != running) {
        return BS_ERR_STATE;
    }
    path_init(cur, out);
    out->rec.state[running] = META_ST_FAILED;
    out->rec.next = cur->active;
    ev_rollback(out->events, &out->n_events, BS_RB_SELF_TEST, cur->floor, cur->build[running]);
    ev_transition(out->events, &out->n_events, BS_PH_BOOT_TEST, BS_PH_ROLLBACK, running,
                  cur->attempts[running]);
    return BS_OK;
}

/* ---- names / evidence: the internal part, last (definitions keep their source order) --- */

#define OTA_CORE_BOOTSEL_UNIT 1 /* bootsel_events.h checks it */
#include "bootsel_events.h"
