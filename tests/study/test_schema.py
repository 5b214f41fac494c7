"""The study-file schema: every key checked for type, neighbours, ranges and enumerations;
the option list of docs/study-file.md is the schema's."""

from __future__ import annotations

import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from geo import settings
from geo.errors import StudyError
from geo.options import doc_block
from geo.study.schema import (
    SECTIONS,
    RoadsSection,
    load_study,
    options_text,
)
from tests.conftest import ROOT, toml_value

VALID: dict[str, dict[str, Any]] = {
    "study": {"name": "t", "language": "zh"},
    "area": {"boundary": "area.geojson"},
    "facilities": {"path": "fac.csv"},
    "townships": {"seats": "seats.csv"},
    "roads": {"path": "roads.geojson"},
    "access": {},
    "population": {"method": "even", "total": 1000},
    "standards": {"use": ["emergency_1h", "primary_care_30min"]},
}



def write(tmp_path: Path, changes: dict[str, dict[str, Any]] | None = None,
          drop: tuple[str, str] | None = None) -> Path:
    """A study file: VALID with ``changes`` merged in and the key ``drop`` removed."""
    sections = {k: dict(v) for k, v in VALID.items()}
    for sec, kv in (changes or {}).items():
        sections.setdefault(sec, {}).update(kv)
    if drop:
        sections[drop[0]].pop(drop[1])
    text = "\n".join(f"[{s}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in kv.items())
                     for s, kv in sections.items())
    p = tmp_path / "study.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _wrong_value(hint: Any) -> object:
    """A value of the wrong type for a field of type ``hint``."""
    base = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    h = base[0] if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType) \
        else hint
    if h in (float, int):
        return "many"
    if h is bool:
        return "yes"
    if h in (str, Path):
        return 42
    if typing.get_origin(h) is tuple:
        return "motorway"
    if typing.get_origin(h) is dict:
        return 7
    raise AssertionError(h)


def _every_key() -> list[tuple[str, str, Any]]:
    return [(name, f.name, typing.get_type_hints(cls)[f.name])
            for name, cls in SECTIONS.items() for f in fields(cls)]


def test_the_valid_study_loads(tmp_path: Path) -> None:
    s = load_study(write(tmp_path))
    assert s.roads.snap_tolerance_m == settings.SNAP_TOLERANCE_M  # defaults from settings
    assert s.access.snap_exclude == settings.SNAP_EXCLUDE
    assert s.population.grid_spacing_m == settings.DEFAULT_GRID_SPACING_M
    assert s.access_kmh("drive") == settings.ACCESS_SPEED_KMH["drive"]
    assert s.map_standard == "emergency_1h"  # the first of [standards] use
    assert s.area.boundary == (tmp_path / "area.geojson").resolve()  # relative to the file


@pytest.mark.parametrize(("section", "key", "hint"), _every_key())
def test_every_key_refuses_a_wrong_type(tmp_path: Path, section: str, key: str,
                                        hint: Any) -> None:
    with pytest.raises(StudyError) as info:
        load_study(write(tmp_path, {section: {key: _wrong_value(hint)}}))
    assert f"[{section}] {key}" in str(info.value)


@pytest.mark.parametrize(("section", "key", "hint"), _every_key())
def test_every_key_names_its_misspelt_neighbour(tmp_path: Path, section: str, key: str,
                                               hint: Any) -> None:
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")  # one letter off
    with pytest.raises(StudyError) as info:
        load_study(write(tmp_path, {section: {typo: 1}}))
    msg = str(info.value)
    assert f"[{section}]" in msg and repr(typo) in msg
    assert f"did you mean {key!r}" in msg, msg


@pytest.mark.parametrize(("changes", "words"), [
    ({"standards": {"overrides": {"emergency_1h": {"minute": 30}}}},
     ["overrides emergency_1h", "'minute'", "did you mean 'minutes'"]),
    ({"standards": {"overrides": {"emergency_1hh": {"minutes": 30}}}},
     ["'emergency_1hh'", "did you mean 'emergency_1h'"]),
    ({"standards": {"overrides": {"emergency_1h": {"minutes": "thirty"}}}},
     ["overrides emergency_1h.minutes", "number"]),
    ({"standards": {"overrides": {"emergency_1h": {"mode": "fly"}}}},
     ["emergency_1h.mode", "drive, walk"]),
    ({"access": {"snap_exclude": ["motorwya"]}}, ["[access] snap_exclude", "'motorwya'",
                                                   "did you mean 'motorway'"]),
    ({"roads": {"speeds_kmh": {"primery": 60}}}, ["[roads] speeds_kmh", "did you mean 'primary'"]),
    ({"roads": {"speeds_kmh": {"primary": 0}}}, ["[roads] speeds_kmh primary", "above 0"]),
    ({"roads": {"speeds_kmh": {"primary": "fast"}}}, ["[roads] speeds_kmh primary", "number"]),
    ({"roads": {"speeds_kmh": {"primary": -40}}}, ["speeds_kmh primary", "out of range"]),
    ({"access": {"drive_kmh": 0}}, ["[access] drive_kmh", "above 0"]),
    ({"population": {"grid_spacing_m": 10}}, ["[population] grid_spacing_m", "at least 50"]),
    ({"population": {"band": 2}}, ["[population] band", "'raster'", "method"]),
    ({"population": {"method": "table"}}, ["method = 'table'", "path"]),
    ({"study": {"language": "fr"}}, ["[study] language", "zh, en"]),
    ({"study": {"map_standard": "rescue_2h"}}, ["[study] map_standard", "not in [standards] use"]),
    ({"standards": {"use": []}}, ["[standards] use is empty"]),
    ({"standards": {"use": ["emergency_1h", "emergency_1h"]}}, ["more than once"]),
    ({"facilities": {"crs": "wgs8"}}, ["[facilities] crs", "did you mean 'wgs84'"]),
    ({"roads": {"crs": "EPSG:999999"}}, ["[roads] crs", "EPSG code"]),
    ({"facilities": {"path": ""}}, ["[facilities] path is empty"]),
])
def test_values_are_checked(tmp_path: Path, changes: dict[str, dict[str, Any]],
                            words: list[str]) -> None:
    with pytest.raises(StudyError) as info:
        load_study(write(tmp_path, changes))
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_required_keys_and_sections(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match=r"\[roads\] needs 'path'"):
        load_study(write(tmp_path, drop=("roads", "path")))
    with pytest.raises(StudyError, match="either 'boundaries'"):
        load_study(write(tmp_path, drop=("townships", "seats")))
    p = write(tmp_path)
    p.write_text(p.read_text(encoding="utf-8") + "[acess]\ndrive_kmh = 20\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"unknown section \[acess\] \(did you mean 'access'"):
        load_study(p)


def test_crs_names_and_epsg_codes(tmp_path: Path) -> None:
    s = load_study(write(tmp_path, {"roads": {"crs": "epsg:4547"}, "area": {"crs": "GCJ02"}}))
    assert s.roads.crs == "EPSG:4547" and s.area.crs == "gcj02"


def test_overrides_are_checked_by_the_standards_own_declaration(tmp_path: Path) -> None:
    """[standards] overrides take the keys and values a standard of the standards file
    takes (geo.coverage.standards.Standard): a share over 1 or a name stop."""
    with pytest.raises(StudyError, match=r"overrides emergency_1h.target_share = 1.5 is out "
                                         r"of range: give a number above 0 and at most 1"):
        load_study(write(tmp_path, {"standards": {"overrides": {
            "emergency_1h": {"target_share": 1.5}}}}))
    with pytest.raises(StudyError, match=r"unknown option 'name' in \[standards\] overrides "
                                         r"emergency_1h"):
        load_study(write(tmp_path, {"standards": {"overrides": {"emergency_1h": {"name": "x"}}}}))


def test_documented_option_list_is_the_schema() -> None:
    readme = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    assert doc_block(readme, "options") == options_text(), "run `make options-doc`"
    for name, cls in SECTIONS.items():  # and every key appears in it
        for f in fields(cls):
            assert f"`{f.name}`" in doc_block(readme, "options"), (name, f.name)


def test_the_roads_defaults_are_settings() -> None:
    r = RoadsSection(path=Path("x"))
    assert r.min_component_share == settings.MIN_COMPONENT_SHARE
    assert r.speeds_kmh == {}


def test_demo_study_loads() -> None:
    s = load_study(ROOT / "analysis" / "luzhai.toml")
    assert s.population.grid_spacing_m == 500 and s.language == "zh"
