"""Issue 10, class 2 (resume over bad bytes) on the host build of the updater: a chunk whose
bytes an earlier session programmed wrong (its check failed, or a reboot cut it off) stays in
flash; a good package of the same image resumed after the reboot must not keep those bytes.
The reference steers the client back, erases from the unit's page (rewinding the recorded
progress first when that page holds verified chunks), reports the new resume point and
completes; the planted MUT_RESUME_TRUSTS_WRITTEN takes the written chunk as checked and the
whole-slot check then refuses the image."""

from __future__ import annotations

import ctypes

import pytest
from upd_harness import Device, upload

from tests.meta.cmeta import SLOT_A, SLOT_B
from tests.updater.test_updater import PLATFORMS, slot_bytes

SIZE = 20000  # payload bytes; chunk 1024 (the harness's default)


def _bad_then_reboot(dev: Device, at: int) -> tuple[bytes, bytes]:
    """Upload the package with payload byte ``at`` (slot offset) changed: its chunk fails its
    check (SMP error), the wrong bytes stay programmed; then a reboot (RAM state gone)."""
    good = dev.image(2, "B", size=SIZE)
    bad = bytearray(good)
    bad[at] ^= 0xA5
    offsets, err = upload(dev, bytes(bad))
    chunk = (at - dev.hdr) // 1024
    assert err is not None and dev.find("CHUNK", index=str(chunk), result="bad"), dev.names()
    assert slot_bytes(dev, SLOT_B, at + 1)[at] == bad[at]  # the wrong byte is in flash
    dev.boot(SLOT_A, 1)
    dev.events.clear()
    return good, bytes(bad)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("chunk", [1, 9, 15])
def test_good_package_resumes_over_bad_bytes(
    updlib: ctypes.CDLL, platform: str, chunk: int
) -> None:
    dev = Device(updlib, platform)
    dev.provision(build=1)
    dev.boot(SLOT_A, 1)
    at = dev.hdr + chunk * 1024 + 300
    good, _ = _bad_then_reboot(dev, at)
    offsets, err = upload(dev, good)
    assert err is None, (err, dev.names())
    resumes = dev.find("RESUME")
    # first the recorded point (chunk `chunk`), then the point after the wrong unit's page
    # was erased: never past the bad chunk
    assert resumes[0].fields["chunk"] == str(chunk), resumes[0]
    assert all(int(r.fields["chunk"]) <= chunk for r in resumes)
    assert dev.find("CHUNK", index=str(chunk), result="ok")
    assert not dev.find("CHUNK", result="bad")
    assert dev.transitions()[-1] == ("STAGING", "PENDING", "B")
    assert slot_bytes(dev, SLOT_B, len(good)) == good


@pytest.mark.parametrize("platform", PLATFORMS)
def test_trusting_written_chunk_is_refused_whole(
    mutlib: dict[str, ctypes.CDLL], platform: str
) -> None:
    """MUT_RESUME_TRUSTS_WRITTEN: the chunk written before the reboot counts as checked, so
    the resumed upload runs over its wrong bytes; the whole-slot check refuses the image."""
    dev = Device(mutlib["MUT_RESUME_TRUSTS_WRITTEN"], platform)
    dev.provision(build=1)
    dev.boot(SLOT_A, 1)
    chunk = 9
    good, _ = _bad_then_reboot(dev, dev.hdr + chunk * 1024 + 300)
    offsets, err = upload(dev, good)
    assert err is not None
    assert dev.find("RESUME")[0].fields["chunk"] == str(chunk)
    assert dev.find("CHUNK", index=str(chunk), result="ok")  # trusted, never hashed
    assert dev.find("VERIFY_SIG", result="fail", error_code="hash_mismatch"), dev.names()
    assert dev.transitions()[-1][1:] == ("REJECTED", "B"), dev.transitions()
