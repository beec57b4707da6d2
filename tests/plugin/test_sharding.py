"""--shard K/N splits the collected cases into disjoint shards that together cover all."""

from __future__ import annotations

import pytest

from hil.pytest_plugin.sharding import parse_shard, shard_of

pytest_plugins = ["pytester"]

CASES = """
import pytest

@pytest.mark.parametrize("n", range(40))
def test_case(n):
    assert n >= 0
"""


def _ran(pytester: pytest.Pytester, *args: str) -> set[str]:
    pytester.makepyfile(test_many=CASES)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-rA", *args)
    return {line.split(" ", 1)[1] for line in result.outlines if line.startswith("PASSED ")}


def test_shards_are_disjoint_and_cover_everything(pytester: pytest.Pytester) -> None:
    everything = _ran(pytester)
    assert len(everything) == 40
    shards = [_ran(pytester, "--shard", f"{k}/3") for k in (1, 2, 3)]
    assert set().union(*shards) == everything
    assert sum(len(s) for s in shards) == 40
    assert all(shards)  # 40 ids over 3 shards: none is empty


def test_shard_is_stable() -> None:
    assert shard_of("suites/test_matrix.py::test_matrix_item[stm32u585-1]", 4) == shard_of(
        "suites/test_matrix.py::test_matrix_item[stm32u585-1]", 4
    )


@pytest.mark.parametrize("bad", ["3", "0/2", "3/2", "a/b", "1/0", ""])
def test_bad_shard_spec(bad: str) -> None:
    with pytest.raises(pytest.UsageError):
        parse_shard(bad)
