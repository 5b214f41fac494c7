"""Study files (TOML): parsing and validation of every option, paths made absolute.

A study names its inputs and options; ``analysis/luzhai.toml`` is the annotated
example. Unknown sections or keys are errors (a typo must not silently fall back to a
default). Relative paths are relative to the study file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo import settings
from geo.errors import InputFileError, StudyError

__all__ = ["Study", "load_study"]

_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "study": {"name": str, "title": str, "language": str, "map_standard": str},
    "area": {"boundary": str, "layer": str, "name": str},
    "facilities": {
        "path": str, "crs": str, "lon_col": str, "lat_col": str, "id_col": str, "layer": str,
        "outside": str,
    },
    "townships": {
        "boundaries": str, "layer": str, "name_col": str, "seats": str, "seat_name_col": str,
        "seat_lon_col": str, "seat_lat_col": str, "seat_crs": str, "method": str,
    },
    "roads": {
        "path": str, "layer": str, "include_construction": bool, "snap_tolerance_m": (int, float),
        "unknown_classes": str, "node_crossings": bool, "speeds_kmh": dict,
    },
    "access": {"drive_kmh": (int, float), "walk_kmh": (int, float), "snap_exclude": list},
    "population": {
        "method": str, "total": (int, float), "label": str, "grid_spacing_m": (int, float),
        "path": str, "table_key": str, "zone_key": str, "count_col": str, "band": int,
        "lon_col": str, "lat_col": str, "crs": str,
    },
    "standards": {"file": str, "use": list, "overrides": dict},
}
_REQUIRED = {
    "area": ("boundary",), "facilities": ("path",), "roads": ("path",),
    "standards": ("use",), "townships": (),
}
_PATHS = {("area", "boundary"), ("facilities", "path"), ("townships", "boundaries"),
          ("townships", "seats"), ("roads", "path"), ("population", "path"),
          ("standards", "file")}
_CHOICES = {
    ("study", "language"): ("zh", "en"),
    ("facilities", "crs"): ("wgs84", "gcj02", "bd09"),
    ("facilities", "outside"): ("error", "keep", "drop"),
    ("townships", "method"): ("travel_time", "voronoi"),
    ("townships", "seat_crs"): ("wgs84", "gcj02", "bd09"),
    ("roads", "unknown_classes"): ("error", "skip"),
    ("population", "method"): ("even", "table", "points", "raster"),
    ("population", "crs"): ("wgs84", "gcj02", "bd09"),
}


@dataclass
class Study:
    """A validated study: sections as dicts with absolute paths."""

    path: Path
    name: str
    title: str
    language: str
    map_standard: str | None
    area: dict[str, Any]
    facilities: dict[str, Any]
    townships: dict[str, Any]
    roads: dict[str, Any]
    access: dict[str, Any]
    population: dict[str, Any]
    standards: dict[str, Any] = field(default_factory=dict)

    def access_kmh(self, mode: str) -> float:
        key = f"{mode}_kmh"
        return float(self.access.get(key, settings.ACCESS_SPEED_KMH[mode]))


def _check_section(name: str, raw: object, where: Path) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise StudyError(f"{where}: [{name}] must be a table")
    schema = _SCHEMA[name]
    for key, value in raw.items():
        if key not in schema:
            raise StudyError(
                f"{where}: unknown option {key!r} in [{name}]; allowed: {sorted(schema)}"
            )
        want = schema[key]
        if isinstance(value, bool) and want in ((int, float), int):
            raise StudyError(f"{where}: [{name}] {key} must be a number, got {value!r}")
        if not isinstance(value, want):
            raise StudyError(
                f"{where}: [{name}] {key} has the wrong type ({type(value).__name__}); "
                f"expected {want}"
            )
        choices = _CHOICES.get((name, key))
        if choices and value not in choices:
            raise StudyError(f"{where}: [{name}] {key} = {value!r}; use one of {choices}")
    for key in _REQUIRED.get(name, ()):
        if key not in raw:
            raise StudyError(f"{where}: [{name}] needs {key!r}")
    out = dict(raw)
    for sec, key in _PATHS:
        if sec == name and key in out:
            out[key] = (where.parent / out[key]).resolve()
    return out


def load_study(path: str | Path) -> Study:
    """Read and validate a study file."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"study file {p} not found: give the path to a .toml study file")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise StudyError(f"study file {p} is not valid TOML: {e}") from e
    unknown = sorted(set(raw) - set(_SCHEMA))
    if unknown:
        raise StudyError(f"{p}: unknown sections {unknown}; allowed: {sorted(_SCHEMA)}")
    for name in _REQUIRED:
        if name not in raw:
            raise StudyError(f"{p}: the [{name}] section is missing")
    sec = {name: _check_section(name, raw.get(name, {}), p) for name in _SCHEMA}
    t = sec["townships"]
    if "boundaries" not in t and "seats" not in t:
        raise StudyError(
            f"{p}: [townships] needs either 'boundaries' (a township polygon file) or 'seats' "
            "(township seat points, from which approximate areas are derived)"
        )
    sec["standards"].setdefault("file", (p.parent / "standards.toml").resolve())
    st = sec["study"]
    return Study(
        path=p.resolve(), name=str(st.get("name", p.stem)), title=str(st.get("title", p.stem)),
        language=str(st.get("language", "zh")), map_standard=st.get("map_standard"),
        area=sec["area"], facilities=sec["facilities"], townships=t, roads=sec["roads"],
        access=sec["access"], population=sec["population"], standards=sec["standards"],
    )
