"""Passes over a sparse facility × demand matrix of seconds, a block of rows at a time.

The measures read a reach matrix (:func:`geo.routing.travel.reach_matrix`: CSR, one row per
facility, one stored entry per facility–demand pair within the cutoff, 0 s included) and
turn each stored time into a weight. Doing that for the whole matrix at once would hold an
array of weights as large as the matrix (800 MB for 100 million pairs) and a few more for
the products; here the rows are cut into blocks of about :data:`BLOCK_NNZ` entries and the
weights live one block at a time, so the extra memory stays near 100 MB whatever the
matrix size. Each block is a CSR view that shares the matrix's index arrays; the sums are
scipy's compiled sparse matrix-vector products.

Every stored entry is a pair: its weight is the weight function of its seconds, a 0 s
entry included (never filtered with ``data > 0``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geo.errors import MeasureError

__all__ = ["BLOCK_NNZ", "Reach", "block_matrix", "blocks", "col_sums", "row_sums", "weights_of"]

FloatArray = npt.NDArray[np.float64]
WeightFn = Callable[[FloatArray], FloatArray]

BLOCK_NNZ = 1 << 22  # 4 Mi entries per block: ~100 MB of temporaries at most


class Reach:
    """The CSR arrays of a reach matrix, checked once (shape, index range, seconds)."""

    def __init__(self, matrix: Any, n_facilities: int, n_demand: int) -> None:
        if not sp.issparse(matrix) or matrix.format != "csr":
            raise ValueError("the reach matrix must be a scipy CSR matrix "
                             "(geo.routing.travel.reach_matrix returns one)")
        if matrix.shape != (n_facilities, n_demand):
            raise MeasureError(
                f"the reach matrix is {matrix.shape[0]} facilities x {matrix.shape[1]} demand "
                f"points but {n_facilities} supply values and {n_demand} populations were "
                "given: build it from the same facilities and demand points"
            )
        self.indptr = np.asarray(matrix.indptr)
        self.indices = np.asarray(matrix.indices)
        self.data = np.asarray(matrix.data, dtype=np.float64)
        self.shape = (n_facilities, n_demand)
        nnz = int(self.indptr[-1]) if len(self.indptr) else 0
        if len(self.indptr) != n_facilities + 1 or not nnz == len(self.indices) == len(self.data):
            raise ValueError("the reach matrix's CSR arrays do not fit together")
        if nnz:
            lo, hi = self.data.min(), self.data.max()
            if not (lo >= 0 and np.isfinite(hi)):  # NaN fails both comparisons
                raise ValueError("the reach matrix holds negative, NaN or infinite seconds")
            if self.indices.min() < 0 or self.indices.max() >= n_demand:
                raise ValueError("the reach matrix has column indices outside its shape")
        if (np.diff(self.indptr) < 0).any():
            raise ValueError("the reach matrix's indptr decreases")

    @property
    def nnz(self) -> int:
        return len(self.data)


def blocks(reach: Reach, block_nnz: int = BLOCK_NNZ) -> Iterator[tuple[int, int, int, int]]:
    """Row ranges ``[r0, r1)`` and their entry ranges ``[s, e)``, about ``block_nnz``
    entries each (a row is never split)."""
    n = reach.shape[0]
    r0 = 0
    while r0 < n:
        s = int(reach.indptr[r0])
        r1 = int(np.searchsorted(reach.indptr, s + block_nnz, side="right")) - 1
        r1 = min(max(r1, r0 + 1), n)
        yield r0, r1, s, int(reach.indptr[r1])
        r0 = r1


def block_matrix(reach: Reach, r0: int, r1: int, s: int, e: int,
                 weights: FloatArray) -> sp.csr_matrix:
    """Rows ``r0:r1`` as a CSR matrix holding ``weights`` (one per entry ``s:e``)."""
    ptr = reach.indptr[r0 : r1 + 1] - reach.indptr[r0]
    return sp.csr_matrix((weights, reach.indices[s:e], ptr), shape=(r1 - r0, reach.shape[1]),
                         copy=False)


def weights_of(reach: Reach, s: int, e: int, weight: WeightFn | None) -> FloatArray:
    """Weights of entries ``s:e``: ``weight(seconds)``, or 1 each when ``weight`` is None."""
    if weight is None:
        return np.ones(e - s)
    return np.asarray(weight(reach.data[s:e]), dtype=np.float64)


def row_sums(reach: Reach, weight: WeightFn | None, x: FloatArray) -> FloatArray:
    """Per row ``j``: the sum over its entries of ``weight(seconds) * x[column]``."""
    out = np.zeros(reach.shape[0])
    for r0, r1, s, e in blocks(reach):
        out[r0:r1] = block_matrix(reach, r0, r1, s, e, weights_of(reach, s, e, weight)) @ x
    return out


def col_sums(reach: Reach, weight: WeightFn | None, y: FloatArray) -> FloatArray:
    """Per column ``i``: the sum over its entries of ``weight(seconds) * y[row]``."""
    out = np.zeros(reach.shape[1])
    for r0, r1, s, e in blocks(reach):
        out += block_matrix(reach, r0, r1, s, e, weights_of(reach, s, e, weight)).T @ y[r0:r1]
    return out
