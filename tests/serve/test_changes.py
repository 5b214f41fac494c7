"""A session written as a scenario reproduces it exactly through `geo compare`'s path
(apply_scenario on the study's facilities, then travel_to): same minutes and the same
nearest facility everywhere, ties included (facilities on one spot, a facility moved
onto a new one, a role twin left behind by its moved or closed base)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.errors import SitingError, WhatIfError
from geo.planning.scenario import apply_scenario, load_scenario
from geo.serve import Session
from geo.study.run import ComputedStudy
from tests.serve.conftest import assert_exact


def _pos(s: Session, fid: str) -> tuple[float, float]:
    f = next(x for x in s.engine.facilities if x.id == fid)
    return f.lon, f.lat


def test_net_changes_reproduce_the_state_through_geo_compare(
        luzhai: ComputedStudy, tmp_path: Path) -> None:
    s = Session.from_study(luzhai)
    s.designate("LZ-T05", "ems_station")
    s.close("LZ-T05")  # the twin stays, its base goes: written as an add
    s.add("township_health_center", *_pos(s, "LZ-T06"))  # NEW-001 on LZ-T06's spot
    s.add("township_health_center", 109.70, 24.62)  # NEW-002
    s.move("LZ-T07", *_pos(s, "NEW-002"))  # a study facility moved onto a new one
    s.designate("NEW-002", "ems_station")  # twin at its base's place: a designation
    s.add("county_general_hospital", *_pos(s, "LZ-H01"))  # NEW-003: three on one spot
    s.retype("LZ-T03", "township_health_center")
    s.retype("LZ-T03", "central_township_health_center")  # back: no net change
    lon, lat = _pos(s, "LZ-T04")
    s.move("LZ-T04", 109.9, 24.7)
    s.move("LZ-T04", lon, lat)  # back: no net change
    s.add("village_clinic", 109.8, 24.4)  # NEW-004, closed again: left out
    s.close("NEW-004")
    s.designate("NEW-001", "ems_station")
    s.move("NEW-001", 110.0, 24.45)  # its twin stays behind: written as an add
    s.undo()
    s.redo()
    assert_exact(s)
    text = s.scenario_text("net", "net", "analysis/luzhai.toml")
    path = tmp_path / "net.toml"
    path.write_text(text, encoding="utf-8")
    scen = load_scenario(path)
    kinds = [(a["action"], a.get("id", a.get("ids"))) for a in scen.actions]
    assert kinds == [
        ("move", "LZ-T07"), ("add", "LZ-T05#ems_station"), ("add", "NEW-001"),
        ("add", "NEW-002"), ("designate", ["NEW-002"]), ("add", "NEW-003"),
        ("add", "NEW-001#ems_station"), ("close", "LZ-T05")]
    applied = apply_scenario(scen, luzhai.facilities, luzhai.standard_set)
    after = luzhai.travel_to(applied.facilities)
    ids = applied.facilities["id"].to_numpy()
    open_ids = [f.id for f in s.engine.facilities if f.open]
    assert list(ids) == open_ids  # the same facilities in the same (tie-breaking) order
    for std in luzhai.standards:
        if std.name in after.notes:
            assert not s.engine.applicable(std.name)
            continue
        np.testing.assert_array_equal(s.engine.minutes(std.name), after.minutes[std.name])
        np.testing.assert_array_equal(s.engine.nearest_ids(std.name),
                                      ids[after.nearest[std.name]])


def test_an_edit_that_changes_nothing_is_not_a_step(luzhai: ComputedStudy) -> None:
    s = Session.from_study(luzhai)
    s.close("LZ-T09")
    same = s.retype("LZ-T02", "central_township_health_center")  # its type already
    assert all(len(c["idx"]) == 0 for c in same["cells"].values())
    assert same["history"]["undo"] == "close"
    s.undo()  # takes back the close, not the no-op
    assert all(f.open for f in s.engine.facilities)
    assert not s.history()["can_undo"]
    assert_exact(s)


def _joined_segment_midpoint(s: Session, fid: str) -> tuple[float, float]:
    """WGS84 middle of the drive segment facility ``fid`` joins in the study."""
    from pyproj import Transformer

    engine = s.engine
    ids, snap = engine.facility_snaps("drive", base=True)
    net = engine.base_networks["drive"]
    seg = int(snap.seg[ids.index(fid)])
    mid = (net.node_xy[net.seg_u[seg]] + net.node_xy[net.seg_v[seg]]) / 2
    lon, lat = Transformer.from_crs(net.crs, 4326, always_xy=True).transform(*mid)
    return float(lon), float(lat)


def test_road_closures_reproduce_geo_compare_and_undo_to_the_study(
        luzhai: ComputedStudy, tmp_path: Path) -> None:
    from geo.planning.compare import compare

    s = Session.from_study(luzhai)
    before = {n: (st.seconds.copy(), st.nearest.copy()) for n, st in s.engine.states.items()}
    tables0 = s.tables()
    s.add("township_health_center", 109.70, 24.62)
    out = s.close_road(*_joined_segment_midpoint(s, "LZ-T04"))  # the road 黄冕镇's centre is on
    notes = out["roads"]["notes"]
    assert any(n.startswith("drive: 1 facilities stood on a closed road") and "(LZ-T04)" in n
               for n in notes), notes
    assert any("demand points" in n and "people" in n for n in notes)
    assert out["roads"]["changes"][0]["detail"].startswith("closed: ")
    # shown in the study's language (Chinese here), the words geo compare writes kept
    shown = out["roads"]["changes"][0]["shown"]
    assert shown.startswith("封闭：") and shown.endswith("公里（机动车）"), shown
    assert out["history"]["list"][-1]["road"] == shown
    s.close("LZ-T09")
    other = _joined_segment_midpoint(s, "LZ-T02")
    s.close_road(*other)
    with pytest.raises(WhatIfError, match="closed already"):
        s.close_road(*other)
    assert_exact(s)
    path = tmp_path / "roads.toml"
    path.write_text(s.scenario_text("roads", "roads", "analysis/luzhai.toml"), encoding="utf-8")
    scen = load_scenario(path)
    assert [a["action"] for a in scen.actions] == ["add", "close", "close_road", "close_road"]
    comp = compare(luzhai, path)  # geo compare of the saved scenario: the same answer
    for std in luzhai.standards:
        if std.name not in comp.minutes_after:
            continue
        np.testing.assert_array_equal(s.engine.minutes(std.name), comp.minutes_after[std.name])
    # the notes the page shows are the notes geo compare writes
    assert [n for n in comp.notes if n.startswith(("drive:", "walk:"))] == s.roads()["notes"]
    # and the page shows them glossed in Chinese, the words geo compare writes kept after
    shown = s.roads()["shown"]
    assert len(shown) == len(s.roads()["notes"]) and all(
        n.endswith(f"（{e}）") and "关闭" in n for n, e in zip(shown, s.roads()["notes"],
                                                               strict=True))
    # the workbench's export (the geo compare folder, checked against the page's table)
    exported = s.export(tmp_path / "exports", "roads", "roads", "analysis/luzhai.toml")
    assert exported["differences"] == []
    # undo every step: the study's own answer, exactly
    while s.history()["can_undo"]:
        s.undo()
    for n, (secs, near) in before.items():
        np.testing.assert_array_equal(s.engine.states[n].seconds, secs)
        np.testing.assert_array_equal(s.engine.states[n].nearest, near)
    assert s.tables() == tables0 and s.roads() == {"changes": [], "notes": [], "shown": []}
    # a scenario with closures and a slowdown loads (one step) and equals geo compare
    lon, lat = _joined_segment_midpoint(s, "LZ-T06")
    path.write_text(path.read_text(encoding="utf-8") + '\n[[actions]]\naction = "slow_road"\n'
                    f'lon = {lon!r}\nlat = {lat!r}\nfactor = 0.5\n', encoding="utf-8")
    scen = load_scenario(path)
    s.load(scen.actions, {"name": "roads"})
    comp = compare(luzhai, path)
    for std in luzhai.standards:
        if std.name in comp.minutes_after:
            np.testing.assert_array_equal(s.engine.minutes(std.name),
                                          comp.minutes_after[std.name])
    assert [c["action"] for c in s.roads()["changes"]] == ["close_road", "close_road",
                                                          "slow_road"]
    assert_exact(s)
    # suggestions rest on the intact roads' reach: refused while a road is changed
    with pytest.raises(SitingError, match="a road is closed or slowed"):
        s.start_suggest("emergency_1h", 1, "mclp")
