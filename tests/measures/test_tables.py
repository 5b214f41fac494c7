"""Supply checks, workload basins, ratio and response tables, worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.errors import MeasureError, SupplyError
from geo.measures import (
    FALLBACK,
    basins,
    check_supply,
    located_ratio,
    ratio_table,
    response_table,
    supply_for,
    weighted_quantile,
)
from geo.measures.response import dispatch_seconds


def test_check_supply_names_every_bad_facility() -> None:
    vals = [10, "12", None, np.nan, -1, "abc", " ", 3.5, np.inf, True]
    ids = [f"F{k}" for k in range(10)]
    with pytest.raises(SupplyError) as e:
        check_supply(vals, "beds", ids)
    msg = str(e.value)
    assert "'beds'" in msg
    assert "missing for 3 facilities (F2, F3, F6)" in msg
    assert "negative for 1 facilities (F4)" in msg
    assert "not a number for 3 facilities (F5, F8, F9)" in msg
    assert "remove `supply` from the measure" in msg  # the fix: a real key of the spec
    np.testing.assert_array_equal(check_supply([10, "12", 0, 3.5], "beds", ids[:4]),
                                  [10.0, 12.0, 0.0, 3.5])


def test_supply_from_a_table_or_the_stated_fallback() -> None:
    df = pd.DataFrame({"id": ["a", "b"], "beds": [20, 99]})
    vals, note = supply_for("beds", df, df["id"].tolist(), measure="m")
    assert vals.tolist() == [20.0, 99.0] and note == ""
    vals, note = supply_for(None, df, ["a", "b"])
    assert vals.tolist() == [1.0, 1.0] and note == FALLBACK
    with pytest.raises(SupplyError, match=r"lacks .*\['id', 'beds'\]"):
        supply_for("doctors", df, ["a", "b"], measure="m")


def test_workload_basins_by_hand() -> None:
    # points 0, 1 go to facility 0 (30 beds), point 2 to facility 1 (6 beds), point 3 to none
    b = basins([0, 0, 1, -1], [100.0, 200.0, 300.0, 50.0], [30.0, 6.0])
    np.testing.assert_array_equal(b.served, [300, 300])
    np.testing.assert_array_equal(b.points, [2, 1])
    np.testing.assert_allclose(b.per(1000), [100.0, 20.0])  # 30/300, 6/300 per 1,000
    np.testing.assert_allclose(b.per_person, [0.1, 0.1, 0.02, 0.0])
    assert b.unserved == 50.0 and b.idle.tolist() == []
    lonely = basins([0, 0], [1.0, 1.0], [5.0, 7.0])
    assert lonely.idle.tolist() == [1] and math.isnan(lonely.per()[1])
    with pytest.raises(MeasureError, match=r"\[-1, 2\)"):
        basins([0, 2], [1.0, 1.0], [5.0, 7.0])


def test_ratio_table_by_hand() -> None:
    # township A: points with 100 and 200 people at 0.1 beds each -> 30 beds / 300 people
    # = 100 per 1,000; B: 300 people at 0.02 and 50 at 0 -> 6 / 350 = 17.142857 per 1,000;
    # C lists no point. Whole area: 36 / 650 = 55.3846 per 1,000.
    t = ratio_table(["A", "A", "B", "B"], [100.0, 200.0, 300.0, 50.0], [0.1, 0.1, 0.02, 0.0],
                    per=1000, target=50, order=["A", "B", "C"])
    assert t.labels == ["A", "B", "C"]
    np.testing.assert_allclose(t.population, [300, 350, 0])
    np.testing.assert_allclose(t.ratio[:2], [100.0, 6 / 350 * 1000])
    assert math.isnan(t.ratio[2])
    assert t.meets == [True, False, None]
    assert t.total_ratio == pytest.approx(36 / 650 * 1000)
    assert t.total_meets is True
    at_most = ratio_table(["A", "B"], [1.0, 1.0], [0.004, 0.008], per=1000, target=6,
                          at_least=False)
    assert at_most.meets == [True, False]
    with pytest.raises(MeasureError, match="not in the township list"):
        ratio_table(["A", "Z"], [1.0, 1.0], [0.0, 0.0], order=["A"])


def test_located_ratio_is_the_plan_definition() -> None:
    # 99 beds in A, 20 in B; 20,000 people in A, 60,000 in B: 4.95 and 0.333 per 1,000;
    # the county: 119 / 80,000 = 1.4875 per 1,000
    t = located_ratio(["A", "B"], [99.0, 20.0], ["A", "B", "B"], [20_000.0, 30_000.0, 30_000.0],
                      per=1000, target=1.0)
    np.testing.assert_allclose(t.ratio, [4.95, 20 / 60])
    assert t.meets == [True, False]
    assert t.total_ratio == pytest.approx(1.4875)


def test_weighted_quantile_is_the_lower_quantile() -> None:
    assert weighted_quantile([10.0, 20.0, 30.0], [1.0, 1.0, 2.0], 0.5) == 20.0
    assert weighted_quantile([10.0, 20.0], [1.0, 1.0], 0.5) == 10.0
    assert math.isnan(weighted_quantile([1.0], [0.0], 0.5))


def test_response_table_by_hand() -> None:
    # A: 30 min (100 people), 70 min (200); B: unreached (300)
    t = response_table(["A", "A", "B"], [100.0, 200.0, 300.0], [1800.0, 4200.0, np.inf],
                       target_minutes=60, target_share=1.0)
    assert t.labels == ["A", "B", "total"]
    # A: cumulative 100, 300 people: the median person (150) waits 70 min, p90 too
    np.testing.assert_allclose(t.median_min[:1], [70.0])
    np.testing.assert_allclose(t.p90_min[:1], [70.0])
    np.testing.assert_allclose(t.share_within, [1 / 3, 0.0, 100 / 600])
    np.testing.assert_allclose(t.unreached, [0.0, 300.0, 300.0])
    assert t.max_min[0] == 70.0 and math.isinf(t.max_min[1])
    # whole area: cumulative 100, 300, 600: median 70 min, p90 (540) unreached
    assert t.median_min[2] == 70.0 and math.isinf(t.p90_min[2])
    assert t.meets == [False, False, False]
    ok = response_table(["A"], [5.0], [3600.0], target_minutes=60)
    assert ok.meets == [True, True]  # exactly 60 minutes is within
    none = response_table(["A"], [5.0], [3600.0], target_minutes=None)
    assert none.meets == [None, None] and math.isnan(none.share_within[0])
    assert none.median_min[0] == 60.0


def test_dispatch_delays_from_a_column() -> None:
    secs, note = dispatch_seconds(3, 3)
    np.testing.assert_array_equal(secs, [180, 180, 180])
    assert "3 min" in note
    secs, note = dispatch_seconds(3, 3, values=[5, None, "1.5"], column="delay", ids=list("abc"))
    np.testing.assert_array_equal(secs, [300, 180, 90])
    assert "2 of 3 bases" in note
    with pytest.raises(MeasureError, match=r"\['b'\]"):
        dispatch_seconds(3, 3, values=[5, -1, 2], column="delay", ids=list("abc"))


def test_labels_placed_once_give_the_same_table() -> None:
    """A LabelIndex (the measures of a study share one) sums as the labels themselves do."""
    from geo.measures.aggregate import LabelIndex, by_label, ratio_table

    rng = np.random.default_rng(5)
    order = ["乙镇", "甲镇", "丙镇", "丁镇"]  # 丁镇 has no demand point
    labels = rng.choice(order[:3], 200).astype(object)
    pop = rng.uniform(0, 900, 200)
    v = rng.uniform(0, 0.01, 200)
    idx = LabelIndex.of(labels, order)
    assert by_label(idx, order) == (idx.names, idx.idx)
    a = ratio_table(labels, pop, v, per=1000.0, order=order)
    b = ratio_table(idx, pop, v, per=1000.0, order=order)
    # the township sums, by hand
    for k, name in enumerate(order):
        at = labels == name
        assert b.population[k] == pytest.approx(pop[at].sum(), rel=1e-12, abs=0)
        assert b.supply[k] == pytest.approx((pop[at] * v[at]).sum(), rel=1e-12, abs=0)
    for x, y in ((a.population, b.population), (a.supply, b.supply), (a.ratio, b.ratio)):
        np.testing.assert_array_equal(x, y)
    assert a.labels == b.labels and a.total_ratio == b.total_ratio
    with pytest.raises(MeasureError, match="another township order"):
        ratio_table(idx, pop, v, order=order[::-1])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint16, np.float32, np.float64])
def test_a_numeric_supply_column_is_read_as_each_value_is(dtype: type) -> None:
    """A column of usable numbers comes back as float(v) of every value, NaN still refused."""
    rng = np.random.default_rng(3)
    vals = rng.uniform(0, 500, 40).astype(dtype)
    ids = [f"F{k}" for k in range(40)]
    got = check_supply(vals, "beds", ids)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [float(v) for v in vals.tolist()])
    if np.dtype(dtype).kind == "f":
        vals[[3, 7]] = np.nan
        with pytest.raises(SupplyError, match=r"missing for 2 facilities \(F3, F7\)"):
            check_supply(vals, "beds", ids)
    else:
        with pytest.raises(SupplyError, match=r"negative for 1 facilities \(F5\)"):
            check_supply(np.where(np.arange(40) == 5, -1, vals.astype(np.int64)), "beds", ids)


def test_a_text_supply_column_is_read_as_each_value_is() -> None:
    """Facility files are read as text: numbers in text come back as float(text) each."""
    ids = ["a", "b", "c", "d", "e", "f"]
    text = np.array(["12", " 3.5 ", "1_000", "2e2", "0", "-0"], dtype=object)
    got = check_supply(text, "beds", ids)
    np.testing.assert_array_equal(got, [12.0, 3.5, 1000.0, 200.0, 0.0, -0.0])
    assert np.signbit(got[5])  # float("-0") is -0.0, as the per-value path gives
    bad = text.copy()
    bad[[1, 4]] = ["many", " "]
    with pytest.raises(SupplyError, match=r"not a number for 1 facilities \(b\); missing "
                                          r"for 1 facilities \(e\)"):
        check_supply(bad, "beds", ids)
    with pytest.raises(SupplyError, match=r"not a number for 1 facilities \(c\)"):
        check_supply(np.where(np.arange(6) == 2, "inf", text), "beds", ids)
    with pytest.raises(SupplyError, match=r"negative for 1 facilities \(a\)"):
        check_supply(np.where(np.arange(6) == 0, "-1", text), "beds", ids)
