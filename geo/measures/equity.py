"""Equity of access on arrays: population-weighted Gini and Theil of travel minutes.

Each demand point carries travel minutes ``x`` and a weight ``w`` (the people of the whole
population or of one group living there). With ``W = Σ w`` and the weighted mean
``μ = Σ w x / W``:

- **Gini** ``G = Σ_i Σ_j w_i w_j |x_i − x_j| / (2 W² μ)``: 0 when everyone travels equally
  long, towards 1 when a few carry all the travel time (Gini 1912; the population-weighted
  form of Lerman & Yitzhaki 1989). On whole-number weights it equals the Gini of the list
  in which each point's minutes appear ``w`` times (what PySAL ``inequality.gini.Gini``
  computes).
- **Theil** ``T = Σ_i (w_i / W) (x_i / μ) ln(x_i / μ)`` (Theil 1967; a point with 0 minutes
  adds 0, the limit of ``x ln x``), decomposed over groups of points (townships):
  ``T = T_between + T_within`` with ``T_between = Σ_g (W_g / W)(μ_g / μ) ln(μ_g / μ)`` (every
  person given the mean of their township) and ``T_within = Σ_g (W_g μ_g / (W μ)) T_g``
  (Shorrocks 1980), as PySAL ``inequality.theil.TheilD`` decomposes.

Points without a reachable facility (infinite or NaN minutes) have no travel time to rank:
the indices leave them out and :func:`unreachable` counts their people, for the outputs to
state. No pandas here (import-linter): the frames are assembled in
:mod:`geo.coverage.groups`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray
from geo.errors import GeoError

__all__ = ["TheilParts", "covered_by_place", "gini", "lorenz", "reachable", "theil", "theil_parts",
           "unreachable"]


@dataclass(frozen=True)
class TheilParts:
    """A Theil index and its between- and within-group parts (``total = between + within``)."""

    total: float
    between: float
    within: float


def _pair(x: npt.ArrayLike, w: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Minutes and weights as float arrays of one length, weights finite and >= 0."""
    xs, ws = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    if xs.shape != ws.shape or xs.ndim != 1:
        raise GeoError(f"minutes and weights must be two 1-d arrays of one length, not "
                       f"{xs.shape} and {ws.shape}")
    if not (np.isfinite(ws) & (ws >= 0)).all():
        raise GeoError("weights must be finite numbers of people >= 0")
    if (xs < 0).any():
        raise GeoError("travel minutes must be >= 0")
    return xs, ws


def _no_nan(x: npt.ArrayLike) -> FloatArray:
    """Minutes with NaN (no facility) as infinity."""
    xs = np.asarray(x, dtype=np.float64)
    return np.where(np.isnan(xs), np.inf, xs)


def reachable(x: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Which points have a travel time (finite minutes)."""
    return np.isfinite(np.asarray(x, dtype=np.float64))


def unreachable(x: npt.ArrayLike, w: npt.ArrayLike) -> float:
    """People at points without a reachable facility (left out of the indices)."""
    xs, ws = _pair(_no_nan(x), w)
    return float(ws[~np.isfinite(xs)].sum())


def _kept(x: npt.ArrayLike, w: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xs, ws = _pair(_no_nan(x), w)
    keep = np.isfinite(xs) & (ws > 0)
    return xs[keep], ws[keep]


def gini(x: npt.ArrayLike, w: npt.ArrayLike, *, order: npt.ArrayLike | None = None) -> float:
    """Compute the population-weighted Gini index of travel minutes.

    Parameters
    ----------
    x : array of float
        Minutes per point (infinite or NaN: unreachable, left out).
    w : array of float
        People per point (>= 0).
    order : array of int, optional
        The stable order of ``x`` (``np.argsort(x, kind="stable")``), sorted once where
        several populations (groups) are weighed on the same minutes.

    Returns
    -------
    float
        ``G`` of the module docs; NaN when no people are left or the mean is 0.

    Examples
    --------
    Two people at 10 and 30 minutes: ``|10 − 30| · 2 / (2 · 2² · 20) = 0.25``.

    >>> gini([10.0, 30.0], [1.0, 1.0])
    0.25
    """
    if order is None:
        xs, ws = _kept(x, w)
        rank = np.argsort(xs, kind="stable")
        xs, ws = xs[rank], ws[rank]
    else:  # sorted once: the kept points of a stable order are in the stable order
        xs, ws = _pair(_no_nan(x), w)
        rank = np.asarray(order, dtype=np.intp)
        if rank.shape != xs.shape:
            raise GeoError(f"an order of {len(rank)} points for {len(xs)} minutes")
        xs, ws = xs[rank], ws[rank]
        keep = np.isfinite(xs) & (ws > 0)
        xs, ws = xs[keep], ws[keep]
    total = ws.sum()
    if total <= 0:
        return float("nan")
    mean = float((ws * xs).sum() / total)
    if mean <= 0:
        return float("nan")
    # Σ_i Σ_j w_i w_j |x_i − x_j| = 2 Σ_i w_i x_i (W_<i − W_>i), W_<i / W_>i: weight before/after
    before = np.cumsum(ws) - ws
    after = total - before - ws
    pairs = 2.0 * float((ws * xs * (before - after)).sum())
    return float(pairs / (2.0 * total * total * mean))


def _xlogx(r: FloatArray) -> FloatArray:
    """``r ln r``, 0 at 0 (its limit)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)


def _theil(xs: FloatArray, ws: FloatArray) -> tuple[float, float, float]:
    """Theil, weight and mean of kept points (NaN Theil for no weight or a zero mean)."""
    total = float(ws.sum())
    if total <= 0:
        return float("nan"), 0.0, float("nan")
    mean = float((ws * xs).sum() / total)
    if mean <= 0:
        return float("nan"), total, mean
    return float((ws * _xlogx(xs / mean)).sum() / total), total, mean


def theil(x: npt.ArrayLike, w: npt.ArrayLike) -> float:
    """Compute the population-weighted Theil index (T) of travel minutes.

    Parameters
    ----------
    x : array of float
        Minutes per point (infinite or NaN: unreachable, left out).
    w : array of float
        People per point (>= 0).

    Returns
    -------
    float
        ``T`` of the module docs; NaN when no people are left or the mean is 0.

    Examples
    --------
    >>> round(theil([10.0, 30.0], [1.0, 1.0]), 6)  # ½(0.5 ln 0.5 + 1.5 ln 1.5)
    0.130812
    """
    return _theil(*_kept(x, w))[0]


def theil_parts(x: npt.ArrayLike, w: npt.ArrayLike, group: npt.ArrayLike) -> TheilParts:
    """Decompose the weighted Theil index between and within groups of points.

    Parameters
    ----------
    x : array of float
        Minutes per point (infinite or NaN: unreachable, left out).
    w : array of float
        People per point (>= 0).
    group : array
        Group label of each point (its township).

    Returns
    -------
    TheilParts
        ``total``, ``between`` and ``within`` of the module docs (NaN for no people).

    Examples
    --------
    Two townships of one person each: all inequality lies between them.

    >>> p = theil_parts([10.0, 30.0], [1.0, 1.0], ["a", "b"])
    >>> round(p.between, 6), p.within
    (0.130812, 0.0)
    """
    xs, ws = _pair(_no_nan(x), w)
    labels = np.asarray(group)
    if labels.shape != xs.shape:
        raise GeoError("one group label per point is needed")
    keep = np.isfinite(xs) & (ws > 0)
    xs, ws, labels = xs[keep], ws[keep], labels[keep]
    total, weight, mean = _theil(xs, ws)
    if not np.isfinite(total):
        return TheilParts(total, float("nan"), float("nan"))
    _, inverse = np.unique(labels if labels.dtype != object else labels.astype(str),
                           return_inverse=True)
    wg = np.bincount(inverse, ws)
    mg = np.bincount(inverse, ws * xs) / wg
    rg = mg / mean
    between = float((wg / weight * _xlogx(rg)).sum())
    # each township's own Theil, T_g = Σ_(i in g) (w_i / W_g) ρ_i ln ρ_i with ρ_i = x_i / μ_g,
    # weighted by its share of the minutes, W_g μ_g / (W μ): Σ_g W_g μ_g T_g / (W μ)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(mg[inverse] > 0, xs / mg[inverse], 0.0)
    within = float((mg * np.bincount(inverse, ws * _xlogx(rho))).sum() / (weight * mean))
    return TheilParts(total, between, within)


def covered_by_place(x: npt.ArrayLike, w: npt.ArrayLike, place: npt.ArrayLike, places: int,
                     limit: float) -> tuple[FloatArray, FloatArray]:
    """Sum people and people within ``limit`` minutes per place.

    Parameters
    ----------
    x : array of float
        Minutes per point (infinite or NaN: not within any limit).
    w : array of float
        People per point (>= 0).
    place : array of int
        Place (township) position of each point, 0..``places`` − 1; −1: none (left out).
    places : int
        Number of places.
    limit : float
        The standard's minutes.

    Returns
    -------
    people, covered : array of float
        Per place, as :func:`geo.measures.aggregate.coverage_row` counts them (``x <= limit``).
    """
    xs = np.asarray(x, dtype=np.float64)
    ws = _pair(np.zeros_like(xs), w)[1]
    idx = np.asarray(place, dtype=np.int64)
    if idx.shape != xs.shape:
        raise GeoError("one place position per point is needed")
    inside = idx >= 0
    people = np.bincount(idx[inside], ws[inside], places).astype(np.float64)
    within = inside & (xs <= limit)
    covered = np.bincount(idx[within], ws[within], places).astype(np.float64)
    return people, covered


def lorenz(x: npt.ArrayLike, w: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Compute the Lorenz curve of travel minutes: people ordered from the shortest trip.

    Parameters
    ----------
    x : array of float
        Minutes per point (infinite or NaN: unreachable, left out as in :func:`gini`).
    w : array of float
        People per point (>= 0).

    Returns
    -------
    people, minutes : array of float
        From (0, 0) to (1, 1): the cumulative share of people and of their travel minutes;
        twice the area between the curve and the diagonal is :func:`gini`.

    Examples
    --------
    >>> p, m = lorenz([30.0, 10.0], [1.0, 1.0])
    >>> p.tolist(), m.tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.25, 1.0])
    """
    xs, ws = _kept(x, w)
    order = np.argsort(xs, kind="stable")
    xs, ws = xs[order], ws[order]
    people = np.concatenate([[0.0], np.cumsum(ws)])
    minutes = np.concatenate([[0.0], np.cumsum(ws * xs)])
    if people[-1] <= 0 or minutes[-1] <= 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    return people / people[-1], minutes / minutes[-1]
