"""STM32U585 public key accelerator (PKA, NS 0x420C_2000, window 0x1C00): ECDSA verification.

Registers (CMSIS ``PKA_TypeDef`` STC:1084-1090): CR 0x00, SR 0x04, CLRFR 0x08, PKA RAM 0x400 -
0x18D7 (1334 words). Bits (STC:24044-24104): CR EN b0, START b1, MODE[5:0] b8-13, PROCENDIE b17,
RAMERRIE b19, ADDRERRIE b20, OPERRIE b21; SR INITOK b0, BUSY b16, PROCENDF b17, RAMERRF b19,
ADDRERRF b20, OPERRF b21; CLRFR PROCENDFC b17, RAMERRFC b19, ADDRERRFC b20, OPERRFC b21 (write 1
clears the flag). The ECDSA verification operands sit at the RAM offsets of STC:24188-24201
(``RAM_*`` below, offsets from the block base); numbers are little-endian 32-bit words, least
significant word first (RTT Src/stm32u5xx_hal_pka.c ``PKA_Memcpy_u8_to_u32``; source aliases as in
platforms/stm32u585/platform.yaml).

Behaviour modelled:
- Clock: the block answers only while RCC_AHB2ENR1.PKAEN (``params.clock_enable``) is set;
  otherwise reads return 0 and writes are dropped (assumed: no RM text on a gated AHB slave).
- EN 0 -> 1 starts the RAM initialisation: SR.INITOK rises ``params.init_cycles`` HCLK cycles
  later (the HAL waits for it after ``CR = EN``, RTT hal_pka.c HAL_PKA_Init). EN = 0 keeps the
  PKA in reset: an operation in progress is aborted (RM: RAM content then not guaranteed; the
  model leaves it as it was) and INITOK falls.
- START with EN and INITOK: MODE 0x26 (ECDSA verification, RTT ll_pka.h
  LL_PKA_MODE_ECDSA_VERIFICATION) sets BUSY; ``verify_cycles(p_bits, n_bits)`` HCLK cycles later
  (virtual time, converted at the core clock of the start) the result word is written at
  ``RAM_RESULT`` (0xD60D valid, RTT hal_pka.c HAL_PKA_ECDSAVerif_IsValidSignature; 0xA3B7
  otherwise), BUSY falls and PROCENDF rises. The verification is real: u1 = z s^-1, u2 = r s^-1,
  (x, y) = u1 G + u2 Q over the curve y^2 = x^3 + a x + b mod p the operands describe, valid iff
  x mod n == r. r or s outside [1, n-1], a point Q not on the curve or a zero / even modulus
  give 0xA3B7 (assumed: RM0456 lists 0 < r, s < n as input conditions without a separate code).
- A MODE value the HAL lists (``KNOWN_MODES``) but this model does not compute is reported as
  an unmodelled feature (``soc.report_unmodelled``: recorded like an access to an unmodelled
  block, a stop in strict MMIO mode) and the operation never ends (BUSY stays set). Any other
  MODE sets OPERRF at START (RM: operation error for an unsupported mode).
- While BUSY, PKA RAM accesses are ignored (reads 0) and set RAMERRF (RM, also RM0432
  36.3.6). Accesses inside the window outside CR/SR/CLRFR and the RAM set ADDRERRF.
- Interrupt ``pka`` (PKA_IRQn 97, STC:166) is asserted while (PROCENDF and PROCENDIE) or
  (RAMERRF and RAMERRIE) or (ADDRERRF and ADDRERRIE) or (OPERRF and OPERRIE).
- Every reset and power-on: registers and RAM to 0, any operation lost (a cut during an
  operation leaves nothing: the firmware starts over).
"""

from __future__ import annotations

from collections.abc import Mapping

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge, param_int
from hil.errors import UnknownNameError
from hil.platform.model import PeripheralSpec

CR, SR, CLRFR = 0x00, 0x04, 0x08
RAM_BASE, RAM_WORDS = 0x400, 1334
EN, START = 1 << 0, 1 << 1
MODE_SHIFT, MODE_MASK = 8, 0x3F << 8
PROCENDIE, RAMERRIE, ADDRERRIE, OPERRIE = 1 << 17, 1 << 19, 1 << 20, 1 << 21
CR_BITS = EN | MODE_MASK | PROCENDIE | RAMERRIE | ADDRERRIE | OPERRIE
INITOK, BUSY, PROCENDF, RAMERRF, ADDRERRF, OPERRF = 1, 1 << 16, 1 << 17, 1 << 19, 1 << 20, 1 << 21
FLAGS = PROCENDF | RAMERRF | ADDRERRF | OPERRF

MODE_ECDSA_VERIFY = 0x26
# every MODE of RTT Inc/stm32u5xx_ll_pka.h (LL_PKA_MODE_*)
KNOWN_MODES = frozenset(
    {0x00, 0x01, 0x02, 0x03, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
     0x20, 0x23, 0x24, 0x26, 0x27, 0x28, 0x2F}
)  # fmt: skip

# ECDSA verification operands (byte offsets from the block base, STC:24188-24201)
RAM_ORDER_NB_BITS = 0x0408
RAM_MOD_NB_BITS = 0x04C8
RAM_A_COEFF_SIGN = 0x0468
RAM_A_COEFF = 0x0470
RAM_MOD_GF = 0x04D0
RAM_GX, RAM_GY = 0x0678, 0x06D0
RAM_QX, RAM_QY = 0x12F8, 0x1350
RAM_R, RAM_S = 0x10E0, 0x0C68
RAM_HASH = 0x13A8
RAM_ORDER_N = 0x1088
RAM_RESULT = 0x05D0
RESULT_VALID, RESULT_INVALID = 0xD60D, 0xA3B7
MAX_ECC_BITS = 640  # RM: ECC operands up to 640 bits

Point = tuple[int, int] | None


@register
class Stm32u5Pka(RegisterPeripheral):
    model = "stm32u5_pka"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._rcc = str(spec.params.get("rcc", "rcc"))
        clk = spec.params.get("clock_enable", {"offset": 0x8C, "bit": 19})
        if not isinstance(clk, Mapping) or "offset" not in clk or "bit" not in clk:
            raise TypeError(
                f"{spec.name}.params.clock_enable: expected {{offset: N, bit: N}}, found {clk!r}"
            )
        self._clk_offset, self._clk_bit = int(str(clk["offset"]), 0), int(str(clk["bit"]), 0)
        self._init_cycles = param_int(spec, "init_cycles", RAM_WORDS)
        self._verify_cycles = param_int(spec, "verify_cycles_256", 3_000_000)
        self._cr = 0
        self._sr = 0
        self._ram = [0] * RAM_WORDS
        self._init_at: int | None = None  # virtual time INITOK rises (None: not initialising)
        self._gen = 0  # bumps at every reset / abort: pending completions check it
        self.operations = 0  # operations started (for tests and the harness)
        self.results: list[int] = []  # result word of each completed ECDSA verification

    # ------------------------------------------------------------------ reset / clock

    def power_on(self) -> None:
        self._cr = 0
        self._sr = 0
        self._ram = [0] * RAM_WORDS
        self._init_at = None
        self._gen += 1
        self._update_irq()

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    def _clocked(self) -> bool:
        try:
            rcc = self.soc.peripheral(self._rcc)
        except UnknownNameError:
            return True  # no clock-tree model: always clocked
        return bool(rcc.read(self._clk_offset, 4) & (1 << self._clk_bit))

    def _cycles_to_ticks(self, cycles: int) -> int:
        return max(1, self.soc.us_to_instructions(cycles * 1_000_000 / self.soc.core_clock_hz))

    def _status(self) -> int:
        if self._init_at is not None and self.soc.instructions >= self._init_at:
            self._sr |= INITOK
            self._init_at = None
        return self._sr

    @property
    def busy(self) -> bool:
        return bool(self._sr & BUSY)

    def _update_irq(self) -> None:
        sr, cr = self._sr, self._cr
        level = bool(
            (sr & PROCENDF and cr & PROCENDIE)
            or (sr & RAMERRF and cr & RAMERRIE)
            or (sr & ADDRERRF and cr & ADDRERRIE)
            or (sr & OPERRF and cr & OPERRIE)
        )
        self.drive_irq("pka", level)

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        if not self._clocked():
            return 0
        if offset == CR:
            return self._cr
        if offset == SR:
            return self._status()
        if offset == CLRFR:
            return 0
        word = self._ram_index(offset)
        if word is None:
            return 0
        return self._ram[word]

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if not self._clocked():
            return
        if offset == CR:
            self._write_cr(merge(self._cr, value, mask))
        elif offset == CLRFR:
            self._sr &= ~(value & mask & FLAGS)
            self._update_irq()
        elif offset == SR:
            return  # read-only
        else:
            word = self._ram_index(offset)
            if word is not None:
                self._ram[word] = merge(self._ram[word], value, mask)

    def _ram_index(self, offset: int) -> int | None:
        """The RAM word at ``offset``, or None (an access error, flagged here)."""
        word = (offset - RAM_BASE) >> 2
        if not 0 <= word < RAM_WORDS:
            self._sr |= ADDRERRF
            self._update_irq()
            return None
        if self._sr & BUSY:
            self._sr |= RAMERRF
            self._update_irq()
            return None
        return word

    def _write_cr(self, new: int) -> None:
        was_enabled = bool(self._cr & EN)
        self._cr = new & CR_BITS
        if not new & EN:
            if was_enabled:
                self._gen += 1  # abort any operation
                self._sr &= ~(BUSY | INITOK)
                self._init_at = None
        elif not was_enabled:
            self._sr &= ~INITOK
            self._init_at = self.soc.instructions + self._cycles_to_ticks(self._init_cycles)
        if new & START and new & EN and self._status() & INITOK and not self._sr & BUSY:
            self._start((new & MODE_MASK) >> MODE_SHIFT, new)
        self._update_irq()

    # ------------------------------------------------------------------ operations

    def _start(self, mode: int, cr: int) -> None:
        if mode not in KNOWN_MODES:
            self._sr |= OPERRF
            return
        self.operations += 1
        self._sr |= BUSY
        if mode != MODE_ECDSA_VERIFY:
            self.soc.report_unmodelled(
                "PKA", f"CR.MODE=0x{mode:02x}", self.spec.base + CR, 4, True, cr
            )
            return  # never ends: BUSY stays set until EN is cleared or a reset
        result, p_bits, n_bits = self._ecdsa_verify()
        gen = self._gen
        cycles = self._verify_cycles * max(1, p_bits) * max(1, p_bits) * max(1, n_bits) // 256**3

        def done() -> None:
            if self._gen != gen:
                return  # aborted or reset meanwhile: the operation is lost
            self._ram[(RAM_RESULT - RAM_BASE) >> 2] = result
            self._ram[((RAM_RESULT - RAM_BASE) >> 2) + 1] = 0
            self._sr = (self._sr & ~BUSY) | PROCENDF
            self.results.append(result)
            self._update_irq()

        self.soc.schedule(self.soc.instructions + self._cycles_to_ticks(max(1, cycles)), done)

    def _word(self, offset: int) -> int:
        return self._ram[(offset - RAM_BASE) >> 2]

    def _number(self, offset: int, bits: int) -> int:
        start = (offset - RAM_BASE) >> 2
        words = self._ram[start : start + (bits + 31) // 32]
        return sum(w << (32 * i) for i, w in enumerate(words))

    def _ecdsa_verify(self) -> tuple[int, int, int]:
        """(result word, modulus bits, order bits) of the operands in RAM now."""
        p_bits = self._word(RAM_MOD_NB_BITS)
        n_bits = self._word(RAM_ORDER_NB_BITS)
        if not (0 < p_bits <= MAX_ECC_BITS and 0 < n_bits <= MAX_ECC_BITS):
            return RESULT_INVALID, min(p_bits, MAX_ECC_BITS), min(n_bits, MAX_ECC_BITS)
        num = self._number
        p, n = num(RAM_MOD_GF, p_bits), num(RAM_ORDER_N, n_bits)
        a = num(RAM_A_COEFF, p_bits) * (-1 if self._word(RAM_A_COEFF_SIGN) & 1 else 1)
        g = (num(RAM_GX, p_bits), num(RAM_GY, p_bits))
        q = (num(RAM_QX, p_bits), num(RAM_QY, p_bits))
        r, s, z = num(RAM_R, n_bits), num(RAM_S, n_bits), num(RAM_HASH, n_bits)
        try:
            valid = ecdsa_verify(p, a, g, n, q, r, s, z)
        except ValueError:  # no inverse: p or n is not prime
            valid = False
        return (RESULT_VALID if valid else RESULT_INVALID), p_bits, n_bits


# ---------------------------------------------------------------------- the mathematics


def _add(p: int, a: int, u: Point, v: Point) -> Point:
    if u is None:
        return v
    if v is None:
        return u
    (x1, y1), (x2, y2) = u, v
    if x1 == x2:
        if (y1 + y2) % p == 0:
            return None
        lam = (3 * x1 * x1 + a) * pow(2 * y1, -1, p) % p
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, p) % p
    x3 = (lam * lam - x1 - x2) % p
    return x3, (lam * (x1 - x3) - y1) % p


def _on_curve(p: int, a: int, b: int, pt: tuple[int, int]) -> bool:
    x, y = pt
    return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + a * x + b)) % p == 0


def ecdsa_verify(
    p: int, a: int, g: tuple[int, int], n: int, q: tuple[int, int], r: int, s: int, z: int
) -> bool:
    """ECDSA verification over y^2 = x^3 + a x + b (mod p) with base point ``g`` of order ``n``:
    b follows from ``g`` being on the curve. ``z`` is the hash as an integer (already cut to the
    order's length by whoever loaded it). Raises ValueError when p or n is not prime (an
    inverse does not exist)."""
    if p < 3 or p % 2 == 0 or n < 2 or not (0 < r < n and 0 < s < n):
        return False
    b = (g[1] * g[1] - g[0] ** 3 - a * g[0]) % p
    if not _on_curve(p, a, b, q):
        return False
    w = pow(s, -1, n)
    u1, u2 = z * w % n, r * w % n
    acc: Point = None
    both = _add(p, a, g, q)
    for i in range(max(u1.bit_length(), u2.bit_length()) - 1, -1, -1):
        acc = _add(p, a, acc, acc)
        bit1, bit2 = (u1 >> i) & 1, (u2 >> i) & 1
        if bit1 and bit2:
            acc = _add(p, a, acc, both)
        elif bit1:
            acc = _add(p, a, acc, g)
        elif bit2:
            acc = _add(p, a, acc, q)
    return acc is not None and acc[0] % n == r
