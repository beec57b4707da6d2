"""The strict target-profile loader: every error is one ``ProfileError`` line naming the file,
the dotted field, what was expected and what was found (``hil.errors.FieldError``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from hil.errors import FieldError, UnknownNameError
from hil.platform import known_platforms, load_platform
from hil.platform.fields import show
from hil.platform.model import Platform
from hil.profile.model import (
    FAILURE_CLASSES,
    FileKind,
    FirmwareFile,
    FlashArea,
    ImageFormat,
    ImageFormatKind,
    Keys,
    KeysArea,
    McubootFormat,
    OracleCheck,
    OracleConfig,
    Overrides,
    Pattern,
    Profile,
    Route,
    Trigger,
    TriggerKind,
    Uart,
    UpdateRoute,
    UpdateRouteKind,
    WolfbootFormat,
)

SCHEMA_VERSION = 1
AREA_KINDS = ("bootloader", "slot", "scratch", "trailer", "metadata", "counter", "log", "keys")
SWAP_MODES = ("move", "scratch", "overwrite-only")
OVERRIDES = ("clock_hz", "clock_limits", "straps", "keys_area")
CLOCK_LIMITS = ("fault", "record")  # overrides.clock_limits (Overrides.clock_limits)
EVENT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class ProfileError(FieldError):
    """A target profile is missing, malformed or inconsistent."""


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, expected: str, found: str) -> ProfileError:
        return ProfileError(str(self.path), field, expected, found)

    def mapping(
        self,
        field: str,
        value: object,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise self.fail(field, "a mapping", show(value))
        for key in value:
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                raise self.fail(
                    f"{field}.{key}".lstrip("."), f"one of the keys {allowed}", "an unknown key"
                )
        for key in required:
            if key not in value:
                raise self.fail(f"{field}.{key}".lstrip("."), "a value", "nothing (missing)")
        return value

    def names(self, field: str, value: object) -> Mapping[str, object]:
        """A mapping of free names (flash areas) to values."""
        if not isinstance(value, dict):
            raise self.fail(field, "a mapping", show(value))
        return value

    def text(self, field: str, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(field, "non-empty text", show(value))
        return value

    def integer(self, field: str, value: object, lo: int = 0, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, "an integer", show(value))
        if value < lo or (hi is not None and value > hi):
            rng = f">= {lo}" if hi is None else f"{lo}..{hi}"
            raise self.fail(field, f"an integer {rng}", str(value))
        return value

    def choice(self, field: str, value: object, choices: tuple[str, ...] | list[str]) -> str:
        if value not in choices:
            raise self.fail(field, "one of " + ", ".join(choices), show(value))
        return str(value)

    def seq(self, field: str, value: object, min_len: int = 0) -> list[object]:
        if not isinstance(value, list) or len(value) < min_len:
            raise self.fail(field, f"a list of at least {min_len}", show(value))
        return value

    def file(self, field: str, value: object) -> Path:
        text = self.text(field, value)
        p = Path(text)
        return p if p.is_absolute() else (self.path.parent / p).resolve()


def load_profile(path: str | Path) -> Profile:
    """Read and check a target profile; raises ``ProfileError`` (one line) on any problem."""
    p = Path(path)
    r = _Reader(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise r.fail("(file)", "a readable YAML file", e.strerror or str(e)) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "the file"
        raise r.fail("(file)", "valid YAML", f"a syntax error at {where}") from None
    return parse_profile(doc, p)


def parse_profile(doc: object, path: Path) -> Profile:
    r = _Reader(path)
    m = r.mapping(
        "",
        doc,
        ("profile", "name", "chip", "firmware", "flash_areas", "console", "update", "image",
         "keys", "evidence"),
        ("overrides", "mgmt"),
    )  # fmt: skip
    if m["profile"] != SCHEMA_VERSION:
        raise r.fail("profile", f"the schema version {SCHEMA_VERSION}", show(m["profile"]))
    chip = r.text("chip", m["chip"])
    known = known_platforms(layouts=True)  # a chip, or one of its other layouts
    if chip not in known:
        raise r.fail("chip", "a platform: " + ", ".join(known), repr(chip))
    platform = load_platform(chip)
    areas = _areas(r, m["flash_areas"], platform)
    names = {a.name for a in areas}
    overrides = _overrides(r, m.get("overrides", {}), platform, areas)
    image = _image(r, m["image"], names)
    routes, patterns, oracle = _evidence(r, m["evidence"])
    return Profile(
        path=path.resolve(),
        name=r.text("name", m["name"]),
        chip=chip,
        overrides=overrides,
        firmware=_firmware(r, m["firmware"]),
        areas=areas,
        console=_uart(r, "console", m["console"]),
        mgmt=_uart(r, "mgmt", m["mgmt"]) if "mgmt" in m else None,
        update=_update(r, m["update"], names),
        image=image,
        keys=_keys(r, m["keys"], names),
        routes=routes,
        patterns=patterns,
        oracle=oracle,
    )


def _firmware(r: _Reader, value: object) -> tuple[FirmwareFile, ...]:
    out: list[FirmwareFile] = []
    for i, v in enumerate(r.seq("firmware", value, 1)):
        f = f"firmware[{i}]"
        e = r.mapping(f, v, ("file", "role"), ("load",))
        path = r.file(f"{f}.file", e["file"])
        suffix = path.suffix.lower()
        if suffix not in (".elf", ".bin"):
            raise r.fail(f"{f}.file", "an .elf or .bin file", repr(path.name))
        kind = FileKind.ELF if suffix == ".elf" else FileKind.BIN
        load = r.integer(f"{f}.load", e["load"]) if "load" in e else None
        if kind is FileKind.BIN and load is None:
            raise r.fail(f"{f}.load", "the load address of a .bin file", "nothing (missing)")
        out.append(FirmwareFile(path, kind, r.text(f"{f}.role", e["role"]), load))
    return tuple(out)


def _overrides(
    r: _Reader, value: object, platform: Platform, areas: tuple[FlashArea, ...]
) -> Overrides:
    """Each override checked against what the platform model can honour (one-line errors)."""
    m = r.mapping("overrides", value, (), OVERRIDES)
    clock: int | None = None
    if "clock_hz" in m:
        clock = r.integer("overrides.clock_hz", m["clock_hz"], 1)
        if clock != platform.core.clock_hz:
            # the clock-tree model (RCC / SYSCON) derives the core clock from its registers'
            # reset values at every reset and register write: another reset clock would be
            # silently undone, so it is refused
            raise r.fail(
                "overrides.clock_hz",
                f"the core clock the {platform.name} clock-tree model starts from reset "
                f"({platform.core.clock_hz} Hz; the firmware sets any other clock itself)",
                str(clock),
            )
    limits = "fault"
    if "clock_limits" in m:
        limits = r.choice("overrides.clock_limits", m["clock_limits"], list(CLOCK_LIMITS))
    straps: list[tuple[str, int]] = []
    pins = strap_pins(platform)
    for pin, level in r.names("overrides.straps", m.get("straps", {})).items():
        f = f"overrides.straps.{pin}"
        if pin not in pins:
            known = ", ".join(pins) or "none"
            raise r.fail(f, f"a pin the {platform.name} model drives ({known})", repr(pin))
        straps.append((str(pin), r.integer(f, level, 0, 1)))
    keys_area: KeysArea | None = None
    if "keys_area" in m:
        k = r.mapping("overrides.keys_area", m["keys_area"], ("area", "file"))
        name = r.choice("overrides.keys_area.area", k["area"], sorted(a.name for a in areas))
        file = r.file("overrides.keys_area.file", k["file"])
        area = next(a for a in areas if a.name == name)
        try:
            size = file.stat().st_size
        except OSError as e:
            raise r.fail("overrides.keys_area.file", "a readable key-store file",
                         e.strerror or str(e)) from None  # fmt: skip
        if size > area.size:
            raise r.fail(
                "overrides.keys_area.file",
                f"at most {area.size} bytes (the size of area {name})",
                f"{size} bytes",
            )
        keys_area = KeysArea(name, file)
    return Overrides(clock, tuple(straps), keys_area, limits)


def strap_pins(platform: Platform) -> tuple[str, ...]:
    """The input pins the platform models (``params.pins`` of its GPIO blocks)."""
    out: list[str] = []
    for p in platform.peripherals:
        pins = p.params.get("pins")
        if isinstance(pins, Mapping):
            out += [str(n) for n in pins]
    return tuple(sorted(set(out)))


def _areas(r: _Reader, value: object, platform: Platform) -> tuple[FlashArea, ...]:
    m = r.names("flash_areas", value)
    if not m:
        raise r.fail("flash_areas", "at least one area", "an empty mapping")
    out: list[FlashArea] = []
    for name, v in m.items():
        f = f"flash_areas.{name}"
        a = r.mapping(f, v, ("offset", "size", "kind"))
        out.append(
            FlashArea(
                str(name),
                r.integer(f"{f}.offset", a["offset"]),
                r.integer(f"{f}.size", a["size"], 1),
                r.choice(f"{f}.kind", a["kind"], AREA_KINDS),
            )
        )
    flash = platform.flash.size
    for fa in out:
        if fa.offset + fa.size > flash:
            raise r.fail(
                f"flash_areas.{fa.name}",
                f"an area inside the {platform.name} flash (0x{flash:x} bytes)",
                f"0x{fa.offset:x}..0x{fa.offset + fa.size:x}",
            )
    ordered = sorted(out, key=lambda a: a.offset)
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        if cur.offset < prev.offset + prev.size:
            raise r.fail(
                f"flash_areas.{cur.name}.offset",
                f"an offset >= 0x{prev.offset + prev.size:x} (the end of {prev.name})",
                f"0x{cur.offset:x}",
            )
    return tuple(out)


def _uart(r: _Reader, field: str, value: object) -> Uart:
    m = r.mapping(field, value, ("uart",), ("banner",))
    banner = r.text(f"{field}.banner", m["banner"]) if "banner" in m else None
    return Uart(r.text(f"{field}.uart", m["uart"]), banner)


def _update(r: _Reader, value: object, areas: set[str]) -> UpdateRoute:
    m = r.mapping("update", value, ("route", "slot", "duration_ms"), ("uart", "trigger"))
    kind = UpdateRouteKind(r.choice("update.route", m["route"], [k.value for k in UpdateRouteKind]))
    slot = r.choice("update.slot", m["slot"], sorted(areas))
    uart = r.text("update.uart", m["uart"]) if "uart" in m else None
    if kind is UpdateRouteKind.SMP and uart is None:
        raise r.fail("update.uart", "the UART carrying SMP (route smp)", "nothing (missing)")
    trigger: Trigger | None = None
    if kind is UpdateRouteKind.STAGED:
        if "trigger" not in m:
            raise r.fail("update.trigger", "a trigger (route staged)", "nothing (missing)")
        t = r.mapping("update.trigger", m["trigger"], ("kind",), ("command", "pin"))
        tk = TriggerKind(r.choice("update.trigger.kind", t["kind"], [k.value for k in TriggerKind]))
        command = r.text("update.trigger.command", t["command"]) if "command" in t else None
        pin = r.text("update.trigger.pin", t["pin"]) if "pin" in t else None
        if tk is TriggerKind.CONSOLE and command is None:
            raise r.fail("update.trigger.command", "a console command", "nothing (missing)")
        if tk is TriggerKind.STRAP and pin is None:
            raise r.fail("update.trigger.pin", "a strap pin name", "nothing (missing)")
        trigger = Trigger(tk, command, pin)
    elif "trigger" in m:
        raise r.fail("update.trigger", f"no trigger (route {kind.value})", "a trigger")
    duration = r.integer("update.duration_ms", m["duration_ms"], 1)
    return UpdateRoute(kind, uart, slot, trigger, duration)


def _image(r: _Reader, value: object, areas: set[str]) -> ImageFormat:
    m = r.mapping("image", value, ("format",), ("mcuboot", "wolfboot"))
    kind = ImageFormatKind(
        r.choice("image.format", m["format"], [k.value for k in ImageFormatKind])
    )
    for other in ("mcuboot", "wolfboot"):
        if other in m and other != kind.value:
            raise r.fail(f"image.{other}", f"nothing (format {kind.value})", "a mapping")
    if kind is ImageFormatKind.OTA_HIL:
        return ImageFormat(kind)
    if kind is ImageFormatKind.WOLFBOOT:
        if "wolfboot" not in m:
            raise r.fail("image.wolfboot", "the wolfBoot parameters (format wolfboot)", "nothing")
        w = r.mapping("image.wolfboot", m["wolfboot"], ("header_size", "boot", "update"))
        return ImageFormat(
            kind,
            wolfboot=WolfbootFormat(
                header_size=r.integer("image.wolfboot.header_size", w["header_size"], 256),
                boot=r.choice("image.wolfboot.boot", w["boot"], sorted(areas)),
                update=r.choice("image.wolfboot.update", w["update"], sorted(areas)),
            ),
        )
    if "mcuboot" not in m:
        raise r.fail("image.mcuboot", "the MCUboot parameters (format mcuboot)", "nothing")
    f = "image.mcuboot"
    b = r.mapping(
        f,
        m["mcuboot"],
        ("header_size", "align", "max_sectors", "sector_size", "swap_mode", "erased",
         "primary", "secondary"),
    )  # fmt: skip
    align = r.integer(f"{f}.align", b["align"], 1)
    if align & (align - 1):
        raise r.fail(f"{f}.align", "a power of two", str(align))
    return ImageFormat(
        kind,
        McubootFormat(
            header_size=r.integer(f"{f}.header_size", b["header_size"], 32),
            align=align,
            max_sectors=r.integer(f"{f}.max_sectors", b["max_sectors"], 1),
            sector_size=r.integer(f"{f}.sector_size", b["sector_size"], 1),
            swap_mode=r.choice(f"{f}.swap_mode", b["swap_mode"], SWAP_MODES),
            erased=r.integer(f"{f}.erased", b["erased"], 0, 255),
            primary=r.choice(f"{f}.primary", b["primary"], sorted(areas)),
            secondary=r.choice(f"{f}.secondary", b["secondary"], sorted(areas)),
        ),
    )


def _keys(r: _Reader, value: object, areas: set[str]) -> Keys:
    m = r.mapping("keys", value, ("signing",), ("revoked", "trust_anchor"))
    signing = tuple(
        r.file(f"keys.signing[{i}]", v) for i, v in enumerate(r.seq("keys.signing", m["signing"]))
    )
    revoked = tuple(
        r.file(f"keys.revoked[{i}]", v)
        for i, v in enumerate(r.seq("keys.revoked", m.get("revoked", [])))
    )
    anchor = None
    if "trust_anchor" in m:
        anchor = r.choice("keys.trust_anchor", m["trust_anchor"], sorted(areas))
    return Keys(signing, revoked, anchor)


def _evidence(
    r: _Reader, value: object
) -> tuple[tuple[Route, ...], tuple[Pattern, ...], OracleConfig | None]:
    m = r.mapping("evidence", value, ("routes",), ("patterns", "oracle"))
    routes: list[Route] = []
    for i, v in enumerate(r.seq("evidence.routes", m["routes"], 1)):
        routes.append(Route(r.choice(f"evidence.routes[{i}]", v, [x.value for x in Route])))
    patterns: list[Pattern] = []
    if Route.PATTERNS in routes and "patterns" not in m:
        raise r.fail("evidence.patterns", "patterns (route patterns)", "nothing (missing)")
    if Route.PATTERNS not in routes and "patterns" in m:
        raise r.fail("evidence.routes", "'patterns' among the routes (patterns given)", "none")
    for i, v in enumerate(r.seq("evidence.patterns", m.get("patterns", []))):
        f = f"evidence.patterns[{i}]"
        e = r.mapping(f, v, ("event", "regex"), ("src", "class"))
        event = r.text(f"{f}.event", e["event"])
        if not EVENT_NAME.match(event):
            raise r.fail(f"{f}.event", "an event name in capitals (e.g. SWAP_TYPE)", repr(event))
        regex = r.text(f"{f}.regex", e["regex"])
        try:
            re.compile(regex)
        except re.error as err:
            raise r.fail(f"{f}.regex", "a Python regular expression", f"{err}") from None
        src = r.choice(f"{f}.src", e.get("src", "console"), ("console", "boot", "app"))
        raw = e.get("class", [])
        classes = tuple(
            r.choice(f"{f}.class[{k}]", c, FAILURE_CLASSES)
            for k, c in enumerate(r.seq(f"{f}.class", [raw] if isinstance(raw, str) else raw))
        )
        patterns.append(Pattern(event, regex, src, classes))
    oracle: OracleConfig | None = None
    if "oracle" in m:
        if Route.ORACLE not in routes:
            raise r.fail("evidence.routes", "'oracle' among the routes (oracle given)", "none")
        o = r.mapping("evidence.oracle", m["oracle"], ("checks", "stable_run_ms"),
                      ("fault_handlers",))  # fmt: skip
        checks = tuple(
            OracleCheck(r.choice(f"evidence.oracle.checks[{i}]", v, [c.value for c in OracleCheck]))
            for i, v in enumerate(r.seq("evidence.oracle.checks", o["checks"], 1))
        )
        handlers = tuple(
            r.text(f"evidence.oracle.fault_handlers[{i}]", v)
            for i, v in enumerate(
                r.seq("evidence.oracle.fault_handlers", o.get("fault_handlers", []))
            )
        )
        oracle = OracleConfig(
            checks, r.integer("evidence.oracle.stable_run_ms", o["stable_run_ms"], 1), handlers
        )
    elif Route.ORACLE in routes:
        raise r.fail("evidence.oracle", "the oracle settings (route oracle)", "nothing (missing)")
    return tuple(routes), tuple(patterns), oracle


def reference_chip(path: str | Path, platform: str | None = None) -> str:
    """The chip of a profile that the evidence library judges (the reference firmware and
    builds that use its evidence files): what commands built on that library (sweep, update,
    monitor) run. ``platform``, when given too, must agree. Raises ``ProfileError``."""
    prof = load_profile(path)
    if Route.LIBRARY not in prof.routes:
        raise ProfileError(
            str(path),
            "evidence.routes",
            "the evidence library (this command judges by it; judge other profiles with "
            "hil matrix --profile / hil serve --profile)",
            ", ".join(r.value for r in prof.routes),
        )
    if platform is not None and platform != prof.chip:
        raise ProfileError(str(path), "chip", f"{platform} (as --platform says)", prof.chip)
    return prof.chip


def known_profile(name: str, root: Path) -> Path:
    """``reference-stm32u585`` -> ``root/profiles/reference-stm32u585.yaml`` (or a path)."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    cand = root / "profiles" / f"{name}.yaml"
    if cand.exists():
        return cand
    known = sorted(x.stem for x in (root / "profiles").glob("*.yaml"))
    raise UnknownNameError("profile", name, known)
