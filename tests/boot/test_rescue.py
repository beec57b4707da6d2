"""Rescue mode on both emulated chips (contracts §8 "Rescue"): entry by the strap pin, by the
console line `rescue` inside the bootloader's 20 ms window (and not after it), the same gates
as the normal path inside rescue (a revoked key is refused, nothing becomes PENDING), a good
image installed in rescue boots as a trial, and the evidence ring replay."""

from __future__ import annotations

import zlib

from hil.device import Device
from hil.engine.base import ResetCause
from hil.platform.model import Platform
from hil.pytest_plugin.fixtures import DeviceFactory, FirmwareFactory
from hil.update import update_client
from tests.boot.helpers import BOOT_MS, factory, hang_payload, names, signed

UPDATE_MS = 60_000


def _adopted(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> Device:
    """A factory device booted once (build 1 adopted as CONFIRMED in slot A)."""
    device = device_factory(platform, factory=factory(platform, firmware_factory(platform)))
    device.power_on()
    device.wait_for("BOOT", BOOT_MS, src="app")
    return device


def test_rescue_by_strap(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    device = _adopted(platform, device_factory, firmware_factory)
    device.set_pin("rescue", 1)
    mark = device.mark()
    device.reset(ResetCause.PIN)
    r = device.wait_for("RESCUE", BOOT_MS, src="boot")
    assert r["cause"] == "strap"
    ready = device.wait_for("RESCUE_READY", 1000, src="rescue")
    assert ready["slot"] == "B"
    evs = device.events_since(mark)
    assert not names(evs, "JUMP", "SLOT_CHECK")  # rescue does not start or verify anything
    assert names(evs, "META")[0]["result"] == "ok"
    # rescue answers on the console (events continue the seq, src=rescue)
    device.send_line("ping")
    pong = device.wait_for("PONG", 1000, src="rescue")
    assert pong.seq == ready.seq + 1
    # strap released + reset: normal boot
    device.set_pin("rescue", 0)
    device.send_line("reset")
    device.wait_for("RESET_REQ", 1000, src="rescue")
    boot = device.wait_for("BOOT", BOOT_MS, src="app")
    assert boot["slot"] == "A"


def test_rescue_by_uart_line_in_window(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    device = _adopted(platform, device_factory, firmware_factory)
    device.reset(ResetCause.PIN)
    device.send_line("rescue")  # queued at reset: inside the 20 ms window
    r = device.wait_for("RESCUE", BOOT_MS, src="boot")
    assert r["cause"] == "uart"
    device.wait_for("RESCUE_READY", 1000, src="rescue")


def test_uart_line_after_window_is_ignored(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    device = _adopted(platform, device_factory, firmware_factory)
    device.forbid("RESCUE")
    device.reset(ResetCause.PIN)
    device.wait_for("ANCHOR", BOOT_MS, src="boot")  # emitted after the window closed
    device.send_line("rescue")
    device.wait_for("BOOT", BOOT_MS, src="app")


def test_rescue_on_a_never_booted_device_says_how_to_proceed(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    """Issue 13 point 4: the strap held at the very first power-on (no metadata yet): an upload
    is refused with a reason that says what to do (boot normally once, which adopts the factory
    image); after that, rescue installs as usual."""
    device = device_factory(platform, factory=factory(platform, firmware_factory(platform)))
    device.set_pin("rescue", 1)
    device.power_on()
    device.wait_for("RESCUE_READY", BOOT_MS, src="rescue")
    device.set_pin("rescue", 0)
    res = update_client(device).update(
        signed(platform, hang_payload(platform, "B"), 2, "B"), budget_ms=UPDATE_MS
    )
    err = res.upload.error
    assert err is not None, res
    assert err.reason == "never booted: boot once without rescue, then update", err
    assert not res.pending and not res.reset_sent
    device.send_line("reset")  # strap released: a normal boot adopts the factory image
    assert device.wait_for("BOOT", BOOT_MS, src="app")["slot"] == "A"


def test_rescue_refuses_revoked_key_then_installs_a_good_image(
    platform: Platform,
    device_factory: DeviceFactory,
    firmware_factory: FirmwareFactory,
) -> None:
    device = _adopted(platform, device_factory, firmware_factory)
    device.set_pin("rescue", 1)
    device.reset(ResetCause.PIN)
    device.wait_for("RESCUE_READY", BOOT_MS, src="rescue")
    device.set_pin("rescue", 0)
    payload = hang_payload(platform, "B")

    bad = update_client(device).update(
        signed(platform, payload, 2, "B", key="revoked"), budget_ms=UPDATE_MS
    )
    assert not bad.pending and not bad.reset_sent
    sig = [e for e in bad.events if e.name == "VERIFY_SIG"]
    assert sig and (sig[-1]["result"], sig[-1]["error_code"]) == ("fail", "key_revoked")
    assert sig[-1].src == "rescue"
    assert any(e.name == "SLOT_TRANSITION" and e.get("to") == "REJECTED" for e in bad.events)

    # the same gates let a good image through: PENDING, reset, trial boot of slot B
    good = update_client(device).update(
        signed(platform, payload, 2, "B", self_test=2), budget_ms=UPDATE_MS
    )
    assert good.pending and good.reset_sent
    t = device.wait_for("SLOT_TRANSITION", BOOT_MS, lambda e: e.get("to") == "BOOT_TEST")
    assert (t["slot"], t["attempt"]) == ("B", "1")
    assert device.wait_for("JUMP", BOOT_MS)["slot"] == "B"


def test_rescue_refuses_below_floor(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    fi = factory(platform, firmware_factory(platform), build_a=5, floor=5)
    device = device_factory(platform, factory=fi)
    device.power_on()
    device.wait_for("BOOT", BOOT_MS, src="app")
    device.reset(ResetCause.PIN)
    device.send_line("rescue")
    device.wait_for("RESCUE_READY", BOOT_MS, src="rescue")
    res = update_client(device).update(
        signed(platform, hang_payload(platform, "B"), 4, "B"), budget_ms=UPDATE_MS
    )
    assert not res.pending
    assert [e for e in res.refusal if e.name in ("PARSE_MANIFEST", "SLOT_TRANSITION")]


def test_evidence_ring_keeps_boot_events(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    device = _adopted(platform, device_factory, firmware_factory)
    first = device.events[0]
    assert first.name == "REBOOT_REASON"
    line_crc = int(first.raw.rsplit("#", 1)[1], 16)
    device.power_off()
    device.set_pin("rescue", 1)
    device.power_on()
    device.wait_for("RESCUE_READY", BOOT_MS, src="rescue")
    mark = len(device.transcript)
    device.send_line("evidence")
    ev = device.wait_for("EVRING", 5000, src="rescue")
    text = device.transcript[mark:].decode("ascii", "replace")
    rows = [line.split() for line in text.splitlines() if line.startswith("evr ")]
    assert int(ev["records"]) == len(rows) > 0
    # evr <ring seq> <kind> <src> <seq> <line crc> <fields...>
    reboot = [r for r in rows if r[2] == "1" and int(r[5]) == line_crc]
    assert reboot, f"first boot's REBOOT_REASON (crc {line_crc:08x}) not in the ring"
    assert int(reboot[0][6]) == zlib.crc32(b"power-on")  # cause, as the CRC of its text
    kinds = {r[2] for r in rows}
    assert {"1", "3", "4", "10"} <= kinds  # REBOOT_REASON, ANCHOR, META, JUMP
