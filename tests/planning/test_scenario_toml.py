"""The scenario writer: what scenario_toml writes, load_scenario (tomllib) reads back to
the same actions, floats bit for bit and text in any script, quotes and control
characters included; the shipped scenarios survive a write and read unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.errors import ScenarioError
from geo.planning.scenario import load_scenario, parse_scenario, scenario_toml
from tests.conftest import ROOT

AWKWARD = ['say "hi"', "back\\slash", "new\nline", "tab\tand\rreturn", "del\x7f", "鹿寨县 ☃",
           "'single'", "[not a table]", "# not a comment", "=HYPERLINK(\"x\")", "\u2028", ""]


def test_actions_round_trip_exactly(tmp_path: Path) -> None:
    actions = [
        {"action": "add", "id": "NEW-001", "name": AWKWARD[0], "type": "village_clinic",
         "lon": 0.1 + 0.2, "lat": 24.000000000000004, "project": AWKWARD[5],
         "note": AWKWARD[2]},
        {"action": "move", "id": "LZ-T08", "lon": 109.720397, "lat": 1e-05},
        {"action": "move", "id": "LZ-T07", "offset_m": 500, "bearing": 135.5},
        {"action": "close", "id": "LZ-T09", "note": AWKWARD[4]},
        {"action": "retype", "id": "LZ-T02", "type": "grade2_hospital"},
        {"action": "designate", "ids": ["LZ-T05", "LZ-T06"], "role": "ems_station"},
        {"action": "add_road", "coords": [[109.7, 24.5], [109.8, 24.6]], "highway": "primary",
         "oneway": True, "maxspeed": 60, "name": AWKWARD[3]},
    ] + [{"action": "close", "id": f"X{i}", "note": text} for i, text in enumerate(AWKWARD)]
    left = [{"project": "P02", "reason": AWKWARD[1]}]
    text = scenario_toml("s1", AWKWARD[5], actions, description=AWKWARD[2],
                         source=AWKWARD[6], left_out=left, comment=["two\nlines", "ok"])
    path = tmp_path / "s1.toml"
    path.write_text(text, encoding="utf-8")
    back = load_scenario(path)
    assert back.actions == actions  # floats compare exactly: repr round-trips
    assert back.left_out == left and back.title == AWKWARD[5]
    assert back.description == AWKWARD[2] and back.name == "s1"
    assert text.startswith("# two lines\n# ok\n\n[scenario]\n")


@pytest.mark.parametrize("name", ["planned_2025", "planned_2025_ems"])
def test_the_shipped_scenarios_survive_a_rewrite(name: str) -> None:
    scen = load_scenario(ROOT / "analysis" / "scenarios" / f"{name}.toml")
    text = scenario_toml(scen.name, scen.title, scen.actions, description=scen.description,
                         left_out=scen.left_out)
    again = parse_scenario(text, f"{name}.toml")
    assert (again.actions, again.left_out, again.title) == (scen.actions, scen.left_out,
                                                            scen.title)


def test_what_the_loader_refuses_is_not_written() -> None:
    with pytest.raises(ScenarioError, match=r"\[\[actions\]\] 1 \(add A\) needs 'name'"):
        scenario_toml("x", "x", [{"action": "add", "id": "A"}])
    with pytest.raises(ScenarioError, match="lon = nan is out of range: give a number"):
        scenario_toml("x", "x", [{"action": "move", "id": "A", "lon": float("nan"),
                                  "lat": 1.0}])
    with pytest.raises(ScenarioError, match=r"\[\[left_out\]\] 1 needs 'reason'"):
        scenario_toml("x", "x", [], left_out=[{"project": "P"}])


def test_a_crs_in_capitals_is_read_as_written_in_lower_case() -> None:
    """GCJ02 is gcj02 (as the study file's crs keys read it), in a scenario too."""
    text = ('[[actions]]\naction = "add"\nid = "A"\nname = "a"\ntype = "village_clinic"\n'
            'lon = 109.8\nlat = 24.5\ncrs = "GCJ02"\n')
    assert parse_scenario(text, "s.toml").actions[0]["crs"] == "GCJ02"  # kept as written
    with pytest.raises(ScenarioError, match=r"crs = 'GCJ2' is not allowed \(did you mean "
                                            r"'gcj02'\?\)"):
        parse_scenario(text.replace("GCJ02", "GCJ2"), "s.toml")
