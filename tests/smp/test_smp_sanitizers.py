"""ASan/UBSan run: the wire bytes of the ctypes test sessions (good requests, every bad-input
case, random mutations and a 20 KiB upload interrupted by a reboot) are replayed into
firmware_stubs/host/smp_driver.c built with -fsanitize=address,undefined."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import cbor2
import pytest
import test_smp_server as t
from smp import header as smphdr
from smp_harness import Device, FakeFlash, decode_frames, run_client, upload
from smpclient.requests.image_management import ImageErase


def run_driver(driver: Path, wire: bytes, tmp_path: Path, slot: int = 65536) -> tuple[bytes, Path]:
    image_out = tmp_path / "image.bin"
    proc = subprocess.run(
        [str(driver), str(slot), str(image_out)],
        input=wire,
        capture_output=True,
        timeout=120,
    )
    err = proc.stderr.decode(errors="replace")
    assert "AddressSanitizer" not in err and "runtime error" not in err, err
    assert proc.returncode == 0, err  # 3 would be an ops contract violation
    return proc.stdout, image_out


def test_upload_with_reboot_under_sanitizers(
    smp_lib: ctypes.CDLL, smp_driver: Path, tmp_path: Path
) -> None:
    wire = bytearray()
    ref = bytearray()  # every response the ctypes build sent, for comparison

    def tapped(dev: Device) -> Device:
        take = dev.take_output

        def take_and_record() -> bytes:
            out = take()
            ref.extend(out)
            return out

        dev.take_output = take_and_record  # type: ignore[method-assign]
        return dev

    flash = FakeFlash()
    run_client(tapped(Device(smp_lib, flash, wire=wire)), lambda c: upload(c, t.IMAGE, 7))
    wire += b"reboot\n"  # the driver re-initialises its server here
    run_client(tapped(Device(smp_lib, flash, wire=wire)), lambda c: upload(c, t.IMAGE))
    assert flash.completed == t.IMAGE

    out, image_out = run_driver(smp_driver, bytes(wire), tmp_path)
    assert image_out.read_bytes() == t.IMAGE
    got, want = decode_frames(out), decode_frames(bytes(ref))
    assert len(got) == len(want) > 20
    for g, w in zip(got, want, strict=True):
        hdr = smphdr.Header.loads(g[:8])
        if (hdr.group_id, hdr.command_id) != (1, 0):  # state reads differ (other fake app)
            assert g == w  # params and every upload answer identical to the ctypes build

    # the same session against an 8 KiB slot: refused with INVALID_IMAGE_TOO_LARGE
    out, _ = run_driver(smp_driver, bytes(wire), tmp_path, slot=8192)
    first_upload = [f for f in decode_frames(out) if f[4:6] == b"\x00\x01"][0]
    assert cbor2.loads(first_upload[8:]) == {"err": {"group": 1, "rc": 30}}


SCENARIOS = [
    t.test_echo_params_state_reset,
    t.test_smp_v1_request_gets_v1_answers,
    t.test_reset_with_boot_mode_is_refused,
    t.test_max_size_message_round_trips,
    t.test_indefinite_length_map_request,
    t.test_out_of_order_offset_answers_expected,
    t.test_chunk_without_session_answers_zero,
    t.test_new_upload_while_half_done_is_busy,
    t.test_data_overrun_and_write_failure,
    t.test_sha_mismatch_at_end,
    t.test_header_problems,
    t.test_console_text_passes_through,
    t.test_garbage_smp_lines_are_dropped,
    t.test_bad_crc_answers_ecorrupt,
    t.test_frame_too_large_answers_emsgsize,
    t.test_random_mutations_never_wedge_the_server,
]


def test_bad_inputs_under_sanitizers(
    smp_lib: ctypes.CDLL, smp_driver: Path, tmp_path: Path
) -> None:
    wire = bytearray()
    ref = bytearray()
    erase = ImageErase(slot=1)

    def fresh() -> tuple[Device, FakeFlash]:
        wire.extend(b"reboot\n")
        flash = FakeFlash()
        dev = Device(smp_lib, flash, wire=wire)
        take = dev.take_output

        def take_and_record() -> bytes:
            out = take()
            ref.extend(out)
            return out

        dev.take_output = take_and_record  # type: ignore[method-assign]
        t.transact(dev, erase)  # same clean slot in the driver
        return dev, flash

    for scenario in SCENARIOS:
        dev, flash = fresh()
        scenario(dev, flash) if scenario.__code__.co_argcount == 2 else scenario(dev)
    for payload in [p.values[0] for p in _params(t.test_bad_cbor_is_einval)]:
        dev, _ = fresh()
        t.test_bad_cbor_is_einval(dev, payload)
    for fields in [p.values[0] for p in _params(t.test_bad_upload_fields_are_einval)]:
        dev, _ = fresh()
        t.test_bad_upload_fields_are_einval(dev, fields)
    for ll in (8, 20, 400):
        dev, _ = fresh()
        t.test_any_line_length_is_reassembled(dev, ll)
    # a stream of pure noise and overlong lines
    wire += bytes(range(256)) * 8 + b"\x06\x09" + b"A" * 5000 + b"\n" + b"\x04\x14" * 300 + b"\n"

    out, _ = run_driver(smp_driver, bytes(wire), tmp_path)
    # one answer per answered request, exactly as the ctypes build answered
    assert len(decode_frames(out)) == len(decode_frames(bytes(ref))) > 600


def _params(fn: object) -> list[pytest.ParameterSet]:
    marks = getattr(fn, "pytestmark", [])
    (mark,) = [m for m in marks if m.name == "parametrize"]
    return [pytest.param(v) for v in mark.args[1]]
