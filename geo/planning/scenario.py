"""Scenarios as data: planned changes to facilities and roads, parsed and applied.

A scenario file (``analysis/scenarios/NAME.toml``) has a ``[scenario]`` table
(:class:`ScenarioSection`), a list of ``[[actions]]`` applied in order and a list of
``[[left_out]]`` planned projects that cannot be placed (:class:`LeftOut`: they appear in
every comparison's notes). Each action is ``action = "add" | "move" | "close" | "retype" |
"designate" | "add_road" | "close_road" | "slow_road"`` with the keys its dataclass declares
(:data:`ACTION_TYPES`), read with the one mechanism of every TOML file of geo
(:func:`geo.options.parse_section`: an unknown key stops with the closest valid key, a wrong
type or range with what is allowed) and listed in the docs from the same declaration
(:func:`scenario_options_text`); a ``move`` takes either ``lon``/``lat`` or ``offset_m`` +
``bearing``, an ``add_road`` two or more vertices, a ``close_road``/``slow_road`` exactly
one of ``way_ids``, ``road``, ``polygon``, ``line`` (a line drawn: every segment it crosses)
and ``lon`` + ``lat`` (a segment picked: the stretch of road nearest the point, between its
junctions, as the workbench's click closes it); :mod:`geo.planning.road_changes` applies them
to the networks. The checked actions are kept as the file writes them (dicts).

An ``add`` or ``move`` may say ``outside = true``: the facility is placed outside the
study area on purpose (a hospital across the county line, or what the workbench's "keep
it outside the county" saves); it is kept and the comparison's notes say so, where
without it a place more than :data:`geo.settings.OUTSIDE_TOLERANCE_M` outside the area
stops the run.

Applying a scenario never touches the input files: it returns new frames.
:func:`scenario_toml` writes a scenario in this format (what the workbench saves), which
:func:`load_scenario` reads back to the same actions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

from geo import crs as gcrs
from geo import settings
from geo._files import lexists
from geo.coverage.standards import StandardSet
from geo.errors import Arg, InputFileError, ScenarioError
from geo.options import closest, opt, parse_section, parse_toml, section_text, toml_text
from geo.readers.facility_types import load_types

__all__ = [
    "ACTIONS",
    "ACTION_TYPES",
    "ROAD_KEYS",
    "AddAction",
    "AddRoadAction",
    "Applied",
    "AreaDistance",
    "CloseAction",
    "CloseRoadAction",
    "DesignateAction",
    "LeftOut",
    "MoveAction",
    "RetypeAction",
    "Scenario",
    "ScenarioSection",
    "SlowRoadAction",
    "action_position",
    "apply_scenario",
    "find_scenario",
    "load_scenario",
    "outside_what",
    "parse_scenario",
    "road_change_label",
    "scenario_options_text",
    "scenario_toml",
    "with_type_codes",
]


_GEOD = Geod(ellps="WGS84")
_CRS_CHOICES = ("wgs84", "gcj02", "bd09")
_CRS_DOC = "system of lon/lat: wgs84, gcj02 (AMap, Tencent) or bd09 (Baidu)"


def _project() -> Any:
    return opt("", "the plan's project code (P01, ...), shown with the change", blank=True)


def _outside() -> Any:
    return opt(False, "true: the facility lies outside the study area on purpose (kept, and "
               "the comparison says so); without it a place outside the area stops the run")


def _note() -> Any:
    return opt("", "a note shown with the change", blank=True)


@dataclass(frozen=True)
class ScenarioSection:
    """``[scenario]``: what the scenario is."""

    name: str | None = opt(None, "short name (default: the file name)")
    title: str | None = opt(None, "title of the comparison (default: the name)")
    description: str | None = opt(None, "what it changes and why", blank=True)
    source: str | None = opt(None, "where its projects come from (plan, project list)", blank=True)


@dataclass(frozen=True)
class AddAction:
    """``action = "add"``: open a new facility."""

    id: str = opt(None, "id of the new facility (not an id of the study)", required=True)
    name: str = opt(None, "its name", required=True)
    type: str = opt(None, "its type: a code of analysis/facility_types.toml, or a name "
                    "the facility file may use (乡镇卫生院, an alias, a [facilities] "
                    "type_map name)", required=True)
    lon: float = opt(None, "longitude in decimal degrees", required=True, lo=-180.0, hi=180.0)
    lat: float = opt(None, "latitude in decimal degrees", required=True, lo=-90.0, hi=90.0)
    crs: str = opt("wgs84", _CRS_DOC, choices=_CRS_CHOICES)
    outside: bool = _outside()
    project: str = _project()
    note: str = _note()


@dataclass(frozen=True)
class MoveAction:
    """``action = "move"``: move a facility to lon/lat, or by offset_m along bearing."""

    id: str = opt(None, "id of the facility", required=True)
    lon: float | None = opt(None, "new longitude in decimal degrees", lo=-180.0, hi=180.0)
    lat: float | None = opt(None, "new latitude in decimal degrees", lo=-90.0, hi=90.0)
    crs: str = opt("wgs84", _CRS_DOC, choices=_CRS_CHOICES)
    offset_m: float | None = opt(None, "metres to move (with bearing; instead of lon/lat)",
                                 lo=0.0, hi=1e7)
    bearing: float | None = opt(None, "direction in degrees clockwise from north, on the "
                                "WGS84 ellipsoid", lo=-360.0, hi=360.0)
    outside: bool = _outside()
    project: str = _project()
    note: str = _note()


@dataclass(frozen=True)
class CloseAction:
    """``action = "close"``: close a facility."""

    id: str = opt(None, "id of the facility", required=True)
    project: str = _project()
    note: str = _note()


@dataclass(frozen=True)
class RetypeAction:
    """``action = "retype"``: an upgrade.

    The facility counts for the standards that list its new type.
    """

    id: str = opt(None, "id of the facility", required=True)
    type: str = opt(None, "its new type: a code of analysis/facility_types.toml, or a "
                    "name the facility file may use", required=True)
    project: str = _project()
    note: str = _note()


@dataclass(frozen=True)
class DesignateAction:
    """``action = "designate"``: each facility also takes on a role.

    The role is a second row ``<id>#<role>`` of type role at the same place, so the facility
    counts for both.
    """

    ids: tuple[str, ...] = opt(None, "ids of the facilities", required=True)
    role: str = opt(None, "the role: a type code, e.g. ems_station, or a name the "
                    "facility file may use (急救站)", required=True)
    project: str = _project()
    note: str = _note()


@dataclass(frozen=True)
class AddRoadAction:
    """``action = "add_road"``: a new road; the network is rebuilt with it."""

    coords: tuple[tuple[float, float], ...] = opt(None, "[[lon, lat], ...]: two or more "
                                                  "vertices in decimal degrees", required=True)
    highway: str = opt(None, "its road class (an OSM class, or a local name with a speed in "
                       "[roads] speeds_kmh)", required=True)
    oneway: bool | str = opt(False, "one-way: true, false or an OSM oneway value")
    maxspeed: float | str | None = opt(None, "speed limit (km/h, or an OSM maxspeed value)")
    crs: str = opt("wgs84", "system of coords: wgs84, gcj02 or bd09", choices=_CRS_CHOICES)
    name: str = opt("new road", "its name")
    project: str = _project()
    note: str = _note()


def _way_ids() -> Any:
    return opt(None, "OSM way ids of the roads (or a line layer's osm_id column)")


def _road() -> Any:
    return opt(None, "a road name or ref, e.g. \"G323\" (case and spaces ignored)")


def _polygon() -> Any:
    return opt(None, "[[lon, lat], ...]: every road segment the polygon touches")


def _line() -> Any:
    return opt(None, "[[lon, lat], ...]: every road segment the line (two or more points) "
               "crosses or touches: a line drawn across the roads to cut")


def _picked() -> tuple[Any, Any]:
    what = "of a point: the stretch of road nearest it, between its junctions (a segment " \
        "picked on a map; the workbench's road closures are written so)"
    return (opt(None, f"longitude {what}", lo=-180.0, hi=180.0),
            opt(None, f"latitude {what}", lo=-90.0, hi=90.0))


@dataclass(frozen=True)
class CloseRoadAction:
    """``action = "close_road"``: roads closed (a flood, a landslide, roadworks).

    Named by exactly one of way_ids, road, polygon, line or lon + lat.
    """

    way_ids: tuple[int, ...] | None = _way_ids()
    road: str | None = _road()
    polygon: tuple[tuple[float, float], ...] | None = _polygon()
    line: tuple[tuple[float, float], ...] | None = _line()
    lon: float | None = _picked()[0]
    lat: float | None = _picked()[1]
    crs: str = opt("wgs84", "system of polygon, line or lon/lat: wgs84, gcj02 or bd09",
                   choices=_CRS_CHOICES)
    all: bool = opt(False, "close every separate road a name or ref matches")
    project: str = _project()
    note: str = _note()


@dataclass(frozen=True)
class SlowRoadAction:
    """``action = "slow_road"``: roads slowed (one lane open, a damaged surface).

    Named as for close_road.
    """

    factor: float = opt(None, "speed factor: above 0 and at most 1 (0.5: half speed)",
                        required=True, lo=0.0, hi=1.0, lo_open=True)
    way_ids: tuple[int, ...] | None = _way_ids()
    road: str | None = _road()
    polygon: tuple[tuple[float, float], ...] | None = _polygon()
    line: tuple[tuple[float, float], ...] | None = _line()
    lon: float | None = _picked()[0]
    lat: float | None = _picked()[1]
    crs: str = opt("wgs84", "system of polygon, line or lon/lat: wgs84, gcj02 or bd09",
                   choices=_CRS_CHOICES)
    all: bool = opt(False, "slow every separate road a name or ref matches")
    project: str = _project()
    note: str = _note()


@dataclass(frozen=True)
class LeftOut:
    """``[[left_out]]``: a planned project that cannot be placed.

    Every comparison's notes name it with the reason.
    """

    project: str = opt("", "the plan's project code or name", blank=True)
    reason: str = opt(None, "why it cannot be placed", required=True)


#: ``action`` -> the declaration of its keys
ACTION_TYPES: dict[str, type] = {
    "add": AddAction, "move": MoveAction, "close": CloseAction, "retype": RetypeAction,
    "designate": DesignateAction, "add_road": AddRoadAction, "close_road": CloseRoadAction,
    "slow_road": SlowRoadAction,
}
#: what a close_road or slow_road names its roads by (exactly one of them; lon stands for
#: lon + lat, a point)
ROAD_KEYS = ("way_ids", "road", "polygon", "line", "lon")
ACTIONS = tuple(ACTION_TYPES)
#: tables of a scenario file, as the file writes them
_TABLES = {"scenario": "[scenario]", "actions": "[[actions]]", "left_out": "[[left_out]]"}
#: order of an action's keys in a written file
_KEY_ORDER = ("project", "action", "id", "ids", "name", "type", "role", "lon", "lat", "crs",
              "offset_m", "bearing", "outside", "coords", "highway", "oneway", "maxspeed",
              "way_ids", "road", "polygon", "line", "all", "factor", "note")


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario file."""

    path: Path
    name: str
    title: str
    description: str
    actions: list[dict[str, Any]]
    left_out: list[dict[str, str]]
    #: how the file was read (types given by name), stated wherever it is applied
    notes: tuple[str, ...] = ()


@dataclass
class Applied:
    """Facilities and roads after a scenario, and what changed."""

    facilities: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    changes: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: the close_road and slow_road actions, in order (applied to the networks by
    #: :func:`geo.planning.road_changes.change_roads`)
    road_changes: list[dict[str, Any]] = field(default_factory=list)


def _check_action(i: int, a: object, where: Path) -> None:
    """Check action ``i`` against the declaration of its kind, then what its keys say together.

    The declaration is checked by geo.options.parse_section: unknown keys with the closest one,
    types, ranges.
    """
    if not isinstance(a, dict):
        raise ScenarioError(f"{where}: [[actions]] {i + 1} must be a table")
    kind = a.get("action")
    fid = a.get("id")
    label = f"[[actions]] {i + 1}" + (f" ({kind}{f' {fid}' if isinstance(fid, str) else ''})"
                                      if isinstance(kind, str) else "")
    if kind not in ACTION_TYPES:
        raise ScenarioError(f"{where}: {label} has action = {kind!r}"
                            f"{closest(str(kind), ACTIONS)}; use one of "
                            f"{', '.join(map(repr, ACTIONS))}")
    body = {k: v for k, v in a.items() if k != "action"}
    try:
        parse_section(ACTION_TYPES[kind], "actions", body, label=label, error=ScenarioError)
    except ScenarioError as e:
        raise ScenarioError(f"{where}: {e}") from None
    if kind == "move" and ({"lon", "lat"} <= set(a)) == ({"offset_m", "bearing"} <= set(a)):
        raise ScenarioError(f"{where}: {label} needs either lon + lat or offset_m + bearing")
    if kind == "add_road":
        coords = a["coords"]
        bad = [c for c in coords if not (-180 <= c[0] <= 180 and -90 <= c[1] <= 90)]
        if len(coords) < 2 or bad:
            raise ScenarioError(f"{where}: {label} coords: give at least two [lon, lat] pairs "
                                "in decimal degrees, e.g. [[109.75, 24.49], [109.80, 24.50]]"
                                + (f" (out of range: {bad[:3]})" if bad else ""))
    if kind in ("close_road", "slow_road"):
        given = [k for k in ROAD_KEYS if k in a] + (["lat"] if "lat" in a and "lon" not in a
                                                     else [])
        if len(given) != 1 or ("lon" in a) != ("lat" in a):
            raise ScenarioError(f"{where}: {label} names its roads by {given or 'nothing'}: "
                                "give exactly one of way_ids = [123, ...], road = \"G323\" "
                                "(a name or ref), polygon = [[lon, lat], ...], line = [[lon, "
                                "lat], ...] (every road it crosses) or lon + lat (the stretch "
                                "of road nearest the point)")
        if "line" in a and len(a["line"]) < 2:
            raise ScenarioError(f"{where}: {label} line: give at least two [lon, lat] points, "
                                "e.g. [[109.70, 24.48], [109.72, 24.50]]")
        if "polygon" in a and len(a["polygon"]) < 3:
            raise ScenarioError(f"{where}: {label} polygon: give at least three [lon, lat] "
                                "corners, e.g. [[109.70, 24.48], [109.75, 24.48], "
                                "[109.72, 24.52]]")
        if "way_ids" in a and not a["way_ids"]:
            raise ScenarioError(f"{where}: {label} way_ids is empty: give OSM way ids, e.g. "
                                "way_ids = [123456789]")


def _left_out(i: int, x: object, where: Path) -> LeftOut:
    """Return left-out project ``i`` checked against :class:`LeftOut`."""
    try:
        out: LeftOut = parse_section(LeftOut, "left_out", x, label=f"[[left_out]] {i + 1}",
                                     error=ScenarioError)
    except ScenarioError as e:
        raise ScenarioError(f"{where}: {e}") from None
    return out


def scenario_options_text(markdown: bool = True) -> str:
    """Return the tables and keys of a scenario file, one line each.

    The docs' list is this text.
    """
    lines = section_text("scenario", ScenarioSection, markdown)
    for kind, cls in ACTION_TYPES.items():
        lines += section_text("actions", cls, markdown, header=f'[[actions]] action = "{kind}"')
    lines += section_text("left_out", LeftOut, markdown, header="[[left_out]]")
    return "\n".join(lines) + "\n"


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (see module docs)."""
    p = Path(path)
    if not lexists(p):  # a folder, a pipe: toml_text says what
        raise InputFileError(Arg("load_scenario", "path", str(p)), ": no such scenario file: "
                             "give a path, or the name of a file in scenarios/ beside the study "
                             "file")
    text = toml_text(p, "scenario file", ScenarioError,
                     "give a path, or the name of a file in scenarios/ beside the study file")
    return parse_scenario(text, p.resolve())


def parse_scenario(text: str, where: str | Path) -> Scenario:
    """Validate the text of a scenario file (see module docs).

    ``where`` names it in messages (its path, or an upload's name) and is the returned scenario's
    ``path``.
    """
    p = Path(where)
    raw = parse_toml(text, "scenario file", p, ScenarioError)
    for name, value in raw.items():
        if name not in _TABLES:
            written = f"[[{name}]]" if isinstance(value, list) else f"[{name}]"
            raise ScenarioError(f"{p}: unknown section {written}{closest(name, _TABLES)}. "
                                f"Sections: {', '.join(_TABLES.values())}")
    for name in ("actions", "left_out"):
        if not isinstance(raw.get(name, []), list):
            raise ScenarioError(f"{p}: write [[{name}]] (one table per entry), not [{name}]")
    try:
        head: ScenarioSection = parse_section(ScenarioSection, "scenario",
                                              raw.get("scenario", {}), error=ScenarioError)
    except ScenarioError as e:
        raise ScenarioError(f"{p}: {e}") from None
    left = [_left_out(i, x, p) for i, x in enumerate(raw.get("left_out", []))]
    actions = list(raw.get("actions", []))
    for i, a in enumerate(actions):
        _check_action(i, a, p)
    name = head.name or p.stem
    return Scenario(p, name, head.title or name, head.description or "", actions,
                    [{"project": x.project, "reason": x.reason} for x in left])


def with_type_codes(scenario: Scenario, type_map: Mapping[str, str] | None = None
                    ) -> Scenario:
    """Return ``scenario`` with its facility types and roles as type codes.

    The types of its ``add`` and ``retype`` actions and the roles of its ``designate``
    actions become type codes: a scenario may name types as the facility
    file does (乡镇卫生院, 县人民医院, an alias, or a name of the study's ``[facilities]
    type_map``); the names read are stated in its notes.

    Raises
    ------
    FacilityTypeError
        A type the type table and ``type_map`` do not know, or one that is ambiguous.
    """
    places = [(i, key) for i, a in enumerate(scenario.actions)
              for key in (("type",) if a["action"] in ("add", "retype") else
                          ("role",) if a["action"] == "designate" else ())]
    if not places:
        return scenario
    values = [str(scenario.actions[i][key]) for i, key in places]
    found = load_types().resolve(values, type_map=type_map,
                                 rows=[f"action {i + 1}" for i, _ in places],
                                 what=f"{scenario.path.name} (type of add/retype, role of "
                                      "designate)")
    actions = [dict(a) for a in scenario.actions]
    for (i, key), code in zip(places, found.codes, strict=True):
        actions[i][key] = code
    notes = (*scenario.notes, f"{scenario.path.name}: {found.note}") if found.note else \
        scenario.notes
    return replace(scenario, actions=actions, notes=notes)


def find_scenario(name: str, study_path: Path) -> Path:
    """Return a scenario's path.

    It is the name as given when it ends in .toml, else ``scenarios/NAME.toml`` beside the study
    file.
    """
    if name.endswith(".toml"):
        return Path(name)
    return study_path.parent / "scenarios" / f"{name}.toml"


def _lonlat(a: Mapping[str, Any]) -> tuple[float, float]:
    lon, lat = float(a["lon"]), float(a["lat"])
    key = str(a.get("crs", "wgs84")).lower()
    if key == "wgs84":
        return lon, lat
    if key not in ("gcj02", "bd09"):
        raise ScenarioError(f"crs must be wgs84, gcj02 or bd09, got {key!r}")
    x, y = gcrs.to_wgs84(np.array([lon]), np.array([lat]), key)
    return float(x[0]), float(y[0])


def action_position(a: Mapping[str, Any],
                    before: tuple[float, float] | None = None) -> tuple[float, float]:
    """Return the WGS84 lon/lat an ``add`` or ``move`` action puts a facility at.

    That is its ``lon``/``lat`` (in its ``crs``), or ``offset_m`` + ``bearing`` from ``before`` (the
    facility's place).
    """
    if "offset_m" in a:
        if before is None:
            raise ScenarioError(f"{a.get('action')} {a.get('id')!r}: an offset needs the "
                                "facility's present place")
        lon, lat, _ = _GEOD.fwd(before[0], before[1], float(a["bearing"]),
                                float(a["offset_m"]))
        return float(lon), float(lat)
    return _lonlat(a)


def _row(fac: gpd.GeoDataFrame, fid: str, kind: str) -> int:
    hit = np.flatnonzero(fac["id"].astype(str).to_numpy() == fid)
    if len(hit) == 0:
        raise ScenarioError(f"{kind}: no facility with id {fid!r}; ids in the study: "
                            f"{sorted(fac['id'].astype(str))}")
    return int(hit[0])


def _change(a: Mapping[str, Any], fid: str, detail: str, before: tuple[float, float] | None,
            after: tuple[float, float] | None) -> dict[str, Any]:
    nan = (np.nan, np.nan)
    return {"project": a.get("project", ""), "action": a["action"], "id": fid,
            "detail": detail, "lon_before": (before or nan)[0], "lat_before": (before or nan)[1],
            "lon_after": (after or nan)[0], "lat_after": (after or nan)[1],
            "note": a.get("note", "")}


def _xy(fac: gpd.GeoDataFrame, i: int) -> tuple[float, float]:
    g = fac.geometry.iloc[i]
    return float(g.x), float(g.y)


def _apply_one(fac: gpd.GeoDataFrame, a: Mapping[str, Any], known: StandardSet,
               roads: list[dict[str, Any]]) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    kind = a["action"]
    if kind == "add":
        if (fac["id"].astype(str) == str(a["id"])).any():
            raise ScenarioError(f"add: id {a['id']!r} already exists; pick a new id")
        known.check_facility_types([str(a["type"])])
        lon, lat = _lonlat(a)
        new = gpd.GeoDataFrame({"id": [str(a["id"])], "name": [str(a["name"])],
                                "type": [str(a["type"])]},
                               geometry=[shapely.Point(lon, lat)], crs=4326)
        fac = pd.concat([fac, new], ignore_index=True)
        return fac, [_change(a, str(a["id"]), f"new {a['type']}", None, (lon, lat))]
    if kind == "add_road":
        roads.append(dict(a))
        return fac, [_change(a, str(a.get("name", "new road")),
                             f"new {a['highway']} road, {len(a['coords'])} vertices", None, None)]
    if kind in ("close_road", "slow_road"):
        return fac, [_change(a, road_change_label(a), "", None, None)]
    if kind == "designate":
        out = []
        known.check_facility_types([str(a["role"])])
        for fid in a["ids"]:
            i = _row(fac, str(fid), "designate")
            dup = fac.iloc[[i]].copy()
            dup["id"], dup["type"] = f"{fid}#{a['role']}", str(a["role"])
            dup["name"] = f"{fac['name'].iloc[i]} ({a['role']})"
            fac = pd.concat([fac, dup], ignore_index=True)
            out.append(_change(a, str(fid), f"also {a['role']}", _xy(fac, i), _xy(fac, i)))
        return fac, out
    fid = str(a["id"])
    i = _row(fac, fid, kind)
    before = _xy(fac, i)
    fac = fac.copy()
    if kind == "close":
        fac = fac.drop(index=fac.index[i]).reset_index(drop=True)
        return fac, [_change(a, fid, "closed", before, None)]
    if kind == "retype":
        known.check_facility_types([str(a["type"])])
        old = str(fac["type"].iloc[i])
        fac.loc[fac.index[i], "type"] = str(a["type"])
        return fac, [_change(a, fid, f"{old} -> {a['type']}", before, before)]
    lon, lat = action_position(a, before)
    fac.loc[fac.index[i], "geometry"] = shapely.Point(lon, lat)
    for col, v in (("lon", lon), ("lat", lat)):
        if col in fac.columns:
            fac.loc[fac.index[i], col] = v
    moved = _GEOD.inv(before[0], before[1], lon, lat)[2]
    return fac, [_change(a, fid, f"moved {moved:,.0f} m", before, (float(lon), float(lat)))]


def road_change_label(a: Mapping[str, Any]) -> str:
    """Say what a close_road or slow_road names, in a few words."""
    if "geometry" in a:
        what = f"roads in {a.get('project') or 'the hazard'}"
    elif "road" in a:
        what = f"road {a['road']}"
    elif "way_ids" in a:
        ids = list(a["way_ids"])
        what = f"way {', '.join(map(str, ids[:3]))}{' ...' if len(ids) > 3 else ''}"
    elif "line" in a:
        what = f"roads a line of {len(a['line'])} points crosses"
    elif "lon" in a:
        what = f"the road nearest {float(a['lon']):.5f}, {float(a['lat']):.5f}"
    else:
        what = f"roads in a polygon of {len(a['polygon'])} corners"
    return what


class AreaDistance:
    """How far places lie outside a study area, in km.

    The area's shape and its local metric projection are made once: the workbench asks on
    every click.
    """

    def __init__(self, area: gpd.GeoDataFrame) -> None:
        shape = area.to_crs(4326).union_all()
        self.crs = gcrs.utm_crs_for(shape.centroid.x, shape.centroid.y)
        self.shape = gpd.GeoSeries([shape], crs=4326).to_crs(self.crs).iloc[0]
        shapely.prepare(self.shape)
        self._to = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def km(self, lon: float, lat: float) -> float:
        """Distance in km from WGS84 ``lon``, ``lat`` to the area (0 inside it)."""
        x, y = self._to.transform(float(lon), float(lat))
        return float(shapely.distance(self.shape, shapely.Point(x, y))) / 1000.0

    def outside(self, lon: float, lat: float) -> bool:
        """Check whether the place lies outside the area by more than the tolerance.

        The tolerance is :data:`geo.settings.OUTSIDE_TOLERANCE_M`; this is what stops a
        scenario.
        """
        return self.km(lon, lat) * 1000.0 > settings.OUTSIDE_TOLERANCE_M


def outside_what(action: str, fid: str, lon: float, lat: float, km: float) -> str:
    """Return the words naming a place outside the area, as every refusal of one says them."""
    return (f"{action} {fid!r} puts it at lon {lon:.6f}, lat {lat:.6f}, {km:,.1f} km outside "
            "the study area")


def _check_inside(change: Mapping[str, Any], a: Mapping[str, Any], area: AreaDistance,
                  outside: str, where: Path) -> list[str]:
    """Stop (or note) a facility placed outside the area.

    It is noted instead with ``outside = true`` on the action or ``[facilities] outside =
    "keep"`` in the study.
    """
    lon, lat = float(change["lon_after"]), float(change["lat_after"])
    if not area.outside(lon, lat):
        return []
    what = outside_what(str(change["action"]), str(change["id"]), lon, lat, area.km(lon, lat))
    if a.get("outside") is True:
        return [f"{what} (kept: the action says outside = true)"]
    if outside == "keep":
        return [f"{what} (kept: [facilities] outside = \"keep\")"]
    raise ScenarioError(f"{where}: {what}: check its lon/lat (and crs: gcj02 for AMap, bd09 "
                        "for Baidu positions) or offset_m/bearing, add outside = true to the "
                        "action to keep this facility outside the area on purpose, or set "
                        "[facilities] outside = \"keep\" in the study file to allow facilities "
                        "outside the area")


def _road_frame(roads: list[dict[str, Any]]) -> gpd.GeoDataFrame | None:
    if not roads:
        return None
    rows, geoms = [], []
    for r in roads:
        xy = np.asarray(r["coords"], dtype=float)
        key = str(r.get("crs", "wgs84")).lower()
        if key != "wgs84":
            x, y = gcrs.to_wgs84(xy[:, 0], xy[:, 1], key)
            xy = np.column_stack([x, y])
        geoms.append(shapely.LineString(xy))
        oneway = r.get("oneway", False)
        rows.append({"highway": str(r["highway"]),
                     "oneway": "yes" if oneway is True else ("no" if oneway is False
                                                             else str(oneway)),
                     "maxspeed": r.get("maxspeed"), "construction": False,
                     "name": str(r.get("name", "new road"))})
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)


def apply_scenario(scenario: Scenario, facilities: gpd.GeoDataFrame, known: StandardSet,
                   area: gpd.GeoDataFrame | AreaDistance | None = None,
                   outside: str = "error") -> Applied:
    """Apply the actions in order to a copy of ``facilities`` (see module docs).

    With the study ``area``, a facility that an ``add`` or ``move`` puts more than
    :data:`geo.settings.OUTSIDE_TOLERANCE_M` outside it stops with :class:`ScenarioError` (a wrong
    lon/lat or crs would otherwise change the answer silently), unless the action says
    ``outside = true`` or ``outside`` (the study's ``[facilities] outside``) is
    ``"keep"``: then the notes say so.
    """
    fac = facilities.copy()
    if area is not None and not isinstance(area, AreaDistance):
        area = AreaDistance(area)
    roads: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    kept: list[str] = []
    for a in scenario.actions:
        fac, rows = _apply_one(fac, a, known, roads)
        changes += rows
        if area is not None and a["action"] in ("add", "move"):
            kept += _check_inside(rows[0], a, area, outside, scenario.path)
    notes = [f"scenario {scenario.name}: {scenario.title}", *scenario.notes]
    notes += kept
    notes += [f"left out {x['project']}: {x['reason']}" for x in scenario.left_out]
    cols = ["project", "action", "id", "detail", "lon_before", "lat_before", "lon_after",
            "lat_after", "note"]
    return Applied(fac, _road_frame(roads), pd.DataFrame(changes, columns=cols), notes,
                   [dict(a) for a in scenario.actions
                    if a["action"] in ("close_road", "slow_road")])


# --------------------------------------------------------------------------- writing


def _toml_value(v: Any) -> str:
    """Write one TOML value: strings as basic strings, floats exactly (``repr``), lists.

    JSON escapes are TOML escapes; DEL, which TOML does not allow raw, is escaped too.
    """
    if hasattr(v, "item") and not isinstance(v, (list, tuple, str)):
        v = v.item()  # numpy scalar
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ScenarioError(f"a scenario value must be a finite number, got {v}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise ScenarioError(f"cannot write {v!r} ({type(v).__name__}) to a scenario file")


def scenario_toml(name: str, title: str, actions: list[dict[str, Any]], *,
                  description: str = "", source: str = "",
                  left_out: list[dict[str, str]] | None = None,
                  comment: list[str] | None = None) -> str:
    """Write a scenario file's text (see module docs).

    :func:`load_scenario` reads it back to the same ``actions`` (checked as the loader checks
    them) and ``left_out`` entries.

    Floats are written exactly (shortest round-trip form), text in any language as is.
    """
    for i, a in enumerate(actions):
        _check_action(i, a, Path(f"{name}.toml"))
    lines = [f"# {' '.join(str(c).split())}" for c in comment or []]
    if lines:
        lines.append("")
    lines.append("[scenario]")
    for key, value in (("name", name), ("title", title), ("description", description),
                       ("source", source)):
        if value:
            lines.append(f"{key} = {_toml_value(str(value))}")
    for a in actions:
        keys = [k for k in _KEY_ORDER if k in a]
        lines += ["", "[[actions]]", *(f"{k} = {_toml_value(a[k])}" for k in keys)]
    for i, x in enumerate(left_out or []):
        _left_out(i, x, Path(f"{name}.toml"))
        lines += ["", "[[left_out]]", f"project = {_toml_value(str(x.get('project', '')))}",
                  f"reason = {_toml_value(str(x['reason']))}"]
    return "\n".join(lines) + "\n"
