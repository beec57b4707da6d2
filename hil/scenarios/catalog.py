"""The scenarios: what the harness does to a device, by name (``SCENARIOS``). Judging is
elsewhere (``hil.matrix.predicates``) and reads only the evidence the device emitted.

A scenario builds its factory image, creates the device through ``Bench.make_device``, drives
it (uploads with smpclient, resets, straps) and returns. A harness-side failure (a timeout,
an SMP error the scenario did not expect) ends the scenario early and is kept in
``ScenarioRun.error``: a mutated firmware may well stop answering, and the predicate then
judges whatever evidence there is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hil.errors import DeviceTimeout, HilError, UnknownNameError
from hil.evidence import Event, Outcome, Record
from hil.evidence.vocab import boot_settled, brownout_reset
from hil.faults import FaultInjector, parse_plan
from hil.provision import factory_image
from hil.scenarios.anchor import anchor_change
from hil.scenarios.at_rest import at_rest
from hil.scenarios.bench import Bench, ScenarioRun
from hil.scenarios.geometry import geometry
from hil.scenarios.power import (
    RECOVERY_MS,
    note_fired,
    power_cut_update,
    resume_after_reboot,
    with_plan,
)
from hil.scenarios.resume import resume_over_bad_bytes
from hil.scenarios.stages import early_failure, trial_upload
from hil.scenarios.steps import (
    boot,
    enter_rescue,
    fresh,
    install,
    package,
    reboot,
    settle_boot,
    target,
)


# -- scenarios -----------------------------------------------------------------------------------
def normal_update(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev)))
    dev.power_cycle()
    settle_boot(b, dev)


def two_releases(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    for build in (2, 3):
        install(b, run, dev, package(b, build, target(dev)))
    dev.power_cycle()
    settle_boot(b, dev)


def self_test_fail(b: Bench, run: ScenarioRun, self_test: int = 1, **_: Any) -> None:
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev), self_test=self_test))


def never_confirms(b: Bench, run: ScenarioRun, **_: Any) -> None:
    self_test_fail(b, run, self_test=2)


def _rescue(b: Bench, run: ScenarioRun, how: str) -> None:
    # build 2 confirmed with the anchor floor at 2: build 1 is below the floor; then a forged
    # package, a below-floor one and one signed with a revoked key, each to be refused, and a
    # good one
    dev = run.device = fresh(b, build=2, floor=2)
    enter_rescue(b, dev, how)
    slot = "B"  # slot A holds the confirmed image
    install(b, run, dev, package(b, 3, slot, variant="forged-signature-same-id"))
    install(b, run, dev, package(b, 1, slot))
    install(b, run, dev, package(b, 3, slot, key="revoked"))  # the revocation gate in rescue
    install(b, run, dev, package(b, 3, slot))


def rescue_strap(b: Bench, run: ScenarioRun, **_: Any) -> None:
    _rescue(b, run, "strap")


def rescue_uart(b: Bench, run: ScenarioRun, **_: Any) -> None:
    _rescue(b, run, "uart")


def bad_package(b: Bench, run: ScenarioRun, variant: str = "forged-signature", **_: Any) -> None:
    """Upload a bad-package variant (build 2, for the inactive slot), then reset."""
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev), variant=variant))
    if run.outcomes[-1] is Outcome.REJECT:
        reboot(b, dev)


def replay(b: Bench, run: ScenarioRun, build: int = 2, **_: Any) -> None:
    """Build 3 runs (floor 0); a validly signed older (or equal) build is offered."""
    dev = run.device = fresh(b, build=3)
    install(b, run, dev, package(b, build, target(dev)))


def below_floor_install(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b, build=3, floor=3)
    install(b, run, dev, package(b, 2, target(dev)))


def below_floor_boot(b: Bench, run: ScenarioRun, **_: Any) -> None:
    """Slot A holds build 1, validly signed, but the trust anchor's floor is 2."""
    run.device = b.make_device(factory_image(b.platform, b.firmware, build=1, floor=2))
    boot(b, run.device)


def revoked_key(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    slot = target(dev)
    install(b, run, dev, package(b, 2, slot, key="revoked"))
    enter_rescue(b, dev, "strap")
    install(b, run, dev, package(b, 2, slot, key="revoked"))
    reboot(b, dev)


# -- item 15: failures of every kind, classified ----------------------------------------------
def _part_rescue(b: Bench, run: ScenarioRun) -> None:
    dev = run.device = fresh(b)
    enter_rescue(b, dev, "strap")
    reboot(b, dev)


def _part_power_cut(b: Bench, run: ScenarioRun) -> None:
    """A power cut as the device reports STAGING (power_cut_update, plan armed in make_device)."""
    plan = parse_plan({"faults": [{"kind": "phase_cut", "phase": "staging"}]}, "cut-staging")
    injectors: list[FaultInjector] = []
    power_cut_update(with_plan(b, plan, 0, injectors), run)
    note_fired(run, injectors[0])


def _part_brownout(b: Bench, run: ScenarioRun, symbol: str | None = None) -> None:
    """A brownout as the device starts the metadata commit that sets PENDING (``PHASE
    name=meta_commit``; with ``symbol``: when the core first reaches that firmware function,
    e.g. ``meta_commit``, right before the commit's first erase): the supply sits at the
    monitor threshold for the platform's hold-up time, then the brownout reset. The device is
    left alone (no power cycle that would drop the pending reset) until it is back after the
    brownout reset (application or rescue)."""
    at = {"phase": "metadata_commit"} if symbol is None else {"symbol": symbol}
    plan = parse_plan({"faults": [{"kind": "brownout", "at": at}]}, "brownout-meta")
    dev = run.device = fresh(b)
    inj = FaultInjector(dev, plan)
    since = dev.mark()
    try:
        install(b, run, dev, package(b, 2, target(dev)))
    except HilError as exc:  # the reset may come in the middle of an SMP exchange
        run.notes.append(f"upload under the brownout: {type(exc).__name__}")
    seen = [False]

    def back(rec: Record) -> bool:
        """After the first brownout reset, the application (or rescue) is back."""
        if not isinstance(rec, Event):
            return False
        if seen[0]:
            return boot_settled(rec)
        seen[0] = brownout_reset(rec)
        return False

    timeout: DeviceTimeout | None = None
    try:
        dev.expect(back, RECOVERY_MS, since=since, what="a brownout reset and the device back")
    except DeviceTimeout as exc:
        timeout = exc
    note_fired(run, inj)
    if timeout is not None:
        raise timeout


CLASSIFY_PARTS: dict[str, Callable[[Bench, ScenarioRun], None]] = {
    "forged-signature": lambda b, r: bad_package(b, r, variant="forged-signature"),
    "tampered-manifest": lambda b, r: bad_package(b, r, variant="chunk-map"),
    "replay": lambda b, r: replay(b, r, build=2),
    "self-test-fail": lambda b, r: self_test_fail(b, r),
    "never-confirms": lambda b, r: never_confirms(b, r),
    "rescue-strap": _part_rescue,
    "power-cut-staging": _part_power_cut,
    "brownout-meta": _part_brownout,
}


def classify_failures(b: Bench, run: ScenarioRun, parts: str | None = None, **_: Any) -> None:
    """Item 15: each part (``CLASSIFY_PARTS``; ``parts`` = comma-separated subset) on a fresh
    device of ``b``; its events go to ``run.parts[name]``. A part that stops early keeps the
    evidence it has; the scenario then fails naming it."""
    names = list(CLASSIFY_PARTS) if parts is None else [n.strip() for n in parts.split(",")]
    stopped: list[str] = []
    for name in names:
        if name not in CLASSIFY_PARTS:
            raise UnknownNameError("classify part", name, list(CLASSIFY_PARTS))
        sub = ScenarioRun(name)
        try:
            CLASSIFY_PARTS[name](b, sub)
        except HilError as exc:
            sub.error = f"{type(exc).__name__}: {exc}"
            stopped.append(f"{name}: {sub.error}")
        run.parts[name] = sub.events
        run.device = run.device or sub.device
        run.outcomes += sub.outcomes
        run.notes += [f"{name}: {n}" for n in sub.notes]
    if stopped:
        raise HilError("part(s) stopped early: " + "; ".join(stopped))


SCENARIOS: dict[str, Callable[..., None]] = {
    "normal-update": normal_update,
    "two-releases": two_releases,
    "self-test-fail": self_test_fail,
    "never-confirms": never_confirms,
    "rescue-strap": rescue_strap,
    "rescue-uart": rescue_uart,
    "forged-signature": bad_package,
    "tampered-manifest": bad_package,
    "replay": replay,
    "below-floor-install": below_floor_install,
    "below-floor-boot": below_floor_boot,
    "revoked-key": revoked_key,
    "power-cut-update": power_cut_update,
    "resume-after-reboot": resume_after_reboot,
    "resume-over-bad-bytes": resume_over_bad_bytes,
    "classify": classify_failures,
    "at-rest": at_rest,
    "anchor-change": anchor_change,
    "geometry": geometry,
    "early-failure": early_failure,
    "trial-upload": trial_upload,
    # issue 10, brownout before a metadata erase: as the commit that sets PENDING starts
    "brownout-meta": lambda b, run, symbol="meta_commit", **_: _part_brownout(b, run, symbol),
}


def run_scenario(name: str, bench: Bench, **params: Any) -> ScenarioRun:
    """Run scenario ``name``; a harness-side failure is kept in ``error``, never raised."""
    if name not in SCENARIOS:
        raise UnknownNameError("scenario", name, list(SCENARIOS))
    run = ScenarioRun(name)
    try:
        SCENARIOS[name](bench, run, **params)
    except HilError as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    return run
