"""Host build of the swap target's bootloader logic (firmware_stubs/swap, host/swap_host.c)
over the flash simulator, driven through ctypes; images signed by PyPI imgtool.

One library per chip (and per planted-bug flag): the same C files as the device build, the
chip's generated platform_gen.h, so layout, geometry and erased value are the device's.
"""

from __future__ import annotations

import ctypes
import hashlib
import random
import shutil
import struct
import subprocess
import sys
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint8, c_uint32, c_void_p
from dataclasses import dataclass
from pathlib import Path

from hil.platform import load_platform
from hil.platform.codegen import write_firmware_config

REPO = Path(__file__).resolve().parents[2]
SWAP = REPO / "firmware_stubs" / "swap"
CORE = REPO / "firmware_stubs" / "core"
HOSTDIR = REPO / "firmware_stubs" / "host"
KEYS = SWAP / "keys"
IMGTOOL = Path(sys.executable).parent / "imgtool"
CHIPS = ("stm32u585", "lpc55s69")

SOURCES = [
    *sorted((SWAP / "common").glob("*.c")),
    SWAP / "boot" / "loader.c",
    SWAP / "boot" / "swapmove.c",
    CORE / "sha256.c",
    CORE / "p256.c",
    CORE / "cbor.c",
    CORE / "smp_frame.c",
    HOSTDIR / "flashsim.c",
    SWAP / "host" / "swap_host.c",
]

# tr_state_t / BOOT_SWAP_TYPE_* / flags (firmware_stubs/swap/common/trailer.h)
MAGIC_GOOD, MAGIC_BAD, MAGIC_UNSET = 1, 2, 3
FLAG_SET, FLAG_BAD, FLAG_UNSET = 1, 2, 3
SWAP_NONE, SWAP_TEST, SWAP_PERM, SWAP_REVERT = 1, 2, 3, 4
BOOT_OK, BOOT_ENOIMAGE, BOOT_EFLASH = 0, -1, -2


class TrState(ctypes.Structure):
    _fields_ = [
        ("magic", c_uint8),
        ("swap_type", c_uint8),
        ("image_num", c_uint8),
        ("copy_done", c_uint8),
        ("image_ok", c_uint8),
        ("swap_size", c_uint32),
    ]


class BootOut(ctypes.Structure):
    _fields_ = [("rc", ctypes.c_int32)] + [
        (n, c_uint32)
        for n in (
            "image_off",
            "vtor",
            "swap_type",
            "resumed",
            "sec_cnt",
            "ver_build",
            "image_end",
            "self_test",
        )
    ]


class Layout(ctypes.Structure):
    _fields_ = [
        (n, c_uint32)
        for n in (
            "flash_base",
            "flash_size",
            "page_size",
            "write_unit",
            "erased_value",
            "sector_size",
            "primary_off",
            "primary_size",
            "secondary_off",
            "secondary_size",
            "seccnt_off",
            "seccnt_size",
            "trailer_size",
            "max_sectors",
            "hdr_size",
        )
    ]


def build_lib(chip: str, out_dir: Path, defines: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compile the host library for ``chip`` (with ``-D`` flags) into ``out_dir``."""
    gen = out_dir / "gen"
    write_firmware_config(load_platform(chip), gen)
    name = "libswap_" + "_".join([chip, *(d.lower() for d in defines)]) + ".so"
    out = out_dir / name
    cmd = [
        shutil.which("gcc") or "gcc",
        "-std=c11",
        "-O2",
        "-g",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fPIC",
        "-shared",
        f"-DSWAP_CHIP_{chip.upper()}",
        "-DHIL_CRYPTO_SW=1",  # the swap target keeps the software SHA-256 (its Makefile too)
        *(f"-D{d}=1" for d in defines),
        f"-I{gen}",
        f"-I{SWAP}",
        f"-I{SWAP / 'common'}",
        f"-I{SWAP / 'boot'}",
        f"-I{CORE}",
        f"-I{HOSTDIR}",
        "-o",
        str(out),
        *map(str, SOURCES),
    ]
    subprocess.run(cmd, check=True)
    return bind(ctypes.CDLL(str(out)))


def bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    lib.sh_boot.argtypes = [POINTER(BootOut)]
    lib.sh_log.argtypes = [c_void_p, c_size_t]
    lib.sh_log.restype = c_size_t
    lib.sh_provision.argtypes = [c_uint32, c_char_p, c_uint32]
    lib.sh_read.argtypes = [c_uint32, c_void_p, c_uint32]
    lib.sh_erase_range.argtypes = [c_uint32, c_uint32]
    lib.sh_set_pending.argtypes = [c_int]
    lib.sh_slot_flags.argtypes = [c_int, POINTER(c_uint32)]
    lib.sh_trailer.argtypes = [c_int, POINTER(TrState)]
    lib.sh_counter.restype = c_uint32
    lib.sh_supply_low.argtypes = [c_int]
    lib.sh_arm_cut.argtypes = [c_uint32, c_uint32, c_int]
    lib.sh_ops.restype = c_uint32
    lib.sh_save.argtypes = [c_int]
    lib.sh_restore.argtypes = [c_int]
    lib.sh_is_torn.argtypes = [c_uint32]
    lib.sh_layout.argtypes = [POINTER(Layout)]
    lib.sh_mgmt_init.argtypes = [c_int]
    lib.sh_mgmt_feed.argtypes = [c_char_p, c_size_t]
    lib.sh_mgmt_take.argtypes = [c_void_p, c_size_t]
    lib.sh_mgmt_take.restype = c_size_t
    return lib


@dataclass(frozen=True)
class Image:
    """A signed MCUboot image and what it should look like once installed."""

    data: bytes
    version: str
    sec_cnt: int

    @property
    def sha(self) -> bytes:
        return hashlib.sha256(self.data).digest()

    @property
    def sha_tlv(self) -> bytes:
        """The SHA256 TLV value (the image hash MCUmgr reports and state writes name)."""
        hdr_size, prot = struct.unpack_from("<HH", self.data, 8)
        img_size = struct.unpack_from("<I", self.data, 12)[0]
        off = hdr_size + img_size + prot
        magic, tot = struct.unpack_from("<HH", self.data, off)
        assert magic == 0x6907
        end, off = off + tot, off + 4
        while off < end:
            kind, length = struct.unpack_from("<HH", self.data, off)
            if kind == 0x10:
                return self.data[off + 4 : off + 4 + length]
            off += 4 + length
        raise AssertionError("no SHA256 TLV")


def sign(
    payload: bytes,
    *,
    version: str,
    sec_cnt: int | None,
    key: str = "swap-signer",
    hdr_size: int,
    slot_size: int,
    self_test: int | None = None,
    workdir: Path,
) -> Image:
    """Sign ``payload`` with PyPI imgtool (the standard MCUmgr/MCUboot tool)."""
    src = workdir / f"payload-{hashlib.sha256(payload).hexdigest()[:12]}.bin"
    src.write_bytes(payload)
    key_path = Path(key) if "/" in key else KEYS / f"{key}.pem"
    out = workdir / f"img-{version}-{sec_cnt}-{key_path.stem}-{self_test}-{src.stem}.bin"
    cmd = [
        str(IMGTOOL),
        "sign",
        "-k",
        str(key_path),
        "--version",
        version,
        "-H",
        str(hdr_size),
        "--pad-header",
        "-S",
        str(slot_size),
    ]
    if sec_cnt is not None:
        cmd += ["-s", str(sec_cnt)]
    if self_test is not None:
        cmd += ["--custom-tlv", "0xa8", "0x" + self_test.to_bytes(4, "little").hex()]
    subprocess.run([*cmd, str(src), str(out)], check=True, capture_output=True)
    return Image(out.read_bytes(), version, sec_cnt or 0)


class SwapSim:
    """One simulated chip: flash + the bootloader logic + the app-side trailer calls."""

    def __init__(self, lib: ctypes.CDLL, chip: str) -> None:
        self.lib = lib
        self.chip = chip
        assert lib.sh_init() == 0
        lay = Layout()
        lib.sh_layout(ctypes.byref(lay))
        self.layout = lay
        self.log = ""

    # -- addresses -----------------------------------------------------------------------
    def slot_addr(self, slot: int) -> int:
        off = self.layout.primary_off if slot == 0 else self.layout.secondary_off
        return self.layout.flash_base + off

    def slot_size(self, slot: int) -> int:
        return self.layout.primary_size if slot == 0 else self.layout.secondary_size

    @property
    def image_area(self) -> int:
        """Bytes of the secondary slot an image may use (below its trailer sector)."""
        return self.layout.secondary_size - self.layout.sector_size

    # -- flash ---------------------------------------------------------------------------
    def provision(self, slot: int, image: Image) -> None:
        assert self.lib.sh_provision(self.slot_addr(slot), image.data, len(image.data)) == 0

    def read(self, addr: int, size: int) -> bytes:
        buf = ctypes.create_string_buffer(size)
        assert self.lib.sh_read(addr, buf, size) == 0
        return buf.raw

    def slot_bytes(self, slot: int, size: int) -> bytes:
        return self.read(self.slot_addr(slot), size)

    def holds(self, slot: int, image: Image) -> bool:
        return self.slot_bytes(slot, len(image.data)) == image.data

    def trailer(self, slot: int) -> TrState:
        st = TrState()
        self.lib.sh_trailer(slot, ctypes.byref(st))
        return st

    # -- bootloader / app ------------------------------------------------------------------
    def boot(self) -> BootOut:
        out = BootOut()
        self.lib.sh_log(None, 0)  # the console text of this boot only
        self.take_log()
        self.lib.sh_boot(ctypes.byref(out))
        self.log = self.take_log()
        return out

    def take_log(self) -> str:
        """The console text printed since the last call."""
        buf = ctypes.create_string_buffer(1 << 16)
        n = self.lib.sh_log(buf, len(buf))
        return buf.raw[:n].decode()

    def set_pending(self, permanent: bool = False) -> int:
        return int(self.lib.sh_set_pending(1 if permanent else 0))

    def confirm(self) -> int:
        return int(self.lib.sh_confirm())

    def flags(self, slot: int) -> int:
        f = c_uint32()
        rc = self.lib.sh_slot_flags(slot, ctypes.byref(f))
        return -1 if rc != 0 else f.value

    @property
    def counter(self) -> int:
        return int(self.lib.sh_counter())

    # -- MCUmgr SMP server -------------------------------------------------------------------
    def mgmt_feed(self, data: bytes) -> None:
        self.lib.sh_mgmt_feed(data, len(data))

    def mgmt_take(self) -> bytes:
        buf = ctypes.create_string_buffer(1 << 16)
        n = self.lib.sh_mgmt_take(buf, len(buf))
        return buf.raw[:n]


def payload(size: int, seed: int) -> bytes:
    """Deterministic payload bytes that look like an application (no long erased runs)."""
    rnd = random.Random(seed)
    return bytes(rnd.randrange(1, 255) for _ in range(size))
