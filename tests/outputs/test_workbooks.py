"""Every sheet of every workbook of the demo and of the plan's questions is print-ready
(tests/outputs/workbook_checks.py): A4, one page wide, headers repeated, footer with the
title and page numbers, total rows, Chinese sheet names of at most 31 characters. The
batch workbook is checked in tests/batch/test_batch_cluster.py with the same checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.outputs.workbook_checks import check_workbook


def test_coverage_workbook_is_print_ready(luzhai_demo: tuple[Any, Path]) -> None:
    names = check_workbook(luzhai_demo[1] / "coverage.xlsx")
    assert names[0] == "汇总" and names[-1] == "说明与来源"
    ws = load_workbook(luzhai_demo[1] / "coverage.xlsx")["汇总"]
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]]
    assert [r[0].split(" (")[1].rstrip(")") for r in rows] == [
        "emergency_1h", "primary_care_30min", "rescue_2h", "community_15min"]
    assert rows[0][4] == load_workbook(luzhai_demo[1] / "coverage.xlsx")[
        "1小时应急反应圈"].cell(13, 4).value  # the county's share, as on its own sheet


def test_planning_workbooks_are_print_ready(planning: dict[str, Any]) -> None:
    books = sorted(planning["dir"].rglob("*.xlsx"))
    assert len(books) == 4
    for path in books:
        check_workbook(path)
