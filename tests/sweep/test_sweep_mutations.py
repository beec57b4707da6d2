"""Issue 15: the planted bugs that only a second cut finds. Each runs only in a recovery, so a
depth-1 sweep of the cuts that set that recovery in motion passes, and the same sweep at
depth 2 (cutting the recovery's own flash operations too) fails with metadata lost.

``MUT_META_JOURNAL_IN_RAM`` keeps its progress in RAM that it assumes survives a power cut:
the test below shows that a warm reset at the same instant (RAM kept) is finished from that
journal, and a power cut (RAM at its power-on contents, as the engine models it) is not."""

from __future__ import annotations

import struct
import zlib

import pytest

from hil.device import Device
from hil.engine.base import ResetCause, StopReason
from hil.evidence import on_events
from hil.evidence.vocab import Ev, boot_settled
from hil.faults import parse_plan
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.pytest_plugin.fixtures import DeviceFactory, FirmwareFactory
from hil.sweep import Sweep, SweepOptions
from hil.sweep.mutations import RECOVERY_MUTATIONS, recovery_points

JOURNAL = "MUT_META_JOURNAL_IN_RAM"
JOURNAL_LINE = b"! planted: metadata rewrite finished from the RAM journal"
META_MAGIC, META_SIZE = 0x314D544F, 64  # firmware_stubs/core/meta.h


@pytest.mark.parametrize(
    ("flag", "chip"),
    [
        ("MUT_ROLLBACK_META_IN_PLACE", "stm32u585"),
        ("MUT_UNJOURNALED_FLOOR_BUMP", "lpc55s69"),
        (JOURNAL, "lpc55s69"),
    ],
)
def test_caught_by_depth_2_missed_by_depth_1(flag: str, chip: str) -> None:
    assert flag in RECOVERY_MUTATIONS
    platform = load_platform(chip)
    defines = {flag: 1}
    fw = build_firmware(platform, defines=defines)
    ops, _, _ = Sweep(platform, fw, defines=defines).clean_pass()
    plan = parse_plan(recovery_points(flag, ops, limit=1), f"{flag} recovery points")

    def sweep(depth: int) -> list[str]:
        opt = SweepOptions(plan=plan, depth=depth, workers=2)
        res = Sweep(platform, fw, defines=defines, options=opt).run()
        assert all(r.fired for r in res.points if r.ran)
        return [p for r in res.failures() for p in r.problems()]

    assert sweep(1) == []  # one cut, an untouched recovery: the bug never shows
    caught = sweep(2)
    assert caught, f"{flag}: depth 2 did not catch it"
    assert any("META result=both-invalid" in p for p in caught), caught[:3]


def _valid_copies(dev: Device, addrs: dict[str, int]) -> list[str]:
    out = []
    for name, addr in addrs.items():
        rec = dev.engine.flash_read(addr, META_SIZE)  # the cells, as a probe reads them
        magic, crc = struct.unpack_from("<I", rec, 0)[0], struct.unpack_from("<I", rec, 60)[0]
        if magic == META_MAGIC and crc == zlib.crc32(rec[:60]):
            out.append(name)
    return out


def _settle(dev: Device) -> str:
    """Run to the application's BOOT or RESCUE; the event's name."""
    hit = dev.expect(on_events(boot_settled), 20_000, since=dev.mark(), what="BOOT or RESCUE")
    return hit.event.name


@pytest.mark.parametrize("how", ["warm-reset", "power-cut"])
def test_ram_journal_rescues_a_warm_reset_not_a_power_cut(
    how: str, firmware_factory: FirmwareFactory, device_factory: DeviceFactory
) -> None:
    platform = load_platform("lpc55s69")
    fw = firmware_factory(platform, defines={JOURNAL: 1})
    addrs = {n: platform.layout[n].address for n in ("meta_a", "meta_b")}
    dev = device_factory(platform, fw)
    dev.power_on()
    assert _settle(dev) == Ev.BOOT
    assert _valid_copies(dev, addrs) == ["meta_a", "meta_b"]
    dev.power_off()
    dev.engine.flash_lose_unit(addrs["meta_a"], 1)  # a torn copy: the next boot rolls back
    hits: list[int] = []
    # the rewrite's program, its erase done: the first metadata program of that boot
    dev.engine.on_symbol("meta_program", lambda _n, a: not hits.append(a) and len(hits) == 1)
    dev.power_on()
    assert dev.run_for(5_000) is StopReason.HALTED and len(hits) == 1
    # meta_a reads back its old bytes to the harness but is torn to the chip
    assert "meta_b" not in _valid_copies(dev, addrs), "the survivor should be erased by now"
    before = len(dev.transcript)
    if how == "warm-reset":
        dev.reset(ResetCause.PIN)  # RAM kept: the journal is there
    else:
        dev.power_cycle()  # RAM at its power-on contents: the journal is gone
    _settle(dev)
    after = dev.transcript[before:]
    # either way the load finds no valid copy; only the warm reset left the journal to finish
    # the rewrite from
    lost = b"META result=both-invalid" in after
    if how == "warm-reset":
        assert JOURNAL_LINE in after and lost, after[-800:]
        assert "meta_a" in _valid_copies(dev, addrs), "the journal's rewrite left no valid copy"
    else:  # the sweep's `metadata` invariant fails on exactly this line
        assert JOURNAL_LINE not in after and lost, after[-800:]
