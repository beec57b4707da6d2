"""The matrix items for a firmware described by a target profile, judged only from its
profile's routes: console patterns (events named by the profile) and the outside oracle
(events of source ``oracle``). Works for MCUboot-style targets with an SMP update route
(the swap reference target, docs/contract-swap.md).

Each scenario builds its images with the profile's keys, drives the device through the
profile's update route and returns the evidence; each predicate checks every route the
profile has for the item (``hil.matrix.proofs``): both must agree, either failing fails it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from smpclient import SMPClient

from hil.errors import Interrupted
from hil.evidence.event import Event
from hil.image import wolfboot
from hil.matrix import profile_cuts
from hil.matrix.profile_cuts import Images
from hil.matrix.proofs import provable
from hil.oracle.image import installed_image
from hil.profile.model import Profile, Route
from hil.record import write_record
from hil.report.compliance import CaseResult
from hil.target.device import ProfileTarget, sign
from hil.target.route import deliver

CUT_POINTS = 8  # power-cut points of item 11 (item 12: half of them, in trailer writes)
SELF_TEST_TLV = 0xA8  # contract-swap.md §6: 1 fail, 2 hang, 3 never confirms


def _forge(image: bytes) -> bytes:
    """Change one payload byte and recompute the SHA256 TLV: the hash then matches, the
    signature (over the old hash) does not verify."""
    import hashlib
    import struct

    if image[:4] == b"WOLF":
        return wolfboot.forge(image)
    hdr = struct.unpack_from("<H", image, 8)[0]
    prot = struct.unpack_from("<H", image, 10)[0]
    size = struct.unpack_from("<I", image, 12)[0]
    data = bytearray(image)
    data[hdr + size // 2] ^= 0x01
    digest = hashlib.sha256(bytes(data[: hdr + size + prot])).digest()
    pos = hdr + size + prot + 4
    while pos + 4 <= len(data):
        tag, length = struct.unpack_from("<HH", data, pos)
        if tag == 0x10:
            data[pos + 4 : pos + 4 + length] = digest
            break
        pos += 4 + length
    return bytes(data)


def make_images(profile: Profile, work: Path) -> Images:
    def mk(name: str, version: str, cnt: int | None, **kw: object) -> bytes:
        return sign(profile, version, cnt, work / f"{name}.bin", **kw)  # type: ignore[arg-type]

    v2 = mk("v2", "1.1.0+2", 2)
    return Images(
        v1=mk("v1", "1.0.0+1", 1),
        v2=v2,
        v3=mk("v3", "1.2.0+3", 3),
        old=mk("old", "0.9.0+0", 1),
        low_cnt=mk("low", "2.0.0+4", 0),
        revoked=mk("revoked", "1.1.0+2", 2, key=profile.keys.revoked[0])
        if profile.keys.revoked
        else None,
        forged=_forge(v2),
        fail=mk("fail", "1.1.0+2", 2, tlvs={SELF_TEST_TLV: (1).to_bytes(4, "little")}),
        never=mk("never", "1.1.0+2", 2, tlvs={SELF_TEST_TLV: (3).to_bytes(4, "little")}),
    )


@dataclass
class Run:
    target: ProfileTarget | None
    evidence: list[Event]
    steps: list[str]


def _factory(profile: Profile, images: Images, seed: int) -> ProfileTarget:
    t = ProfileTarget(profile, seed=seed)
    t.install_factory(images.v1, "v1")
    for label in ("v2", "v3"):
        t.approve(label, getattr(images, label))
    t.power_on()
    t.run(300)
    return t


def _settle(t: ProfileTarget, ms: int) -> None:
    """Run long enough for a test boot, a possible watchdog revert and a stable run."""
    t.run(ms)


def scenario_update(profile: Profile, images: Images, seed: int, image: str) -> Run:
    t = _factory(profile, images, seed)
    start = len(t.log)
    steps = ["factory image v1 in the primary slot, power on"]
    try:
        steps.append(deliver(t, getattr(images, image)))
    except Exception as e:  # the device may refuse an upload: that is evidence, not a crash
        steps.append(f"update refused: {type(e).__name__}: {e}")
    _settle(t, profile.update.duration_ms + profile.oracle_stable_ms())
    if image == "never":  # the watchdog bound, then the revert and a stable run
        _settle(t, profile.oracle_stable_ms())
    if image in ("v2", "v3"):
        t.engine.power_off()
        t.engine.power_on()
        steps.append("power cycle")
        _settle(t, max(1000, profile.oracle_stable_ms()))
    return Run(t, t.evidence(start), steps)


def scenario_two_releases(profile: Profile, images: Images, seed: int) -> Run:
    t = _factory(profile, images, seed)
    start = len(t.log)
    steps = ["factory image v1, power on", deliver(t, images.v2)]
    _settle(t, profile.update.duration_ms + 500)
    steps.append(deliver(t, images.v3))
    _settle(t, profile.update.duration_ms + profile.oracle_stable_ms())
    return Run(t, t.evidence(start), steps)


def scenario_brownout(profile: Profile, images: Images, seed: int) -> Run:
    t = _factory(profile, images, seed)
    start = len(t.log)
    steps = ["factory image v1, power on", deliver(t, images.v2)]
    t.run_until("I: Starting swap using move algorithm.", 2000, start)
    t.run(100)
    low = t.platform.supply.reset_mv + 200
    t.oracle.set_supply_mv(low, low=True)
    steps.append(f"supply {low} mV (below the monitor level, above reset) for 1200 ms")
    t.run(1200)
    t.oracle.set_supply_mv(t.platform.supply.nominal_mv, low=False)
    steps.append("supply nominal")
    _settle(t, profile.update.duration_ms + profile.oracle_stable_ms())
    return Run(t, t.evidence(start), steps)


def scenario_rescue(profile: Profile, images: Images, seed: int) -> Run:
    """Rescue by the strap pin: a revoked and a forged upload are refused in recovery; the
    strap released, the factory image boots unchanged."""
    t = ProfileTarget(profile, seed=seed)
    t.install_factory(images.v1, "v1")
    t.engine.set_pin("rescue", 1)
    t.power_on()
    t.run(500)
    steps = ["factory image v1, rescue strap held, power on"]
    for name in ("revoked", "forged"):
        image = getattr(images, name)
        if image is None:
            continue

        async def body(c: SMPClient, image: bytes = image) -> str:
            try:
                async for _ in c.upload(image):
                    pass
            except Exception as e:  # the refusal is the device's answer
                return f"refused ({type(e).__name__})"
            return "accepted"

        steps.append(f"recovery upload of the {name} image: {t.smp(body)}")
    t.engine.set_pin("rescue", 0)
    t.engine.power_off()
    t.engine.power_on()
    steps.append("strap released, power cycle")
    t.run(1000 + profile.oracle_stable_ms())
    return Run(t, t.evidence(0), steps)


# item 15: failures whose class the spec fixes (section 4), each run alone; the harness knows
# the expected class only to check the classifier, which reads the console events alone
CLASSIFY_EPISODES = (
    ("forged", "crypto/package"),
    ("fail", "state"),
    ("brownout", "power/brownout"),
)


def classify_events(profile: Profile, evs: list[Event]) -> tuple[list[str], list[str]]:
    """(the failure classes the console events show, the events that showed them), from the
    classes the profile's patterns declare."""
    table = profile.failure_classes()
    classes: list[str] = []
    shown: list[str] = []
    for e in evs:
        if e.src != "oracle" and e.name in table:
            classes += [c for c in table[e.name] if c not in classes]
            shown.append(e.name)
    return classes, list(dict.fromkeys(shown))


def scenario_classify(profile: Profile, images: Images, seed: int) -> Run:
    out: list[Event] = []
    steps: list[str] = []
    last: ProfileTarget | None = None
    for name, expect in CLASSIFY_EPISODES:
        run = scenario_brownout(profile, images, seed) if name == "brownout" else (
            scenario_update(profile, images, seed, name))  # fmt: skip
        last = run.target
        classes, shown = classify_events(profile, run.evidence)
        fields = (("episode", name), ("expect", expect), ("classes", ",".join(classes) or "none"),
                  ("from", ",".join(shown) or "none"))  # fmt: skip
        raw = "classifier CLASSIFIED " + " ".join(f"{k}={v}" for k, v in fields)
        out.append(Event(len(out), "classifier", "CLASSIFIED", fields, raw))
        steps.append(f"{name} image: {' / '.join(run.steps)} -> {raw}")
    return Run(last, out, steps)


def every_failure_classified(evs: list[Event]) -> list[str]:
    got = [e for e in evs if e.name == "CLASSIFIED"]
    if not got:
        return ["patterns: no failure episode was run"]
    bad = [e.raw for e in got if e["expect"] not in (e.get("classes") or "").split(",")]
    return [f"patterns: failure(s) not classified as expected: {bad}"] if bad else []


def scenario_cuts(trailer_only: bool, n: int) -> Callable[[Profile, Images, int], Run]:
    def scenario(profile: Profile, images: Images, seed: int) -> Run:
        t, evs, steps = profile_cuts.sweep(
            profile, images, seed, deliver, trailer_only=trailer_only, n=n, twice=trailer_only
        )
        return Run(t, evs, steps)

    return scenario


# -- predicates --------------------------------------------------------------------------------


def _oracle(evs: list[Event], name: str) -> Event | None:
    found = [e for e in evs if e.src == "oracle" and e.name == name]
    return found[-1] if found else None


def _pat(evs: list[Event], name: str) -> list[Event]:
    return [e for e in evs if e.src != "oracle" and e.name == name]


Check = Callable[[list[Event]], list[str]]  # failures


def runs(label: str) -> Check:
    def check(evs: list[Event]) -> list[str]:
        inst, run = _oracle(evs, "INSTALLED"), _oracle(evs, "RUNNING")
        bad = []
        if inst is None or inst["image"] != label:
            bad.append(f"oracle: primary slot holds {inst and inst['image']}, expected {label}")
        if run is None or run["image"] != label:
            bad.append(f"oracle: the PC runs {run and run['image']}, expected {label}")
        loop = _oracle(evs, "REBOOT_LOOP")
        if loop is not None and loop["loop"] == "yes":
            bad.append("oracle: reboot loop (no stable run)")
        return bad

    return check


def confirmed_trailer(evs: list[Event]) -> list[str]:
    """The installed image is confirmed in flash: wolfBoot's boot partition in state success,
    or MCUboot's primary trailer with image_ok set."""
    wb = [e for e in evs if e.src == "oracle" and e.name == "PARTITION_STATE"]
    boot = [e for e in wb if e.get("role") == "boot"]
    if wb:
        if not boot or boot[0]["state"] != "success":
            return [f"oracle: boot partition not confirmed ({boot and boot[0].raw})"]
        return []
    t = [e for e in evs if e.src == "oracle" and e.name == "TRAILER"]
    prim = [e for e in t if e.get("area") == "primary"]
    if not prim or prim[0]["image_ok"] != "set":
        return [f"oracle: primary trailer not confirmed ({prim and prim[0].raw})"]
    return []


def no_gating_violation(evs: list[Event]) -> list[str]:
    v = [e.raw for e in evs if e.src == "oracle" and e.name == "GATING_VIOLATION"]
    return [f"oracle: flash operations started below the monitor level: {v[:3]}"] if v else []


def seen(name: str, *, if_captured: bool = False, **fields: str) -> Check:
    """An event ``name`` whose fields contain these values; ``if_captured``: a field the
    profile's pattern does not capture (e.g. stock MCUboot's "Image in the secondary slot is
    not valid!" names no reason) is not required."""

    def check(evs: list[Event]) -> list[str]:
        for e in _pat(evs, name):
            if all(
                fields[k] in (e.get(k) or "") or (if_captured and e.get(k) is None) for k in fields
            ):
                return []
        want = " ".join(f"{k}~{v}" for k, v in fields.items())
        return [f"patterns: no {name} {want}".rstrip()]

    return check


def absent(name: str) -> Check:
    def check(evs: list[Event]) -> list[str]:
        got = _pat(evs, name)
        return [f"patterns: unexpected {name}: {got[0].raw}"] if got else []

    return check


def before(first: str, then: str) -> Check:
    """``then`` never comes before the first ``first`` (e.g. no confirm before a failure)."""

    def check(evs: list[Event]) -> list[str]:
        pat = [e for e in evs if e.src != "oracle"]
        i = next((k for k, e in enumerate(pat) if e.name == first), None)
        j = next((k for k, e in enumerate(pat) if e.name == then), None)
        if j is not None and (i is None or j < i):
            return [f"patterns: {then} before {first}"]
        return []

    return check


def boot_test_confirmed(evs: list[Event]) -> list[str]:
    if not any("on test" in (e.get("state") or "") for e in _pat(evs, "BOOT_TEST")):
        return ["patterns: no boot test of the new image"]
    return []


@dataclass(frozen=True)
class ProfileCase:
    item: int
    name: str
    scenario: Callable[[Profile, Images, int], Run]
    patterns: tuple[Check, ...]
    oracle: tuple[Check, ...]
    # pattern checks that apply only when the profile captures the event (item 11: a resumed
    # swap after a cut; an overwrite-only bootloader has none to report)
    if_captured: tuple[tuple[str, Check], ...] = ()


def watchdog_reset(evs: list[Event]) -> list[str]:
    if not any(
        e.get("cause") == "watchdog" for e in evs if e.src == "oracle" and e.name == "RESET"
    ):
        return ["oracle: no watchdog reset of the image that never confirms"]
    return []


def _upd(image: str) -> Callable[[Profile, Images, int], Run]:
    return lambda p, i, s: scenario_update(p, i, s, image)


CASES: tuple[ProfileCase, ...] = (
    ProfileCase(1, "normal-update", _upd("v2"),
                (seen("UPGRADE"), boot_test_confirmed, seen("CONFIRMED")),
                (runs("v2"), confirmed_trailer)),
    ProfileCase(3, "two-releases", scenario_two_releases,
                (seen("UPGRADE"), seen("CONFIRMED"), absent("ROLLBACK")), (runs("v3"),)),
    ProfileCase(4, "self-test-fail", _upd("fail"),
                (seen("SELF_TEST_FAIL", how="failed"), before("SELF_TEST_FAIL", "CONFIRMED"),
                 seen("ROLLBACK")), (runs("v1"),)),
    ProfileCase(5, "rescue-strap", scenario_rescue,
                (seen("RESCUE", cause="strap"), seen("RECOVERY_REJECTED"),
                 absent("RECOVERY_ACCEPTED")), (runs("v1"),)),
    ProfileCase(6, "forged-signature", _upd("forged"),
                (seen("REJECTED", if_captured=True, reason="bad signature"), absent("UPGRADE")),
                (runs("v1"),)),
    ProfileCase(8, "replay", _upd("old"), (seen("DOWNGRADE"), absent("UPGRADE")), (runs("v1"),)),
    ProfileCase(9, "below-floor-install", _upd("low_cnt"),
                (seen("BELOW_FLOOR"), absent("UPGRADE")), (runs("v1"),)),
    ProfileCase(10, "revoked-key", _upd("revoked"),
                (seen("REJECTED", reason="revoked key"), absent("UPGRADE")), (runs("v1"),)),
    ProfileCase(11, "power-cut-sweep", scenario_cuts(False, CUT_POINTS),
                (), (profile_cuts.every_cut_recovers,),
                (("RESUME", profile_cuts.some_resumed),)),
    ProfileCase(12, "meta-cut", scenario_cuts(True, CUT_POINTS // 2),
                (), (profile_cuts.every_cut_recovers, profile_cuts.same_twice)),
    ProfileCase(13, "brownout-write", scenario_brownout,
                (seen("WRITE_GATED"), seen("RESUME"), seen("CONFIRMED")),
                (no_gating_violation, runs("v2"))),
    ProfileCase(14, "never-confirms", _upd("never"),
                (seen("SELF_TEST_FAIL", how="never confirms"), seen("ROLLBACK"),
                 absent("CONFIRMED")), (runs("v1"), watchdog_reset)),
    ProfileCase(15, "classify-failures", scenario_classify, (every_failure_classified,), ()),
)  # fmt: skip


# The swap target's planted bugs (docs/contract-swap.md §9) and the case that must fail under
# each; ``tests/profile/test_profile_mutations.py`` builds each and checks it is caught.
MUTATIONS: dict[str, tuple[int, str]] = {
    "SWAP_MUT_BOOT_OLD_IMAGE": (1, "normal-update"),
    "SWAP_MUT_SKIP_SIG": (6, "forged-signature"),
    "SWAP_MUT_NO_REVERT": (4, "self-test-fail"),
    "SWAP_MUT_NO_STATUS": (11, "power-cut-sweep"),
    "SWAP_MUT_ACCEPT_DOWNGRADE": (8, "replay"),
    "SWAP_MUT_IGNORE_SEC_CNT": (9, "below-floor-install"),
    "SWAP_MUT_ACCEPT_REVOKED": (10, "revoked-key"),
    "SWAP_MUT_NO_BROWNOUT_GATING": (13, "brownout-write"),
    "SWAP_MUT_NO_WATCHDOG": (14, "never-confirms"),
    "SWAP_MUT_RECOVERY_NO_CHECKS": (5, "rescue-strap"),
    "SWAP_MUT_CONFIRM_BEFORE_TEST": (4, "self-test-fail"),
}


def case(item: int, name: str) -> ProfileCase:
    return next(c for c in CASES if (c.item, c.name) == (item, name))


def judge(case: ProfileCase, profile: Profile, evs: list[Event]) -> list[str]:
    """Reasons: ``ok: ...`` lines for passed routes, failures otherwise."""
    out: list[str] = []
    captured = profile.pattern_events()
    extra = tuple(check for event, check in case.if_captured if event in captured)
    routes = (
        (Route.PATTERNS, case.patterns + extra),
        (Route.ORACLE, case.oracle),
    )
    for route, checks in routes:
        if route not in profile.routes or not checks:
            continue
        bad = [b for c in checks for b in c(evs)]
        out += bad or [f"ok: {route.value}: {len(checks)} check(s)"]
    return out


def run_case(case: ProfileCase, profile: Profile, seed: int = 1) -> tuple[bool, list[str], Run]:
    with tempfile.TemporaryDirectory(prefix="hil-profile-") as d:
        images = make_images(profile, Path(d))
        if case.name == "revoked-key" and images.revoked is None:
            return False, ["the profile lists no revoked key"], Run(None, [], [])
        run = case.scenario(profile, images, seed)
    reasons = judge(case, profile, run.evidence)
    return all(r.startswith("ok:") for r in reasons), reasons, run


def installed_version(t: ProfileTarget) -> str | None:
    """The installed image's version from its header (MCUboot primary / wolfBoot boot)."""
    fmt = t.profile.image
    name = fmt.wolfboot.boot if fmt.wolfboot else fmt.mcuboot.primary if fmt.mcuboot else None
    if name is None:
        return None
    a = t.profile.area(name)
    img = installed_image(fmt, t.engine.flash_read(t.platform.flash.base + a.offset, a.size))
    return img.version if img else None


class ProfileMatrixInterrupted(Interrupted):
    """``run_profile_matrix`` was interrupted: ``done`` and ``not_provable`` hold what was
    decided before the stop, ``during`` names the case that was running."""

    def __init__(
        self,
        why: str,
        done: list[CaseResult],
        not_provable: dict[tuple[int, str], str],
        during: str,
    ) -> None:
        super().__init__(why)
        self.why = why
        self.done = done
        self.not_provable = not_provable
        self.during = during


def _run_one(
    profile: Profile, case: ProfileCase, number: int, seed: int, evidence_dir: Path
) -> CaseResult:
    """Run one case, keep its evidence and replay record; its result."""
    from hil.matrix.profile_replay import events_jsonl, profile_record

    ok, reasons, run = run_case(case, profile, seed)
    d = evidence_dir / profile.chip / f"item{number}-{case.name}"
    d.mkdir(parents=True, exist_ok=True)
    log = d / "console.log"
    log.write_text(run.target.log if run.target is not None else "", encoding="utf-8")
    (d / "events.jsonl").write_text(events_jsonl(run.evidence), encoding="utf-8")
    record = write_record(profile_record(profile, case, seed, run), d / "replay.json")
    return CaseResult(
        item=number,
        platform=profile.chip,
        engine="unicorn",
        scenario=case.name,
        passed=ok,
        reasons=reasons,
        evidence_path=str(d / "events.jsonl"),
        replay=f"hil replay {record}",
        duration_instructions=None if run.target is None else run.target.engine.instructions,
        attachments={"console": str(log), "replay record": str(record)},
        steps=tuple(run.steps),
    )


def run_profile_matrix(
    profile: Profile,
    items: list[int],
    evidence_dir: Path,
    *,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[CaseResult], dict[tuple[int, str], str]]:
    """Every selected item on the profile's chip: provable items run their case (evidence kept
    under ``evidence_dir/<chip>/item<N>-<name>/``); the others come back as not provable with
    the reason. A provable item without a case here is left out (the report says "not run").
    Each case writes a replay record (``replay.json``: ``hil replay`` re-runs it)."""
    results: list[CaseResult] = []
    not_provable: dict[tuple[int, str], str] = {}
    between = f"the step between two cases on {profile.chip}"
    during = between
    try:
        for number in items:
            proof, why = provable(number, profile)
            if proof is None:
                not_provable[(number, profile.chip)] = why
                if progress:
                    progress(f"{profile.chip} item {number}: NOT PROVABLE with this profile: {why}")
                continue
            for case in (c for c in CASES if c.item == number):
                during = f"{profile.chip} item {number} {case.name}"
                results.append(_run_one(profile, case, number, seed, evidence_dir))
                during = between
                if progress:
                    verdict = "PASS" if results[-1].passed else "FAIL"
                    progress(f"{profile.chip} item {number} {case.name} ... {verdict}")
                    for r in results[-1].reasons:
                        if not r.startswith("ok:"):
                            progress(f"    {r}")
    except KeyboardInterrupt as exc:  # SIGINT/SIGTERM, wherever it lands: keep what finished
        raise ProfileMatrixInterrupted(
            str(exc) or "interrupted", results, not_provable, during
        ) from exc
    return results, not_provable
