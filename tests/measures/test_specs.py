"""Measure and response specs: the shipped ones, defaults, and errors with their fixes."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from geo.coverage.standards import load_standards
from geo.errors import MeasureError
from geo.measures import Steps, load_measure_specs, parse_measure_specs

ROOT = Path(__file__).resolve().parents[2]
STANDARDS = ROOT / "analysis" / "standards.toml"

TYPES = {"county_general_hospital": "x", "township_health_center": "y"}
BASE: dict[str, Any] = {
    "label": "beds", "method": "2sfca", "supply": "beds", "minutes": 30, "mode": "drive",
    "direction": "to_facility", "facility_types": ["county_general_hospital"], "per": 1000,
    "target": 7, "source": "plan", "section": "s",
}


def _one(**patch: Any) -> Any:
    raw = {**copy.deepcopy(BASE), **patch}
    raw = {k: v for k, v in raw.items() if v is not None}
    return parse_measure_specs({"facility_types": TYPES, "measures": {"m": raw}}).measures["m"]


def test_the_shipped_specs() -> None:
    specs = load_measure_specs(STANDARDS)
    m = specs.measures
    assert m["beds_per_1000_2025"].target == 7 and m["beds_per_1000_2025"].per == 1000
    assert m["beds_per_1000_2025"].method == "gaussian_2sfca"
    assert m["ambulances_per_10000_2025"].per == 10000
    assert m["ambulances_per_10000_2025"].target == 0.77
    assert m["ambulances_per_10000_2025"].direction == "from_facility"
    assert m["doctors_per_1000_2025"].steps == ((10, 1.0), (20, 0.68), (30, 0.22))
    assert m["beds_per_1000_liuzhou"].target == 6.35
    assert m["doctors_per_1000_liuzhou"].target == 2.77
    for spec in m.values():  # every one cites its document and quotes it
        assert spec.source and spec.section and spec.quote
    r = specs.responses["emergency_response_1h"]
    assert r.target_minutes == 60 and r.dispatch_minutes == 3 and "1小时" in r.quote
    # the coverage standards are read as before, without the new tables
    assert sorted(load_standards(STANDARDS).standards) == [
        "community_15min", "emergency_1h", "primary_care_30min", "rescue_2h"]


def test_default_steps_are_the_published_bands_scaled_to_the_catchment() -> None:
    e = _one(method="e2sfca", minutes=30)
    assert e.steps == ((10, 1.0), (20, 0.68), (30, 0.22))  # Luo & Qi exactly
    assert e.weight() == Steps((600.0, 1200.0, 1800.0), (1.0, 0.68, 0.22))
    assert _one(method="e2sfca", minutes=60).steps[0] == (20, 1.0)
    t = _one(method="3sfca", minutes=60)
    assert t.steps == ((10, 0.962), (20, 0.704), (30, 0.377), (60, 0.042))  # Wan et al.
    assert _one(method="gaussian_2sfca", minutes=45).weight().d0_s == 2700.0  # type: ignore[union-attr]
    g = _one(method="gravity", beta=1.5, target=None, per=None)
    assert (g.decay, g.scale_minutes, g.min_minutes) == ("power", 1.0, 1.0)


@pytest.mark.parametrize(("patch", "message"), [
    ({"minuts": 30}, "unknown option 'minuts' in [measures.m] (did you mean 'minutes'?)"),
    ({"steps": [[30, 1.0]]}, "[measures.m] steps does not apply to method '2sfca'"),
    ({"steps": []}, "[measures.m] steps does not apply"),
    ({"method": "e2sfca", "steps": []}, "[measures.m] steps is empty"),
    ({"method": "e2sfca", "steps": [[10, "1"]]}, "[measures.m] steps = [[10, '1']] has the"),
    ({"method": "2sfcaa"}, "did you mean '2sfca'"),
    ({"method": "hansen", "beta": 1}, "takes no target"),
    ({"per": None}, "a target needs `per`"),
    ({"facility_types": ["clinic"]}, "unknown facility types ['clinic']"),
    ({"minutes": None}, "[measures.m] lacks ['minutes']"),
    ({"minutes": "30"}, "[measures.m] minutes must be a number, got '30'"),
    ({"facility_types": "county_general_hospital"}, "facility_types has the wrong type"),
    ({"name": "n"}, "unknown option 'name' in [measures.m]"),
    ({"method": "e2sfca", "steps": [[10, 1.0], [20, 0.5]]}, "the last step must end at the"),
    ({"method": "e2sfca", "steps": [[20, 1.0], [10, 0.5], [30, 0.2]]}, "increasing"),
    ({"method": "gravity"}, "lacks ['beta']"),
    ({"comparison": "above"}, "[measures.m] comparison = 'above' is not allowed"),
    ({"target": -1}, "[measures.m] target = -1 is out of range: give a number at least 0"),
])
def test_errors_name_the_problem(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(MeasureError) as e:
        _one(**patch)
    assert message in str(e.value)


def test_located_takes_no_catchment_and_overrides_apply() -> None:
    loc = _one(method="located", minutes=None, mode=None, direction=None)
    assert loc.max_seconds is None
    with pytest.raises(MeasureError, match="minutes does not apply to method 'located'"):
        _one(method="located")
    data = {"facility_types": TYPES, "measures": {"m": BASE}}
    patched = parse_measure_specs(data, {"m": {"target": 6.35}})
    assert patched.measures["m"].target == 6.35
    with pytest.raises(MeasureError, match="unknown measure 'x'"):
        parse_measure_specs(data, {"x": {"target": 1}})


def test_response_spec_errors() -> None:
    raw = {"label": "r", "bases": ["county_general_hospital"],
           "hospitals": ["county_general_hospital"], "mode": "drive", "dispatch_minutes": 3,
           "target_minutes": 60, "source": "p", "section": "s"}
    ok = parse_measure_specs({"facility_types": TYPES, "response": {"r": raw}})
    assert ok.responses["r"].scene_minutes == 0.0 and ok.responses["r"].speed_factor == {}
    for patch, msg in [({"dispatch_minute": 3}, "in [response.r] (did you mean "
                                                "'dispatch_minutes'?)"),
                       ({"dispatch_minutes": -1}, "dispatch_minutes = -1 is out of range"),
                       ({"speed_factor": {"trunk": 0}}, "speed_factor trunk = 0 is out of range"
                                                        ": give a number above 0"),
                       ({"bases": []}, "[response.r] bases is empty"),
                       ({"target_share": 1.5}, "target_share = 1.5 is out of range: give a "
                                               "number above 0 and at most 1")]:
        with pytest.raises(MeasureError) as e:
            parse_measure_specs({"facility_types": TYPES, "response": {"r": {**raw, **patch}}})
        assert msg in str(e.value)


def test_geo_measures_is_arrays_only() -> None:
    """Like geo.siting: no data frames, no geometry, nothing from the routing layers."""
    code = ("import sys, geo.measures; bad = [m for m in ('pandas', 'geopandas', 'shapely', "
            "'geo.routing', 'geo.network', 'geo.study.run', 'geo.coverage.tables') "
            "if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
