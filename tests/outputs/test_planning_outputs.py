"""CSVs and workbooks of siting, designation and comparison, and formula-injection safety.

Workbook values are checked against the CSVs written beside them and against population
counts made here by one multi-source search per case (the routing engine's nearest search,
whose times the routing tests check against networkx), not against the workbook code.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.outputs import report, tables
from geo.outputs import write as study_outputs
from geo.outputs.results import read_gpkg
from geo.routing.travel import nearest_facility
from tests.outputs.conftest import HOSTILE

BOM = b"\xef\xbb\xbf"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
RED, GREEN = "FFF4CCCC", "FFD9EAD3"
LABEL = {"emergency_1h": "1小时应急反应圈", "primary_care_30min": "30分钟基层医疗服务圈",
         "rescue_2h": "2小时紧急医学救援圈", "community_15min": "15分钟社区卫生服务圈"}


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    return list(load_workbook(path)[name].iter_rows(values_only=True))


def _body(ws: Any, header_row: int) -> list[tuple[int, tuple[Any, ...]]]:
    return [(i, r) for i, r in enumerate(ws.iter_rows(min_row=header_row + 1,
                                                      values_only=True), header_row + 1)
            if any(v is not None for v in r)]


# --------------------------------------------------------------------------- injection


def test_every_csv_has_a_bom(planning: dict[str, Any], luzhai_demo: tuple[Any, Path]) -> None:
    paths = [*planning["dir"].rglob("*.csv"), *luzhai_demo[1].glob("*.csv")]
    assert len(paths) >= 9
    for path in paths:
        assert path.read_bytes().startswith(BOM), path  # Excel on a Chinese Windows: UTF-8


def test_formula_like_names_are_text_in_csv(planning: dict[str, Any]) -> None:
    changes = _csv_rows(planning["dir"] / "hostile" / "comparison_changes.csv")
    added = next(r for r in changes if r["action"] == "add")
    assert added["id"] == "'" + HOSTILE["id"]  # OWASP: a leading quote, the text kept
    assert added["project"] == "'" + HOSTILE["project"]
    assert added["note"] == "'" + HOSTILE["note"]
    for row in changes:
        for value in row.values():
            assert not value.startswith(TRIGGERS), value
    # a negative number stays a number: 拉沟乡 loses its health centre
    table = _csv_rows(planning["dir"] / "hostile" / "comparison_by_township.csv")
    lagou = next(r for r in table
                 if r["township"] == "拉沟乡" and r["standard"] == "primary_care_30min")
    assert lagou["covered_population_change"].startswith("-")
    assert float(lagou["covered_population_change"]) < 0
    frame = pd.read_csv(planning["dir"] / "hostile" / "comparison_by_township.csv")
    assert frame["covered_population_change"].dtype == float


def test_formula_like_township_names_in_coverage_outputs(
    luzhai_demo: tuple[Any, Path], tmp_path: Path
) -> None:
    res = read_gpkg(luzhai_demo[1] / "results.gpkg")
    names = {"拉沟乡": HOSTILE["name"], "江口乡": "+1", "导江乡": "-2+3", "平山镇": "@SUM(A1)",
             "中渡镇": "＝3+4"}  # full width, as an input method types it
    res.coverage["township"] = res.coverage["township"].replace(names)
    study_outputs._table(res, "coverage", tmp_path / "coverage.csv")  # the writer of `geo run`
    rows = _csv_rows(tmp_path / "coverage.csv")
    seen = {r["township"] for r in rows}
    assert {"'" + n for n in names.values()} <= seen, seen
    report.write_xlsx(res, tmp_path / "coverage.xlsx")
    wb = load_workbook(tmp_path / "coverage.xlsx")
    found = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if cell.value in names.values():
                    assert cell.data_type == "s" and cell.quotePrefix  # text, shown as given
                    found.add(cell.value)
    assert found == set(names.values())


def test_workbook_cells_are_never_formulas(planning: dict[str, Any]) -> None:
    books = list(planning["dir"].rglob("*.xlsx"))
    assert {p.name for p in books} == {"siting.xlsx", "designation.xlsx", "comparison.xlsx"}
    for path in books:
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path, ws.title, cell.value)
    ws = load_workbook(planning["dir"] / "hostile" / "comparison.xlsx")["变动"]
    values = {c.value for row in ws.iter_rows() for c in row}
    assert {HOSTILE["id"], HOSTILE["project"], HOSTILE["note"]} <= values  # exactly as given
    sheet = load_workbook(planning["dir"] / "hostile" / "comparison.xlsx")[
        LABEL["primary_care_30min"]]
    lagou = next(row for row in sheet.iter_rows() if row[0].value == "拉沟乡")
    assert lagou[4].data_type == "n" and lagou[4].value < 0  # a negative change: a number
    assert lagou[4].number_format.startswith("+#,##0;-#,##0")


def test_neutralise_touches_text_only() -> None:
    frame = pd.DataFrame({"name": ["=1+1", "ok", "-x", None], "change": [-5.0, 1.0, -0.5, 0]})
    safe = tables.safe_frame(frame)
    assert safe["name"].tolist()[:3] == ["'=1+1", "ok", "'-x"] and pd.isna(safe["name"][3])
    assert safe["change"].tolist() == [-5.0, 1.0, -0.5, 0]


# --------------------------------------------------------------------------- workbooks


def _within(res: Any, ids: list[str], minutes: float) -> pd.Series:
    """Population within ``minutes`` of any of ``ids``, by township (one nearest search)."""
    net = res.networks["drive"]
    fac = res.facilities[res.facilities["id"].isin(ids)]
    secs, _ = nearest_facility(net, res.snap(fac, "drive"), res.demand_snap("drive"),
                               access_speed_kmh=res.study.access_kmh("drive"))
    pop = res.demand["population"].to_numpy(dtype=float)
    inside = pd.Series(np.where(secs <= 60 * minutes, pop, 0.0))
    return inside.groupby(res.demand["township"].astype(str).to_numpy()).sum()


def test_designation_workbook(planning: dict[str, Any]) -> None:
    folder, run = planning["dir"] / "ems", planning["runs"]["ems"]
    book = folder / "designation.xlsx"
    assert load_workbook(book).sheetnames == ["选址", "乡镇", "汇总", "说明与来源"]
    sites = _sheet(book, "选址")
    assert sites[2][:3] == ("序号", "编号", "名称") and sites[2][7] == "新增覆盖人口（人）"
    table = pd.read_csv(folder / "designation.csv")
    body = [r for r in sites[3:] if r[0] is not None]
    assert [r[1] for r in body[:-1]] == table["id"].tolist()
    assert [r[7] for r in body[:-1]] == pytest.approx(table["newly_covered_population"].tolist())
    total = body[-1]
    assert total[2] == "鹿寨县（全县合计）"
    assert total[7] == pytest.approx(table["newly_covered_population"].sum())
    # townships: counted here from the bases today and with the three chosen
    res = run.study
    bases = res.facilities.loc[res.facilities["type"].isin(run.standard.facility_types), "id"]
    before = _within(res, bases.tolist(), 30)
    after = _within(res, [*bases, *table["id"]], 30)
    ws = load_workbook(book)["乡镇"]
    rows = {r[0]: (i, r) for i, r in _body(ws, 2)}
    assert ws.cell(2, 1).value == "乡镇" and ws.cell(2, 3).value == "实施前覆盖人口（人）"
    # 30 minutes asked of a 60-minute standard: the minutes asked, and no target or pass/fail
    # (the plan's 100 % is for 60 minutes)
    title = str(ws.cell(1, 1).value)
    assert "≤ 30 分钟" in title and "针对60分钟" in title and "不评价是否达标" in title
    headers = [c.value for c in ws[2] if c.value]
    assert "目标（%）" not in headers and "实施后达标情况" not in headers
    for town in res.townships["township"]:
        i, r = rows[town]
        assert r[2] == pytest.approx(before[town], abs=0.5)
        assert r[3] == pytest.approx(after[town], abs=0.5)
        share = after[town] / r[1]
        assert r[6] == pytest.approx(share)
        assert "未达标" not in r and ws.cell(i, 1).fill.fgColor.rgb != RED
    i, total = rows["鹿寨县（全县合计）"]
    assert ws.cell(i, 1).font.bold
    summary = pd.read_csv(folder / "designation_summary.csv").set_index("minutes")
    assert total[1] == pytest.approx(337_298, abs=1)  # the census total
    assert total[2] == pytest.approx(summary.loc[30.0, "covered_before"], abs=0.1)
    assert total[3] == pytest.approx(summary.loc[30.0, "covered_after"], abs=0.1)
    assert total[5] == pytest.approx(summary.loc[30.0, "covered_before"] / 337_298, abs=1e-5)
    assert ws.cell(i, 6).number_format == "0.0%"
    sheet = [r for r in _sheet(book, "汇总")[2:] if r[0] is not None]
    assert [r[0] for r in sheet] == summary.index.tolist()
    assert [r[3] for r in sheet] == pytest.approx(summary["covered_after"].tolist())


def test_comparison_workbook(planning: dict[str, Any]) -> None:
    book = planning["dir"] / "planned" / "comparison.xlsx"
    wb = load_workbook(book)
    # community_15min applies neither before nor after: no sheet (the notes say why)
    assert wb.sheetnames == [*list(LABEL.values())[:3], "变动", "说明与来源"]
    table = pd.read_csv(planning["dir"] / "planned" / "comparison_by_township.csv")
    for std in ("emergency_1h", "primary_care_30min", "rescue_2h"):
        ws = wb[LABEL[std]]
        assert ws.cell(3, 5).value == "覆盖人口变化（人）"
        rows = _body(ws, 3)
        expected = table[table["standard"] == std]
        towns = expected[expected["township"] != "鹿寨县"]
        assert [r[0] for _, r in rows[:-1]] == towns["township"].tolist()
        for (_, r), e in zip(rows[:-1], towns.to_dict("records"), strict=True):
            assert r[2] == pytest.approx(e["covered_population_before"])
            assert r[3] == pytest.approx(e["covered_population_after"])
            assert r[4] == pytest.approx(e["covered_population_change"])
            assert r[7] == pytest.approx(e["covered_share_change"])
        i, total = rows[-1]
        county = expected[expected["township"] == "鹿寨县"].iloc[0]
        assert total[0] == "鹿寨县（全县合计）" and ws.cell(i, 1).font.bold
        assert total[3] == pytest.approx(county["covered_population_after"])
        assert sum(r[1] for _, r in rows[:-1]) == pytest.approx(total[1], abs=1)
    ws = wb[LABEL["primary_care_30min"]]
    for i, r in _body(ws, 3)[:-1]:  # only 导江乡 gains (the P01 move); nobody loses
        assert (ws.cell(i, 1).fill.fgColor.rgb == GREEN) is (r[0] == "导江乡"), r[0]
    changes = [r for r in wb["变动"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert [r[0] for r in changes][:3] == ["P01", "P05", "P06"]
    assert any(r[1] == "未纳入的项目" and r[0] == "P03" for r in changes)
    hostile = load_workbook(planning["dir"] / "hostile" / "comparison.xlsx")[
        LABEL["primary_care_30min"]]
    lagou = next(i for i, r in _body(hostile, 3) if r[0] == "拉沟乡")
    assert hostile.cell(lagou, 1).fill.fgColor.rgb == RED  # loses its health centre
    notes = "\n".join(str(c) for r in wb["说明与来源"].iter_rows(values_only=True) for c in r if c)
    assert "left out P03" in notes and "OpenStreetMap" in notes
    assert notes.count("approximate township areas") == 1


def test_siting_workbook(planning: dict[str, Any]) -> None:
    folder, run = planning["dir"] / "site", planning["runs"]["site"]
    table = pd.read_csv(folder / "siting.csv")
    assert len(table) == 3
    sites = [r for r in _sheet(folder / "siting.xlsx", "选址")[3:] if r[0] is not None]
    assert [r[1] for r in sites[:-1]] == table["id"].tolist()
    assert sites[-1][6] == pytest.approx(table["newly_covered_population"].sum())  # no type
    assert sites[-1][7] == pytest.approx(table["cumulative_covered_share"].iloc[-1])
    ws = load_workbook(folder / "siting.xlsx")["乡镇"]
    rows = _body(ws, 2)
    total = rows[-1][1]
    assert total[2] == pytest.approx(run.result.base_covered, abs=0.5)
    assert total[3] == pytest.approx(
        run.result.base_covered + table["newly_covered_population"].sum(), abs=1.0)
    assert sum(r[4] for _, r in rows[:-1]) == pytest.approx(total[4], abs=0.5)
    for i, r in rows[:-1]:
        assert (ws.cell(i, 1).fill.fgColor.rgb == RED) is (r[8] == "未达标")


def test_each_planning_folder_holds_exactly_its_declared_files(planning: dict[str, Any]) -> None:
    from geo.outputs.planning import COMPARISON_FILES, DESIGNATION_FILES, SITING_FILES

    base = planning["dir"]
    for folder, names in (("site", SITING_FILES), ("ems", DESIGNATION_FILES),
                          ("planned", COMPARISON_FILES)):
        assert sorted(p.name for p in (base / folder).iterdir()) == sorted(names)


# --------------------------------------------------------------------------- change details

# what each change reads in a Chinese study, worked out here from the English words the CSV
# keeps (geo compare's own): the verbs by hand, the types by their shipped Chinese names
_TYPE_ZH = {"township_health_center": "乡镇卫生院", "central_township_health_center": "中心卫生院",
            "grade2_hospital": "二级医院", "county_general_hospital": "县级综合医院"}


def _said_in_chinese(action: str, detail: str) -> str:
    import re

    if action == "move":
        m = re.fullmatch(r"moved ([\d,]+) m", detail)
        assert m, detail
        return f"迁移 {m.group(1)} 米"
    if action == "retype":
        old, new = detail.split(" -> ")
        return f"{_TYPE_ZH[old]} → {_TYPE_ZH[new]}"
    if action == "add":
        return "新增" + _TYPE_ZH[detail.removeprefix("new ")]
    assert (action, detail) == ("close", "closed")
    return "关闭"


def test_changes_are_said_in_the_studys_language(planning: dict[str, Any]) -> None:
    import json

    import geopandas as gpd

    for name in ("planned", "hostile"):
        folder = planning["dir"] / name
        rows = _csv_rows(folder / "comparison_changes.csv")
        assert rows and {r["action"] for r in rows} <= {"move", "retype", "add", "close"}
        said = [_said_in_chinese(r["action"], r["detail"]) for r in rows]
        cells = {str(c) for r in _sheet(folder / "comparison.xlsx", "变动") for c in r}
        assert set(said) <= cells, (said, cells)
        assert not {r["detail"] for r in rows} & cells  # no English detail in the workbook
        layer = gpd.read_file(folder / "comparison.gpkg", layer="changes")
        assert sorted(layer["detail"]) == sorted(said)
        page = (folder / "report.html").read_text(encoding="utf-8")
        tips = (folder / "comparison_map.html").read_text(encoding="utf-8")
        for text in said:
            assert text in page, text
            assert text in tips or json.dumps(text)[1:-1] in tips, text
