"""``hil init``'s reading of a build folder: ELF load addresses and exported flash maps, MCUboot
headers in binaries, and a first boot on the engine that finds the console UART, its banner,
the UART that answers MCUmgr SMP, and which known console patterns the firmware printed.
Library code: returns data, prints nothing."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from smp import packet as smppacket
from smp.os_management import EchoWriteRequest

from hil.engine.registry import create_engine
from hil.evidence.patterns import PatternSet
from hil.oracle.image import IMAGE_MAGIC
from hil.platform import load_platform

# MCUboot flash-area IDs (MCUboot docs/design.md "Flash map"; 16: a counter area)
AREA_NAMES = {0: "bootloader", 1: "primary", 2: "secondary", 3: "scratch", 16: "sec_cnt"}
AREA_KINDS = {0: "bootloader", 1: "slot", 2: "slot", 3: "scratch", 16: "counter"}

# Console lines of stock MCUboot (boot/bootutil logging) and Zephyr apps; the event names are
# those hil/matrix/proofs.py asks for. `hil init` keeps the ones the firmware printed.
KNOWN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("RESET_CAUSE", r"^I: Reset cause: (?P<cause>[a-z-]+) \(raw 0x(?P<raw>[0-9a-f]{8})\)"),
    ("SWAP_TYPE", r"^I: Image index: 0, Swap type: (?P<type>none|test|perm|revert)$"),
    ("UPGRADE", r"^I: Image 0 upgrade secondary slot -> primary slot$"),
    ("ROLLBACK", r"^I: Image 0 revert secondary slot -> primary slot$"),
    ("RESUME", r"^I: Resuming interrupted swap: type=(?P<type>\w+), step (?P<step>\d+) of "
     r"(?P<steps>\d+)$"),
    ("REJECTED", r"^E: Image 0 (?P<slot>primary|secondary) slot: (?P<reason>.+)$"),
    ("BELOW_FLOOR", r"^E: Image security counter value (?P<cnt>\d+) lower than monotonic value "
     r"(?P<floor>\d+)$"),
    ("DOWNGRADE", r"^E: Insufficient version in secondary slot$"),
    ("NO_BOOTABLE", r"^E: Unable to find bootable image$"),
    ("RESCUE", r"^I: Serial recovery: (?P<cause>[^;]+); MCUmgr SMP on (?P<uart>\w+)$"),
    ("RECOVERY_ACCEPTED", r"^I: Recovery image accepted"),
    ("RECOVERY_REJECTED", r"^E: Recovery image rejected$"),
    ("WRITE_GATED", r"Flash write gated \(supply low\): (?P<op>erase|program) at "
     r"0x(?P<addr>[0-9a-f]{8})"),
    ("FLOOR_BUMP", r"^I: Security counter raised to (?P<floor>\d+)$"),
    ("JUMP", r"^I: Jumping to the first image slot$"),
    ("BOOT_TEST", r"<inf> app: image 0 in the primary slot: (?P<state>confirmed|on test, not "
     r"confirmed)$"),
    ("CONFIRMED", r"<inf> app: image confirmed$"),
    ("SELF_TEST_FAIL", r"<(?:err|wrn)> app: self-test (?P<how>failed|hangs|never confirms)"),
    ("DOWNLOAD", r"<inf> img_mgmt: upload (?P<what>started|complete): (?P<bytes>\d+) bytes"),
    ("PENDING", r"secondary slot marked for a (?P<kind>test|permanent) swap$"),
    ("FATAL", r"^! fatal (?P<kind>\w+) pc=0x(?P<pc>[0-9a-f]{8})"),
)  # fmt: skip


@dataclass
class ElfInfo:
    path: Path
    low: int  # lowest load address
    symbols: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (addr, size)
    data: dict[int, bytes] = field(default_factory=dict)  # segment address -> bytes

    def read(self, address: int, size: int) -> bytes | None:
        for base, blob in self.data.items():
            if base <= address and address + size <= base + len(blob):
                return blob[address - base : address - base + size]
        return None


@dataclass
class BinInfo:
    path: Path
    mcuboot: tuple[int, str] | None  # (header size, version) when it starts with a header


@dataclass
class Scan:
    chip: str
    elfs: list[ElfInfo]
    bins: list[BinInfo]
    areas: list[tuple[str, int, int, str]]  # name, offset, size, kind
    boot_params: dict[str, int]
    console: str | None = None
    banner: str | None = None
    mgmt: str | None = None
    printed: list[str] = field(default_factory=list)
    patterns: list[tuple[str, str]] = field(default_factory=list)


def read_elf(path: Path) -> ElfInfo:
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        info = ElfInfo(path, 0)
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0:
                info.data[int(seg["p_paddr"])] = seg.data()[: seg["p_filesz"]]
        for sec in elf.iter_sections():
            if isinstance(sec, SymbolTableSection):
                for sym in sec.iter_symbols():
                    if sym.name and sym["st_info"]["type"] == "STT_OBJECT":
                        info.symbols[sym.name] = (int(sym["st_value"]), int(sym["st_size"]))
    info.low = min(info.data) if info.data else 0
    return info


def read_bin(path: Path) -> BinInfo:
    head = path.read_bytes()[:32]
    if len(head) == 32 and struct.unpack_from("<I", head, 0)[0] == IMAGE_MAGIC:
        hdr = struct.unpack_from("<H", head, 8)[0]
        major, minor, rev, build = struct.unpack_from("<BBHI", head, 20)
        return BinInfo(path, (hdr, f"{major}.{minor}.{rev}+{build}"))
    return BinInfo(path, None)


def flash_map(elf: ElfInfo) -> list[tuple[str, int, int, str]]:
    """MCUboot/Zephyr ``struct flash_area`` entries exported as ``flash_map`` (12 bytes each)."""
    if "flash_map" not in elf.symbols:
        return []
    addr, size = elf.symbols["flash_map"]
    raw = elf.read(addr, size)
    if raw is None:
        return []
    out = []
    for k in range(size // 12):
        fa_id, _dev, _pad, off, sz = struct.unpack_from("<BBHII", raw, 12 * k)
        name = AREA_NAMES.get(fa_id, f"area{fa_id}")
        out.append((name, off, sz, AREA_KINDS.get(fa_id, "log")))
    return out


BOOT_PARAM_NAMES = (
    "magic", "version", "mode", "flash_base", "sector_size", "write_align",
    "max_img_sectors", "header_size", "trailer_size", "erased_value", "wdt_ms",
)  # fmt: skip


def boot_params(elf: ElfInfo) -> dict[str, int]:
    if "swap_boot_params" not in elf.symbols:
        return {}
    addr, size = elf.symbols["swap_boot_params"]
    raw = elf.read(addr, size)
    if raw is None or size < 4 * len(BOOT_PARAM_NAMES):
        return {}
    vals = struct.unpack_from(f"<{len(BOOT_PARAM_NAMES)}I", raw, 0)
    return dict(zip(BOOT_PARAM_NAMES, vals, strict=True))


def scan_folder(folder: Path, chip: str) -> Scan:
    elfs = [read_elf(p) for p in sorted(folder.glob("*.elf"))]
    bins = [read_bin(p) for p in sorted(folder.glob("*.bin"))]
    platform = load_platform(chip)
    boot = min(elfs, key=lambda e: e.low) if elfs else None
    areas = flash_map(boot) if boot else []
    params = boot_params(boot) if boot else {}
    s = Scan(chip, elfs, bins, areas, params)
    if boot is not None and boot.low == platform.flash.base:
        first_boot(s, boot.path)
    return s


def _uarts(chip: str) -> list[str]:
    p = load_platform(chip)
    return [x.name for x in p.peripherals if "usart" in x.model]


def first_boot(s: Scan, boot_elf: Path, budget_ms: int = 1500) -> None:
    """Boot the bootloader alone (no image yet): which UART prints, its first line, which UART
    answers an SMP echo (MCUboot serial recovery or the app), what known patterns it printed."""
    platform = load_platform(s.chip)
    engine = create_engine("unicorn", platform, 1)
    engine.load_elf(str(boot_elf))
    ports = {name: engine.serial(name) for name in _uarts(s.chip)}
    engine.power_on()
    engine.run(budget_ms * 1000)
    text = {n: p.read().decode("utf-8", errors="replace") for n, p in ports.items()}
    printing = [n for n, t in text.items() if t.strip()]
    if printing:
        s.console = printing[0]
        lines = [x.rstrip("\r") for x in text[s.console].splitlines() if x.strip()]
        s.banner = lines[0] if lines else None
        s.printed = lines
    echo = b"".join(smppacket.encode(bytes(EchoWriteRequest(d="hil", sequence=0)), line_length=128))
    for name, port in ports.items():
        if name == s.console:
            continue
        port.write(echo)
        engine.run(200_000)
        if b"\x06\x09" in port.read():
            s.mgmt = name
            break
    ps = PatternSet(KNOWN_PATTERNS)
    seen = {e.name for e in ps.events("\n".join(s.printed))}
    s.patterns = [(ev, rx) for ev, rx in KNOWN_PATTERNS if ev in seen]
