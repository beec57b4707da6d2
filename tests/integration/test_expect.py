"""``Device.expect``: the one wait primitive (event names, regexes, predicates, marks) and its
failure, which names the pattern, the tail of the console and the log path."""

from __future__ import annotations

import re

import pytest

from hil.device import Device, ExpectTimeout
from hil.engine import StopReason
from hil.evidence import Event, Record, Text
from hil.platform.model import Platform


def test_expect_finds_names_regexes_and_predicates(platform: Platform, device: Device) -> None:
    device.power_on()
    mark = device.mark()
    boot = device.expect("BOOT", 3000, src="app").event
    assert boot.src == "app" and boot.name == "BOOT"
    # from the same mark again: the reset cause came first; a line regex finds console text
    reason = device.expect(re.compile(r" REBOOT_REASON "), 10, since=mark).event
    assert reason.name == "REBOOT_REASON"
    hit = device.expect(lambda r: isinstance(r, Text), 10, since=mark)
    assert isinstance(hit.record, Text) and hit.after == hit.index + 1

    seen: list[Record] = []

    def pong(rec: Record) -> bool:
        seen.append(rec)
        return isinstance(rec, Event) and rec.name == "PONG"

    start = device.mark()
    device.send_line("ping")
    assert device.expect(pong, 1000, since=start, what="the PONG").index >= start
    assert len(seen) == device.mark() - start  # each record from the mark seen once


def test_a_failed_expect_names_pattern_tail_and_log(platform: Platform, device: Device) -> None:
    device.power_on()
    device.expect("BOOT", 3000, src="app")
    with pytest.raises(ExpectTimeout) as exc:
        device.expect("NO_SUCH_EVENT", 50, what="the event that never comes")
    message = str(exc.value)
    assert "waiting for the event that never comes" in message
    assert "50 ms of virtual time" in message
    assert "BOOT" in message  # the tail of the console
    assert device.log_path is not None and str(device.log_path) in message
    assert exc.value.reason is StopReason.BUDGET
