"""State that cannot be wrong (issue 22 item 1), over HTTP on a real server (Luzhai):
places outside the study area refused with `geo compare`'s words, or kept on purpose and
written so that `geo compare` accepts them; designations re-usable after undo and
close; a version on every edit, a stale one refused; the undo history bounded; and the
exactness test (page table = `geo compare` of the saved scenario) on a session with
refused edits, co-located moves and re-designations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geo.planning.compare import compare
from geo.serve import Session
from geo.serve.session import UNDO_LOADS, UNDO_STEPS
from geo.study.run import ComputedStudy
from tests.serve.conftest import Served, assert_exact
from tests.serve.test_api import _saved, assert_table_is_compare
from tests.serve.test_cli import _cli_error

#: 4 km east of 拉沟乡's eastern edge, and Beijing
EAST_OF_LAGOU = (110.20, 24.53)
BEIJING = (116.40, 39.90)


def _words(message: str) -> str:
    """The part of an outside-the-area message naming the place (what both say)."""
    m = re.search(r"(add|move) '[^']+' puts it at lon [0-9.]+, lat [0-9.]+, [0-9.,]+ km outside "
                  r"the study area", message)
    assert m, message
    return m.group(0)


def test_a_place_outside_the_area_is_refused_with_geo_compares_words(
        server: Served, luzhai_demo: tuple[Any, Path], tmp_path: Path, capsys: Any) -> None:
    c = server.client
    before = c.get("/api/state").body["tables"]
    for lon, lat in (EAST_OF_LAGOU, BEIJING):
        r = c.post("/api/add", {"type": "county_general_hospital", "lon": lon, "lat": lat})
        assert r.status == 400 and "outside the study area" in r.body["error"], r.body
        assert "位置在研究区外" in r.body["message"]  # the page's language (zh)
        scenario = tmp_path / "out.toml"
        scenario.write_text(f'[[actions]]\naction = "add"\nid = "NEW-001"\nname = "x"\n'
                            f'type = "county_general_hospital"\nlon = {lon}\nlat = {lat}\n',
                            encoding="utf-8")
        cli = _cli_error(["compare", str(luzhai_demo[1]), "--scenario", str(scenario),
                          "--out", str(tmp_path / "c")], capsys)
        assert _words(r.body["error"]) == _words(cli)  # the same place, the same words
        r = c.post("/api/move", {"id": "LZ-T09", "lon": lon, "lat": lat})
        assert r.status == 400 and "outside the study area" in r.body["error"]
    assert c.get("/api/state").body["tables"] == before  # nothing changed
    km = float(re.search(r"([0-9.]+) km outside", _words(
        c.post("/api/add", {"type": "ems_station", "lon": EAST_OF_LAGOU[0],
                            "lat": EAST_OF_LAGOU[1]}).body["error"])).group(1))
    assert 3.0 < km < 6.0  # 4 km east of the boundary, as measured on the map


def test_kept_outside_on_purpose_is_written_so_geo_compare_accepts_it(
        server: Served, luzhai: ComputedStudy, tmp_path: Path) -> None:
    c = server.client
    up = c.ok("/api/add", {"type": "county_general_hospital", "lon": EAST_OF_LAGOU[0],
                           "lat": EAST_OF_LAGOU[1], "outside": True})
    assert up["facilities"][0]["id"] == "NEW-001" and up["facilities"][0]["outside"]
    c.ok("/api/move", {"id": "LZ-T09", "lon": 110.21, "lat": 24.52, "outside": True})
    assert_exact(server.session)
    path = _saved(server, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.count("outside = true") == 2
    comp = compare(luzhai, str(path))  # geo compare accepts it, and says so
    assert sum("kept: the action says outside = true" in n for n in comp.notes) == 2
    assert_table_is_compare(c.get("/api/state").body["tables"], comp.table)
    # the page's own Load takes it back
    two = c.ok("/api/scenario", {"text": text, "filename": "out.toml"})
    assert two["tables"] == c.get("/api/state").body["tables"]


def test_outside_must_be_true_or_false(server: Served) -> None:
    r = server.client.post("/api/scenario", {"text": '[[actions]]\naction = "move"\n'
                                             'id = "LZ-T09"\nlon = 110.1\nlat = 24.5\n'
                                             'outside = "yes"\n'})
    assert r.status == 400 and "(move LZ-T09) outside" in r.body["error"]
    assert "give true or false" in r.body["error"]


def test_a_designation_can_be_made_again_after_undo_and_close(server: Served) -> None:
    c = server.client
    c.ok("/api/designate", {"id": "LZ-T05", "role": "ems_station"})
    c.ok("/api/undo")
    again = c.ok("/api/designate", {"id": "LZ-T05", "role": "ems_station"})
    assert "LZ-T05#ems_station" in again["ids"]
    r = c.post("/api/designate", {"id": "LZ-T05", "role": "ems_station"})
    assert r.status == 400 and "already has the role" in r.body["error"]
    c.ok("/api/close", {"id": "LZ-T05#ems_station"})
    c.ok("/api/move", {"id": "LZ-T05", "lon": 109.70, "lat": 24.55})
    back = c.ok("/api/designate", {"id": "LZ-T05", "role": "ems_station"})
    twin = next(f for f in back["facilities"] if f["id"] == "LZ-T05#ems_station")
    assert (twin["lon"], twin["lat"], twin["open"]) == (109.70, 24.55, True)  # at its base
    assert_exact(server.session)
    c.ok("/api/undo")  # the twin is closed again, where it was
    f = next(x for x in server.session.engine.facilities if x.id == "LZ-T05#ems_station")
    assert not f.open
    assert_exact(server.session)


def test_an_edit_on_a_stale_version_is_refused(serve: Any) -> None:
    s = serve()
    c = s.client
    v = c.get("/api/state").body["version"]
    first = c.ok("/api/close", {"id": "LZ-T09", "version": v})  # tab one
    assert first["version"] == v + 1
    before = c.get("/api/state").body
    for path, body in (("/api/add", {"type": "ems_station", "lon": 109.7, "lat": 24.5}),
                       ("/api/undo", {}), ("/api/redo", {}), ("/api/undo_to", {"steps": 0}),
                       ("/api/close", {"id": "LZ-T01"})):
        r = c.post(path, {**body, "version": v})  # tab two, made on the old version
        assert r.status == 409 and "reload the page" in r.body["error"], (path, r.body)
        assert "重新载入" in r.body["message"]
    after = c.get("/api/state").body
    assert after["tables"] == before["tables"] and after["version"] == before["version"]
    assert c.ok("/api/undo", {"version": after["version"]})["version"] == v + 2


def test_undo_to_a_point_of_the_history(server: Served) -> None:
    c = server.client
    steps = [("/api/add", {"type": "township_health_center", "lon": 109.60, "lat": 24.75}),
             ("/api/close", {"id": "LZ-T09"}),
             ("/api/designate", {"id": "LZ-T06", "role": "ems_station"})]
    tables = [c.get("/api/state").body["tables"]]
    for path, body in steps:
        tables.append(c.ok(path, body)["tables"])
    h = c.get("/api/state").body["history"]
    assert [(s["n"], s["kind"], s["done"]) for s in h["list"]] == [
        (1, "add", True), (2, "close", True), (3, "designate", True)]
    assert h["list"][1]["facilities"][0]["id"] == "LZ-T09"  # where the page zooms to
    for n in (1, 3, 0, 2):
        st = c.ok("/api/undo_to", {"steps": n})
        assert st["tables"] == tables[n] and st["history"]["steps"] == n
        assert_exact(server.session)
    assert [s["done"] for s in st["history"]["list"]] == [True, True, False]
    r = c.post("/api/undo_to", {"steps": 4})
    assert r.status == 400 and "from 0" in r.body["error"]


def test_the_undo_history_is_bounded(luzhai: ComputedStudy) -> None:
    """100 loads keep at most UNDO_LOADS states; memory grows by a few of them only."""
    s = Session.from_study(luzhai)
    s.add("township_health_center", 109.60, 24.75)
    s.close("LZ-T09")
    text = s.scenario_text("m", "m", "x")
    from geo.planning.scenario import parse_scenario

    actions = parse_scenario(text, "m.toml").actions

    def rss_mb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    s.load(actions, {"name": "m"})  # warm: the first load makes what every load shares
    start = rss_mb()
    for _ in range(100):
        s.load(actions, {"name": "m"})
    grown = rss_mb() - start
    h = s.history()
    assert sum(e.swap is not None for e in s._undo) == UNDO_LOADS
    assert h["steps"] == UNDO_LOADS and h["forgotten"] == 103 - UNDO_LOADS
    assert grown < 60, grown  # unbounded: ~6.5 MB a load, 650 MB (issue 22)
    for _ in range(UNDO_LOADS):
        s.undo()
    with pytest.raises(Exception, match="forgotten"):
        s.undo()
    for _ in range(UNDO_STEPS + 20):  # steps too
        s.close("LZ-T01")
        s.undo()
        s.redo()
        s.undo()
    assert s.history()["steps"] <= UNDO_STEPS


def test_exact_after_refused_edits_colocated_moves_and_redesignations(
        server: Served, luzhai: ComputedStudy, tmp_path: Path) -> None:
    """The page's table equals `geo compare` of the saved scenario after a session with
    refused edits (outside, stale, already designated), moves of facilities sharing a
    spot, and designations made again."""
    c = server.client
    hosp = next(f for f in server.session.engine.facilities if f.id == "LZ-H01")
    same_spot = [f.id for f in server.session.engine.facilities
                 if (f.lon, f.lat) == (hosp.lon, hosp.lat)]
    assert len(same_spot) >= 2  # the county facilities at 鹿寨镇 share one spot
    v = c.get("/api/state").body["version"]
    c.ok("/api/move", {"id": same_spot[1], "lon": hosp.lon + 0.02, "lat": hosp.lat - 0.01})
    assert c.post("/api/add", {"type": "ems_station", "lon": BEIJING[0],
                               "lat": BEIJING[1]}).status == 400
    assert c.post("/api/close", {"id": "LZ-T01", "version": v}).status == 409
    c.ok("/api/designate", {"id": "LZ-T05", "role": "ems_station"})
    assert c.post("/api/designate", {"id": "LZ-T05", "role": "ems_station"}).status == 400
    c.ok("/api/undo")
    c.ok("/api/designate", {"id": "LZ-T05", "role": "ems_station"})
    c.ok("/api/add", {"type": "county_general_hospital", "lon": hosp.lon, "lat": hosp.lat})
    c.ok("/api/move", {"id": same_spot[0], "lon": hosp.lon - 0.01, "lat": hosp.lat + 0.01})
    c.ok("/api/close", {"id": "LZ-T05#ems_station"})
    c.ok("/api/designate", {"id": "LZ-T05", "role": "ems_station"})
    assert_exact(server.session)
    comp = compare(luzhai, str(_saved(server, tmp_path)))
    assert_table_is_compare(c.get("/api/state").body["tables"], comp.table)
    ids = comp.applied.facilities["id"].tolist()
    assert ids == [f.id for f in server.session.engine.facilities if f.open]
    for std in luzhai.standards:
        if std.name in comp.minutes_after:
            np.testing.assert_array_equal(server.session.engine.minutes(std.name),
                                          comp.minutes_after[std.name])


def test_a_spot_gives_the_minutes_a_demand_point_there_has(server: Served,
                                                          luzhai: ComputedStudy) -> None:
    """The clicked spot's minutes and nearest facility are the engine's own for a demand
    point at that place (checked on the demand points themselves)."""
    wb = server.session.engine
    pts = luzhai.demand.to_crs(4326)
    for i in (0, len(pts) // 3, len(pts) // 2, len(pts) - 1):
        g = pts.geometry.iloc[i]
        r = server.client.get(f"/api/spot?lon={g.x!r}&lat={g.y!r}").body
        assert r["township"] == pts["township"].iloc[i]
        for name in wb.standards:
            want = wb.minutes(name)[i]
            got = r["standards"][name]
            if np.isfinite(want):
                assert got["minutes"] == round(float(want), 1), (name, i)
                assert got["facility"] == wb.nearest_ids(name)[i]
            else:
                assert got["minutes"] is None
            row = next(x for x in server.session.tables()[name]["rows"]
                       if x["township"] == r["township"])
            assert got["population"] == row["population"] and got["share"] == row["share"]
