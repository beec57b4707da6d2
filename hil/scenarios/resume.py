"""Resume over bad bytes (issue 10, class "resume"; item 2): both item-2 cuts of
``resume_after_reboot`` leave correct bytes in flash. Here the first upload carries a corrupt
chunk k (one payload byte changed; header, TLVs, chunk hashes and signature those of the good
package, so only chunk k's hash can fail), the power goes while the device checks chunk k (all
its bytes programmed, the outcome of its check neither reported nor committed), and after the
power comes back the GOOD package is uploaded: the device must not resume past chunk k over
the wrong bytes. Item 2's predicate judges the device's evidence (RESUME, CHUNK, VERIFY_SIG,
the install); what the harness corrupted is never read by it.

The chunk and the byte are drawn from ``random.Random`` seeded with the case's ``seed`` only,
so both chips get the same choice (their packages have the same chunk size and more chunks
than the draw reaches).
"""

from __future__ import annotations

import random
from typing import Any

from hil.errors import HilError
from hil.evidence.vocab import Ev, Field
from hil.image.constants import IMG_TLV_CHUNK_SIZE, IMG_TLV_PROT_MAGIC
from hil.image.parse import parse_image
from hil.scenarios.bench import Bench, ScenarioRun
from hil.scenarios.power import resume_plan, upload_until_cut
from hil.scenarios.steps import boot, fresh, install, package, target

FIRST_CHUNK, LAST_CHUNK = 1, 7  # the draw: a chunk with one before it and several after it


def corrupt_choice(seed: int, chunk_size: int) -> tuple[int, int]:
    """(chunk, byte offset inside it) drawn from ``seed`` alone."""
    rng = random.Random(f"resume-over-bad-bytes/{seed}")
    return rng.randint(FIRST_CHUNK, LAST_CHUNK), rng.randrange(chunk_size)


def corrupt_chunk(pkg: bytes, seed: int) -> tuple[bytes, int, int]:
    """``pkg`` with one byte of a seeded chunk changed (never to the erased value 0xFF, so the
    program unit holding it always reads as programmed); returns (package, chunk, slot
    offset of the byte). Harness side: what to inject, never used to judge."""
    img = parse_image(pkg)
    size = img.find(IMG_TLV_PROT_MAGIC, IMG_TLV_CHUNK_SIZE)
    if img.header is None or size is None:
        raise HilError(f"package without a header or CHUNK_SIZE: {img.detail}")
    cs = int.from_bytes(size.value[:4], "little")
    chunk, within = corrupt_choice(seed, cs)
    count = -(-img.header.img_size // cs)
    if chunk >= count - 1:
        raise HilError(f"resume over bad bytes: chunk {chunk} drawn, the package has {count}")
    at = img.header.hdr_size + chunk * cs + within
    out = bytearray(pkg)
    out[at] ^= 0xA5 if out[at] ^ 0xA5 != 0xFF else 0x5A
    return bytes(out), chunk, at


def resume_over_bad_bytes(b: Bench, run: ScenarioRun, seed: int = 0, **_: Any) -> None:
    """A fresh device (build 1) uploads build 2 with chunk k corrupt; the power goes during
    chunk k's check (``resume_plan`` mid-chunk, aimed by a clean run of the good package: the
    bytes differ, the timing does not); power on, upload the good package (the device
    resumes), reset, wait for the outcome. The setup is checked from the device's side before
    the resume (the fault fired, chunk k-1 reported ok and chunk k not reported, the changed
    byte in flash); otherwise the scenario stops with an error."""
    dev = run.device = fresh(b)
    slot = target(dev)
    good = package(b, 2, slot)
    bad, chunk, at = corrupt_chunk(good, seed)
    run.notes.append(f"chunk {chunk} corrupt (slot offset {at}, seed {seed})")
    plan = resume_plan(b, good, "mid-chunk", chunk)
    mark = len(dev.events)
    upload_until_cut(b, run, dev, bad, plan, seed)
    checked = {
        e.get(Field.INDEX): e.get(Field.RESULT) for e in dev.events[mark:] if e.name == Ev.CHUNK
    }
    if checked.get(str(chunk - 1)) != "ok" or str(chunk) in checked:
        raise HilError(f"the cut did not fall in chunk {chunk}'s check: chunks reported {checked}")
    addr = b.platform.layout[f"slot_{slot.lower()}"].address + at
    if dev.engine.flash_read(addr, 1) != bad[at : at + 1]:
        raise HilError(f"the corrupt byte of chunk {chunk} is not in flash at 0x{addr:08x}")
    ev = boot(b, dev)
    run.notes.append(f"after the power came back: {ev}")
    install(b, run, dev, good)


__all__ = ["corrupt_choice", "corrupt_chunk", "resume_over_bad_bytes"]
