"""``--app-size``: update images of a given size (issue 16): the application followed by a
deterministic filler inside the signed payload, verified like any image; sizes beyond the slot
are a one-line error naming the slot size."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.cli import main
from hil.firmware import FirmwareSet, build_firmware
from hil.image.builder import sized_payload
from hil.image.errors import ImageBuildError
from hil.image.parse import parse_image
from hil.image.verify import policy_for_platform, verify_image
from hil.platform import load_platform
from hil.provision import harness_keys
from hil.update import app_binary, check_app_size, package_for

KIB = 1024


@pytest.fixture(scope="module")
def large_fw() -> FirmwareSet:
    return build_firmware(load_platform("stm32u585-large"))


def test_sized_payload_is_the_app_then_a_deterministic_filler() -> None:
    app = bytes(range(256)) * 40
    sized = sized_payload(app, 64 * KIB)
    assert len(sized) == 64 * KIB and sized.startswith(app)
    assert sized == sized_payload(app, 64 * KIB)  # byte-identical run to run
    filler = sized[len(app) :]
    assert b"\xff" * 16 not in filler and b"\x00" * 16 not in filler  # programmed, not skipped
    assert filler == sized_payload(b"", len(filler))  # the same stream whatever the app
    with pytest.raises(ImageBuildError, match="at least the application binary"):
        sized_payload(app, len(app) - 1)


def test_a_900_kib_update_for_the_large_layout_verifies(large_fw: FirmwareSet) -> None:
    platform = load_platform("stm32u585-large")
    image = package_for(platform, large_fw, 2, "B", app_size=900 * KIB)
    hdr = parse_image(image).header
    assert hdr is not None and hdr.img_size == 900 * KIB
    assert image[hdr.hdr_size :].startswith(app_binary(large_fw, "B").read_bytes())
    verdict = verify_image(
        image, keyring=harness_keys().keyring(), policy=policy_for_platform(platform, "B")
    )
    assert verdict.ok, verdict.detail
    assert verdict.image_size == len(image)


@pytest.mark.parametrize(
    ("name", "kib", "slot_kib"), [("stm32u585", 300, 256), ("stm32u585-large", 960, 960)]
)
def test_a_size_beyond_the_slot_is_refused_naming_the_slot_size(
    name: str, kib: int, slot_kib: int
) -> None:
    platform = load_platform(name)
    with pytest.raises(ImageBuildError) as info:
        check_app_size(platform, build_firmware(platform), kib * KIB)
    text = str(info.value)
    assert "\n" not in text and f"slot size, {slot_kib} KiB" in text


def test_cli_app_size_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["sweep", "--platform", "stm32u585", "--app-size", "300"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "slot size, 256 KiB" in err[0]
    argv = ["update", "--platform", "stm32u585-large", "--build", "2", "--app-size", "961"]
    assert main(argv) == 2  # refused before the device boots
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "slot size, 960 KiB" in err[0]
    with pytest.raises(SystemExit) as exited:
        main(["sweep", "--platform", "stm32u585", "--app-size", "0"])
    assert exited.value.code == 2
    assert "expected a size in KiB" in capsys.readouterr().err


def test_cli_image_sign_app_size(tmp_path: Path, large_fw: FirmwareSet) -> None:
    key = tmp_path / "k.pem"
    assert main(["image", "keygen", "--out", str(key), "--harness", "signer"]) == 0
    img = tmp_path / "app.img"
    argv = ["image", "sign", "--platform", "stm32u585-large", "--key", str(key), "--build", "2"]
    argv += ["--in", str(large_fw.app_bin), "--out", str(img), "--app-size", "256"]
    assert main(argv) == 0
    hdr = parse_image(img.read_bytes()).header
    assert hdr is not None and hdr.img_size == 256 * KIB
