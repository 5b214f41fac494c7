"""Siting models: tiny instances worked by hand, and PySAL spopt on identical inputs."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from spopt.locate import LSCP, MCLP, PMedian

from geo.errors import SitingError
from geo.siting.models import SitingProblem, lscp, mclp, pmedian

BIG = 1e9  # "not within" in spopt's dense cost matrices


def _problem(secs: np.ndarray, w: np.ndarray, threshold: float, cutoff: float | None = None,
             existing: np.ndarray | None = None, capacity: np.ndarray | None = None
             ) -> SitingProblem:
    """Sparse structure from a dense candidate x demand matrix (pairs within ``cutoff``)."""
    cutoff = threshold if cutoff is None else cutoff
    r, c = np.nonzero(secs <= cutoff)
    reach = sp.csr_matrix((secs[r, c], (r, c)), shape=secs.shape)
    return SitingProblem(reach, w.astype(float), threshold, existing, capacity)


# --------------------------------------------------------------------------- by hand

# 3 candidates x 6 demand points; 1 = within the threshold (seconds 100), 0 = not (900)
#            d0 d1 d2 d3 d4 d5
COVER = np.array([[1, 1, 1, 0, 0, 0],   # A covers 10 + 20 + 30 = 60
                  [0, 0, 1, 1, 1, 0],   # B covers 30 + 40 + 50 = 120
                  [0, 0, 0, 0, 1, 1]])  # C covers 50 + 60 = 110
W = np.array([10, 20, 30, 40, 50, 60])
SECS = np.where(COVER == 1, 100.0, 900.0)


def test_mclp_by_hand() -> None:
    prob = _problem(SECS, W, threshold=300)
    one = mclp(prob, 1)
    assert one.chosen.tolist() == [1] and one.objective == pytest.approx(120)
    # two sites: A + C = 60 + 110 = 170 beats B + C = 120 + 60 = 180? no: B + C covers
    # d2 d3 d4 d5 = 30+40+50+60 = 180, A + C covers 10+20+30+50+60 = 170, A + B = 150
    two = mclp(prob, 2)
    assert sorted(two.chosen.tolist()) == [1, 2] and two.objective == pytest.approx(180)
    assert two.status == "optimal" and two.gap == pytest.approx(0, abs=1e-9)
    # ranked: B first (+120), then C (+60: d5 only, d4 already covered)
    assert two.chosen.tolist() == [1, 2]
    np.testing.assert_allclose(two.newly_covered, [120, 60])
    np.testing.assert_allclose(two.covered_share, [120 / 210, 180 / 210])


def test_mclp_keeps_existing_fixed() -> None:
    # an existing facility already covers d4 and d5 (C's whole set): C adds nothing,
    # so the best pair is A + B: 10 + 20 + 30 + 40 = 100 newly covered
    existing = np.array([900, 900, 900, 900, 50, 50.0])
    prob = _problem(SECS, W, threshold=300, existing=existing)
    res = mclp(prob, 2)
    assert sorted(res.chosen.tolist()) == [0, 1]
    assert res.objective == pytest.approx(100) and res.base_covered == pytest.approx(110)
    # three asked, but the third covers nobody new
    three = mclp(prob, 3)
    assert len(three.chosen) == 2 and "only 2 of the 3" in three.notes[0]


def test_capacitated_mclp_by_hand() -> None:
    # B can serve only 50 people: B + C then covers 50 (of d2..d4) + C's 110 = 160,
    # and A + C = 60 + 110 = 170 wins
    prob = _problem(SECS, W, threshold=300, capacity=np.array([1000, 50, 1000.0]))
    res = mclp(prob, 2)
    assert sorted(res.chosen.tolist()) == [0, 2]
    assert res.objective == pytest.approx(170)


def test_lscp_by_hand_and_infeasible() -> None:
    prob = _problem(SECS, W, threshold=300)
    full = lscp(prob, 1.0)  # A covers d0, d1; C covers d5; B or (A, C) cover d2..d4
    assert full.objective == 3 and sorted(full.chosen.tolist()) == [0, 1, 2]
    # 80 % of 210 = 168: B + C (180) does it with two
    part = lscp(prob, 0.8)
    assert part.objective == 2 and sorted(part.chosen.tolist()) == [1, 2]
    # d3 is out of everyone's reach: best achievable 170/210 = 80.95 %
    secs = SECS.copy()
    secs[:, 3] = 900.0
    with pytest.raises(SitingError, match=r"best achievable share is 80\.95%"):
        lscp(_problem(secs, W, threshold=300), 0.9)


def test_pmedian_by_hand() -> None:
    # 2 candidates x 3 demand points, seconds within the cutoff 600 (else penalty 600)
    secs = np.array([[0.0, 100.0, 700.0],
                     [500.0, 200.0, 100.0]])
    w = np.array([1.0, 2.0, 3.0])
    # one site: a costs 0 + 200 + 3*600 = 2000; b costs 500 + 400 + 300 = 1200
    res = pmedian(_problem(secs, w, threshold=300, cutoff=600), 1, penalty_s=600)
    assert res.chosen.tolist() == [1] and res.objective == pytest.approx(1200)
    # an existing facility 50 s from d2: a costs 0 + 200 + 150 = 350, b 500 + 400 + 150
    ex = np.array([1000.0, 1000.0, 50.0])
    res = pmedian(_problem(secs, w, threshold=300, cutoff=600, existing=ex), 1, penalty_s=600)
    assert res.chosen.tolist() == [0] and res.objective == pytest.approx(350)
    heur = pmedian(_problem(secs, w, threshold=300, cutoff=600, existing=ex), 1,
                   penalty_s=600, method="heuristic")
    assert heur.objective == pytest.approx(350) and heur.bound <= 350 + 1e-6


def test_bad_inputs_name_the_fix() -> None:
    with pytest.raises(SitingError, match=r"SitingProblem\(weights=<shape .*non-negative "
                       "populations"):
        _problem(SECS, -W, threshold=300)
    with pytest.raises(SitingError, match=r"mclp\(p=0\): .* 1 or more"):
        mclp(_problem(SECS, W, threshold=300), 0)


# --------------------------------------------------------------------------- heuristics


def test_swap_repairs_greedy() -> None:
    # greedy takes the big middle set M (7) first, then one side: 7 + 3 = 10;
    # the two sides L + R cover 4 + 4 + 3 = 11 (the classic greedy trap)
    #           0  1  2  3  4  5  6  7
    cover = np.array([[1, 1, 1, 1, 0, 0, 0, 0],   # L: 1+1+1+1 = 4 ... weights below
                      [0, 0, 0, 0, 1, 1, 1, 1],   # R
                      [0, 1, 1, 1, 1, 1, 1, 0]])  # M
    w = np.array([3, 1, 1, 0.5, 0.5, 1, 1, 3])
    secs = np.where(cover == 1, 10.0, 99.0)
    prob = _problem(secs, w, threshold=20)
    exact = mclp(prob, 2)
    heur = mclp(prob, 2, method="heuristic")
    assert exact.objective == pytest.approx(11)
    assert heur.objective == pytest.approx(11)
    assert heur.bound >= exact.objective - 1e-9


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_heuristic_bounds_bracket_the_optimum(seed: int) -> None:
    secs, w = _random(seed, 40, 400)
    prob = _problem(secs, w, threshold=250)
    exact = mclp(prob, 5)
    heur = mclp(prob, 5, method="heuristic")
    assert heur.objective <= exact.objective + 1e-6
    assert heur.bound >= exact.objective - 1e-6
    assert heur.gap == pytest.approx((heur.bound - heur.objective) / heur.objective)
    pm_exact = pmedian(_problem(secs, w, 250, cutoff=500), 4, penalty_s=500)
    pm_heur = pmedian(_problem(secs, w, 250, cutoff=500), 4, penalty_s=500, method="heuristic")
    assert pm_heur.objective >= pm_exact.objective - 1e-6
    assert pm_heur.bound <= pm_exact.objective + 1e-6


# --------------------------------------------------------------------------- spopt


def _random(seed: int, n_c: int, n_d: int) -> tuple[np.ndarray, np.ndarray]:
    """Seconds at 10 m/s between random points on a 10 km square, random populations."""
    rng = np.random.default_rng(seed)
    c, d = rng.uniform(0, 10_000, (n_c, 2)), rng.uniform(0, 10_000, (n_d, 2))
    secs = np.hypot(c[:, None, 0] - d[None, :, 0], c[:, None, 1] - d[None, :, 1]) / 10.0
    return secs, rng.integers(1, 100, n_d).astype(float)


def _cbc() -> pulp.LpSolver:
    return pulp.PULP_CBC_CMD(msg=False)


def _dense(prob: SitingProblem, within: float | None = None, fill: float = BIG) -> np.ndarray:
    """spopt's dense demand x candidate cost matrix from our sparse structure."""
    r = prob.reach.tocoo()
    keep = r.data <= (within if within is not None else np.inf)
    out = np.full(prob.reach.shape, fill)
    out[r.row[keep], r.col[keep]] = r.data[keep]
    return out.T


@pytest.mark.parametrize(("seed", "p", "minutes"), [(0, 3, 4), (1, 5, 3), (2, 8, 2.5)])
def test_mclp_matches_spopt(seed: int, p: int, minutes: float) -> None:
    secs, w = _random(seed, 30, 300)
    prob = _problem(secs, w, threshold=60 * minutes)
    ours = mclp(prob, p)
    theirs = MCLP.from_cost_matrix(_dense(prob), w, service_radius=60 * minutes,
                                   p_facilities=p).solve(_cbc())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_mclp_with_existing_matches_spopt_predefined(seed: int) -> None:
    # existing facilities = spopt's predefined facilities (forced open, counted in p)
    secs, w = _random(seed, 30, 300)
    fixed = np.array([0, 7])
    prob_all = _problem(secs, w, threshold=180)
    new = np.setdiff1d(np.arange(30), fixed)
    existing = secs[fixed].min(axis=0)
    prob = _problem(secs[new], w, threshold=180, existing=existing)
    ours = mclp(prob, 3)
    pre = np.zeros(30, dtype=int)
    pre[fixed] = 1
    theirs = MCLP.from_cost_matrix(_dense(prob_all), w, service_radius=180, p_facilities=5,
                                   predefined_facilities_arr=pre).solve(_cbc())
    assert ours.base_covered + ours.objective == pytest.approx(
        theirs.problem.objective.value(), rel=1e-6)


@pytest.mark.parametrize(("seed", "minutes"), [(0, 5), (1, 6), (2, 7)])
def test_lscp_matches_spopt(seed: int, minutes: float) -> None:
    secs, w = _random(seed, 40, 300)
    prob = _problem(secs, w, threshold=60 * minutes)
    assert (np.diff(prob.cover.tocsc().indptr) > 0).all()  # every point coverable
    ours = lscp(prob, 1.0)
    theirs = LSCP.from_cost_matrix(_dense(prob), service_radius=60 * minutes).solve(_cbc())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)


@pytest.mark.parametrize(("seed", "p"), [(0, 2), (1, 4), (2, 6)])
def test_pmedian_matches_spopt(seed: int, p: int) -> None:
    # pairs beyond the 10-minute cutoff cost the 10-minute penalty in both
    secs, w = _random(seed, 20, 150)
    prob = _problem(secs, w, threshold=300, cutoff=600)
    ours = pmedian(prob, p, penalty_s=600)
    theirs = PMedian.from_cost_matrix(_dense(prob, fill=600.0), w, p_facilities=p).solve(_cbc())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)


def test_brute_force_agrees_on_a_small_instance() -> None:
    secs, w = _random(9, 10, 200)
    prob = _problem(secs, w, threshold=200)
    cover = secs <= 200
    best = max(w[cover[list(s)].any(axis=0)].sum() for s in itertools.combinations(range(10), 3))
    assert mclp(prob, 3).objective == pytest.approx(best)


# --------------------------------------------------------------------------- bounds


def test_best_bound_takes_the_tightest_valid_one() -> None:
    from geo.siting._milp import best_bound

    # minimising: HiGHS stopped before its root LP (0 or -inf), the Lagrangian bound 95
    assert best_bound(100.0, [0.0, 95.0, -np.inf], maximize=False) == 95.0
    assert best_bound(100.0, [100.0 + 1e-7], maximize=False) == 100.0  # tolerance
    assert best_bound(100.0, [-np.inf, np.nan], maximize=False) == -np.inf
    # maximising: HiGHS without a bound (inf), the Lagrangian 110, a weaker 120
    assert best_bound(100.0, [np.inf, 120.0, 110.0], maximize=True) == 110.0
    assert best_bound(100.0, [np.inf], maximize=True) == np.inf


def test_time_limit_reports_the_best_bound_any_stage_proved() -> None:
    """Instances HiGHS does not finish in 1 s on this machine (it reported bound 0, gap
    100 %, for the p-median): the bound given is the best one computed, positive and
    on the right side of the optimum a longer solve proves."""
    secs, w = _random(3, 60, 600)
    prob = _problem(secs, w, threshold=300, cutoff=600)
    short = pmedian(prob, 8, penalty_s=600, time_limit_s=1)
    full = pmedian(prob, 8, penalty_s=600, time_limit_s=600)
    assert full.status == "optimal"
    assert 0 < short.bound <= full.objective * (1 + 1e-9)
    assert short.gap == pytest.approx((short.objective - short.bound) / short.objective)
    assert short.gap < 0.05 if short.status == "time limit" else short.gap < 1e-6
    secs, w = _random(5, 100, 2000)
    prob = _problem(secs, w, threshold=200)
    short, full = mclp(prob, 10, time_limit_s=1), mclp(prob, 10, time_limit_s=600)
    assert full.status == "optimal"
    assert full.objective * (1 - 1e-9) <= short.bound < np.inf
    assert short.gap == pytest.approx((short.bound - short.objective) / short.objective)


# --------------------------------------------------------------------------- equal optima


def _covered_by(problem: SitingProblem, sites: list[int]) -> float:
    """People within the threshold of the existing facilities or ``sites``, by hand."""
    cover = problem.cover.toarray()[sites].any(axis=0) | problem.base_covered
    return float(problem.weights[cover].sum())


def test_equal_swaps_against_enumeration() -> None:
    from geo.siting.alternatives import equal_swaps

    rng = np.random.default_rng(7)
    for _ in range(20):
        cover = rng.random((9, 14)) < 0.3
        w = rng.integers(0, 3, 14).astype(float)  # many ties
        existing = np.where(rng.random(14) < 0.2, 10.0, 1e9)
        prob = _problem(np.where(cover, 100.0, 900.0), w, 300.0, existing=existing)
        chosen = sorted(rng.choice(9, 3, replace=False).tolist())
        floor = _covered_by(prob, chosen) - 0.5
        want = [sum(_covered_by(prob, [s for s in chosen if s != j] + [c]) >= floor
                    for c in range(9) if c not in chosen) for j in chosen]
        assert equal_swaps(prob, chosen, floor).tolist() == want


def test_equal_swaps_by_hand() -> None:
    from geo.siting.alternatives import equal_swaps

    # the hand instance above: B and C chosen cover 30+40+50+60 = 180; swapping C for A
    # covers 10+20+30+40+50 = 150, B for A 10+20+30+50+60 = 170: no equal swap; a floor of
    # 170 admits B -> A only
    prob = _problem(SECS, W, 300.0)
    assert equal_swaps(prob, [1, 2], 179.5).tolist() == [0, 0]
    assert equal_swaps(prob, [1, 2], 170.0).tolist() == [1, 0]


# --------------------------------------------------------------------------- shared cover


def _shared(prob: SitingProblem) -> SitingProblem:
    from geo.siting.models import coverage

    return SitingProblem(prob.reach, prob.weights, prob.threshold_s, prob.existing_s,
                         shared=coverage(prob.reach, prob.threshold_s))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_shared_cover_gives_the_groups_made_afresh(seed: int) -> None:
    """Groups made once (the workbench) = grouping afresh, for any existing facilities."""
    from geo.siting.models import _reduce

    secs, w = _random(seed, 30, 400)
    secs = np.round(secs / 60) * 60  # whole minutes: many identical candidate sets
    w[::7] = 0.0  # people-less points are left out in both
    rng = np.random.default_rng(seed)
    for existing in (None, rng.uniform(0, 900, 400), np.full(400, np.inf)):
        fresh = _problem(secs, w, threshold=240, cutoff=480, existing=existing)
        shared = _shared(fresh)
        a, b = _reduce(fresh), _reduce(shared)
        assert b.cover.shape[1] < 400  # the grouping merged points
        assert (a.cover != b.cover).nnz == 0 and a.cover.shape == b.cover.shape
        np.testing.assert_array_equal(a.weights, b.weights)
        assert (a.base, a.coverable) == (b.base, b.coverable)
        for p in (1, 3):
            mf, ms = mclp(fresh, p), mclp(shared, p)
            assert ms.chosen.tolist() == mf.chosen.tolist()
            assert ms.objective == pytest.approx(mf.objective, abs=1e-9)
        lf, ls = lscp(fresh, 0.9), lscp(shared, 0.9)
        assert ls.chosen.tolist() == lf.chosen.tolist()


def test_shared_cover_mclp_against_brute_force() -> None:
    secs, w = _random(21, 9, 150)
    existing = np.where(np.arange(150) % 4 == 0, 100.0, np.inf)
    prob = _shared(_problem(secs, w, threshold=220, existing=existing))
    cover = (secs <= 220) | (existing <= 220)[None, :]
    best = max(w[cover[list(s)].any(axis=0)].sum() - w[existing <= 220].sum()
               for s in itertools.combinations(range(9), 3))
    assert mclp(prob, 3).objective == pytest.approx(best)


def test_shared_cover_of_another_matrix_is_refused() -> None:
    from geo.siting.models import coverage

    prob = _problem(SECS, W, threshold=300)
    with pytest.raises(SitingError, match="another matrix or threshold"):
        SitingProblem(prob.reach, prob.weights, 300, shared=coverage(prob.reach, 200))
    with pytest.raises(SitingError, match="another matrix or threshold"):
        SitingProblem(prob.reach[:2], prob.weights, 300, shared=coverage(prob.reach, 300))


# --------------------------------------------------------------------------- p-median proofs


def _pmedian_brute(secs: np.ndarray, w: np.ndarray, p: int, cutoff: float,
                   existing: np.ndarray | None = None) -> float:
    """Least weighted seconds over every set of p candidates (beyond the cutoff: the cutoff)."""
    fall = np.full(secs.shape[1], cutoff)
    if existing is not None:
        fall = np.minimum(fall, existing)
    d = np.where(secs <= cutoff, np.minimum(secs, fall), fall)
    return min(float((w * d[list(s)].min(axis=0)).sum())
               for s in itertools.combinations(range(secs.shape[0]), p))


@pytest.mark.parametrize(("seed", "p"), [(30, 1), (31, 2), (32, 3), (33, 4)])
def test_pmedian_heuristic_proves_small_instances_optimal(seed: int, p: int) -> None:
    """p = 1: greedy tries every site; then Lagrangian fixing + every set of the rest."""
    secs, w = _random(seed, 14, 120)
    rng = np.random.default_rng(seed)
    existing = np.where(rng.random(120) < 0.3, rng.uniform(0, 900, 120), np.inf)
    best = _pmedian_brute(secs, w, p, 600, existing)
    res = pmedian(_problem(secs, w, threshold=300, cutoff=600, existing=existing), p,
                  penalty_s=600, method="heuristic")
    assert res.objective == pytest.approx(best, rel=1e-12)
    assert res.status == "optimal" and res.bound == pytest.approx(best, rel=1e-12)
    assert res.gap == pytest.approx(0, abs=1e-9)


def test_pmedian_enumeration_against_brute_force() -> None:
    from geo.siting import _pmedian as pm
    from geo.siting.models import _pairs

    secs, w = _random(40, 9, 100)
    prob = _problem(secs, w, threshold=300, cutoff=500)
    pr = _pairs(prob, 500.0)
    for p in (2, 3):
        chosen, value = pm.enumerate_best(pr, p, np.arange(9), time.perf_counter() + 60)
        assert value == pytest.approx(_pmedian_brute(secs, w, p, 500), rel=1e-12)
        assert float(pr.value(chosen).sum()) == pytest.approx(value, rel=1e-12)
    # past the deadline, or more sets than it may try: no answer, the caller keeps its own
    assert pm.enumerate_best(pr, 3, np.arange(9), time.perf_counter() - 1) is None
    big = _pairs(_problem(*_random(42, 30, 60), threshold=300, cutoff=500), 500.0)
    assert math.comb(30, 5) > pm.ENUMERATE_MAX
    assert pm.enumerate_best(big, 5, np.arange(30), time.perf_counter() + 60) is None
    # no site left: nobody served but by the fallback
    none = pm.enumerate_best(pr, 2, np.zeros(0, dtype=np.int64), time.perf_counter() + 60)
    assert none is not None and none[0].size == 0 and none[1] == pytest.approx(pr.fall.sum())


def test_pmedian_pairs_unsorted_sum_as_sorted() -> None:
    """Sums per site by reduceat (pairs sorted by site) = bincount (any order)."""
    from geo.siting import _pmedian as pm
    from geo.siting.models import _pairs

    secs, w = _random(41, 12, 80)
    pr = _pairs(_problem(secs, w, threshold=300, cutoff=500), 500.0)
    assert pr.starts is not None
    order = np.random.default_rng(0).permutation(len(pr.site))
    shuffled = pm.Pairs(pr.site[order], pr.dem[order], pr.cost[order], pr.fall, pr.n_sites)
    assert shuffled.starts is None
    v = np.random.default_rng(1).random(len(pr.site))
    np.testing.assert_allclose(pr.per_site(v), shuffled.per_site(v[order]), rtol=1e-12)
    for chosen in ([3], [0, 5, 11], []):
        np.testing.assert_allclose(pr.value(np.asarray(chosen, dtype=np.int64)),
                                   shuffled.value(np.asarray(chosen, dtype=np.int64)))


@pytest.mark.parametrize("seed", [50, 51, 52])
def test_lscp_row_dominance_dense_and_sparse_agree(seed: int) -> None:
    """The implied covering rows, counted densely (BLAS) or sparsely, and checked by hand."""
    from geo.siting.models import _undominated

    rng = np.random.default_rng(seed)
    cover = sp.csr_matrix((rng.random((25, 60)) < 0.15).astype(float))
    cover = cover[:, np.diff(cover.tocsc().indptr) > 0]
    dense = _undominated(cover, dense=True)
    sparse = _undominated(cover, dense=False)
    np.testing.assert_array_equal(dense, sparse)
    sets = [set(np.flatnonzero(cover[:, g].toarray().ravel())) for g in range(cover.shape[1])]
    by_hand = [g for g, a in enumerate(sets) if not any(b < a for b in sets)]
    assert dense.tolist() == by_hand and len(by_hand) < len(sets)
