"""The workbench's API against a real server on a free port (Luzhai study).

Every edit over HTTP leaves the state equal to a full rerun; the saved scenario, run
through `geo compare` (compare + its table), gives the page's township table exactly; a
scenario reloaded gives the same state; a refused request changes nothing; requests for
another host or from another site are refused; no endpoint reads a path the browser
names; errors carry the CLI's messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.coverage.bands import BREAKS
from geo.planning.compare import compare
from geo.study.run import ComputedStudy
from tests.serve.conftest import Served, assert_exact

#: an edit sequence touching every kind of edit, ties (a hospital added on the county
#: hospitals' spot) and a role twin whose base then moves
EDITS: list[tuple[str, dict[str, Any]]] = [
    ("/api/add", {"type": "township_health_center", "lon": 109.60, "lat": 24.75}),
    ("/api/move", {"id": "LZ-T08", "lon": 109.720397, "lat": 24.258532}),
    ("/api/close", {"id": "LZ-T09"}),
    ("/api/retype", {"id": "LZ-T02", "type": "grade2_hospital"}),
    ("/api/designate", {"id": "LZ-T05", "role": "ems_station"}),
    ("/api/add", {"type": "county_general_hospital", "lon": 109.752928, "lat": 24.487206}),
    ("/api/designate", {"id": "NEW-001", "role": "ems_station"}),
    ("/api/move", {"id": "NEW-001", "lon": 109.63, "lat": 24.72}),
    ("/api/undo", {}),
    ("/api/redo", {}),
    ("/api/add", {"type": "emergency_rescue_center", "lon": 110.0, "lat": 24.55}),
    ("/api/close", {"id": "NEW-003"}),
    ("/api/add", {"type": "ems_station", "lon": 109.95, "lat": 24.30, "name": '=1+1 "站"'}),
]


def _snapshot(s: Served) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {n: (st.seconds.copy(), st.nearest.copy()) for n, st in s.session.engine.states.items()}


def _bands(minutes: np.ndarray) -> list[int]:
    """Band per point, worked out from the limits: 0 below 15 … 4 from 120, -1 none."""
    out = []
    for m in minutes:
        out.append(-1 if not np.isfinite(m) else sum(1 for b in BREAKS if m >= b))
    return out


def _run(s: Served, edits: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    reply: dict[str, Any] = {}
    for path, body in edits:
        before = _snapshot(s)
        reply = s.client.ok(path, body)
        assert_exact(s.session)
        for name, (secs, near) in before.items():
            st = s.session.engine.states[name]
            moved = np.flatnonzero((secs != st.seconds) | (near != st.nearest))
            got = reply["cells"][name]
            assert got["idx"] == moved.tolist(), (path, name)  # exactly the changed cells
            assert got["band"] == _bands(st.seconds[moved] / 60.0), (path, name)
    return reply


def assert_table_is_compare(tables: dict[str, Any], comp: pd.DataFrame) -> None:
    """The page's tables equal a comparison table's before/after/change columns."""
    for name, t in tables.items():
        sub = comp[comp["standard"] == name].set_index("township")
        for row in [*t["rows"], t["area"]]:
            c = sub.loc[row["township"]]  # every row, the area's too (not applicable: NaN)
            assert row["population"] == c["population"], (name, row["township"])
            met = c["meets_target_after"]
            assert row["meets"] == (None if pd.isna(met) else bool(met)), (name, row)
            for mine, col in (("covered", "covered_population"), ("share", "covered_share"),
                              ("median", "median_minutes")):
                for key, suffix in ((mine, "after"), (f"{mine}_before", "before"),
                                    (f"{mine}_change", "change")):
                    want = c[f"{col}_{suffix}"]
                    got = row[key]
                    if pd.isna(want):
                        assert got is None, (name, row["township"], key, got)
                    else:
                        assert got == float(want), (name, row["township"], key, got, want)


def _gains(comp: Any, luzhai: ComputedStudy, name: str) -> pd.DataFrame:
    """People newly within / no longer within the standard, by township, from the
    comparison's own minutes (not the workbench's tallies)."""
    t = luzhai.standard(name).minutes
    before = comp.minutes_before.get(name, np.full(len(luzhai.demand), np.inf))
    after = comp.minutes_after.get(name, np.full(len(luzhai.demand), np.inf))
    frame = pd.DataFrame({"town": luzhai.demand["township"].to_numpy(),
                          "pop": luzhai.population,
                          "up": (before > t) & (after <= t), "down": (before <= t) & (after > t)})
    frame["gain"] = frame["pop"] * frame["up"]
    frame["loss"] = frame["pop"] * frame["down"]
    return frame.groupby("town")[["gain", "loss"]].sum()


def _saved(s: Served, tmp_path: Path, name: str = "session") -> Path:
    r = s.client.get(f"/api/scenario.toml?name={name}")
    assert r.status == 200 and r.headers["content-disposition"].endswith(f'"{name}.toml"')
    path = tmp_path / f"{name}.toml"
    path.write_text(r.body, encoding="utf-8")
    return path


def test_edits_equal_a_full_rerun_and_geo_compare_of_the_saved_scenario(
        server: Served, luzhai: ComputedStudy, tmp_path: Path) -> None:
    reply = _run(server, EDITS)
    assert reply["history"]["can_undo"] and not reply["history"]["can_redo"]
    tables = server.client.get("/api/state").body["tables"]
    assert tables == reply["tables"]
    path = _saved(server, tmp_path)
    comp = compare(luzhai, str(path))  # what `geo compare STUDY --scenario path` computes
    assert_table_is_compare(tables, comp.table)
    for name in tables:  # and the change from the baseline, from compare's minutes
        if name not in comp.minutes_after:
            continue
        want = _gains(comp, luzhai, name)
        for row in tables[name]["rows"]:
            assert row["newly_covered"] == pytest.approx(want.loc[row["township"], "gain"],
                                                         abs=0.051)
            assert row["lost"] == pytest.approx(want.loc[row["township"], "loss"], abs=0.051)
    assert tables["emergency_1h"]["area"]["newly_covered"] > 0
    assert tables["primary_care_30min"]["area"]["lost"] > 0  # 拉沟乡's centre closed
    text = path.read_text(encoding="utf-8")
    assert 'action = "close"\nid = "LZ-T09"' in text and "NEW-003" not in text
    assert 'ids = ["LZ-T05"]' in text  # a twin at its base's place stays a designation
    assert 'id = "NEW-001#ems_station"' in text  # its base moved away: an add


def test_a_reloaded_scenario_gives_the_same_state(serve: Any, tmp_path: Path) -> None:
    one = serve()
    _run(one, EDITS)
    path = _saved(one, tmp_path)
    two = serve()
    two.client.ok("/api/add", {"type": "village_clinic", "lon": 109.7, "lat": 24.5})
    state = two.client.ok("/api/scenario", {"text": path.read_text(encoding="utf-8"),
                                            "filename": "session.toml"})
    assert state["kind"] == "state" and state["scenario"]["name"] == "session"
    assert_exact(two.session)
    for name, (secs, near) in _snapshot(one).items():
        st = two.session.engine.states[name]
        np.testing.assert_array_equal(st.seconds, secs)
        ids_one = one.session.engine.nearest_ids(name)
        np.testing.assert_array_equal(two.session.engine.nearest_ids(name), ids_one)
        assert len(near) == len(st.nearest)
    assert state["tables"] == one.client.get("/api/state").body["tables"]
    back = two.client.ok("/api/undo")  # the load is one step: the earlier session returns
    assert back["kind"] == "state" and any(f["type"] == "village_clinic"
                                           for f in back["facilities"])
    assert_exact(two.session)
    again = two.client.ok("/api/redo")
    assert again["tables"] == state["tables"]


BAD: list[tuple[str, Any, int, str]] = [
    ("/api/add", {"type": "hospital", "lon": 109.6, "lat": 24.7}, 400, "not facility type"),
    ("/api/add", {"type": "village_clinic", "lon": 190, "lat": 24.7}, 422, "lon"),
    ("/api/add", {"type": "village_clinic", "lon": 109.6}, 422, "lat: Field required"),
    ("/api/add", {"type": "village_clinic", "lon": 109.6, "lat": 24.7, "x": 1}, 422, "x:"),
    ("/api/move", {"id": "LZ-NOPE", "lon": 109.6, "lat": 24.7}, 400, "no facility"),
    ("/api/close", {"id": "LZ-T09"}, 400, "is closed"),
    ("/api/retype", {"id": "LZ-T01", "type": "clinic"}, 400, "not facility type"),
    ("/api/designate", {"id": "LZ-NOPE", "role": "ems_station"}, 400, "no facility"),
    ("/api/designate", {"id": "LZ-T07", "role": "helipad"}, 400, "not facility type"),
    ("/api/redo", {}, 400, "nothing to redo"),
    ("/api/accept", {"key": "mclp-9-1"}, 400, "no proposed site"),
    ("/api/suggest", {"standard": "primary_care_30min", "k": 0}, 422, "k:"),
    ("/api/scenario", {"text": "[[actions]]\naction = 'fly'"}, 400, "use one of"),
    ("/api/scenario", {"text": "[[actions]]\naction = 'close'\nid = 'X9'"}, 400,
     "no facility with id 'X9'"),
    ("/api/scenario", {"text": "[[actions]]\naction = 'close'\nid = 'LZ-T01'\n[[actions]]\n"
                               "action = 'add_road'\nhighway = 'primary'\n"
                               "coords = [[109.7, 24.5], [109.8, 24.6]]"}, 400,
     "cannot apply add_road"),
]
GOOD = [("/api/close", {"id": "LZ-T09"}),
        ("/api/designate", {"id": "LZ-T06", "role": "ems_station"}),
        ("/api/add", {"type": "township_health_center", "lon": 109.9, "lat": 24.6})]


def _state_of(s: Served) -> dict[str, Any]:
    state = s.client.get("/api/state").body
    state.pop("server_ms")
    text = s.client.get("/api/scenario.toml?name=x").body.split("\n", 1)[1]  # no timestamp
    return {"state": state, "scenario": text, "seconds": _snapshot(s)}


def test_a_refused_request_leaves_the_state_as_it_was(serve: Any) -> None:
    good_only, mixed = serve(), serve()
    for path, body in GOOD:
        good_only.client.ok(path, body)
    for path, body in GOOD:
        mixed.client.ok(path, body)
        for bad_path, bad_body, status, words in BAD:
            r = mixed.client.post(bad_path, bad_body)
            assert r.status == status, (bad_path, bad_body, r.status, r.body)
            assert words in r.body["error"], (bad_path, r.body)
        r = mixed.client.post("/api/add", raw=b"{not json")
        assert r.status == 422 and "error" in r.body
    a, b = _state_of(good_only), _state_of(mixed)
    assert a["state"] == b["state"] and a["scenario"] == b["scenario"]
    for name, (secs, near) in a["seconds"].items():
        np.testing.assert_array_equal(b["seconds"][name][0], secs)
        np.testing.assert_array_equal(b["seconds"][name][1], near)
    assert_exact(mixed.session)


def test_another_host_or_site_is_refused(server: Served) -> None:
    c = server.client
    port = c.port
    assert c.get("/api/state").status == 200
    assert c.get("/api/state", host=f"localhost:{port}").status == 200
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}",
                 f"127.0.0.1.evil.example:{port}"):
        r = c.get("/", host=host)
        assert r.status == 403 and "--allowed-host" in r.body["error"], host
        assert c.post("/api/close", {"id": "LZ-T01"}, host=host).status == 403
    r = c.post("/api/close", {"id": "LZ-T01"}, origin="http://evil.example")
    assert r.status == 403
    assert all(f.open for f in server.session.engine.facilities)  # nothing was closed
    assert c.post("/api/close", {"id": "LZ-T01"},
                  origin=f"http://127.0.0.1:{port}").status == 200


def test_no_file_path_is_taken_from_the_browser(server: Served, tmp_path: Path) -> None:
    c = server.client
    for path in ("/static/..%2F..%2F..%2Fpyproject.toml", "/static/__init__.py",
                 "/vendor/..%2F..%2Ferrors.py", "/vendor/leaflet/LICENSE", "/docs"):
        assert c.get(path).status == 404, path
    assert c.get("/vendor/images/layers.png").status == 200
    r = c.done("/api/export", {"name": "../../escaped", "title": "/etc/passwd"})
    assert Path(r["folder"]) == server.out / "export-001"
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()
    assert sorted(p.name for p in server.out.iterdir()) == ["export-001", "export-001.toml"]
    r = c.post("/api/scenario", {"text": "", "filename": "/etc/hostname"})  # a label only
    assert r.status == 200 and r.body["scenario"]["name"] == "hostname"


def test_export_writes_the_geo_compare_folder(server: Served, luzhai: ComputedStudy) -> None:
    _run(server, EDITS[:5])
    r = server.client.done("/api/export", {"name": "meeting", "title": "会议方案"})
    assert r["differences"] == []
    folder = Path(r["folder"])
    assert sorted(r["files"]) == sorted(p.name for p in folder.iterdir())
    assert "comparison.xlsx" in r["files"] and "comparison_map.html" in r["files"]
    csv = pd.read_csv(folder / "comparison_by_township.csv", encoding="utf-8-sig")
    assert_table_is_compare(server.client.get("/api/state").body["tables"], csv)
    assert r["command"].startswith("geo compare analysis/luzhai.toml --scenario ")
    assert 'title = "会议方案"' in Path(r["scenario"]).read_text(encoding="utf-8")


def test_suggest_and_accept(server: Served) -> None:
    c = server.client
    r = c.done("/api/suggest", {"standard": "primary_care_30min", "k": 2, "model": "mclp",
                                "type": "township_health_center"})
    props = r["proposals"]
    assert [p["rank"] for p in props] == [1, 2] and props[0]["newly_covered"] > 0
    before = c.get("/api/state").body["tables"]["primary_care_30min"]["area"]["covered"]
    up = c.ok("/api/accept", {"key": props[0]["key"]})
    assert_exact(server.session)
    added = next(f for f in up["facilities"] if f["id"].startswith("NEW-"))
    assert (added["lon"], added["lat"]) == (props[0]["lon"], props[0]["lat"])
    assert added["type"] == "township_health_center"
    after = up["tables"]["primary_care_30min"]["area"]
    # the siting model's reach (a reach matrix) and the engine's minutes agree on who
    # comes within 30 minutes
    assert after["covered"] - before == pytest.approx(props[0]["newly_covered"], abs=0.2)
    assert [p["key"] for p in up["proposals"]] == [props[1]["key"]]
    assert c.ok("/api/reject", {"key": props[1]["key"]})["proposals"] == []
    again = c.done("/api/suggest", {"standard": "primary_care_30min", "k": 1})
    assert again["proposals"][0]["key"] != props[0]["key"]
    c.ok("/api/undo")
    assert c.get("/api/state").body["tables"]["primary_care_30min"]["area"]["covered"] == before
    bad = c.post("/api/suggest", {"standard": "primary_care_30min", "k": 1,
                                  "type": "ems_station"})
    assert bad.status == 400 and "would not count" in bad.body["error"]
