"""One number everywhere: every number of the coverage tables reads the same in the report,
the map, the CSVs and the workbook of the demo.

The CSVs hold the numbers; each deliverable is read back as its reader sees it: the
report's table cells as text, the map's township tooltips as text, the workbook's cells
as a spreadsheet displays them (value and number format, rounded half away from zero as
Excel and LibreOffice do: an independent formatter here, with Python's decimal module).
The display rule they must all follow (half up; a share below its target never shown as
the target) is tested by hand in tests/test_numbers.py.
"""

from __future__ import annotations

import html
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.numbers import minutes_text, people_text, share_text

LABEL = {"emergency_1h": "1小时应急反应圈", "primary_care_30min": "30分钟基层医疗服务圈",
         "rescue_2h": "2小时紧急医学救援圈"}


def _half_up(value: float, decimals: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def excel_text(value: Any, number_format: str) -> str:
    """A cell as a spreadsheet shows it, for the formats geo writes."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    fmt = number_format.split(";")[0]
    if fmt.endswith("%"):
        places = len(fmt.partition(".")[2].rstrip("%"))
        return f"{_half_up(value * 100, places):.{places}f}%"
    places = len(fmt.partition(".")[2])
    if fmt.startswith("#,##0"):
        return f"{_half_up(value, places):,.{places}f}"
    return f"{_half_up(value, places):.{places}f}"


def _cells(row_html: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row_html, flags=re.S)]


def _report_rows(page: str, std: str) -> dict[str, list[str]]:
    section = page.split(f'<section id="std-{std}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section.split("<tbody>", 1)[1], flags=re.S)
    return {cells[0]: cells for cells in map(_cells, rows)}


def _expected(r: dict[str, Any]) -> dict[str, str]:
    return {"population": people_text(r["population"]),
            "covered_population": people_text(r["covered_population"]),
            "covered_share": share_text(r["covered_share"], r["target_share"]),
            "median_minutes": minutes_text(r["median_minutes"]),
            "p90_minutes": minutes_text(r["p90_minutes"]),
            "max_minutes": minutes_text(r["max_minutes"])}


#: columns of the report's and the workbook's township tables
COLUMNS = {"population": 1, "covered_population": 2, "covered_share": 3,
           "median_minutes": 6, "p90_minutes": 7, "max_minutes": 8}


@pytest.fixture(scope="module")
def demo(luzhai_demo: tuple[Any, Path]) -> dict[str, Any]:
    out = luzhai_demo[1]
    return {
        "towns": pd.read_csv(out / "coverage_by_township.csv", encoding="utf-8-sig"),
        "summary": pd.read_csv(out / "coverage_summary.csv", encoding="utf-8-sig"),
        "page": (out / "report.html").read_text(encoding="utf-8"),
        "map": (out / "map.html").read_text(encoding="utf-8"),
        "book": load_workbook(out / "coverage.xlsx"),
    }


def test_report_table_cells_equal_the_csv_as_displayed(demo: dict[str, Any]) -> None:
    towns, summary = demo["towns"], demo["summary"]
    checked = 0
    for std in LABEL:
        shown = _report_rows(demo["page"], std)
        for r in towns[towns["standard"] == std].to_dict("records"):
            for col, want in _expected(r).items():
                assert shown[r["township"]][COLUMNS[col]] == want, (std, r["township"], col)
                checked += 1
        whole = summary[summary["standard"] == std].iloc[0].to_dict()
        total = shown["鹿寨县（全县合计）"]
        for col, want in _expected(whole).items():
            assert total[COLUMNS[col]] == want, (std, col)
    assert checked == 3 * 9 * 6


def test_workbook_cells_display_as_the_csv(demo: dict[str, Any]) -> None:
    towns, summary = demo["towns"], demo["summary"]
    for std, sheet in LABEL.items():
        ws = demo["book"][sheet]
        rows = {ws.cell(i, 1).value: i for i in range(4, ws.max_row + 1)}
        records = [*towns[towns["standard"] == std].to_dict("records"),
                   {**summary[summary["standard"] == std].iloc[0].to_dict(),
                    "township": "鹿寨县（全县合计）"}]
        for r in records:
            i = rows[r["township"]]
            for col, want in _expected(r).items():
                cell = ws.cell(i, COLUMNS[col] + 1)
                assert excel_text(cell.value, cell.number_format) == want, \
                    (std, r["township"], col, cell.value, cell.number_format)


def test_map_tooltips_show_the_csv_numbers(demo: dict[str, Any]) -> None:
    towns = demo["towns"]
    # the townships' GeoJSON features carry their tooltip as a JSON string
    tips = [json.loads(t) for t in re.findall(r'"tooltip": ("(?:[^"\\]|\\.)*")', demo["map"])]
    text = [html.unescape(re.sub(r"<[^>]+>", " ", t)) for t in tips if "geo-tip" in t]
    assert len(text) >= 4 * 9
    for r in towns[towns["standard"].isin(list(LABEL))].to_dict("records"):
        want = _expected(r)
        covered = f"{want['covered_share']} ({want['covered_population']} 人)"
        minutes = f"{want['median_minutes']} 分钟 / {want['max_minutes']} 分钟"
        assert any(r["township"] in t and covered in t and minutes in t and
                   want["population"] in t for t in text), (r["standard"], r["township"])


def test_summary_agrees_everywhere(demo: dict[str, Any]) -> None:
    """The county line of each standard: report summary, workbook 汇总, CSV."""
    summary = demo["summary"]
    ws = demo["book"]["汇总"]
    book = {str(ws.cell(i, 1).value).split(" (")[-1].rstrip(")"): i
            for i in range(4, ws.max_row + 1) if ws.cell(i, 1).value}
    report = demo["page"].split('<section id="summary"', 1)[1].split("</section>", 1)[0]
    for r in summary[summary["standard"].isin(list(LABEL))].to_dict("records"):
        want = _expected(r)
        i = book[r["standard"]]
        for col, j in (("population", 3), ("covered_population", 4), ("covered_share", 5)):
            cell = ws.cell(i, j)
            assert excel_text(cell.value, cell.number_format) == want[col], (r["standard"], col)
        row = next(c for c in map(_cells, re.findall(r"<tr[^>]*>(.*?)</tr>", report,
                                                     flags=re.S)) if c and r["standard"] in c[0])
        assert row[2:5] == [want["population"], want["covered_population"],
                            want["covered_share"]], r["standard"]


def test_excel_text_reads_formats_as_a_spreadsheet_does() -> None:
    """The independent formatter itself, by hand."""
    assert excel_text(34_418.5, "#,##0") == "34,419"
    assert excel_text(0.9996, "0.00%") == "99.96%"
    assert excel_text(0.9996, "0.0%") == "100.0%"  # why a share keeps its decimals
    assert excel_text(23.45, "0.0") == "23.5"
