"""The workbench page in a real browser (Debian's Chromium driven by Playwright, as for
map.html) against a real server on a free port, with every request that is not for that
server refused (no network: base-map tiles fail, nothing else may).

A planner's session, done with the mouse: add a facility by clicking the map, move one
by dragging it, close, upgrade and designate through a facility's popup, ask for
suggested sites and accept or reject them, undo and redo, save the scenario (a
download) and load it again (an upload). After every step the server's state equals a
full rerun, and the table on the page equals the server's; the table of the saved
scenario equals `geo compare` of it, for every standard. Screenshots go to
maps/screenshots/ (workbench*.png).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geo.planning.compare import compare
from geo.study.run import ComputedStudy
from tests.outputs.test_map_browser import SHOTS, TILE, browser  # noqa: F401
from tests.serve.conftest import Served, assert_exact
from tests.serve.test_api import assert_table_is_compare


class Page:
    """The workbench open at 1366×768; requests other than to the server are refused."""

    def __init__(self, browser: Any, served: Served) -> None:  # noqa: F811
        self.served = served
        self.context = browser.new_context(viewport={"width": 1366, "height": 768},
                                           accept_downloads=True)
        self.failed: list[str] = []
        self.errors: list[str] = []
        base = served.url.rstrip("/")
        self.context.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith(base)
                           else route.abort("internetdisconnected"))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if "Content Security Policy" in m.text else None)
        self.page.goto(served.url, wait_until="load")
        self.page.wait_for_selector("body[data-ready='1']", state="attached")

    def version(self) -> int:
        return int(self.page.evaluate("document.body.dataset.version || 0"))

    def until(self, expression: str, timeout_s: float = 30.0) -> None:
        """Wait until ``expression`` is true on the page.

        Polled from here: Playwright's ``wait_for_function`` evaluates its expression with
        ``eval`` inside the page, which the page's Content-Security-Policy refuses, and
        the tests keep that policy in force (a script it blocks fails them)."""
        until(self.page, expression, timeout_s)

    def act(self, step: Callable[[], object]) -> None:
        """Do ``step`` and wait until the page has applied the server's answer."""
        v = self.version()
        step()
        try:
            self.until(f"Number(document.body.dataset.version) > {v}")
        except AssertionError as e:
            raise AssertionError(f"no update: {self.page.inner_text('#error')}") from e

    def only_tile_errors(self) -> None:
        assert self.errors == [], self.errors
        assert all(TILE.match(u) for u in self.failed), self.failed
        assert self.page.locator("#error").is_hidden(), self.page.inner_text("#error")

    def table(self) -> list[list[str]]:
        """The data-v values of the table's rows (townships, then the whole area)."""
        return [list(r) for r in self.page.eval_on_selector_all(
            "#table tbody tr, #table tfoot tr",
            "rows => rows.map(r => Array.from(r.cells).map(c => c.dataset.v))")]

    def assert_table_is_the_servers(self, standard: str) -> None:
        t = self.served.client.get("/api/state").body["tables"][standard]
        want = []
        for r in [*t["rows"], t["area"]]:
            want.append(["" if v is None else _js(v) for v in (
                None, r["population"], r["covered"], r["share"], r["share_change"],
                r["median"], r["newly_covered"], r["lost"], None)])
        assert self.table() == want, standard

    def show(self, standard: str) -> None:
        self.page.locator(f"#standard-list input[value={standard}]").check()

    def icon(self, fid: str) -> Any:
        """The marker of open facility ``fid`` (a closed one is drawn grey, with a cross)."""
        return self.page.locator(f'.wb-icon:not(.wb-closed-icon)[data-id="{fid}"]')

    def pixel(self, lon: float, lat: float) -> tuple[float, float]:
        p = self.page.evaluate("([lat, lon]) => { var q = window.geoWorkbench.map."
                               "latLngToContainerPoint([lat, lon]); return [q.x, q.y]; }",
                               [lat, lon])
        box = self.page.locator("#map").bounding_box()
        return box["x"] + p[0], box["y"] + p[1]

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        box = self.page.locator("#map").bounding_box()
        ll = self.page.evaluate(f"(() => {{ var l = window.geoWorkbench.map."
                                f"containerPointToLatLng([{x - box['x']}, {y - box['y']}]);"
                                f" return [l.lng, l.lat]; }})()")
        return float(ll[0]), float(ll[1])

    def popup_action(self, fid: str, button: str, choice: str | None = None) -> None:
        self.icon(fid).click()
        popup = self.page.locator(".wb-popup").last  # an earlier one may still fade out
        popup.wait_for()
        if choice:
            popup.locator(f"select.{button}-{'type' if button == 'wb-retype' else 'role'}"
                          ).select_option(choice)
        self.act(lambda: popup.locator(f"button.{button}").click())

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(300)
        path = SHOTS / name
        self.page.screenshot(path=str(path))
        return path


def until(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` on ``page`` until it is true (see :meth:`Page.until`)."""
    end = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise AssertionError(f"still false after {timeout_s:g} s: {expression}")
        page.wait_for_timeout(50)


def _js(v: float) -> str:
    """A number as JavaScript writes it in the data-v attribute."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


@pytest.fixture
def opened(browser: Any, server: Served) -> Iterator[Page]:  # noqa: F811
    page = Page(browser, server)
    yield page
    page.context.close()


def _facility(served: Served, fid: str) -> Any:
    return next(f for f in served.session.engine.facilities if f.id == fid)


def test_the_page_opens_with_the_study(opened: Page, luzhai: ComputedStudy) -> None:
    page = opened.page
    opened.only_tile_errors()
    assert luzhai.study.title in page.inner_text("#title")
    assert page.locator("#standard-list input:checked").get_attribute("value") == "emergency_1h"
    notes = page.locator("#assumptions")
    assert notes.get_attribute("open") is None  # folded, as on map.html
    assert f"假设条件 ({len(luzhai.assumptions)})" in notes.inner_text()
    assert page.locator("#assumptions li").count() == len(luzhai.assumptions) > 0
    assert page.locator("path.wb-town").count() == len(luzhai.townships) == 9
    assert page.locator(".wb-label div").count() == 9
    assert page.locator(".wb-icon").count() == len(luzhai.facilities)
    for std in ("emergency_1h", "primary_care_30min", "rescue_2h", "community_15min"):
        opened.show(std)
        opened.assert_table_is_the_servers(std)
    assert "不适用" in page.inner_text("#summary")  # community_15min: no centre in Luzhai
    opened.show("emergency_1h")
    fills = {p.get_attribute("fill") for p in page.locator("path.wb-town").all()}
    assert len(fills) > 2  # pass blue and shades of the fail ramp
    for css in ("#table", "#tools", "#standards", "#map"):
        box = page.locator(css).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1366, css
    assert page.locator("#table tfoot tr").bounding_box()["y"] < 768  # all on one screen
    opened.shot("workbench_open.png")


def test_a_planners_session_with_the_mouse(opened: Page, luzhai: ComputedStudy,
                                            tmp_path: Path) -> None:
    served, page = opened.served, opened.page
    # add: choose the type, press the button, click the map
    page.locator("#add-type").select_option("township_health_center")
    page.click("#add-btn")
    x, y = opened.pixel(109.62, 24.76)
    want = opened.lonlat(x, y)
    opened.act(lambda: page.mouse.click(x, y))
    new = _facility(served, "NEW-001")
    assert new.type == "township_health_center"
    assert new.lon == pytest.approx(want[0], abs=1e-9) and new.lat == pytest.approx(want[1],
                                                                                   abs=1e-9)
    assert_exact(served.session)
    opened.assert_table_is_the_servers("emergency_1h")
    opened.show("primary_care_30min")
    area = served.client.get("/api/state").body["tables"]["primary_care_30min"]["area"]
    assert area["newly_covered"] > 0 and "+" in page.inner_text("#summary")
    # move: drag the new facility 80 px east
    box = opened.icon("NEW-001").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 40, cy + 10, steps=5)
    page.mouse.move(cx + 80, cy + 20, steps=5)
    opened.act(page.mouse.up)
    moved = _facility(served, "NEW-001")
    assert moved.lon > new.lon + 0.005 and moved.lat < new.lat
    assert_exact(served.session)
    opened.assert_table_is_the_servers("primary_care_30min")
    # close, upgrade and designate through the popup
    opened.popup_action("LZ-T09", "wb-close")
    assert not _facility(served, "LZ-T09").open and opened.icon("LZ-T09").count() == 0
    assert page.locator('.wb-closed-icon[data-id="LZ-T09"]').count() == 1  # still drawn
    opened.popup_action("LZ-T02", "wb-retype", "grade2_hospital")
    assert _facility(served, "LZ-T02").type == "grade2_hospital"
    opened.popup_action("LZ-T06", "wb-designate", "ems_station")
    assert opened.icon("LZ-T06#ems_station").count() == 1
    assert_exact(served.session)
    opened.show("emergency_1h")
    opened.assert_table_is_the_servers("emergency_1h")
    # undo and redo (buttons, and Ctrl+Z)
    opened.act(lambda: page.click("#undo"))
    assert opened.icon("LZ-T06#ems_station").count() == 0
    opened.act(lambda: page.click("#redo"))
    assert opened.icon("LZ-T06#ems_station").count() == 1
    page.locator("#map").click(position={"x": 5, "y": 700})  # focus the page, not a field
    opened.act(lambda: page.keyboard.press("Control+z"))
    assert opened.icon("LZ-T06#ems_station").count() == 0
    opened.act(lambda: page.keyboard.press("Control+y"))
    assert_exact(served.session)
    opened.only_tile_errors()
    opened.shot("workbench_session.png")
    # save: the download is the scenario; geo compare of it gives the page's table
    page.fill("#scenario-name", "meeting")
    with page.expect_download() as got:
        page.click("#save")
    saved = tmp_path / "meeting.toml"
    got.value.save_as(saved)
    assert got.value.suggested_filename == "meeting.toml"
    comp = compare(luzhai, str(saved))
    tables = served.client.get("/api/state").body["tables"]
    assert_table_is_compare(tables, comp.table)
    for std in tables:
        opened.show(std)
        opened.assert_table_is_the_servers(std)  # the page shows those very numbers


def test_suggest_accept_and_reject(opened: Page) -> None:
    served, page = opened.served, opened.page
    opened.show("primary_care_30min")
    page.locator("#suggest-box summary").click()
    page.locator("#model").select_option("mclp")
    page.fill("#k", "2")
    page.locator("#suggest-type").select_option("township_health_center")
    page.click("#suggest-btn")
    page.wait_for_selector("#proposals li:nth-child(2)")
    assert page.locator(".wb-proposal").count() == 2
    before = len(served.session.engine.facilities)
    opened.act(lambda: page.locator("#proposals li").first.locator(".wb-accept").click())
    assert len(served.session.engine.facilities) == before + 1
    assert page.locator("#proposals li").count() == 1
    assert_exact(served.session)
    opened.assert_table_is_the_servers("primary_care_30min")
    page.locator("#proposals li").first.hover()
    opened.shot("workbench.png")  # the picture of docs/workbench.md (docs/workbench.png)
    page.locator("#proposals li .wb-reject").click()
    opened.until("document.querySelectorAll('#proposals li').length === 0")
    assert page.locator(".wb-proposal").count() == 0
    opened.only_tile_errors()


def test_save_and_load_again(browser: Any, serve: Callable[[], Served],  # noqa: F811
                             tmp_path: Path) -> None:
    one = Page(browser, serve())
    try:
        one.popup_action("LZ-T09", "wb-close")
        one.popup_action("LZ-T05", "wb-designate", "ems_station")
        with one.page.expect_download() as got:
            one.page.click("#save")
        saved = tmp_path / "saved.toml"
        got.value.save_as(saved)
        tables = one.served.client.get("/api/state").body["tables"]
    finally:
        one.context.close()
    two = Page(browser, serve())
    try:
        two.act(lambda: two.page.set_input_files("#load", str(saved)))
        assert two.served.client.get("/api/state").body["tables"] == tables
        assert two.icon("LZ-T09").count() == 0 and two.icon("LZ-T05#ems_station").count() == 1
        two.assert_table_is_the_servers("emergency_1h")
        assert_exact(two.served.session)
        two.act(lambda: two.page.click("#undo"))  # the load is one step
        assert two.icon("LZ-T09").count() == 1
        two.only_tile_errors()
    finally:
        two.context.close()


def test_a_refused_edit_shows_the_message_and_changes_nothing(opened: Page) -> None:
    served, page = opened.served, opened.page
    opened.popup_action("LZ-T06", "wb-designate", "ems_station")
    tables = served.client.get("/api/state").body["tables"]
    # the designation draws the twin beside it (co-located markers spread): on a loaded
    # machine a click may land while the markers are redrawn and open nothing, so click
    # until LZ-T06's own popup is open (a few tries; the test fails if it never opens)
    popup = page.locator(".wb-popup").last
    for _ in range(5):
        opened.icon("LZ-T06").click()
        try:
            popup.locator("select.wb-designate-role").wait_for(timeout=5000)
            break
        except Exception:  # Playwright's TimeoutError: try again
            page.keyboard.press("Escape")
            page.wait_for_timeout(500)
    popup.locator("select.wb-designate-role").select_option("ems_station")
    popup.locator("button.wb-designate").click()
    page.wait_for_selector("#error:not([hidden])")
    text = page.inner_text("#error-text")  # in the page's language, the CLI's words beside
    assert "该机构已具有此职能" in text and "already has the role 'ems_station'" in text
    assert served.client.get("/api/state").body["tables"] == tables
    opened.assert_table_is_the_servers("emergency_1h")


def _clear_of_icons(opened: Page, lon: float, lat: float) -> tuple[float, float]:
    """A pixel on the stretch of road through (lon, lat), between its junctions, that no
    facility icon covers: the middle of the stretch's segment farthest from every icon."""
    from pyproj import Transformer

    from geo.routing.criticality import road_pieces

    engine = opened.served.session.engine
    net = engine.base_networks["drive"]
    x, y = Transformer.from_crs(4326, net.crs, always_xy=True).transform(lon, lat)
    mid = (net.node_xy[net.seg_u] + net.node_xy[net.seg_v]) / 2
    pieces = road_pieces(net)
    here = pieces.seg_piece[int(np.argmin(np.hypot(*(mid - [x, y]).T)))]
    segs = np.flatnonzero(pieces.seg_piece == here)
    back = Transformer.from_crs(net.crs, 4326, always_xy=True)
    icons = np.array([opened.pixel(f.lon, f.lat) for f in engine.facilities])
    best, far = (0.0, 0.0), -1.0
    for s in segs:
        px = opened.pixel(*back.transform(*mid[s]))
        d = float(np.min(np.hypot(*(icons - px).T)))
        if d > far:
            best, far = px, d
    assert far > 20, far  # pixels from the nearest icon
    return best


def test_a_road_closed_by_clicking_it(opened: Page, luzhai: ComputedStudy,
                                      tmp_path: Path) -> None:
    """Close the road 黄冕镇's centre stands on with the mouse: the stretch between its
    junctions closes, the centre and the points on it join the nearest open road (the page
    says so), the table equals `geo compare` of the saved scenario; undo opens it again."""
    from tests.serve.test_changes import _joined_segment_midpoint

    served, page = opened.served, opened.page
    table0 = served.client.get("/api/state").body["tables"]
    opened.show("primary_care_30min")
    page.click("#road-btn")
    assert "Esc" in page.inner_text("#msg")
    lon, lat = _joined_segment_midpoint(served.session, "LZ-T04")
    x, y = _clear_of_icons(opened, lon, lat)
    opened.act(lambda: page.mouse.click(x, y))
    closed = served.session.engine.roads.closed["drive"]
    assert closed.any() and len(served.session.engine.roads.actions) == 1
    assert page.locator("#roads-box").is_visible()
    assert page.locator("path.wb-closed-road").count() == 1
    page.locator("#roads-box summary").click()  # unfold the list of roads and their notes
    notes = page.inner_text("#road-notes")
    assert "stood on a closed road" in notes and "(LZ-T04)" in notes
    assert "原位于关闭的道路上" in notes  # glossed in the page's language
    assert_exact(served.session)
    opened.assert_table_is_the_servers("primary_care_30min")
    tables = served.client.get("/api/state").body["tables"]
    assert tables != table0
    opened.only_tile_errors()
    opened.shot("workbench_road_closed.png")
    page.fill("#scenario-name", "cut")
    with page.expect_download() as got:
        page.click("#save")
    saved = tmp_path / "cut.toml"
    got.value.save_as(saved)
    assert 'action = "close_road"' in saved.read_text(encoding="utf-8")
    assert_table_is_compare(tables, compare(luzhai, str(saved)).table)
    opened.act(lambda: page.click("#undo"))
    assert page.locator("#roads-box").is_hidden()
    assert page.locator("path.wb-closed-road").count() == 0
    assert served.client.get("/api/state").body["tables"] == table0
    opened.assert_table_is_the_servers("primary_care_30min")
    assert_exact(served.session)
