"""LPC55S69 boot ROM flash API: the ROM API tree and its flash driver, run over the flash
controller model (``lpc55_flash``) so that tearing, flash-operation counting and cuts apply.

What firmware sees (MCUX drivers/iap1/fsl_iap.c: ``bootloader_tree_t``,
``version1_flash_driver_interface_t``, ``get_rom_api_version``; pyOCD's LPC55S69 flash algorithm
reads the same tree): the tree at 0x1300_10F0 (secure alias; 0x0300_10F0 non-secure) with
``bootloader_version`` major 3 (so SDK code takes the version-1 table, not the fixed ROM
addresses of the first ROM), ``flashDriver`` pointing at the driver table: flash_init, erase,
program, verify_erase, verify_program, get_property, three reserved words, ffr_init,
ffr_lock_all, ffr_cust_factory_page_write, ffr_get_uuid, ffr_get_customer_data,
ffr_keystore_write, ffr_keystore_get_ac, ffr_keystore_get_kc, ffr_infield_page_write,
ffr_get_customer_infield_data. Every entry is a small Thumb stub in the ROM that hands its
arguments (r0-r3, further ones on the stack) to this model through a private port (this model's
window, just above the ROM: it has no silicon counterpart), polls the port while the function
runs, and returns the status in r0. The functions drive FLASH CMD/STARTA/STOPA/DATAW exactly as
firmware would (ERASE_RANGE, WRITE + PROGRAM per 512-byte page, BLANK_CHECK, READ_SINGLE_WORD)
and wait for DONE while the CPU spins in the stub, so virtual time passes as on the chip.

Statuses (fsl_iap.h ``kStatus_FLASH_*``: group 1 codes are 100 + n): Success 0, InvalidArgument
4, AlignmentError 101, AddressError 102, CommandFailure 105, UnknownProperty 106, EraseKeyError
107, CommandNotSupported 111, EccError 116, CompareError 117.

Modelling choices (assumed where MCUX has no statement): flash_init reports the whole 0xA0000
array (the SDK then removes the 17 protected pages) in one block, 512-byte pages, 32 KB sectors,
FFR base 0x9DE00 (CFPA scratch, SVD) with 512-byte pages. Erase needs the erase key 'kfel'
(0x6B65666C), a page-aligned start and a length in whole pages. Program needs a page-aligned
start; a length that is not a whole number of pages pads the last page with 0xFF. Verify-erase
fails (CommandFailure) on any page not blank; verify-program compares 16-byte flash words and
reports the first differing 32-bit word. FFR reads copy the CFPA/CMPA pages from the flash
cells; the FFR write, lock and key-store functions return CommandNotSupported.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

from hil.engine.unicorn.peripheral import Peripheral, Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, param_int
from hil.engine.unicorn.peripherals.lpc55_flash import (
    CMD,
    CMD_BLANK_CHECK,
    CMD_ERASE_RANGE,
    CMD_PROGRAM,
    CMD_READ_SINGLE_WORD,
    CMD_WRITE,
    DATAW0,
    DONE,
    ECC_ERR,
    ERR,
    FAIL,
    INT_CLR_STATUS,
    INT_STATUS,
    STARTA,
    STOPA,
    WORD,
)
from hil.platform.model import PeripheralSpec

SUCCESS, INVALID_ARGUMENT, ALIGNMENT, ADDRESS, COMMAND_FAILURE = 0, 4, 101, 102, 105
UNKNOWN_PROPERTY, ERASE_KEY, NOT_SUPPORTED, ECC, COMPARE = 106, 107, 111, 116, 117
ERASE_KEY_VALUE = 0x6B65_666C  # FOUR_CHAR_CODE('l', 'f', 'e', 'k')

TREE, DRIVER, COPYRIGHT, STUBS = 0x10F0, 0x1200, 0x1300, 0x2000
STUB_SIZE = 0x20
BUSY, RESULT = 0x100, 0x104
FUNCTIONS = (
    "flash_init", "flash_erase", "flash_program", "flash_verify_erase", "flash_verify_program",
    "flash_get_property", None, None, None, "ffr_init", "ffr_lock_all",
    "ffr_cust_factory_page_write", "ffr_get_uuid", "ffr_get_customer_data", "ffr_keystore_write",
    "ffr_keystore_get_ac", "ffr_keystore_get_kc", "ffr_infield_page_write",
    "ffr_get_customer_infield_data", "run_bootloader",
)  # fmt: skip

# flash_config_t (words): PFlash base, total size, block count, page size, sector size,
# ffr base, ffr total size, ffr page size, cfpa version, cfpa offset, sysFreqInMHz, ...
FLASH_TOTAL, PAGE, SECTOR, FFR_BASE, FFR_SIZE = 0xA0000, 0x200, 0x8000, 0x9DE00, 0x2200

Step = Iterator[None]  # a ROM function: yields while it waits for the flash controller


def _stub(port: int, index: int) -> bytes:
    """ldr.w ip,=port; str.w r0,[ip,#4*index]; 1: ldr.w r0,[ip,#BUSY]; cmp r0,#0; bne 1b;
    ldr.w r0,[ip,#RESULT]; bx lr."""
    halfwords = (
        0xF8DF, 0xC014, 0xF8CC, 4 * index, 0xF8DC, BUSY, 0x2800, 0xD1FB, 0xF8DC, RESULT,
        0x4770, 0xBF00,
    )  # fmt: skip
    return struct.pack(f"<{len(halfwords)}H", *halfwords) + struct.pack("<I", port)


@register
class Lpc55RomApi(RegisterPeripheral):
    model = "lpc55_romapi"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._rom = param_int(spec, "rom_base", 0x1300_0000)
        self._installed = False
        self._running: Step | None = None
        self._result = 0
        self.calls: list[tuple[str, int]] = []  # (function, status) for the harness and tests
        self.power_on()

    # -- ROM contents -------------------------------------------------------------------------
    def power_on(self) -> None:
        self._running = None
        if not self._installed:  # the ROM keeps its contents: lay them down once
            self._install()
            self._installed = True

    def _install(self) -> None:
        rom, w = self._rom, self.soc.mem_write
        port = self.spec.aliases[0] if self.spec.aliases else self.spec.base
        table = [0] * len(FUNCTIONS)
        for i, name in enumerate(FUNCTIONS):
            if name is not None:
                w(rom + STUBS + i * STUB_SIZE, _stub(port, i))
                table[i] = rom + STUBS + i * STUB_SIZE + 1
        driver_version = 0x4B01_0000  # 'K' 1.0.0 (assumed)
        w(rom + DRIVER, struct.pack(f"<I{len(FUNCTIONS) - 1}I", driver_version, *table[:-1]))
        w(rom + COPYRIGHT, b"ota-hil model of the LPC55S69 boot ROM API\0")
        tree = struct.pack(
            "<IIIII",
            table[-1],  # runBootloader
            0x4B03_0000,  # bootloader_version: name 'K', major 3 (fsl_iap.c version-1 tree)
            rom + COPYRIGHT,
            0,
            rom + DRIVER,
        )
        w(rom + TREE, tree + bytes(24))

    # -- the port -----------------------------------------------------------------------------
    def read_reg(self, offset: int) -> int:
        if offset == BUSY:
            if self._running is not None:
                try:
                    next(self._running)
                except StopIteration:
                    self._running = None
            return 1 if self._running is not None else 0
        if offset == RESULT:
            return self._result
        return 0

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        index = offset // 4
        if offset >= BUSY or index >= len(FUNCTIONS) or FUNCTIONS[index] is None:
            return
        name = FUNCTIONS[index]
        assert name is not None
        args = [value] + [self.soc.core_reg(i) for i in (1, 2, 3)]
        sp = self.soc.core_reg(13)
        args += list(struct.unpack("<II", self.soc.mem_read(sp, 8)))
        self._running = self._call(name, getattr(self, "_" + name, self._unsupported), args)

    def _call(self, name: str, fn: Callable[[list[int]], Step], args: list[int]) -> Step:
        self._result = NOT_SUPPORTED
        yield from fn(args)
        self.calls.append((name, self._result))

    # -- the flash controller -----------------------------------------------------------------
    def _ctrl(self) -> Peripheral:
        return self.soc.peripheral(self.soc.platform.roles.flash_controller)

    def _command(self, cmd: int, start: int, stop: int | None = None) -> Iterator[None]:
        ctrl = self._ctrl()
        ctrl.write(INT_CLR_STATUS, 4, FAIL | ERR | DONE | ECC_ERR)
        ctrl.write(STARTA, 4, start // WORD)
        if stop is not None:
            ctrl.write(STOPA, 4, stop // WORD)
        ctrl.write(CMD, 4, cmd)
        while not ctrl.read(INT_STATUS, 4) & DONE:
            yield

    def _status(self) -> int:
        return self._ctrl().read(INT_STATUS, 4)

    def _check_range(self, start: int, length: int) -> int:
        if start % PAGE:
            return ALIGNMENT
        if length == 0 or start + length > FLASH_TOTAL:
            return ADDRESS
        return SUCCESS

    # -- flash driver -------------------------------------------------------------------------
    def _flash_init(self, a: list[int]) -> Step:
        config = a[0]
        words = (0, FLASH_TOTAL, 1, PAGE, SECTOR, FFR_BASE, FFR_SIZE, PAGE, 0, 0)
        self.soc.mem_write(config, struct.pack("<10I", *words))
        self._result = SUCCESS
        yield from ()

    def _flash_erase(self, a: list[int]) -> Step:
        _, start, length, key = a[:4]
        if key != ERASE_KEY_VALUE:
            self._result = ERASE_KEY
            return
        self._result = self._check_range(start, length) or (ALIGNMENT if length % PAGE else 0)
        if self._result:
            return
        yield from self._command(CMD_ERASE_RANGE, start, start + length - 1)
        self._result = COMMAND_FAILURE if self._status() & (FAIL | ERR) else SUCCESS

    def _flash_program(self, a: list[int]) -> Step:
        _, start, src, length = a[:4]
        self._result = self._check_range(start, length)
        if self._result:
            return
        data = self.soc.mem_read(src, length)
        data += b"\xff" * (-len(data) % PAGE)
        ctrl = self._ctrl()
        for page in range(0, len(data), PAGE):
            for row in range(0, PAGE, WORD):
                chunk = data[page + row : page + row + WORD]
                for i in range(4):
                    ctrl.write(
                        DATAW0 + 4 * i, 4, int.from_bytes(chunk[4 * i : 4 * i + 4], "little")
                    )
                yield from self._command(CMD_WRITE, start + page + row)
            yield from self._command(CMD_PROGRAM, start + page)
            if self._status() & (FAIL | ERR):
                self._result = COMMAND_FAILURE
                return
        self._result = SUCCESS

    def _flash_verify_erase(self, a: list[int]) -> Step:
        _, start, length = a[:3]
        self._result = self._check_range(start, length)
        if self._result:
            return
        yield from self._command(CMD_BLANK_CHECK, start, start + length - 1)
        self._result = COMMAND_FAILURE if self._status() & (FAIL | ERR) else SUCCESS

    def _flash_verify_program(self, a: list[int]) -> Step:
        _, start, length, expected, failed_address, failed_data = a[:6]
        if start % WORD or length % WORD or length == 0 or start + length > FLASH_TOTAL:
            self._result = ALIGNMENT if start % WORD or length % WORD else ADDRESS
            return
        want = self.soc.mem_read(expected, length)
        ctrl = self._ctrl()
        for off in range(0, length, WORD):
            yield from self._command(CMD_READ_SINGLE_WORD, start + off)
            if self._status() & (ECC_ERR | ERR):
                self._result = ECC
                return
            got = b"".join(ctrl.read(DATAW0 + 4 * i, 4).to_bytes(4, "little") for i in range(4))
            for i in range(0, WORD, 4):
                if got[i : i + 4] != want[off + i : off + i + 4]:
                    self._fail_at(failed_address, failed_data, start + off + i, got[i : i + 4])
                    self._result = COMPARE
                    return
        self._result = SUCCESS

    def _fail_at(self, at_address: int, at_data: int, address: int, data: bytes) -> None:
        if at_address:
            self.soc.mem_write(at_address, address.to_bytes(4, "little"))
        if at_data:
            self.soc.mem_write(at_data, data)

    def _flash_get_property(self, a: list[int]) -> Step:
        config, tag, value = a[:3]
        words = struct.unpack("<11I", self.soc.mem_read(config, 44))
        props = {
            0: words[4], 1: words[1], 2: words[1], 3: words[2], 4: words[0], 5: words[3],
            6: words[10], 7: words[7], 8: words[6], 9: words[5], 10: words[7],
        }  # fmt: skip
        if tag not in props or not value:
            self._result = UNKNOWN_PROPERTY if tag not in props else INVALID_ARGUMENT
            return
        self.soc.mem_write(value, props[tag].to_bytes(4, "little"))
        self._result = SUCCESS
        yield from ()

    def _unsupported(self, a: list[int]) -> Step:
        self._result = NOT_SUPPORTED
        yield from ()

    # -- FFR ----------------------------------------------------------------------------------
    def _ffr_init(self, a: list[int]) -> Step:
        self._result = SUCCESS
        yield from ()

    def _ffr_copy(self, dest: int, base: int, offset: int, length: int) -> None:
        if not dest or offset + length > PAGE:
            self._result = INVALID_ARGUMENT
            return
        self.soc.mem_write(dest, self.soc.mem_read(base + offset, length))
        self._result = SUCCESS

    def _ffr_get_customer_infield_data(self, a: list[int]) -> Step:
        config, dest, offset, length = a[:4]
        page = struct.unpack("<I", self.soc.mem_read(config + 36, 4))[0] or 1
        self._ffr_copy(dest, FFR_BASE + page * PAGE, offset, length)
        yield from ()

    def _ffr_get_customer_data(self, a: list[int]) -> Step:
        _, dest, offset, length = a[:4]
        self._ffr_copy(dest, FFR_BASE + 3 * PAGE, offset, length)  # CMPA at 0x9E400 (SVD)
        yield from ()

    def _ffr_get_uuid(self, a: list[int]) -> Step:
        _, dest = a[:2]
        self._ffr_copy(dest, 0x9FC70, 0, 16)  # assumed: NMPA UUID location
        yield from ()
