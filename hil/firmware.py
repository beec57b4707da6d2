"""Building the reference firmware (``firmware_stubs/``) for a platform.

The platform description is turned into ``platform_gen.h`` and ``memory_gen.ld`` first, then
``make`` builds the bootloader and the application into ``build/firmware/<platform>[-variant]/``.
Each variant (a set of build flags) has its own output folder, so builds stay incremental.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hil.errors import FirmwareError
from hil.platform.codegen import write_firmware_config
from hil.platform.model import Platform

TOOLCHAIN = "arm-none-eabi-gcc"
_FLAG = re.compile(r"[A-Z][A-Z0-9_]*")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


def firmware_sources() -> Path:
    return repo_root() / "firmware_stubs"


@dataclass(frozen=True)
class FirmwareSet:
    """The ELF files of one build of the reference firmware."""

    platform: str
    variant: str
    boot_elf: Path
    app_elf: Path
    app_build: int = 1

    @property
    def app_bin(self) -> Path:
        """The application's raw binary (the payload the image builder signs)."""
        return self.app_elf.with_suffix(".bin")

    def pinned(self, directory: Path) -> FirmwareSet:
        """The same build copied into ``directory``: the files of the build directory (ELF,
        binaries such as the slot-B ``app_b.bin``, maps; same names, so the same ``hashes``).
        A long run that loads the files again and again (a sweep makes a device per pass)
        keeps what it started with while the build directory is rebuilt."""
        directory.mkdir(parents=True, exist_ok=True)
        for folder in {self.boot_elf.parent, self.app_elf.parent}:
            for src in folder.iterdir():
                if src.is_file() and not src.name.startswith("."):
                    shutil.copyfile(src, directory / src.name)
        return FirmwareSet(
            self.platform,
            self.variant,
            directory / self.boot_elf.name,
            directory / self.app_elf.name,
            self.app_build,
        )

    def hashes(self) -> dict[str, str]:
        """SHA-256 of each ELF, for provenance and replay records."""
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (self.boot_elf, self.app_elf)
        }


def variant_name(app_build: int, defines: Mapping[str, int]) -> str:
    parts = [] if app_build == 1 else [f"b{app_build}"]
    parts += [f"{k.lower()}{'' if v == 1 else v}" for k, v in sorted(defines.items())]
    return "-".join(parts) or "default"


def output_dir(platform: Platform, variant: str) -> Path:
    suffix = "" if variant == "default" else f"-{variant}"
    return repo_root() / "build" / "firmware" / f"{platform.name}{suffix}"


def build_firmware(
    platform: Platform,
    *,
    app_build: int = 1,
    defines: Mapping[str, int] | None = None,
) -> FirmwareSet:
    """Generate the platform files and run make; return the ELFs.

    ``defines`` are firmware build flags such as ``{"APP_NO_WDT_FEED": 1}``.
    Raises FirmwareError when the toolchain is missing or the build fails.
    """
    flags = dict(defines or {})
    for name, value in flags.items():
        if not _FLAG.fullmatch(name) or not isinstance(value, int):
            raise FirmwareError(
                f"build flag {name}={value!r}: expected an upper-case C identifier with an integer"
            )
    if app_build < 0 or app_build >= 2**32:
        raise FirmwareError(f"app build number: expected 0 <= n < 2^32, found {app_build}")
    if shutil.which(TOOLCHAIN) is None:
        raise FirmwareError(
            f"{TOOLCHAIN} not found on PATH; expected the Debian package gcc-arm-none-eabi "
            "(the README's setup command installs it)"
        )
    variant = variant_name(app_build, flags)
    out = output_dir(platform, variant)
    out.mkdir(parents=True, exist_ok=True)
    # one build per output folder at a time (pytest-xdist workers, parallel CLI runs)
    with (out / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(platform, variant, out, app_build, flags)


def _build_locked(
    platform: Platform, variant: str, out: Path, app_build: int, flags: dict[str, int]
) -> FirmwareSet:
    gen = out / "gen"
    write_firmware_config(platform, gen)
    extra = " ".join(f"-D{k}={v}" for k, v in sorted(flags.items()))
    cmd = [
        "make",
        "--no-print-directory",
        "-C",
        str(firmware_sources()),
        f"PLATFORM={platform.chip}",  # the port; another layout of a chip shares it
        f"GEN_DIR={gen}",
        f"OUT_DIR={out}",
        f"APP_BUILD={app_build}",
        f"EXTRA_CFLAGS={extra}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise FirmwareError(f"firmware build failed for {platform.name} ({variant}):\n{tail}")
    fw = FirmwareSet(platform.name, variant, out / "boot.elf", out / "app.elf", app_build)
    for elf in (fw.boot_elf, fw.app_elf, fw.app_bin):
        if not elf.is_file():
            raise FirmwareError(f"make succeeded but {elf} was not produced")
    return fw


def elf_symbols(path: Path) -> frozenset[str]:
    """The names of the function and object symbols of an ELF file."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            return frozenset(
                sym.name
                for sec in elf.iter_sections()
                if isinstance(sec, SymbolTableSection)
                for sym in sec.iter_symbols()
                if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT")
            )
    except (OSError, ELFError) as exc:
        raise FirmwareError(f"{path}: expected a readable ELF file, found {exc}") from exc
