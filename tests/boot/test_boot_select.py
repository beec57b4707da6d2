"""Bootloader A/B selection on both emulated chips (contracts §8, contract-meta §3): first-boot
adoption of the factory image, trial boots bounded by the watchdog with attempt counting and
rollback, the rollback floor at boot, and the handoff block. Verdicts come from the device's
own events (and, for the handoff, from its RAM read over the debug port)."""

from __future__ import annotations

from typing import Any

from hil.device import Device
from hil.engine.base import ResetCause
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.pytest_plugin.fixtures import DeviceFactory, FirmwareFactory
from tests.boot.helpers import (
    BOOT_MS,
    CONFIRMED,
    EMPTY,
    FAILED,
    PENDING,
    Record,
    factory,
    handoff,
    hang_payload,
    image_id,
    names,
    signed,
    slot_checks,
    write_record,
)


def _boot_app(device: Device, budget_ms: int = BOOT_MS) -> None:
    device.wait_for("BOOT", budget_ms, src="app")


def test_first_boot_adopts_slot_a(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    device = device_factory(platform, factory=factory(platform, firmware_factory(platform)))
    device.power_on()
    _boot_app(device)
    evs = device.events
    meta = names(evs, "META")[0]
    assert (meta["result"], meta["copy"], meta["generation"]) == ("both-invalid", "none", "0")
    st = names(evs, "SLOT_TRANSITION")
    assert [(e["from"], e["to"], e["slot"]) for e in st] == [("IDLE", "CONFIRMED", "A")]
    checks = names(evs, "SLOT_CHECK")
    assert [(e["slot"], e["state"]) for e in checks] == [("A", "present"), ("B", "empty")]
    jump = names(evs, "JUMP")[0]
    assert jump["slot"] == "A"
    assert names(evs, "BOOT")[0]["build"] == "1"

    # adoption wrote both copies: the next boot loads "ok" and changes nothing
    mark = device.mark()
    device.power_cycle()
    _boot_app(device)
    evs = device.events_since(mark)
    meta = names(evs, "META")[0]
    assert (meta["result"], meta["generation"]) == ("ok", "2")
    assert not names(evs, "SLOT_TRANSITION", "ROLLBACK", "RESCUE")
    # nothing pending: only the confirmed slot is verified (contract-meta §6)
    assert [e["slot"] for e in names(evs, "SLOT_CHECK")] == ["A"]


def _trial_device(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory, **kw: Any
) -> tuple[Device, FactoryImage]:
    """Factory A = reference app build `build_a`; B = a hang image (build `build_b`) that the
    metadata says is PENDING (attempts so far `attempts`)."""
    build_a = kw.get("build_a", 1)
    build_b = kw.get("build_b", 2)
    fw = firmware_factory(platform, **kw.get("fw", {}))
    img_b = signed(platform, hang_payload(platform, "B"), build_b, "B", self_test=2)
    fi = factory(platform, fw, build_a=build_a, slot_b=img_b, floor=kw.get("anchor_floor", 0))
    device = device_factory(platform, factory=fi)
    rec = Record(
        active=0,
        next=1,
        state=[CONFIRMED, PENDING],
        attempts=[0, kw.get("attempts", 0)],
        build=[build_a, build_b],
        image_id=[image_id(fi.slots["A"]), image_id(img_b)],
        floor=kw.get("floor", 0),
    )
    write_record(device, rec, generation=7, copy="A")
    return device, fi


def test_trial_attempts_then_rollback(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    n = platform.layout.boot_attempts
    device, fi = _trial_device(platform, device_factory, firmware_factory)
    device.forbid("BOOT", lambda e: e.src == "app" and e.get("slot") == "B")
    device.power_on()

    # attempt 1: counted before the jump, handoff says trial
    t = device.wait_for("SLOT_TRANSITION", BOOT_MS, lambda e: e.get("to") == "BOOT_TEST")
    assert (t["from"], t["slot"], t["attempt"]) == ("PENDING", "B", "1")
    device.wait_for("JUMP", BOOT_MS, lambda e: e.get("slot") == "B")
    # a ready trial needs only the pending slot's verification (contract-meta §6)
    assert [e["slot"] for e in names(device.events, "SLOT_CHECK")] == ["B"]
    device.run_for(50)
    h = handoff(device)
    slot_b = platform.layout["slot_b"].address
    assert h["valid"] and h["version"] == 2
    assert (h["slot"], h["build"], h["trial"], h["attempt"]) == (1, 2, 1, 1)
    assert (h["image_addr"], h["vtor"]) == (slot_b, slot_b + platform.layout.image_header_size)
    assert h["meta_gen"] == 8  # the attempt commit (generation 7 + 1)

    # attempts 2..N: each after a watchdog reset
    for k in range(2, n + 1):
        r = device.wait_for("REBOOT_REASON", 4000, src="boot")
        assert r["cause"] == "watchdog"
        t = device.wait_for("SLOT_TRANSITION", BOOT_MS, lambda e: e.get("to") == "BOOT_TEST")
        assert (t["slot"], t["attempt"]) == ("B", str(k))

    # the N-th watchdog reset: rollback to A
    r = device.wait_for("REBOOT_REASON", 4000, src="boot")
    assert r["cause"] == "watchdog"
    rb = device.wait_for("ROLLBACK", BOOT_MS, src="boot")
    assert (rb["reason"], rb["floor"], rb["candidate_build"]) == ("attempts", "0", "2")
    t = device.wait_for("SLOT_TRANSITION", BOOT_MS)
    assert (t["from"], t["to"], t["slot"], t["attempt"]) == ("BOOT_TEST", "ROLLBACK", "B", str(n))
    assert device.wait_for("JUMP", BOOT_MS)["slot"] == "A"
    boot = device.wait_for("BOOT", BOOT_MS, src="app")
    assert (boot["slot"], boot["build"]) == ("A", "1")
    h = handoff(device)
    assert h["trial"] == 0 and h["attempt"] == 0 or not h["valid"]  # the app may invalidate it

    # never again: B stays FAILED
    mark = device.mark()
    device.reset(ResetCause.PIN)
    _boot_app(device)
    evs = device.events_since(mark)
    assert not names(evs, "SLOT_TRANSITION", "ROLLBACK")
    assert names(evs, "JUMP")[0]["slot"] == "A"
    copies = [
        device.engine.flash_read(platform.layout[m].address, 64) for m in ("meta_a", "meta_b")
    ]
    newest = max(copies, key=lambda raw: int.from_bytes(raw[8:12], "little"))
    assert newest[18:20] == bytes([CONFIRMED, FAILED])


def test_pending_below_floor_rolls_back(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    """A validly signed PENDING image below the metadata floor never boots: PARSE_MANIFEST
    below_floor for slot B, ROLLBACK reason=below-floor with the floor and the candidate."""
    device, _ = _trial_device(
        platform, device_factory, firmware_factory, build_a=5, build_b=4, floor=5
    )
    device.forbid("JUMP", lambda e: e.get("slot") == "B")
    device.power_on()
    _boot_app(device)
    evs = device.events
    # B is PENDING and next: verified first; not ready (below floor), so A is verified too
    assert [e["slot"] for e in names(evs, "SLOT_CHECK")] == ["B", "A"]
    b_checks = slot_checks(evs, "B")
    sig = names(b_checks, "VERIFY_SIG")[0]
    pm = names(b_checks, "PARSE_MANIFEST")[0]
    assert (sig["result"], pm["result"], pm["error_code"], pm["build"]) == (
        "ok",
        "fail",
        "below_floor",
        "4",
    )
    rb = names(evs, "ROLLBACK")[0]
    assert (rb["reason"], rb["floor"], rb["candidate_build"]) == ("below-floor", "5", "4")
    t = names(evs, "SLOT_TRANSITION")[0]
    assert (t["from"], t["to"], t["slot"]) == ("PENDING", "ROLLBACK", "B")
    assert names(evs, "JUMP")[0]["slot"] == "A"
    a_pm = names(slot_checks(evs, "A"), "PARSE_MANIFEST")[0]
    assert (a_pm["result"], a_pm["build"]) == ("ok", "5")


def test_anchor_floor_refuses_factory_image(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    """The anchor floor applies to adoption too: build 3 under floor 4 is never adopted."""
    fi = factory(platform, firmware_factory(platform), build_a=3, floor=4)
    device = device_factory(platform, factory=fi)
    device.forbid("JUMP")
    device.power_on()
    r = device.wait_for("RESCUE", BOOT_MS, src="boot")
    assert r["cause"] == "no_bootable"
    pm = [e for e in device.events if e.name == "PARSE_MANIFEST" and e.get("build") == "3"]
    assert pm and pm[0]["error_code"] == "below_floor"
    assert not names(device.events, "SLOT_TRANSITION")


def test_corrupted_confirmed_slot_enters_rescue(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    device = device_factory(platform, factory=factory(platform, firmware_factory(platform)))
    device.power_on()
    _boot_app(device)
    a = platform.layout["slot_a"].address
    device.engine.program_flash(a + platform.layout.image_header_size + 0x40, b"\x5a" * 16)
    mark = device.mark()
    device.reset(ResetCause.PIN)
    r = device.wait_for("RESCUE", BOOT_MS, src="boot")
    assert r["cause"] == "no_bootable"
    evs = device.events_since(mark)
    assert names(evs, "META")[0]["result"] == "ok"
    assert not names(evs, "JUMP", "ROLLBACK")
    sig = names(evs, "VERIFY_SIG")[0]
    assert (sig["result"], sig["error_code"]) == ("fail", "hash_mismatch")
    ready = device.wait_for("RESCUE_READY", 1000, src="rescue")
    assert ready["slot"] == "B"  # the slot that is not CONFIRMED


def test_unused_states(platform: Platform) -> None:
    assert EMPTY == 1 and platform.layout.boot_attempts >= 1


def test_trial_commit_fails_falls_back_to_verified_confirmed_slot(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    """The attempt commit of a trial fails (both metadata areas refuse writes): the trial is
    never booted; its fallback reads the confirmed slot, which the trial itself did not need,
    so the bootloader verifies it then (after META_COMMIT fail) and boots it."""
    device, _ = _trial_device(platform, device_factory, firmware_factory)
    for area in ("meta_a", "meta_b"):
        a = platform.layout[area]
        device.engine.write_protect(a.address, a.size)
    device.forbid("JUMP", lambda e: e.get("slot") == "B")
    device.power_on()
    _boot_app(device)
    evs = [e for e in device.events if e.src == "boot"]
    order = [e.name for e in evs if e.name in ("SLOT_CHECK", "META_COMMIT", "JUMP")]
    assert order == ["SLOT_CHECK", "META_COMMIT", "SLOT_CHECK", "JUMP"]
    assert [e["slot"] for e in names(evs, "SLOT_CHECK")] == ["B", "A"]
    assert names(evs, "META_COMMIT")[0]["result"] == "fail"
    a = slot_checks(evs, "A")
    assert [(e.name, e["result"]) for e in a if e.name != "SLOT_CHECK"] == [
        ("VERIFY_SIG", "ok"),
        ("PARSE_MANIFEST", "ok"),
    ]
    assert names(evs, "JUMP")[0]["slot"] == "A"
    assert not names(evs, "SLOT_TRANSITION")


def test_torn_unit_in_confirmed_image_is_a_read_error_not_a_crash(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    """A torn ECC unit inside the confirmed image: the bootloader's block read (a guarded
    block copy, re-read word by word after a fault) reports the chip's read error for the
    block it was reading, the image fails its hash, and nothing is booted (no crash, no fatal
    exception line)."""
    device = device_factory(platform, factory=factory(platform, firmware_factory(platform)))
    device.power_on()
    _boot_app(device)
    slot_a = platform.layout["slot_a"].address
    torn = slot_a + platform.layout.image_header_size + 0x1000
    device.engine.flash.mark_torn(torn, 4)  # type: ignore[attr-defined]
    mark = device.mark()
    device.reset(ResetCause.PIN)
    r = device.wait_for("RESCUE", BOOT_MS, src="boot")
    assert r["cause"] == "no_bootable"
    evs = device.events_since(mark)
    sig = names(evs, "VERIFY_SIG")[0]
    assert (sig["result"], sig["error_code"]) == ("fail", "hash_mismatch")
    text = device.transcript.decode("ascii", errors="replace")
    reads = [ln for ln in text.splitlines() if ln.startswith("! flash read ")]
    assert reads, "no flash read error reported"
    err, at = reads[-1].split()[3], int(reads[-1].split()[-1], 16)
    assert err == "ecc"  # STM32: double-ECC NMI; LPC55: READ_SINGLE_WORD ECC_ERR
    assert at <= torn < at + 256  # the block (IMG_IO_CHUNK) whose read failed
    assert "! fatal" not in text
    assert not names(evs, "JUMP")
