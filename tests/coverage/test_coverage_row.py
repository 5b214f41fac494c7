"""One coverage row: the coverage table, `geo compare` and the workbench's table give the
same covered people, share, median and target met, and each equals a count by hand.

The hand count here does not call :func:`geo.measures.aggregate.coverage_row`: people
are summed with ``math.fsum``, the median is the smallest minutes value under which at
least half the people live (found by trying every value), and the target is met when the
share reaches it within the documented tolerance.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.coverage.standards import KINDS, Standard
from geo.coverage.tables import area_rows, coverage_table
from geo.measures.aggregate import coverage_row, meets
from geo.measures.response import response_table
from geo.numbers import TOLERANCE, shown_share
from geo.planning.compare import compare
from geo.serve.table import CoverageTable
from geo.study.run import ComputedStudy, run_study
from geo.study.schema import load_study
from geo.whatif.baseline import from_study
from tests.conftest import ROOT

# ------------------------------------------------------------------------- by hand


def test_a_row_by_hand() -> None:
    # four points: 10 people at 5 min, 20 at 30 (on the limit: within), 0 at 99 (nobody
    # lives there: not the longest wait), 30 at 45. Within 30 min: 30 of 60 people.
    # Sorted by minutes the people add up to 10, 30, 60: half (30) is reached at 30 min,
    # 90 % (54) at 45 min.
    r = coverage_row([5.0, 30.0, 99.0, 45.0], [10.0, 20.0, 0.0, 30.0], 30.0, 0.5)
    assert (r.population, r.covered, r.share, r.meets) == (60.0, 30.0, 0.5, True)
    assert (r.median, r.p90, r.max) == (30.0, 45.0, 45.0)
    assert coverage_row([5.0, 30.0, 99.0, 45.0], [10.0, 20.0, 0.0, 30.0], 30.0, 0.6).meets \
        is False


def test_rows_that_have_no_share() -> None:
    na = coverage_row(None, [10.0, 20.0], 30.0, 1.0)  # the standard does not apply
    assert na.population == 30.0 and na.meets is None
    assert all(math.isnan(v) for v in (na.covered, na.share, na.median, na.p90, na.max))
    empty = coverage_row([5.0, 50.0], [0.0, 0.0], 30.0, 1.0)  # nobody lives there
    assert (empty.population, empty.covered, empty.meets) == (0.0, 0.0, None)
    assert math.isnan(empty.share) and math.isnan(empty.median) and math.isnan(empty.max)
    unreached = coverage_row([5.0, math.inf], [1.0, 3.0], 30.0, 0.2)  # inf: never within
    assert (unreached.covered, unreached.share, unreached.median, unreached.max) == (
        1.0, 0.25, math.inf, math.inf)
    no_limit = coverage_row([5.0, 50.0], [1.0, 1.0], None, 1.0)  # time to care: no target
    assert math.isnan(no_limit.share) and no_limit.meets is None and no_limit.median == 5.0


def test_meets_and_its_tolerance() -> None:
    # 0.1 + 0.2 people of 0.1 + 0.2 + 0.7 is 3/10 of the people, yet the float share
    # lies one step away from 0.3; a target of 0.3 is met
    share = (0.1 + 0.2) / (0.1 + 0.2 + 0.7)
    assert share != 0.3 and meets(share, 0.3) is True
    assert meets(math.nextafter(1.0, 0.0), 1.0) is True  # one float step below everyone
    assert meets(0.9 - 1e-6, 0.9) is False  # a real shortfall (1 person in a million)
    assert meets(0.9 - 2 * TOLERANCE, 0.9) is False
    assert meets(float("nan"), 0.9) is None
    assert meets(6.0 + 1e-12, 6.0, at_most=True) is True  # a ceiling (ratio tables)
    assert meets(6.1, 6.0, at_most=True) is False


@pytest.mark.parametrize("share", [0.95 - 1e-3, 0.95 - 1e-6, 0.95 - 2e-9, 0.95 - 5e-10,
                                   0.95, 0.95 + 1e-6])
def test_a_share_is_shown_at_its_target_exactly_when_it_meets_it(share: float) -> None:
    # one tolerance: a share that fails its target is never shown as the target, and one
    # that meets it (within the tolerance) is never shown below it
    shown = shown_share(share, 0.95)
    assert (shown >= 0.95) is meets(share, 0.95)


def test_the_response_table_is_the_same_row() -> None:
    # township A: 10 people at 50 min, 30 at 70; B: 5 at 20; target 60 min for 75 %
    t = response_table(["A", "A", "B"], [10.0, 30.0, 5.0], [3000.0, 4200.0, 1200.0],
                       target_minutes=60.0, target_share=0.75, order=["A", "B"])
    assert list(t.share_within) == [0.25, 1.0, 15 / 45]
    assert list(t.median_min) == [70.0, 20.0, 70.0]
    assert t.meets == [False, True, False]


def test_the_tables_take_their_rows_from_it() -> None:
    std = Standard("s", "s", "s", 30.0, "drive", "from_facility", ("x",), 0.5, "t", "t")
    town = np.array(["A", "A", "B"], dtype=object)
    pop = np.array([10.0, 20.0, 30.0])
    minutes = {"s": np.array([5.0, 31.0, 12.0])}
    table = coverage_table(town, pop, minutes, [std], {}, ["A", "B"]).set_index("township")
    # A: 10 of 30 within 30 min (fails 50 %); B: 30 of 30; the area: 40 of 60
    assert list(table["covered_population"]) == [10.0, 30.0]
    assert list(table["covered_share"]) == [0.3333, 1.0]
    assert list(table["meets_target"]) == [False, True]
    area = area_rows(pop, minutes, [std], {}, "county").iloc[0]
    assert (area["covered_population"], area["covered_share"], area["meets_target"],
            area["median_minutes"]) == (40.0, 0.6667, True, 12.0)
    na = area_rows(pop, {}, [std], {"s": "not applicable"}, "county").iloc[0]
    assert na["population"] == 60.0 and pd.isna(na["covered_share"])
    assert na["meets_target"] is pd.NA


# --------------------------------------------------------------- the three agree


#: a scenario that makes rescue_2h not applicable (its one facility, the county
#: hospital, closes) and community_15min applicable (Luzhai has no community centre)
FLIP = """[scenario]
name = "flip"
title = "close the county hospital, open a community health service centre"

[[actions]]
action = "close"
id = "LZ-H01"

[[actions]]
action = "add"
id = "NEW-C01"
name = "鹿寨镇社区卫生服务中心"
type = "community_health_service_center"
lon = 109.7508
lat = 24.4838
"""


@pytest.fixture(scope="module")
def luzhai() -> ComputedStudy:
    """Luzhai with community_15min counted in every township (shipped: 街道 only, which
    Luzhai has none of), so that the scenario can make it applicable."""
    cfg = load_study(ROOT / "analysis" / "luzhai.toml")
    every = {"community_15min": {"township_kinds": list(KINDS)}}
    return run_study(replace(cfg, standards=replace(cfg.standards, overrides=every)))


def _lower_median(minutes: np.ndarray, pop: np.ndarray) -> float:
    """The smallest value under which at least half the people live (every value tried)."""
    total = math.fsum(pop)
    if not total > 0:
        return math.nan
    ok = [v for v in np.unique(minutes[pop > 0])
          if math.fsum(pop[minutes <= v]) >= 0.5 * total * (1 - 1e-12)]
    return float(min(ok))


def _by_hand(luzhai: ComputedStudy, minutes: dict[str, np.ndarray],
             area: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (township or the area, standard): people, covered, share, median, met."""
    town = luzhai.demand["township"].to_numpy(dtype=object)
    pop = luzhai.demand["population"].to_numpy(dtype=float)
    out = {}
    for std in luzhai.standards:
        m = minutes.get(std.name)
        for name in [*luzhai.townships["township"], area]:
            sel = np.ones(len(pop), bool) if name == area else town == name
            total = math.fsum(pop[sel])
            row: dict[str, Any] = {"population": round(total, 1)}
            if m is None:
                row |= {"covered": None, "share": None, "median": None, "meets": None}
            else:
                covered = math.fsum(pop[sel & (m <= std.minutes)])
                share = covered / total if total > 0 else math.nan
                row |= {"covered": round(covered, 1), "share": round(share, 4),
                        "median": round(_lower_median(m[sel], pop[sel]), 1),
                        "meets": None if not total > 0 else
                        share >= std.target_share - TOLERANCE}
            out[(name, std.name)] = row
    return out


def _check(got: dict[str, Any], want: dict[str, Any], where: object) -> None:
    assert got["population"] == pytest.approx(want["population"], abs=0.051), where
    assert got["meets"] == want["meets"], where
    for key, tol in (("covered", 0.051), ("share", 0.000051), ("median", 0.0)):
        if want[key] is None:
            assert got[key] is None or math.isnan(got[key]), (where, key, got[key])
        else:  # a sum taken in another order may round to the next 0.1
            assert got[key] == pytest.approx(want[key], abs=tol), (where, key)


def _none(v: Any) -> Any:
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v


def _frame_rows(frame: pd.DataFrame, suffix: str = "",
                meets: str = "meets_target") -> dict[tuple[str, str], dict[str, Any]]:
    return {(str(r["township"]), str(r["standard"])): {
        "population": r["population"], "covered": _none(r[f"covered_population{suffix}"]),
        "share": _none(r[f"covered_share{suffix}"]), "median": _none(r[f"median_minutes{suffix}"]),
        "meets": _none(r[meets])} for _, r in frame.iterrows()}


def _page_rows(table: CoverageTable) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for name in table.standards:
        t = table.rows(name)
        for r in [*t["rows"], t["area"]]:
            out[(r["township"], name)] = {k: r[k] for k in
                                          ("population", "covered", "share", "median", "meets")}
    return out


def test_table_compare_and_workbench_agree_with_a_count_by_hand(
        luzhai: ComputedStudy, tmp_path: Path) -> None:
    area = str(luzhai.area["name"].iloc[0])
    scenario = tmp_path / "flip.toml"
    scenario.write_text(FLIP, encoding="utf-8")
    comp = compare(luzhai, str(scenario))
    assert "rescue_2h" in comp.minutes_before and "rescue_2h" not in comp.minutes_after
    assert "community_15min" not in comp.minutes_before
    assert "community_15min" in comp.minutes_after

    before = _by_hand(luzhai, comp.minutes_before, area)
    after = _by_hand(luzhai, comp.minutes_after, area)
    # every township and the whole area, of every standard, before and after: no row is
    # left out where a standard stops or starts applying
    assert set(zip(comp.table["township"], comp.table["standard"], strict=True)) == set(before)

    # the study's own coverage table and summary
    table = _frame_rows(luzhai.coverage)
    summary = _frame_rows(luzhai.summary.rename(columns={"area": "township"}))
    assert set(table) | set(summary) == set(before)
    for key, got in {**table, **summary}.items():
        _check(got, before[key], ("coverage", key))

    # geo compare, before and after
    for key, got in _frame_rows(comp.table, "_before", "meets_target_before").items():
        _check(got, before[key], ("compare before", key))
        assert got == {**table, **summary}[key]  # the same numbers as the coverage table
    comp_after = _frame_rows(comp.table, "_after", "meets_target_after")
    for key, got in comp_after.items():
        _check(got, after[key], ("compare after", key))

    # the workbench: its baseline is the study; after the same edits, the scenario
    engine = from_study(luzhai)
    pop = luzhai.demand["population"].to_numpy(dtype=float)
    page = _page_rows(CoverageTable(engine, pop, area))
    for key, got in page.items():
        _check(got, before[key], ("workbench", key))
    engine.close("LZ-H01")
    engine.add("NEW-C01", "community_health_service_center", 109.7508, 24.4838)
    page = _page_rows(CoverageTable(engine, pop, area))
    assert set(page) == set(after)
    for key, got in page.items():
        _check(got, after[key], ("workbench after", key))
        assert got == comp_after[key], key  # exactly geo compare's numbers
