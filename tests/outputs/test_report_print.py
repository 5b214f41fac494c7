"""The reports printed as a planner prints them: headless Chromium (Debian's), through the
same code as ``--pdf`` (geo.outputs.pdf), read back with PDFium (pypdfium2).

For the study report of the demo and the reports of the plan's three questions (siting,
designation, comparison): every page is A4 at most; every page carries "第 N 页，共 M
页" from the page's own CSS (not the browser's footer); every page is at least half full
(the lowest ink on the page, between the running header and the page number) except a
section's last page (the next page starts a section) and the last page. Every page is
kept as a PNG in maps/screenshots/ (generated, not in git).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("GEO_CHROMIUM", "/usr/bin/chromium"))
SHOTS = ROOT / "maps" / "screenshots"
A4 = (595.3, 841.9)  # points
# the @page margins of geo.outputs.document, in points
TOP, BOTTOM, SIDE = 16 / 25.4 * 72, 15 / 25.4 * 72, 13 / 25.4 * 72


@pytest.fixture(scope="module", autouse=True)
def chromium() -> None:
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI must have it: .ci/run installs it)")
        pytest.skip(message)


def _headings(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", h)).strip()
            for h in re.findall(r"<h2>(.*?)</h2>", page, flags=re.S)]


def _print(report: Path, tmp: Path, name: str) -> list[dict[str, Any]]:
    """Print ``report`` and read each page: size, text lines, fill, PNG in SHOTS."""
    import pypdfium2 as pdfium

    from geo.outputs.pdf import print_pdf

    pdf = print_pdf(report, tmp / f"{name}.pdf")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob(f"{name}_page*.png"):  # an earlier print's pages
        old.unlink()
    pages = []
    doc = pdfium.PdfDocument(str(pdf))
    for i, page in enumerate(doc, start=1):
        w, h = page.get_size()
        lines = [x.strip() for x in page.get_textpage().get_text_range().splitlines()
                 if x.strip()]
        scale = 1.0
        image = page.render(scale=scale).to_pil()
        image.save(SHOTS / f"{name}_page{i:02d}.png")
        ink = np.asarray(image.convert("L")) < 200
        top, bottom = round(TOP * scale), round((h - BOTTOM) * scale)
        rows = np.flatnonzero(ink[top:bottom].any(axis=1))
        fill = (rows.max() + 1) / (bottom - top) if len(rows) else 0.0
        cols = np.flatnonzero(ink[top:bottom].any(axis=0))
        right = (cols.max() + 1) / scale if len(cols) else 0.0
        pages.append({"size": (w, h), "lines": lines, "fill": fill, "right": right})
    doc.close()
    return pages


def _check(report: Path, tmp: Path, name: str) -> list[dict[str, Any]]:
    page_html = report.read_text(encoding="utf-8")
    headings = _headings(page_html)
    pages = _print(report, tmp, name)
    n = len(pages)
    for i, p in enumerate(pages, start=1):
        assert p["size"][0] <= A4[0] + 1 and p["size"][1] <= A4[1] + 1, (name, i, p["size"])
        # nothing runs over the right margin (a table wider than the page is cut there)
        assert p["right"] <= p["size"][0] - SIDE + 2, (name, i, p["right"])
        assert f"第 {i} 页，共 {n} 页" in p["lines"], (name, i, p["lines"][-2:])
        assert any(line.startswith(page_html.split("<title>")[1].split("</title>")[0][:10])
                   for line in p["lines"][:2]), (name, i)  # the running title
        if i == n:
            continue
        following = pages[i]["lines"][1:3]  # after the running header
        section_end = any(line.startswith(h[:12]) for line in following for h in headings)
        assert p["fill"] >= 0.5 or section_end, (name, i, round(p["fill"], 2), following)
    return pages


def test_study_report_prints_numbered_and_full(luzhai_demo: tuple[Any, Path],
                                              tmp_path: Path) -> None:
    pages = _check(luzhai_demo[1] / "report.html", tmp_path, "report")
    # summary, three standards, the measures, the response, assumptions and sources,
    # the appendix: each starting a page
    assert 7 <= len(pages) <= 10, len(pages)
    first = "\n".join(pages[0]["lines"])
    assert "目录" in first and "研究概要" in first and "假设条件" in first


def test_planning_reports_print_numbered_and_full(planning: dict[str, Any],
                                                  tmp_path: Path) -> None:
    for folder, name in (("site", "siting_report"), ("ems", "designation_report"),
                         ("planned", "comparison_report")):
        pages = _check(planning["dir"] / folder / "report.html", tmp_path, name)
        text = "\n".join(line for p in pages for line in p["lines"])
        assert "问题" in text and "结论" in text and "各乡镇实施前后对比" in text, name
        assert "假设条件" in text and "数据来源" in text, name


def test_a_second_county_prints_and_says_whose_standards(tmp_path: Path) -> None:
    """示例县 (tests/synthetic_county.py) through geo init and geo run --pdf: its report
    prints by the same rules, says that the standards are the Luzhai/Liuzhou plans' (geo
    init's study-local copy, not yet edited), and its map and report pages are kept."""
    from playwright.sync_api import sync_playwright

    from geo.cli import main
    from geo.outputs.pdf import CHROMIUM_ARGS
    from tests.study.test_own_county import make_county

    county = make_county(tmp_path / "示例县")
    assert main(["init", str(county)]) == 0
    assert (county / "standards.toml").is_file()  # to cite the county's own plan
    out = tmp_path / "out"
    assert main(["run", str(county / "study.toml"), "--out", str(out), "--pdf"]) == 0
    assert (out / "report.pdf").is_file()
    pages = _check(out / "report.html", tmp_path, "county2_report")
    text = "\n".join(line for p in pages for line in p["lines"])
    assert "标准与目标取自geo自带的标准文件" in text  # whose standards these are
    for name in ("东山镇", "中和镇", "新民乡"):
        assert name in text
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            tab = browser.new_context(offline=True,
                                      viewport={"width": 1366, "height": 768}).new_page()
            tab.goto((out / "map.html").as_uri(), wait_until="load")
            tab.wait_for_timeout(800)
            tab.screenshot(path=str(SHOTS / "county2_map.png"))
        finally:
            browser.close()
