"""Issue 13 point 7 (part): `hil image keygen --harness NAME` writes exactly the keys the
emulated device is provisioned with (signer, other, revoked, unknown)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from hil.cli import main
from hil.image.keys import load_private_key
from hil.provision import harness_keys


def _pub(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("name", ["signer", "other", "revoked", "unknown"])
def test_keygen_harness_writes_the_device_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / f"{name}.pem"
    assert main(["image", "keygen", "--harness", name, "--out", str(out)]) == 0
    assert _pub(load_private_key(out)) == _pub(getattr(harness_keys(), name))
    assert f"the harness's '{name}' key" in capsys.readouterr().out


def test_keygen_harness_unknown_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["image", "keygen", "--harness", "x", "--out", str(tmp_path / "k.pem")])
    assert exc.value.code == 2
