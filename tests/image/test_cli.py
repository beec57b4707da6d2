"""``hil image ...`` through ``hil.cli.main``: return codes and what is printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.cli import main
from hil.image.keys import derive_key, key_id, load_private_key

from .conftest import make_payload


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "app.bin").write_bytes(make_payload(7000))
    assert (
        main(
            [
                "image",
                "keygen",
                "--out",
                str(tmp_path / "k.pem"),
                "--seed",
                "cli",
                "--public-out",
                str(tmp_path / "k.pub.pem"),
            ]
        )
        == 0
    )
    return tmp_path


def _sign(work: Path, *extra: str, out: str = "app.img", platform: str = "stm32u585") -> int:
    return main(
        [
            "image",
            "sign",
            "--platform",
            platform,
            "--key",
            str(work / "k.pem"),
            "--build",
            "5",
            "--in",
            str(work / "app.bin"),
            "--out",
            str(work / out),
            *extra,
        ]
    )


def test_keygen(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert key_id(load_private_key(work / "k.pem")) == key_id(derive_key("cli"))
    assert main(["image", "keygen", "--out", str(work / "k2.pem"), "--seed", "cli"]) == 0
    assert f"0x{key_id(derive_key('cli')):08x}" in capsys.readouterr().out
    assert main(["image", "keygen", "--out", str(work / "k.pem")]) == 2  # exists
    assert main(["image", "keygen", "--out", str(work / "k.pem"), "--force"]) == 0
    assert key_id(load_private_key(work / "k.pem")) != key_id(derive_key("cli"))


@pytest.mark.parametrize("platform", ["stm32u585", "lpc55s69"])
def test_sign_verify_show(work: Path, platform: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        _sign(
            work,
            "--slot",
            "B",
            "--version",
            "2.1.0",
            "--self-test",
            "fail",
            "--chunk-size",
            "0x400",
            platform=platform,
        )
        == 0
    )
    capsys.readouterr()
    img = str(work / "app.img")
    assert (
        main(
            [
                "image",
                "verify",
                img,
                "--platform",
                platform,
                "--key",
                str(work / "k.pub.pem"),
                "--slot",
                "B",
                "--running-build",
                "4",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("OK: ")
    rc = main(["image", "verify", img, "--platform", platform, "--key", str(work / "k.pub.pem")])
    text = capsys.readouterr().out
    assert rc == 1 and "REFUSED WRONG_SLOT (21, error_code=wrong_slot)" in text
    assert "expected A, found B" in text
    rc = main(
        [
            "image",
            "verify",
            img,
            "--platform",
            platform,
            "--key",
            str(work / "k.pub.pem"),
            "--slot",
            "B",
            "--floor",
            "6",
        ]
    )
    assert rc == 1 and "BELOW_FLOOR" in capsys.readouterr().out
    assert main(["image", "show", img]) == 0
    shown = capsys.readouterr().out
    for word in (
        "SEC_CNT",
        "KEY_ID",
        "CHUNK_HASHES",
        "'2.1.0'",
        "SELF_TEST",
        "KEYHASH",
        "ECDSA_SIG",
        f"key ID 0x{key_id(derive_key('cli')):08x}",
        "1 (B)",
    ):
        assert word in shown, word
    assert main(["image", "show", img, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["problem"] is None and doc["header"]["build_num"] == 5
    assert [a["area"] for a in doc["areas"]] == ["protected", "unprotected"]
    assert doc["keyhash_key_id"] == f"0x{key_id(derive_key('cli')):08x}"


def test_show_broken_structure(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _sign(work) == 0
    data = (work / "app.img").read_bytes()
    (work / "cut.img").write_bytes(data[:-5])
    capsys.readouterr()
    assert main(["image", "show", str(work / "cut.img")]) == 1
    assert "STRUCTURE BROKEN: TLV_TRUNCATED" in capsys.readouterr().out
    assert main(["image", "show", str(work / "cut.img"), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["problem"]["result"] == "TLV_TRUNCATED"


def test_variant_with_keyring(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ring = str(work / "ring.yaml")
    for name, result in [
        ("revoked-key", "KEY_REVOKED"),
        ("replay", "REPLAY"),
        ("keyid-mismatch", "KEYID_MISMATCH"),
    ]:
        assert _sign(work, "--variant", name, "--keyring-out", ring, out=f"{name}.img") == 0
        assert f"must be refused with {result}" in capsys.readouterr().out
        rc = main(
            [
                "image",
                "verify",
                str(work / f"{name}.img"),
                "--platform",
                "stm32u585",
                "--keyring",
                ring,
                "--floor",
                "4",
                "--running-build",
                "4",
            ]
        )
        assert rc == 1 and f"REFUSED {result}" in capsys.readouterr().out
    assert (
        main(
            [
                "image",
                "verify",
                str(work / "replay.img"),
                "--platform",
                "stm32u585",
                "--keyring",
                ring,
            ]
        )
        == 0
    )


def test_variants_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image", "variants"]) == 0
    text = capsys.readouterr().out
    assert "forged-signature " in text and "KEY_UNKNOWN" in text and "chunk-hash-signed" in text


def test_bad_inputs_are_exit_2(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _sign(work, "--variant", "no-such-variant") == 2
    assert "unknown image variant 'no-such-variant'" in capsys.readouterr().err
    (work / "pub-only.pem").write_bytes((work / "k.pub.pem").read_bytes())
    assert (
        main(
            [
                "image",
                "sign",
                "--platform",
                "stm32u585",
                "--key",
                str(work / "pub-only.pem"),
                "--build",
                "5",
                "--in",
                str(work / "app.bin"),
                "--out",
                str(work / "x"),
            ]
        )
        == 2
    )
    assert "signing needs the private key" in capsys.readouterr().err
    assert _sign(work, "--chunk-size", "1000") == 2
    assert "chunk_size" in capsys.readouterr().err
    assert (
        main(
            [
                "image",
                "verify",
                str(work / "missing.img"),
                "--platform",
                "stm32u585",
                "--key",
                str(work / "k.pub.pem"),
            ]
        )
        == 2
    )
    assert _sign(work, "--platform", "nope") == 2
    (work / "big.bin").write_bytes(bytes(0x40000))
    assert (
        main(
            [
                "image",
                "sign",
                "--platform",
                "stm32u585",
                "--key",
                str(work / "k.pem"),
                "--build",
                "5",
                "--in",
                str(work / "big.bin"),
                "--out",
                str(work / "x"),
            ]
        )
        == 2
    )
    assert "slot size" in capsys.readouterr().err
    assert (
        main(
            [
                "image",
                "sign",
                "--platform",
                "stm32u585",
                "--key",
                str(work / "k.pem"),
                "--build",
                "1",
                "--in",
                str(work / "app.bin"),
                "--out",
                str(work / "x"),
                "--variant",
                "replay",
            ]
        )
        == 2
    )
    with pytest.raises(SystemExit):
        main(["image", "sign", "--slot", "C"])


def test_help_texts(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["image", "--help"], ["image", "sign", "--help"], ["image", "verify", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 0
    text = capsys.readouterr().out
    assert "keygen" in text and "--self-test" in text and "--running-build" in text
