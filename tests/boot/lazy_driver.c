/*
 * lazy_driver.c - host driver for tests/boot/test_lazy_verify.py: runs the bootloader's lazy
 * slot verification (firmware_stubs/boot/bootplan.h, as boot/main.c uses it) over a decision
 * input whose image results are all known, and reports which slots it asked for.
 */
#include <string.h>

#include "bootplan.h"
#include "bootsel.h"

/* Verify (copy from `full`) every slot `next` names. Returns 0, or -100 when it asked for a
 * slot twice or for more than two slots. */
static int verify_all(const bs_input_t *full, bs_input_t *in, uint8_t *known, int active,
                      uint8_t *order, uint32_t *n_order)
{
    for (;;) {
        uint8_t s = active ? bootplan_active_next(in, *known) : bootplan_next(in, *known);
        if (s == BOOTPLAN_DONE) {
            return 0;
        }
        if (s > 1u || (*known & BOOTPLAN_BIT(s)) != 0u || *n_order >= 2u) {
            return -100;
        }
        in->image[s] = full->image[s];
        *known = (uint8_t)(*known | BOOTPLAN_BIT(s));
        order[(*n_order)++] = s;
    }
}

/*
 * lazy_decide - what boot/main.c does, from `full` with no slot verified: verify each slot
 * bootplan_next() names, then bootsel_decide(). With commit_fails and a trial row, also the
 * slot bootplan_active_next() names, then decide again (the fallback of a failed attempt
 * commit). Then the staged floor bump: the record on flash after the decision's commits (the
 * decided record, or the loaded one when the commit failed) stages one -> the slot
 * bootplan_active_next() names, and *floor_due = bootsel_floor_due() on the lazy input, while
 * *floor_due_eager is the same call on `full`. order[] receives the slots verified, *n_order
 * their count.
 * Returns bootsel_decide's result (BS_OK), or -100 (see verify_all).
 */
int lazy_decide(const bs_input_t *full, int commit_fails, bs_output_t *out, uint8_t *order,
                uint32_t *n_order, int *floor_due, int *floor_due_eager)
{
    bs_input_t in = *full;
    const meta_record_t *on_flash;
    uint8_t known = 0u;
    int rc;

    *n_order = 0u;
    memset(in.image, 0, sizeof(in.image));
    if (verify_all(full, &in, &known, 0, order, n_order) != 0) {
        return -100;
    }
    rc = bootsel_decide(&in, out);
    if (rc != BS_OK) {
        return rc;
    }
    if (commit_fails && out->row == BS_ROW_TRIAL) {
        if (verify_all(full, &in, &known, 1, order, n_order) != 0) {
            return -100;
        }
        rc = bootsel_decide(&in, out);
        if (rc != BS_OK) {
            return rc;
        }
    }
    on_flash = (out->commits != 0u && !commit_fails) ? &out->rec : &full->rec;
    if (full->rec.floor_next != 0u) { /* main.c: meta_ld.rec.floor_next */
        if (verify_all(full, &in, &known, 1, order, n_order) != 0) {
            return -100;
        }
    }
    *floor_due = bootsel_floor_due(&in, on_flash);
    *floor_due_eager = bootsel_floor_due(full, on_flash);
    return BS_OK;
}
