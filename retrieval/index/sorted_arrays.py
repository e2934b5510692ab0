"""Looking values up in a sorted array, many at once."""

from __future__ import annotations

import numpy as np


def find_sorted(sorted_values: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each wanted value, a place in `sorted_values` and whether the value is there (at
    that place; where it is not, the place is only somewhere in range)."""
    if not len(sorted_values):
        return np.zeros(len(wanted), dtype=np.intp), np.zeros(len(wanted), dtype=bool)
    needles = wanted.astype(sorted_values.dtype, copy=False)  # searched and compared as they are stored
    where = sorted_values.searchsorted(needles)
    np.minimum(where, len(sorted_values) - 1, out=where)
    return where, sorted_values[where] == needles
