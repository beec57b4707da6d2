"""The update routes of a target profile (``update.route``), dispatched in one place:
``deliver(target, image)`` puts an image on its way to the device as the profile says and
returns what happened (a step line for reports).

- ``smp``: MCUmgr SMP over the profile's UART (upload, ``image state-write`` test, reset),
  as a stock client does (``hil.target.device.smp_update``);
- ``staged``: the harness writes the package into the update slot (a debug-probe write: the
  slot is erased, then programmed), then triggers the update:
  - ``console``: the trigger command line on the console UART (the firmware marks the update
    and resets itself);
  - ``strap``: the strap pin held through a pin reset until the device has booted, then
    released;
  - ``trailer``: the format's update flag, then a pin reset: MCUboot, a trailer write into
    the update slot (the magic, image_ok unset: a test swap, what ``boot_set_pending(0)``
    writes); wolfBoot, state ``IMG_STATE_UPDATING`` and the "BOOT" trail magic ("pBOOT") at
    the end of the update partition (what ``wolfBoot_update_trigger`` writes);
- ``ota-hil``: the reference updater's route is judged by the evidence library (``hil
  update``), not here.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.errors import HilError
from hil.image import wolfboot
from hil.oracle.trailer import MAGIC_TAIL, TrailerLayout
from hil.profile.model import TriggerKind, UpdateRouteKind
from hil.target.device import ProfileTarget, smp_update

STRAP_HOLD_MS = 500  # how long a strap stays held after the reset (the bootloader samples it)
PROBE_WAIT_MS = 1000  # how long the debug probe waits for a flash operation in flight to end


def deliver(t: ProfileTarget, image: bytes) -> str:
    """Deliver ``image`` over the profile's update route; returns the step line."""
    route = t.profile.update
    if route.kind is UpdateRouteKind.SMP:
        return smp_update(t, image)
    if route.kind is UpdateRouteKind.STAGED:
        return staged_update(t, image)
    raise HilError(
        f"{t.profile.path}: update route {route.kind.value} is the reference updater's "
        "(judge it with the evidence library: hil update / hil matrix)"
    )


def staged_update(t: ProfileTarget, image: bytes) -> str:
    route = t.profile.update
    assert route.slot is not None and route.trigger is not None  # the loader requires them
    area = t.profile.area(route.slot)
    if len(image) > area.size:
        raise HilError(
            f"{t.profile.path}: a {len(image)}-byte image does not fit update slot "
            f"{route.slot} ({area.size} bytes)"
        )
    fmt = t.profile.image.mcuboot  # the bootloader's idea of erased, else the chip's
    fill = fmt.erased if fmt is not None else t.platform.flash.erased_value
    erased = bytes([fill]) * (area.size - len(image))
    _wait_flash_idle(t)
    t.engine.program_flash(t.area_address(route.slot), image + erased)
    step = f"staged {len(image)} bytes into {route.slot}"
    trig = route.trigger
    if trig.kind is TriggerKind.CONSOLE:
        assert trig.command is not None
        t.console.write(trig.command.encode() + b"\n")
        return f"{step}; console command {trig.command!r}"
    if trig.kind is TriggerKind.STRAP:
        assert trig.pin is not None
        t.engine.set_pin(trig.pin, 1)
        _reset(t)
        t.run(STRAP_HOLD_MS)
        t.engine.set_pin(trig.pin, 0)
        return f"{step}; strap {trig.pin} held through a pin reset for {STRAP_HOLD_MS} ms"
    wb = t.profile.image.wolfboot
    if wb is not None:
        at, flag = wolfboot.update_trigger(t.profile.area(wb.update).size)
        t.engine.program_flash(t.area_address(wb.update) + at, flag)
        _reset(t)
        return f"{step}; wolfBoot update flag 'pBOOT' written at +0x{at:x}; pin reset"
    if fmt is None:
        raise HilError(
            f"{t.profile.path}: a trailer trigger needs image format mcuboot or wolfboot"
        )
    lay = TrailerLayout.of(fmt, area.size)
    magic = (fmt.align & 0xFFFF).to_bytes(2, "little") + MAGIC_TAIL
    t.engine.program_flash(t.area_address(route.slot) + lay.magic, magic)
    _reset(t)
    return f"{step}; trailer magic written at +0x{lay.magic:x} (test swap); pin reset"


def _wait_flash_idle(t: ProfileTarget) -> None:
    """A debug probe writes the array and pulls reset only once the flash controller has no
    operation in flight: the harness must not tear what the firmware is writing (a cut it did
    not plan and could not prove). The device runs on until its operation ends."""
    engine = t.engine
    if not engine.powered or not engine.flash_busy():
        return
    engine.run(PROBE_WAIT_MS * 1000, until=lambda: not engine.flash_busy())
    if engine.flash_busy():
        raise HilError(
            f"{t.profile.path}: staged update: expected the flash controller idle within "
            f"{PROBE_WAIT_MS} ms so the probe can write, found an operation still in flight"
        )


def _reset(t: ProfileTarget) -> None:
    if t.engine.powered:
        _wait_flash_idle(t)
        t.engine.reset(ResetCause.PIN)
    else:
        t.power_on()
