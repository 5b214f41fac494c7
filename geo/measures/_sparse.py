"""Passes over a sparse facility × demand matrix of seconds, in compiled code.

The measures read a reach matrix (:func:`geo.routing.travel.reach_matrix`: CSR, one row per
facility, one stored entry per facility–demand pair within the cutoff, 0 s included) and
turn each stored time into a weight. :class:`Reach` checks the matrix once; the passes
(:func:`two_step`, :func:`col_sums`, :func:`row_sums`) run in :mod:`geo.measures._kernels`:
each pair's weight computed inline, rows shared between threads, no array as large as the
matrix allocated.

Every stored entry is a pair: its weight is the weight function of its seconds, a 0 s
entry included (never filtered with ``data > 0``).
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any

import numpy as np
import scipy.sparse as sp

from geo._types import FloatArray
from geo.errors import MeasureError
from geo.measures import _kernels
from geo.measures.weights import Weight

__all__ = ["Reach", "col_sums", "row_sums", "two_step"]



@functools.cache
def _cores() -> int:
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(n or 1, 8))


class Reach:
    """The CSR arrays of a reach matrix, checked once (shape, index range, seconds)."""

    def __init__(self, matrix: Any, n_rows: int, n_cols: int) -> None:
        if not sp.issparse(matrix) or matrix.format != "csr":
            raise ValueError("the reach matrix must be a scipy CSR matrix "
                             "(geo.routing.travel.reach_matrix returns one)")
        if matrix.shape != (n_rows, n_cols):
            raise MeasureError(
                f"the reach matrix is {matrix.shape[0]} facilities x {matrix.shape[1]} demand "
                f"points but {n_rows} supply values and {n_cols} populations were "
                "given: build it from the same facilities and demand points"
            )
        ip, ix = np.asarray(matrix.indptr), np.asarray(matrix.indices)
        if ip.dtype != ix.dtype or ip.dtype not in (np.int32, np.int64):
            ip, ix = ip.astype(np.int64), ix.astype(np.int64)
        self.indptr, self.indices = ip, ix
        self.data = np.ascontiguousarray(matrix.data, dtype=np.float64)
        self.shape = (n_rows, n_cols)
        nnz = int(ip[-1]) if len(ip) else 0
        if len(ip) != n_rows + 1 or not nnz == len(ix) == len(self.data):
            raise ValueError("the reach matrix's CSR arrays do not fit together")
        if nnz:
            lo, hi = self.data.min(), self.data.max()
            if not (lo >= 0 and np.isfinite(hi)):  # NaN fails both comparisons
                raise ValueError("the reach matrix holds negative, NaN or infinite seconds")
            if ix.min() < 0 or ix.max() >= n_cols:
                raise ValueError("the reach matrix has column indices outside its shape")
        if (np.diff(ip) < 0).any():
            raise ValueError("the reach matrix's indptr decreases")

    @property
    def nnz(self) -> int:
        return len(self.data)


def _kernel(weight: Weight | None) -> tuple[int, FloatArray]:
    if weight is None:
        return 0, np.zeros(0)
    kind, params = weight.kernel()
    return kind, np.asarray(params, dtype=np.float64)


def _cutoff(max_seconds: float | None) -> float:
    if max_seconds is None:
        return math.inf
    if not max_seconds >= 0:
        raise ValueError(f"max_seconds must be >= 0, got {max_seconds}")
    return float(max_seconds)


#: below this many stored pairs a pass runs its parts on the calling thread (the same sums:
#: the parts, and so the order of the additions, are the same): starting and joining threads
#: costs more than such a pass, and on a loaded machine waits for a free core
SERIAL_BELOW = 200_000


def _run(mode: int, reach: Reach, weight: Weight | None, max_seconds: float | None,
         supply: FloatArray, population: FloatArray, squared: bool = False,
         threads: int | None = None) -> tuple[FloatArray | None, FloatArray | None]:
    kind, params = _kernel(weight)
    return _kernels.fca(mode, reach.indptr, reach.indices, reach.data, reach.shape[1], kind,
                        params, _cutoff(max_seconds), squared,
                        np.ascontiguousarray(supply, dtype=np.float64),
                        np.ascontiguousarray(population, dtype=np.float64),
                        threads if threads is not None else _cores(),
                        reach.nnz < SERIAL_BELOW)


def two_step(reach: Reach, weight: Weight | None, max_seconds: float | None,
             supply: FloatArray, population: FloatArray, *, squared: bool = False,
             threads: int | None = None) -> tuple[FloatArray, FloatArray]:
    """Return per row ``j``: ``C_j = sum w P``.

    Then per column ``i``: ``sum w S_j / C_j`` (rows with ``C_j = 0`` add nothing); ``w`` squared
    when ``squared``.
    """
    rows, cols = _run(_kernels.TWO_STEP, reach, weight, max_seconds, supply, population,
                      squared, threads)
    assert rows is not None and cols is not None
    return rows, cols


def col_sums(reach: Reach, weight: Weight | None, max_seconds: float | None,
             y: FloatArray, *, threads: int | None = None) -> FloatArray:
    """Return per column ``i``: the sum over its entries of ``w * y[row]``."""
    _, cols = _run(_kernels.COL_SUMS, reach, weight, max_seconds, y, np.zeros(0),
                   threads=threads)
    assert cols is not None
    return cols


def row_sums(reach: Reach, weight: Weight | None, max_seconds: float | None,
             x: FloatArray, *, threads: int | None = None) -> FloatArray:
    """Return per row ``j``: the sum over its entries of ``w * x[column]``."""
    rows, _ = _run(_kernels.ROW_SUMS, reach, weight, max_seconds, np.zeros(0), x,
                   threads=threads)
    assert rows is not None
    return rows
