"""The what-if engine on the Luzhai study: its baseline is the study, a scenario applied
edit by edit equals the scenario path of `geo compare`, random edits with undo and redo
equal a full rerun after every step, and the township tallies equal a recount."""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import WhatIfError
from geo.planning.scenario import apply_scenario, load_scenario
from geo.study.run import ComputedStudy, run_study
from geo.whatif.baseline import from_study
from geo.whatif.engine import Edit, WhatIf
from geo.whatif.tally import CoverageTally, township_codes
from tests.conftest import ROOT

STUDY = ROOT / "analysis" / "luzhai.toml"


@pytest.fixture(scope="module")
def luzhai() -> ComputedStudy:
    return run_study(STUDY)


def _assert_exact(engine: WhatIf) -> None:
    """Every standard equals a fresh nearest_facility, and every tally a recount."""
    for name, state in engine.states.items():
        secs, slot = engine.full_rerun(name)
        np.testing.assert_array_equal(state.seconds, secs, err_msg=name)
        np.testing.assert_array_equal(state.nearest, slot, err_msg=name)
        tally = engine.tallies[name]
        fresh = CoverageTally(engine.code, len(engine.townships), tally.units / 2**20,
                              tally.minutes, state.seconds, engine.scopes.get(name))
        np.testing.assert_array_equal(tally.covered_units(), fresh.base)
        was = tally.covered_base
        now = tally.covered(state.seconds)
        for arr, mask in ((tally.gained, now & ~was), (tally.lost, was & ~now)):
            want = np.bincount(engine.code[mask], tally.units[mask],
                               minlength=len(engine.townships))
            np.testing.assert_array_equal(arr, want.astype(np.int64))


def test_baseline_is_the_study(luzhai: ComputedStudy) -> None:
    engine = from_study(luzhai)
    for std in luzhai.standards:
        if f"minutes_{std.name}" not in luzhai.demand:
            assert not engine.applicable(std.name)  # community_15min: no centre in Luzhai
            continue
        np.testing.assert_array_equal(engine.minutes(std.name),
                                      luzhai.demand[f"minutes_{std.name}"].to_numpy())
        assert (engine.nearest_ids(std.name) == luzhai.demand[f"nearest_{std.name}"]).all()
        table = engine.township_table(std.name)
        cov = luzhai.coverage[luzhai.coverage["standard"] == std.name]
        np.testing.assert_allclose(np.round(table["covered"], 1),  # type: ignore[arg-type]
                                   cov["covered_population"].to_numpy(), atol=0.051)
        assert list(cov["township"]) == table["townships"]
    _assert_exact(engine)


def _scenario_by_edits(engine: WhatIf, actions: list[dict[str, object]]) -> None:
    for a in actions:
        kind = a["action"]
        if kind == "move":
            engine.move(str(a["id"]), float(a["lon"]), float(a["lat"]))  # type: ignore[arg-type]
        elif kind == "retype":
            engine.retype(str(a["id"]), str(a["type"]))
        elif kind == "designate":
            for fid in a["ids"]:  # type: ignore[attr-defined]
                engine.designate(str(fid), str(a["role"]))
        else:
            raise AssertionError(f"action {kind} not in this scenario")


def test_a_scenario_edit_by_edit_equals_the_compare_path(luzhai: ComputedStudy) -> None:
    """planned_2025_ems (a move, two upgrades, three ambulance bases) through the
    workbench, against apply_scenario + travel_to (what `geo compare` runs)."""
    scenario = load_scenario(ROOT / "analysis" / "scenarios" / "planned_2025_ems.toml")
    applied = apply_scenario(scenario, luzhai.facilities, luzhai.standard_set)
    after = luzhai.travel_to(applied.facilities)
    minutes, nearest, notes = after.minutes, after.nearest, after.notes
    engine = from_study(luzhai)
    _scenario_by_edits(engine, scenario.actions)
    ids = applied.facilities["id"].to_numpy()
    for std in luzhai.standards:
        if std.name in notes:
            assert not engine.applicable(std.name)
            continue
        np.testing.assert_array_equal(engine.minutes(std.name), minutes[std.name])
        assert (engine.nearest_ids(std.name) == ids[nearest[std.name]]).all()
    gained = engine.township_table("emergency_1h")["newly_covered"]
    assert gained.sum() > 0  # type: ignore[union-attr]  # the bases cover people


def _random_edit(engine: WhatIf, rng: np.random.Generator, n: int, types: list[str]) -> Edit:
    """One random edit; positions are near existing facilities (a third exactly on one:
    co-located facilities, equal times)."""
    open_ = [f for f in engine.facilities if f.open]
    f = open_[rng.integers(len(open_))]
    r = rng.random()
    if r < 0.12 and engine.can_undo:
        return engine.undo()
    if r < 0.2 and engine.can_redo:
        return engine.redo()
    if r < 0.45:
        lon, lat = (f.lon, f.lat) if rng.random() < 0.3 else (
            f.lon + rng.normal(0, 0.05), f.lat + rng.normal(0, 0.05))
        return engine.add(f"NEW{n}", types[rng.integers(len(types))], lon, lat)
    if r < 0.6:
        return engine.move(f.id, f.lon + rng.normal(0, 0.03), f.lat + rng.normal(0, 0.03))
    if r < 0.72 and len(open_) > 3:
        return engine.close(f.id)
    if r < 0.86 or "#" in f.id or f"{f.id}#ems_station" in engine._slot:
        return engine.retype(f.id, types[rng.integers(len(types))])
    return engine.designate(f.id, "ems_station")


def test_random_edits_equal_a_full_rerun_and_undo_restores(luzhai: ComputedStudy) -> None:
    engine = from_study(luzhai)
    start = {n: (s.seconds.copy(), s.nearest.copy(), s.dist.copy(), s.lab.copy())
             for n, s in engine.states.items()}
    types = ["township_health_center", "county_general_hospital", "ems_station",
             "community_health_service_center", "grade2_hospital", "village_clinic"]
    rng = np.random.default_rng(14)
    kinds = set()
    for n in range(45):
        before = {k: (s.seconds.copy(), s.nearest.copy()) for k, s in engine.states.items()}
        edit = _random_edit(engine, rng, n, types)
        kinds.add(edit.action.split()[0])
        _assert_exact(engine)
        for k, s in engine.states.items():  # an edit's change list is exactly what changed
            moved = (before[k][0] != s.seconds) | (before[k][1] != s.nearest)
            np.testing.assert_array_equal(edit.changed[k], np.flatnonzero(moved))
    assert kinds == {"add", "move", "close", "retype", "designate", "undo", "redo"}
    while engine.can_undo:
        engine.undo()
    for name, s in engine.states.items():
        for got, want in zip((s.seconds, s.nearest, s.dist, s.lab), start[name], strict=True):
            np.testing.assert_array_equal(got, want)
        assert not engine.tallies[name].gained.any() and not engine.tallies[name].lost.any()


def test_an_edit_names_exactly_the_points_it_changed(luzhai: ComputedStudy) -> None:
    engine = from_study(luzhai)
    f = engine.facilities[engine._slot["LZ-T09"]]
    before = {k: (s.seconds.copy(), s.nearest.copy()) for k, s in engine.states.items()}
    edit = engine.designate("LZ-T09", "ems_station")
    for k, s in engine.states.items():
        moved = np.flatnonzero((before[k][0] != s.seconds) | (before[k][1] != s.nearest))
        np.testing.assert_array_equal(edit.changed[k], moved)
    assert len(edit.changed["emergency_1h"]) > 0
    assert len(edit.changed["primary_care_30min"]) == 0  # the role counts only for 120
    before = {k: (s.seconds.copy(), s.nearest.copy()) for k, s in engine.states.items()}
    there, back = engine.move("LZ-T09", f.lon + 0.01, f.lat), engine.move("LZ-T09", f.lon, f.lat)
    for k, s in engine.states.items():  # back where it was: the same minutes again, and the
        np.testing.assert_array_equal(s.seconds, before[k][0])  # same points changed back
        np.testing.assert_array_equal(s.nearest, before[k][1])
        np.testing.assert_array_equal(there.changed[k], back.changed[k])
    assert len(there.changed["primary_care_30min"]) > 0


def test_tally_by_hand() -> None:
    code, names = township_codes(["A", "B", "A", "B"], ["B", "A"])
    assert names == ["B", "A"] and code.tolist() == [1, 0, 1, 0]
    # minutes 10, 40, 25, 35 against a 30-minute standard: A covers 100 + 300, B none
    t = CoverageTally(code, 2, np.array([100.0, 200.0, 300.0, 400.0]), 30.0,
                      np.array([10.0, 40.0, 25.0, 35.0]) * 60)
    assert t.people()["covered"].tolist() == [0.0, 400.0]
    t.update(np.array([1, 2]), np.array([20.0, 31.0]) * 60)  # B's 200 in, A's 300 out
    p = t.people()
    assert p["covered"].tolist() == [200.0, 100.0]
    assert p["newly_covered"].tolist() == [200.0, 0.0] and p["lost"].tolist() == [0.0, 300.0]
    t.update(np.array([2]), np.array([30.0]) * 60)  # exactly 30 minutes counts as covered
    assert t.people()["lost"].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="not in the township list"):
        township_codes(["A", "C"], ["A", "B"])


def test_edits_that_cannot_be_made_say_why(luzhai: ComputedStudy) -> None:
    engine = from_study(luzhai)
    with pytest.raises(WhatIfError, match="nothing to undo"):
        engine.undo()
    with pytest.raises(WhatIfError, match="no facility with id"):
        engine.move("LZ-NOPE", 109.7, 24.5)
    with pytest.raises(WhatIfError, match="facility-type table"):
        engine.add("X1", "hospitl", 109.7, 24.5)
    with pytest.raises(WhatIfError, match="already used"):
        engine.add("LZ-H01", "ems_station", 109.7, 24.5)
    engine.close("LZ-T09")
    with pytest.raises(WhatIfError, match="closed; undo the close"):
        engine.retype("LZ-T09", "grade2_hospital")
    engine.undo()
    engine.retype("LZ-T09", "grade2_hospital")
    assert engine.facilities[engine._slot["LZ-T09"]].type == "grade2_hospital"
    with pytest.raises(WhatIfError, match="nothing to redo"):
        engine.redo()
