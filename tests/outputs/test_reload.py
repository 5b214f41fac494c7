"""A run's results reload into the same computed study, and planning from it gives the
same answers as planning from the fresh run; changed inputs are refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.errors import StudyError
from geo.outputs.reload import load_computed
from geo.outputs.write import write_outputs
from geo.planning.compare import compare
from geo.planning.sites import designate
from geo.study.run import run_study
from tests.conftest import DATA, ROOT


@pytest.fixture(scope="module")
def both(luzhai_demo: tuple[Any, Path]) -> tuple[Any, Any]:
    fresh, out = luzhai_demo
    return fresh, load_computed(out)


def test_reload_holds_the_same_numbers(both: tuple[Any, Any]) -> None:
    fresh, again = both
    assert [s.name for s in again.standards] == [s.name for s in fresh.standards]
    assert set(again.travel.minutes) == set(fresh.travel.minutes)
    for name, m in fresh.travel.minutes.items():
        np.testing.assert_array_equal(again.travel.minutes[name], m)  # bit for bit
        np.testing.assert_array_equal(again.travel.nearest[name], fresh.travel.nearest[name])
    assert again.travel.notes == fresh.travel.notes
    np.testing.assert_array_equal(again.population, fresh.population)
    assert list(again.demand["township"]) == list(fresh.demand["township"])
    assert again.township_order == fresh.township_order
    assert list(again.facilities["id"]) == list(fresh.facilities["id"])
    assert len(again.cells) == len(fresh.cells)
    for mode, net in fresh.networks.items():
        assert again.networks[mode].n_nodes == net.n_nodes
    pd.testing.assert_frame_equal(again.coverage.reset_index(drop=True),
                                  fresh.coverage.reset_index(drop=True), check_dtype=False)
    # the input checks come back with their statuses, messages and accepted stops
    assert [(c.key, c.status, c.accepted, c.message, c.fix) for c in again.checks] == [
        (c.key, c.status, c.accepted, c.message, c.fix) for c in fresh.checks]
    assert any(c.accepted for c in again.checks)  # luzhai.toml accepts road_coverage


def test_reload_holds_the_measures_and_the_response(both: tuple[Any, Any]) -> None:
    fresh, again = both
    a, b = fresh.resources, again.resources
    assert a.measure_names == ["primary_care_facilities_per_10000"]
    assert a.response_names == ["emergency_response_1h"]
    for attr in ("measures", "response", "facilities", "areas"):
        left, right = getattr(a, attr), getattr(b, attr)
        assert len(left) > 0, attr
        pd.testing.assert_frame_equal(pd.DataFrame(left).reset_index(drop=True),
                                      pd.DataFrame(right).reset_index(drop=True),
                                      check_dtype=False, obj=attr)
    assert b.notes == a.notes and any(n.startswith("not computed:") for n in b.notes)
    added = [c for c in fresh.demand.columns if c.startswith(
        ("access_", "basin_", "response_min_", "base_", "care_min_", "hospital_"))]
    assert len(added) == 6
    for col in added:  # bit for bit
        np.testing.assert_array_equal(again.demand[col].to_numpy(), fresh.demand[col].to_numpy())


def test_reload_refuses_results_without_the_measures_the_study_uses(
        luzhai_demo: tuple[Any, Path], tmp_path: Path) -> None:
    gpkg = tmp_path / "results.gpkg"
    shutil.copy(luzhai_demo[1] / "results.gpkg", gpkg)
    with sqlite3.connect(gpkg) as con:  # a results.gpkg of an older geo: no measures layer
        con.execute("DROP TABLE measures")
        con.execute("DELETE FROM gpkg_contents WHERE table_name = 'measures'")
        con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'measures'")
    with pytest.raises(StudyError, match=r"primary_care_facilities_per_10000.*re-run the study"):
        load_computed(gpkg)


def test_planning_from_a_reload_equals_planning_from_the_run(both: tuple[Any, Any]) -> None:
    fresh, again = both
    kw: dict[str, Any] = {"from_types": ["township_health_center"], "role": "ems_station",
                          "k": 2, "minutes": 30}
    a, b = designate(fresh, **kw), designate(again, **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    c1, c2 = compare(fresh, "planned_2025"), compare(again, "planned_2025")
    pd.testing.assert_frame_equal(c1.table, c2.table)


def test_changed_inputs_are_refused(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "analysis", tmp_path / "analysis")
    shutil.copytree(DATA, tmp_path / "data")
    out = tmp_path / "out"
    write_outputs(run_study(tmp_path / "analysis" / "luzhai.toml"), out)
    load_computed(out)  # unchanged: fine
    fac = tmp_path / "data" / "facilities" / "facilities_luzhai.csv"
    fac.write_text(fac.read_text(encoding="utf-8").replace("鹿寨县人民医院", "鹿寨县医院"),
                   encoding="utf-8")
    with pytest.raises(StudyError, match=r"changed: facilities.*re-run the study"):
        load_computed(out / "results.gpkg")
