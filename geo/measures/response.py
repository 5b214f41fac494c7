"""Emergency response times as a distribution per township.

The times come from :func:`geo.routing.emergency.response_times` (per demand point:
dispatch delay + base -> scene, and that plus scene -> hospital, the time to definitive
care); here they become, per township and for the whole area, the population-weighted
median and 90th percentile (lower weighted quantiles, as the coverage tables), the
longest time anyone waits, and the share of people within the target (the Luzhai plan's
1 hour), with pass/fail against the target share. ``inf`` (no base within the search
limit) counts as beyond any target; its population is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray
from geo.errors import MeasureError
from geo.measures.aggregate import by_label, coverage_row, meets
from geo.measures.supply import value_problem

__all__ = ["ResponseTable", "dispatch_seconds", "response_table"]



@dataclass(frozen=True)
class ResponseTable:
    """Minutes per township, population-weighted; the last row is the whole area.

    Attributes
    ----------
    labels : list
        Townships in order, then ``total_label``.
    population, median_min, p90_min, max_min, share_within, unreached : (n + 1,) arrays
        ``unreached``: population with no time (no base within the search limit).
    target_min : float or None
        None: no target (e.g. time to definitive care): ``share_within`` is NaN.
    target_share : float
    meets : list of bool or None
        ``share_within`` reaches ``target_share`` (:func:`geo.measures.aggregate.meets`;
        None where nobody lives or without a target).
    """

    labels: list[Any]
    population: FloatArray
    median_min: FloatArray
    p90_min: FloatArray
    max_min: FloatArray
    share_within: FloatArray
    unreached: FloatArray
    target_min: float | None
    target_share: float

    @property
    def meets(self) -> list[bool | None]:
        """Pass/fail per label: ``share_within`` reaches ``target_share``."""
        if self.target_min is None:
            return [None] * len(self.labels)
        return [meets(float(s), self.target_share) if p > 0 else None
                for s, p in zip(self.share_within, self.population, strict=True)]


def _row(minutes: FloatArray, pop: FloatArray, target: float | None) -> tuple[float, ...]:
    """Return the coverage row's distribution (:func:`coverage_row`) and the people unreached."""
    r = coverage_row(minutes, pop, target, 1.0)
    return (r.population, r.median, r.p90, r.max, r.share,
            float(pop[~np.isfinite(minutes)].sum()))


def response_table(
    labels: Sequence[Any] | npt.ArrayLike, population: npt.ArrayLike, seconds: npt.ArrayLike,
    *, target_minutes: float | None, target_share: float = 1.0,
    order: Sequence[Any] | None = None,
    total_label: str = "total",
) -> ResponseTable:
    """Return distribution of response (or definitive-care) times per label and overall.

    Parameters
    ----------
    labels : (n_demand,) township of each demand point
    population : (n_demand,) float array
    seconds : (n_demand,) float array
        Time per demand point; ``inf`` where no base reaches it.
    target_minutes : float or None
        The plan's target (60 for the Luzhai 1-hour response); None: no target.
    target_share : float
        Share of people that must be within it (1.0: everyone).
    order : list, optional
        Every township to report, in order.
    """
    pop = np.asarray(population, dtype=np.float64).ravel()
    minutes = np.asarray(seconds, dtype=np.float64).ravel() / 60.0
    if pop.shape != minutes.shape:
        raise MeasureError(f"{len(minutes)} times for {len(pop)} demand points")
    if np.isnan(minutes).any() or (minutes < 0).any():
        raise MeasureError("response times must be >= 0 seconds or inf (unreached), not NaN")
    if not ((target_minutes is None or target_minutes > 0) and 0 < target_share <= 1):
        raise MeasureError(f"the response target must be > 0 minutes and its share in (0, 1],"
                           f" got {target_minutes} and {target_share}")
    names, idx = by_label(labels, order)
    rows = [_row(minutes[idx == k], pop[idx == k], target_minutes) for k in range(len(names))]
    rows.append(_row(minutes, pop, target_minutes))
    pop_, med, p90, mx, share, unreached = (np.array(c, dtype=np.float64)
                                            for c in zip(*rows, strict=True))
    return ResponseTable([*names, total_label], pop_, med, p90, mx, share, unreached,
                         None if target_minutes is None else float(target_minutes),
                         float(target_share))


def dispatch_seconds(
    default_minutes: float, n_bases: int, *, values: Sequence[Any] | None = None,
    column: str = "", ids: Sequence[Any] | None = None,
) -> tuple[FloatArray, str]:
    """Return each base's dispatch delay in seconds, and a note for the outputs.

    ``values`` (a facility column of minutes, one per base) overrides ``default_minutes``
    where given; a blank value takes the default (counted in the note); a negative or
    non-numeric value stops with the base ids and the fix.
    """
    if not default_minutes >= 0:
        raise MeasureError(f"dispatch_minutes must be >= 0, got {default_minutes}")
    out = np.full(n_bases, float(default_minutes) * 60.0)
    if values is None:
        return out, f"every base leaves {default_minutes:g} min after the call"
    vals = list(values)
    names = [str(i) for i in (ids if ids is not None else range(n_bases))]
    if len(vals) != n_bases or len(names) != n_bases:
        raise ValueError(f"{len(vals)} dispatch values and {len(names)} ids for {n_bases} bases")
    bad = [n for v, n in zip(vals, names, strict=True) if value_problem(v) not in (None, "missing")]
    if bad:
        raise MeasureError(
            f"dispatch column {column!r}: negative or non-numeric minutes for bases "
            f"{bad[:10]}: give minutes >= 0, or leave the cell blank to use dispatch_minutes"
        )
    given = [k for k, v in enumerate(vals) if value_problem(v) is None]
    for k in given:
        out[k] = float(str(vals[k]).strip() if isinstance(vals[k], str) else vals[k]) * 60.0
    return out, (f"dispatch delays from column {column!r} for {len(given)} of {n_bases} bases; "
                 f"{default_minutes:g} min for the rest")
