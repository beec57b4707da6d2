"""The outside oracle: what flash, the core and the engine say about a firmware under test,
without the firmware's help (issue 12, docs/contract-swap.md §12).

``Oracle.attach`` hooks the engine (resets with the chip's reset-cause register, every flash
operation with the supply level the harness set); ``observe`` reads the slots, decodes the
trailers and the PC, and returns an ``Observation``; ``events`` turns observations into evidence
events (source ``oracle``) that the matrix predicates read like any other evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hil.engine.base import Engine, FlashOp, FlashOpAction, ResetCause
from hil.evidence.event import Event
from hil.image import wolfboot
from hil.oracle.image import SlotImage, installed_image, slot_image
from hil.oracle.trailer import Trailer, decode
from hil.platform.model import Platform
from hil.profile.model import OracleCheck, Profile

# exception numbers of the Armv8-M fault handlers (IPSR): NMI, HardFault, MemManage, BusFault,
# UsageFault, SecureFault
FAULT_EXCEPTIONS = frozenset({2, 3, 4, 5, 6, 7})
STATE_NAMES = {
    wolfboot.IMG_STATE_NEW: "new",
    wolfboot.IMG_STATE_UPDATING: "updating",
    wolfboot.IMG_STATE_TESTING: "testing",
    wolfboot.IMG_STATE_SUCCESS: "success",
}


@dataclass(frozen=True)
class ResetRecord:
    at_us: int
    cause: str  # the engine's reset cause
    register: int | None  # the chip's reset-cause register right after reset
    flags: tuple[str, ...]  # its flag names that are set (platform flag_bits)


@dataclass(frozen=True)
class Observation:
    installed: str  # label of the approved image in the primary slot, "none" or "unknown:<sha>"
    running: str  # label of the running image (PC inside it), "fault", "bootloader", "none"
    pc: int
    trailers: Mapping[str, Trailer]  # by area name
    resets: tuple[ResetRecord, ...]
    reboot_loop: bool
    gating_violations: tuple[FlashOp, ...]
    version: str = "none"  # the installed image's version, read from its header
    # wolfBoot partition states by area: (role 'boot' or 'update', state)
    states: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Oracle:
    profile: Profile
    platform: Platform
    engine: Engine
    approved: dict[str, str] = field(default_factory=dict)  # sha256 -> label
    resets: list[ResetRecord] = field(default_factory=list)
    supply_mv: int = 0
    low_mv: int = 0  # at or below this the firmware must not start a flash operation
    violations: list[FlashOp] = field(default_factory=list)
    _ops_since_drop: int = 0

    def attach(self) -> None:
        self.supply_mv = self.platform.supply.nominal_mv
        self.engine.on_reset(self._on_reset)
        self.engine.on_flash_op(self._on_flash_op)

    def approve(self, label: str, sha256: str) -> None:
        self.approved[sha256] = label

    def set_supply_mv(self, millivolts: int, *, low: bool) -> None:
        """Set the supply through the oracle so it knows whether writes must be gated."""
        self.supply_mv = millivolts
        self.low_mv = millivolts if low else 0
        self._ops_since_drop = 0
        self.engine.set_supply_mv(millivolts)

    # -- hooks ----------------------------------------------------------------------------------
    def _on_reset(self, cause: ResetCause) -> None:
        reg, flags = self._reset_register()
        us = self.engine.instructions_to_us(self.engine.ticks)
        self.resets.append(ResetRecord(us, str(cause), reg, flags))

    def _reset_register(self) -> tuple[int | None, tuple[str, ...]]:
        if OracleCheck.RESET_CAUSE not in self.profile.oracle_checks():
            return None, ()
        spec = self.platform.peripheral(self.platform.roles.reset_cause)
        offset = spec.params.get("csr_offset", spec.params.get("aoreg1_offset"))
        if not isinstance(offset, int):
            return None, ()
        raw = self.engine.debug_read32(spec.base + offset)
        bits = spec.params.get("flag_bits", {})
        names = tuple(
            sorted(n for n, b in bits.items() if isinstance(b, int) and raw >> b & 1)
        ) if isinstance(bits, Mapping) else ()  # fmt: skip
        return raw, names

    def _on_flash_op(self, op: FlashOp) -> FlashOpAction:
        if self.low_mv and self.supply_mv <= self.low_mv:
            # the one operation whose supply check came before the drop may still start
            self._ops_since_drop += 1
            if self._ops_since_drop > 1:
                self.violations.append(op)
        return FlashOpAction.CONTINUE

    # -- reading ----------------------------------------------------------------------------------
    def _slot(self, name: str) -> bytes:
        a = self.profile.area(name)
        return self.engine.flash_read(self.platform.flash.base + a.offset, a.size)

    def observe(self) -> Observation:
        if self.profile.image.wolfboot is not None:
            return self._observe_wolfboot()
        fmt = self.profile.image.mcuboot
        checks = self.profile.oracle_checks()
        installed, running, pc = "none", "none", self.engine.pc
        trailers: dict[str, Trailer] = {}
        if fmt is not None:
            primary = self._slot(fmt.primary)
            img = slot_image(primary)
            if img is not None:
                installed = self.approved.get(img.sha256, f"unknown:{img.sha256[:12]}")
            if OracleCheck.TRAILER in checks:
                trailers[fmt.primary] = decode(primary, fmt)
                trailers[fmt.secondary] = decode(self._slot(fmt.secondary), fmt)
            if OracleCheck.IMAGE in checks:
                running = self._running(fmt.primary, img, installed, pc, running)
        return Observation(
            installed=installed,
            running=running,
            pc=pc,
            trailers=trailers,
            resets=tuple(self.resets),
            reboot_loop=self.reboot_loop(),
            gating_violations=tuple(self.violations),
            version=img.version if fmt is not None and img is not None else "none",
        )

    def _running(
        self, area: str, img: SlotImage | None, installed: str, pc: int, otherwise: str
    ) -> str:
        """What the core runs: "fault" in a fault handler, the installed image when the PC is in
        its code in ``area``, "bootloader" in the bootloader's area, else ``otherwise``."""
        base = self.platform.flash.base + self.profile.area(area).offset
        if self.engine.read_register("xpsr") & 0x1FF in FAULT_EXCEPTIONS:
            return "fault"
        if img is not None and base + img.hdr_size <= pc < base + img.end:
            return installed
        if self._in_area(pc, "bootloader"):
            return "bootloader"
        return otherwise

    def _observe_wolfboot(self) -> Observation:
        """wolfBoot: the boot partition's manifest header names the installed image and its
        version; each partition's state byte before the "BOOT" trail magic (``trailer``)."""
        fmt = self.profile.image.wolfboot
        assert fmt is not None
        checks = self.profile.oracle_checks()
        installed, running, pc, version = "none", "none", self.engine.pc, "none"
        boot = self._slot(fmt.boot)
        img = installed_image(self.profile.image, boot)
        if img is not None:
            installed = self.approved.get(img.sha256, f"unknown:{img.sha256[:12]}")
            version = img.version
        states: dict[str, tuple[str, str]] = {}
        if OracleCheck.TRAILER in checks:
            for role, name in (("boot", fmt.boot), ("update", fmt.update)):
                st = wolfboot.partition_state(self._slot(name), self.platform.flash.page_size)
                shown = "unset" if st is None else STATE_NAMES.get(st, f"0x{st:02x}")
                states[name] = (role, shown)
        if OracleCheck.IMAGE in checks:
            running = self._running(fmt.boot, img, installed, pc, running)
        return Observation(
            installed=installed,
            running=running,
            pc=pc,
            trailers={},
            resets=tuple(self.resets),
            reboot_loop=self.reboot_loop(),
            gating_violations=tuple(self.violations),
            version=version,
            states=states,
        )

    def _in_area(self, pc: int, kind: str) -> bool:
        base = self.platform.flash.base
        return any(
            a.kind == kind and base + a.offset <= pc < base + a.offset + a.size
            for a in self.profile.areas
        )

    def reboot_loop(self) -> bool:
        """No stable run: the chip reset itself (any cause but a power-on by the harness) less
        than ``stable_run_ms`` ago. The caller runs at least ``stable_run_ms`` past the last
        reset it expects before asking."""
        if self.profile.oracle is None:
            return False
        stable_us = self.profile.oracle.stable_run_ms * 1000
        now = self.engine.instructions_to_us(self.engine.ticks)
        return any(
            r.cause != ResetCause.POWER_ON.value and now - r.at_us < stable_us for r in self.resets
        )


def events(obs: Observation, seq0: int = 0) -> list[Event]:
    """The observation as evidence events (``src = oracle``), in a fixed order."""
    out: list[Event] = []

    def add(name: str, **fields: str) -> None:
        raw = f"oracle {name} " + " ".join(f"{k}={v}" for k, v in fields.items())
        out.append(Event(seq0 + len(out), "oracle", name, tuple(fields.items()), raw.strip()))

    for r in obs.resets:
        reg = "none" if r.register is None else f"0x{r.register:08x}"
        add("RESET", cause=r.cause, register=reg, flags=",".join(r.flags) or "none")
    for name, t in sorted(obs.trailers.items()):
        st = "unset" if t.swap_type is None else str(t.swap_type)
        add("TRAILER", area=name, magic=t.magic.name.lower(), image_ok=t.image_ok.name.lower(),
            copy_done=t.copy_done.name.lower(), swap_type=st, progress=str(t.progress))  # fmt: skip
    for name, (role, state) in sorted(obs.states.items()):
        add("PARTITION_STATE", area=name, role=role, state=state)
    add("INSTALLED", image=obs.installed)
    add("RUNNING", image=obs.running, pc=f"0x{obs.pc:08x}")
    add("REBOOT_LOOP", loop="yes" if obs.reboot_loop else "no")
    for op in obs.gating_violations:
        add("GATING_VIOLATION", op=str(op.kind), address=f"0x{op.address:08x}")
    return out
