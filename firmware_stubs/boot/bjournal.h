/*
 * bjournal.h - planted bug MUT_META_JOURNAL_IN_RAM (core/mut_hooks.h, issue 15): the boot that
 * finds a torn metadata copy rolls back to the surviving record by rewriting the surviving copy
 * in place, and journals that rewrite in RAM so that a reset in its middle can finish it.
 *
 * The journal (a magic word and the record, with the record's own CRC) sits in the upper half
 * of the .noinit window (ports/common/sections.ld), which no startup code clears: it survives a
 * warm reset (pin, software, watchdog), and the next boot finishes the rewrite from it. The bug
 * is the assumption that it also survives a power cut: after one, RAM holds its power-on
 * contents, the journal is gone, and a cut between the rewrite's erase and its program leaves
 * no valid copy (META result=both-invalid). Only a cut during the recovery reaches it: a
 * depth-1 sweep misses it, `hil sweep --depth 2` catches it (hil/sweep/mutations.py).
 *
 * Normal builds never call it (the hook folds to 0; --gc-sections drops the code).
 */
#ifndef OTA_BOOT_BJOURNAL_H
#define OTA_BOOT_BJOURNAL_H

#include "meta.h"

/*
 * bjournal_rollback - after meta_load: finish a rewrite the RAM journal holds (line "! planted:
 * metadata rewrite finished from the RAM journal"), else, when `ld` says recovered, journal
 * the winner in RAM, rewrite it in place and clear the journal. `ld` is reloaded after a
 * rewrite. Attacker-controlled: nothing (RAM written by this bootloader only).
 * Returns: 0 (nothing to do or rewritten) or the META_ERR_* of meta_commit_in_place.
 */
int bjournal_rollback(meta_ctx_t *ctx, meta_load_t *ld);

#endif /* OTA_BOOT_BJOURNAL_H */
