"""Load and validate ``platforms/<name>/platform.yaml`` into a :class:`.model.Platform`.

Validation is strict: every problem is a :class:`~hil.errors.PlatformError` naming the file, the
dotted field (``layout.areas.slot_a.size``, ``peripherals[2].base``), what was expected and what
was found. Unknown keys are errors (the message lists the allowed ones), numbers may be YAML
ints or ``"0x.."`` strings, and the cross-field rules of ``docs/contracts.md`` section 1 (layout
alignment and overlap, roles, address windows, sources) are checked here, once, so that the
engine, the code generators and the image builder can trust what they get. Strict YAML and the
typed field readers are in ``fields.py``; the ``core:`` section and ``irqs:`` in ``loader_core.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from hil.errors import PlatformError, UnknownNameError
from hil.platform.blocks import BlockMap, load_block_map
from hil.platform.fields import FieldReader, read_yaml, show
from hil.platform.loader_core import read_core, read_irqs
from hil.platform.model import (
    LAYOUT_AREAS,
    CoreSpec,
    ErasedRead,
    FlashGeometry,
    Layout,
    LayoutArea,
    MemoryRegion,
    PeripheralSpec,
    Platform,
    RegionKind,
    Roles,
    SupplySpec,
    TornRead,
)

__all__ = ["PLATFORM_FILE", "PLATFORM_NAME", "load_platform", "known_platforms", "platforms_dir"]

PLATFORM_FILE = "platform.yaml"
ENV_PLATFORMS_DIR = "OTA_HIL_PLATFORMS"
SCHEMA_VERSION = 1

_MODEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ALIAS = re.compile(r"[A-Z][A-Z0-9]*\Z")
_ROLES = ("console_uart", "flash_controller", "reset_cause", "supply_monitor", "watchdog")
# a platform's name: a chip (``stm32u585``) or a chip's other layout (``stm32u585-large``)
PLATFORM_NAME = re.compile(r"[a-z][a-z0-9_]*(-[a-z0-9_]+)*\Z")
_EXTENDS = re.compile(r"^extends:", re.MULTILINE)


# --------------------------------------------------------------------------------------------
# Locating platforms


def platforms_dir() -> Path:
    """The folder holding one sub-folder per platform (env ``OTA_HIL_PLATFORMS`` overrides)."""
    override = os.environ.get(ENV_PLATFORMS_DIR)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "platforms"


def known_platforms(*, layouts: bool = False) -> list[str]:
    """Names of the platforms in :func:`platforms_dir` (folders with a ``platform.yaml``).

    By default the chips only: what "every platform" means for the matrix, the bench, the
    builds and the tests. ``layouts=True`` adds the descriptions that take a chip's description
    with another flash layout (``extends:``, e.g. ``stm32u585-large``): every name
    :func:`load_platform` accepts.
    """
    root = platforms_dir()
    if not root.is_dir():
        return []
    names = []
    for d in root.iterdir():
        path = d / PLATFORM_FILE
        if path.is_file() and (layouts or not _is_layout(path)):
            names.append(d.name)
    return sorted(names)


def _is_layout(path: Path) -> bool:
    """A description with a top-level ``extends:`` (the loader checks the rest)."""
    try:
        return _EXTENDS.search(path.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return False


def load_platform(name_or_path: str | Path) -> Platform:
    """Load a platform by name (``stm32u585``) or by path (a ``platform.yaml`` or its folder).

    Raises :class:`UnknownNameError` for a name that is not a known platform and
    :class:`PlatformError` for a description that is missing, malformed or inconsistent.
    Results are cached per file (and file version), so repeated loads are cheap.
    """
    text = str(name_or_path)
    by_name = not isinstance(name_or_path, Path) and PLATFORM_NAME.match(text) is not None
    if by_name and not Path(text).exists():
        known = known_platforms(layouts=True)
        if text not in known:
            raise UnknownNameError("platform", text, known)
        path = platforms_dir() / text / PLATFORM_FILE
    else:
        path = Path(name_or_path)
        if path.is_dir():
            path = path / PLATFORM_FILE
    path = path.resolve()
    try:
        st = path.stat()
    except OSError as exc:
        raise PlatformError(
            str(path), "(file)", "a readable platform description", exc.strerror or "no file"
        ) from None
    platform = _load_cached(str(path), st.st_mtime_ns, st.st_size)
    if by_name and platform.name != text:
        raise PlatformError(
            str(path), "name", repr(text) + " (the folder name)", repr(platform.name)
        )
    return platform


@functools.lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int, size: int) -> Platform:
    del mtime_ns, size  # part of the cache key only: an edited file is loaded again
    return _Reader(path).platform(read_yaml(path))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class _Reader(FieldReader):
    """Turns the parsed document into model objects, failing with the dotted field path."""

    # ---- sections --------------------------------------------------------------------------

    def platform(self, doc: object) -> Platform:
        if isinstance(doc, dict) and "extends" in doc:
            return self.layout_of(doc)
        top = self.mapping(
            "",
            doc,
            (
                "schema",
                "name",
                "title",
                "sources",
                "core",
                "memory",
                "flash",
                "supply",
                "peripherals",
                "roles",
                "layout",
            ),
            ("blocks",),
        )
        schema = self.integer("schema", top["schema"])
        if schema != SCHEMA_VERSION:
            raise self.fail("schema", f"schema version {SCHEMA_VERSION}", str(schema))
        name = self.ident("name", top["name"], PLATFORM_NAME)
        title = self.text("title", top["title"])
        sources = self.sources(top["sources"])
        core = self.core(top["core"])
        memory = self.memory(top["memory"])
        flash = self.flash(top["flash"], memory)
        supply = self.supply(top["supply"])
        peripherals = self.peripherals(top["peripherals"], core)
        roles = self.roles(top["roles"], peripherals)
        ram = next((r for r in memory if r.kind is RegionKind.RAM), None)
        if ram is None:
            raise self.fail(
                "memory",
                f"at least one region of kind {RegionKind.RAM.value}",
                f"kinds {', '.join(r.kind.value for r in memory)}",
            )
        layout = self.layout(top["layout"], flash, ram)
        self.check_windows(memory, peripherals)
        self.check_core(core, memory)
        blocks = self.blocks(top["blocks"]) if "blocks" in top else None
        return Platform(
            name=name,
            title=title,
            path=self.path,
            core=core,
            memory=memory,
            flash=flash,
            peripherals=peripherals,
            roles=roles,
            supply=supply,
            layout=layout,
            sources=sources,
            blocks=blocks,
        )

    def layout_of(self, doc: Mapping[object, object]) -> Platform:
        """A chip's description with another flash layout: ``extends: <chip>`` takes every
        section of ``platforms/<chip>/platform.yaml`` but ``name``, ``title`` and ``layout``."""
        top = self.mapping("", doc, ("schema", "name", "title", "extends", "layout"))
        schema = self.integer("schema", top["schema"])
        if schema != SCHEMA_VERSION:
            raise self.fail("schema", f"schema version {SCHEMA_VERSION}", str(schema))
        name = self.ident("name", top["name"], PLATFORM_NAME)
        title = self.text("title", top["title"])
        chip = self.ident("extends", top["extends"])
        root = Path(self.path).parent.parent  # the chip's folder is a sibling of this one
        chips = sorted(
            d.name
            for d in root.iterdir()
            if (d / PLATFORM_FILE).is_file() and not _is_layout(d / PLATFORM_FILE)
        )
        if chip not in chips:
            raise self.fail(
                "extends", f"a chip platform beside this one ({', '.join(chips)})", show(chip)
            )
        base = load_platform(root / chip / PLATFORM_FILE)
        self.aliases = frozenset(base.sources)  # a layout's source cites the chip's legend
        layout = self.layout(top["layout"], base.flash, base.ram)
        return dataclasses.replace(
            base, name=name, title=title, path=self.path, layout=layout, chip=base.name
        )

    def blocks(self, value: object) -> BlockMap:
        m = self.mapping("blocks", value, ("file", "source"), ("alias_offset",))
        file = Path(self.path).parent / self.text("blocks.file", m["file"])
        offset = self.address("blocks.alias_offset", m.get("alias_offset", 0))
        source = self.source("blocks.source", m["source"])
        return load_block_map(file, source, offset, "blocks.file")

    def sources(self, value: object) -> Mapping[str, str]:
        if not isinstance(value, dict) or not value:
            raise self.fail("sources", "a non-empty mapping alias -> reference", show(value))
        out: dict[str, str] = {}
        for alias, ref in value.items():
            field = f"sources.{alias}"
            if not isinstance(alias, str) or not _ALIAS.match(alias):
                raise self.fail(field, "an alias matching [A-Z][A-Z0-9]*", show(alias))
            out[alias] = self.text(field, ref)
        self.aliases = frozenset(out)
        return MappingProxyType(out)

    def core(self, value: object) -> CoreSpec:
        return read_core(self, value)

    def memory(self, value: object) -> tuple[MemoryRegion, ...]:
        regions: list[MemoryRegion] = []
        for i, item in enumerate(self.seq("memory", value, 1)):
            f = f"memory[{i}]"
            m = self.mapping(f, item, ("name", "kind", "base", "size", "source"), ("aliases",))
            name = self.ident(f"{f}.name", m["name"])
            if any(r.name == name for r in regions):
                raise self.fail(
                    f"{f}.name",
                    "a region name not used before",
                    f"{name!r} again (regions: {', '.join(r.name for r in regions)})",
                )
            kind = RegionKind(self.choice(f"{f}.kind", m["kind"], (k.value for k in RegionKind)))
            base = self.address(f"{f}.base", m["base"])
            size = self.size(f"{f}.size", m["size"])
            aliases = self.addresses(f"{f}.aliases", m.get("aliases", []))
            for j, start in enumerate((base, *aliases)):
                if start + size > 0x100000000:
                    where = f"{f}.base" if j == 0 else f"{f}.aliases[{j - 1}]"
                    raise self.fail(
                        where,
                        "a window inside the 32-bit address space",
                        f"{start:#x} + size {size:#x}",
                    )
            regions.append(
                MemoryRegion(
                    name, kind, base, size, aliases, self.source(f"{f}.source", m["source"])
                )
            )
        return tuple(regions)

    def flash(self, value: object, memory: tuple[MemoryRegion, ...]) -> FlashGeometry:
        m = self.mapping(
            "flash",
            value,
            (
                "region",
                "banks",
                "page_size",
                "program_unit",
                "ecc_unit",
                "erased_value",
                "torn_read",
                "erased_read",
                "erase_time_us",
                "program_time_us",
                "source",
            ),
        )
        flash_regions = [r.name for r in memory if r.kind is RegionKind.FLASH]
        region_name = self.choice("flash.region", m["region"], flash_regions)
        region = next(r for r in memory if r.name == region_name)
        banks = self.integer("flash.banks", m["banks"], 1)
        page = self.size("flash.page_size", m["page_size"])
        unit = self.size("flash.program_unit", m["program_unit"])
        ecc = self.size("flash.ecc_unit", m["ecc_unit"])
        for field, v in (
            ("flash.page_size", page),
            ("flash.program_unit", unit),
            ("flash.ecc_unit", ecc),
        ):
            if v & (v - 1):
                raise self.fail(field, "a power of two", show(v))
        if unit > page:
            raise self.fail("flash.program_unit", f"<= page_size ({page:#x})", show(unit))
        if ecc > page:
            raise self.fail("flash.ecc_unit", f"<= page_size ({page:#x})", show(ecc))
        if region.size % (banks * page):
            raise self.fail(
                "flash.banks",
                f"banks of whole pages: region size {region.size:#x} "
                f"divisible by banks x page_size",
                f"{banks} banks of {page:#x} pages",
            )
        return FlashGeometry(
            region=region.name,
            base=region.base,
            size=region.size,
            banks=banks,
            page_size=page,
            program_unit=unit,
            ecc_unit=ecc,
            erased_value=self.integer("flash.erased_value", m["erased_value"], 0, 0xFF),
            torn_read=TornRead(
                self.choice("flash.torn_read", m["torn_read"], (t.value for t in TornRead))
            ),
            erased_read=ErasedRead(
                self.choice("flash.erased_read", m["erased_read"], (e.value for e in ErasedRead))
            ),
            erase_time_us=self.integer("flash.erase_time_us", m["erase_time_us"], 1),
            program_time_us=self.integer("flash.program_time_us", m["program_time_us"], 1),
            source=self.source("flash.source", m["source"]),
        )

    def supply(self, value: object) -> SupplySpec:
        m = self.mapping("supply", value, ("nominal_mv", "reset_mv", "holdup_us", "source"))
        nominal = self.integer("supply.nominal_mv", m["nominal_mv"], 1)
        reset = self.integer("supply.reset_mv", m["reset_mv"], 1)
        if reset >= nominal:
            raise self.fail("supply.reset_mv", f"below nominal_mv ({nominal})", str(reset))
        return SupplySpec(
            nominal,
            reset,
            self.integer("supply.holdup_us", m["holdup_us"], 0),
            self.source("supply.source", m["source"]),
        )

    def peripherals(self, value: object, core: CoreSpec) -> tuple[PeripheralSpec, ...]:
        out: list[PeripheralSpec] = []
        for i, item in enumerate(self.seq("peripherals", value, 1)):
            f = f"peripherals[{i}]"
            m = self.mapping(
                f, item, ("name", "model", "base", "size", "source"), ("aliases", "params", "irqs")
            )
            name = self.ident(f"{f}.name", m["name"])
            if any(p.name == name for p in out):
                raise self.fail(
                    f"{f}.name",
                    "a peripheral name not used before",
                    f"{name!r} again (peripherals: {', '.join(p.name for p in out)})",
                )
            spec = PeripheralSpec(
                name=name,
                model=self.ident(f"{f}.model", m["model"], _MODEL),
                base=self.address(f"{f}.base", m["base"]),
                aliases=self.addresses(f"{f}.aliases", m.get("aliases", [])),
                size=self.size(f"{f}.size", m["size"]),
                params=self.params(f"{f}.params", m.get("params", {})),
                source=self.source(f"{f}.source", m["source"]),
                irqs=read_irqs(self, f"{f}.irqs", m.get("irqs", {}), core),
            )
            for j, start in enumerate((spec.base, *spec.aliases)):
                if start + spec.size > 0x100000000:
                    where = f"{f}.base" if j == 0 else f"{f}.aliases[{j - 1}]"
                    raise self.fail(
                        where,
                        "a window inside the 32-bit address space",
                        f"{start:#x} + size {spec.size:#x}",
                    )
            out.append(spec)
        return tuple(out)

    def roles(self, value: object, peripherals: tuple[PeripheralSpec, ...]) -> Roles:
        m = self.mapping("roles", value, _ROLES)
        names = [p.name for p in peripherals]
        chosen = {role: self.choice(f"roles.{role}", m[role], names) for role in _ROLES}
        wdt = next(p for p in peripherals if p.name == chosen["watchdog"])
        idx = peripherals.index(wdt)
        clock = wdt.params.get("clock_hz")
        if not isinstance(clock, int) or isinstance(clock, bool) or clock <= 0:
            raise self.fail(
                f"peripherals[{idx}].params.clock_hz",
                "the watchdog clock in Hz (an integer > 0; it plays role watchdog)",
                "nothing" if clock is None else show(clock),
            )
        return Roles(**chosen)

    def layout(self, value: object, flash: FlashGeometry, ram: MemoryRegion) -> Layout:
        m = self.mapping(
            "layout",
            value,
            ("image_header_size", "boot_attempts", "handoff_size", "areas"),
            ("source",),
        )
        if "source" in m:
            self.source("layout.source", m["source"])
        header = self.size("layout.image_header_size", m["image_header_size"])
        if header % 0x80:
            raise self.fail(
                "layout.image_header_size",
                "a multiple of 0x80 (the application's vector table follows it)",
                show(header),
            )
        attempts = self.integer("layout.boot_attempts", m["boot_attempts"], 1, 255)
        handoff = self.size("layout.handoff_size", m["handoff_size"])
        if handoff % 4 or handoff >= ram.size:
            raise self.fail(
                "layout.handoff_size",
                f"a multiple of 4 smaller than the RAM region '{ram.name}' ({ram.size:#x})",
                show(handoff),
            )
        raw = self.mapping("layout.areas", m["areas"], LAYOUT_AREAS)
        page = flash.page_size
        areas: dict[str, LayoutArea] = {}
        for name in LAYOUT_AREAS:
            f = f"layout.areas.{name}"
            entry = self.mapping(f, raw[name], ("offset", "size"))
            offset = self.integer(f"{f}.offset", entry["offset"], 0)
            size = self.size(f"{f}.size", entry["size"])
            if offset % page:
                raise self.fail(
                    f"{f}.offset", f"a multiple of the page size {page:#x}", show(offset)
                )
            if size % page:
                raise self.fail(f"{f}.size", f"a multiple of the page size {page:#x}", show(size))
            if offset + size > flash.size:
                raise self.fail(
                    f"{f}.size",
                    f"an area inside the flash (offset + size <= {flash.size:#x})",
                    f"offset {offset:#x} + size {size:#x} = {offset + size:#x}",
                )
            areas[name] = LayoutArea(name, flash.base + offset, size)
        a, b = areas["meta_a"], areas["meta_b"]
        if a.address // page <= (b.end - 1) // page and b.address // page <= (a.end - 1) // page:
            raise self.fail(
                "layout.areas.meta_b.offset",
                "meta_a and meta_b on separate pages",
                f"a page shared with meta_a [{a.address:#x}, {a.end:#x})",
            )
        done: list[LayoutArea] = []
        for area in areas.values():
            for other in done:
                if _overlap((area.address, area.end), (other.address, other.end)):
                    raise self.fail(
                        f"layout.areas.{area.name}.offset",
                        f"no overlap with other areas ({other.name} is "
                        f"[{other.address - flash.base:#x}, "
                        f"{other.end - flash.base:#x}))",
                        f"[{area.address - flash.base:#x}, {area.end - flash.base:#x})",
                    )
            done.append(area)
        if areas["evidence"].size < 2 * page:
            raise self.fail(
                "layout.areas.evidence.size",
                f">= 2 pages ({2 * page:#x})",
                show(areas["evidence"].size),
            )
        for slot in ("slot_a", "slot_b"):
            if areas[slot].size <= header:
                raise self.fail(
                    f"layout.areas.{slot}.size",
                    f"more than image_header_size ({header:#x})",
                    show(areas[slot].size),
                )
        return Layout(
            areas=MappingProxyType(areas),
            image_header_size=header,
            boot_attempts=attempts,
            handoff_size=handoff,
        )

    # ---- whole-map checks ------------------------------------------------------------------

    def check_windows(
        self, memory: tuple[MemoryRegion, ...], peripherals: tuple[PeripheralSpec, ...]
    ) -> None:
        """No two address windows (memory regions, peripherals, all their aliases) overlap."""
        windows: list[tuple[str, str, int, int]] = []  # field, label, start, end
        for i, r in enumerate(memory):
            for j, start in enumerate((r.base, *r.aliases)):
                f = f"memory[{i}].base" if j == 0 else f"memory[{i}].aliases[{j - 1}]"
                windows.append((f, f"memory region '{r.name}'", start, start + r.size))
        for i, p in enumerate(peripherals):
            for j, start in enumerate((p.base, *p.aliases)):
                f = f"peripherals[{i}].base" if j == 0 else f"peripherals[{i}].aliases[{j - 1}]"
                windows.append((f, f"peripheral '{p.name}'", start, start + p.size))
        for k, (field, label, start, end) in enumerate(windows):
            for ofield, olabel, ostart, oend in windows[:k]:
                if _overlap((start, end), (ostart, oend)):
                    raise self.fail(
                        field,
                        f"a window overlapping no other ({olabel} at "
                        f"{ofield} is [{ostart:#x}, {oend:#x}))",
                        f"{label} at [{start:#x}, {end:#x})",
                    )

    def check_core(self, core: CoreSpec, memory: tuple[MemoryRegion, ...]) -> None:
        bootable = [r for r in memory if r.kind in (RegionKind.FLASH, RegionKind.ROM)]
        if not any(r.contains(core.boot_address) for r in bootable):
            raise self.fail(
                "core.boot_address",
                "an address inside a flash or rom region ("
                + ", ".join(f"{r.name} [{r.base:#x}, {r.end:#x})" for r in bootable)
                + ")",
                show(core.boot_address),
            )
