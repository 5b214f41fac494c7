"""report.html, coverage.xlsx and `geo map` on the outputs of the Luzhai study.

Expected values come from the CSV tables written beside them, the standards file and the
census total, not from the report code.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.cli import main
from geo.numbers import number_text, share_text
from tests.conftest import ROOT

STANDARDS = tomllib.loads((ROOT / "analysis" / "standards.toml").read_text(encoding="utf-8"))
USED = ["emergency_1h", "primary_care_30min", "rescue_2h", "community_15min"]
APPLICABLE = USED[:3]
SHEETS = {k: STANDARDS[k]["label_zh"] for k in USED}


@pytest.fixture(scope="module")
def out(luzhai_demo: tuple[Any, Path]) -> Path:
    return luzhai_demo[1]


def test_report_is_self_contained_and_complete(out: Path) -> None:
    page = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="https?:', page)  # nothing to fetch: prints offline
    images = re.findall(r'<img class="(map|chart)" src="data:image/png;base64,', page)
    assert len(images) == 2 * len(APPLICABLE)  # community_15min: left out of the body
    assert "@page" in page and "break-before:page" in page  # printable, a page per standard
    assert "counter(page)" in page and "counter(pages)" in page  # the page's own numbers
    table = pd.read_csv(out / "coverage_by_township.csv")
    for town in table["township"].unique():
        assert town in page
    for key in USED:
        std = STANDARDS[key]
        assert std["label_zh"] in page and std["section"] in page  # label and its source
    assert "正文不列出" in page  # the standard that does not apply: one line saying why
    emergency = table[table["standard"] == "emergency_1h"]
    for share, target in zip(emergency["covered_share"], emergency["target_share"],
                             strict=True):
        assert share_text(share, target) in page
    for text in ("假设条件", "乡镇范围为近似范围", "人口均匀分布", "数据来源",
                 "© OpenStreetMap contributors", "不适用"):
        assert text in page, text
    # "not applicable" as a sentence naming the facility types, never a Python list
    assert "不适用：本研究区没有社区卫生服务中心或社区卫生服务站" in page
    assert "[&#x27;" not in page and "['" not in page


def test_workbook_one_sheet_per_standard_formatted(out: Path) -> None:
    wb = load_workbook(out / "coverage.xlsx")
    # luzhai.toml: one measure, its workload, the response model and the measures not
    # computed (with the data that would enable them), before the sources
    assert wb.sheetnames == ["汇总", *SHEETS.values(), "30分钟内每万常住人口基层医疗卫生机构数",
                             "机构服务人口", "急救反应", "指标说明", "说明与来源"]
    table = pd.read_csv(out / "coverage_by_township.csv")
    ws = wb[SHEETS["primary_care_30min"]]
    headers = [c.value for c in ws[3]]
    assert headers[:4] == ["乡镇", "人口（人）", "覆盖人口（人）", "覆盖人口比例（%）"]
    assert all(c.font.bold for c in ws[3])
    *rows, total = list(ws.iter_rows(min_row=4, values_only=True))
    expected = table[table["standard"] == "primary_care_30min"].set_index("township")
    assert [r[0] for r in rows] == expected.index.tolist()
    assert total[0] == "鹿寨县（全县合计）" and total[1] == pytest.approx(337_298, abs=1)
    assert ws.cell(ws.max_row, 1).font.bold
    assert sum(r[1] for r in rows) == pytest.approx(337_298, abs=1)  # the census total
    for r in rows:
        assert r[3] == pytest.approx(expected.loc[r[0], "covered_share"])
        assert r[5] == ("达标" if expected.loc[r[0], "meets_target"] else "未达标")
    share_cell = ws.cell(row=4, column=4)
    assert share_cell.number_format == "0.0%"
    failing = [r[0] for r in rows if r[5] == "未达标"]
    assert failing
    for i, r in enumerate(rows, start=4):
        fill = ws.cell(row=i, column=1).fill.fgColor.rgb
        assert (fill[-6:] == "F4CCCC") is (r[0] in failing)
    sources = [c for row in wb["说明与来源"].iter_rows(values_only=True) for c in row if c]
    text = "\n".join(map(str, sources))
    for key in USED:
        assert STANDARDS[key]["source"] in text
    assert "OpenStreetMap" in text and "approximate township areas" in text


def test_geo_map_redraws_without_recomputing(out: Path, tmp_path: Path) -> None:
    target = tmp_path / "rescue.html"
    assert main(["map", str(out / "results.gpkg"), "--standard", "rescue_2h",
                 "--out", str(target)]) == 0
    page = target.read_text(encoding="utf-8")
    assert "2小时紧急医学救援圈" in page and "(rescue_2h" in page
    assert "approximate township areas" in page
    assert [p.name for p in tmp_path.iterdir()] == ["rescue.html"]  # no temp file left


def test_geo_map_unknown_standard_keeps_good_map(
    out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "map.html"
    target.write_text("good map", encoding="utf-8")
    code = main(["map", str(out / "results.gpkg"), "--standard", "dental_20min",
                 "--out", str(target)])
    assert code == 2
    err = capsys.readouterr().err
    assert "dental_20min" in err and "emergency_1h" in err and "--standard" in err
    assert target.read_text(encoding="utf-8") == "good map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_geo_map_missing_layer_or_file(
    out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    partial = tmp_path / "old.gpkg"
    gpd.read_file(out / "results.gpkg", layer="facilities").to_file(partial, layer="facilities")
    assert main(["map", str(partial), "--out", str(tmp_path / "m.html")]) == 2
    msg = capsys.readouterr().err
    assert "lacks layer(s)" in msg and "townships" in msg and "re-run the study" in msg
    assert main(["map", str(tmp_path / "nope.gpkg"), "--out", str(tmp_path / "m.html")]) == 2
    err = capsys.readouterr().err  # the positional argument's value, no Python words
    assert f"error: {tmp_path / 'nope.gpkg'}: no such file" in err and "redraw_map" not in err
    text = tmp_path / "notes.gpkg"
    text.write_text("not a geopackage", encoding="utf-8")
    assert main(["map", str(text), "--out", str(tmp_path / "m.html")]) == 2
    assert "GeoPackage" in capsys.readouterr().err
    assert not (tmp_path / "m.html").exists()


def test_outputs_replace_an_earlier_run_whole(luzhai_demo: tuple[Any, Path],
                                              tmp_path: Path) -> None:
    from geo.outputs.write import write_outputs

    target = tmp_path / "run"
    shutil.copytree(luzhai_demo[1], target)
    (target / "figures" / "stale.png").write_bytes(b"old")
    write_outputs(luzhai_demo[0], target)
    assert not (target / "figures" / "stale.png").exists()  # the folder is swapped whole
    assert (target / "figures" / "share_rescue_2h.png").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_report_and_workbook_hold_the_measures_and_the_response(out: Path) -> None:
    """The numbers as results.gpkg stores them (read with geopandas, not the writers)."""
    measures = gpd.read_file(out / "results.gpkg", layer="measures")
    response = gpd.read_file(out / "results.gpkg", layer="response")
    page = (out / "report.html").read_text(encoding="utf-8")
    for text in ("资源配置与可及性", "院前急救反应", "如何计算未列出的指标",
                 "文件所述全县数字（非本研究计算）", "beds_per_1000_2025", "5.22 per 1,000",
                 "国卫医发〔2020〕19号", "3分钟出车率达到95%", "到达医院时间（反应+现场+送医）"):
        assert text in page, text
    for ratio in measures["ratio"]:
        assert number_text(ratio) in page
    for median in response["median_minutes"]:
        assert f"{median:.1f}" in page
    wb = load_workbook(out / "coverage.xlsx")
    ws = wb["急救反应"]
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]]
    assert len(rows) == len(response) == 2 * 10  # response and care, 9 townships + county
    for r, (_, want) in zip(rows, response.iterrows(), strict=True):
        town = r[2].removesuffix("（全县合计）")  # the whole area's row says so
        assert (r[0], r[1], town) == (want["response"], want["kind"], want["township"])
        assert r[4] == pytest.approx(want["median_minutes"])
        assert r[7] == (None if pd.isna(want["share_within"]) else
                        pytest.approx(want["share_within"]))
    failing = [r[2] for r in rows if r[8] == "未达标"]
    assert "拉沟乡" in failing and "鹿寨镇" not in failing
    sheet = wb["30分钟内每万常住人口基层医疗卫生机构数"]
    assert "facility" in str(sheet["A2"].value) or "机构" in str(sheet["A2"].value)
    got = [r[3] for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]
    assert got == pytest.approx(list(measures["ratio"]))
    notes = "\n".join(str(c) for row in wb["指标说明"].iter_rows(values_only=True)
                      for c in row if c)
    assert "beds_per_1000_2025" in notes and "卫生健康统计年报" in notes
