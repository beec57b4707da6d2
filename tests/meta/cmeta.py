"""ctypes bindings for the metadata / boot-selection / evidence-ring C code under test.

The C files (firmware_stubs/core/{meta,bootsel,evring,crc32,evidence,fmt}.c,
firmware_stubs/host/flashsim.c and tests/meta/harness.c) are compiled with the host gcc into a
temporary shared library by the ``metalib`` fixture (conftest.py); no Makefile is involved.
"""

from __future__ import annotations

import ctypes
import subprocess
from ctypes import POINTER, Structure, c_int, c_uint8, c_uint16, c_uint32, c_void_p
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_stubs" / "core"
HOST = ROOT / "firmware_stubs" / "host"
HERE = Path(__file__).resolve().parent

SOURCES = [
    CORE / "meta.c",
    CORE / "bootsel.c",
    CORE / "evring.c",
    CORE / "crc32.c",
    CORE / "evidence.c",
    CORE / "fmt.c",
    HOST / "flashsim.c",
    HERE / "harness.c",
]
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{CORE}", f"-I{HOST}", f"-I{HERE}"]

# constants (meta.h / bootsel.h / flashsim.h)
SLOT_A, SLOT_B, SLOT_NONE = 0, 1, 0xFF
ST_EMPTY, ST_STAGING, ST_PENDING, ST_CONFIRMED, ST_FAILED = 1, 2, 3, 4, 5
META_OK, META_RECOVERED, META_BOTH_INVALID = 0, 1, 2
COPY_VALID, COPY_ERASED, COPY_UNREADABLE, COPY_BAD = 0, 1, 2, 3
ACT_BOOT, ACT_RESCUE = 0, 1
EV_META, EV_SLOT_TRANSITION, EV_ROLLBACK, EV_RESCUE, EV_PHASE = 0, 1, 2, 3, 4
STEP_RE_VERIFY, STEP_META_COMMIT, STEP_CONFIRM, STEP_FLOOR_BUMP = 0, 1, 2, 3
H_OK, H_DEAD, H_ERR, H_PARTIAL = 0, -50, -51, 1
FS_STM32, FS_LPC = 0, 1


class MetaRecord(Structure):
    _fields_ = [
        ("generation", c_uint32),
        ("floor", c_uint32),
        ("active", c_uint8),
        ("next", c_uint8),
        ("state", c_uint8 * 2),
        ("attempts", c_uint8 * 2),
        ("up_slot", c_uint8),
        ("build", c_uint32 * 2),
        ("image_id", c_uint32 * 2),
        ("up_offset", c_uint32),
        ("up_image_id", c_uint32),
        ("up_build", c_uint32),
        ("floor_next", c_uint32),
    ]

    def key(self) -> tuple[object, ...]:
        """Everything but the generation (what the record says)."""
        return (
            self.floor,
            self.active,
            self.next,
            tuple(self.state),
            tuple(self.attempts),
            self.up_slot,
            tuple(self.build),
            tuple(self.image_id),
            self.up_offset,
            self.up_image_id,
            self.up_build,
            self.floor_next,
        )


class MetaLoad(Structure):
    _fields_ = [
        ("result", c_int),
        ("copy", c_uint8),
        ("generation", c_uint32),
        ("status", c_uint8 * 2),
        ("rec", MetaRecord),
    ]


class Event(Structure):
    _fields_ = [
        ("kind", c_uint8),
        ("from_", c_uint8),
        ("to", c_uint8),
        ("slot", c_uint8),
        ("reason", c_uint8),
        ("cause", c_uint8),
        ("result", c_uint8),
        ("copy", c_uint8),
        ("step", c_uint8),
        ("attempt", c_uint32),
        ("floor", c_uint32),
        ("candidate_build", c_uint32),
        ("generation", c_uint32),
    ]


class Image(Structure):
    _fields_ = [("valid", c_uint8), ("build", c_uint32), ("image_id", c_uint32)]


class Input(Structure):
    _fields_ = [
        ("meta_result", c_int),
        ("meta_copy", c_uint8),
        ("meta_generation", c_uint32),
        ("rec", MetaRecord),
        ("image", Image * 2),
        ("anchor_floor", c_uint32),
        ("reset_cause", c_uint8),
        ("rescue", c_uint8),
        ("max_attempts", c_uint8),
    ]


class Output(Structure):
    _fields_ = [
        ("action", c_uint8),
        ("slot", c_uint8),
        ("trial", c_uint8),
        ("rescue_cause", c_uint8),
        ("build", c_uint32),
        ("commits", c_uint8),
        ("rec", MetaRecord),
        ("fb_action", c_uint8),
        ("fb_slot", c_uint8),
        ("row", c_uint8),
        ("pending", c_uint8),
        ("n_events", c_uint8),
        ("events", Event * 4),
    ]


class Path_(Structure):
    _fields_ = [("rec", MetaRecord), ("n_events", c_uint8), ("events", Event * 4)]


class Geom(Structure):
    _fields_ = [("chip", c_int)] + [
        (n, c_uint32)
        for n in (
            "page_size",
            "program_unit",
            "erased_value",
            "meta_a",
            "meta_b",
            "ev_base",
            "ev_size",
            "slot_a",
            "slot_b",
            "slot_size",
            "max_attempts",
            "chunk",
        )
    ]


class BootRes(Structure):
    _fields_ = [
        ("action", c_int),
        ("slot", c_int),
        ("trial", c_int),
        ("jumped", c_int),
        ("commit_rc", c_int),
        ("ring_rc", c_int),
        ("floor_bumped", c_int),
        ("floor_rc", c_int),
        ("load", MetaLoad),
        ("out", Output),
    ]


class EvRecord(Structure):
    _fields_ = [
        ("kind", c_uint16),
        ("src", c_uint8),
        ("nvals", c_uint8),
        ("seq", c_uint32),
        ("v", c_uint32 * 5),
    ]


class MetaFlash(Structure):
    _fields_ = [
        ("erase", c_void_p),
        ("program", c_void_p),
        ("read", c_void_p),
        ("ctx", c_void_p),
        ("program_unit", c_uint32),
        ("page_size", c_uint32),
        ("erased_value", c_uint32),
    ]


def build(
    out_dir: Path,
    extra: list[str] | None = None,
    shared: bool = True,
    main: Path | None = None,
    name: str = "libmetatest.so",
) -> Path:
    out = out_dir / name
    cmd = ["gcc", *CFLAGS, "-O1", "-g", *(extra or [])]
    if shared:
        cmd += ["-fPIC", "-shared"]
    cmd += ["-o", str(out), *map(str, SOURCES)]
    if main is not None:
        cmd.append(str(main))
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out


def bind(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    sig = {
        "h_create": (c_void_p, [POINTER(Geom)]),
        "h_destroy": (None, [c_void_p]),
        "h_fs": (c_void_p, [c_void_p]),
        "h_set_inputs": (None, [c_void_p, c_uint32, c_uint8, c_uint8]),
        "h_factory": (c_int, [c_void_p, c_uint8, c_uint32, c_uint32, c_uint32]),
        "h_verify": (c_int, [c_void_p, c_uint8, POINTER(Image)]),
        "h_load": (c_int, [c_void_p, POINTER(MetaLoad)]),
        "h_boot": (c_int, [c_void_p, POINTER(BootRes)]),
        "h_confirm": (c_int, [c_void_p, c_uint8]),
        "h_reject": (c_int, [c_void_p, c_uint8]),
        "h_confirm_only": (c_int, [c_void_p, c_uint8]),
        "h_floor_bump": (c_int, [c_void_p, c_uint8]),
        "h_upload": (
            c_int,
            [c_void_p, c_uint8, c_uint32, c_uint32, c_uint32, c_uint32, POINTER(c_uint32)],
        ),
        "h_chunk_ok": (c_int, [c_void_p, c_uint8, c_uint32, c_uint32, c_uint32, c_uint32]),
        "h_log_count": (c_uint32, [c_void_p]),
        "h_log_get": (c_int, [c_void_p, c_uint32, POINTER(MetaRecord)]),
        "h_log_reset": (None, [c_void_p]),
        "h_event_line": (c_int, [POINTER(Event), c_uint32, ctypes.c_char_p, c_uint32]),
        "h_ring_open": (c_int, [c_void_p]),
        "h_ring_state": (c_int, [c_void_p, POINTER(c_uint32)]),
        "h_ring_resume": (c_int, [c_void_p, POINTER(c_uint32)]),
        "h_ring_append": (c_int, [c_void_p, c_uint16, c_uint32]),
        "h_ring_flush": (c_int, [c_void_p]),
        "h_ring_guaranteed": (c_uint32, [c_void_p]),
        "h_ring_mode": (c_uint32, [c_void_p]),
        "h_ring_replay": (c_int, [c_void_p, POINTER(EvRecord), c_uint32]),
        "fs_create": (c_void_p, [c_int, c_uint32, c_uint32, c_uint32, c_uint32, c_uint32]),
        "fs_destroy": (None, [c_void_p]),
        "fs_erase": (c_int, [c_void_p, c_uint32]),
        "fs_program": (c_int, [c_void_p, c_uint32, ctypes.c_char_p, c_uint32]),
        "fs_read": (c_int, [c_void_p, c_uint32, ctypes.c_char_p, c_uint32]),
        "fs_arm_cut": (None, [c_void_p, c_uint32, c_uint32, c_int]),
        "fs_disarm": (None, [c_void_p]),
        "fs_ops": (c_uint32, [c_void_p]),
        "fs_reset_ops": (None, [c_void_p]),
        "fs_dead": (c_int, [c_void_p]),
        "fs_power_on": (None, [c_void_p]),
        "fs_save": (c_int, [c_void_p, c_int]),
        "fs_restore": (c_int, [c_void_p, c_int]),
        "fs_protect": (None, [c_void_p, c_uint32, c_uint32]),
        "fs_violations": (c_uint32, [c_void_p]),
        "fs_raw": (c_int, [c_void_p, c_uint32, ctypes.c_char_p, c_uint32]),
        "fs_is_torn": (c_int, [c_void_p, c_uint32]),
        "meta_init": (c_int, [c_void_p, POINTER(MetaFlash), c_uint32, c_uint32]),
        "meta_load": (c_int, [c_void_p, POINTER(MetaLoad)]),
        "meta_commit": (c_int, [c_void_p, POINTER(MetaRecord), POINTER(c_uint32)]),
        "meta_record_check": (c_int, [POINTER(MetaRecord)]),
        "meta_serialize": (None, [POINTER(MetaRecord), ctypes.c_char_p]),
        "meta_parse": (c_int, [ctypes.c_char_p, POINTER(MetaRecord)]),
        "meta_gen_newer": (c_int, [c_uint32, c_uint32]),
        "bootsel_decide": (c_int, [POINTER(Input), POINTER(Output)]),
        "bootsel_upload_begin": (
            c_int,
            [POINTER(MetaRecord), c_uint8, c_uint32, c_uint32, POINTER(Path_), POINTER(c_uint32)],
        ),
        "bootsel_upload_advance": (
            c_int,
            [POINTER(MetaRecord), c_uint8, c_uint32, c_uint32, POINTER(Path_)],
        ),
        "bootsel_upload_rewind": (
            c_int,
            [POINTER(MetaRecord), c_uint8, c_uint32, c_uint32, POINTER(Path_)],
        ),
        "bootsel_install": (
            c_int,
            [POINTER(MetaRecord), c_uint8, c_uint32, c_uint32, POINTER(Path_)],
        ),
        "bootsel_confirm": (c_int, [POINTER(MetaRecord), c_uint8, POINTER(Path_)]),
        "bootsel_reject": (c_int, [POINTER(MetaRecord), c_uint8, POINTER(Path_)]),
        "bootsel_floor_bump": (c_int, [POINTER(MetaRecord), c_uint8, POINTER(Path_)]),
        "bootsel_floor_due": (c_int, [POINTER(Input), POINTER(MetaRecord)]),
        "bootsel_step_name": (ctypes.c_char_p, [c_uint8]),
        "bootsel_phase_name": (ctypes.c_char_p, [c_uint8]),
        "bootsel_reason_name": (ctypes.c_char_p, [c_uint8]),
        "bootsel_cause_name": (ctypes.c_char_p, [c_uint8]),
        "bootsel_slot_name": (ctypes.c_char_p, [c_uint8]),
        "meta_result_name": (ctypes.c_char_p, [c_int]),
        "crc32_compute": (c_uint32, [ctypes.c_char_p, ctypes.c_size_t]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


@dataclass(frozen=True)
class Chip:
    """Geometry of one platform (from platforms/<name>/platform.yaml) for the harness."""

    name: str
    fs_chip: int
    page_size: int
    program_unit: int
    erased_value: int
    areas: dict[str, tuple[int, int]]
    attempts: int

    def geom(self, chunk: int) -> Geom:
        a = self.areas
        return Geom(
            self.fs_chip,
            self.page_size,
            self.program_unit,
            self.erased_value,
            a["meta_a"][0],
            a["meta_b"][0],
            a["evidence"][0],
            a["evidence"][1],
            a["slot_a"][0],
            a["slot_b"][0],
            a["slot_a"][1],
            self.attempts,
            chunk,
        )


def load_chip(name: str) -> Chip:
    from hil.platform import load_platform

    p = load_platform(name)
    areas = {n: (ar.address, ar.size) for n, ar in p.layout.areas.items()}
    return Chip(
        name=name,
        fs_chip=FS_STM32 if name == "stm32u585" else FS_LPC,
        page_size=p.flash.page_size,
        program_unit=p.flash.program_unit,
        erased_value=p.flash.erased_value,
        areas=areas,
        attempts=p.layout.boot_attempts,
    )
