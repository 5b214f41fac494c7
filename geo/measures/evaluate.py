"""One measure spec, evaluated on the arrays a study has: reach, nearest, labels.

:func:`evaluate` picks the computation for ``spec.method`` and returns the per-point
values, the per-township table against the target, and the notes every output must carry
(weights, cutoff, the supply fallback, facilities whose supply reaches nobody).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray
from geo.errors import MeasureError
from geo.measures import fca
from geo.measures.aggregate import LabelIndex, RatioTable, located_ratio, ratio_table
from geo.measures.basins import Basins, basins
from geo.measures.specs import REACH_METHODS, MeasureSpec
from geo.measures.weights import Steps

__all__ = ["MeasureResult", "evaluate"]


_WHAT = {
    "2sfca": "two-step floating catchment (2SFCA, Luo & Wang 2003)",
    "e2sfca": "enhanced 2SFCA (Luo & Qi 2009)",
    "gaussian_2sfca": "Gaussian 2SFCA (Dai 2010)",
    "3sfca": "three-step floating catchment (3SFCA, Wan, Zou & Sternberg 2012)",
    "gravity": "competition-adjusted gravity model (2SFCA with distance decay)",
    "hansen": "Hansen potential (not a ratio: sum of supply weighted by distance decay)",
    "nearest": "nearest-facility basins (each place counted at its nearest facility)",
    "located": "supply of the facilities located in each township over its residents",
}


@dataclass(frozen=True)
class MeasureResult:
    """A measure on one study.

    Attributes
    ----------
    spec : MeasureSpec
    per_person : (n_demand,) float array or None
        Supply per person within reach (or in the point's basin) per demand point; for
        ``hansen`` the potential; None for ``located``.
    table : RatioTable
        Per township and for the whole area, against the spec's target.
    access : AccessResult or None
        Floating-catchment details (catchment population and ratio per facility).
    basins : Basins or None
        Basin details (population served and supply per 1,000 served per facility).
    notes : tuple of str
    """

    spec: MeasureSpec
    per_person: FloatArray | None
    table: RatioTable
    access: fca.AccessResult | None
    basins: Basins | None
    notes: tuple[str, ...]


def _reach_method(spec: MeasureSpec, reach: Any, supply: FloatArray,
                  population: FloatArray) -> fca.AccessResult:
    w = spec.weight()
    limit = spec.max_seconds
    if spec.method == "3sfca":
        assert isinstance(w, Steps)
        return fca.three_step(reach, supply, population, w, max_seconds=limit)
    return fca.two_step(reach, supply, population, w, max_seconds=limit, method=spec.method)


def evaluate(
    spec: MeasureSpec, *, supply: npt.ArrayLike, population: npt.ArrayLike,
    labels: Sequence[Any] | npt.ArrayLike | LabelIndex, order: Sequence[Any] | None = None,
    reach: Any = None, nearest: npt.ArrayLike | None = None,
    facility_labels: Sequence[Any] | npt.ArrayLike | None = None, supply_note: str = "",
) -> MeasureResult:
    """Evaluate ``spec`` on a study's arrays.

    Parameters
    ----------
    spec : MeasureSpec
    supply : (n_facilities,) float array
        For the facilities of ``spec.facility_types`` (``supply_for`` gives it and the
        note for the fallback).
    population, labels : (n_demand,) arrays
        Population and township of each demand point (``labels`` may be a
        :class:`~geo.measures.aggregate.LabelIndex` made for ``order``).
    order : list, optional
        Every township to report, in order.
    reach : scipy.sparse.csr_matrix, optional
        Facility × demand seconds within ``spec.max_seconds`` (``mode``, ``direction``
        of the spec); for the floating-catchment, gravity and Hansen methods.
    nearest : (n_demand,) int array, optional
        Nearest facility per demand point (-1: none), for ``nearest``.
    facility_labels : (n_facilities,) array, optional
        Township of each facility, for ``located``.
    supply_note : str
        Printed with the results (the fallback's words when no supply column was given).
    """
    s = np.asarray(supply, dtype=np.float64).ravel()
    pop = np.asarray(population, dtype=np.float64).ravel()
    notes = [_WHAT[spec.method]]
    if supply_note:
        notes.append(supply_note)
    kw: dict[str, Any] = {"per": spec.per, "target": spec.target, "at_least": spec.at_least,
                          "order": order}
    access, basin, per_person = None, None, None
    if spec.method in REACH_METHODS:
        if reach is None:
            raise MeasureError(f"measure {spec.name!r} ({spec.method}) needs a reach matrix")
        if spec.method == "hansen":
            w = spec.weight()
            per_person = fca.hansen(reach, s, w, n_demand=len(pop), max_seconds=spec.max_seconds)
            notes.append(w.describe() if w is not None else "every pair weighs 1")
            kw |= {"per": 1.0, "target": None}
        else:
            access = _reach_method(spec, reach, s, pop)
            per_person = access.index
            notes += list(access.notes)
            if len(access.idle):
                notes.append(f"{len(access.idle)} facilities with supply have nobody within "
                             f"{spec.minutes:g} min: their supply counts nowhere")
    elif spec.method == "nearest":
        if nearest is None:
            raise MeasureError(f"measure {spec.name!r} (nearest) needs the nearest facility "
                               "of every demand point")
        basin = basins(nearest, pop, s)
        per_person = basin.per_person
        if basin.unserved > 0:
            notes.append(f"{basin.unserved:,.0f} people have no facility within reach")
    else:
        if facility_labels is None:
            raise MeasureError(f"measure {spec.name!r} (located) needs each facility's township")
        table = located_ratio(facility_labels, s, labels, pop, **kw)
        return MeasureResult(spec, None, table, None, None, tuple(notes))
    table = ratio_table(labels, pop, per_person, **kw)
    return MeasureResult(spec, per_person, table, access, basin, tuple(notes))
