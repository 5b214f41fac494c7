"""Equity indices on arrays (geo.measures.equity) against PySAL inequality and by hand.

PySAL ``inequality`` computes unweighted indices of a list of values; a population-weighted
index with whole-number weights equals the unweighted index of the list in which each
point's minutes appear as many times as it has people, which is what these tests hand it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from geo.errors import GeoError
from geo.measures.equity import covered_by_place, gini, lorenz, theil, theil_parts, unreachable


def _people(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    minutes = rng.gamma(2.0, 15.0, n) + 1.0
    weights = rng.integers(0, 40, n).astype(float)
    town = rng.integers(0, 5, n)
    return minutes, weights, town


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gini_and_theil_equal_pysal_on_each_persons_minutes(seed: int) -> None:
    minutes, weights, town = _people(np.random.default_rng(seed), 300)
    each = np.repeat(minutes, weights.astype(int))
    each_town = np.repeat(town, weights.astype(int))
    assert gini(minutes, weights) == pytest.approx(Gini(each).g, rel=1e-10)
    assert theil(minutes, weights) == pytest.approx(Theil(each).T, rel=1e-10)
    parts = theil_parts(minutes, weights, town)
    ref = TheilD(each, each_town)
    assert parts.total == pytest.approx(float(ref.T), rel=1e-10)
    assert parts.between == pytest.approx(float(np.ravel(ref.bg)[0]), rel=1e-10)
    assert parts.within == pytest.approx(float(np.ravel(ref.wg)[0]), rel=1e-10)
    assert parts.between + parts.within == pytest.approx(parts.total, rel=1e-12)


def test_a_hand_worked_case() -> None:
    # three people at 10, 20 and 60 minutes (mean 30), two of them (10, 20) in township a
    x, w = [10.0, 20.0, 60.0], [1.0, 1.0, 1.0]
    # |10-20| + |10-60| + |20-60| = 100, each pair twice: 200 / (2 · 3² · 30) = 10/27
    assert gini(x, w) == pytest.approx(10 / 27)
    ratios = [1 / 3, 2 / 3, 2.0]
    by_hand = sum(r * math.log(r) for r in ratios) / 3
    assert theil(x, w) == pytest.approx(by_hand)
    parts = theil_parts(x, w, ["a", "a", "b"])
    # township a: 2 people, mean 15; b: 1 person, mean 60
    between = (2 / 3) * 0.5 * math.log(0.5) + (1 / 3) * 2.0 * math.log(2.0)
    within_a = 0.5 * ((10 / 15) * math.log(10 / 15) + (20 / 15) * math.log(20 / 15))
    assert parts.between == pytest.approx(between)
    assert parts.within == pytest.approx((2 * 15) / (3 * 30) * within_a)
    # weights count people: one point of weight 2 is two people at that point
    assert gini([10.0, 60.0], [2.0, 1.0]) == pytest.approx(gini([10.0, 10.0, 60.0], w))


def test_equal_minutes_are_perfect_equality_and_zero_minutes_add_nothing() -> None:
    assert gini([25.0, 25.0, 25.0], [3.0, 1.0, 9.0]) == 0.0
    assert theil([25.0, 25.0], [3.0, 1.0]) == pytest.approx(0.0, abs=1e-15)
    # one of two people lives at the facility: T = ½ (0 + 2 ln 2)
    assert theil([0.0, 20.0], [1.0, 1.0]) == pytest.approx(math.log(2.0))
    assert gini([0.0, 20.0], [1.0, 1.0]) == pytest.approx(0.5)


def test_unreachable_points_are_left_out_and_counted() -> None:
    x = np.array([10.0, np.inf, 30.0, np.nan])
    w = np.array([1.0, 5.0, 1.0, 2.0])
    assert unreachable(x, w) == 7.0
    assert gini(x, w) == pytest.approx(gini([10.0, 30.0], [1.0, 1.0]))
    assert math.isnan(gini([np.inf], [3.0]))
    assert math.isnan(theil([5.0], [0.0]))


def test_covered_by_place_counts_as_coverage_rows_do() -> None:
    people, covered = covered_by_place([10.0, 30.0, np.inf, 30.0001, 5.0], [1, 2, 3, 4, 5],
                                       [0, 0, 1, 1, -1], 2, 30.0)
    assert people.tolist() == [3.0, 7.0]
    assert covered.tolist() == [3.0, 0.0]


def test_bad_arrays_stop() -> None:
    with pytest.raises(GeoError, match="one length"):
        gini([1.0, 2.0], [1.0])
    with pytest.raises(GeoError, match="people >= 0"):
        theil([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(GeoError, match=">= 0"):
        gini([-1.0, 2.0], [1.0, 1.0])


@pytest.mark.parametrize("seed", [3, 4])
def test_the_lorenz_curve_encloses_the_gini(seed: int) -> None:
    minutes, weights, _ = _people(np.random.default_rng(seed), 200)
    p, m = lorenz(minutes, weights)
    assert (p[0], m[0], p[-1], m[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert (np.diff(p) >= 0).all() and (m <= p + 1e-12).all()  # below the diagonal
    area = float(np.sum((p[1:] - p[:-1]) * (m[1:] + m[:-1]) / 2))  # trapezoids: exact
    assert 1 - 2 * area == pytest.approx(gini(minutes, weights), rel=1e-10)


def test_gini_on_minutes_sorted_once_is_the_gini() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 40, 300).astype(float)  # ties: the order must be stable
    x[rng.integers(0, 300, 15)] = np.inf
    x[rng.integers(0, 300, 5)] = np.nan
    rank = np.argsort(x, kind="stable")
    for _ in range(3):
        w = rng.integers(0, 4, 300).astype(float)
        assert gini(x, w, order=rank) == gini(x, w)
    with pytest.raises(GeoError, match="an order of 2 points for 300 minutes"):
        gini(x, w, order=[0, 1])
