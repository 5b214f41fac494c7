"""Every TOML file geo reads is declared one way and read one way (geo.options.opt fields,
geo.options.parse_section): the study file, the batch file, the standards file (standards,
measure and response specs), the facility-type table and scenario files. So an unknown
key gets the same message in each (the table, the key, the closest valid key, every valid
key), a wrong type or range the same words, and the docs list every key from the same
declaration."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from geo.batch.config import load_batch
from geo.cli.docs import BLOCKS
from geo.coverage.standards import Standard, load_standards
from geo.errors import GeoError
from geo.measures.specs import MeasureSpec, ResponseSpec, parse_measure_specs
from geo.options import doc_block
from geo.planning.scenario import ACTION_TYPES, LeftOut, ScenarioSection, parse_scenario
from geo.readers.facility_types import AmbiguousName, FacilityType, load_types
from geo.study.schema import SECTIONS, load_study
from tests.conftest import ROOT

STANDARDS = ROOT / "analysis" / "standards.toml"
TYPES = ROOT / "analysis" / "facility_types.toml"
STUDY = ROOT / "analysis" / "luzhai.toml"


def _toml(data: dict[str, Any]) -> str:
    """TOML text of nested tables of strings, numbers and lists (enough for these files)."""
    def value(v: Any) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        return repr(v)

    lines: list[str] = []

    def table(path: list[str], t: dict[str, Any]) -> None:
        scalars = {k: v for k, v in t.items() if not isinstance(v, dict) or not path}
        subs = {k: v for k, v in t.items() if isinstance(v, dict) and path}
        if path:
            lines.append("[" + ".".join(f'"{p}"' for p in path) + "]")
        for k, v in scalars.items():
            if isinstance(v, dict) and not path:
                table([k], v)
            else:
                lines.append(f'"{k}" = {value(v)}')
        for k, v in subs.items():
            table([*path, k], v)

    table([], data)
    return "\n".join(lines) + "\n"


def _edited(source: Path, folder: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the TOML file ``source`` in ``folder``, with ``edit`` made to its data."""
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    edit(data)
    p = folder / source.name
    p.write_text(_toml(data), encoding="utf-8")
    return p


def _study(tmp_path: Path, section: str, key: str, value: Any) -> Path:
    text = STUDY.read_text(encoding="utf-8").replace("../", str(ROOT) + "/")
    text = text.replace("file = \"standards.toml\"", f'file = "{STANDARDS}"')
    text = text.replace(f"[{section}]\n", f"[{section}]\n{key} = {_toml({'x': value})[6:]}", 1)
    p = tmp_path / "study.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _batch(tmp_path: Path, key: str, value: Any) -> Path:
    p = tmp_path / "batch.toml"
    p.write_text(f"[batch]\ntemplate = \"t.toml\"\nareas = \"a.geojson\"\n{key} = "
                 f"{_toml({'x': value})[6:]}", encoding="utf-8")
    return p


#: an add without its position: the key under test comes first (lon, then lat)
SCENARIO = '[scenario]\nname = "s"\n\n[[actions]]\naction = "add"\nid = "N1"\nname = "新"\n' \
           'type = "township_health_center"\n'


def _errors(tmp_path: Path) -> dict[str, Callable[[str, Any], None]]:
    """Per file kind: a call reading that file with one key set to a value."""
    def study(key: str, value: Any) -> None:
        load_study(_study(tmp_path, "roads", key, value))

    def batch(key: str, value: Any) -> None:
        load_batch(_batch(tmp_path, key, value))

    def standard(key: str, value: Any) -> None:
        load_standards(_edited(STANDARDS, tmp_path, lambda d: d["rescue_2h"].update({key: value})))

    def measure(key: str, value: Any) -> None:
        raw = tomllib.loads(STANDARDS.read_text(encoding="utf-8"))
        raw["measures"]["beds_per_1000_2025"][key] = value
        parse_measure_specs(raw)

    def response(key: str, value: Any) -> None:
        raw = tomllib.loads(STANDARDS.read_text(encoding="utf-8"))
        raw["response"]["emergency_response_1h"][key] = value
        parse_measure_specs(raw)

    def ftype(key: str, value: Any) -> None:
        load_types(_edited(TYPES, tmp_path,
                           lambda d: d["types"]["village_clinic"].update({key: value})))

    def action(key: str, value: Any) -> None:
        parse_scenario(SCENARIO + f"{key} = {_toml({'x': value})[6:]}", "s.toml")

    return {"study": study, "batch": batch, "standard": standard, "measure": measure,
            "response": response, "facility type": ftype, "scenario action": action}


#: per file kind: (a misspelt key, the key meant, how the message names the table,
#: a key of a number)
CASES = {
    "study": ("snap_tolerance", "snap_tolerance_m", "[roads]", "min_component_share"),
    "batch": ("bufer_km", "buffer_km", "[batch]", "buffer_km"),
    "standard": ("target_shares", "target_share", "[rescue_2h]", "minutes"),
    "measure": ("minuts", "minutes", "[measures.beds_per_1000_2025]", "minutes"),
    "response": ("dispach_minutes", "dispatch_minutes", "[response.emergency_response_1h]",
                 "dispatch_minutes"),
    "facility type": ("alias", "aliases", "[types.village_clinic]", None),
    "scenario action": ("lng", "lon", "[[actions]] 1 (add N1)", "lon"),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_an_unknown_key_gets_the_same_message_in_every_file(tmp_path: Path, kind: str) -> None:
    typo, meant, label, _ = CASES[kind]
    with pytest.raises(GeoError) as e:
        _errors(tmp_path)[kind](typo, 1)
    message = str(e.value)
    shape = (rf"unknown option '{typo}' in {re.escape(label)} \(did you mean '{meant}'\?\)\. "
             rf"Options of {re.escape(label)}: (\w+(, )?)+")
    assert re.search(shape, message), message
    assert f" {meant}" in message.split("Options of")[1]  # every valid key listed


@pytest.mark.parametrize("kind", [k for k, c in CASES.items() if c[3]])
def test_a_wrong_type_gets_the_same_message_in_every_file(tmp_path: Path, kind: str) -> None:
    _, _, label, key = CASES[kind]
    with pytest.raises(GeoError) as e:
        _errors(tmp_path)[kind](str(key), "ten")
    assert f"{label} {key} must be a number, got 'ten'" in str(e.value), str(e.value)


def test_a_list_of_text_is_checked_the_same_way(tmp_path: Path) -> None:
    calls = _errors(tmp_path)
    for kind, key in (("standard", "facility_types"), ("measure", "facility_types"),
                      ("response", "bases"), ("facility type", "aliases")):
        with pytest.raises(GeoError, match=rf"{re.escape(CASES[kind][2])} {key} has the wrong "
                                           r"type \(str\): give a list of text"):
            calls[kind](key, "county_general_hospital")


#: (docs page, marker) -> the declarations whose every key the list must name
DECLARED: dict[str, list[tuple[type, tuple[str, ...]]]] = {
    "options": [(c, ()) for c in SECTIONS.values()],
    "standard-keys": [(Standard, ("name",))],
    "spec-keys": [(MeasureSpec, ("name",)), (ResponseSpec, ("name",))],
    "type-keys": [(FacilityType, ("code",)), (AmbiguousName, ())],
    "scenario-keys": [(ScenarioSection, ()), (LeftOut, ()),
                      *[(c, ()) for c in ACTION_TYPES.values()]],
}


@pytest.mark.parametrize(("page", "key", "source", "text"), BLOCKS, ids=[b[1] for b in BLOCKS])
def test_the_docs_list_every_key_from_its_declaration(page: str, key: str, source: str,
                                                      text: Callable[[], str]) -> None:
    written = doc_block((ROOT / page).read_text(encoding="utf-8"), key)
    assert written == text(), f"{page} {key}: run `make options-doc`"
    assert (ROOT / source).is_file()
    for cls, skip in DECLARED[key]:
        for f in fields(cls):
            if f.name not in skip:
                assert f"`{f.name}`" in written, (page, cls.__name__, f.name)
                assert f.metadata["doc"], (cls.__name__, f.name)  # each documents itself
