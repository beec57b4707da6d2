"""The must-pass matrix (ota-requirements §5) as a declarative table.

Each item names the scenario that exercises it (``hil.matrix.scenarios``), the outcome the
device must reach, what its evidence must show, and the firmware mutation flag (contracts §8)
that plants the bug the item exists to catch. Items marked ``needs="faults"`` need the power-cut
and brownout fault injector of the next issue; they have no predicate yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from hil.errors import UnknownNameError


@dataclass(frozen=True)
class MatrixItem:
    number: int
    title: str
    scenarios: tuple[str, ...]  # scenario names in hil.matrix.scenarios
    expected: str  # CONFIRMED | REJECTED | ROLLBACK | RESCUE | CLASSIFIED
    evidence: str  # pass when the device's evidence shows this
    mutation: str | None = None  # MUT_* build flag under which the predicate must fail
    mutation_scenario: str | None = None  # the scenario that shows the mutation
    needs: str | None = None  # "faults": waits for the fault injector

    @property
    def ready(self) -> bool:
        return self.needs is None


ITEMS: tuple[MatrixItem, ...] = (
    MatrixItem(
        1,
        "A normal update",
        ("normal-update",),
        "CONFIRMED",
        "SLOT_TRANSITION DOWNLOADING..PENDING into the inactive slot, then BOOT_TEST and "
        "CONFIRMED, the new build running from the other slot, and still running it after a "
        "power cycle without another boot test",
        "MUT_NEVER_CONFIRM",
        "normal-update",
    ),
    MatrixItem(
        2,
        "Forced reboot during download, then resume",
        ("resume-after-reboot", "resume-over-bad-bytes"),
        "CONFIRMED",
        "a reboot (REBOOT_REASON) cuts the download into the inactive slot; the same upload "
        "then resumes (RESUME chunk=r) no later than right after the last verified chunk, the "
        "CHUNK indices from r to the last run once each, all ok, then VERIFY_SIG / "
        "PARSE_MANIFEST ok, PENDING, BOOT_TEST, CONFIRMED and the new build running; also when "
        "the chunk cut during its check was written with wrong bytes and the good package "
        "resumes over them (a later RESUME of the session judged like the first)",
        "MUT_RESUME_BEFORE_VERIFY",
        "resume-after-reboot",
    ),
    MatrixItem(
        3,
        "Two consecutive releases",
        ("two-releases", "trial-upload", "geometry"),
        "CONFIRMED",
        "each release is downloaded into the slot that is not running and confirmed there "
        "(B, then A); no RESCUE and no ROLLBACK, every boot runs an application",
        "MUT_SAME_SLOT",
        "two-releases",
    ),
    MatrixItem(
        4,
        "New image fails its self-test",
        ("self-test-fail",),
        "ROLLBACK",
        "BOOT_TEST attempt >= 1, ROLLBACK reason=self-test, then the last confirmed build boots "
        "from its slot, within the attempt bound",
        "MUT_NO_ROLLBACK",
        "self-test-fail",
    ),
    MatrixItem(
        5,
        "Rescue requested (strap/button/UART)",
        ("rescue-strap", "rescue-uart"),
        "RESCUE",
        "RESCUE cause=pin|strap|uart; inside rescue a forged package fails VERIFY_SIG, a "
        "package signed with a revoked key fails VERIFY_SIG error_code=key_revoked and a "
        "below-floor package fails PARSE_MANIFEST, none becomes PENDING",
        "MUT_RESCUE_NO_GATES",
        "rescue-strap",
    ),
    MatrixItem(
        6,
        "Package with a forged signature",
        ("forged-signature",),
        "REJECTED",
        "VERIFY_SIG result=fail from the updater and no SLOT_TRANSITION to=PENDING or "
        "BOOT_TEST after it",
        "MUT_SKIP_SIG",
        "forged-signature",
    ),
    MatrixItem(
        7,
        "Package with a tampered manifest",
        ("tampered-manifest", "anchor-change", "geometry"),
        "REJECTED",
        "PARSE_MANIFEST result=fail with a structured error_code, nothing PENDING after it",
        "MUT_SKIP_MANIFEST",
        "tampered-manifest",
    ),
    MatrixItem(
        8,
        "Replay of an older, validly signed package",
        ("replay",),
        "REJECTED",
        "PARSE_MANIFEST result=fail error_code=replay with the candidate build, nothing PENDING",
        "MUT_NO_REPLAY_CHECK",
        "replay",
    ),
    MatrixItem(
        9,
        "Image below the rollback floor",
        ("below-floor-install", "below-floor-boot", "anchor-change"),
        "REJECTED",
        "VERIFY_SIG result=ok then PARSE_MANIFEST result=fail error_code=below_floor build=b; "
        "no BOOT of build b",
        "MUT_FLOOR_LE",
        "below-floor-boot",
    ),
    MatrixItem(
        10,
        "Package signed with a revoked key",
        ("revoked-key", "anchor-change"),
        "REJECTED",
        "VERIFY_SIG result=fail error_code=key_revoked key_id=.. from the application's updater "
        "and from rescue; nothing PENDING after either",
        "MUT_ACCEPT_REVOKED",
        "revoked-key",
    ),
    MatrixItem(
        11,
        "Power cut at every phase (sweep)",
        ("power-cut-sweep", "at-rest"),
        "CONFIRMED",
        "after each cut (every metadata/evidence flash op and every 4th slot op torn, every op "
        "with --exhaustive; every phase event; seeded random instants): a "
        "CONFIRMED boot, metadata valid or recovered, nothing below the floor or unverified "
        "runs, PENDING images verify, outcome CONFIRMED/ROLLBACK/REJECT (RESCUE counted); a fault "
        "fired in every phase",
        "MUT_PENDING_BEFORE_HASH",
        "power-cut-sweep",
    ),
    MatrixItem(
        12,
        "Interruption during metadata update",
        ("meta-cut", "at-rest"),
        "CONFIRMED",
        "after every cut in a metadata write: META ok or recovered (recovered at least once), "
        "the same evidence when the point is run twice (deterministic slot choice)",
        "MUT_META_IN_PLACE",
        "meta-cut",
    ),
    MatrixItem(
        13,
        "Brownout near a write",
        ("brownout-write", "brownout-meta"),
        "CONFIRMED",
        "brownout at writes followed by another within the hold-up: REBOOT_REASON "
        "brownout_flag=1, WRITE_GATED, a confirmed image runs after it, META ok/recovered",
        "MUT_NO_BROWNOUT_GATING",
        "brownout-write",
    ),
    MatrixItem(
        14,
        "Pending image never confirms",
        ("never-confirms", "early-failure"),
        "ROLLBACK",
        "BOOT_TEST attempts 1..N (never beyond N), then ROLLBACK reason=attempts (or RESCUE), "
        "the last confirmed build boots",
        "MUT_NO_ATTEMPTS",
        "never-confirms",
    ),
    MatrixItem(
        15,
        "Any failure above",
        ("classify",),
        "CLASSIFIED",
        "every failure episode in each part's evidence (signature, manifest, replay, self-test, "
        "never confirms, rescue, power cut, brownout) falls into state / crypto-package / "
        "storage-atomicity / power, and each part into the class of what was done to it",
    ),
)

# Mutation flags of contracts §8 without an item of their own; the item whose scenario shows it.
EXTRA_MUTATIONS: dict[str, tuple[int, str]] = {
    # the floor raised before the boot test: the rolled-back (older) image is then below the
    # floor, so the last confirmed build cannot boot after a failed self-test
    "MUT_FLOOR_BEFORE_CONFIRM": (4, "self-test-fail"),
    # rescue loads the anchor's keys without their revocation flags: item 5's rescue cases
    # offer a package signed with a revoked key (item 10 catches it too)
    "MUT_RESCUE_NO_REVOCATION": (5, "rescue-strap"),
}


def item(number: int) -> MatrixItem:
    for it in ITEMS:
        if it.number == number:
            return it
    raise UnknownNameError("matrix item", str(number), [str(i.number) for i in ITEMS])
