"""A target profile: one firmware under test, described as data (issue 12).

The profile says which chip runs the firmware, which files to load where, the flash areas, the
UARTs, the update route, the image format, the keys and which evidence routes judge it. The
matrix, the sweep, serve and replay take one; ``profiles/reference-<chip>.yaml`` is the
reference firmware's (today's default behaviour), ``profiles/swap-<chip>.yaml`` the second
reference target's (``firmware_stubs/swap``, ``docs/contract-swap.md``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Route(StrEnum):
    """The three evidence routes (docs/evidence-library.md, docs/contract-swap.md §5, §12)."""

    LIBRARY = "library"  # the firmware emits this project's evidence lines (EV ...)
    PATTERNS = "patterns"  # regexes with named groups turn the firmware's own log into events
    ORACLE = "oracle"  # flash, core and engine read from outside, without the firmware's help


class OracleCheck(StrEnum):
    """What the outside oracle can be asked to read (``evidence.oracle.checks``)."""

    IMAGE = "image"  # installed image by slot hash, running image by PC
    TRAILER = "trailer"  # MCUboot trailer decoded from flash
    REBOOT_LOOP = "reboot-loop"  # no stable run for ``stable_run_ms``
    RESET_CAUSE = "reset-cause"  # the chip's reset-cause register
    WRITE_GATING = "write-gating"  # flash ops the engine saw start below the monitor level


class FileKind(StrEnum):
    ELF = "elf"
    BIN = "bin"


class UpdateRouteKind(StrEnum):
    SMP = "smp"  # MCUmgr SMP over a UART: upload, image state-write, reset
    STAGED = "staged"  # the harness writes the update slot, then triggers
    LIBRARY = "ota-hil"  # the reference updater's own SMP route (contract-smp.md)


class TriggerKind(StrEnum):
    CONSOLE = "console"  # a console command
    STRAP = "strap"  # a strap pin / GPIO held at reset
    TRAILER = "trailer"  # the format's update flag (MCUboot trailer / wolfBoot "pBOOT"), a reset


class ImageFormatKind(StrEnum):
    MCUBOOT = "mcuboot"
    OTA_HIL = "ota-hil"
    WOLFBOOT = "wolfboot"


@dataclass(frozen=True)
class FirmwareFile:
    path: Path  # resolved against the profile's directory
    kind: FileKind
    role: str  # bootloader | application | image (free text, shown in reports)
    load: int | None  # absolute load address (required for bin; ELF: from its segments)

    def sha256(self) -> str:
        """The file's SHA-256 (hex); ``missing`` when the file does not exist (yet)."""
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return "missing"


@dataclass(frozen=True)
class FlashArea:
    name: str
    offset: int  # from the flash base
    size: int
    kind: str  # bootloader | slot | scratch | trailer | metadata | counter | log | keys


@dataclass(frozen=True)
class Uart:
    role: str  # platform role or peripheral name passed to Engine.serial()
    banner: str | None = None  # the first line the firmware prints after a reset


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    command: str | None = None  # console: the command line (without the newline)
    pin: str | None = None  # strap: the pin name of the platform


@dataclass(frozen=True)
class UpdateRoute:
    kind: UpdateRouteKind
    uart: str | None  # smp: the UART carrying SMP
    slot: str | None  # staged / smp: the area the package lands in
    trigger: Trigger | None  # staged only
    duration_ms: int  # a clean update takes about this long (virtual time)


@dataclass(frozen=True)
class McubootFormat:
    header_size: int
    align: int  # BOOT_MAX_ALIGN: the write unit of every trailer field
    max_sectors: int  # BOOT_MAX_IMG_SECTORS: status entries
    sector_size: int  # the swap's logical sector
    swap_mode: str  # move | scratch | overwrite-only
    erased: int  # the erased byte value of the flash
    primary: str  # area names
    secondary: str


@dataclass(frozen=True)
class WolfbootFormat:
    """``image.wolfboot``: the build's ``IMAGE_HEADER_SIZE`` and its two partitions (area
    names: ``boot`` = WOLFBOOT_PARTITION_BOOT_ADDRESS, ``update`` = ..._UPDATE_ADDRESS)."""

    header_size: int
    boot: str
    update: str


@dataclass(frozen=True)
class ImageFormat:
    kind: ImageFormatKind
    mcuboot: McubootFormat | None = None
    wolfboot: WolfbootFormat | None = None


@dataclass(frozen=True)
class Keys:
    signing: tuple[Path, ...]  # private keys that sign approved images (first: the default)
    revoked: tuple[Path, ...] = ()  # keys the firmware must refuse
    trust_anchor: str | None = None  # flash area holding the public keys, if any


# the failure classes of ota-requirements section 4, as ``hil.matrix.classify.FailureClass``
# spells them (tests/profile/test_profile.py checks they agree): a pattern may say which its
# event shows (``evidence.patterns[].class``), so item 15 can be proved from console patterns
FAILURE_CLASSES = ("state", "crypto/package", "storage/atomicity", "power/brownout")


@dataclass(frozen=True)
class Pattern:
    """A console pattern: ``regex`` (named groups become event fields) -> event ``event``;
    ``classes``: the failure classes an event of this pattern shows (none: not a failure)."""

    event: str
    regex: str
    src: str = "console"
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OracleConfig:
    checks: tuple[OracleCheck, ...]
    stable_run_ms: int  # a run this long without a reset counts as stable (reboot loops)
    fault_handlers: tuple[str, ...] = ()  # ELF symbols of fault handlers (PC inside = not running)


@dataclass(frozen=True)
class KeysArea:
    """``overrides.keys_area``: a key store the harness provisions before the first power-on
    (``file`` programmed at the start of flash area ``area``, which is then write-protected as
    the chip protects a provisioned key region)."""

    area: str
    file: Path


@dataclass(frozen=True)
class Overrides:
    """``overrides``: board facts that differ from the platform description. The loader checks
    each against the platform model and refuses what the model cannot honour."""

    clock_hz: int | None = None  # the core clock from reset (the clock-tree model's only)
    straps: tuple[tuple[str, int], ...] = ()  # (pin, level) held from power-on
    keys_area: KeysArea | None = None
    # "fault": a clock setting the chip's limits forbid raises a HardFault (the platform's
    # model); "record": it is recorded and reported only, for firmware known to run on silicon
    # through a brief violation (e.g. MSI raised before the flash wait states)
    clock_limits: str = "fault"

    def describe(self) -> list[str]:
        out = []
        if self.clock_hz is not None:
            out.append(f"core clock {self.clock_hz} Hz from reset")
        out += [f"strap {pin}={level} from power-on" for pin, level in self.straps]
        if self.keys_area is not None:
            out.append(f"keys area {self.keys_area.area} <- {self.keys_area.file.name}, protected")
        if self.clock_limits != "fault":
            out.append("clock-limit violations recorded, not faulted")
        return out


@dataclass(frozen=True)
class Profile:
    path: Path
    name: str
    chip: str
    overrides: Overrides
    firmware: tuple[FirmwareFile, ...]
    areas: tuple[FlashArea, ...]
    console: Uart
    mgmt: Uart | None
    update: UpdateRoute
    image: ImageFormat
    keys: Keys
    routes: tuple[Route, ...]
    patterns: tuple[Pattern, ...] = ()
    oracle: OracleConfig | None = None

    def area(self, name: str) -> FlashArea:
        for a in self.areas:
            if a.name == name:
                return a
        raise KeyError(name)

    def pattern_events(self) -> frozenset[str]:
        return frozenset(p.event for p in self.patterns)

    def failure_classes(self) -> dict[str, tuple[str, ...]]:
        """``{event: the failure classes its patterns declare}`` (events with none left out)."""
        out: dict[str, tuple[str, ...]] = {}
        for p in self.patterns:
            if p.classes:
                out[p.event] = tuple(dict.fromkeys((*out.get(p.event, ()), *p.classes)))
        return out

    def oracle_checks(self) -> frozenset[OracleCheck]:
        return frozenset(self.oracle.checks) if self.oracle else frozenset()

    def oracle_stable_ms(self) -> int:
        return self.oracle.stable_run_ms if self.oracle else 0

    def firmware_hashes(self) -> dict[str, str]:
        """``{file path as written relative to the profile: sha256}`` of every firmware file."""
        base = self.path.parent
        return {os.path.relpath(f.path, base): f.sha256() for f in self.firmware}

    def identity(self) -> dict[str, object]:
        """What reports and replay records carry: the profile and its firmware hashes."""
        try:
            text = self.path.read_bytes()
            digest = hashlib.sha256(text).hexdigest()
        except OSError:
            digest = "missing"
        return {
            "name": self.name,
            "file": str(self.path),
            "sha256": digest,
            "chip": self.chip,
            "firmware": self.firmware_hashes(),
        }
