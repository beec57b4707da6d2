"""The must-pass matrix: items as data, one evidence predicate per item, the scenarios."""

from hil.matrix.items import EXTRA_MUTATIONS, ITEMS, MatrixItem, item
from hil.matrix.predicates import PREDICATES, Judgement, Params, judge

__all__ = [
    "EXTRA_MUTATIONS",
    "ITEMS",
    "PREDICATES",
    "Judgement",
    "MatrixItem",
    "Params",
    "item",
    "judge",
]
