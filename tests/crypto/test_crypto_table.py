"""firmware_stubs/core/p256_table.h is exactly what gen_p256_table.py generates, and its
points are the expected multiples of G on the curve."""

from __future__ import annotations

import gen_p256_table as gen
from crypto_support import CORE, B, P


def test_table_is_generated() -> None:
    assert (CORE / "p256_table.h").read_text() == gen.render()


def test_table_points_on_curve() -> None:
    pts = gen.table_points()
    assert len(pts) == 2 ** (gen.W_G - 2)
    for x, y in pts:
        assert (y * y - (x * x * x - 3 * x + B)) % P == 0
        assert 0 <= x < P and 0 < y < P
    # 3G = G + 2G by an independent route
    g2 = gen.affine_add((gen.GX, gen.GY), (gen.GX, gen.GY))
    assert gen.affine_add(g2, (gen.GX, gen.GY)) == pts[1]
