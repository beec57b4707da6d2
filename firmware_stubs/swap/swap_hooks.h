/*
 * swap_hooks.h - the planted-bug catalogue of the swap target (the role MCUboot's
 * boot_hooks.h plays for its hook calls). docs/contract-swap.md §9.
 *
 * A mutation build plants ONE bug that a must-pass matrix item exists to catch, so the item
 * can be shown to fail when the bug is there. The build selects it with `-DSWAP_MUT_<NAME>=1`
 * (the swap Makefile's EXTRA_CFLAGS); normal builds set none. Production code never tests a
 * SWAP_MUT_* flag itself: it calls the hooks below, integer constant expressions that are 0
 * without the flag, so the compiler folds the planted branch away and the planted code is
 * still compiled (and type-checked) in every build.
 *
 * The swap target is judged only through its console patterns and the outside oracle (flash
 * contents, trailer decoded from flash, PC, reset causes, write-gating records), so each entry
 * names what in those routes catches it.
 *
 * | flag                            | item | hook(s)                  | site
 * |---------------------------------|------|--------------------------|------------------------
 * | SWAP_MUT_BOOT_OLD_IMAGE         | 1    | SKIP_SWAP_DATA           | boot/swapmove.c
 * | SWAP_MUT_SKIP_SIG               | 6    | SKIP_SIGNATURE           | common/swapimg.c
 * | SWAP_MUT_NO_REVERT              | 4,14 | IGNORE_REVERT            | boot/loader.c
 * | SWAP_MUT_NO_STATUS              | 11   | SKIP_STATUS_RECORD       | boot/swapmove.c
 * | SWAP_MUT_ACCEPT_DOWNGRADE       | 8    | SKIP_DOWNGRADE_CHECK     | boot/loader.c
 * | SWAP_MUT_IGNORE_SEC_CNT         | 9    | SKIP_SEC_CNT_CHECK       | boot/loader.c
 * | SWAP_MUT_ACCEPT_REVOKED         | 10   | ACCEPT_REVOKED_KEY       | common/swapimg.c
 * | SWAP_MUT_NO_BROWNOUT_GATING     | 13   | IGNORE_SUPPLY            | common/sflash.c (+ the
 * |                                 |      |                          | port's MUT_NO_BROWNOUT_GATING,
 * |                                 |      |                          | set by the Makefile)
 * | SWAP_MUT_NO_WATCHDOG            | 14   | SKIP_WATCHDOG            | boot/main.c
 * | SWAP_MUT_RECOVERY_NO_CHECKS     | 5    | RECOVERY_SKIP_CHECKS     | common/mgmt_img.c
 * | SWAP_MUT_CONFIRM_BEFORE_TEST    | 4    | CONFIRM_BEFORE_SELF_TEST | app/main.c
 *
 * Self-contained (no includes): used by common/, boot/, app/ and the host build.
 */
#ifndef SWAP_HOOKS_H
#define SWAP_HOOKS_H

/* ---- (a) item 1: the bootloader says it installs the new image and boots the old one ------
 * SWAP_MUT_BOOT_OLD_IMAGE: the swap logs "Image 0 upgrade secondary slot -> primary slot",
 * writes the status records and the trailers exactly as a real swap, but copies no sector:
 * the old image stays in the primary slot and boots; the new one stays in the secondary slot.
 * SKIP_SWAP_DATA (boot/swapmove.c run_step): the erase and copy of every step are skipped.
 * The console log is identical to a good update (the application does not print its version).
 * Caught only by the outside oracle: the primary slot's bytes are not the new image (hash)
 * and the PC runs the old image's code. */
#ifndef SWAP_MUT_BOOT_OLD_IMAGE
#define SWAP_MUT_BOOT_OLD_IMAGE 0
#endif
#define SWAP_HOOK_SKIP_SWAP_DATA() ((SWAP_MUT_BOOT_OLD_IMAGE) != 0)

/* ---- (b) item 6: forged signature ---------------------------------------------------------
 * SWAP_MUT_SKIP_SIG: the ECDSA verification result is ignored (hash and key lookup still run).
 * SKIP_SIGNATURE (common/swapimg.c): a signature that does not verify passes.
 * Caught by patterns: a forged image is swapped in ("Swap type: test", no "Image in the
 * secondary slot is not valid!") and by the oracle (an image signed by no listed key runs). */
#ifndef SWAP_MUT_SKIP_SIG
#define SWAP_MUT_SKIP_SIG 0
#endif
#define SWAP_HOOK_SKIP_SIGNATURE() ((SWAP_MUT_SKIP_SIG) != 0)

/* ---- (c) items 4, 14: an unconfirmed image is never reverted ------------------------------
 * SWAP_MUT_NO_REVERT: the swap-type decision drops BOOT_SWAP_TYPE_REVERT to NONE.
 * IGNORE_REVERT (boot/loader.c): after a failed self-test / watchdog reset of a test image,
 * the same unconfirmed image boots again. Caught by patterns (no "Swap type: revert" after
 * "self-test failed"; the boot/fail cycle repeats) and by the oracle (reboot loop, the
 * trailer stays magic=good copy_done=set image_ok=unset). */
#ifndef SWAP_MUT_NO_REVERT
#define SWAP_MUT_NO_REVERT 0
#endif
#define SWAP_HOOK_IGNORE_REVERT() ((SWAP_MUT_NO_REVERT) != 0)

/* ---- (d) item 11: swap progress not recorded ----------------------------------------------
 * SWAP_MUT_NO_STATUS: the status record of a step is not written after the step's copy, so
 * the swap status area never shows progress.
 * SKIP_STATUS_RECORD (boot/swapmove.c write_record): a power cut in the middle of a swap
 * makes the resume restart from the first move step over sectors already moved or swapped:
 * sectors are lost, both slots end up mixed. Caught by the power-cut sweep: after the cut "Image in the primary
 * slot is not valid!" / "Unable to find bootable image" (brick) or the oracle's slot hashes
 * match no approved image. */
#ifndef SWAP_MUT_NO_STATUS
#define SWAP_MUT_NO_STATUS 0
#endif
#define SWAP_HOOK_SKIP_STATUS_RECORD() ((SWAP_MUT_NO_STATUS) != 0)

/* ---- (e) item 8: downgrade accepted -------------------------------------------------------
 * SWAP_MUT_ACCEPT_DOWNGRADE: the version comparison of the secondary image against the
 * running one is skipped. SKIP_DOWNGRADE_CHECK (boot/loader.c): an older, validly signed
 * image is swapped in. Caught by patterns (no "Insufficient version in secondary slot") and
 * the oracle (the older image runs). */
#ifndef SWAP_MUT_ACCEPT_DOWNGRADE
#define SWAP_MUT_ACCEPT_DOWNGRADE 0
#endif
#define SWAP_HOOK_SKIP_DOWNGRADE_CHECK() ((SWAP_MUT_ACCEPT_DOWNGRADE) != 0)

/* ---- item 9: image below the security counter floor ---------------------------------------
 * SWAP_MUT_IGNORE_SEC_CNT: the image's security counter is not compared with the monotonic
 * counter. SKIP_SEC_CNT_CHECK (boot/loader.c): an image below the floor boots / is swapped
 * in. Caught by patterns (no "Image security counter value N lower than monotonic value M")
 * and the oracle. */
#ifndef SWAP_MUT_IGNORE_SEC_CNT
#define SWAP_MUT_IGNORE_SEC_CNT 0
#endif
#define SWAP_HOOK_SKIP_SEC_CNT_CHECK() ((SWAP_MUT_IGNORE_SEC_CNT) != 0)

/* ---- item 10: revoked key -----------------------------------------------------------------
 * SWAP_MUT_ACCEPT_REVOKED: the revoked flag of the compiled-in key list is ignored.
 * ACCEPT_REVOKED_KEY (common/swapimg.c): an image signed with the revoked key verifies, on
 * the normal path and in serial recovery. Caught by patterns (no "key ... revoked") and the
 * oracle. */
#ifndef SWAP_MUT_ACCEPT_REVOKED
#define SWAP_MUT_ACCEPT_REVOKED 0
#endif
#define SWAP_HOOK_ACCEPT_REVOKED_KEY() ((SWAP_MUT_ACCEPT_REVOKED) != 0)

/* ---- item 13: brownout write gating -------------------------------------------------------
 * SWAP_MUT_NO_BROWNOUT_GATING: erases and programs start while the supply monitor reports low
 * voltage. IGNORE_SUPPLY (common/sflash.c); the Makefile also sets the port's
 * MUT_NO_BROWNOUT_GATING so that ports/<chip>/flash.c does not gate either. Caught by the
 * oracle's write-gating records (the engine sees writes started below the monitor level) and
 * by patterns (no "Flash write gated" line during the brownout). */
#ifndef SWAP_MUT_NO_BROWNOUT_GATING
#define SWAP_MUT_NO_BROWNOUT_GATING 0
#endif
#define SWAP_HOOK_IGNORE_SUPPLY() ((SWAP_MUT_NO_BROWNOUT_GATING) != 0)

/* ---- item 14: the boot test is not bounded ------------------------------------------------
 * SWAP_MUT_NO_WATCHDOG: the bootloader jumps without arming the watchdog. SKIP_WATCHDOG
 * (boot/main.c): a test image that hangs (SELF_TEST = hang) or never confirms runs forever,
 * no revert. Caught by patterns (no reset / "Swap type: revert" within the bound) and by the
 * oracle (no watchdog reset cause; the core stays in the unconfirmed image). */
#ifndef SWAP_MUT_NO_WATCHDOG
#define SWAP_MUT_NO_WATCHDOG 0
#endif
#define SWAP_HOOK_SKIP_WATCHDOG() ((SWAP_MUT_NO_WATCHDOG) != 0)

/* ---- item 5: serial recovery without the gates ---------------------------------------------
 * SWAP_MUT_RECOVERY_NO_CHECKS: the serial-recovery upload is marked for a permanent swap
 * without validating it. RECOVERY_SKIP_CHECKS (common/mgmt_img.c): recovery answers success
 * and logs "Recovery image accepted" for a forged / revoked / downgraded image (the swap-time
 * validation still refuses it at the next boot). Caught by patterns (no "Recovery image
 * rejected" in recovery). */
#ifndef SWAP_MUT_RECOVERY_NO_CHECKS
#define SWAP_MUT_RECOVERY_NO_CHECKS 0
#endif
#define SWAP_HOOK_RECOVERY_SKIP_CHECKS() ((SWAP_MUT_RECOVERY_NO_CHECKS) != 0)

/* ---- item 4: confirm before the self-test --------------------------------------------------
 * SWAP_MUT_CONFIRM_BEFORE_TEST: the application confirms its image (image_ok) as soon as it
 * starts, before the self-test. CONFIRM_BEFORE_SELF_TEST (app/main.c): a failing image stays
 * installed (no revert after "self-test failed"). Caught by patterns ("confirmed" before
 * "self-test failed", no "Swap type: revert") and the oracle (image_ok set on a failing
 * image, reboot loop). */
#ifndef SWAP_MUT_CONFIRM_BEFORE_TEST
#define SWAP_MUT_CONFIRM_BEFORE_TEST 0
#endif
#define SWAP_HOOK_CONFIRM_BEFORE_SELF_TEST() ((SWAP_MUT_CONFIRM_BEFORE_TEST) != 0)

#endif /* SWAP_HOOKS_H */
