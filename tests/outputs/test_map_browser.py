"""The demo map in a real browser: headless Chromium (Debian's), network off.

Opens the ``map.html`` that the Luzhai study (``make demo``) writes, and the siting,
designation and comparison maps of the plan's questions, with the browser context offline,
on a 1366×768 window (a common office laptop), and checks what a planner sees: no
JavaScript error except the failed OpenStreetMap tile requests, the title block and legend,
township names, one standard on screen at a time (the switch swaps townships, bands and gaps
together), the folded assumptions clear of the county, a metric-only scale, a facility popup,
and what each planning map shows on opening. It also prints ``report.html`` to PDF and counts
the A4 pages. Screenshots go to ``maps/screenshots/`` (generated, not kept in git; see
``maps/README.md``).

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
MEASURE = "primary_care_facilities_per_10000"  # luzhai.toml [measures] use
RESPONSE = "emergency_response_1h"  # luzhai.toml [response] use
TOWNSHIPS_SLOT = "乡镇（按当前标准或指标着色）"


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

    def __init__(self, browser: Any, path: Path, width: int = 1366, height: int = 768) -> None:
        self.context = browser.new_context(offline=True,
                                           viewport={"width": width, "height": height})
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

    def paths(self, css: str = "") -> int:
        return int(self.page.locator(f".leaflet-overlay-pane path{css}").count())

    def shapes(self, css: str) -> list[tuple[str | None, str | None]]:
        """(fill, d) of every drawn path of class ``css``."""
        return [tuple(x) for x in self.page.eval_on_selector_all(
            f".leaflet-overlay-pane path{css}",
            "els => els.map(e => [e.getAttribute('fill'), e.getAttribute('d')])")]

    def box(self, css: str) -> dict[str, float]:
        found = self.page.locator(css).first.bounding_box()
        assert found, css
        return dict(found)

    def labels(self) -> list[tuple[str, dict[str, float]]]:
        out = []
        for el in self.page.locator(".geo-town-label div").all():
            found = el.bounding_box()
            assert found is not None
            out.append((el.inner_text(), dict(found)))
        return out

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(SHOTS / name))


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
    opened.shot("map_overview.png")


def test_title_and_legend_show_the_study_and_assumptions(opened: _Page) -> None:
    title = opened.page.inner_text(".geo-title")
    assert "鹿寨县医疗卫生设施可达性" in title
    assert "1小时应急反应圈" in title and "emergency_1h" in title  # luzhai.toml map_standard
    assert "© OpenStreetMap contributors" in title
    details = opened.page.locator(".geo-title > details")
    assert details.get_attribute("open") is None  # folded: one click shows the assumptions
    # five assumptions, the road coverage that luzhai.toml accepts ([checks] accept) and
    # the 15-minute community standard's township kinds (街道 only: none in Luzhai)
    assert "假设条件 (7)" in title
    assert not opened.page.locator(".geo-title > details li").first.is_visible()
    details.locator("summary").click()
    title = opened.page.inner_text(".geo-title")
    assert "乡镇范围为近似范围" in title and "approximate township areas" in title
    assert "人口均匀分布" in title and "spread evenly" in title
    assert "研究已明确接受" in title and "163,770 people (48.6%" in title
    assert "community_15min：不适用：本研究区没有街道" in title
    details.locator("summary").click()
    legend = opened.page.inner_text(".geo-legend")
    for text in ("图例", "目标 100%", "乡镇达标（蓝色）", "乡镇未达标", "未覆盖人口", "0–15",
                 ">120", "县级综合医院", "中心卫生院", "乡镇卫生院", "需求网格"):
        assert text in legend, text
    assert legend.count("目标 100%") == 1  # one colour bar: the standard shown
    scale = opened.page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1  # metric only: no miles line
    assert re.fullmatch(r"\d+ (km|m)", scale.inner_text().strip())
    assert opened.page.locator(".leaflet-control-zoom-fullscreen").count() == 1
    assert opened.page.locator(".leaflet-control-measure").count() == 1
    attribution = opened.page.inner_text(".leaflet-control-attribution")
    assert "OpenStreetMap" in attribution and "contributors" in attribution


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(w, 0.0) * max(h, 0.0)


def test_boxes_leave_the_county_clear_at_1366x768(opened: _Page) -> None:
    county = opened.box(".leaflet-overlay-pane path.geo-boundary")
    area = county["width"] * county["height"]
    for css in (".geo-title", ".geo-legend", ".leaflet-control-layers", ".geo-standards"):
        assert _overlap(opened.box(css), county) < 0.03 * area, css
    assert opened.box(".geo-title")["height"] < 200


def test_panels_never_overlap_at_1366x768(opened: _Page) -> None:
    """The legend stays below the standard switch and the layer list (with the measures'
    choices and overlays they reach a third of the way down)."""
    legend = opened.box(".geo-legend")
    for css in (".leaflet-control-layers:not(.geo-standards)", ".geo-standards", ".geo-title"):
        assert _overlap(opened.box(css), legend) == 0, css


def test_bands_turn_the_townships_to_outlines_above_them(opened: _Page) -> None:
    """With the travel-time bands on, no band colour mixes with a pass or fail fill (the
    townships are drawn unfilled, above the bands: their red outlines stay in sight), and
    the band colours are none of the pass/fail colours."""
    from geo.outputs.map.layers import BAND_COLOURS, FAIL_RAMP, PASS_FILL

    assert not set(BAND_COLOURS) & {*FAIL_RAMP, PASS_FILL}
    town = opened.page.locator("path.geo-town").first
    assert float(town.evaluate("e => getComputedStyle(e).fillOpacity")) > 0
    bands = opened.overlay("出行时间分带").locator("input")
    bands.click()
    try:
        opened.page.wait_for_timeout(300)
        assert float(town.evaluate("e => getComputedStyle(e).fillOpacity")) == 0
        order = opened.page.evaluate("""() => {
            const all = [...document.querySelectorAll('.leaflet-overlay-pane path')];
            const last = cls => Math.max(...all.map((e, i) =>
                e.classList.contains(cls) ? i : -1));
            const first = cls => all.findIndex(e => e.classList.contains(cls));
            return [last('geo-band'), first('geo-town')];
        }""")
        assert order[0] >= 0 and order[1] > order[0]  # every band under the townships
        opened.shot("map_bands.png")
    finally:
        bands.click()
    opened.page.wait_for_timeout(200)
    assert float(town.evaluate("e => getComputedStyle(e).fillOpacity")) > 0


def test_print_view_puts_the_legend_beside_the_map(opened: _Page) -> None:
    """Printed (A4 landscape): no controls, the title and legend in a column right of the
    map, clear of the county; a north arrow and the scale bar stay."""
    page = opened.page
    page.emulate_media(media="print")
    try:
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_timeout(500)
        county = opened.box(".leaflet-overlay-pane path.geo-boundary")
        for css in (".geo-legend", ".geo-title"):
            assert _overlap(opened.box(css), county) == 0, css
        for css in (".leaflet-control-layers", ".leaflet-control-zoom", ".geo-standards"):
            assert not page.locator(css).first.is_visible(), css
        assert page.locator(".geo-north").is_visible()
        assert page.locator(".leaflet-control-scale-line").is_visible()
        opened.shot("map_print.png")
    finally:
        page.emulate_media(media="screen")
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        page.wait_for_timeout(300)


def test_township_names_are_readable(opened: _Page, luzhai_demo: tuple[Any, Path]) -> None:
    towns = set(luzhai_demo[0].townships["township"])
    labels = opened.labels()
    assert {text for text, _ in labels} == towns and len(labels) == len(towns)
    viewport = {"x": 0, "y": 0, "width": 1366, "height": 768}
    icons = [dict(b) for el in opened.page.locator(".geo-facility").all()
             if (b := el.bounding_box())]
    for i, (text, box) in enumerate(labels):
        assert _overlap(box, viewport) == box["width"] * box["height"], text  # on screen
        assert box["height"] >= 14, text  # 13 px bold: readable at county zoom
        for other, box2 in labels[i + 1 :]:
            assert _overlap(box, box2) == 0, (text, other)
        assert all(_overlap(box, icon) == 0 for icon in icons), text


def test_standard_switch_swaps_townships_bands_and_gaps(
    opened: _Page, luzhai_demo: tuple[Any, Path]
) -> None:
    summary = luzhai_demo[0].summary.set_index("standard")
    switch = opened.page.locator(".geo-standards")
    radios = switch.locator("input[type=radio]")
    assert radios.count() == len(USED) + 2  # and the measure and the response spec
    assert switch.locator("input:checked").get_attribute("value") == "emergency_1h"
    bands = opened.overlay("出行时间分带").locator("input")
    assert not bands.is_checked()  # bands off at first: the township shares read clearly
    assert opened.overlay("未覆盖人口").locator("input").is_checked()
    assert opened.paths(".geo-band") == 0 and opened.paths(".geo-gap") > 0
    towns = opened.shapes(".geo-town")
    assert len(towns) == 9
    bands.click()
    seen = {}
    for key in USED:
        switch.locator(f"input[value={key}]").check()
        label = STANDARDS[key]["label_zh"]
        shown = [t for t in opened.page.locator(".geo-title [data-geo-std]").all()
                 if t.is_visible()]
        assert len(shown) == 1 and label in shown[0].inner_text()
        assert key in shown[0].inner_text()
        # its colour bar, and the coverage keys shown for every standard
        assert opened.page.locator(".geo-legend [data-geo-std]:visible").count() == 2
        assert bands.is_checked()  # the bands stay on: now those of the new standard
        seen[key] = (opened.shapes(".geo-town"), opened.shapes(".geo-band"),
                     opened.shapes(".geo-gap"))
        if key == "community_15min":  # not applicable: grey, nothing else to draw
            assert {f for f, _ in seen[key][0]} == {"#bdbdbd"}
            assert seen[key][1] == [] and seen[key][2] == []
            assert "不适用" in shown[0].inner_text()
        else:
            assert seen[key][1], key
            # a gap wherever someone is beyond reach (rescue_2h reaches everyone)
            assert bool(seen[key][2]) is bool(summary.loc[key, "covered_share"] < 1), key
            opened.shot(f"map_standard_{key}.png")
    for a, b in (("emergency_1h", "primary_care_30min"), ("primary_care_30min", "rescue_2h")):
        for kind, (one, two) in zip(("townships", "bands", "gaps"), zip(seen[a], seen[b],
                                                                        strict=True),
                                    strict=True):
            assert one != two, (a, b, kind)  # all three kinds switched together
    assert seen["emergency_1h"][0] == towns  # the same colouring as on opening
    switch.locator("input[value=emergency_1h]").check()
    bands.click()
    assert opened.paths(".geo-band") == 0 and opened.shapes(".geo-town") == towns
    for name in (TOWNSHIPS_SLOT, "乡镇名称", "医疗卫生机构", "研究区边界"):
        assert opened.overlay(name).count() == 1, name
    opened.only_tile_errors()


def _legend_fills(page: _Page, key: str) -> list[str]:
    """Background colours of the legend swatches of ``key``'s classes, in order."""
    return [str(c) for c in page.page.eval_on_selector_all(
        f'.geo-legend [data-geo-std="{key}"] .geo-sw',
        "els => els.map(e => getComputedStyle(e).backgroundColor)")]


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_measure_layers_switch_and_match_the_table(
        opened: _Page, luzhai_demo: tuple[Any, Path]) -> None:
    import geopandas as gpd

    gpkg = luzhai_demo[1] / "results.gpkg"
    table = gpd.read_file(gpkg, layer="measures")
    table = table[(table["measure"] == MEASURE) & (table["level"] == "township")]
    classes = gpd.read_file(gpkg, layer=f"access_{MEASURE}")  # one layer per measure, kind
    assert set(classes["name"]) == {MEASURE} and set(classes["kind"]) == {"access"}
    switch = opened.page.locator(".geo-standards")
    cells = opened.overlay("网格可及性指数").locator("input")
    assert opened.paths(".geo-cell") == 0 and not cells.is_checked()  # off at first
    switch.locator(f"input[value={MEASURE}]").check()
    title = [t for t in opened.page.locator(".geo-title [data-geo-std]").all() if t.is_visible()]
    assert len(title) == 1 and "30分钟内每万常住人口基层医疗卫生机构数" in title[0].inner_text()
    assert opened.paths(".geo-gap") == 0  # the standard's layers went with it
    assert opened.paths(".geo-basin") == 9 and opened.paths(".geo-workload") == 9
    cells.click()
    assert opened.paths(".geo-cell") == int((classes["cells"] > 0).sum())
    opened.shot("map_measure.png")
    # each township's fill is the legend swatch of the class its ratio falls in (by hand
    # from the class bounds in results.gpkg: 0 alone, then (lo, hi])
    legend = _legend_fills(opened, MEASURE)[:len(classes)]
    bounds = list(zip(classes["lo"], classes["hi"], strict=True))
    shown = [str(f) for f, _ in opened.shapes(".geo-town")]
    assert len(set(shown)) >= 4  # several classes on screen
    expected = []
    for ratio in table["ratio"]:
        k = next(i for i, (lo, hi) in enumerate(bounds)
                 if (lo == hi == ratio) or lo < ratio <= hi)
        expected.append(legend[k])
    assert sorted(_rgb(f) for f in shown) == sorted(expected)
    town = opened.labels()[[t for t, _ in opened.labels()].index("江口乡")][1]
    opened.page.mouse.move(town["x"] + town["width"] / 2, town["y"] + town["height"] + 8)
    tip = opened.page.locator(".leaflet-tooltip").filter(has_text="江口乡")
    tip.wait_for()
    ratio = float(table.set_index("township").loc["江口乡", "ratio"])
    assert f"{ratio:,.4g}" in tip.inner_text()
    cells.click()
    switch.locator(f"input[value={RESPONSE}]").check()
    rows = gpd.read_file(gpkg, layer="response")
    rows = rows[(rows["kind"] == "response") & (rows["level"] == "township")]
    from geo.outputs.map.layers import PASS_FILL

    fills_now = [f for f, _ in opened.shapes(".geo-town")]
    assert fills_now.count(PASS_FILL) == int(rows["meets_target"].sum()) == 3
    assert opened.paths(".geo-basin") == 0 and opened.paths(".geo-workload") == 0
    assert "1小时院前急救反应" in opened.page.inner_text(".geo-title")
    opened.shot("map_response.png")
    switch.locator("input[value=emergency_1h]").check()
    opened.only_tile_errors()


def test_pass_and_fail_colours_differ(opened: _Page, luzhai_demo: tuple[Any, Path]) -> None:
    from geo.outputs.map.layers import PASS_FILL

    cov = luzhai_demo[0].coverage
    rows = cov[cov["standard"] == "emergency_1h"]
    fills = [f for f, _ in opened.shapes(".geo-town")]
    passing = int(rows["meets_target"].astype(bool).sum())
    assert fills.count(PASS_FILL) == passing and 0 < passing < len(rows)
    assert all(f != PASS_FILL and int(f[1:3], 16) > int(f[5:7], 16)  # warm: red over blue
               for f in fills if f != PASS_FILL)


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
    opened.shot("map_popup.png")
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
        assert page.overlay("Uncovered population").locator("input").is_checked()
        assert page.overlay("Travel-time bands").count() == 1
        checked = page.page.locator(".geo-standards input:checked")
        assert checked.get_attribute("value") == "primary_care_30min"
        assert {t for t, _ in page.labels()} == set(luzhai_demo[0].townships["township"])
        page.shot("map_en.png")
    finally:
        page.context.close()


# --------------------------------------------------------------------------- planning maps


def _planning_page(browser: Any, path: Path, towns: set[str]) -> _Page:
    page = _Page(browser, path)
    page.only_tile_errors()
    assert {t for t, _ in page.labels()} == towns  # township names on every planning map
    assert page.paths(".geo-town") == len(towns)  # township outlines with tooltips
    assert page.paths(".geo-boundary") == 1
    marks = [b for el in page.page.locator(".geo-facility, .geo-chosen").all()
             if (b := el.bounding_box())]
    for text, box in page.labels():  # names clear of facility and chosen-site markers
        assert all(_overlap(box, dict(mark)) == 0 for mark in marks), text
    scale = page.page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and "km" in scale.inner_text()
    return page


@pytest.mark.parametrize("which", ["site", "ems"])
def test_siting_maps_show_the_answer_on_opening(
    browser: Any, planning: dict[str, Any], which: str
) -> None:
    run = planning["runs"][which]
    name = "siting_map.html" if which == "site" else "designation_map.html"
    towns = set(run.study.townships["township"])
    page = _planning_page(browser, planning["dir"] / which / name, towns)
    try:
        mins = f"{run.minutes:g}"
        for layer in (f"现状{mins}分钟内可达", f"新增{mins}分钟内可达", "选定站点（按序号）",
                      "乡镇名称", "乡镇（边界与数据）"):
            assert page.overlay(layer).locator("input").is_checked(), layer
        assert not page.overlay("候选点").locator("input").is_checked()
        assert page.paths(".geo-within") == 1 and page.paths(".geo-newly") == 1
        ranks = page.page.locator(".geo-chosen .geo-rank")
        assert [r.inner_text() for r in ranks.all()] == ["1", "2", "3"]
        legend = page.page.inner_text(".geo-legend")
        for text in ("图例", f"现状{mins}分钟内可达", f"新增{mins}分钟内可达", "选定站点",
                     "候选点"):
            assert text in legend, text
        title = page.page.inner_text(".geo-title")
        total = run.result.base_covered + run.table["newly_covered_population"].sum()
        assert f"{run.result.base_covered:,.0f} → {total:,.0f}" in title
        assert run.standard.label_zh in title
        page.shot(f"{name.removesuffix('.html')}.png")
        # a township's tooltip gives its numbers before and after
        town = str(run.table["township"].iloc[0])
        label = next(b for t, b in page.labels() if t == town)
        page.page.mouse.move(label["x"] + label["width"] / 2, label["y"] + label["height"] + 6)
        tip = page.page.locator(".leaflet-tooltip").filter(has_text=town)
        tip.wait_for()
        assert "→" in tip.inner_text() and "实施后达标情况" in tip.inner_text()
    finally:
        page.context.close()


def test_comparison_map_opens_on_the_change(browser: Any, planning: dict[str, Any]) -> None:
    comp = planning["runs"]["planned"]
    towns = set(comp.study.townships["township"])
    page = _planning_page(browser, planning["dir"] / "planned" / "comparison_map.html", towns)
    try:
        for layer in ("乡镇覆盖比例变化", "新增覆盖区域", "失去覆盖区域", "规划变动（实施前 → 后）",
                      "实施后的医疗卫生机构"):
            assert page.overlay(layer).locator("input").is_checked(), layer
        # planned_2025 changes only the 30-minute primary-care circle: the map opens on it
        checked = page.page.locator(".geo-standards input:checked")
        assert checked.get_attribute("value") == "primary_care_30min"
        assert page.paths(".geo-gained") >= 1
        shaded = [f for f, _ in page.shapes(".geo-town") if f != "#fff"]
        assert len(shaded) == 1  # 导江乡, the only township that changes
        legend = page.page.inner_text(".geo-legend")
        for text in ("新增覆盖区域", "失去覆盖区域", "乡镇覆盖比例上升", "迁建", "改变类型"):
            assert text in legend, text
        title = page.page.inner_text(".geo-title")
        assert "30分钟基层医疗服务圈" in title and "304,048 → 304,245（+197）" in title
        page.shot("comparison_map.png")
        page.page.locator(".geo-standards input[value=emergency_1h]").check()
        assert page.paths(".geo-gained") == 0 and page.paths(".geo-lost") == 0
        assert all(f == "#fff" for f, _ in page.shapes(".geo-town"))
        assert "1小时应急反应圈" in page.page.inner_text(".geo-title")
    finally:
        page.context.close()


def test_hazard_map_draws_the_extent_the_closed_roads_and_the_failing_townships(
        browser: Any, luzhai_demo: tuple[Any, Path], tmp_path: Path) -> None:
    """The demo's rainy season: the illustrative flood and landslide points on Luzhai."""
    from geo.outputs.planning import write_comparison
    from geo.planning.hazard import hazard_comparison

    result = luzhai_demo[0]
    hazards = ROOT / "data" / "hazards"
    comp = hazard_comparison(result, [hazards / "luzhai_flood_illustrative.geojson",
                                      hazards / "luzhai_landslides_illustrative.geojson"])
    write_comparison(comp, tmp_path)
    page = _planning_page(browser, tmp_path / "comparison_map.html",
                          set(result.townships["township"]))
    try:
        assert page.overlay("灾害范围 / 关闭的道路").locator("input").is_checked()
        strokes = page.page.eval_on_selector_all(
            ".leaflet-overlay-pane path",
            "els => els.map(e => [e.getAttribute('stroke'), e.getAttribute('fill'),"
            " e.getAttribute('stroke-dasharray')])")
        # one extent per layer (the flood polygon; the two landslide circles as one shape)
        assert sum(1 for s, f, _ in strokes if f == "#2171b5") == 2
        # every closed segment a red line; the townships that fall below target dashed red
        closed = comp.closed_roads
        assert closed is not None and len(closed) > 0
        assert sum(1 for s, f, d in strokes if s == "#e31a1c" and f in (None, "none")
                   and d is None) == len(closed)
        failing = [t for t in comp.table.itertuples() if t.meets_target_before is True
                   and t.meets_target_after is False and t.township != "鹿寨县"]
        assert failing  # 江口乡 falls below the 1-hour circle's target
        dashed = [1 for s, _, d in strokes if s == "#e31a1c" and d == "8 5"]
        assert len(dashed) == len({t.township for t in failing})
        legend = page.page.inner_text(".geo-legend")
        for text in ("灾害范围", "关闭的道路", "受灾后跌破目标的乡镇"):
            assert text in legend, text
        page.shot("hazard_map.png")
    finally:
        page.context.close()


# --------------------------------------------------------------------------- report


def test_report_prints_on_few_a4_pages(browser: Any, luzhai_demo: tuple[Any, Path]) -> None:
    """One page for the summary and one per standard that applies, the standard that does
    not and the sources after them (14 mostly half-empty pages before)."""
    context = browser.new_context(offline=True)
    try:
        tab = context.new_page()
        tab.goto((luzhai_demo[1] / "report.html").as_uri(), wait_until="load")
        pdf = tab.pdf(format="A4", print_background=True)
    finally:
        context.close()
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    applicable = luzhai_demo[0].summary["covered_share"].notna().sum()
    assert applicable == 3
    # and the resource measures (about 2 pages: the list of measures not computed is long)
    # and the emergency response (about 1), each starting a page; the sources after them
    assert 1 + applicable + 1 + 3 <= pages <= 1 + applicable + 1 + 5, pages
