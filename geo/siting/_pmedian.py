"""p-median for big instances: greedy, best-improvement swaps, Lagrangian lower bound.

Works on pairs ``(site j, demand i, weighted cost c_ij = w_i d_ij)`` kept only where
``d_ij`` beats the demand point's fallback ``f_i`` (nearest existing facility, capped at
the penalty), so every pass is one vectorised sweep over the pairs.

Lower bound: relaxing ``sum_j x_ij + u_i = 1`` with multipliers ``l_i`` gives
``L(l) = sum_i l_i + sum_i min(0, w_i f_i - l_i) + (sum of the p most negative
rho_j)``, ``rho_j = sum_{i} min(0, c_ij - l_i)``, a lower bound for every ``l``,
maximised by projected subgradient ascent from ``l_i = w_i * (heuristic cost of i)``.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geo._types import FloatArray, IntArray
from geo.siting import _milp

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Pairs:
    """Useful site-demand pairs and each demand point's fallback, all weighted."""

    site: IntArray
    dem: IntArray
    cost: FloatArray      # w_i * d_ij
    fall: FloatArray      # w_i * f_i per demand point
    n_sites: int
    # where each site's pairs start, when the pairs come sorted by site (as from a CSR
    # matrix): sums per site are then one np.add.reduceat, ten times a bincount's speed
    starts: IntArray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.site) and bool((np.diff(self.site) >= 0).all()):
            counts = np.bincount(self.site, minlength=self.n_sites)
            object.__setattr__(self, "starts", np.concatenate([[0], np.cumsum(counts)]))

    def per_site(self, values: FloatArray) -> FloatArray:
        """Return the sum of ``values`` (one per pair) for each site."""
        if self.starts is None:
            return np.bincount(self.site, weights=values, minlength=self.n_sites).astype(float)
        out = np.zeros(self.n_sites)
        has = np.flatnonzero(self.starts[1:] > self.starts[:-1])
        if len(has):
            out[has] = np.add.reduceat(values, self.starts[has])
        return out

    def of_sites(self, sites: IntArray) -> IntArray:
        """Return the indices of the pairs of ``sites``."""
        if self.starts is None:
            return np.flatnonzero(np.isin(self.site, sites))
        parts = [np.arange(self.starts[j], self.starts[j + 1]) for j in sites]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def value(self, chosen: IntArray) -> FloatArray:
        """Return per demand point, the weighted cost with ``chosen`` open."""
        cur = self.fall.copy()
        m = self.of_sites(np.asarray(chosen, dtype=np.int64))
        np.minimum.at(cur, self.dem[m], self.cost[m])
        return cur


def _savings(pr: Pairs, cur: FloatArray) -> FloatArray:
    gain = np.take(cur, pr.dem)
    np.subtract(gain, pr.cost, out=gain)
    np.maximum(gain, 0.0, out=gain)
    return pr.per_site(gain)


def greedy(pr: Pairs, p: int) -> list[int]:
    """Open, p times, the site that saves most given those already open."""
    cur = pr.fall.copy()
    chosen: list[int] = []
    for _ in range(p):
        s = _savings(pr, cur)
        s[chosen] = -1.0
        j = int(np.argmax(s))
        if s[j] <= 0:
            break
        chosen.append(j)
        m = pr.of_sites(np.asarray([j]))
        np.minimum.at(cur, pr.dem[m], pr.cost[m])
    return chosen


def _without(pr: Pairs, chosen: list[int], k: int) -> FloatArray:
    return pr.value(np.asarray(chosen[:k] + chosen[k + 1:], dtype=np.int64))


def swap(pr: Pairs, chosen: list[int], deadline: float) -> list[int]:
    """Run best-improvement swaps (Teitz-Bart): one sweep over the pairs per open site."""
    chosen = list(chosen)
    total = float(pr.value(np.asarray(chosen, dtype=np.int64)).sum())
    while chosen and time.perf_counter() < deadline:
        best, pick = total * (1 - 1e-12), None
        for k in range(len(chosen)):
            cur = _without(pr, chosen, k)
            s = _savings(pr, cur)
            s[chosen] = -np.inf
            j = int(np.argmax(s))
            if float(cur.sum()) - s[j] < best:
                best, pick = float(cur.sum()) - s[j], (k, j)
        if pick is None:
            break
        chosen[pick[0]] = pick[1]
        total = best
    return chosen


def lower_bound(pr: Pairs, p: int, start: FloatArray, iterations: int = 300,
                deadline: float | None = None) -> tuple[float, FloatArray]:
    """Return the Lagrangian lower bound on the optimum (see module docs).

    ``start``: per demand point the weighted cost of a feasible solution; its sum is
    the upper bound that steers the step sizes. ``deadline`` (``time.perf_counter()``):
    stop there (every iterate's value is a valid bound; later ones are only tighter).
    Returns the bound and the multipliers that give it.
    """
    lam = start.copy()
    upper = float(start.sum())
    best, best_lam, theta, stale = -np.inf, lam, 1.0, 0
    red = np.empty(len(pr.cost))
    for _ in range(iterations):
        if deadline is not None and np.isfinite(best) and time.perf_counter() > deadline:
            break
        np.take(lam, pr.dem, out=red)  # red = min(0, cost - lam[dem]), in place
        np.subtract(pr.cost, red, out=red)
        np.minimum(red, 0.0, out=red)
        rho = pr.per_site(red)
        top = np.argsort(rho)[:p]
        top = top[rho[top] < 0]
        val = float(lam.sum() + np.minimum(0.0, pr.fall - lam).sum() + rho[top].sum())
        if not np.isfinite(best) or val > best + 1e-12 * max(abs(best), 1.0):
            best, best_lam, stale = val, lam, 0
        else:
            stale += 1
            if stale >= 10:
                theta, stale = theta / 2, 0
        if upper - best <= 1e-9 * max(upper, 1.0) or theta < 1e-4:
            break
        of_top = pr.of_sites(top)  # the pairs of the open sites that beat lam
        used = of_top[pr.cost[of_top] < lam[pr.dem[of_top]]]
        g = 1.0 - (lam > pr.fall) - np.bincount(pr.dem[used], minlength=len(lam))
        norm = float(g @ g)
        if norm == 0:
            break
        lam = np.maximum(lam + theta * (upper - val) / norm * g, 0.0)
    return min(best, upper), best_lam


def keep_sites(pr: Pairs, p: int, lam: FloatArray, bound: float,
               upper: float) -> npt.NDArray[np.bool_]:
    """Return sites that can be in a solution cheaper than ``upper`` (Lagrangian fixing).

    Forcing a site ``j`` outside the p most negative ``rho`` into the relaxation raises
    its value to ``L - rho_(p) + rho_j``; above ``upper`` no such solution improves on
    the one at hand, so ``j`` can be dropped without losing an optimum.
    """
    rho = pr.per_site(np.minimum(0.0, pr.cost - lam[pr.dem]))
    if pr.n_sites <= p:
        return np.ones(pr.n_sites, dtype=bool)
    kth = float(np.partition(rho, p - 1)[p - 1])
    return rho <= kth + (upper - bound) + 1e-9 * max(abs(upper), 1.0)


#: most site sets :func:`enumerate_best` tries (about 0.1 s per 1,000 on a county)
ENUMERATE_MAX = 3000


def solve(pr: Pairs, p: int, time_limit_s: float) -> tuple[IntArray, float, float, str]:
    """Run greedy, swaps within the time limit, and the Lagrangian bound; prove it if it can.

    The bound's subgradient steps run until most of the time limit: the bound is valid
    whenever they stop. One site (``p = 1``): greedy tries every site, the answer is
    optimal. Then, where the bound leaves few sites that could beat the answer
    (:func:`keep_sites`), every set of ``p`` of them is tried (:func:`enumerate_best`):
    the best is optimal and the bound equals it.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    chosen = swap(pr, greedy(pr, p), deadline)
    cur = pr.value(np.asarray(chosen, dtype=np.int64))
    value = float(cur.sum())
    how = ("greedy + best-improvement swaps; bound: Lagrangian relaxation of the "
           "assignment constraints (subgradient)")
    if p == 1:  # greedy's one step compared every site
        return np.asarray(chosen, dtype=np.int64), value, value, \
            "one site: greedy compared every candidate"
    bound, lam = lower_bound(pr, p, cur, deadline=t0 + 0.85 * time_limit_s)
    if value - bound > 1e-9 * max(abs(value), 1.0):
        keep = keep_sites(pr, p, lam, bound, value)
        keep[chosen] = True
        better = enumerate_best(pr, p, np.flatnonzero(keep), deadline)
        if better is not None:
            if better[1] < value - 1e-12 * max(abs(value), 1.0):  # ties keep the swaps'
                chosen, value = list(better[0]), better[1]
            bound = min(better[1], value)
            how += (f"; only {int(keep.sum())} sites could beat the swaps' answer "
                    "(Lagrangian fixing): every set of them tried")
    return np.asarray(sorted(chosen), dtype=np.int64), value, bound, how


def enumerate_best(pr: Pairs, p: int, sites: IntArray,
                   deadline: float) -> tuple[IntArray, float] | None:
    """Return the cheapest set of ``p`` of ``sites`` and its cost, trying every one.

    ``None`` when there are more than :data:`ENUMERATE_MAX` sets or the deadline
    passes first. Fewer than ``p`` sites: all of them (opening a site never costs).
    """
    from math import comb

    m = len(sites)
    if comb(m, min(p, m)) > ENUMERATE_MAX:
        return None
    if m == 0:
        return np.zeros(0, dtype=np.int64), float(pr.fall.sum())
    idx = pr.of_sites(sites)
    dem, inv = np.unique(pr.dem[idx], return_inverse=True)
    pos = np.full(pr.n_sites, -1, dtype=np.int64)
    pos[sites] = np.arange(m)
    cost = np.tile(pr.fall[dem], (m, 1))  # sites x their demand points: cost or fallback
    cost[pos[pr.site[idx]], inv] = np.minimum(pr.cost[idx], pr.fall[pr.dem[idx]])
    rest = float(pr.fall.sum() - pr.fall[dem].sum())
    sets = np.asarray(list(itertools.combinations(range(m), min(p, m))), dtype=np.int64)
    batch = max(1, 4_000_000 // max(1, min(p, m) * len(dem)))
    best, best_set = np.inf, sets[0]
    for b in range(0, len(sets), batch):
        if time.perf_counter() > deadline:
            return None
        part = sets[b:b + batch]
        vals = cost[part].min(axis=1).sum(axis=1)
        k = int(np.argmin(vals))
        if vals[k] < best:
            best, best_set = float(vals[k]), part[k]
    return sites[best_set], rest + best


def rank_by_saving(pr: Pairs, chosen: IntArray) -> IntArray:
    """Return chosen sites ordered greedily by weighted time saved."""
    cur = pr.fall.copy()
    left = list(map(int, chosen))
    order: list[int] = []
    while left:
        s = _savings(pr, cur)
        j = max(left, key=lambda x: s[x])
        order.append(j)
        left.remove(j)
        m = pr.of_sites(np.asarray([j]))
        np.minimum.at(cur, pr.dem[m], pr.cost[m])
    return np.asarray(order, dtype=np.int64)


def exact(pr: Pairs, p: int, limit: float,
                   threads: int | None) -> tuple[IntArray, float, float, str]:
    """Solve by greedy + swap incumbent, Lagrangian fixing of sites, then HiGHS on the rest."""
    t0 = time.perf_counter()
    y0 = swap(pr, greedy(pr, p), t0 + limit / 10)
    cur = pr.value(np.asarray(y0, dtype=np.int64))
    upper = float(cur.sum())
    bound, lam = lower_bound(pr, p, cur)
    if upper - bound <= 1e-9 * max(abs(upper), 1.0):
        return np.asarray(sorted(y0), dtype=np.int64), upper, bound, "optimal"
    keep = keep_sites(pr, p, lam, bound, upper)
    keep[y0] = True
    cand = np.flatnonzero(keep)
    new_id = np.full(pr.n_sites, -1, dtype=np.int64)
    new_id[cand] = np.arange(len(cand))
    m = keep[pr.site]
    log.info("p-median: Lagrangian fixing keeps %d of %d sites, %d of %d pairs", len(cand),
             pr.n_sites, int(m.sum()), len(pr.site))
    site, dem, cost = new_id[pr.site[m]], pr.dem[m], pr.cost[m]
    n_c, n_d, n_x = len(cand), len(pr.fall), len(site)
    xs = np.arange(n_x)
    # columns: y (n_c), x pairs (n_x), u fallback (n_d)
    assign = sp.hstack([sp.csr_matrix((n_d, n_c)),
                        sp.csr_matrix((np.ones(n_x), (dem, xs)), shape=(n_d, n_x)),
                        sp.identity(n_d, format="csr")])
    link = sp.hstack([sp.csr_matrix((-np.ones(n_x), (xs, site)), shape=(n_x, n_c)),
                      sp.identity(n_x, format="csr"), sp.csr_matrix((n_x, n_d))])
    card = sp.hstack([sp.csr_matrix(np.ones((1, n_c))), sp.csr_matrix((1, n_x + n_d))])
    sol = _milp.solve(
        cost=np.concatenate([np.zeros(n_c), cost, pr.fall]),
        a=sp.vstack([assign, link, card]),
        row_lo=np.concatenate([np.ones(n_d), np.full(n_x, -np.inf), [-np.inf]]),
        row_hi=np.concatenate([np.ones(n_d), np.zeros(n_x), [p]]),
        col_hi=np.ones(n_c + n_x + n_d), integer=n_c, maximize=False,
        time_limit_s=max(limit - (time.perf_counter() - t0), 1.0), threads=threads,
        start=_start(y0, new_id, site, dem, cost, pr.fall),
    )
    used = cand[np.flatnonzero(sol.x[:n_c] > 0.5)]
    # drop sites opened without serving anyone better than the fallback
    used = used[np.isin(used, cand[site[sol.x[n_c:n_c + n_x] > 0.5]])]
    # HiGHS's bound holds for the kept sites; a solution with a dropped site costs at
    # least `upper`, so min(HiGHS, upper) bounds the whole problem, as the Lagrangian
    # bound does: the larger of the two is reported (HiGHS stopped early may give 0)
    best = _milp.best_bound(sol.objective, [min(sol.bound, upper), bound], maximize=False)
    return used, sol.objective, best, sol.status


def _start(y0: list[int], new_id: IntArray, site: IntArray, dem: IntArray,
              cost: FloatArray, fall: FloatArray) -> FloatArray:
    """Return the heuristic's solution as MILP columns: each point to its cheapest open option."""
    n_c, n_x, n_d = int(new_id.max()) + 1, len(site), len(fall)
    x = np.zeros(n_c + n_x + n_d)
    x[new_id[y0]] = 1.0
    open_ = np.isin(site, new_id[y0])
    best = fall.copy()
    np.minimum.at(best, dem[open_], cost[open_])
    pick = np.flatnonzero(open_ & (cost <= best[dem]))
    pick = pick[np.unique(dem[pick], return_index=True)[1]]  # one pair per point
    x[n_c + pick] = 1.0
    served = np.zeros(n_d, dtype=bool)
    served[dem[pick]] = True
    x[n_c + n_x + np.flatnonzero(~served)] = 1.0
    return x
