"""Per-township (per-label) tables, population-weighted: coverage rows and ratios.

:func:`coverage_row` is the one coverage row (people, people within the limit, their
share, the target met or not, median, 90th percentile and longest minutes) that the
coverage tables, ``geo compare``, the workbench's table and the response tables all
compute; :func:`meets` is the one pass/fail against a target, with its tolerance.


A per-demand-point value ``v_i`` (supply per person within reach, or in the point's
basin) becomes a township ratio as the population-weighted mean ``sum P_i v_i / sum P_i``
times ``per`` (1,000 or 10,000 residents), checked against the plan's target. The whole
area's row uses the same formula over every point. :func:`located_ratio` is the plan's
own definition instead: the supply of the facilities *located* in a township over its
residents, whose whole-area row is the plan's indicator (e.g. beds per 1,000 residents of
the county); per township it ignores that people cross township lines for care.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray
from geo.errors import MeasureError
from geo.numbers import TOLERANCE

__all__ = [
    "CoverageRow",
    "LabelIndex",
    "RatioTable",
    "by_label",
    "coverage_row",
    "located_ratio",
    "meets",
    "ratio_table",
    "weighted_quantile",
]



def weighted_quantile(values: npt.ArrayLike, weights: npt.ArrayLike, q: float, *,
                      order: npt.ArrayLike | None = None) -> float:
    """Return population-weighted quantile: the value below which a share ``q`` of people live.

    The lower weighted quantile (no interpolation): the smallest value whose cumulative
    weight reaches ``q`` of the total. NaN when the total weight is zero. ``order``: the
    stable order of ``values`` (``np.argsort(values, kind="stable")``), when already sorted
    for another population on the same values.
    """
    return _quantiles(np.asarray(values, float), np.asarray(weights, float), (q,), order)[0]


def _quantiles(v: FloatArray, w: FloatArray, qs: Sequence[float],
               order: npt.ArrayLike | None) -> list[float]:
    """Return the lower weighted quantiles ``qs`` of ``v`` (see :func:`weighted_quantile`).

    The values are sorted once (or taken in ``order``), the points without people left
    out after sorting: a stable sort of all points restricted to those with people is the
    stable sort of those points.
    """
    rank = np.argsort(v, kind="stable") if order is None else np.asarray(order, np.intp)
    if len(rank) != len(v):
        raise MeasureError(f"an order of {len(rank)} points for {len(v)} values")
    ws = w[rank]
    keep = ws > 0
    vs, cw = v[rank][keep], np.cumsum(ws[keep])
    if len(vs) == 0:
        return [float("nan")] * len(qs)
    return [float(vs[min(int(np.searchsorted(cw, q * cw[-1] * (1 - 1e-12))), len(vs) - 1)])
            for q in qs]


def meets(share: float, target: float, *, at_most: bool = False) -> bool | None:
    """Tell whether ``share`` reaches ``target``, within :data:`geo.numbers.TOLERANCE`.

    It is the one tolerance: the outputs keep a share shown below a target it does not
    meet by the same rule (:func:`geo.numbers.share_decimals`).

    Parameters
    ----------
    share : float
        The covered share (or a ratio); NaN where nobody lives there or the standard
        does not apply.
    target : float
        The plan's target.
    at_most : bool
        True: the value must stay at or below the target (a ratio with a ceiling).

    Returns
    -------
    bool or None
        None where ``share`` is NaN (no pass/fail to give).
    """
    if math.isnan(share):
        return None
    if at_most:
        return bool(share <= target + TOLERANCE)
    return bool(share >= target - TOLERANCE)


@dataclass(frozen=True)
class CoverageRow:
    """One place's coverage against a limit in minutes (see :func:`coverage_row`).

    Attributes
    ----------
    population : float
        People living there.
    covered : float
        People within the limit (NaN where the standard does not apply).
    share : float
        ``covered / population``; NaN where nobody lives there, without a limit, or
        where the standard does not apply.
    meets : bool or None
        ``share`` reaches the target share (:func:`meets`); None where ``share`` is NaN.
    median, p90, max : float
        Population-weighted median and 90th percentile (lower weighted quantiles) and
        the longest minutes anyone has; NaN where nobody lives there or the standard
        does not apply.
    """

    population: float
    covered: float
    share: float
    meets: bool | None
    median: float
    p90: float
    max: float


def coverage_row(
    minutes: npt.ArrayLike | None, population: npt.ArrayLike, limit: float | None,
    target_share: float, *, order: npt.ArrayLike | None = None,
) -> CoverageRow:
    """Return the coverage row of one place: its demand points' minutes against ``limit``.

    Parameters
    ----------
    minutes : (n,) float array or None
        Minutes per demand point (``inf``: unreached, never within the limit; NaN: a
        point the standard does not apply to, in a township outside its kinds,
        :mod:`geo.coverage.kinds`, counted neither in the population nor as covered);
        None where the standard does not apply (no eligible facility): only the
        population is given. Where every point is NaN the row is not applicable, with
        the whole population.
    population : (n,) float array
        People per demand point.
    limit : float or None
        The standard's minutes; None: no limit (``covered`` and ``share`` NaN).
    target_share : float
        Share of people that must be within ``limit``.
    order : (n,) int array, optional
        The stable order of ``minutes`` (``np.argsort(minutes, kind="stable")``), sorted
        once where several populations (groups) are counted on the same minutes; the
        minutes are sorted once here otherwise.

    Returns
    -------
    CoverageRow
        Unrounded; the tables round it for reading.

    Examples
    --------
    >>> r = coverage_row([10.0, 40.0], [10.0, 20.0], 30.0, 0.3)
    >>> r.covered, round(r.share, 4), r.meets, r.median
    (10.0, 0.3333, True, 40.0)

    A point the standard does not apply to (NaN) is left out of the people counted:

    >>> r = coverage_row([10.0, float("nan")], [10.0, 20.0], 30.0, 1.0)
    >>> r.population, r.covered, r.share
    (10.0, 10.0, 1.0)
    """
    pop = np.asarray(population, dtype=np.float64).ravel()
    total = float(pop.sum())
    nan = float("nan")
    if minutes is None:
        return CoverageRow(total, nan, nan, None, nan, nan, nan)
    m = np.asarray(minutes, dtype=np.float64).ravel()
    if m.shape != pop.shape:
        raise MeasureError(f"{len(m)} minutes for {len(pop)} demand points")
    counted = ~np.isnan(m)
    if not counted.all():  # places the standard does not apply to are left out
        if not counted.any():
            return CoverageRow(total, nan, nan, None, nan, nan, nan)
        m, pop = m[counted], pop[counted]
        total = float(pop.sum())
        order = None  # an order of the full minutes does not index the counted ones
    covered = nan if limit is None else float(pop[m <= limit].sum())
    share = covered / total if total > 0 and limit is not None else nan
    live = pop > 0
    median, p90 = _quantiles(m, pop, (0.5, 0.9), order)
    return CoverageRow(total, covered, share, meets(share, target_share), median, p90,
                       float(m[live].max()) if live.any() else nan)


@dataclass(frozen=True)
class LabelIndex:
    """Points' labels placed in a label order once (:func:`by_label`'s answer), to pass on.

    A study's measures all sum their demand points by the same townships: they pass this
    instead of the labels, and :func:`by_label` hands it back without sorting them again.
    """

    names: list[Any]
    idx: npt.NDArray[np.int64]

    @classmethod
    def of(cls, labels: Sequence[Any] | npt.ArrayLike, order: Sequence[Any] | None = None
           ) -> LabelIndex:
        """Place ``labels`` in ``order`` (see :func:`by_label`)."""
        names, idx = by_label(labels, order)
        idx.flags.writeable = False
        return cls(names, idx)

    def __len__(self) -> int:
        return len(self.idx)


def by_label(labels: Sequence[Any] | npt.ArrayLike | LabelIndex,
             order: Sequence[Any] | None = None) -> tuple[list[Any], npt.NDArray[np.int64]]:
    """Return the label order and each point's position in it.

    ``order`` lists every label to report (townships without demand points included);
    a point whose label is not in it stops the run (no row silently dropped). A
    :class:`LabelIndex` is its own answer (made for the same ``order``).
    """
    if isinstance(labels, LabelIndex):
        if order is not None and [str(n) for n in order] != [str(n) for n in labels.names]:
            raise MeasureError("the labels were placed in another township order")
        return labels.names, labels.idx
    lab = np.asarray(labels, dtype=object).ravel().astype(str)
    uniq, inv = np.unique(lab, return_inverse=True)
    names = list(order) if order is not None else [str(u) for u in uniq]
    pos = {str(n): k for k, n in enumerate(names)}
    if len(pos) != len(names):
        raise MeasureError("the township order lists a name twice")
    missing = sorted(set(uniq.tolist()) - set(pos))
    if missing:
        raise MeasureError(f"places carry labels {missing[:10]} that are not in the "
                           "township list: assign every place a listed township")
    where = np.array([pos[str(u)] for u in uniq], dtype=np.int64)
    return names, where[inv.ravel()] if len(lab) else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class RatioTable:
    """Supply per ``per`` residents, per label and for the whole area.

    Attributes
    ----------
    labels : list
        Townships, in order.
    population : (n,) float array
    supply : (n,) float array
        Supply reached: ``sum P_i v_i`` (or the supply located there).
    ratio : (n,) float array
        ``supply / population * per``; NaN where the population is 0.
    per : float
        1,000 or 10,000 residents.
    target : float or None
    at_least : bool
        True: the ratio must be at least the target; False: at most.
    total_population, total_supply, total_ratio : float
        The same over the whole area.
    """

    labels: list[Any]
    population: FloatArray
    supply: FloatArray
    ratio: FloatArray
    per: float
    target: float | None
    at_least: bool
    total_population: float
    total_supply: float
    total_ratio: float

    def _meets(self, ratio: float, pop: float) -> bool | None:
        if self.target is None or not pop > 0:
            return None
        return meets(ratio, self.target, at_most=not self.at_least)

    @property
    def meets(self) -> list[bool | None]:
        """Pass/fail per label (None: no target, or no population)."""
        return [self._meets(float(r), float(p)) for r, p in zip(self.ratio, self.population,
                                                                 strict=True)]

    @property
    def total_meets(self) -> bool | None:
        """Pass/fail of the whole-area row (None: no target, or no population)."""
        return self._meets(self.total_ratio, self.total_population)


def _sum(idx: npt.NDArray[np.int64], values: FloatArray, n: int) -> FloatArray:
    """Sum of ``values`` per group ``idx`` in ``[0, n)``."""
    return np.asarray(np.bincount(idx, weights=values, minlength=n), dtype=np.float64)


def _table(names: list[Any], pop: FloatArray, sup: FloatArray, per: float,
           target: float | None, at_least: bool) -> RatioTable:
    if not per > 0:
        raise MeasureError(f"per must be > 0 residents, got {per}")
    ratio = np.full(len(names), np.nan)
    np.divide(sup * per, pop, out=ratio, where=pop > 0)
    tp, ts = float(pop.sum()), float(sup.sum())
    return RatioTable(names, pop, sup, ratio, float(per), target, at_least, tp, ts,
                      ts / tp * per if tp > 0 else float("nan"))


def ratio_table(
    labels: Sequence[Any] | npt.ArrayLike | LabelIndex, population: npt.ArrayLike,
    per_person: npt.ArrayLike, *, per: float = 1000.0, target: float | None = None,
    at_least: bool = True, order: Sequence[Any] | None = None,
) -> RatioTable:
    """Return population-weighted ratio per label from a per-demand-point supply per person.

    ``per_person`` is an access index (``AccessResult.index``) or a basin's
    ``Basins.per_person``.
    """
    pop = np.asarray(population, dtype=np.float64).ravel()
    v = np.asarray(per_person, dtype=np.float64).ravel()
    if pop.shape != v.shape:
        raise MeasureError(f"{len(v)} values for {len(pop)} demand points")
    if not np.isfinite(v).all():
        raise MeasureError("per-person values must be finite")
    names, idx = by_label(labels, order)
    if len(idx) != len(pop):
        raise MeasureError(f"{len(idx)} labels for {len(pop)} demand points")
    p = _sum(idx, pop, len(names))
    s = _sum(idx, pop * v, len(names))
    return _table(names, p, s, per, target, at_least)


def located_ratio(
    facility_labels: Sequence[Any] | npt.ArrayLike, supply: npt.ArrayLike,
    labels: Sequence[Any] | npt.ArrayLike | LabelIndex, population: npt.ArrayLike, *,
    per: float = 1000.0, target: float | None = None, at_least: bool = True,
    order: Sequence[Any] | None = None,
) -> RatioTable:
    """Divide the supply of the facilities located in each label by its population.

    This is the plan's definition; the whole-area row is the county indicator.
    """
    names, idx = by_label(labels, order)
    fnames, fidx = by_label(facility_labels, names)
    pop = np.asarray(population, dtype=np.float64).ravel()
    s = np.asarray(supply, dtype=np.float64).ravel()
    if len(s) != len(fidx) or len(pop) != len(idx):
        raise MeasureError("one supply per facility label and one population per demand "
                           "label are needed")
    p = _sum(idx, pop, len(names))
    sup = _sum(fidx, s, len(fnames))
    return _table(names, p, sup, per, target, at_least)
