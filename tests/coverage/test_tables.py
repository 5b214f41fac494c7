"""County summary wording: a worst-served township only where townships fall short."""

from __future__ import annotations

import numpy as np

from geo.coverage.standards import Standard
from geo.coverage.tables import NONE_BELOW, county_summary, coverage_table, worst_served


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
