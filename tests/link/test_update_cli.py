"""``hil update`` / ``hil serve`` argument handling and the expected outcome of a package."""

from __future__ import annotations

from hil.cli import build_parser
from hil.commands.update import expected_outcome
from hil.evidence import Outcome


def test_builds_accumulate_from_build_and_then() -> None:
    args = build_parser().parse_args(
        ["update", "--platform", "stm32u585", "--build", "2", "--then", "3", "--then", "4"]
    )
    assert args.builds == [2, 3, 4]
    assert (args.key, args.variant, args.self_test) == ("signer", None, "pass")


def test_expected_outcomes() -> None:
    assert expected_outcome("signer", None, "pass") is Outcome.CONFIRMED
    assert expected_outcome("other", None, "pass") is Outcome.CONFIRMED
    assert expected_outcome("revoked", None, "pass") is Outcome.REJECT
    assert expected_outcome("unknown", None, "pass") is Outcome.REJECT
    assert expected_outcome("signer", "tlv-overrun", "pass") is Outcome.REJECT
    assert expected_outcome("signer", None, "fail") is Outcome.ROLLBACK
    assert expected_outcome("signer", None, "hang") is Outcome.ROLLBACK


def test_serve_is_registered() -> None:
    args = build_parser().parse_args(["serve", "--platform", "lpc55s69", "--fast"])
    assert args.fast and args.build == 1
