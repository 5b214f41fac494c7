"""Population groups through a whole study: the synthetic county (示例县) with its census age
table (a workbook with a two-row header and a 合计 row), run, written and reloaded.

A group's coverage must equal the coverage of a run whose population *is* the group (the
same census workbook, count_col naming the group's column); the equity measures must equal
PySAL inequality on each person's minutes; the outputs must show them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from access import Access
from inequality.gini import Gini
from inequality.theil import TheilD

from geo.coverage.population import group_column
from geo.errors import SitingError, StandardError
from geo.outputs.reload import load_computed
from geo.outputs.write import write_outputs
from geo.planning.compare import compare
from geo.planning.resilience import criticality
from geo.planning.sites import site
from geo.routing.travel import od_matrix
from geo.serve.table import CoverageTable
from geo.study.run import ComputedStudy, run_study
from geo.study.scan import age_groups, scan_folder, study_text
from geo.whatif import from_study
from tests.bad_inputs.county import build_county, study_options
from tests.conftest import toml_value
from tests.synthetic_county import AGE_COLUMNS, AGES, TO_WGS84, grid_xy, write_census_ages

GROUPS = {"65岁及以上（人）": "elderly_65", "0—14岁（人）": "children",
          "15—59岁（人）": "working_age", "60岁及以上（人）": "elderly_60"}
STANDARDS = ["emergency_1h", "primary_care_30min", "community_15min"]
APPLICABLE = STANDARDS[:2]  # the county has no community health facility


def _write(folder: Path, name: str, population: dict[str, Any], serves: str = "",
           **more: dict[str, Any]) -> Path:
    options = study_options()
    options["population"] = population
    options.update(more)
    # primary care within 8 minutes: some people beyond it in every township, so the
    # shares among the uncovered and the townships' gap are not trivial; ``serves``: the
    # group whose people primary care counts (population_group)
    primary: dict[str, Any] = {"minutes": 8.0, **({"population_group": serves} if serves
                                                   else {})}
    options["standards"] = {"use": STANDARDS, "overrides": {"primary_care_30min": primary}}
    lines = []
    for sec, opts in options.items():
        lines.append(f"[{sec}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in opts.items()]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _population(count_col: str, **more: Any) -> dict[str, Any]:
    return {"method": "table", "path": "分年龄人口.xlsx", "table_key": "乡镇名称",
            "count_col": count_col, **more}


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = build_county(tmp_path_factory.mktemp("groups") / "county")
    write_census_ages(folder / "分年龄人口.xlsx")
    return folder


@pytest.fixture(scope="module")
def computed(county: Path) -> ComputedStudy:
    study = _write(county, "groups.toml", _population(
        "常住人口（人）", groups=GROUPS, partition=["children", "working_age", "elderly_60"]))
    return run_study(study)


def test_each_townships_groups_are_the_census(computed: ComputedStudy) -> None:
    demand = computed.demand
    for i, name in enumerate(("children", "working_age", "elderly_60", "elderly_65")):
        got = demand.groupby("township")[group_column(name)].sum()
        assert got.to_dict() == pytest.approx({t: a[i] for t, a in AGES.items()})
    method = computed.demand.attrs["population_method"]
    assert "population groups elderly_65 (column '65岁及以上（人）')" in method
    assert "children, working_age, elderly_60 add up to each township" in method
    assert any("written on rows 2 and 3" in a for a in computed.assumptions)


@pytest.mark.parametrize("column", AGE_COLUMNS)
def test_group_coverage_equals_a_run_whose_population_is_the_group(
        county: Path, computed: ComputedStudy, column: str) -> None:
    name = GROUPS[f"{column}（人）"]
    alone = run_study(_write(county, f"only_{name}.toml", _population(f"{column}（人）")))
    cov = computed.groups.coverage
    mine = cov[cov["group"] == name].drop(columns=["group", "group_label"])
    theirs = pd.concat([alone.coverage, alone.summary.rename(columns={"area": "township"})[
        alone.coverage.columns]], ignore_index=True)
    key = ["standard", "township"]
    a = mine.sort_values(key).reset_index(drop=True)
    b = theirs.sort_values(key).reset_index(drop=True)[list(mine.columns)]
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_equity_equals_pysal_on_each_persons_minutes(computed: ComputedStudy) -> None:
    eq = computed.groups.equity
    town = computed.demand["township"].to_numpy()
    assert eq.loc[eq["standard"] == "community_15min", "gini"].isna().all()  # no facility
    for std in APPLICABLE:
        minutes = computed.travel.minutes[std]
        for name in ("all", "elderly_65", "children"):
            w = (computed.population if name == "all"
                 else computed.demand[group_column(name)].to_numpy())
            # PySAL takes a list of values: each point's minutes repeated in proportion to its
            # people (weights scaled to some 2 million, rounded: indices are scale-free)
            people = np.rint(w * 2e6 / w.sum()).astype(int)
            row = eq[(eq["standard"] == std) & (eq["group"] == name)].iloc[0]
            each = np.repeat(minutes, people)
            ref_g = Gini(each).g
            ref = TheilD(each, np.repeat(town, people))
            # the rounding moves the indices far less than their written decimals (4)
            assert row["gini"] == pytest.approx(ref_g, abs=2e-4)
            assert row["theil"] == pytest.approx(float(ref.T), abs=2e-4)
            assert row["theil_between"] == pytest.approx(float(np.ravel(ref.bg)[0]), abs=2e-4)
            assert row["theil_within"] == pytest.approx(float(np.ravel(ref.wg)[0]), abs=2e-4)


def test_share_among_the_uncovered_and_the_township_gap(computed: ComputedStudy) -> None:
    eq = computed.groups.equity
    cov = computed.groups.coverage
    for std in APPLICABLE:
        limit = computed.standard(std).minutes
        beyond = ~(computed.travel.minutes[std] <= limit)
        everyone = computed.population[beyond].sum()
        elderly = computed.demand[group_column("elderly_65")].to_numpy()
        row = eq[(eq["standard"] == std) & (eq["group"] == "elderly_65")].iloc[0]
        if std == "primary_care_30min":
            assert everyone > 10_000 and row["share_gap"] > 0.05
        if everyone > 0:
            assert row["share_of_uncovered"] == pytest.approx(elderly[beyond].sum() / everyone,
                                                              abs=5e-5)
        assert row["share_of_population"] == pytest.approx(
            elderly.sum() / computed.population.sum(), abs=5e-5)
        towns = cov[(cov["standard"] == std) & (cov["group"] == "elderly_65")
                    & (cov["township"] != computed.area_name)]
        gap = towns["covered_share"].max() - towns["covered_share"].min()
        assert row["share_gap"] == pytest.approx(gap, abs=2e-4)


def test_outputs_show_the_groups_and_reload_them(computed: ComputedStudy, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(computed, out)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "健康公平" in report and "65岁及以上（人） (elderly_65)" in report
    assert "基尼系数" in report and "Shorrocks 1980" in report
    assert "洛伦兹曲线" in report
    assert {p.name for p in (out / "figures").glob("lorenz_*.png")} == {
        f"lorenz_{s}.png" for s in APPLICABLE}
    # the map's township tooltips list each group's covered share
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "(elderly_65)\\u003c/th\\u003e\\u003ctd\\u003e" in page
    sheets = pd.read_excel(out / "coverage.xlsx", sheet_name=None, header=None,
                           engine="openpyxl")
    assert {"人群覆盖", "健康公平"} <= set(sheets)
    text = sheets["健康公平"].astype(str).to_string()
    assert "0—14岁（人） (children)" in text and "PySAL inequality" in text
    again = load_computed(out)
    pd.testing.assert_frame_equal(again.groups.coverage.reset_index(drop=True),
                                  computed.groups.coverage.reset_index(drop=True),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(again.groups.equity, computed.groups.equity,
                                  check_dtype=False)


def test_a_study_without_groups_says_what_would_compute_them(county: Path,
                                                            tmp_path: Path) -> None:
    plain = run_study(_write(county, "plain.toml", _population("常住人口（人）")))
    assert plain.groups.coverage.empty
    write_outputs(plain, tmp_path / "out", parts=["report.html", "figures"])
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "[population] groups" in report and "65岁及以上" in report


def test_init_finds_the_age_columns(tmp_path: Path) -> None:
    write_census_ages(tmp_path / "分年龄人口.xlsx")
    found = scan_folder(tmp_path).best("population")
    assert found is not None
    assert found.options["count_col"] == "常住人口（人）"
    assert found.options["groups"] == GROUPS  # 0—14岁, 15—59岁, 60岁及以上, 65岁及以上
    assert found.options["partition"] == ["children", "working_age", "elderly_60"]
    columns = ["女性15-49岁", "育龄妇女人数", "60岁以上人口", "0～14岁(万人)", "65 岁及以上"]
    assert age_groups(columns) == {
        "女性15-49岁": "women_15_49", "60岁以上人口": "elderly_60", "0～14岁(万人)": "children",
        "65 岁及以上": "elderly_65"}
    text = study_text(scan_folder(tmp_path), tmp_path / "study.toml")
    assert 'groups = { "0—14岁（人）" = "children"' in text


def test_siting_for_a_group_equals_siting_on_a_population_of_that_group(
        county: Path, computed: ComputedStudy) -> None:
    alone = run_study(_write(county, "only_elderly_65.toml", _population("65岁及以上（人）")))
    mine = site(computed, standard="primary_care_30min", p=2, group="elderly_65")
    theirs = site(alone, standard="primary_care_30min", p=2)
    cols = ["id", "newly_covered_population"]
    pd.testing.assert_frame_equal(mine.table[cols], theirs.table[cols])
    assert any("population group elderly_65" in n for n in mine.notes)
    with pytest.raises(SitingError, match=r"group='elderly'.*did you mean 'elderly_65'"):
        site(computed, standard="primary_care_30min", p=2, group="elderly")


# ------------------------------------------------- a standard serving one group (population_group)

PRIMARY = "primary_care_30min"
#: a clinic opened at road crossing (0, 8) (东山镇's north-west corner), for geo compare
SCENARIO = """[scenario]
name = "clinic"

[[actions]]
action = "add"
id = "NEW1"
name = "新诊所"
type = "township_health_center"
lon = {lon}
lat = {lat}
"""


@pytest.fixture(scope="module")
def served(county: Path) -> ComputedStudy:
    """The groups' study whose primary care counts the people aged 65 and over."""
    return run_study(_write(county, "served.toml", _population(
        "常住人口（人）", groups=GROUPS, partition=["children", "working_age", "elderly_60"]),
        serves="elderly_65"))


@pytest.fixture(scope="module")
def elderly_only(county: Path) -> ComputedStudy:
    """A run whose population *is* the people aged 65 and over (count_col 65岁及以上)."""
    return run_study(_write(county, "only_elderly_65.toml", _population("65岁及以上（人）")))


def _rows(res: ComputedStudy, std: str) -> pd.DataFrame:
    both = pd.concat([res.coverage, res.summary.rename(columns={"area": "township"})[
        res.coverage.columns]], ignore_index=True)
    return both[both["standard"] == std].reset_index(drop=True)


def test_a_standard_serving_a_group_counts_that_group(
        served: ComputedStudy, computed: ComputedStudy, elderly_only: ComputedStudy) -> None:
    mine = _rows(served, PRIMARY)
    towns = mine[mine["township"] != served.area_name].set_index("township")
    # the census's 65岁及以上 per township (tests/synthetic_county.py), not everyone
    assert towns["population"].to_dict() == pytest.approx({t: a[3] for t, a in AGES.items()})
    # every measure equals a run whose population is the group
    pd.testing.assert_frame_equal(mine, _rows(elderly_only, PRIMARY), check_dtype=False)
    assert mine["covered_share"].lt(1).any()  # not trivially all covered
    # the other standards still count everyone
    pd.testing.assert_frame_equal(_rows(served, "emergency_1h"), _rows(computed, "emergency_1h"))
    assert any("primary_care_30min: its coverage and its target count the population group "
               "elderly_65 (65岁及以上（人）" in a for a in served.assumptions)
    # the group tables stay per group: their 'all' rows are everyone's, as without it
    cov, before = served.groups.coverage, computed.groups.coverage
    pd.testing.assert_frame_equal(cov.reset_index(drop=True), before.reset_index(drop=True))


def test_compare_counts_the_group_for_its_standard(
        served: ComputedStudy, elderly_only: ComputedStudy, county: Path) -> None:
    x, y = grid_xy(0, 8)
    lon, lat = TO_WGS84.transform(x, y)
    path = county / "scenarios" / "clinic.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SCENARIO.format(lon=lon, lat=lat), encoding="utf-8")
    mine = compare(served, path).table
    theirs = compare(elderly_only, path).table
    rows = mine[mine["standard"] == PRIMARY].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, theirs[theirs["standard"] == PRIMARY].reset_index(
        drop=True), check_dtype=False)
    assert rows["covered_population_change"].gt(0).any()  # the clinic reaches some elderly
    assert rows.set_index("township")["population"].drop(served.area_name).to_dict() == \
        pytest.approx({t: a[3] for t, a in AGES.items()})


def test_the_what_if_engine_and_the_workbench_count_the_group(
        served: ComputedStudy, elderly_only: ComputedStudy) -> None:
    engine = from_study(served)
    people = engine.tallies[PRIMARY].people()
    got = dict(zip(engine.townships, people["population"], strict=True))
    assert got == pytest.approx({t: a[3] for t, a in AGES.items()}, abs=1e-3)
    mine = CoverageTable(engine, served.population, served.area_name).rows(PRIMARY)
    other = from_study(elderly_only)
    theirs = CoverageTable(other, elderly_only.population, elderly_only.area_name).rows(PRIMARY)
    assert mine == theirs
    # the standard of everyone: the whole population
    every = engine.tallies["emergency_1h"].people()["population"]
    assert float(np.sum(every)) == pytest.approx(served.population.sum(), abs=1e-3)


# ------------------------------- measures and the response distribution with a group as demand

MEASURE = "primary_care_facilities_per_10000"
RESPONSE = "emergency_response_1h"
PRIMARY_TYPES = ["central_township_health_center", "township_health_center", "grade2_hospital",
                 "community_health_service_center"]


def _measured(county: Path, name: str, population: dict[str, Any], group: str = "") -> Path:
    serves = {"overrides": {MEASURE: {"population_group": group}}} if group else {}
    rserves = {"overrides": {RESPONSE: {"population_group": group}}} if group else {}
    return _write(county, name, population, measures={"use": [MEASURE], **serves},
                  response={"use": [RESPONSE], **rserves})


def test_a_measure_and_the_response_with_a_group_as_demand(county: Path) -> None:
    mine = run_study(_measured(county, "measured.toml", _population(
        "常住人口（人）", groups=GROUPS), group="elderly_65"))
    alone = run_study(_measured(county, "measured_alone.toml", _population("65岁及以上（人）")))
    # 2SFCA (1 per facility, 30 min, per 10,000) with the elderly as demand, by PySAL access
    fac = mine.facilities[mine.facilities["type"].isin(PRIMARY_TYPES)].reset_index(drop=True)
    secs = od_matrix(mine.networks["drive"], mine.demand_snap("drive"), mine.snap(fac, "drive"),
                     access_speed_kmh=mine.study.access_kmh("drive"))  # demand -> facility
    elderly = mine.demand[group_column("elderly_65")].to_numpy()
    pts, fs = np.nonzero(secs <= 30 * 60)
    acc = Access(demand_df=pd.DataFrame({"pop": elderly}, index=pd.Index(
                     np.arange(len(elderly)), name="geoid")), demand_value="pop",
                 supply_df=pd.DataFrame({"n": np.ones(len(fac))}, index=pd.Index(
                     np.arange(len(fac)) + 1_000_000, name="geoid")), supply_value="n",
                 cost_df=pd.DataFrame({"origin": pts, "dest": fs + 1_000_000,
                                       "cost": secs[pts, fs]}),
                 cost_origin="origin", cost_dest="dest", cost_name="cost")
    index = acc.two_stage_fca(max_cost=30 * 60).iloc[:, 0].reindex(
        np.arange(len(elderly))).fillna(0.0).to_numpy()
    table = mine.resources.measures.set_index("township")
    towns = mine.demand["township"].to_numpy()
    for town, ages in AGES.items():
        sel = towns == town
        assert table.loc[town, "population"] == pytest.approx(ages[3], abs=0.05)
        expected = (elderly[sel] * index[sel]).sum() / elderly[sel].sum() * 10_000
        assert table.loc[town, "ratio"] == pytest.approx(expected, rel=1e-9), town
    assert table["notes"].str.contains("demand: the population group elderly_65").all()
    # every number equals a run whose population is the group
    cols = ["township", "population", "unreached", "supply_reached", "ratio", "meets_target"]
    pd.testing.assert_frame_equal(mine.resources.measures[cols],
                                  alone.resources.measures[cols], check_dtype=False)
    # the response distribution counts the elderly: by hand from the response minutes
    rows = mine.resources.response
    rows = rows[rows["kind"] == "response"].set_index("township")
    response = mine.demand[f"response_min_{RESPONSE}"].to_numpy()
    for town in AGES:
        sel = towns == town
        m, p = response[sel], elderly[sel]
        assert rows.loc[town, "population"] == pytest.approx(p.sum(), abs=0.05)
        assert rows.loc[town, "share_within"] == pytest.approx(p[m <= 60].sum() / p.sum(),
                                                              abs=1e-12)
    theirs = alone.resources.response
    cols = ["township", "kind", "population", "median_minutes", "p90_minutes", "share_within"]
    pd.testing.assert_frame_equal(mine.resources.response[cols], theirs[cols],
                                  check_dtype=False)
    assert rows["notes"].str.contains("population group elderly_65").all()


def test_a_measure_naming_a_group_the_study_lacks_stops(county: Path) -> None:
    study = _measured(county, "measured_bad.toml", _population("常住人口（人）", groups=GROUPS),
                      group="elderly")
    with pytest.raises(StandardError, match=r"\[measures.primary_care_facilities_per_10000\] "
                       r"population_group = 'elderly' is not a population group.*did you "
                       r"mean 'elderly_65'"):
        run_study(study)


def test_the_group_sheet_marks_the_shares_below_target_red(computed: ComputedStudy,
                                                           tmp_path: Path) -> None:
    write_outputs(computed, tmp_path / "out", parts=["coverage.xlsx"])
    ws = openpyxl.load_workbook(tmp_path / "out" / "coverage.xlsx")["人群覆盖"]
    cov = computed.groups.coverage
    label = {"all": "全体人口", **{n: f"{c} ({n})" for c, n in GROUPS.items()}}
    # (standard's block, township, group label) of each row below its target, from the table
    blocks = [s for s in dict.fromkeys(cov["standard"])
              if cov.loc[cov["standard"] == s, "covered_share"].notna().any()]
    area = computed.area_name
    expected = {(blocks.index(r.standard), r.township if r.township != area
                 else f"{area}（全县合计）", label[r.group])
                for r in cov.itertuples() if r.standard in blocks and r.meets_target is False}
    assert len(expected) > 5  # primary care within 8 minutes: several townships short
    red, block, head = set(), -1, []
    for row in ws.iter_rows():
        first = row[0].value
        if isinstance(first, str) and first.endswith("各人群覆盖人口比例"):
            block += 1
        elif first == "乡镇":
            head = [c.value for c in row]
        elif block >= 0 and head:
            for c in row[1:]:
                if c.fill.fgColor.rgb in ("FFF4CCCC", "00F4CCCC"):
                    red.add((block, first, head[c.column - 1]))
    assert red == expected


def test_siting_for_a_standard_serving_a_group_weighs_by_that_group(
        served: ComputedStudy, elderly_only: ComputedStudy) -> None:
    mine = site(served, standard=PRIMARY, p=2)
    theirs = site(elderly_only, standard=PRIMARY, p=2)
    cols = ["id", "newly_covered_population"]
    pd.testing.assert_frame_equal(mine.table[cols], theirs.table[cols])
    assert any("population group elderly_65" in n for n in mine.notes)


def test_road_criticality_for_a_standard_serving_a_group_counts_that_group(
        served: ComputedStudy, elderly_only: ComputedStudy) -> None:
    mine, theirs = criticality(served, PRIMARY), criticality(elderly_only, PRIMARY)
    pd.testing.assert_frame_equal(mine.table, theirs.table)
    assert len(mine.table) and any("population group elderly_65" in n for n in mine.notes)


def test_the_report_says_which_group_a_standard_counts(served: ComputedStudy,
                                                       tmp_path: Path) -> None:
    write_outputs(served, tmp_path / "out", parts=["report.html", "figures"])
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "该标准的覆盖人口与目标按其服务人群计算" in report
    assert "count the population group elderly_65" in report
