/*
 * mut_hooks.h - the planted-bug catalogue: every mutation site of the firmware goes through a
 * named hook defined here (the role MCUboot's boot_hooks.h plays for its hook calls).
 *
 * A mutation build plants ONE bug a must-pass matrix item exists to catch, so the item can be
 * shown to fail when the bug is there (contracts §8 "Mutation build flags", hil.matrix.items,
 * suites/test_mutations.py, tests/power). The build selects it with `-D MUT_<NAME>=1`
 * (EXTRA_CFLAGS; `hil build -D`, `hil sweep --define`); normal builds set none. Production code
 * never tests a MUT_* flag itself: it calls the hooks below, which are integer constant
 * expressions. Without the flag every hook is the neutral value (0), so the compiler folds the
 * planted branch away and the normal build is the same machine code as without the hook; the
 * planted code is still compiled (and type-checked) in every build.
 *
 * Hook forms:
 *   MUT_HOOK_<ACTION>()   1 when the planted action happens at the site, else 0: sites read
 *                         `if (MUT_HOOK_SKIP_SIGNATURE_CHECK()) ...` or `!MUT_HOOK_..() && ...`
 *   MUT_HOOK_<AMOUNT>()   a number the site adds (0 in normal builds), e.g. the floor slack
 *
 * Adding a planted bug: one entry here (the documented flag default + its hooks: what bug, at
 * which site, which matrix item catches it), the hook call at the site, and the flag in the
 * Python catalogue (hil/matrix/items.py: an item's `mutation` or EXTRA_MUTATIONS).
 *
 * | flag                       | item | hooks                                    | sites
 * |----------------------------|------|------------------------------------------|---------------------
 * | MUT_NEVER_CONFIRM          | 1    | SKIP_CONFIRM                             | app/main.c
 * | MUT_RESUME_BEFORE_VERIFY   | 2    | ADVANCE_RESUME_ON_RECEIPT                | core/updater_upload.c
 * | MUT_SAME_SLOT              | 3    | TARGET_RUNNING_SLOT,                     | core/updater.c
 * |                            |      | REPORT_RUNNING_SLOT_DOWNLOAD             | core/updater_upload.c
 * | MUT_NO_ROLLBACK            | 4    | VERIFY_BOTH_SLOTS, BOOT_FAILED_OTHER_SLOT| boot/main.c
 * | MUT_FLOOR_BEFORE_CONFIRM   | 4    | RAISE_FLOOR_BEFORE_TEST,                 | app/main.c
 * |                            |      | ALLOW_FLOOR_ABOVE_ACTIVE                 | core/meta.c
 * | MUT_RESCUE_NO_GATES        | 5    | RESCUE_INSTALL_REFUSED                   | boot/rescue.c
 * | MUT_SKIP_SIG               | 6    | SKIP_SIGNATURE_CHECK                     | core/image.c
 * | MUT_SKIP_MANIFEST          | 7    | SKIP_CHUNK_MAP_CHECK,                    | core/image.c
 * |                            |      | IGNORE_EXTRA_CHUNK_HASHES                | core/image.c
 * | MUT_NO_REPLAY_CHECK        | 8    | SKIP_REPLAY_CHECK                        | core/updater_install.c,
 * |                            |      |                                          | core/bootsel.c
 * | MUT_FLOOR_LE               | 9    | FLOOR_SLACK, LOWER_DECISION_FLOORS       | core/image.c, boot/main.c
 * | MUT_ACCEPT_REVOKED         | 10   | USE_REVOKED_KEY                          | core/image.c
 * | MUT_PENDING_BEFORE_HASH    | 11   | PENDING_ON_LAST_BYTES                    | core/updater_upload.c
 * | MUT_META_IN_PLACE          | 12   | META_WRITE_IN_PLACE                      | core/meta.c
 * | MUT_NO_BROWNOUT_GATING     | 13   | SKIP_BROWNOUT_GATE                       | ports/<chip>/flash.c
 * | MUT_NO_ATTEMPTS            | 14   | SKIP_ATTEMPT_COUNT                       | boot/main.c
 * | MUT_ROLLBACK_META_IN_PLACE | 11*  | ROLLBACK_META_IN_PLACE                   | boot/main.c
 * | MUT_UNJOURNALED_FLOOR_BUMP | 11*  | UNJOURNALED_FLOOR_BUMP                   | boot/bfloor.c
 * | MUT_META_JOURNAL_IN_RAM    | 11*  | META_JOURNAL_IN_RAM                      | boot/main.c,
 * |                            |      |                                          | boot/bjournal.c
 *
 * (*) caught only by a power-cut sweep that cuts during the recovery too (`hil sweep --depth
 * 2`, issue 15): the planted code runs only in a recovery, so a depth-1 sweep (one cut, then
 * an untouched recovery) misses it. Their Python catalogue is hil/sweep/mutations.py
 * (RECOVERY_MUTATIONS), not the matrix's (no matrix item runs a depth-2 sweep).
 *
 * Issue 10: planted bugs only one class of scenario reaches (hil/matrix/mutants.py CLASSES):
 * | flag                       | item | class         | hooks                  | sites
 * |----------------------------|------|---------------|------------------------|-------------
 * | MUT_SKIP_META_CRC          | 12   | at-rest       | SKIP_META_CRC          | core/meta.c
 * | MUT_APP_COUNTS_ATTEMPTS    | 14   | boot-stage    | APP_COUNTS_ATTEMPTS    | boot/main.c,
 * |                            |      |               |                        | app/main.c
 * | MUT_NO_TRIAL_GUARD         | 3    | state-request | NO_TRIAL_GUARD         | core/updater.c
 * | MUT_PENDING_VS_OWN_BUILD   | 9    | anchor        | PENDING_VS_OWN_BUILD   | core/bootsel.c
 * | MUT_ERASE_PAST_END         | 3    | geometry      | ERASE_PAST_END         | core/updater_upload.c
 * | MUT_UNGATED_META_ERASE     | 13   | brownout      | UNGATED_META_ERASE     | ports/<chip>/flash.c
 * | MUT_RESCUE_NO_REVOCATION   | 5    | baseline      | RESCUE_IGNORE_REVOCATION | boot/rescue.c
 * | MUT_RESUME_TRUSTS_WRITTEN  | 2    | resume        | TRUST_WRITTEN_CHUNK    | core/updater_upload.c
 *
 * Self-contained (no includes), so every layer may use it: core/, boot/, app/, ports/ and the
 * host build (tests/updater builds the core with these flags too).
 */
#ifndef OTA_CORE_MUT_HOOKS_H
#define OTA_CORE_MUT_HOOKS_H

/* ---- item 1: a normal update -------------------------------------------------------------
 * MUT_NEVER_CONFIRM: the application never confirms its image after a passing self-test.
 * SKIP_CONFIRM (app/main.c, boot test): the CONFIRMED commit and the floor bump are skipped,
 * so the image stays PENDING; item 1 sees no CONFIRMED. */
#ifndef MUT_NEVER_CONFIRM
#define MUT_NEVER_CONFIRM 0
#endif
#define MUT_HOOK_SKIP_CONFIRM() ((MUT_NEVER_CONFIRM) != 0)

/* ---- item 2: forced reboot during download, then resume ----------------------------------
 * MUT_RESUME_BEFORE_VERIFY: the resume point (metadata up_offset) is advanced when a chunk's
 * bytes are received, before the chunk is programmed and its hash checked, so after a cut
 * mid-chunk the resumed upload skips a chunk never verified (RESUME beyond the last CHUNK ok
 * + 1, then VERIFY_SIG error_code=hash_mismatch).
 * ADVANCE_RESUME_ON_RECEIPT (core/updater_upload.c): upd_payload records the end of the last
 * chunk whose bytes arrived; verify_chunk then finds the progress recorded already. */
#ifndef MUT_RESUME_BEFORE_VERIFY
#define MUT_RESUME_BEFORE_VERIFY 0
#endif
#define MUT_HOOK_ADVANCE_RESUME_ON_RECEIPT() ((MUT_RESUME_BEFORE_VERIFY) != 0)

/* ---- item 3: two consecutive releases ----------------------------------------------------
 * MUT_SAME_SLOT: the updater targets the running slot instead of the inactive one.
 * TARGET_RUNNING_SLOT (core/updater.c): upd_target_slot returns the running slot and the
 *   upload is not refused for targeting it.
 * REPORT_RUNNING_SLOT_DOWNLOAD (core/updater_upload.c): the metadata rules refuse the record
 *   (up_slot never the active slot); its SLOT_TRANSITION to DOWNLOADING is reported anyway,
 *   so item 3 sees a download into the running slot. */
#ifndef MUT_SAME_SLOT
#define MUT_SAME_SLOT 0
#endif
#define MUT_HOOK_TARGET_RUNNING_SLOT() ((MUT_SAME_SLOT) != 0)
#define MUT_HOOK_REPORT_RUNNING_SLOT_DOWNLOAD() ((MUT_SAME_SLOT) != 0)

/* ---- item 4: new image fails its self-test -----------------------------------------------
 * MUT_NO_ROLLBACK: a pending/failed image in the other slot that still verifies is booted
 * instead of rolling back to the confirmed slot.
 * VERIFY_BOTH_SLOTS (boot/main.c boot_verify_needed): the bootloader also verifies the slot
 *   the decision table ignores in this state (the planted decision reads its result).
 * BOOT_FAILED_OTHER_SLOT (boot/main.c boot_decide): a decision to boot the active slot is
 *   turned into a trial boot of the other slot's PENDING/FAILED image, without ROLLBACK.
 *
 * MUT_FLOOR_BEFORE_CONFIRM: the floor is raised to the new build before its boot test passed
 * (the staged floor bump skipped), so after a failed self-test the last confirmed (older)
 * build is below the floor and cannot boot; item 4's self-test-fail scenario shows it
 * (hil/matrix/items.py EXTRA_MUTATIONS).
 * RAISE_FLOOR_BEFORE_TEST (app/main.c, boot test): commit floor = the trial build first.
 * ALLOW_FLOOR_ABOVE_ACTIVE (core/meta.c meta_record_check): a record whose floor is above
 *   the active build is accepted (else RAISE_FLOOR_BEFORE_TEST's commit would be refused). */
#ifndef MUT_NO_ROLLBACK
#define MUT_NO_ROLLBACK 0
#endif
#define MUT_HOOK_VERIFY_BOTH_SLOTS() ((MUT_NO_ROLLBACK) != 0)
#define MUT_HOOK_BOOT_FAILED_OTHER_SLOT() ((MUT_NO_ROLLBACK) != 0)

#ifndef MUT_FLOOR_BEFORE_CONFIRM
#define MUT_FLOOR_BEFORE_CONFIRM 0
#endif
#define MUT_HOOK_RAISE_FLOOR_BEFORE_TEST() ((MUT_FLOOR_BEFORE_CONFIRM) != 0)
#define MUT_HOOK_ALLOW_FLOOR_ABOVE_ACTIVE() ((MUT_FLOOR_BEFORE_CONFIRM) != 0)

/* ---- item 5: rescue ----------------------------------------------------------------------
 * MUT_RESCUE_NO_GATES: an upload the updater refused in rescue is installed anyway.
 * RESCUE_INSTALL_REFUSED (boot/rescue.c): the rescue SMP ops' upload_end marks the slot
 *   PENDING in the metadata after the updater refused the package (forged, below floor). */
#ifndef MUT_RESCUE_NO_GATES
#define MUT_RESCUE_NO_GATES 0
#endif
#define MUT_HOOK_RESCUE_INSTALL_REFUSED() ((MUT_RESCUE_NO_GATES) != 0)

/* MUT_RESCUE_NO_REVOCATION: the rescue path loads the trust anchor's keys without their
 * revocation flags (a revoked key counts as allowed there); the application's updater still
 * refuses it. Item 5's rescue cases offer a package signed with a revoked key.
 * RESCUE_IGNORE_REVOCATION (boot/rescue.c rescue_run: the updater's keyring). */
#ifndef MUT_RESCUE_NO_REVOCATION
#define MUT_RESCUE_NO_REVOCATION 0
#endif
#define MUT_HOOK_RESCUE_IGNORE_REVOCATION() ((MUT_RESCUE_NO_REVOCATION) != 0)

/* ---- item 6: forged signature ------------------------------------------------------------
 * MUT_SKIP_SIG: the ECDSA signature is not checked.
 * SKIP_SIGNATURE_CHECK (core/image.c img_verify step 5): p256_verify is not called; a
 *   well-formed DER signature of any value passes. */
#ifndef MUT_SKIP_SIG
#define MUT_SKIP_SIG 0
#endif
#define MUT_HOOK_SKIP_SIGNATURE_CHECK() ((MUT_SKIP_SIG) != 0)

/* ---- item 7: tampered manifest -----------------------------------------------------------
 * MUT_SKIP_MANIFEST: the manifest's chunk map is acted on as declared, without the
 * consistency check (reads stay bounded by the source size).
 * SKIP_CHUNK_MAP_CHECK (core/image.c img_parse): chunk_count is not compared with
 *   ceil(img_size / chunk_size) (no CHUNK_MAP result).
 * IGNORE_EXTRA_CHUNK_HASHES (core/image.c img_check_policy): the chunk loop stops at the
 *   payload end, so declared hashes beyond it are silently never checked. */
#ifndef MUT_SKIP_MANIFEST
#define MUT_SKIP_MANIFEST 0
#endif
#define MUT_HOOK_SKIP_CHUNK_MAP_CHECK() ((MUT_SKIP_MANIFEST) != 0)
#define MUT_HOOK_IGNORE_EXTRA_CHUNK_HASHES() ((MUT_SKIP_MANIFEST) != 0)

/* ---- item 8: replay of an older package --------------------------------------------------
 * MUT_NO_REPLAY_CHECK: an image is installed without comparing its build with the running
 * one (the floor still holds).
 * SKIP_REPLAY_CHECK (core/updater_install.c: the policy gets running_build 0, so no REPLAY;
 *   core/bootsel.c fresh(): an install only needs build >= floor). */
#ifndef MUT_NO_REPLAY_CHECK
#define MUT_NO_REPLAY_CHECK 0
#endif
#define MUT_HOOK_SKIP_REPLAY_CHECK() ((MUT_NO_REPLAY_CHECK) != 0)

/* ---- item 9: image below the rollback floor ----------------------------------------------
 * MUT_FLOOR_LE: the floor check is off by one (build + 1 < floor refused), so
 * build = floor - 1 is installed and boots.
 * FLOOR_SLACK (core/image.c img_check_policy step 7): builds below the floor that still
 *   pass: 0, or 1 with the flag (the check reads `sec_cnt + FLOOR_SLACK < floor`).
 * LOWER_DECISION_FLOORS (boot/main.c): the anchor and metadata floors given to
 *   bootsel_decide are lowered by one; the lowered floor is never written back. */
#ifndef MUT_FLOOR_LE
#define MUT_FLOOR_LE 0
#endif
#define MUT_HOOK_FLOOR_SLACK() ((MUT_FLOOR_LE) != 0 ? 1u : 0u)
#define MUT_HOOK_LOWER_DECISION_FLOORS() ((MUT_FLOOR_LE) != 0)

/* ---- item 10: revoked key ----------------------------------------------------------------
 * MUT_ACCEPT_REVOKED: a revoked key is used like an allowed one.
 * USE_REVOKED_KEY (core/image.c img_verify step 4): KR_KEY_REVOKED looks the key up and
 *   goes on to the signature check instead of returning KEY_REVOKED. */
#ifndef MUT_ACCEPT_REVOKED
#define MUT_ACCEPT_REVOKED 0
#endif
#define MUT_HOOK_USE_REVOKED_KEY() ((MUT_ACCEPT_REVOKED) != 0)

/* ---- item 11: power cut at every phase ---------------------------------------------------
 * MUT_PENDING_BEFORE_HASH: the slot is committed PENDING when the last payload bytes arrive,
 * before the last chunk is programmed and read back and before the final re-verify, so a cut
 * in that window leaves a PENDING slot with an incomplete image (ROLLBACK reason=verify).
 * PENDING_ON_LAST_BYTES (core/updater_upload.c upd_payload: the early PENDING commit;
 *   verify_chunk: the progress is recorded already; the state write that marks the image
 *   for test then finds it PENDING already and commits nothing). */
#ifndef MUT_PENDING_BEFORE_HASH
#define MUT_PENDING_BEFORE_HASH 0
#endif
#define MUT_HOOK_PENDING_ON_LAST_BYTES() ((MUT_PENDING_BEFORE_HASH) != 0)

/* ---- item 12: interruption during metadata update ----------------------------------------
 * MUT_META_IN_PLACE: every metadata commit erases and programs the same copy (the winner;
 * copy A when none), the other copy is never written, so a cut between the erase and the
 * program leaves no valid copy (META result=both-invalid at the next boot).
 * META_WRITE_IN_PLACE (core/meta.c meta_commit): the target copy is the current one. */
#ifndef MUT_META_IN_PLACE
#define MUT_META_IN_PLACE 0
#endif
#define MUT_HOOK_META_WRITE_IN_PLACE() ((MUT_META_IN_PLACE) != 0)

/* ---- item 13: brownout near a write ------------------------------------------------------
 * MUT_NO_BROWNOUT_GATING: flash erase/program start even when the supply monitor reports low
 * (no WRITE_GATED during a brownout).
 * SKIP_BROWNOUT_GATE (ports/<chip>/flash.c): the port_supply_low() gate before and during a
 *   flash operation is not evaluated. */
#ifndef MUT_NO_BROWNOUT_GATING
#define MUT_NO_BROWNOUT_GATING 0
#endif
#define MUT_HOOK_SKIP_BROWNOUT_GATE() ((MUT_NO_BROWNOUT_GATING) != 0)

/* ---- item 14: pending image never confirms -----------------------------------------------
 * MUT_NO_ATTEMPTS: trial boots never commit attempt + 1, so a PENDING image that never
 * confirms is tried forever (no ROLLBACK reason=attempts).
 * SKIP_ATTEMPT_COUNT (boot/main.c boot_decide): the trial row's commits are dropped. */
#ifndef MUT_NO_ATTEMPTS
#define MUT_NO_ATTEMPTS 0
#endif
#define MUT_HOOK_SKIP_ATTEMPT_COUNT() ((MUT_NO_ATTEMPTS) != 0)

/* ---- issue 15: bugs only a second cut (during the recovery) finds -----------------------
 * MUT_ROLLBACK_META_IN_PLACE: a boot that finds one metadata copy torn (META result=recovered:
 * a cut tore a commit) rolls back to the surviving record and makes that durable by
 * rewriting the surviving copy IN PLACE (erase + program of the only valid copy). Without a
 * second cut it completes and nothing shows; a cut between its erase and its program leaves
 * no valid copy (META result=both-invalid: the sweep's `metadata` invariant, a brick).
 * ROLLBACK_META_IN_PLACE (boot/main.c, after META): meta_commit_in_place of the record. */
#ifndef MUT_ROLLBACK_META_IN_PLACE
#define MUT_ROLLBACK_META_IN_PLACE 0
#endif
#define MUT_HOOK_ROLLBACK_META_IN_PLACE() ((MUT_ROLLBACK_META_IN_PLACE) != 0)

/* MUT_UNJOURNALED_FLOOR_BUMP: the bootloader's completion of a staged floor bump (a recovery
 * step: it runs only when a cut fell between the app's confirm and floor commits) is not
 * journaled: it clears the stale copy first, then writes the bump over the current copy in
 * place, so while it runs no copy holds the state it started from. A cut during it leaves no
 * valid copy (META result=both-invalid).
 * UNJOURNALED_FLOOR_BUMP (boot/bfloor.c): meta_erase_other, then meta_commit_in_place. */
#ifndef MUT_UNJOURNALED_FLOOR_BUMP
#define MUT_UNJOURNALED_FLOOR_BUMP 0
#endif
#define MUT_HOOK_UNJOURNALED_FLOOR_BUMP() ((MUT_UNJOURNALED_FLOOR_BUMP) != 0)

/* MUT_META_JOURNAL_IN_RAM: a progress record kept in RAM and assumed to survive a power cut
 * (the bug mcuboot#1597 shows an emulator must not hide: RAM that outlives a simulated power
 * cut). The rollback of MUT_ROLLBACK_META_IN_PLACE, journaled in the .noinit window: the
 * record and a magic word are written to RAM before the in-place rewrite and cleared after
 * it; a boot that finds the journal finishes the rewrite from it. That rescues a warm reset in
 * the middle (RAM kept); after a power cut RAM holds its power-on contents, the journal is
 * gone, and a cut between the erase and the program leaves no valid copy (META
 * result=both-invalid). Only a cut during the recovery reaches it (depth 2).
 * META_JOURNAL_IN_RAM (boot/main.c, after META): bjournal_rollback (boot/bjournal.h). */
#ifndef MUT_META_JOURNAL_IN_RAM
#define MUT_META_JOURNAL_IN_RAM 0
#endif
#define MUT_HOOK_META_JOURNAL_IN_RAM() ((MUT_META_JOURNAL_IN_RAM) != 0)

/* ==== issue 10: bugs only one class of scenario reaches ==================================== */

/* ---- at rest: metadata readable but wrong (item 12) ---------------------------------------
 * MUT_SKIP_META_CRC: the metadata CRC is not checked, so a record with a flipped bit whose
 * fields still look right is taken as valid (a cut never leaves one: it tears a unit, and
 * magic / field checks refuse a clean cut). Item 12's at-rest cases flip one bit of a copy
 * between boots (hil/scenarios/at_rest.py); the wrong record then decides the boot.
 * SKIP_META_CRC (core/meta.c meta_parse): the CRC comparison is skipped. */
#ifndef MUT_SKIP_META_CRC
#define MUT_SKIP_META_CRC 0
#endif
#define MUT_HOOK_SKIP_META_CRC() ((MUT_SKIP_META_CRC) != 0)

/* ---- boot stage: a new image that fails before its boot test (item 14) --------------------
 * MUT_APP_COUNTS_ATTEMPTS: the bootloader does not count a trial boot's attempt; the
 * application counts it when its boot test starts. An image that crashes or hangs before
 * its boot test (SELF_TEST 4/5, contracts §7) is never counted and is tried forever; one
 * that hangs in its self-test (SELF_TEST 2, the original never-confirms) is still counted.
 * APP_COUNTS_ATTEMPTS (boot/main.c boot_decide: the trial row's commits dropped; app/main.c
 *   app_boot_test: attempt + 1 committed before BOOT_TEST). */
#ifndef MUT_APP_COUNTS_ATTEMPTS
#define MUT_APP_COUNTS_ATTEMPTS 0
#endif
#define MUT_HOOK_APP_COUNTS_ATTEMPTS() ((MUT_APP_COUNTS_ATTEMPTS) != 0)

/* ---- state x request: an upload during a trial boot (item 3) -----------------------------
 * MUT_NO_TRIAL_GUARD: an upload that arrives while the running image is on trial (PENDING,
 * boot test not passed; SELF_TEST 3 keeps serving requests during its test) is not refused:
 * the target (the slot that is not the CONFIRMED one) is the running slot, so the download
 * overwrites the image being tested.
 * NO_TRIAL_GUARD (core/updater.c op_begin): the "target is the running slot" refusal is
 *   skipped. */
#ifndef MUT_NO_TRIAL_GUARD
#define MUT_NO_TRIAL_GUARD 0
#endif
#define MUT_HOOK_NO_TRIAL_GUARD() ((MUT_NO_TRIAL_GUARD) != 0)

/* ---- anchor change between boots: a PENDING image below a raised floor (item 9) ----------
 * MUT_PENDING_VS_OWN_BUILD: the bootloader checks a PENDING image against the build its
 * metadata records for the active image (newer than that: boot it) instead of the floor, so
 * after the factory raised the anchor floor above the pending build (re-provisioning between
 * power cycles) the below-floor image is booted. An install below the floor is refused by the
 * updater already, so only a floor raised after the install reaches this check.
 * PENDING_VS_OWN_BUILD (core/bootsel.c bootsel_pending_class). */
#ifndef MUT_PENDING_VS_OWN_BUILD
#define MUT_PENDING_VS_OWN_BUILD 0
#endif
#define MUT_HOOK_PENDING_VS_OWN_BUILD() ((MUT_PENDING_VS_OWN_BUILD) != 0)

/* ---- package geometry: an image ending near its slot end (item 3) ------------------------
 * MUT_ERASE_PAST_END: the erased window the updater keeps after an image (IMG_TAIL_BYTES) is
 * not clamped to the slot, so an image ending within 64 bytes of the slot end makes the
 * slot preparation erase the first page after the slot: for slot A the running image in B.
 * Matrix images are small; only the near-full / full geometry cases reach it.
 * ERASE_PAST_END (core/updater_upload.c region_end). */
#ifndef MUT_ERASE_PAST_END
#define MUT_ERASE_PAST_END 0
#endif
#define MUT_HOOK_ERASE_PAST_END() ((MUT_ERASE_PAST_END) != 0)

/* ---- brownout before every erase: the write just before a metadata erase (item 13) --------
 * MUT_UNGATED_META_ERASE: the supply gate is not evaluated for an erase of a metadata page,
 * so an erase starts under low voltage when the brownout came at the operation before it (the
 * evidence-ring write of PHASE name=meta_commit); every other erase and program is gated.
 * UNGATED_META_ERASE (ports/<chip>/flash.c port_flash_erase_page). */
#ifndef MUT_UNGATED_META_ERASE
#define MUT_UNGATED_META_ERASE 0
#endif
#define MUT_HOOK_UNGATED_META_ERASE() ((MUT_UNGATED_META_ERASE) != 0)

/* ---- resume over bad bytes: a chunk written before the reboot is trusted (item 2) ---------
 * MUT_RESUME_TRUSTS_WRITTEN: a resumed upload takes the bytes an earlier session programmed
 * (cut off before their chunk's check) as they are: a programmed unit is not compared with the
 * bytes received again, and a chunk whose last unit was found programmed already counts as
 * checked before the reboot (no re-read, no hash; CHUNK result=ok and its progress committed).
 * With the right bytes in flash (item 2's mid-chunk and chunk-boundary cuts) nothing shows;
 * a corrupt chunk cut during its check and then a good package resumed runs over the wrong
 * bytes, and the whole-slot check refuses the image (VERIFY_SIG error_code=hash_mismatch):
 * the good build never installs. Only the resume-over-bad-bytes case reaches it.
 * TRUST_WRITTEN_CHUNK (core/updater_upload.c stream: the unit comparison and verify_chunk's
 *   hash skipped). */
#ifndef MUT_RESUME_TRUSTS_WRITTEN
#define MUT_RESUME_TRUSTS_WRITTEN 0
#endif
#define MUT_HOOK_TRUST_WRITTEN_CHUNK() ((MUT_RESUME_TRUSTS_WRITTEN) != 0)

#endif /* OTA_CORE_MUT_HOOKS_H */
