"""Catchments and workload ("proximity basins"): who each facility serves.

Each demand point is served by its nearest facility (the index array
:func:`geo.routing.travel.nearest_facility` returns, -1 for none within reach). A facility's
basin is the population it serves; its workload ratio is its supply per 1,000 people
served. Every person in a basin gets that facility's supply per person, so a township's
ratio is the population-weighted mean over its demand points
(:func:`geo.measures.aggregate.ratio_table`): the plan's "beds per 1,000 residents" with
each resident counted at the facility they would go to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray, IntArray
from geo.errors import MeasureError

__all__ = ["Basins", "basins"]



@dataclass(frozen=True)
class Basins:
    """Nearest-facility basins.

    Attributes
    ----------
    served : (n_facilities,) float array
        Population whose nearest facility it is.
    points : (n_facilities,) int array
        Demand points in each basin.
    supply : (n_facilities,) float array
    per_person : (n_demand,) float array
        Supply per person served by the point's facility (0 for points with none; NaN
        never: a point in a basin makes it non-empty unless its population is 0, and
        then the facility's supply per person is taken as 0).
    unserved : float
        Population with no facility within reach (nearest = -1).
    """

    served: FloatArray
    points: IntArray
    supply: FloatArray
    per_person: FloatArray
    unserved: float

    def per(self, people: float = 1000.0) -> FloatArray:
        """Return supply per ``people`` served, per facility (NaN where nobody is served)."""
        out = np.full(len(self.supply), np.nan)
        np.divide(self.supply * people, self.served, out=out, where=self.served > 0)
        return out

    @property
    def idle(self) -> IntArray:
        """Facilities with supply that are nobody's nearest (their supply serves nobody)."""
        return np.flatnonzero((self.served <= 0) & (self.supply > 0)).astype(np.int64)


def basins(nearest: npt.ArrayLike, population: npt.ArrayLike,
           supply: npt.ArrayLike) -> Basins:
    """Sum the population served and the supply per person of each nearest-facility basin.

    Parameters
    ----------
    nearest : (n_demand,) int array
        Facility serving each demand point (index into ``supply``), -1 for none.
    population : (n_demand,) float array
    supply : (n_facilities,) float array
    """
    near = np.asarray(nearest).ravel()
    pop = np.asarray(population, dtype=np.float64).ravel()
    s = np.asarray(supply, dtype=np.float64).ravel()
    if near.shape != pop.shape:
        raise MeasureError(f"{len(near)} nearest-facility indices for {len(pop)} demand points")
    if not np.issubdtype(near.dtype, np.integer) or (len(near) and (
            near.min() < -1 or near.max() >= len(s))):
        raise MeasureError(f"nearest-facility indices must be integers in [-1, {len(s)})")
    if not (np.isfinite(pop).all() and (pop >= 0).all()):
        raise MeasureError("population must be finite and >= 0 per demand point")
    if not (np.isfinite(s).all() and (s >= 0).all()):
        raise MeasureError("supply must be finite and >= 0 per facility")
    has = near >= 0
    served = np.asarray(np.bincount(near[has], weights=pop[has], minlength=len(s)), dtype=float)
    points = np.bincount(near[has], minlength=len(s)).astype(np.int64)
    rate = np.zeros(len(s))
    np.divide(s, served, out=rate, where=served > 0)
    per_person = np.where(has, rate[np.where(has, near, 0)], 0.0)
    return Basins(served, points, s, per_person, float(pop[~has].sum()))
