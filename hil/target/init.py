"""``hil init``: a commented target profile for a folder of build outputs (``hil.target.scan``
reads the folder and boots it once); with a signing key, a clean update measures the update
duration from the flash-operation activity and adds the lines it printed. Library code."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hil.engine.base import FlashOp, FlashOpAction
from hil.platform import load_platform
from hil.profile.loader import load_profile
from hil.target.device import ProfileTarget, sign, smp_update
from hil.target.scan import KNOWN_PATTERNS, Scan, scan_folder


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def render(scan: Scan, out: Path, keys: list[Path], duration_ms: int, measured: bool) -> str:
    p = load_platform(scan.chip)

    def rel(x: Path) -> str:
        r = os.path.relpath(x, out.parent)
        return str(x) if r.startswith(os.pardir + os.sep + os.pardir) else r

    boot = min(scan.elfs, key=lambda e: e.low)
    areas = {a[0]: a for a in scan.areas}
    prim = areas.get("primary")
    bp = scan.boot_params
    lines = [
        f"# Target profile written by `hil init` for {boot.path.parent} on {scan.chip}.",
        "# Check it with `hil check <this file>`; the only edit it needs is keys.signing.",
        "profile: 1",
        f"name: {out.stem}",
        f"chip: {scan.chip}",
        "firmware:",
        f"  # ELF loaded at 0x{boot.low:08x} (the flash base): the bootloader",
        f"  - {{file: {rel(boot.path)}, role: bootloader}}",
    ]
    for e in scan.elfs:
        if e is boot:
            continue
        binf = e.path.with_suffix(".bin")
        if prim is not None and binf.exists():
            load = p.flash.base + prim[1]
            lines.append(f"  # {e.path.name}: vector table at 0x{e.low:08x}, inside the primary "
                         "slot: its .bin is the payload the harness signs")  # fmt: skip
            lines.append(f"  - {{file: {rel(binf)}, role: image, load: 0x{load:08x}}}")
    for b in scan.bins:
        if b.mcuboot is not None:
            lines.append(f"  # {b.path.name}: MCUboot header 0x{b.mcuboot[0]:x} bytes, version "
                         f"{b.mcuboot[1]} (already signed)")  # fmt: skip
    lines.append("# from the bootloader's exported flash_map (MCUboot flash-area IDs)")
    lines.append("flash_areas:")
    for name, off, size, kind in scan.areas:
        lines.append(f"  {name}: {{offset: 0x{off:x}, size: 0x{size:x}, kind: {kind}}}")
    lines.append(f"# the UART that printed after reset; first line: {scan.banner!r}")
    banner = f", banner: {_q(scan.banner)}" if scan.banner else ""
    lines.append(f"console: {{uart: {scan.console}{banner}}}")
    if scan.mgmt:
        lines.append("# the UART that answered an MCUmgr SMP echo")
        lines.append(f"mgmt: {{uart: {scan.mgmt}}}")
        how = "measured from the flash activity of a clean update" if measured else "a guess"
        lines.append(f"# duration_ms: {how}")
        lines.append(f"update: {{route: smp, uart: {scan.mgmt}, slot: secondary, "
                     f"duration_ms: {duration_ms}}}")  # fmt: skip
    hdr = bp.get("header_size") or (
        next((e.low for e in scan.elfs if e is not boot), 0) - p.flash.base - (prim or (0, 0))[1]
    )
    lines += [
        "image:",
        "  format: mcuboot",
        "  # header_size: the app's vector table offset in the primary slot; the others from the"
        if not bp
        else "  # from the bootloader's exported swap_boot_params",
        *(
            ["  # flash's write unit and erase page (CHECK them against your MCUboot config)"]
            if not bp
            else []
        ),
        f"  mcuboot: {{header_size: 0x{hdr:x}, align: {bp.get('write_align', 8)}, "
        f"max_sectors: {bp.get('max_img_sectors', 128)}, "
        f"sector_size: 0x{bp.get('sector_size', p.flash.page_size):x},",
        f"            swap_mode: move, erased: 0x{bp.get('erased_value', 0xFF):02x}, "
        "primary: primary, secondary: secondary}",
        "keys:",
        "  # EDIT: your signing key(s) (PEM); the harness signs every test image with the first",
        f"  signing: [{', '.join(rel(k) for k in keys)}]",
        "  revoked: []",
        "evidence:",
        "  routes: [patterns, oracle]",
        "  patterns:",
    ]
    seen = {ev for ev, _ in scan.patterns}
    lines.append("    # printed by this firmware during `hil init`:")
    lines += [f"    - {{event: {ev}, regex: {_q(rx)}}}" for ev, rx in KNOWN_PATTERNS if ev in seen]
    lines.append("    # MCUboot / Zephyr lines of the pattern library, not printed yet:")
    lines += [
        f"    - {{event: {ev}, regex: {_q(rx)}}}" for ev, rx in KNOWN_PATTERNS if ev not in seen
    ]
    lines += [
        "  oracle:",
        "    checks: [image, trailer, reboot-loop, reset-cause, write-gating]",
        f"    stable_run_ms: {max(1000, bp.get('wdt_ms', 2000) + 1000)}",
        "",
    ]
    return "\n".join(lines)


def measure_update(profile_path: Path) -> tuple[int, list[str]]:
    """A clean update over SMP: (ms from the reset to the last flash operation, lines printed)."""
    profile = load_profile(profile_path)
    t = ProfileTarget(profile)
    with tempfile.TemporaryDirectory(prefix="hil-init-") as d:
        v1 = sign(profile, "1.0.0+1", 1, Path(d) / "v1.bin")
        v2 = sign(profile, "1.1.0+2", 2, Path(d) / "v2.bin")
    t.install_factory(v1, "v1")
    t.power_on()
    t.run(500)
    smp_update(t, v2)
    start = t.engine.ticks
    last = [start]

    def hook(op: FlashOp) -> FlashOpAction:
        last[0] = op.instructions
        return FlashOpAction.CONTINUE

    t.engine.on_flash_op(hook)
    t.run(10_000)
    ms = t.engine.instructions_to_us(last[0] - start) // 1000
    return int(ms), [x.rstrip("\r") for x in t.log.splitlines() if x.strip()]


def init_profile(folder: Path, chip: str, out: Path, keys: list[Path]) -> Scan:
    scan = scan_folder(folder, chip)
    if not scan.elfs:
        from hil.errors import HilError

        raise HilError(f"hil init: expected ELF files in {folder}, found none")
    out.write_text(render(scan, out, keys, 3000, False), encoding="utf-8")
    if keys and scan.mgmt:
        ms, printed = measure_update(out)
        scan.printed += printed
        from hil.evidence.patterns import PatternSet

        seen = {e.name for e in PatternSet(KNOWN_PATTERNS).events("\n".join(scan.printed))}
        scan.patterns = [(ev, rx) for ev, rx in KNOWN_PATTERNS if ev in seen]
        duration = max(1000, (2 * ms + 999) // 1000 * 1000)
        out.write_text(render(scan, out, keys, duration, True), encoding="utf-8")
    load_profile(out)  # what it wrote must load
    return scan
