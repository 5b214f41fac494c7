"""Equal optima of covering models: which single swaps keep a solution just as good.

Where population is spread evenly, or candidates lie close together, many candidate sets
cover the same people: the chosen set is then one of several equal answers, and a report
must say so. :func:`equal_swaps` measures it for a chosen set: for each chosen site, the
candidates that could replace it while the covered population stays at least ``floor``
(the optimum less a rounding tolerance for MCLP, the target for LSCP). One sparse
matrix-vector product per chosen site.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from geo._types import IntArray
from geo.siting.models import SitingProblem

__all__ = ["equal_swaps"]



def equal_swaps(problem: SitingProblem, chosen: npt.ArrayLike, floor: float) -> IntArray:
    """Count, for each chosen site, the unchosen candidates that could replace it.

    A candidate can replace a site where the covered population (existing facilities included)
    stays at least ``floor``.

    Swapping ``j`` for ``c`` loses the people only ``j`` covers and gains those ``c``
    covers that no other chosen site (nor an existing facility) does.
    """
    picked = np.asarray(chosen, dtype=np.int64)
    if len(picked) == 0:
        return np.zeros(0, dtype=np.int64)
    cover = problem.cover
    w = np.asarray(problem.weights, dtype=float)
    base = problem.base_covered
    count = np.asarray(cover[picked].sum(axis=0)).ravel()
    covered = base | (count > 0)
    total = float(w[covered].sum())
    free = w * ~covered
    others = np.ones(problem.n_candidates, dtype=bool)
    others[picked] = False
    out = np.zeros(len(picked), dtype=np.int64)
    for k, j in enumerate(picked):
        row = cover.indices[cover.indptr[j]:cover.indptr[j + 1]]
        only = np.zeros(len(w), dtype=bool)
        only[row] = ~base[row] & (count[row] == 1)
        loss = float(w[only].sum())
        gain = cover @ (free + w * only)
        out[k] = int(((total - loss + gain >= floor) & others).sum())
    return out
