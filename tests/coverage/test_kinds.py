"""A standard limited to township kinds (街道, 镇, 乡): the kinds read from the 12-digit code
(GB/T 10114-2003) or the name, the rows it does not apply to "not applicable", the whole
area counting only the townships it applies to, the same in the coverage tables, `geo
compare` and the workbench's table, and stated in the outputs.

The expected numbers come from the construction: the synthetic county's census
(tests/synthetic_county.py: 3 镇 and 3 乡 with their 常住人口), and hand sums on a few points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.coverage.kinds import Scope, kind_of_code, kind_of_name, scopes
from geo.coverage.standards import Standard
from geo.coverage.tables import area_rows, coverage_table
from geo.errors import StandardError
from geo.planning.compare import compare
from geo.serve.table import CoverageTable
from geo.study.run import ComputedStudy, run_study
from geo.whatif.baseline import from_study
from tests.serve.test_api import assert_table_is_compare
from tests.study.test_own_county import _init, make_county
from tests.synthetic_county import RESIDENTS, TOWNSHIPS

TOWNS = {t[0]: "镇" if t[0].endswith("镇") else "乡" for t in TOWNSHIPS}
ZHEN = sum(RESIDENTS[n] for n, k in TOWNS.items() if k == "镇")  # 106,426
XIANG = sum(RESIDENTS[n] for n, k in TOWNS.items() if k == "乡")  # 37,839


def test_kind_of_code_follows_gb_t_10114() -> None:
    # digits 7-9: 001-099 街道, 100-199 镇, 200-399 乡, 400-599 政企合一 (其他)
    assert [kind_of_code(c) for c in ("450202001000", "450202099000", "450223100000",
                                      "450223199000", "450223200000", "450223399000",
                                      "450223400000", "450223599000")] == \
        ["街道", "街道", "镇", "镇", "乡", "乡", "其他", "其他"]
    assert kind_of_code("450223000000") is None  # the county's own code, no township
    assert kind_of_code("450223600000") is None and kind_of_code("4502231") is None


def test_kind_of_name_reads_the_ending() -> None:
    assert [kind_of_name(n) for n in ("公园街道办事处", "城中街道", "雒容镇", "江口乡",
                                      "大瑶山瑶族乡", "某苏木", "鹿寨", "城区")] == \
        ["街道", "街道", "镇", "乡", "乡", "乡", None, None]


def _std(**kw: object) -> Standard:
    base: dict[str, object] = {"name": "s", "label": "s", "minutes": 30.0, "mode": "drive",
                                   "direction": "to_facility", "facility_types": ("x",),
                                   "target_share": 0.9, "source": "doc", "section": "1"}
    return Standard(**{**base, **kw})  # type: ignore[arg-type]


def test_table_counts_only_the_townships_it_applies_to() -> None:
    # A (镇): 100 people at 10 min, 50 at 40 min; B (乡): 200 at 5 min; C (镇): 30 at 20 min
    std = _std(township_kinds=("镇",))
    towns = pd.DataFrame({"township": ["A镇", "B乡", "C镇"]})
    found = scopes([std], towns)
    assert found["s"].townships == ["A镇", "C镇"]
    town = np.array(["A镇", "A镇", "B乡", "C镇"], dtype=object)
    pop = np.array([100.0, 50.0, 200.0, 30.0])
    raw = {"s": np.array([10.0, 40.0, 5.0, 20.0])}
    minutes = {"s": np.where(found["s"].mask(town), raw["s"], np.nan)}
    table = coverage_table(town, pop, minutes, [std], {}, ["A镇", "B乡", "C镇"], found)
    rows = table.set_index("township")
    assert rows.loc["A镇", "covered_population"] == 100.0
    assert rows.loc["A镇", "covered_share"] == pytest.approx(100 / 150, abs=1e-4)
    assert not rows.loc["A镇", "meets_target"] and rows.loc["A镇", "note"] == ""
    assert rows.loc["B乡", "population"] == 200.0  # its people shown, nothing else
    assert np.isnan(rows.loc["B乡", "covered_population"])
    assert np.isnan(rows.loc["B乡", "covered_share"]) and pd.isna(rows.loc["B乡", "meets_target"])
    assert rows.loc["B乡", "note"].startswith("not applicable: the standard applies to 镇")
    area = area_rows(pop, minutes, [std], {}, "county").iloc[0]
    # A and C only: 180 people, 130 within 30 minutes (B's 200 at 5 minutes not counted)
    assert (area["population"], area["covered_population"]) == (180.0, 130.0)
    assert area["covered_share"] == pytest.approx(130 / 180, abs=1e-4)
    # sorted: 100 people at 10, 30 at 20, 50 at 40; the 90th of 180 people is among the first
    # 100 (with B's 200 at 5 minutes it would be 5)
    assert area["median_minutes"] == 10.0


def test_a_code_rule_without_codes_stops_with_the_fix() -> None:
    std = _std(township_kinds=("街道",), township_kind_by="code")
    with pytest.raises(StandardError, match=r"no valid code \(A镇\).*seat_code_col.*"
                                            r'township_kind_by = "name"'):
        scopes([std], pd.DataFrame({"township": ["A镇"], "code": [""]}))
    with pytest.raises(StandardError, match="no valid code"):
        scopes([std], pd.DataFrame({"township": ["A镇"]}))


def test_code_or_name_reads_liuzhous_seats() -> None:
    """The default rule on the Liuzhou seats: 19 街道办事处, 51 镇, 34 乡 and 新兴工业园, whose
    name has no kind and whose code 450206400000 says 其他 (400-599)."""
    from geo.readers import read_table
    seats = read_table(Path(__file__).parents[2] / "data/boundaries/liuzhou_township_seats.csv")
    towns = pd.DataFrame({"township": seats["township"].astype(str),
                          "code": seats["nbs_code_2016"].astype(str)})
    scope = scopes([_std(township_kinds=("街道",))], towns)["s"]
    assert scope.by == "code_or_name" and scope.kind_of["新兴工业园"] == "其他"
    assert scope.present() == "街道 19, 镇 51, 乡 34, 其他 1"
    assert all(t.endswith("街道办事处") for t in scope.townships) and len(scope.townships) == 19
    # without codes its name stops the run, naming it
    with pytest.raises(StandardError, match=r"neither from a 12-digit township code .*"
                                            r"\(新兴工业园\)"):
        scopes([_std(township_kinds=("街道",))], towns.drop(columns="code"))


def test_a_name_without_a_kind_stops_naming_it() -> None:
    with pytest.raises(StandardError, match=r"end in none of .*\(鹿寨\).*鹿寨镇, not 鹿寨.*"
                                            r'township_kind_by = "code"'):
        scopes([_std(township_kinds=("镇",), township_kind_by="name")],
               pd.DataFrame({"township": ["鹿寨", "拉沟乡"]}))


def test_an_unknown_kind_is_refused_by_the_schema(tmp_path: Path) -> None:
    from geo.coverage.standards import load_standards
    from tests.conftest import toml_sections
    text = toml_sections({"s": {"label": "s", "minutes": 30, "mode": "drive",
                                    "direction": "to_facility",
                                    "facility_types": ["township_health_center"],
                                    "target_share": 1.0, "source": "d", "section": "1",
                                    "township_kinds": ["城区"]}})
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    with pytest.raises(StandardError, match=r"township_kinds.*城区.*街道"):
        load_standards(tmp_path / "s.toml")


# --------------------------------------------------------------------------- a study


def _limited(folder: Path, kinds: list[str], by: str = "name") -> Path:
    """The synthetic county with primary care limited to ``kinds`` at 600 minutes: everyone
    the standard applies to is within reach (roads every 2 km)."""
    study = _init(make_county(folder))
    text = study.read_text(encoding="utf-8")
    study.write_text(text + "\n[standards.overrides.primary_care_30min]\nminutes = 600\n"
                     f"township_kinds = {kinds!r}\ntownship_kind_by = \"{by}\"\n"
                     .replace("'", '"'), encoding="utf-8")
    return study


@pytest.fixture(scope="module")
def zhen(tmp_path_factory: pytest.TempPathFactory) -> ComputedStudy:
    return run_study(_limited(tmp_path_factory.mktemp("kinds") / "示例县", ["镇"]))


def test_study_counts_the_towns_only(zhen: ComputedStudy) -> None:
    cov = zhen.coverage[zhen.coverage["standard"] == "primary_care_30min"].set_index("township")
    for name, kind in TOWNS.items():
        row = cov.loc[name]
        assert row["population"] == RESIDENTS[name]  # the census, whatever the kind
        if kind == "镇":
            assert row["covered_population"] == RESIDENTS[name] and row["meets_target"]
        else:
            assert np.isnan(row["covered_population"]) and pd.isna(row["meets_target"])
            assert "applies to 镇 townships only" in row["note"]
    total = zhen.summary.set_index("standard").loc["primary_care_30min"]
    assert (total["population"], total["covered_population"]) == (ZHEN, ZHEN)
    assert total["covered_share"] == 1.0 and total["townships_failing"] == 0
    # every other standard counts everyone
    assert set(zhen.summary.loc[zhen.summary["standard"] != "primary_care_30min",
                                "population"]) == {ZHEN + XIANG}
    said = [a for a in zhen.assumptions if a.startswith("primary_care_30min: applied to 镇")]
    assert len(said) == 1 and "3 of 6 townships" in said[0]
    for name in TOWNS:
        assert name in said[0]
    assert zhen.scopes["primary_care_30min"].townships == [
        n for n in zhen.township_order if TOWNS[n] == "镇"]


def test_code_rule_gives_the_same_townships(tmp_path: Path) -> None:
    from geo.study.prepare import Preparation
    from geo.study.schema import load_study
    prep = Preparation(load_study(_limited(tmp_path / "c", ["镇"], by="code")))
    scope = prep.scopes["primary_care_30min"]
    assert scope.by == "code" and set(scope.townships) == {n for n, k in TOWNS.items()
                                                           if k == "镇"}


def test_kinds_no_township_has_make_it_not_applicable(tmp_path: Path) -> None:
    done = run_study(_limited(tmp_path / "c", ["街道"]))
    row = done.summary.set_index("standard").loc["primary_care_30min"]
    assert row["note"] == ("not applicable: no township of kind 街道 in this study (by the end "
                           "of the township name: 街道/街道办事处 街道, 镇 镇, 乡/苏木 乡; the "
                           "study has 镇 3, 乡 3)")
    assert np.isnan(row["covered_share"])
    assert "primary_care_30min" not in done.travel.minutes


def test_compare_and_workbench_apply_it_the_same_way(zhen: ComputedStudy,
                                                     tmp_path: Path) -> None:
    # a new township health centre in 西河乡 (a 乡): nothing changes for the standard there
    lon, lat = zhen.demand.to_crs(4326).geometry.iloc[0].coords[0]
    scen = tmp_path / "new.toml"
    scen.write_text(f'[[actions]]\naction = "add"\nid = "NEW-001"\nname = "新卫生院"\n'
                    f'type = "township_health_center"\nlon = {lon}\nlat = {lat}\n',
                    encoding="utf-8")
    comp = compare(zhen, str(scen))
    rows = comp.table[comp.table["standard"] == "primary_care_30min"].set_index("township")
    for name, kind in TOWNS.items():
        if kind == "乡":
            assert rows.loc[name, ["covered_population_before", "covered_population_after"]
                            ].isna().all()
    area = rows.loc[zhen.area_name]
    assert (area["population"], area["covered_population_after"]) == (ZHEN, ZHEN)
    # the comparison's report, workbook and GeoPackage read 不适用 there, never "–"
    from geo.outputs.planning_tables import comparison_rows
    shown = comparison_rows(comp, "primary_care_30min").set_index("township")["meets_target"]
    assert {n: shown[n] for n in TOWNS} == {n: "不适用" if k == "乡" else True
                                           for n, k in TOWNS.items()}
    engine = from_study(zhen)
    table = CoverageTable(engine, zhen.population, zhen.area_name)
    edit = engine.add("NEW-001", "township_health_center", lon, lat)
    table.update(edit.changed)
    tables = {name: table.rows(name) for name in engine.standards}
    assert_table_is_compare(tables, comp.table)
    applies = {r["township"]: r["applies"] for r in tables["primary_care_30min"]["rows"]}
    assert applies == {n: k == "镇" for n, k in TOWNS.items()}
    from geo.serve.layers import static_layers
    page = {s["name"]: s for s in static_layers(zhen)["standards"]}["primary_care_30min"]
    assert page["scope_short"] == "只适用于镇" and page["scope"].startswith(
        "primary_care_30min：只适用于镇（")  # the list's label and the table's caption
    m = engine.minutes("primary_care_30min")
    np.testing.assert_array_equal(np.isnan(m), ~zhen.scopes["primary_care_30min"].mask(
        zhen.demand["township"]))


def test_outputs_state_it(zhen: ComputedStudy, tmp_path: Path) -> None:
    from geo.outputs.i18n import note
    from geo.outputs.write import write_outputs
    out = tmp_path / "out"
    write_outputs(zhen, out)
    report = (out / "report.html").read_text(encoding="utf-8")
    line = note(next(a for a in zhen.assumptions if a.startswith("primary_care_30min:")), "zh")
    assert line.startswith("primary_care_30min：只适用于镇（按乡镇名称结尾") and line in report
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "30分钟基层医疗服务圈</b> (primary_care_30min, ≤ 600 分钟, 目标 100%) · 只适用于镇（" \
        in page
    # the tooltip of a 乡 (its GeoJSON, escaped) says why it is not applicable
    assert "不适用：该标准只适用于镇".encode("unicode_escape").decode() in page
    import openpyxl
    book = openpyxl.load_workbook(out / "coverage.xlsx")
    texts = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert line in texts
    sheet = book["30分钟基层医疗服务圈"]
    status = {r[0]: r[5] for r in sheet.iter_rows(values_only=True) if r[0] in TOWNS}
    assert status == {n: "达标" if k == "镇" else "不适用" for n, k in TOWNS.items()}
    assert ('<td class="t">西河乡</td><td class="n">12,408</td><td class="n">–</td><td '
            'class="n">–</td><td class="n">100%</td><td class="n">不适用</td>') in report
    import geopandas as gpd
    meta = "\n".join(gpd.read_file(out / "results.gpkg", layer="metadata")["value"].astype(str))
    assert "primary_care_30min: applied to 镇 townships only" in meta
    from geo.outputs.reload import load_computed
    again = load_computed(out)  # the same townships, the same rows, without routing
    assert again.scopes["primary_care_30min"].townships == zhen.scopes[
        "primary_care_30min"].townships
    again_rows = again.coverage[again.coverage["standard"] == "primary_care_30min"]
    assert again_rows["covered_population"].isna().sum() == 3
    import rasterio
    with rasterio.open(out / "travel_time" / "primary_care_30min.tif") as src:
        assert "a township the standard does not apply to" in src.tags()["NODATA_MEANS"]


def test_scope_statement_names_every_township() -> None:
    s = Scope("x", ("街道",), "code", {"甲街道": "街道", "乙镇": "镇"})
    assert s.statement() == (
        "x: applied to 街道 townships only (by digits 7-9 of the 12-digit township code, "
        "GB/T 10114-2003: 001-099 街道, 100-199 镇, 200-399 乡, 400-599 其他): 1 of 2 "
        "townships (甲街道); not applicable to 乙镇; the whole area's row counts only the "
        "townships it applies to")


def test_siting_and_criticality_count_the_towns_only(zhen: ComputedStudy) -> None:
    from geo.planning.resilience import criticality
    from geo.planning.sites import site
    run = site(zhen, standard="primary_care_30min", p=1, minutes=10, spacing_m=4000)
    assert run.problem.weights.sum() == ZHEN  # the 乡's people weigh nothing
    inside = zhen.scopes["primary_care_30min"].mask(zhen.demand["township"])
    assert not run.covered()[~inside].any()
    from geo.outputs.planning_tables import siting_by_township
    rows = siting_by_township(run).set_index("township")
    assert rows.loc[zhen.area_name, "population"] == ZHEN
    assert rows.loc[[n for n, k in TOWNS.items() if k == "乡"], "covered_after"].isna().all()
    assert (rows.loc[[n for n, k in TOWNS.items() if k == "乡"], "meets_target"] == "不适用"
            ).all()
    assert any(n.startswith("primary_care_30min: applied to 镇") for n in run.notes)
    ranking = criticality(zhen, "primary_care_30min", minutes=10)
    assert len(ranking.table) > 0  # the run's minutes agree where the standard applies


def test_siting_a_standard_that_applies_nowhere_stops(tmp_path: Path) -> None:
    from geo.errors import SitingError
    from geo.planning.sites import site
    done = run_study(_limited(tmp_path / "c", ["街道"]))
    with pytest.raises(SitingError, match=r"no township of kind 街道.*township_kinds"):
        site(done, standard="primary_care_30min", p=1)
