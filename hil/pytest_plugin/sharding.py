"""Deterministic sharding of the collected cases across CI jobs: ``--shard K/N``.

A case belongs to shard ``crc32(nodeid) % N + 1``: stable across machines, processes and
collection order, so N jobs together run every case exactly once and their Allure result
folders merge.
"""

from __future__ import annotations

import zlib

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("ota-hil").addoption(
        "--shard",
        default=None,
        metavar="K/N",
        help="run only shard K of N (1 <= K <= N), chosen by a hash of each test id",
    )


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); raises pytest.UsageError naming what was expected."""
    k_s, sep, n_s = text.partition("/")
    if not sep or not k_s.isdigit() or not n_s.isdigit():
        raise pytest.UsageError(f"--shard: expected K/N with whole numbers, found {text!r}")
    k, n = int(k_s), int(n_s)
    if not 1 <= k <= n:
        raise pytest.UsageError(f"--shard: expected 1 <= K <= N, found {k}/{n}")
    return k, n


def shard_of(nodeid: str, n: int) -> int:
    return zlib.crc32(nodeid.encode("utf-8")) % n + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    text: str | None = config.getoption("--shard")
    if not text:
        return
    k, n = parse_shard(text)
    keep = [it for it in items if shard_of(it.nodeid, n) == k]
    dropped = [it for it in items if shard_of(it.nodeid, n) != k]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep
