"""The ``core:`` section and the peripherals' ``irqs:`` of a platform description.

Split from ``loader.py`` (same strict rules, same ``PlatformError`` shape). The core's NVIC,
SysTick, Security state and FPU are optional in the file for hand-made platforms; the chips in
``platforms/`` state all of them with sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from hil.platform.model import CoreSpec, NvicSpec, SecurityState, SysTickSpec

if TYPE_CHECKING:
    from hil.platform.fields import FieldReader

CPUS = ("cortex-m33",)
FPUS = ("none", "fpv5-sp")
MAX_IRQ_LINES = 480  # Armv8-M: at most 480 external interrupts


def read_core(r: FieldReader, value: object) -> CoreSpec:
    m = r.mapping(
        "core",
        value,
        ("cpu", "clock_hz", "boot_address", "source"),
        ("nvic", "systick", "security", "fpu"),
    )
    default = CoreSpec("cortex-m33", 1, 0, "")
    nvic = default.nvic
    if "nvic" in m:
        n = r.mapping("core.nvic", m["nvic"], ("irq_lines", "priority_bits", "source"))
        nvic = NvicSpec(
            irq_lines=r.integer("core.nvic.irq_lines", n["irq_lines"], 1, MAX_IRQ_LINES),
            priority_bits=r.integer("core.nvic.priority_bits", n["priority_bits"], 2, 8),
            source=r.source("core.nvic.source", n["source"]),
        )
    systick = default.systick
    if "systick" in m:
        s = r.mapping("core.systick", m["systick"], ("external_divider", "calib", "source"))
        systick = SysTickSpec(
            external_divider=r.integer("core.systick.external_divider", s["external_divider"]),
            calib=r.address("core.systick.calib", s["calib"]),
            source=r.source("core.systick.source", s["source"]),
        )
    security = default.security
    if "security" in m:
        sec = r.mapping("core.security", m["security"], ("state", "source"))
        states = [x.value for x in SecurityState]
        security = SecurityState(r.choice("core.security.state", sec["state"], states))
        r.source("core.security.source", sec["source"])
    fpu = default.fpu
    if "fpu" in m:
        f = r.mapping("core.fpu", m["fpu"], ("kind", "source"))
        fpu = r.choice("core.fpu.kind", f["kind"], FPUS)
        r.source("core.fpu.source", f["source"])
    return CoreSpec(
        cpu=r.choice("core.cpu", m["cpu"], CPUS),
        clock_hz=r.integer("core.clock_hz", m["clock_hz"], 1),
        boot_address=r.address("core.boot_address", m["boot_address"]),
        source=r.source("core.source", m["source"]),
        nvic=nvic,
        systick=systick,
        security=security,
        fpu=fpu,
    )


def read_irqs(r: FieldReader, field: str, value: object, core: CoreSpec) -> Mapping[str, int]:
    """A peripheral's ``irqs:``: output name -> NVIC IRQ number (below ``nvic.irq_lines``)."""
    if not isinstance(value, dict):
        raise r.fail(field, "a mapping of output name -> IRQ number", repr(value))
    out: dict[str, int] = {}
    for name, number in value.items():
        key = r.ident(f"{field}.{name}", name)
        out[key] = r.integer(f"{field}.{name}", number, 0, core.nvic.irq_lines - 1)
    return MappingProxyType(out)
