"""The demo map in a real browser: headless Chromium (Debian's), network off.

Opens the ``map.html`` that the Luzhai study (``make demo``) writes, with the browser context
offline, and checks what a planner sees: no JavaScript error except the failed OpenStreetMap
tile requests, the title block and legend, every standard's travel-time layer toggling on
and off, and a facility popup. Screenshots go to ``maps/screenshots/`` (generated, not kept
in git): ``map_overview.png``, ``map_popup.png``, ``map_bands_<standard>.png``, ``map_en.png``.

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright's Python API (never
``playwright install``). Where it is missing the test is skipped, except under CI (``CI`` set),
where ``.ci/run`` installs it and a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.cli import main
from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("GEO_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "maps" / "screenshots"
TILE = re.compile(r"^https://tile\.openstreetmap\.org/\d+/\d+/\d+\.png$")
STANDARDS = tomllib.loads((ROOT / "analysis" / "standards.toml").read_text(encoding="utf-8"))
USED = ["emergency_1h", "primary_care_30min", "rescue_2h", "community_15min"]  # luzhai.toml


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI must have it: .ci/run installs it)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class _Page:
    """A page opened offline, recording JS errors and failed requests."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.context = browser.new_context(offline=True, viewport={"width": 1280, "height": 860})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.failed: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.console.append(
            (m.text, m.location.get("url", ""))))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_selector(".leaflet-marker-icon.geo-facility")
        self.page.wait_for_timeout(500)

    def only_tile_errors(self) -> None:
        assert self.errors == [], self.errors
        assert self.failed, "no tile request failed: was the OSM base layer drawn at all?"
        assert all(TILE.match(u) for u in self.failed), [u for u in self.failed
                                                         if not TILE.match(u)]
        for text, url in self.console:  # "Failed to load resource" of the tiles only
            assert TILE.match(url) and "ERR_INTERNET_DISCONNECTED" in text, (text, url)

    def overlay(self, name: str) -> Any:
        return self.page.locator(".leaflet-control-layers-overlays label").filter(has_text=name)

    def paths(self) -> int:
        return int(self.page.locator(".leaflet-overlay-pane path").count())


@pytest.fixture(scope="module")
def demo_map(luzhai_demo: tuple[Any, Path]) -> Path:
    return luzhai_demo[1] / "map.html"


@pytest.fixture(scope="module")
def opened(browser: Any, demo_map: Path) -> Iterator[_Page]:
    page = _Page(browser, demo_map)
    yield page
    page.context.close()


def test_offline_page_has_no_errors_but_tiles(opened: _Page, demo_map: Path) -> None:
    opened.only_tile_errors()
    html = demo_map.read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src="http', html)  # everything inlined
    SHOTS.mkdir(parents=True, exist_ok=True)
    opened.page.screenshot(path=str(SHOTS / "map_overview.png"))


def test_title_and_legend_show_the_study_and_assumptions(opened: _Page) -> None:
    title = opened.page.inner_text(".geo-title")
    assert "鹿寨县医疗卫生设施可达性" in title
    assert "1小时应急反应圈" in title and "emergency_1h" in title  # luzhai.toml map_standard
    assert "乡镇范围为近似范围" in title and "approximate township areas" in title
    assert "人口均匀分布" in title and "spread evenly" in title
    assert "© OpenStreetMap contributors" in title
    legend = opened.page.inner_text(".geo-legend")
    for text in ("图例", "目标 100%", "乡镇未达标", "未覆盖人口", "0–15 分钟", ">120 分钟",
                 "县级综合医院", "中心卫生院", "乡镇卫生院", "需求网格"):
        assert text in legend, text
    scale = opened.page.inner_text(".leaflet-control-scale")
    assert "km" in scale
    assert opened.page.locator(".leaflet-control-zoom-fullscreen").count() == 1
    assert opened.page.locator(".leaflet-control-measure").count() == 1
    attribution = opened.page.inner_text(".leaflet-control-attribution")
    assert "OpenStreetMap" in attribution and "contributors" in attribution


def test_each_standard_layer_toggles(opened: _Page) -> None:
    for key in USED:
        label = STANDARDS[key]["label_zh"]
        row = opened.overlay(f"出行时间分带: {label} ({key})")
        assert row.count() == 1, f"no band layer for {key}"
        box = row.locator("input")
        was = box.is_checked()
        assert not was  # bands are off at first: the township shares read clearly
        before = opened.paths()
        box.click()
        assert box.is_checked() is not was
        after = opened.paths()
        if key == "community_15min":  # not applicable: nothing to draw, and says so
            assert after == before
            assert "不适用" in row.inner_text()
        else:
            assert after != before, key
            opened.page.screenshot(path=str(SHOTS / f"map_bands_{key}.png"))
        box.click()
        assert box.is_checked() is was and opened.paths() == before
    for name in ("乡镇覆盖比例: 1小时应急反应圈 (emergency_1h)", "医疗卫生机构", "研究区边界",
                 "未覆盖人口: 30分钟基层医疗服务圈 (primary_care_30min)"):
        assert opened.overlay(name).count() == 1, name
    opened.only_tile_errors()


def test_facility_popup_names_tier_and_road_minutes(opened: _Page) -> None:
    hospital = opened.page.locator(".geo-facility .geo-icon", has_text="H")
    assert hospital.count() == 1  # the county general hospital
    hospital.click()
    popup = opened.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    for value in ("鹿寨县人民医院", "Luzhai County People's Hospital", "县级综合医院",
                  "Grade 2A (二级甲等)", "county seat (approx.)", "县级医疗机构",
                  "到最近同层级机构", "按道路行车", "同一位置"):
        assert value in text, value
    opened.page.wait_for_timeout(400)  # let the popup's fade-in finish before the screenshot
    opened.page.screenshot(path=str(SHOTS / "map_popup.png"))
    assert (SHOTS / "map_popup.png").stat().st_size < 300_000
    opened.page.keyboard.press("Escape")


def test_english_redraw_from_results(browser: Any, luzhai_demo: tuple[Any, Path],
                                     tmp_path: Path) -> None:
    out = tmp_path / "map_en.html"
    gpkg = luzhai_demo[1] / "results.gpkg"
    assert main(["map", str(gpkg), "--standard", "primary_care_30min", "--language", "en",
                 "--out", str(out)]) == 0
    page = _Page(browser, out)
    try:
        page.only_tile_errors()
        title = page.page.inner_text(".geo-title")
        assert "30-minute primary care circle" in title and "Assumptions" in title
        assert "Target 100%" in page.page.inner_text(".geo-legend")
        assert page.overlay("Uncovered population: 30-minute primary care circle "
                            "(primary_care_30min)").locator("input").is_checked()
        assert page.overlay("Travel-time bands: 30-minute primary care circle "
                            "(primary_care_30min)").count() == 1
        page.page.screenshot(path=str(SHOTS / "map_en.png"))
    finally:
        page.context.close()
