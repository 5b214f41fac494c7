"""Location models on a sparse coverage structure: MCLP, LSCP, p-median, designation.

A :class:`SitingProblem` holds what the routing engine measured
(:func:`geo.routing.travel.reach_matrix`): a sparse candidate × demand matrix of seconds within a
cutoff (explicit entries, 0 s included), the population of each demand point, the
coverage threshold, and the seconds from each demand point to its nearest *existing*
facility. Existing facilities are fixed: only new sites are chosen, and demand already
within the threshold of an existing facility counts as covered.

Models
------
* :func:`mclp` — maximal covering: ``p`` new sites maximising the newly covered
  population (optionally with a capacity per site);
* :func:`lscp` — set covering: fewest new sites bringing coverage to a target share;
* :func:`pmedian` — ``p`` new sites minimising population-weighted travel time, each
  demand point served by its nearest open site, existing or new; a pair beyond the
  matrix's cutoff costs ``penalty_s`` (stated in every result).

Exact solutions come from HiGHS (``highspy``) with a time limit; on a time limit the
result carries the best bound any stage proved (HiGHS's dual bound or the Lagrangian
bound of the heuristic start, :func:`geo.siting._milp.best_bound`) and the gap from it.
Before the exact MCLP, demand points with identical candidate sets are merged, a
greedy + swap solution is found, and candidates that the Lagrangian bound shows cannot
beat it are dropped (an exact reduction: no optimum is lost), which shrinks the MILP
several-fold. :func:`mclp` with ``method="heuristic"``
runs lazy greedy + 1-swap local search and bounds it with a Lagrangian relaxation
(subgradient, started at the submodular data-dependent bound), for instances too big
for a MILP. Many problems on one matrix (the workbench's questions) share its binary
cover and demand grouping, made once (:func:`coverage`, ``SitingProblem(shared=...)``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geo import settings
from geo._types import FloatArray, IntArray
from geo.errors import Arg, Hint, SitingError
from geo.siting import _milp
from geo.siting import _pmedian as _pm

__all__ = ["METHODS", "Coverage", "SitingProblem", "SitingResult", "coverage", "lscp", "mclp",
           "pmedian", "rank_sites"]

#: how the models solve: exactly (HiGHS MILP) or by greedy + swap with a bound
METHODS = ("exact", "heuristic")

log = logging.getLogger(__name__)



def _binary_cover(reach: sp.spmatrix, threshold_s: float) -> sp.csr_matrix:
    """Return the binary candidate × demand matrix of the pairs within the threshold."""
    r = reach.tocsr()
    keep = r.data <= threshold_s
    rows = np.repeat(np.arange(r.shape[0]), np.diff(r.indptr))[keep]
    m = sp.csr_matrix((np.ones(int(keep.sum())), (rows, r.indices[keep])), shape=r.shape)
    m.sum_duplicates()
    return m


@dataclass(frozen=True)
class Coverage:
    """The binary cover of one reach matrix at one threshold, its demand grouped, made once.

    What does not depend on the existing facilities or the weights: problems on the same
    matrix and threshold (the workbench asks many) share it, and each question then only
    sums its weights per group (``_reduce``), exactly as grouping afresh would.

    Attributes
    ----------
    cover : scipy.sparse.csr_matrix
        Binary candidate × demand matrix (:attr:`SitingProblem.cover`).
    label : (n_demand,) int array
        Group of each demand point: points with identical candidate sets share one;
        -1 where no candidate reaches the point.
    groups : scipy.sparse.csc_matrix
        Candidate × group matrix: each group's candidate set.
    threshold_s : float
        The threshold it was made for.
    """

    cover: sp.csr_matrix
    label: IntArray
    groups: sp.csc_matrix
    threshold_s: float


def coverage(reach: sp.spmatrix, threshold_s: float) -> Coverage:
    """Return the :class:`Coverage` of ``reach`` within ``threshold_s`` seconds."""
    cover = _binary_cover(reach, threshold_s)
    csc = cover.tocsc()
    csc.sort_indices()
    n = csc.shape[1]
    label = np.full(n, -1, dtype=np.int64)
    seen: dict[bytes, int] = {}
    ind, ptr = csc.indices, csc.indptr
    first: list[int] = []
    for k in range(n):
        if ptr[k + 1] == ptr[k]:
            continue
        g = seen.setdefault(ind[ptr[k]:ptr[k + 1]].tobytes(), len(seen))
        if g == len(first):
            first.append(k)
        label[k] = g
    groups = csc[:, np.asarray(first, dtype=np.int64)] if first else \
        sp.csc_matrix((csc.shape[0], 0))
    return Coverage(cover, label, sp.csc_matrix(groups), float(threshold_s))


@dataclass(frozen=True)
class SitingProblem:
    """Candidates, demand and the coverage structure between them.

    Attributes
    ----------
    reach : scipy.sparse.csr_matrix, shape (n_candidates, n_demand)
        Seconds between candidate and demand point, stored only within the cutoff the
        matrix was built with (explicit entries: a 0 s entry is a pair, not a gap).
    weights : (n_demand,) float array
        Population of each demand point (non-negative).
    threshold_s : float
        Coverage threshold: a pair is "within" when its seconds are at most this.
    existing_s : (n_demand,) float array, optional
        Seconds to the nearest existing (fixed) facility; ``inf`` where none is within
        reach. ``None``: no existing facilities.
    capacity : (n_candidates,) float array, optional
        Population each candidate could serve (beds, staff × ratio); MCLP only.
    shared : Coverage, optional
        The cover of ``reach`` at ``threshold_s`` made earlier (:func:`coverage`), shared
        by many problems on one matrix; made on first use otherwise.

    Examples
    --------
    Three candidates and four villages (100, 50, 80 and 30 people); the seconds between
    each candidate and the villages it reaches within 10 minutes:

    >>> import numpy as np, scipy.sparse as sp, geo
    >>> reach = sp.csr_matrix((np.array([300.0, 200, 500, 400, 100]),
    ...                        (np.array([0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 3]))),
    ...                       shape=(3, 4))
    >>> problem = geo.SitingProblem(reach, np.array([100.0, 50, 80, 30]), threshold_s=600)
    >>> problem.n_candidates, problem.total
    (3, 260.0)
    """

    reach: sp.csr_matrix
    weights: FloatArray
    threshold_s: float
    existing_s: FloatArray | None = None
    capacity: FloatArray | None = None
    shared: Coverage | None = field(default=None, repr=False, compare=False)
    _cover: list[sp.csr_matrix] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_c, n_d = self.reach.shape
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (n_d,) or not np.isfinite(w).all() or (w < 0).any():
            raise SitingError(
                Arg("SitingProblem", "weights", Hint(f"<shape {w.shape}>")), f": give {n_d} "
                "finite, non-negative populations (one per demand point, a column of reach): "
                "check the demand layer's population column")
        if not self.threshold_s >= 0:
            raise SitingError(Arg("SitingProblem", "threshold_s", self.threshold_s),
                              ": give seconds, 0 or more")
        if self.existing_s is not None and np.shape(self.existing_s) != (n_d,):
            raise SitingError(Arg("SitingProblem", "existing_s",
                                  Hint(f"<shape {np.shape(self.existing_s)}>")),
                              f": give one time per demand point ({n_d})")
        if self.capacity is not None and np.shape(self.capacity) != (n_c,):
            raise SitingError(Arg("SitingProblem", "capacity",
                                  Hint(f"<shape {np.shape(self.capacity)}>")),
                              f": give one value per candidate ({n_c})")
        if self.shared is not None and (self.shared.cover.shape != (n_c, n_d)
                                        or self.shared.threshold_s != self.threshold_s):
            raise SitingError(Arg("SitingProblem", "shared", Hint("<Coverage>")),
                              ": was made for another matrix or threshold: make it with "
                              "coverage(reach, threshold_s) of this problem")

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites (rows of ``reach``)."""
        return int(self.reach.shape[0])

    @property
    def total(self) -> float:
        """Total demand weight (population) of all demand points."""
        return float(np.sum(self.weights))

    @property
    def base_covered(self) -> npt.NDArray[np.bool_]:
        """Demand points already within the threshold of an existing facility."""
        if self.existing_s is None:
            return np.zeros(self.reach.shape[1], dtype=bool)
        return np.asarray(self.existing_s) <= self.threshold_s

    @property
    def cover(self) -> sp.csr_matrix:
        """Binary candidate × demand matrix of pairs within the threshold."""
        if self.shared is not None:
            return self.shared.cover
        if not self._cover:
            self._cover.append(_binary_cover(self.reach, self.threshold_s))
        return self._cover[0]


@dataclass
class SitingResult:
    """A solved siting model.

    Attributes
    ----------
    model : str
        ``mclp``, ``lscp`` or ``pmedian``.
    chosen : (k,) int array
        Chosen candidate indices, ranked by the population each newly brings within
        the threshold, given the existing facilities and the sites ranked before it.
    newly_covered : (k,) float array
        That population, per ranked site.
    objective : float
        MCLP: newly covered population; LSCP: number of new sites; p-median:
        population-weighted seconds (existing facilities and penalties included).
    bound : float
        Best bound on the objective (upper for MCLP, lower for LSCP and p-median).
    gap : float
        ``|bound - objective| / max(|objective|, 1e-9)``; 0 when proved optimal.
    status : str
        ``optimal``, ``time limit`` or ``heuristic``.
    method : str
        How it was solved and bounded, in words.
    base_covered : float
        Population within the threshold of existing facilities.
    total : float
        Total population.
    seconds : float
        Solve time.
    notes : list of str
        Assumptions (penalties, fewer sites than asked, ...).
    """

    model: str
    chosen: IntArray
    newly_covered: FloatArray
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    base_covered: float
    total: float
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def covered_share(self) -> FloatArray:
        """Cumulative covered share after each ranked site (existing included)."""
        if self.total <= 0:
            return np.full(len(self.chosen), np.nan)
        return (self.base_covered + np.cumsum(self.newly_covered)) / self.total


def _gap(obj: float, bound: float) -> float:
    return abs(bound - obj) / max(abs(obj), 1e-9)


def rank_sites(problem: SitingProblem, chosen: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
    """Order chosen sites greedily by the population each newly covers.

    Returns the ordered indices and each one's newly covered population (given the
    existing facilities and the sites before it).
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    cover = problem.cover[chosen]
    covered = problem.base_covered.copy()
    w = np.asarray(problem.weights, dtype=float)
    order: list[int] = []
    gains: list[float] = []
    left = list(range(len(chosen)))
    while left:
        best, best_gain = left[0], -1.0
        for k in left:
            idx = cover.indices[cover.indptr[k]:cover.indptr[k + 1]]
            g = float(w[idx][~covered[idx]].sum())
            if g > best_gain + 1e-9:
                best, best_gain = k, g
        left.remove(best)
        idx = cover.indices[cover.indptr[best]:cover.indptr[best + 1]]
        covered[idx] = True
        order.append(int(chosen[best]))
        gains.append(best_gain)
    return np.asarray(order, dtype=np.int64), np.asarray(gains, dtype=float)


def _check_p(problem: SitingProblem, p: int, func: str) -> None:
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1:
        raise SitingError(Arg(func, "p", p), ": give the number of new sites, a whole "
                          "number of 1 or more")
    _check_problem(problem, func)


def _check_problem(problem: object, func: str) -> None:
    if not isinstance(problem, SitingProblem):
        raise SitingError(Arg(func, "problem", Hint(type(problem).__name__)), ": give a "
                          "SitingProblem")
    if problem.n_candidates == 0:
        raise SitingError(Arg(func, "problem"), ": has no candidate sites: widen the "
                          "candidate filters or give a file")


def _check_method(method: str, func: str) -> None:
    if method not in METHODS:
        raise SitingError(Arg(func, "method", method), f": use {' or '.join(map(repr, METHODS))}")


@dataclass(frozen=True)
class _Reduced:
    """Uncovered, coverable demand grouped by identical candidate sets."""

    cover: sp.csr_matrix  # candidates × groups (binary)
    weights: FloatArray   # population per group
    base: float           # population already covered by existing facilities
    coverable: float      # population some candidate could newly cover


def _group(cover: sp.csc_matrix, w: FloatArray) -> tuple[sp.csr_matrix, FloatArray]:
    """Merge demand columns with identical candidate sets, adding their weights."""
    cover = sp.csc_matrix(cover)
    cover.sort_indices()
    groups: dict[bytes, int] = {}
    n = cover.shape[1]
    label = np.empty(n, dtype=np.int64)
    ind, ptr = cover.indices, cover.indptr
    for k in range(n):
        label[k] = groups.setdefault(ind[ptr[k]:ptr[k + 1]].tobytes(), len(groups))
    first = np.full(len(groups), -1, dtype=np.int64)
    first[label[::-1]] = np.arange(n)[::-1]
    gw = np.bincount(label, weights=w, minlength=len(groups)).astype(float)
    grouped = cover[:, first].tocsr() if len(groups) else sp.csr_matrix((cover.shape[0], 0))
    return grouped, gw


def _regroup(shared: Coverage, mask: npt.NDArray[np.bool_],
             w: FloatArray) -> tuple[sp.csr_matrix, FloatArray]:
    """Return :func:`_group` of the points in ``mask``, from groups made once.

    The same matrix and weights as grouping those points afresh: a group is kept where
    one of its points is, groups come in the order of their first kept point, and each
    group's weight is the sum over its kept points.
    """
    keep = np.flatnonzero(mask & (shared.label >= 0))
    lab = shared.label[keep]
    n_g = shared.groups.shape[1]
    first = np.full(n_g, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, lab, keep)
    used = np.flatnonzero(first < np.iinfo(np.int64).max)
    used = used[np.argsort(first[used], kind="stable")]
    gw = np.bincount(lab, weights=w[keep], minlength=n_g)[used].astype(float)
    grouped = shared.groups[:, used].tocsr()
    grouped.sort_indices()
    return grouped, gw


def _reduce(problem: SitingProblem) -> _Reduced:
    base_mask = problem.base_covered
    w = np.asarray(problem.weights, dtype=float)
    base = float(w[base_mask].sum())
    if problem.shared is not None:
        grouped, gw = _regroup(problem.shared, ~base_mask & (w > 0), w)
        log.info("coverage structure (shared): %d groups of identical candidate sets",
                 len(gw))
        return _Reduced(grouped, gw, base, float(gw.sum()))
    cover = problem.cover.tocsc()
    keep = np.flatnonzero(~base_mask & (w > 0) & (np.diff(cover.indptr) > 0))
    grouped, gw = _group(cover[:, keep], w[keep])
    log.info("coverage structure: %d demand points to cover in %d groups of identical "
             "candidate sets", len(keep), len(gw))
    return _Reduced(grouped, gw, base, float(gw.sum()))


# --------------------------------------------------------------------------- MCLP


def mclp(
    problem: SitingProblem,
    p: int,
    *,
    method: str = "exact",
    time_limit_s: float = settings.SOLVER_TIME_LIMIT_S,
    threads: int | None = None,
) -> SitingResult:
    """Solve maximal covering: ``p`` new sites maximising the newly covered population.

    Parameters
    ----------
    problem : SitingProblem
    p : int
        New sites to open (fewer are returned, with a note, when fewer already cover
        every coverable demand point).
    method : {"exact", "heuristic"}
        ``exact``: a MILP solved by HiGHS; ``heuristic``: lazy greedy + 1-swap with a
        Lagrangian bound (for instances too big for a MILP). With a ``capacity``
        only ``exact`` is available.
    time_limit_s : float
        HiGHS time limit; on reaching it the best solution found and its gap are given.
    threads : int, optional
        HiGHS threads.

    Examples
    --------
    Three candidates and four villages (100, 50, 80 and 30 people); the seconds between
    each candidate and the villages it reaches within 10 minutes:

    >>> import numpy as np, scipy.sparse as sp, geo
    >>> reach = sp.csr_matrix((np.array([300.0, 200, 500, 400, 100]),
    ...                        (np.array([0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 3]))),
    ...                       shape=(3, 4))
    >>> problem = geo.SitingProblem(reach, np.array([100.0, 50, 80, 30]), threshold_s=600)
    >>> result = geo.mclp(problem, 1)  # candidate 1 reaches 50 + 80 people, the most
    >>> result.chosen.tolist(), result.newly_covered.tolist()
    ([1], [130.0])
    """
    _check_p(problem, p, "mclp")
    _check_method(method, "mclp")
    t0 = time.perf_counter()
    red = _reduce(problem)
    if method == "heuristic":
        if problem.capacity is not None:
            raise SitingError(Arg("mclp", "method", method), ": the heuristic ignores "
                              "capacities: use method='exact'")
        from geo.siting._greedy import greedy_swap

        chosen, obj, bound, how = greedy_swap(red.cover, red.weights, p, time_limit_s)
        status = "heuristic"
    else:  # exact
        if problem.capacity is not None:
            return _capacitated_result(problem, red, p, time_limit_s, threads, t0)
        chosen, obj, bound, status = _mclp_exact(red, p, time_limit_s, threads)
        how = "exact: greedy + swap incumbent, Lagrangian fixing, HiGHS MILP on the rest"
    return _finish("mclp", problem, red, chosen, obj, bound, status, how, t0, p)


def _capacitated_result(problem: SitingProblem, red: _Reduced, p: int, limit: float,
                        threads: int | None, t0: float) -> SitingResult:
    """Return sites ranked by the population each serves within its capacity."""
    chosen, served, obj, bound, status = _mclp_capacitated(problem, red, p, limit, threads)
    order = np.argsort(-served, kind="stable")
    res = SitingResult("mclp", chosen[order], served[order], obj, bound, _gap(obj, bound),
                       status, "HiGHS MILP (capacitated: demand split across sites within "
                       "capacity)", red.base, problem.total, time.perf_counter() - t0)
    res.notes.append("newly covered population = people served within each site's capacity")
    return res


def _finish(
    model: str, problem: SitingProblem, red: _Reduced, chosen: IntArray, obj: float,
    bound: float, status: str, how: str, t0: float, p: int | None,
) -> SitingResult:
    order, gains = rank_sites(problem, chosen)
    if model == "mclp" and problem.capacity is None:
        # a site the solver opened "for free" (sum y <= p) that covers nobody new
        order, gains = order[gains > 0], gains[gains > 0]
    notes = []
    if p is not None and len(order) < p:
        notes.append(f"only {len(order)} of the {p} new sites asked for add coverage: "
                     "the rest would cover nobody new")
    if model == "mclp" and problem.capacity is None:
        obj = float(gains.sum())  # the same number, free of solver tolerances
    return SitingResult(model, order, gains, obj, bound, _gap(obj, bound), status, how,
                        red.base, problem.total, time.perf_counter() - t0, notes)


def _mclp_exact(red: _Reduced, p: int, limit: float,
                threads: int | None) -> tuple[IntArray, float, float, str]:
    """Solve by greedy + swap incumbent, Lagrangian fixing of candidates, then HiGHS on the rest."""
    from geo.siting._greedy import lagrangian_bound, lagrangian_keep, lazy_greedy, one_swap

    n_c, n_g = red.cover.shape
    if n_g == 0:
        return np.zeros(0, dtype=np.int64), 0.0, 0.0, "optimal"
    t0 = time.perf_counter()
    cover, w = red.cover, red.weights
    y0 = one_swap(cover, w, lazy_greedy(cover, w, p), t0 + limit / 10)
    value = float(w[np.unique(cover[y0].indices)].sum()) if y0 else 0.0
    bound, lam = lagrangian_bound(cover, w, p, y0, value, t0 + limit / 10, iterations=500)
    if bound - value <= 1e-9 * max(value, 1.0):  # the heuristic is proved optimal
        return np.asarray(sorted(y0), dtype=np.int64), value, bound, "optimal"
    keep = lagrangian_keep(cover, p, lam, bound, value)
    keep[y0] = True
    cand = np.flatnonzero(keep)
    sub = cover[cand].tocsc()
    hit = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub, gw = _group(sub[:, hit], w[hit])  # fewer candidates: more identical sets
    log.info("MCLP: Lagrangian fixing keeps %d of %d candidates, %d of %d groups",
             len(cand), n_c, len(gw), n_g)
    k, m = sub.shape
    # columns: y (kept candidates, binary) then z (groups, [0, 1]);
    # rows: z_g - sum y <= 0, sum y <= p
    a = sp.vstack([
        sp.hstack([-sub.T, sp.identity(m, format="csr")]),
        sp.hstack([sp.csr_matrix(np.ones((1, k))), sp.csr_matrix((1, m))]),
    ])
    x0 = np.zeros(k + m)
    x0[np.searchsorted(cand, y0)] = 1.0
    x0[k + np.unique(sub[np.searchsorted(cand, y0)].indices)] = 1.0
    sol = _milp.solve(
        cost=np.concatenate([np.zeros(k), gw]), a=a,
        row_lo=np.full(m + 1, -np.inf), row_hi=np.concatenate([np.zeros(m), [p]]),
        col_hi=np.ones(k + m), integer=k, maximize=True,
        time_limit_s=max(limit - (time.perf_counter() - t0), 1.0), threads=threads, start=x0,
    )
    chosen = cand[sol.x[:k] > 0.5]
    # the MILP's bound holds for the kept candidates, and dropped ones cannot beat
    # `value`: max(HiGHS, value) bounds the whole problem, as the Lagrangian bound does
    best = _milp.best_bound(sol.objective, [max(sol.bound, value), bound], maximize=True)
    return chosen, sol.objective, best, sol.status


def _mclp_capacitated(problem: SitingProblem, red: _Reduced, p: int, limit: float,
                      threads: int | None) -> tuple[IntArray, FloatArray, float, float, str]:
    """Solve the capacitated maximal covering, with x_gj the share of group g served by j.

    The constraints are x_gj <= y_j; sum_j x_gj <= 1; sum_g w_g x_gj <= cap_j y_j.
    """
    cap = np.asarray(problem.capacity, dtype=float)
    c = red.cover.tocoo()
    n_c, n_g, n_x = red.cover.shape[0], red.cover.shape[1], c.nnz
    xs = np.arange(n_x)
    rows_g = sp.csr_matrix((np.ones(n_x), (c.col, xs)), shape=(n_g, n_x))
    rows_cap = sp.csr_matrix((red.weights[c.col], (c.row, xs)), shape=(n_c, n_x))
    a = sp.vstack([
        sp.hstack([sp.csr_matrix((n_g, n_c)), rows_g]),
        sp.hstack([-sp.diags(cap), rows_cap]),
        sp.hstack([sp.csr_matrix(np.ones((1, n_c))), sp.csr_matrix((1, n_x))]),
    ])
    sol = _milp.solve(
        cost=np.concatenate([np.zeros(n_c), red.weights[c.col]]), a=a,
        row_lo=np.full(n_g + n_c + 1, -np.inf),
        row_hi=np.concatenate([np.ones(n_g), np.zeros(n_c), [p]]),
        col_hi=np.ones(n_c + n_x), integer=n_c, maximize=True, time_limit_s=limit,
        threads=threads,
    )
    served = np.bincount(c.row, weights=red.weights[c.col] * sol.x[n_c:],
                         minlength=n_c).astype(float)
    chosen = np.flatnonzero(sol.x[:n_c] > 0.5)
    # nobody beyond the coverable population can be served: a bound when HiGHS has none
    best = _milp.best_bound(sol.objective, [sol.bound, red.coverable], maximize=True)
    return chosen, served[chosen], sol.objective, best, sol.status


# --------------------------------------------------------------------------- LSCP


def lscp(
    problem: SitingProblem,
    target_share: float = 1.0,
    *,
    time_limit_s: float = settings.SOLVER_TIME_LIMIT_S,
    threads: int | None = None,
) -> SitingResult:
    """Set covering: the fewest new sites bringing the covered share to ``target_share``.

    Demand already within the threshold of an existing facility counts as covered.

    Raises
    ------
    SitingError
        When even every candidate together cannot reach the target; the message gives
        the best achievable share.

    Examples
    --------
    Three candidates and four villages (100, 50, 80 and 30 people); the seconds between
    each candidate and the villages it reaches within 10 minutes:

    >>> import numpy as np, scipy.sparse as sp, geo
    >>> reach = sp.csr_matrix((np.array([300.0, 200, 500, 400, 100]),
    ...                        (np.array([0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 3]))),
    ...                       shape=(3, 4))
    >>> problem = geo.SitingProblem(reach, np.array([100.0, 50, 80, 30]), threshold_s=600)
    >>> geo.lscp(problem, 0.6).chosen.tolist()  # 156 people: no single site has them
    [1, 0]
    >>> geo.lscp(problem).chosen.size  # everyone: villages 0, 1 and 3 each have one site
    3
    """
    if not 0 < target_share <= 1:
        raise SitingError(Arg("lscp", "target_share", target_share), ": give a share above 0 "
                          "and at most 1 (0.95 for 95 %)")
    _check_problem(problem, "lscp")
    t0 = time.perf_counter()
    red = _reduce(problem)
    total = problem.total
    need = target_share * total - red.base
    best = (red.base + red.coverable) / total if total > 0 else 1.0
    if need > red.coverable * (1 + 1e-9) + 1e-9:
        raise SitingError(
            f"no set of candidates reaches {target_share:.1%} coverage: with all "
            f"{problem.n_candidates} candidates opened the best achievable share is "
            f"{best:.2%}. Lower the target, add candidates (a finer grid, a user file) or "
            "lengthen the threshold"
        )
    if need <= 1e-9:
        return _finish("lscp", problem, red, np.zeros(0, dtype=np.int64), 0.0, 0.0,
                       "optimal", "existing facilities already reach the target", t0, None)
    n_c, n_g = red.cover.shape
    full = need >= red.coverable * (1 - 1e-12)
    y0 = _greedy_cover(red, need)
    x0 = np.zeros(n_c if full else n_c + n_g)
    x0[y0] = 1.0
    if full:  # classic set covering: every group covered by a chosen site
        rows = red.cover.T.tocsr()[_undominated(red.cover)]
        sol = _milp.solve(
            cost=np.ones(n_c), a=rows, row_lo=np.ones(rows.shape[0]),
            row_hi=np.full(rows.shape[0], np.inf), col_hi=np.ones(n_c), integer=n_c,
            maximize=False, time_limit_s=time_limit_s, threads=threads, start=x0,
        )
    else:  # partial: z_g <= sum of y over g's candidates, sum w z >= need
        x0[n_c + np.unique(red.cover[y0].indices)] = 1.0
        a = sp.vstack([
            sp.hstack([-red.cover.T, sp.identity(n_g, format="csr")]),
            sp.hstack([sp.csr_matrix((1, n_c)), sp.csr_matrix(red.weights[None, :])]),
        ])
        sol = _milp.solve(
            cost=np.concatenate([np.ones(n_c), np.zeros(n_g)]), a=a,
            row_lo=np.concatenate([np.full(n_g, -np.inf), [need]]),
            row_hi=np.concatenate([np.zeros(n_g), [np.inf]]),
            col_hi=np.ones(n_c + n_g), integer=n_c, maximize=False,
            time_limit_s=time_limit_s, threads=threads, start=x0,
        )
    chosen = np.flatnonzero(sol.x[:n_c] > 0.5)
    # a count of sites: HiGHS's bound rounded up, and at least one site is needed here
    hi = np.ceil(sol.bound - 1e-6) if np.isfinite(sol.bound) else -np.inf
    best = _milp.best_bound(float(len(chosen)), [max(hi, 1.0)], maximize=False)
    return _finish("lscp", problem, red, chosen, float(len(chosen)), best, sol.status,
                   "HiGHS MILP", t0, None)


#: most groups whose pairwise overlaps ``_undominated`` counts in a dense matrix
DENSE_GROUPS = 4000


def _undominated(cover: sp.csr_matrix, max_work: float = 2e9,
                 dense: bool | None = None) -> IntArray:
    """Find the groups whose covering constraint is not implied by another's.

    If every candidate covering group ``h`` also covers ``g``, covering ``h`` covers
    ``g``: the row of ``g`` can go (row dominance, exact for full covering). Skipped
    when the pairwise overlap product would be too big (``max_work`` multiply-adds).
    The overlaps are counted by a dense product (BLAS) where the groups are few and
    their candidate sets large (``dense=None``: chosen so), a sparse one otherwise: the
    same counts (whole numbers, exact in float32).
    """
    per_cand = np.diff(cover.indptr).astype(float)
    n_c, n_g = cover.shape
    if float((per_cand**2).sum()) > max_work:
        return np.arange(n_g)
    if dense is None:
        dense = n_g <= DENSE_GROUPS and cover.nnz >= 0.02 * n_c * n_g
    if dense:
        d = cover.T.toarray().astype(np.float32)  # groups x candidates
        size = d.sum(axis=1)
        ov = d @ d.T
        implied = (ov == size[None, :]) & (size[:, None] > size[None, :])
        dropped = np.flatnonzero(implied.any(axis=1))
    else:
        g = cover.T.tocsr().astype(np.float32)
        size = np.diff(g.indptr)
        ov = (g @ g.T).tocoo()
        implied = ((ov.row != ov.col) & (ov.data == size[ov.col])
                   & (size[ov.row] > size[ov.col]))
        dropped = ov.row[implied]
    keep = np.setdiff1d(np.arange(n_g), dropped)
    log.info("LSCP: %d of %d covering rows implied by others", n_g - len(keep), n_g)
    return keep


def _greedy_cover(red: _Reduced, need: float) -> list[int]:
    """Cover greedily until ``need`` people are covered (a start for the MILP)."""
    from geo.siting._greedy import lazy_greedy

    chosen: list[int] = []
    covered = np.zeros(red.cover.shape[1], dtype=bool)
    while float(red.weights[covered].sum()) < need * (1 - 1e-12):
        left = np.where(covered, 0.0, red.weights)
        step = lazy_greedy(red.cover, left, 1)
        if not step:
            break
        chosen += step
        covered[red.cover[step].indices] = True
    return chosen


# --------------------------------------------------------------------------- p-median


def _pairs(problem: SitingProblem, penalty_s: float) -> _pm.Pairs:
    w = np.asarray(problem.weights, dtype=float)
    fall = np.full(len(w), float(penalty_s))
    if problem.existing_s is not None:
        fall = np.minimum(fall, np.asarray(problem.existing_s, dtype=float))
    r = sp.csr_matrix(problem.reach)  # no copy when it is one: pairs come sorted by site
    useful = np.where(w > 0, fall, -np.inf)  # only pairs that beat the fallback
    keep = r.data < useful[r.indices]
    n_c = problem.n_candidates
    per_site = np.zeros(n_c, dtype=np.int64)
    rows = np.flatnonzero(np.diff(r.indptr) > 0)  # reduceat over the rows holding pairs
    if len(rows):
        per_site[rows] = np.add.reduceat(keep, r.indptr[rows], dtype=np.int64)
    dem = r.indices[keep].astype(np.int64)
    return _pm.Pairs(np.repeat(np.arange(n_c, dtype=np.int64), per_site), dem,
                     w[dem] * r.data[keep], w * fall, n_c)


def pmedian(
    problem: SitingProblem,
    p: int,
    *,
    penalty_s: float,
    method: str = "exact",
    time_limit_s: float = settings.SOLVER_TIME_LIMIT_S,
    threads: int | None = None,
) -> SitingResult:
    """Solve the p-median: ``p`` new sites minimising population-weighted seconds.

    Each demand point is served by its nearest open site, existing or new. Pairs not
    in ``problem.reach`` (beyond the cutoff it was built with), and demand points that
    no existing facility reaches, cost ``penalty_s`` seconds; ``existing_s`` larger
    than the penalty is capped at it. ``method``: ``exact`` (HiGHS MILP) or
    ``heuristic`` (greedy + swaps with a Lagrangian lower bound). Sites are ranked by
    the weighted time each saves.

    Examples
    --------
    Three candidates and four villages (100, 50, 80 and 30 people); the seconds between
    each candidate and the villages it reaches within 10 minutes:

    >>> import numpy as np, scipy.sparse as sp, geo
    >>> reach = sp.csr_matrix((np.array([300.0, 200, 500, 400, 100]),
    ...                        (np.array([0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 3]))),
    ...                       shape=(3, 4))
    >>> problem = geo.SitingProblem(reach, np.array([100.0, 50, 80, 30]), threshold_s=600)
    >>> # candidate 1: 50 x 200 s + 80 x 500 s, the rest at the 1,200 s penalty
    >>> result = geo.pmedian(problem, 1, penalty_s=1200)
    >>> result.chosen.tolist(), result.objective
    ([1], 206000.0)
    """
    _check_p(problem, p, "pmedian")
    _check_method(method, "pmedian")
    if not np.isfinite(penalty_s) or penalty_s < 0:
        raise SitingError(Arg("pmedian", "penalty_s", penalty_s), ": give a finite number of "
                          "seconds, 0 or more")
    t0 = time.perf_counter()
    pr = _pairs(problem, penalty_s)
    if method == "heuristic":
        # the time limit holds for the whole call, the pairs' making included
        left = max(time_limit_s - (time.perf_counter() - t0), 0.05 * time_limit_s)
        chosen, obj, bound, how = _pm.solve(pr, p, left)
        status = "optimal" if obj - bound <= 1e-9 * max(abs(obj), 1.0) else "heuristic"
    else:  # exact
        chosen, obj, bound, status = _pm.exact(pr, p, time_limit_s, threads)
        how = "exact: greedy + swap incumbent, Lagrangian fixing, HiGHS MILP on the rest"
    order = _pm.rank_by_saving(pr, chosen)
    covered = problem.base_covered.copy()
    gains = []
    for j in order:
        idx = problem.cover[[j]].indices
        gains.append(float(problem.weights[idx][~covered[idx]].sum()))
        covered[idx] = True
    notes = [f"pairs beyond the matrix cutoff and places no facility reaches count as "
             f"{penalty_s / 60:g} min (penalty)"]
    if len(order) < p:
        notes.append(f"only {len(order)} of the {p} new sites asked for shorten any trip")
    base = float(problem.weights[problem.base_covered].sum())
    return SitingResult("pmedian", order, np.asarray(gains), obj, bound, _gap(obj, bound),
                        status, how, base, problem.total, time.perf_counter() - t0, notes)
