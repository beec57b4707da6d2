"""Package geometry (issue 10, class "geometry"): the second of two releases is shaped so that
its image ends at a chosen place in its slot. The device runs the first release from slot B,
so the second goes into slot A, right below the running image: an erase that runs past the end
of slot A hits the running slot.

  smallest        the application as built (no padding)
  chunk-boundary  payload padded to a whole number of chunks
  near-full       the image ends 32 bytes before the slot end (inside the 64-byte erased tail
                  window the updater keeps after an image)
  full            the image ends exactly at the slot end
  over            one byte more than the slot: must be refused (item 7's predicate)

The payload is the slot's application binary followed by padding bytes (zeros but the last, a
salt that moves the signature length; never run);
the image is signed and chunk-hashed over all of it like any other.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hil.errors import HilError
from hil.evidence.vocab import Ev
from hil.image.builder import build_image, slot_size, spec_for_platform
from hil.provision import harness_keys
from hil.scenarios.bench import Bench, ScenarioRun
from hil.scenarios.steps import fresh, install, package, settle_boot, target
from hil.update import update_client
from hil.update.packages import app_binary

SHAPES = ("smallest", "chunk-boundary", "near-full", "full", "over")


def shaped_package(b: Bench, build: int, slot: str, shape: str) -> bytes:
    """A valid package for ``slot`` whose total size is set by ``shape`` (``SHAPES``)."""
    if shape not in SHAPES:
        raise HilError(f"geometry: expected a shape of {', '.join(SHAPES)}, found {shape!r}")
    spec = spec_for_platform(
        b.platform, app_binary(b.firmware, slot), build, harness_keys().signer, slot
    )
    if shape == "smallest":
        return build_image(spec)
    if shape == "chunk-boundary":
        pad = -len(spec.payload) % spec.chunk_size
        return build_image(dataclasses.replace(spec, payload=spec.payload + bytes(pad)))
    room = slot_size(b.platform, slot)
    want = {"near-full": room - 32, "full": room, "over": room + 1}[shape]
    # the TLV area grows with the chunk count and the DER signature length (70-72 bytes, set by
    # the signed bytes): step the padding by the size error; when the signature length makes it
    # oscillate, change the last padding byte (a salt) so the signature, and its length, change
    pad = want - len(build_image(spec))
    for salt in range(64):
        for _ in range(4):
            tail = bytes(max(0, pad - 1)) + bytes([salt]) if pad > 0 else b""
            image = build_image(dataclasses.replace(spec, payload=spec.payload + tail))
            if len(image) == want:
                return image
            pad += want - len(image)
    raise HilError(f"geometry: could not shape a {shape} image of {want} bytes")


def geometry(
    b: Bench, run: ScenarioRun, shape: str = "near-full", staged_reboot: bool = False, **_: Any
) -> None:
    """Build 2 runs from slot B; the shaped build 3 goes into slot A. With ``staged_reboot``
    the image is first only uploaded (staged, not marked for test) and the power cycled: the
    running image in B must still boot (an erase past the end of slot A shows here even when it
    hit only bytes the running application never executes), then the image is installed."""
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev)))  # build 2 runs from slot B
    slot = target(dev)
    pkg = shaped_package(b, 3, slot, shape)
    run.notes.append(f"geometry {shape}: {len(pkg)} bytes into slot {slot}")
    if staged_reboot:
        res = update_client(dev).update(pkg, budget_ms=b.update_ms, reset=False, test=False)
        run.notes.append(
            "staged only, then a power cycle: "
            + ("upload complete" if res.upload.error is None else f"upload: {res.upload.error}")
        )
        dev.power_cycle()
        if settle_boot(b, dev).name == Ev.RESCUE:
            return  # the running image did not survive the staging (the predicate says so)
    install(b, run, dev, pkg)
