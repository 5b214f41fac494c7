"""Floating-catchment and gravity access measures on a sparse reach matrix.

All measures read a facility × demand matrix of seconds (rows facilities, columns demand
points; :func:`geo.routing.travel.reach_matrix`), the supply ``S_j`` of each facility and
the population ``P_i`` of each demand point. A stored entry is a pair (0 s included); a
pair counts in a step when its seconds are at most ``max_seconds`` (all stored pairs when
None, as PySAL access's ``max_cost=None``). With ``w_ji`` the weight of pair (j, i)
(:mod:`geo.measures.weights`; 1 for the plain 2SFCA):

* **2SFCA** (Luo & Wang 2003), **E2SFCA** (Luo & Qi 2009, step weights), **Gaussian
  2SFCA** (Dai 2010) and the **competition-adjusted gravity** model (a 2SFCA with a
  distance-decay weight; PySAL access: ``two_stage_fca(weight_fn=weights.gravity(...))``)::

      C_j = sum_i w_ji P_i            (weighted population in j's catchment)
      R_j = S_j / C_j                 (supply per person there)
      A_i = sum_j w_ji R_j            (supply per person within reach of i)

* **3SFCA** (Wan, Zou & Sternberg 2012): selection weights ``G_ji = W_ji / sum_k W_ki``
  over the facilities stored for demand point i (with a matrix cut at the catchment,
  Wan et al.'s "facilities within the catchment"; PySAL access normalises over its whole
  cost table the same way), then ``C_j = sum_i G_ji w_ji P_i``, ``R_j = S_j / C_j``,
  ``A_i = sum_j G_ji w_ji R_j``.
* **Hansen potential** (Hansen 1959): ``H_i = sum_j S_j w_ji`` (access's
  ``weighted_catchment``).
* **FCA ratio** (access's ``fca_ratio``): supply within reach of i over the population
  within reach of i, the second from a demand × demand matrix.

Definitions and normalisations are PySAL access's (``access`` 1.1.10, checked against
it in tests/measures). Where we differ: a facility whose catchment holds no (weighted)
population has ``R_j`` undefined: access gives ``inf`` (or NaN) and passes it on to the
demand points that reach it only with zero weight or zero population; here its ratio is
NaN, it adds nothing to any ``A_i``, and it is listed in :attr:`AccessResult.idle` (its
supply reaches nobody). A demand point that reaches no facility has ``A_i = 0`` (access:
NaN, missing from its table). With every catchment populated, ``sum_i P_i A_i = sum_j
S_j`` for every 2SFCA and 3SFCA variant: the index shares out the supply, no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray, IntArray
from geo.errors import MeasureError
from geo.measures import _sparse as _s
from geo.measures.weights import GaussianCatchment, Steps, Weight

__all__ = [
    "AccessResult",
    "e2sfca",
    "fca_ratio",
    "gaussian_2sfca",
    "gravity",
    "hansen",
    "three_step",
    "two_step",
]



@dataclass(frozen=True)
class AccessResult:
    """A floating-catchment measure.

    Attributes
    ----------
    method : str
        ``2sfca``, ``e2sfca``, ``gaussian_2sfca``, ``gravity`` or ``3sfca``.
    index : (n_demand,) float array
        ``A_i``: supply per person within reach of each demand point (x 1,000 for "per
        1,000"); 0 where no facility is within reach.
    catchment : (n_facilities,) float array
        ``C_j``: the (weighted) population in each facility's catchment.
    ratio : (n_facilities,) float array
        ``R_j = S_j / C_j``; NaN where the catchment is empty.
    supply : (n_facilities,) float array
    notes : tuple of str
        How it was computed (weights, cutoff), for the outputs.
    """

    method: str
    index: FloatArray
    catchment: FloatArray
    ratio: FloatArray
    supply: FloatArray
    notes: tuple[str, ...]

    @property
    def idle(self) -> IntArray:
        """Facilities with supply whose catchment is empty (their supply reaches nobody)."""
        return np.flatnonzero((self.catchment <= 0) & (self.supply > 0)).astype(np.int64)

    @property
    def reached_supply(self) -> float:
        """Supply of the facilities with a populated catchment (= sum of P_i A_i)."""
        return float(self.supply[self.catchment > 0].sum())


def _inputs(reach: Any, supply: npt.ArrayLike, population: npt.ArrayLike
            ) -> tuple[_s.Reach, FloatArray, FloatArray]:
    s = np.asarray(supply, dtype=np.float64).ravel()
    p = np.asarray(population, dtype=np.float64).ravel()
    if not (np.isfinite(s).all() and (s >= 0).all()):
        raise MeasureError("supply must be finite and >= 0 per facility: check it with "
                           "geo.measures.check_supply, which names the facilities")
    if not (np.isfinite(p).all() and (p >= 0).all()):
        raise MeasureError("population must be finite and >= 0 per demand point: check the "
                           "demand layer's population")
    return _s.Reach(reach, len(s), len(p)), s, p


def _notes(weight: Weight | None, max_seconds: float | None) -> tuple[str, ...]:
    out = [weight.describe() if weight is not None else "every pair within reach weighs 1"]
    if max_seconds is not None:
        out.append(f"pairs over {max_seconds / 60:g} min left out")
    return tuple(out)


def _ratio(supply: FloatArray, catchment: FloatArray) -> FloatArray:
    r = np.full(len(supply), np.nan)
    np.divide(supply, catchment, out=r, where=catchment > 0)
    return r


def two_step(
    reach: Any, supply: npt.ArrayLike, population: npt.ArrayLike,
    weight: Weight | None = None, *, max_seconds: float | None = None,
    method: str = "2sfca", threads: int | None = None,
) -> AccessResult:
    """Two-step floating catchment with an optional distance-decay weight.

    One compiled pass over the matrix: a facility row gives its catchment, its ratio and
    its share of every demand point's index at once (a row's catchment depends on that
    row alone).

    Parameters
    ----------
    reach : scipy.sparse.csr_matrix, shape (n_facilities, n_demand)
        Seconds per stored pair.
    supply : (n_facilities,) array
    population : (n_demand,) array
    weight : Weight, optional
        None: 1 per pair (plain 2SFCA); :class:`Steps` (E2SFCA), :class:`GaussianCatchment`,
        :class:`~geo.measures.weights.PowerDecay` / ``ExponentialDecay`` (gravity).
    max_seconds : float, optional
        Pairs beyond it are left out (None: every stored pair counts).
    method : str
        Name recorded in the result.
    threads : int, optional
        Threads sharing the rows (all cores, at most 8, by default); the result does not
        depend on it beyond rounding.
    """
    m, s, p = _inputs(reach, supply, population)
    catchment, index = _s.two_step(m, weight, max_seconds, s, p, threads=threads)
    return AccessResult(method, index, catchment, _ratio(s, catchment), s,
                        _notes(weight, max_seconds))


def e2sfca(
    reach: Any, supply: npt.ArrayLike, population: npt.ArrayLike, steps: Steps,
    *, max_seconds: float | None = None,
) -> AccessResult:
    """Enhanced 2SFCA (Luo & Qi 2009): a 2SFCA weighted by travel-time bands."""
    return two_step(reach, supply, population, steps, max_seconds=max_seconds,
                    method="e2sfca")


def gaussian_2sfca(
    reach: Any, supply: npt.ArrayLike, population: npt.ArrayLike, d0_s: float,
) -> AccessResult:
    """Gaussian 2SFCA (Dai 2010): the normalised Gaussian weight, 0 from ``d0_s`` on."""
    return two_step(reach, supply, population, GaussianCatchment(d0_s), method="gaussian_2sfca")


def gravity(
    reach: Any, supply: npt.ArrayLike, population: npt.ArrayLike,
    decay: Weight, *, max_seconds: float | None = None,
) -> AccessResult:
    """Competition-adjusted gravity model: a 2SFCA with a distance-decay weight.

    What PySAL access computes as ``two_stage_fca(weight_fn=weights.gravity(scale,
    -beta, min_dist))`` for :class:`~geo.measures.weights.PowerDecay` (Luo & Wang 2003's
    gravity-based measure).
    """
    if isinstance(decay, Steps | GaussianCatchment):
        raise MeasureError("the gravity model takes a power or exponential decay")
    return two_step(reach, supply, population, decay, max_seconds=max_seconds,
                    method="gravity")


def three_step(
    reach: Any, supply: npt.ArrayLike, population: npt.ArrayLike, weight: Weight,
    *, max_seconds: float | None = None, threads: int | None = None,
) -> AccessResult:
    """Three-step floating catchment (Wan, Zou & Sternberg 2012).

    Pass 1 sums each demand point's weights over its stored pairs (``T_i``); pass 2 is a
    2SFCA with the pair weight ``W_ji^2`` on the population ``P_i / T_i`` and the index
    divided by ``T_i`` at the end (``G_ji W_ji = W_ji^2 / T_i``).
    """
    m, s, p = _inputs(reach, supply, population)
    total = _s.col_sums(m, weight, None, np.ones(len(s)), threads=threads)  # every pair
    inv_t = np.zeros(len(p))
    np.divide(1.0, total, out=inv_t, where=total > 0)
    catchment, index = _s.two_step(m, weight, max_seconds, s, p * inv_t, squared=True,
                                   threads=threads)
    index *= inv_t
    notes = (*_notes(weight, max_seconds),
             "selection weights G = W / (sum of W over the facilities stored for the point)")
    return AccessResult("3sfca", index, catchment, _ratio(s, catchment), s, notes)


def hansen(
    reach: Any, supply: npt.ArrayLike, decay: Weight | None, *, n_demand: int,
    max_seconds: float | None = None,
) -> FloatArray:
    """Hansen potential ``H_i = sum_j S_j w_ji`` (access's ``weighted_catchment``).

    Not a ratio: it grows with supply and ignores competition, so it takes no target.
    """
    m, s, _ = _inputs(reach, supply, np.zeros(n_demand))
    return _s.col_sums(m, decay, max_seconds, s)


def fca_ratio(
    reach: Any, neighbours: Any, supply: npt.ArrayLike, population: npt.ArrayLike,
    *, max_seconds: float | None = None,
) -> FloatArray:
    """Floating catchment ratio (access's ``fca_ratio``): per demand point, the supply
    within reach over the population within reach.

    ``neighbours`` is a demand × demand matrix of seconds (row: the point, columns: the
    points within reach of it, itself included when stored). NaN where no population is
    within reach. Needs a demand × demand matrix, quadratic in the demand grid: for small
    studies and for checks, not offered in the standards file.
    """
    m, s, p = _inputs(reach, supply, population)
    nb = _s.Reach(neighbours, len(p), len(p))
    supply_near = _s.col_sums(m, None, max_seconds, s)
    people_near = _s.row_sums(nb, None, max_seconds, p)
    out = np.full(len(p), np.nan)
    np.divide(supply_near, people_near, out=out, where=people_near > 0)
    return out
