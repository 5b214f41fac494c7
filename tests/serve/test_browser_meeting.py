"""The workbench, round two (issue 22), in a real browser (Debian's Chromium, Playwright)
against a real server: state that cannot be wrong (a drag of co-located facilities,
places outside the county, designations made again, two tabs), framing refused, the
page saying what it knows (targets, legend, changes, solver notes, the loaded plan, the
export's command, messages in Chinese, a first add that counts) and the tools of a
planning meeting (township search, a clicked spot, print and PNG, two scenarios side by
side). Screenshots: maps/screenshots/workbench_*.png."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.outputs.test_map_browser import SHOTS, browser  # noqa: F401
from tests.serve.conftest import Served, assert_exact
from tests.serve.test_browser import Page, _facility
from tests.serve.test_state import EAST_OF_LAGOU


@pytest.fixture
def opened(browser: Any, server: Served) -> Iterator[Page]:  # noqa: F811
    page = Page(browser, server)
    yield page
    page.context.close()


def _drag(page: Any, x: float, y: float, dx: float, dy: float) -> None:
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)


def _centre(box: dict[str, float]) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_drag_moves_the_grabbed_one_of_colocated_facilities_to_where_released(
        opened: Page) -> None:
    served, page = opened.served, opened.page
    hosp = _facility(served, "LZ-H01")
    group = [f.id for f in served.session.engine.facilities
             if (f.lon, f.lat) == (hosp.lon, hosp.lat)]
    assert len(group) >= 3  # the county facilities at 鹿寨镇 share one spot
    page.evaluate(f"window.geoWorkbench.map.setView([{hosp.lat}, {hosp.lon}], 13, "
                  "{animate: false})")
    page.wait_for_timeout(400)
    assert page.locator(".leaflet-overlay-pane path").count() > 0  # spread legs drawn
    grabbed = group[2]  # not the one on top of the ring: drawn off its spot
    x, y = _centre(opened.icon(grabbed).bounding_box())
    sx, sy = opened.pixel(hosp.lon, hosp.lat)
    assert abs(x - sx) + abs(y - sy) > 8  # spread away from the spot
    _drag(page, x, y, 90, 60)
    opened.act(page.mouse.up)
    moved = _facility(served, grabbed)
    mx, my = opened.pixel(moved.lon, moved.lat)
    assert abs(mx - (x + 90)) < 2 and abs(my - (y + 60)) < 2  # where it was released
    for fid in group:
        if fid != grabbed:  # the others stayed
            f = _facility(served, fid)
            assert (f.lon, f.lat) == (hosp.lon, hosp.lat), fid
    assert_exact(served.session)
    opened.only_tile_errors()
    opened.shot("workbench_colocated_drag.png")


def test_a_place_outside_the_county_is_refused_then_kept_on_purpose(opened: Page) -> None:
    served, page = opened.served, opened.page
    page.evaluate(f"window.geoWorkbench.map.setView([{EAST_OF_LAGOU[1]}, {EAST_OF_LAGOU[0]}], "
                  "11, {animate: false})")
    page.wait_for_timeout(400)
    tables = served.client.get("/api/state").body["tables"]
    page.click("#add-btn")
    x, y = opened.pixel(*EAST_OF_LAGOU)
    page.mouse.click(x, y)
    page.wait_for_selector("#outside:not([hidden])")
    text = page.inner_text("#outside")
    assert "位置在研究区外" in text and "km outside the study area" in text
    assert "保留在研究区外" in text
    assert served.client.get("/api/state").body["tables"] == tables  # nothing yet
    opened.shot("workbench_outside.png")
    opened.act(lambda: page.click("#outside-keep"))
    new = _facility(served, "NEW-001")
    assert new.lon == pytest.approx(EAST_OF_LAGOU[0], abs=2e-3)
    assert page.locator('.wb-facility.outside .wb-icon[data-id="NEW-001"]').count() == 1
    assert page.locator("#outside").is_hidden()
    opened.only_tile_errors()


def test_a_designation_is_made_again_after_undo(opened: Page) -> None:
    page = opened.page
    opened.popup_action("LZ-T06", "wb-designate", "ems_station")
    opened.act(lambda: page.click("#undo"))
    assert opened.icon("LZ-T06#ems_station").count() == 0
    opened.popup_action("LZ-T06", "wb-designate", "ems_station")  # refused before
    assert opened.icon("LZ-T06#ems_station").count() == 1
    opened.only_tile_errors()


def test_a_second_tab_out_of_date_is_told_to_reload(browser: Any,  # noqa: F811
                                                   server: Served) -> None:
    one, two = Page(browser, server), Page(browser, server)
    try:
        one.popup_action("LZ-T09", "wb-close")
        two.icon("LZ-T05").click()
        popup = two.page.locator(".wb-popup").last
        popup.locator("button.wb-close").click()
        two.page.wait_for_selector("#stale:not([hidden])")
        assert "重新载入" in two.page.inner_text("#stale")
        assert _facility(server, "LZ-T05").open  # tab two's edit was refused
        assert not _facility(server, "LZ-T09").open
        two.shot("workbench_stale_tab.png")
        with two.page.expect_navigation():
            two.page.click("#reload")
        two.page.wait_for_selector("body[data-ready='1']", state="attached")
        assert two.icon("LZ-T09").count() == 0  # now it sees tab one's close
        assert two.page.locator('.wb-closed-icon[data-id="LZ-T09"]').count() == 1
    finally:
        one.context.close()
        two.context.close()


def test_a_decoy_page_cannot_frame_the_workbench(browser: Any, server: Served) -> None:  # noqa: F811
    ctx = browser.new_context(viewport={"width": 900, "height": 600})
    decoy = "http://decoy.example/"
    html = (f'<html><body><h1>Win a prize</h1><iframe id="f" src="{server.url}" '
            'style="opacity:0.5;width:800px;height:500px"></iframe></body></html>')

    def route(r: Any) -> None:
        if r.request.url == decoy:
            r.fulfill(status=200, content_type="text/html", body=html)
        elif r.request.url.startswith(server.url.rstrip("/")):
            r.continue_()
        else:
            r.abort("internetdisconnected")

    ctx.route("**/*", route)
    page = ctx.new_page()
    try:
        page.goto(decoy)
        page.wait_for_timeout(1500)
        frame = next(f for f in page.frames if f != page.main_frame)
        assert not frame.url.startswith(server.url.rstrip("/")) or \
            frame.evaluate("document.body && document.body.dataset.ready") is None
        assert frame.evaluate("document.getElementById('undo')") is None  # nothing to press
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "workbench_framing_refused.png"))
    finally:
        ctx.close()


def test_the_page_says_what_it_knows(opened: Page, tmp_path: Path) -> None:
    served, page = opened.served, opened.page
    # the target share beside each standard, and in the summary
    for s in served.session.study.standards:
        label = page.locator(f"#standard-list input[value={s.name}]").locator("..")
        assert f"目标 {100 * s.target_share:.1f}%" in label.inner_text()
    assert "目标" in page.inner_text("#summary")
    # the legend: each type on the map with its colour and letter
    legend = page.locator("#type-legend")
    for t in {f.type for f in served.session.engine.facilities}:
        assert legend.locator(f'.wb-lt[data-type="{t}"]').count() == 1, t
    assert "金色边框" in legend.inner_text() and "已关闭" in legend.inner_text()
    # a first add counts for the standard shown (emergency_1h)
    std = served.session.study.standard("emergency_1h")
    assert page.locator("#add-type").input_value() in std.facility_types
    assert "计入当前标准" in page.inner_text("#add-counts")
    page.click("#add-btn")
    opened.act(lambda: page.mouse.click(*opened.pixel(110.05, 24.60)))
    area = served.client.get("/api/state").body["tables"]["emergency_1h"]["area"]
    assert area["newly_covered"] > 0 and "+0" not in page.inner_text("#summary .up")
    # errors in the page's language
    r = served.client.post("/api/designate", {"id": "NEW-001", "role": "ems_station"})
    assert r.status == 200
    opened.page.reload()
    opened.page.wait_for_selector("body[data-ready='1']", state="attached")
    opened.icon("NEW-001").click()
    popup = page.locator(".wb-popup").last
    popup.locator("select.wb-designate-role").select_option("ems_station")
    popup.locator("button.wb-designate").click()
    page.wait_for_selector("#error:not([hidden])")
    assert "该机构已具有此职能" in page.inner_text("#error-text")
    page.click("#error-close")
    # the changes list: each step, zoom to it, undo to a point
    opened.popup_action("LZ-T09", "wb-close")
    page.locator("#changes summary").click()
    steps = page.locator("#changes-list li")
    assert steps.count() == 4  # the study as it is, add, designate, close
    assert "关闭" in steps.nth(3).inner_text() and "拉沟乡卫生院" in steps.nth(3).inner_text()
    steps.nth(3).locator(".what").click()
    lz9 = _facility(served, "LZ-T09")
    box = page.locator("#map").bounding_box()
    # in the middle of the map, to the pixel, once the pan has ended (it animates: a loaded
    # machine may still be moving when the click returns)
    opened.until(f"(function () {{ var m = window.geoWorkbench.map, s = m.getSize(), "
                 f"q = m.latLngToContainerPoint([{lz9.lat!r}, {lz9.lon!r}]); "
                 f"return Math.abs(q.x - s.x / 2) <= 1 && Math.abs(q.y - s.y / 2) <= 1; }})()",
                 timeout_s=10)
    x, y = opened.pixel(lz9.lon, lz9.lat)
    assert abs(x - (box["x"] + box["width"] / 2)) <= 1
    assert abs(y - (box["y"] + box["height"] / 2)) <= 1
    opened.shot("workbench_changes.png")
    opened.act(lambda: steps.nth(1).locator("button.wb-undo-to").click())
    assert served.session.history()["steps"] == 1 and _facility(served, "LZ-T09").open
    assert page.locator("#changes-list li.undone").count() == 2
    opened.only_tile_errors()


def test_suggestions_say_what_the_solver_said_and_can_be_cancelled(opened: Page) -> None:
    served, page = opened.served, opened.page
    opened.show("primary_care_30min")
    page.locator("#suggest-box summary").click()
    page.locator("#model").select_option("mclp")
    page.fill("#k", "2")
    page.click("#suggest-btn")
    page.wait_for_selector("#proposals li:nth-child(2)")
    notes = page.inner_text("#suggest-notes")
    assert "candidate sites from 'grid'" in notes and "optimal" in notes
    assert "swap" in notes  # the alternatives: unique, or how many equal answers
    page.locator("#model").select_option("lscp")
    page.fill("#k", "3")
    page.click("#suggest-btn")
    page.wait_for_selector(".wb-lscp")
    n = served.session.suggest_notes
    assert n["model"] == "lscp" and n["asked"] == 3
    assert f"LSCP 需要 {n['sites']} 个站点" in page.inner_text(".wb-lscp")
    assert "站点数 3 不用于 LSCP" in page.inner_text(".wb-lscp")
    opened.shot("workbench_suggest_notes.png")
    # a p-median job with its progress, cancelled: the page is free, nothing changes
    page.locator("#model").select_option("pmedian")
    page.evaluate("window.geoWorkbench.suggestNotes = {}")
    props = served.session.proposals
    page.click("#suggest-btn")
    page.wait_for_selector("#job:not([hidden])")
    page.click("#job-cancel")
    opened.until("document.body.dataset.job === 'cancelled'")
    assert page.locator("#job").is_hidden() and "已取消" in page.inner_text("#msg")
    page.wait_for_timeout(3000)  # the solver's last stage ends; its answer is thrown away
    assert served.session.proposals == props
    opened.only_tile_errors()


def test_a_loaded_plan_and_an_export_say_what_they_are(opened: Page, tmp_path: Path) -> None:
    served, page = opened.served, opened.page
    plan = tmp_path / "plan.toml"
    plan.write_text('[scenario]\nname = "plan2025"\ntitle = "十四五医疗卫生设施规划"\n'
                    'description = "新建拉沟乡中心卫生院，关闭导江乡卫生院"\n\n'
                    '[[actions]]\naction = "retype"\nid = "LZ-T09"\n'
                    'type = "central_township_health_center"\n\n'
                    '[[left_out]]\nproject = "县急救中心迁建"\nreason = "选址未定"\n',
                    encoding="utf-8")
    opened.act(lambda: page.set_input_files("#load", str(plan)))
    box = page.inner_text("#scenario-box")
    for words in ("十四五医疗卫生设施规划", "plan2025", "新建拉沟乡中心卫生院", "县急救中心迁建",
                  "选址未定"):
        assert words in box, words
    page.click("#export")
    page.wait_for_selector("#export-box:not([hidden])", timeout=120_000)
    command = page.inner_text("#export-command")
    assert command.startswith("geo compare analysis/luzhai.toml --scenario ")
    assert str(served.out) in page.inner_text("#export-box")
    assert (served.out / "export-001.toml").is_file()
    opened.shot("workbench_plan_export.png")
    opened.only_tile_errors()


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


def test_the_tools_of_a_planning_meeting(opened: Page, tmp_path: Path,
                                         serve: Callable[[], Served]) -> None:
    served, page = opened.served, opened.page
    # township search (Chinese names)
    page.fill("#search", "拉沟乡")
    page.press("#search", "Enter")
    opened.until("document.body.dataset.found === '拉沟乡'")
    # and by pinyin: the initials, or the start of the syllables, in any case
    for typed, town in (("LGX", "拉沟乡"), ("huangmian", "黄冕镇"), ("lzz", "鹿寨镇")):
        page.fill("#search", typed)
        page.press("#search", "Enter")
        opened.until(f"document.body.dataset.found === '{town}'")
    page.fill("#search", "拉沟乡")
    page.press("#search", "Enter")
    opened.until("document.body.dataset.found === '拉沟乡'")
    # a click on the map: the township's people and share, the spot's minutes
    lz9 = _facility(served, "LZ-T09")
    page.wait_for_timeout(500)
    page.mouse.click(*opened.pixel(lz9.lon + 0.03, lz9.lat + 0.02))
    page.wait_for_selector(".wb-spot")
    spot = page.inner_text(".wb-spot")
    row = next(r for r in served.session.tables()["emergency_1h"]["rows"]
               if r["township"] == "拉沟乡")
    assert "拉沟乡" in spot and f"{row['population']:,.0f}" in spot
    assert "分钟到" in spot
    opened.shot("workbench_spot.png")
    page.keyboard.press("Escape")
    opened.until("!document.querySelector('.wb-spot')")  # closed (after a fade)
    page.mouse.move(5, 5)  # no township's tooltip on the sheet
    # print this view: A4 landscape with map, legend, title, scale, north arrow, table
    page.emulate_media(media="print")
    pdf = tmp_path / "view.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    page.emulate_media(media="screen")
    out = SHOTS / "workbench_print"
    SHOTS.mkdir(parents=True, exist_ok=True)
    import pypdfium2 as pdfium  # PDFium reads the PDF back (no poppler needed)

    doc = pdfium.PdfDocument(str(pdf))
    assert len(doc) == 1  # one page
    doc[0].render(scale=60 / 72).to_pil().save(out.with_suffix(".png"))
    w, h = _png_size(out.with_suffix(".png"))
    assert w > h  # landscape
    # export PNG: the same sheet as an image
    with page.expect_download() as got:
        page.click("#png")
    png = SHOTS / "workbench_export.png"
    got.value.save_as(png)
    assert _png_size(png) == (1123, 794)
    opened.only_tile_errors()


def test_two_scenarios_side_by_side(opened: Page, tmp_path: Path) -> None:
    served, page = opened.served, opened.page
    a = tmp_path / "a.toml"
    a.write_text('[scenario]\nname = "a"\ntitle = "关闭拉沟乡卫生院"\n\n[[actions]]\n'
                 'action = "close"\nid = "LZ-T09"\n', encoding="utf-8")
    b = tmp_path / "b.toml"
    b.write_text('[scenario]\nname = "b"\ntitle = "拉沟乡新建县医院分院"\n\n[[actions]]\n'
                 'action = "add"\nid = "B1"\nname = "分院"\ntype = "county_general_hospital"\n'
                 'lon = 110.05\nlat = 24.60\n', encoding="utf-8")
    before = served.client.get("/api/state").body
    page.locator("#side-box summary").click()
    page.set_input_files("#side-a", str(a))
    page.set_input_files("#side-b", str(b))
    page.click("#side-btn")
    opened.until("document.body.dataset.side === '1'")
    assert page.locator("#side-map-a path.wb-side-town").count() == 9
    assert page.locator("#side-map-b path.wb-side-town").count() == 9
    assert "关闭拉沟乡卫生院" in page.inner_text("#side-a-title")
    rows = page.locator("#side-table tbody tr")
    assert rows.count() == 10  # nine townships and the whole area
    res = served.client.post("/api/compare", {"a": a.read_text(encoding="utf-8"),
                                              "b": b.read_text(encoding="utf-8")}).body
    lagou = next(r for r in page.locator("#side-table tbody tr").all()
                 if r.locator("td").first.inner_text() == "拉沟乡")
    want_a = next(r for r in res["a"]["tables"]["emergency_1h"]["rows"]
                  if r["township"] == "拉沟乡")["share"]
    assert lagou.locator("td").nth(1).get_attribute("data-v") == repr(want_a)
    # the maps move together
    page.evaluate("window.geoWorkbench['map_side-map-a'].setZoom(11)")
    page.wait_for_timeout(300)
    assert page.evaluate("window.geoWorkbench['map_side-map-b'].getZoom()") == 11
    opened.shot("workbench_side_by_side.png")
    after = served.client.get("/api/state").body
    assert after["tables"] == before["tables"] and after["version"] == before["version"]
    opened.only_tile_errors()
