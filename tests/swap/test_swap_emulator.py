"""The swap target (firmware_stubs/swap) on the unicorn engine, both chips: the real Cortex-M33
bootloader and interrupt-driven application, updated by the real smpclient over the
management UART and by the staged route (debug write + console trigger), judged from the
console text and from flash, as the outside oracle would."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from smpclient import SMPClient
from smpclient.exceptions import SMPUploadError
from smpclient.generics import error, success
from smpclient.requests.image_management import ImageStatesRead, ImageStatesWrite
from smpclient.requests.os_management import ResetWrite

from hil.engine.base import FlashOp, FlashOpAction, FlashOpKind, ResetCause
from tests.swap.emu import SwapFirmware, Target, build, sign_app

pytestmark = pytest.mark.timeout(600)


@dataclass
class Kit:
    fw: SwapFirmware
    v1: bytes
    v2: bytes
    fail: bytes
    hang: bytes
    never: bytes
    revoked: bytes


_KITS: dict[str, Kit] = {}


@pytest.fixture
def kit(chip: str, tmp_path_factory: pytest.TempPathFactory) -> Kit:
    if chip not in _KITS:
        fw = build(chip)
        d = tmp_path_factory.mktemp(f"swapemu-{chip}")
        _KITS[chip] = Kit(
            fw,
            v1=sign_app(fw, "1.0.0+1", 1, d / "v1.bin"),
            v2=sign_app(fw, "1.1.0+2", 2, d / "v2.bin"),
            fail=sign_app(fw, "1.1.0+2", 2, d / "fail.bin", self_test=1),
            hang=sign_app(fw, "1.1.0+2", 2, d / "hang.bin", self_test=2),
            never=sign_app(fw, "1.1.0+2", 2, d / "never.bin", self_test=3),
            revoked=sign_app(fw, "1.1.0+2", 2, d / "revoked.bin", key="swap-revoked"),
        )
    return _KITS[chip]


def factory(kit: Kit, fw: SwapFirmware | None = None) -> Target:
    """Bootloader + v1 in the primary slot, powered on, the app running confirmed."""
    t = Target(fw or kit.fw)
    t.program(t.lay.primary, kit.v1)
    t.power_on()
    assert t.run_until("<inf> app: self-test passed", 3000), t.log
    assert "image 0 in the primary slot: confirmed" in t.log
    return t


def lines(text: str) -> list[str]:
    return [ln for ln in text.replace("\r", "").split("\n") if ln]


def test_factory_boot_idles_in_wfi_and_feeds_the_watchdog(chip: str, kit: Kit) -> None:
    t = factory(kit)
    log = lines(t.log)
    assert log[0] == "I: Starting bootloader"
    assert log[1].startswith("I: Reset cause: power-on (raw 0x")
    assert "I: Security counter raised to 1" in log
    assert "I: Jumping to the first image slot" in log
    banner = (
        f"*** Booting swapapp: MCUmgr SMP on {'usart2' if chip == 'stm32u585' else 'flexcomm2'} ***"
    )
    assert banner in log
    # SysTick-stamped lines: the self-test runs 50 ms after the app started
    assert "[00:00:00.050,000] <inf> app: self-test passed" in log
    # idle: the core sleeps in WFI between interrupts (sampled at odd instants), and a
    # confirmed image feeds the watchdog, so 5 s pass without a reset
    asleep = 0
    for _ in range(50):
        t.run(97)
        asleep += t.engine.sleeping is not None  # type: ignore[attr-defined]
    assert asleep >= 45, asleep
    assert t.log.count("Starting bootloader") == 1, t.log
    # the console takes commands (received by interrupt)
    t.console.write(b"uptime\n")
    assert t.run_until(" ms\r\n", 200, len(t.log))
    assert re.search(r"<inf> app: uptime 49\d\d ms", t.log), t.log[-300:]
    t.console.write(b"status\n")
    assert t.run_until("<inf> app: running image confirmed", 200)
    assert "<inf> app: primary: magic=unset copy_done=unset image_ok=unset" in t.log


def smp_update(t: Target, image: bytes) -> Any:
    """smpclient: upload to slot 1, mark it for test by its hash, reset. Returns the states
    read after the mark."""

    async def body(c: SMPClient) -> Any:
        async for _ in c.upload(image):
            pass
        r = await c.request(ImageStatesRead())
        assert success(r), r
        new = [i for i in r.images if i.slot == 1][0]
        assert not new.pending and not new.confirmed
        r = await c.request(ImageStatesWrite(hash=bytes(new.hash), confirm=False))
        assert success(r), r
        marked = r
        r = await c.request(ResetWrite())
        assert success(r), r
        return marked

    return t.smp(body)


def test_smp_update_over_the_management_uart(chip: str, kit: Kit) -> None:
    t = factory(kit)
    marked = smp_update(t, kit.v2)
    slot1 = [i for i in marked.images if i.slot == 1][0]
    assert slot1.pending and slot1.version == "1.1.0.2"
    start = len(t.log)
    assert t.run_until("<inf> app: image confirmed", 8000, start), t.log[start:]
    after = lines(t.log[start:])
    assert "I: Reset cause: software" in "\n".join(after)
    assert "I: Image index: 0, Swap type: test" in after
    assert "I: Image 0 upgrade secondary slot -> primary slot" in after
    assert "<inf> app: image 0 in the primary slot: on test, not confirmed" in "\n".join(after)
    # the oracle's view: the new image's bytes in the primary slot, the old one in slot 1
    assert t.flash(t.lay.primary, len(kit.v2)) == kit.v2
    assert t.flash(t.lay.secondary, len(kit.v1)) == kit.v1

    async def states(c: SMPClient) -> Any:
        return await c.request(ImageStatesRead())

    r = t.smp(states)
    s0 = [i for i in r.images if i.slot == 0][0]
    assert s0.version == "1.1.0.2" and s0.confirmed and s0.active
    # a power cycle: no swap, the floor follows the confirmed image
    t.engine.reset(ResetCause.POWER_ON)
    start = len(t.log)
    assert t.run_until("<inf> app: self-test passed", 3000, start)
    after = lines(t.log[start:])
    assert "I: Image index: 0, Swap type: none" in after
    assert "I: Security counter raised to 2" in after


def stage(t: Target, image: bytes) -> int:
    """The staged route: a debugger writes the image into the secondary slot, the console
    command marks it for test and resets. Returns the log position before the trigger."""
    t.program(t.lay.secondary, image)
    start = len(t.log)
    t.console.write(b"upgrade test\n")
    assert t.run_until("<inf> app: secondary slot marked for a test swap", 500, start), t.log
    return start


@pytest.mark.parametrize("variant", ["fail", "hang", "never"])
def test_test_image_that_does_not_confirm_is_reverted(chip: str, kit: Kit, variant: str) -> None:
    t = factory(kit)
    start = stage(t, getattr(kit, variant))
    assert t.run_until("I: Image index: 0, Swap type: revert", 6000, start), t.log[start:]
    assert t.run_until("<inf> app: self-test passed", 3000, start)
    after = t.log[start:]
    assert "Swap type: test" in after
    cause = {"fail": "software", "hang": "watchdog", "never": "watchdog"}[variant]
    revert_boot = after[after.index("Swap type: test") :]
    assert f"I: Reset cause: {cause}" in revert_boot
    text = {
        "fail": "<err> app: self-test failed: resetting without confirming",
        "hang": "<wrn> app: self-test hangs: the main loop stops, no watchdog feed",
        "never": "<wrn> app: self-test never confirms: running on, no watchdog feed",
    }[variant]
    assert text in after
    assert after.rstrip().endswith("<inf> app: self-test passed")
    assert "image 0 in the primary slot: confirmed" in after[after.index("Swap type: revert") :]
    assert t.flash(t.lay.primary, len(kit.v1)) == kit.v1


def test_staged_trigger_needs_an_image(chip: str, kit: Kit) -> None:
    t = factory(kit)
    t.console.write(b"upgrade test\n")
    assert t.run_until("<err> app: upgrade refused: no image in the secondary slot", 500)
    t.console.write(b"bogus\n")
    assert t.run_until("<err> app: unknown command", 500)


def test_serial_recovery_keeps_the_gates(chip: str, kit: Kit) -> None:
    t = Target(kit.fw)
    t.program(t.lay.primary, kit.v1)
    t.engine.set_pin("rescue", 1)
    t.power_on()
    assert t.run_until("I: Serial recovery: strap pin held at reset", 1000), t.log
    assert "I: Enter the serial recovery mode" in t.log

    async def upload(image: bytes) -> Callable[[SMPClient], Any]:
        raise NotImplementedError

    async def refused(c: SMPClient) -> Any:
        with pytest.raises(SMPUploadError) as info:
            async for _ in c.upload(kit.revoked):
                pass
        return info.value

    err = t.smp(refused)
    assert "11" in str(err) or "ACCESS" in str(err).upper(), err
    assert "E: Image 0 secondary slot: revoked key" in t.log
    assert "E: Recovery image rejected" in t.log

    async def accepted(c: SMPClient) -> Any:
        async for _ in c.upload(kit.v2):
            pass
        r = await c.request(ImageStatesRead())
        await c.request(ResetWrite())
        return r

    r = t.smp(accepted)
    assert not error(r)
    slot1 = [i for i in r.images if i.slot == 1][0]
    assert slot1.pending and slot1.permanent
    assert "I: Recovery image accepted: permanent swap at the next boot" in t.log
    t.engine.set_pin("rescue", 0)
    start = len(t.log)
    assert t.run_until("<inf> app: self-test passed", 6000, start), t.log[start:]
    after = t.log[start:]
    assert "I: Image index: 0, Swap type: perm" in after
    assert "image 0 in the primary slot: confirmed" in after
    assert t.flash(t.lay.primary, len(kit.v2)) == kit.v2


def test_old_image_bug_is_invisible_in_the_log(chip: str, kit: Kit, tmp_path: Path) -> None:
    """SWAP_MUT_BOOT_OLD_IMAGE prints the same console text as the good bootloader during a
    staged update; only the flash (the oracle) shows the old image still in the primary."""
    logs = {}
    flashes = {}
    for defines in ((), ("SWAP_MUT_BOOT_OLD_IMAGE",)):
        fw = build(chip, defines)
        t = factory(kit, fw)
        start = stage(t, kit.v2)
        assert t.run_until("<inf> app: image confirmed", 6000, start), t.log[start:]
        logs[defines] = t.log
        flashes[defines] = t.flash(t.lay.primary, max(len(kit.v1), len(kit.v2)))
    assert logs[()] == logs[("SWAP_MUT_BOOT_OLD_IMAGE",)]
    assert flashes[()][: len(kit.v2)] == kit.v2
    assert flashes[("SWAP_MUT_BOOT_OLD_IMAGE",)][: len(kit.v1)] == kit.v1


def test_brownout_gates_the_swap_then_it_resumes(chip: str, kit: Kit) -> None:
    """Supply below the monitor level (2.0 V) but above the reset level during the swap: no
    new erase or program starts (the engine's flash-operation log says so; only the one whose
    supply check came before the drop), the bootloader says so and resets; once the supply is
    back the next boot resumes and the update completes."""
    t = factory(kit)
    start = stage(t, kit.v2)
    assert t.run_until("I: Starting swap using move algorithm.", 2000, start), t.log[start:]
    t.run(100)  # into the swap's steps (status written, a few sectors moved)
    assert "Swap complete" not in t.log[start:]
    ops_before = len(t.engine.flash_ops)  # type: ignore[attr-defined]
    t.engine.set_supply_mv(1900)
    low_from = len(t.log)
    assert t.run_until("E: Resetting to resume the swap", 500, low_from), t.log[low_from:]
    assert t.run_until(
        "E: Resetting to resume the swap", 1000, t.log.index("Resetting", low_from) + 9
    )
    gated = t.log[low_from:]
    assert re.search(
        r"E: Flash write gated \(supply low\): (erase|program) at 0x[0-9a-f]{8}", gated
    )
    assert "E: Swap stopped: flash gated error 0 at 0x" in gated
    # at most the operation whose supply check came just before the drop may start after it
    after_drop = t.engine.flash_ops[ops_before:]  # type: ignore[attr-defined]
    low_ops = [op for op, mv in after_drop if mv < 2000]
    assert len(low_ops) <= 1 and (not low_ops or low_ops[0] is after_drop[0][0]), low_ops[:3]
    t.engine.set_supply_mv(3300)
    back = len(t.log)
    assert t.run_until("<inf> app: image confirmed", 8000, back), t.log[back:]
    after = t.log[back:]
    assert "I: Boot source: primary slot" in after
    assert "I: Resuming interrupted swap: type=test" in after
    assert t.flash(t.lay.primary, len(kit.v2)) == kit.v2


@pytest.mark.parametrize(
    ("flag", "variant"),
    [("SWAP_MUT_NO_WATCHDOG", "never"), ("SWAP_MUT_CONFIRM_BEFORE_TEST", "fail")],
)
def test_boot_test_bugs_leave_the_bad_image_in_place(
    flag: str, variant: str, kit: Kit, tmp_path: Path
) -> None:
    """The two planted bugs of the boot test, each against the behaviour its item expects
    (the good build reverts within the watchdog bound; test_test_image_that_does_not_confirm_
    is_reverted shows that): with the bug, no revert happens."""
    if kit.fw.chip != "lpc55s69":
        pytest.skip("one chip is enough: the bug is in portable code")
    fw = build(kit.fw.chip, (flag,))
    t = factory(kit, fw)
    # the application bug is in the application: stage the mutant's own app binary
    image = getattr(kit, variant)
    if flag == "SWAP_MUT_CONFIRM_BEFORE_TEST":
        image = sign_app(fw, "1.1.0+2", 2, tmp_path / "mut.bin", self_test=1)
    start = stage(t, image)
    assert t.run_until("Swap type: test", 2000, start)
    t.run(6000)
    after = t.log[start:]
    assert "Swap type: revert" not in after, after
    if flag == "SWAP_MUT_NO_WATCHDOG":
        assert "Reset cause: watchdog" not in after
        assert after.count("Starting bootloader") == 1  # never reset: pending forever
    else:
        # confirmed before the self-test: the failing image is permanent, a reboot loop
        assert "<inf> app: image confirmed" in after
        assert after.count("<err> app: self-test failed") >= 2
    assert t.flash(t.lay.primary, len(image)) == image


def test_flash_wait_never_restarts_a_finished_erase(chip: str, kit: Kit) -> None:
    """NSCR.STRT reads 1 while an erase runs and hardware clears it at the end (RM0456
    FLASH_NSCR.STRT: set by software only, cleared with BSY); a read-modify-write of NSCR that
    reads it before the end and writes it back after starts the same erase again. The port's
    wait does such writes (EOPIE around its sleep), so the erase's end is moved across the
    wait loop in single instructions: each staged mark erases the trailer page once."""
    if chip != "stm32u585":
        pytest.skip("the LPC55S69 flash controller has no start bit to write back")
    t = factory(kit)
    t.program(t.lay.secondary, kit.v2)
    t.run(5)
    models = t.engine.models  # type: ignore[attr-defined]
    model = next(m for m in models if m.spec.model == "stm32u5_flash")
    counts: dict[int, tuple[int, bool]] = {}
    # one turn of the wait loop around the sleep is 34 instructions: the erase's end is swept
    # across more than one turn (the unfixed port restarted the erase at 11, 12, 45-47)
    for extra in range(48):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit status
            os._exit(_mark_with_erase_end_shifted(t, model.soc, extra))
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        assert code & 128, f"+{extra}: no erase was lengthened (the shift never applied)"
        counts[extra] = (code & 63, bool(code & 64))
    bad = {k: v for k, v in counts.items() if v != (1, True)}
    assert not bad, f"(erases, marked) by extra erase instructions: {bad}"


def _mark_with_erase_end_shifted(t: Target, soc: Any, extra: int) -> int:
    """The staged mark with every erase `extra` instructions longer; returns the number of
    erases (bits 0-5), 64 when the mark was reported and 128 when an erase was lengthened."""
    erases: list[int] = []
    shifted: list[int] = []
    to_instructions = soc.us_to_instructions

    def longer_once(us: float) -> int:  # the erase's duration is asked right after its start
        soc.us_to_instructions = to_instructions
        shifted.append(extra)
        return int(to_instructions(us)) + extra

    def count(op: FlashOp) -> FlashOpAction:
        if op.kind is FlashOpKind.ERASE:
            erases.append(op.address)
            soc.us_to_instructions = longer_once
        return FlashOpAction.CONTINUE

    t.engine.on_flash_op(count)
    start = len(t.log)
    t.console.write(b"upgrade test\n")
    ok = t.run_until("<inf> app: secondary slot marked for a test swap", 500, start)
    return min(len(erases), 63) | (64 if ok else 0) | (128 if shifted else 0)
