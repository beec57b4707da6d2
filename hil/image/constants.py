"""Signed-image format constants (contracts §7) and the verification result codes.

MIRROR: ``firmware_stubs/core/image.h`` must mirror this module one for one: every
``IMG_<NAME>`` of ``img_result_t`` has the number of ``ImageResult.<NAME>`` here, and every
numeric ``#define IMG_*`` format macro of the header (``IMG_MAGIC``, ``IMG_TLV_*``,
``IMG_CHUNK_MIN``...) exists here under the same name with the same value, and the other way
round (C-internal macros such as ``IMG_HAVE_*`` and ``IMG_IO_CHUNK`` excepted).
``tests/image/test_mirror.py`` parses the header and compares the two.

The layout is MCUboot's (little endian), so PyPI ``imgtool verify`` accepts our images.
"""

from __future__ import annotations

import struct
from enum import IntEnum

# --- image header (struct image_header, 32 bytes) -------------------------------------------
IMG_MAGIC = 0x96F3B83D
IMG_HEADER_STRUCT = "<IIHHIIBBHII"  # magic load_addr hdr_size protect_tlv_size img_size flags
#                                       major minor revision build_num pad
IMG_HEADER_BYTES = 32  # the fixed image_header fields
assert struct.calcsize(IMG_HEADER_STRUCT) == IMG_HEADER_BYTES

HDR_OFF_MAGIC = 0
HDR_OFF_LOAD_ADDR = 4
HDR_OFF_HDR_SIZE = 8
HDR_OFF_PROTECT_TLV_SIZE = 10
HDR_OFF_IMG_SIZE = 12
HDR_OFF_FLAGS = 16
HDR_OFF_VER_MAJOR = 20
HDR_OFF_VER_MINOR = 21
HDR_OFF_VER_REVISION = 22
HDR_OFF_BUILD_NUM = 24
HDR_OFF_PAD = 28

# Header flags (MCUboot IMAGE_F_*). Our images carry flags == 0; any set flag is BAD_HEADER.
IMAGE_F_PIC = 0x00000001
IMAGE_F_ENCRYPTED_AES128 = 0x00000004
IMAGE_F_ENCRYPTED_AES256 = 0x00000008
IMAGE_F_NON_BOOTABLE = 0x00000010
IMAGE_F_RAM_LOAD = 0x00000020
IMAGE_F_ROM_FIXED = 0x00000100

# --- TLV areas ----------------------------------------------------------------------------
IMG_TLV_INFO_MAGIC = 0x6907  # unprotected area
IMG_TLV_PROT_MAGIC = 0x6908  # protected area (covered by hash and signature)
TLV_INFO_SIZE = 4  # u16 magic | u16 tlv_tot
TLV_HEADER_SIZE = 4  # u16 type | u16 len

# Unprotected TLV types (MCUboot numbers).
IMG_TLV_KEYHASH = 0x01
IMG_TLV_SHA256 = 0x10
IMG_TLV_ECDSA_SIG = 0x22
# Protected TLV types.
IMG_TLV_SEC_CNT = 0x50
IMG_TLV_KEY_ID = 0xA0
IMG_TLV_HW_COMPAT = 0xA1
IMG_TLV_IMAGE_TYPE = 0xA2
IMG_TLV_TARGET_SLOT = 0xA3
IMG_TLV_PAYLOAD_SIZE = 0xA4
IMG_TLV_CHUNK_SIZE = 0xA5
IMG_TLV_CHUNK_HASHES = 0xA6
IMG_TLV_VERSION = 0xA7
IMG_TLV_SELF_TEST = 0xA8

# (type -> name) per area; a type found in the other area is "other": bounds-checked, ignored.
PROTECTED_TLVS: dict[int, str] = {
    IMG_TLV_SEC_CNT: "SEC_CNT",
    IMG_TLV_KEY_ID: "KEY_ID",
    IMG_TLV_HW_COMPAT: "HW_COMPAT",
    IMG_TLV_IMAGE_TYPE: "IMAGE_TYPE",
    IMG_TLV_TARGET_SLOT: "TARGET_SLOT",
    IMG_TLV_PAYLOAD_SIZE: "PAYLOAD_SIZE",
    IMG_TLV_CHUNK_SIZE: "CHUNK_SIZE",
    IMG_TLV_CHUNK_HASHES: "CHUNK_HASHES",
    IMG_TLV_VERSION: "VERSION",
    IMG_TLV_SELF_TEST: "SELF_TEST",
}
UNPROTECTED_TLVS: dict[int, str] = {
    IMG_TLV_SHA256: "SHA256",
    IMG_TLV_KEYHASH: "KEYHASH",
    IMG_TLV_ECDSA_SIG: "ECDSA_SIG",
}
# Protected fields whose absence is MISSING_FIELD (step 2); a missing KEYHASH is too (SHA256 and
# ECDSA_SIG have their own codes, NO_HASH and NO_SIGNATURE, in steps 3 and 4).
REQUIRED_PROTECTED: tuple[int, ...] = (
    IMG_TLV_SEC_CNT,
    IMG_TLV_KEY_ID,
    IMG_TLV_HW_COMPAT,
    IMG_TLV_IMAGE_TYPE,
    IMG_TLV_TARGET_SLOT,
    IMG_TLV_PAYLOAD_SIZE,
    IMG_TLV_CHUNK_SIZE,
    IMG_TLV_CHUNK_HASHES,
)

# --- manifest values ------------------------------------------------------------------------
IMG_TYPE_APP = 1
SLOT_A = 0
SLOT_B = 1
IMG_CHUNK_MIN = 512
IMG_CHUNK_MAX = 65536
IMG_VERSION_MAX = 32
SELF_TEST_PASS = 0
SELF_TEST_FAIL = 1
SELF_TEST_HANG = 2
SELF_TEST_LATE = 3  # pass, after serving requests during the boot test (issue 10)
SELF_TEST_CRASH_BEFORE = 4  # a fault before the boot test starts
SELF_TEST_HANG_BEFORE = 5  # a hang (no watchdog feed) before the boot test starts
SELF_TEST_CRASH_DURING = 6  # a fault during the self-test
IMG_SELF_TEST_MAX = 6
SHA256_SIZE = 32
IMG_SIG_MAX = 80  # C buffer for the DER signature; a longer ECDSA_SIG is BAD_SIGNATURE
IMG_RESULT_MAX = 25  # highest assigned result code
IMG_TAIL_BYTES = 64  # C: bytes after the image end (inside the slot) that must be erased

# --- trust anchor (keys area) ---------------------------------------------------------------
ANCHOR_MAGIC = 0x314B5254  # "TRK1" as little-endian bytes
ANCHOR_VERSION = 1
ANCHOR_MAX_KEYS = 16
ANCHOR_HEADER_STRUCT = "<IHHII"  # magic version count floor hw_compat
ANCHOR_HEADER_SIZE = 16
ANCHOR_CRC_OFFSET = 16
ANCHOR_ENTRIES_OFFSET = 20
ANCHOR_ENTRY_STRUCT = "<II64s"  # key_id flags pub(X||Y big endian)
ANCHOR_ENTRY_SIZE = 72
ANCHOR_FLAG_ALLOWED = 0x1
ANCHOR_FLAG_REVOKED = 0x2


class ImageResult(IntEnum):
    """``img_result_t`` of contracts §7; the C enum uses the same numbers as ``IMG_<NAME>``."""

    OK = 0
    BAD_MAGIC = 1
    BAD_HEADER = 2
    TOO_LARGE = 3
    TLV_MAGIC = 4
    TLV_OVERRUN = 5
    TLV_TRUNCATED = 6
    DUPLICATE_TLV = 7
    MISSING_FIELD = 8
    BAD_FIELD = 9
    CHUNK_MAP = 10
    CHUNK_HASH = 11
    NO_HASH = 12
    HASH_MISMATCH = 13
    NO_SIGNATURE = 14
    KEY_UNKNOWN = 16
    KEY_REVOKED = 17
    KEYID_MISMATCH = 18
    BAD_SIGNATURE = 19
    HW_MISMATCH = 20
    WRONG_SLOT = 21
    BELOW_FLOOR = 22
    REPLAY = 23
    TRAILING_DATA = 24
    WRONG_TYPE = 25

    @property
    def error_code(self) -> str:
        """The evidence ``error_code=`` value: the name in lower case."""
        return self.name.lower()


def tlv_name(area_magic: int, tlv_type: int) -> str:
    """The contract name of a TLV type in an area, or ``0x..`` for an other (ignored) type."""
    table = PROTECTED_TLVS if area_magic == IMG_TLV_PROT_MAGIC else UNPROTECTED_TLVS
    return table.get(tlv_type, f"0x{tlv_type:02x}")
