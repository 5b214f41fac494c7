"""County summary wording: a worst-served township only where townships fall short."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from geo.coverage.standards import Standard
from geo.coverage.tables import (
    NONE_BELOW,
    area_rows,
    county_summary,
    coverage_table,
    minute_orders,
    worst_served,
)
from geo.errors import StandardError


def _std(name: str, target: float) -> Standard:
    return Standard(name, name, name, 30.0, "drive", "from_facility", ("x",), target, "t", "t")


def test_no_township_is_named_when_all_meet_the_target() -> None:
    # two townships of two points each: A 10 and 20 people at 10 and 40 min, B 30 at 5 min
    # and 40 at 25 min. Within 30 min: A 10/30 (33 %), B 70/70 (100 %).
    town = np.array(["A", "A", "B", "B"], dtype=object)
    pop = np.array([10.0, 20, 30, 40])
    minutes = {"s": np.array([10.0, 40, 5, 25]), "t": np.array([10.0, 40, 5, 25])}
    stds = [_std("s", 0.3), _std("t", 0.9)]  # s: both meet 30 %; t: A fails 90 %
    table = coverage_table(town, pop, minutes, stds, {}, ["A", "B"])
    summary = county_summary(pop, minutes, stds, {}, table, "county").set_index("standard")
    assert summary.loc["s", "worst_township"] == "" and summary.loc["s", "townships_failing"] == 0
    assert worst_served(summary.loc["s"]) == NONE_BELOW == "no township below target"
    assert summary.loc["t", "worst_township"] == "A" and summary.loc["t", "townships_failing"] == 1
    assert worst_served(summary.loc["t"]) == "A (33.3%)"
    assert worst_served({"note": "not applicable: ..."}) == ""


def test_cli_and_run_summary_say_no_township_below_target(luzhai_demo) -> None:  # type: ignore[no-untyped-def]
    computed, out = luzhai_demo
    # rescue_2h: every Luzhai township is fully within 2 hours of the county hospital
    row = computed.summary.set_index("standard").loc["rescue_2h"]
    assert row["townships_failing"] == 0 and row["worst_township"] == ""
    text = (out / "run_summary.txt").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("- rescue_2h"))
    assert "no township below target" in line and "worst-served" not in line
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "无未达标乡镇" in report


def test_a_standard_serving_a_group_counts_the_groups_people() -> None:
    # A: points at 10 and 40 min with 100 and 50 people, of whom 10 and 30 elderly;
    # B: points at 20 min and unreached with 80 and 70 people, 20 and 5 elderly.
    # Within 30 min, elderly: A 10 of 40 (25 %), B 20 of 25 (80 %), county 30 of 65.
    # Weighted median (lower): A 40 (10 of 40 people by 10 min), B 20 (20 of 25), county
    # 40 (cumulative 10, 30, 60 of 65 at 10, 20, 40 min); p90: A 40, B unreached, county 40.
    town = np.array(["A", "A", "B", "B"], dtype=object)
    pop = np.array([100.0, 50, 80, 70])
    elderly = np.array([10.0, 30, 20, 5])
    m = np.array([10.0, 40, 20, np.inf])
    old = replace(_std("old", 0.5), population_group="elderly_65")
    minutes = {"old": m, "all": m}
    stds = [old, _std("all", 0.5)]
    groups = {"all": pop, "elderly_65": elderly}
    table = coverage_table(town, pop, minutes, stds, {}, ["A", "B"], groups=groups)
    rows = table.set_index(["standard", "township"])
    assert rows.loc[("old", "A"), ["population", "covered_population", "covered_share"]
                    ].tolist() == [40.0, 10.0, 0.25]
    assert not bool(rows.loc[("old", "A"), "meets_target"])
    assert rows.loc[("old", "B"), ["population", "covered_population", "covered_share",
                                   "median_minutes"]].tolist() == [25.0, 20.0, 0.8, 20.0]
    assert bool(rows.loc[("old", "B"), "meets_target"])
    assert rows.loc[("old", "B"), "p90_minutes"] == np.inf
    assert rows.loc[("old", "A"), "median_minutes"] == 40.0
    # the standard of everyone still counts everyone: A 100 of 150, B 80 of 150
    assert rows.loc[("all", "A"), ["population", "covered_population"]].tolist() == [150.0,
                                                                                     100.0]
    area = area_rows(pop, minutes, stds, {}, "county", groups=groups).set_index("standard")
    assert area.loc["old", ["population", "covered_population", "median_minutes",
                            "p90_minutes"]].tolist() == [65.0, 30.0, 40.0, 40.0]
    assert area.loc["old", "covered_share"] == pytest.approx(30 / 65, abs=5e-5)
    summary = county_summary(pop, minutes, stds, {}, table, "county", groups=groups)
    summary = summary.set_index("standard")
    assert summary.loc["old", "population"] == 65.0
    assert summary.loc["old", "worst_township"] == "A"


def test_a_standard_serving_a_group_the_study_lacks_stops() -> None:
    old = replace(_std("old", 0.5), population_group="elderly")
    pop = np.array([1.0, 2.0])
    with pytest.raises(StandardError, match=r"'elderly' is not a population group.*did you "
                       r"mean 'elderly_65'.*groups are elderly_65, children"):
        coverage_table(np.array(["A", "A"], dtype=object), pop, {"old": np.array([1.0, 2])},
                       [old], {}, ["A"],
                       groups={"elderly_65": pop, "children": pop})
    with pytest.raises(StandardError, match="has no population groups"):
        area_rows(pop, {"old": np.array([1.0, 2])}, [old], {}, "county")


def test_minutes_sorted_once_give_the_rows_sorted_each_time() -> None:
    rng = np.random.default_rng(7)
    town = rng.choice(np.array(["A", "B", "C"], dtype=object), 500)
    m = rng.integers(0, 60, 500).astype(float)  # many ties: the order must be stable
    m[rng.integers(0, 500, 20)] = np.inf
    stds = [_std("s", 0.5)]
    ranks = minute_orders(town, {"s": m}, stds, {}, ["A", "B", "C"])
    for _ in range(3):
        pop = rng.integers(0, 5, 500).astype(float)
        a = coverage_table(town, pop, {"s": m}, stds, {}, ["A", "B", "C"])
        b = coverage_table(town, pop, {"s": m}, stds, {}, ["A", "B", "C"], sorted_minutes=ranks)
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(
            area_rows(pop, {"s": m}, stds, {}, "c"),
            area_rows(pop, {"s": m}, stds, {}, "c", sorted_minutes=ranks))
