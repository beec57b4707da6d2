"""An update driven by smpclient in virtual time is reproducible: the same seed gives the same
console bytes (evidence, text and SMP frames) and the same flash contents."""

from __future__ import annotations

from hil.scenarios import Bench, run_scenario


def test_same_seed_same_update(bench: Bench) -> None:
    def once() -> tuple[bytes, bytes]:
        run = run_scenario("normal-update", bench)
        assert run.error is None and run.device is not None, run.error
        return run.device.transcript, run.device.engine.flash_snapshot()

    first, second = once(), once()
    assert first[0] == second[0]
    assert first[1] == second[1]
