"""Issue-10 scenario classes around a new image's boot (``boot-stage``) and the SMP requests
that can arrive in each state of the update (``state-request``).

``early_failure``: the new image fails before or during its boot test (SELF_TEST 4 crash
before, 5 hang before, 6 crash during; contracts §7); the attempts must still be counted and
the last confirmed image must come back (item 14's predicate).

``trial_upload``: the new image passes its boot test late (SELF_TEST 3: it serves requests
during the test); while it is on trial another upload arrives. The device must refuse it (the
only slot it could write is the one running); then the trial image confirms and the next
release goes into the other slot (item 3's predicate: every download into the slot that is not
running).
"""

from __future__ import annotations

from typing import Any

from hil.errors import HilError
from hil.evidence import Outcome
from hil.image.constants import (
    SELF_TEST_CRASH_BEFORE,
    SELF_TEST_CRASH_DURING,
    SELF_TEST_HANG_BEFORE,
    SELF_TEST_LATE,
)
from hil.scenarios.bench import Bench, ScenarioRun
from hil.scenarios.steps import fresh, install, package, settle_boot, target
from hil.update import update_client

STAGES: dict[str, int] = {
    "crash-before": SELF_TEST_CRASH_BEFORE,
    "hang-before": SELF_TEST_HANG_BEFORE,
    "crash-during": SELF_TEST_CRASH_DURING,
}


def early_failure(b: Bench, run: ScenarioRun, stage: str = "crash-before", **_: Any) -> None:
    if stage not in STAGES:
        raise HilError(f"early-failure: expected a stage of {', '.join(STAGES)}, found {stage!r}")
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev), self_test=STAGES[stage]))


def trial_upload(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    slot = target(dev)
    client = update_client(dev)
    first = client.update(package(b, 2, slot, self_test=SELF_TEST_LATE), budget_ms=b.update_ms)
    if not first.reset_sent:
        raise HilError(f"trial upload: build 2 was not accepted: {first.upload.error}")
    settle_boot(b, dev)  # the trial boot of build 2: its boot test runs late
    during = client.update(package(b, 3, slot), budget_ms=b.update_ms, reset=False)
    run.notes.append(
        "upload during the trial: "
        + (f"refused ({during.upload.error})" if not during.upload.complete else "accepted")
    )
    run.outcomes.append(client.wait_outcome(first.mark, b.outcome_ms))
    if run.outcomes[-1] is Outcome.CONFIRMED:
        install(b, run, dev, package(b, 3, target(dev)))
