"""The study file (TOML): one typed schema, validated on load, documented from itself.

Each section of a study file is a frozen dataclass below; each key is a field with its
type, its default (from :mod:`geo.settings`, the one place defaults live), its allowed
values or range and a one-line description (:func:`geo.options.opt`; the mechanism that
parses and documents such sections is :mod:`geo.options`). :func:`load_study` checks a
file against it: unknown sections and keys stop with the section, the key and the
closest valid key (``[standards] overrides`` included); wrong types, values outside
their range and unknown names in enumerations (languages, coordinate systems, road
classes, modes) stop with the allowed values. Relative paths are relative to the
study file. :func:`options_text` renders the schema as the option list of
docs/study-file.md and of ``geo run --help``, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from geo import settings
from geo._files import is_dir, lexists
from geo.coverage.standards import DEFAULT_FILE, Standard
from geo.errors import Arg, Hint, InputFileError, StudyError
from geo.measures.specs import MeasureSpec, ResponseSpec
from geo.options import check_patch, closest, opt, parse_section, read_toml, section_text
from geo.study.checks import ACCEPTABLE

__all__ = [
    "SECTIONS",
    "AccessSection",
    "AreaSection",
    "ChecksSection",
    "FacilitiesSection",
    "MeasuresSection",
    "PopulationSection",
    "ResponseSection",
    "RoadsSection",
    "StandardsSection",
    "Study",
    "StudySection",
    "TownshipsSection",
    "closest",
    "load_study",
    "options_text",
    "parse_section",
    "section_text",
]

_CRS_DOC = ("coordinate system of the coordinate columns: wgs84, gcj02 (AMap, Tencent), bd09 "
            "(Baidu), cgcs2000 (EPSG:4490 lon/lat) or an EPSG code such as EPSG:4525 "
            "(CGCS2000 Gauss-Krüger x/y); converted to WGS84 on read, never guessed")
_LAYER_CRS_DOC = ("coordinate system of a file without one (no .prj): wgs84, gcj02, bd09, "
                  "cgcs2000 or an EPSG code such as EPSG:4525 (default: the file's own)")
_ENCODING_DOC = ("text encoding of a Shapefile's .dbf or a CSV, e.g. gbk, gb18030, utf-8 "
                 "(default: the .cpg file's, else detected: UTF-8 or GB18030)")
_ROAD_CLASSES = tuple(sorted({*settings.DRIVE_SPEEDS_KMH, *settings.WALK_ONLY_CLASSES}))


@dataclass(frozen=True)
class StudySection:
    """``[study]``: names and language of the outputs."""

    name: str | None = opt(None, "short name of the study (default: the file name)")
    title: str | None = opt(None, "title of the map, report and workbook (default: the name)")
    language: str = opt("zh", "language of the labels of the map, figures, report and "
                        "workbook", choices=("zh", "en"))
    map_standard: str | None = opt(None, "the standard whose coverage colours the map "
                                   "(default: the first of [standards] use)")


@dataclass(frozen=True)
class AreaSection:
    """``[area]``: the study area."""

    boundary: Path = opt(None, "study-area boundary (any vector file; its polygons are "
                         "joined)", path=True, required=True)
    layer: str | None = opt(None, "layer of a multi-layer boundary file (GeoPackage)")
    name: str | None = opt(None, "name of the area in the outputs (default: the study name)")
    crs: str | None = opt(None, _LAYER_CRS_DOC, crs=True)
    encoding: str | None = opt(None, _ENCODING_DOC)


@dataclass(frozen=True)
class FacilitiesSection:
    """``[facilities]``: the facility list."""

    path: Path = opt(None, "facility list: CSV, Excel, GeoJSON, GeoPackage or Shapefile",
                     path=True, required=True)
    crs: str = opt("wgs84", _CRS_DOC, crs=True)
    lon_col: str | None = opt(None, "longitude column (default: found by common names such "
                              "as lon, lng, 经度)")
    lat_col: str | None = opt(None, "latitude column (default: found by common names such "
                              "as lat, 纬度)")
    x_col: str | None = opt(None, "easting column for a projected crs (default: found by "
                            "common names such as x, easting, 东坐标)")
    y_col: str | None = opt(None, "northing column for a projected crs (default: found by "
                            "common names such as y, northing, 北坐标)")
    id_col: str | None = opt(None, "column of unique facility ids (default: the `id` column, "
                             "else F0001, F0002, ... in file order, stated in the outputs)")
    name_col: str | None = opt(None, "column of facility names (default: `name`, else one "
                               "found by common names such as 名称, 机构名称; else the id)")
    type_col: str = opt("type", "column of facility types: codes, Chinese names or aliases "
                        "from analysis/facility_types.toml")
    type_map: dict[str, str] = opt({}, "local type names -> type codes, for names the type "
                                   "table does not know, e.g. { 卫生服务站 = \"village_clinic\" }")
    layer: str | None = opt(None, "layer or sheet of a multi-layer file")
    encoding: str | None = opt(None, _ENCODING_DOC)
    outside: str = opt("error", "facilities outside the study area: stop (error), keep "
                       "them (keep) or leave them out and say so (drop)",
                       choices=("error", "keep", "drop"))
    duplicates: str = opt("error", "rows that look like one facility listed twice (the "
                          "same name within 50 m, or the same type at the same position): "
                          "stop naming them (error), or count each and say so in the "
                          "outputs (keep)", choices=("error", "keep"))


@dataclass(frozen=True)
class TownshipsSection:
    """``[townships]``: official polygons, or seats from which areas are derived."""

    boundaries: Path | None = opt(None, "official township polygons (any vector file)",
                                  path=True)
    layer: str | None = opt(None, "layer of a multi-layer boundaries file")
    name_col: str = opt("name", "township name column of the boundaries file")
    crs: str | None = opt(None, "boundaries file: " + _LAYER_CRS_DOC, crs=True)
    code_col: str | None = opt(None, "column of 12-digit township codes (统计用区划代码) in "
                               "the boundaries file: township order and joins (default: "
                               "found by its values)")
    encoding: str | None = opt(None, "boundaries or seats file: " + _ENCODING_DOC)
    seats: Path | None = opt(None, "township seat points (CSV or vector file); areas are "
                             "derived from them and labelled approximate", path=True)
    seat_name_col: str = opt("township", "township name column of the seats file")
    seat_lon_col: str | None = opt(None, "longitude column of the seats file (default: "
                                   "found by common names)")
    seat_lat_col: str | None = opt(None, "latitude column of the seats file (default: "
                                   "found by common names)")
    seat_x_col: str | None = opt(None, "easting column of the seats file for a projected "
                                 "seat_crs (default: found by common names)")
    seat_y_col: str | None = opt(None, "northing column of the seats file for a projected "
                                 "seat_crs (default: found by common names)")
    seat_code_col: str | None = opt(None, "column of 12-digit township codes in the seats "
                                    "file: township order and joins (default: found by its "
                                    "values)")
    seat_crs: str = opt("wgs84", "seats file: " + _CRS_DOC, crs=True)
    method: str = opt("travel_time", "how areas are derived from seats: travel_time (each "
                      "place goes to the seat it reaches first by road) or voronoi",
                      choices=("travel_time", "voronoi"))
    name_map: dict[str, str] = opt({}, "township names as other files write them -> the "
                                   "township's name in the boundaries or seats file, for "
                                   "names that differ by more than spaces, full-width "
                                   "characters or a suffix (乡/镇/街道/街道办事处, joined "
                                   "anyway and stated), e.g. { 城关 = \"鹿寨镇\" }")


@dataclass(frozen=True)
class RoadsSection:
    """``[roads]``: the road source and how a line layer is noded."""

    path: Path = opt(None, "road source: a line layer with a column of road classes "
                     "(GeoJSON, GeoPackage, Shapefile), an OSM extract (.osm.pbf, .osm) or a "
                     "network cache (.npz from `geo network build`)", path=True, required=True)
    layer: str | None = opt(None, "layer of a multi-layer road file")
    crs: str | None = opt(None, "road line layer: " + _LAYER_CRS_DOC, crs=True)
    encoding: str | None = opt(None, "road line layer: " + _ENCODING_DOC)
    class_col: str | None = opt(None, "road line layer: the column of road classes (default: "
                                "highway, else fclass as in Geofabrik's shapefiles, else a "
                                "Chinese column such as 道路等级); 国道, 省道, 县道, 乡道, 村道, "
                                "高速公路, 快速路, 主干路, 次干路, 支路, 一级公路 … 四级公路 are "
                                "read as OSM classes")
    include_construction: bool = opt(False, "treat roads under construction as open")
    snap_tolerance_m: float = opt(settings.SNAP_TOLERANCE_M, "line ends closer than this "
                                  "are joined (gap closing, metres; line layers)",
                                  lo=0.0, hi=1000.0)
    node_crossings: bool = opt(True, "join lines that cross at grade (for layers without "
                               "junction vertices; never bridges or tunnels)")
    unknown_classes: str = opt("error", "road classes without a speed: stop (error) or "
                               "leave those lines out and say so (skip)",
                               choices=("error", "skip"))
    min_component_share: float = opt(settings.MIN_COMPONENT_SHARE, "stop when the largest "
                                     "connected part of the network holds less than this "
                                     "share of the road length", lo=0.0, hi=1.0)
    speeds_kmh: dict[str, float] = opt({}, "driving speeds (km/h) per road class (an OSM "
                                       "class, or a local name in Chinese such as 机耕路), "
                                       "over the default table in geo/settings.py; OSM "
                                       "maxspeed still wins", choices=_ROAD_CLASSES, lo=0.0,
                                       hi=200.0, lo_open=True, local_keys=True)


@dataclass(frozen=True)
class AccessSection:
    """``[access]``: the straight legs that join places to the road network."""

    drive_kmh: float = opt(settings.ACCESS_SPEED_KMH["drive"], "straight-line speed of the "
                           "legs joining places to the road network, driving (km/h)",
                           lo=0.0, hi=120.0, lo_open=True)
    walk_kmh: float = opt(settings.ACCESS_SPEED_KMH["walk"], "straight-line speed of the "
                          "legs joining places to the road network, walking (km/h)",
                          lo=0.0, hi=10.0, lo_open=True)
    snap_exclude: tuple[str, ...] = opt(settings.SNAP_EXCLUDE, "road classes places never "
                                        "join directly (an expressway between interchanges)",
                                        choices=_ROAD_CLASSES)


#: keys of [population] that only some methods use
_POPULATION_KEYS: dict[str, tuple[str, ...]] = {
    "total": ("even", "table"), "label": ("even",), "path": ("table", "points", "raster"),
    "table_key": ("table",), "code_col": ("table",), "count_col": ("table", "points"),
    "band": ("raster",), "lon_col": ("points",), "lat_col": ("points",), "x_col": ("points",),
    "y_col": ("points",), "crs": ("points",), "encoding": ("table", "points"),
}


@dataclass(frozen=True)
class PopulationSection:
    """``[population]``: where people live (the demand)."""

    method: str = opt("even", "even (a total spread over the area), table (township counts "
                      "joined by name or code), points (counts at points) or raster (a "
                      "GeoTIFF of people per pixel)", choices=("even", "table", "points",
                                                               "raster"))
    total: float | None = opt(None, "people in the area (method even; with table, checked "
                              "against the table's sum)", lo=0.0, lo_open=True)
    label: str | None = opt(None, "where the total comes from, quoted in every output "
                            "(method even)")
    grid_spacing_m: float = opt(settings.DEFAULT_GRID_SPACING_M, "demand grid spacing "
                                "(metres)", lo=50.0, hi=50_000.0)
    path: Path | None = opt(None, "population table, points or raster (methods table, "
                            "points, raster)", path=True)
    table_key: str = opt("township", "column of the table holding township names (method "
                         "table)")
    code_col: str | None = opt(None, "column of the table holding 12-digit township codes, "
                               "joined to the townships' codes instead of names (method table)")
    count_col: str = opt("population", "column of people counts (methods table, points)")
    band: int = opt(1, "raster band of people counts (method raster)", lo=1)
    lon_col: str | None = opt(None, "longitude column of population points (default: found "
                              "by common names)")
    lat_col: str | None = opt(None, "latitude column of population points (default: found "
                              "by common names)")
    x_col: str | None = opt(None, "easting column of population points for a projected crs "
                            "(default: found by common names)")
    y_col: str | None = opt(None, "northing column of population points for a projected crs "
                            "(default: found by common names)")
    crs: str = opt("wgs84", "population points: " + _CRS_DOC, crs=True)
    encoding: str | None = opt(None, "population table or points: " + _ENCODING_DOC)


@dataclass(frozen=True)
class ChecksSection:
    """``[checks]``: input checks that stop a run, accepted explicitly."""

    accept: tuple[str, ...] = opt((), "checks whose stop this study accepts, each then stated "
                                  "in the outputs: road_coverage (many people over 5 km from "
                                  "a road), road_extent (people beyond 20 km of any road), "
                                  "township_gaps, township_overlaps (`geo check STUDY` shows "
                                  "every check)", choices=tuple(ACCEPTABLE))


@dataclass(frozen=True)
class StandardsSection:
    """``[standards]``: which planning standards to check."""

    use: tuple[str, ...] = opt(None, "names of the standards to check, in order (from the "
                               "standards file)", required=True)
    file: Path | None = opt(None, "standards file (default: standards.toml beside the "
                            "study file, else the one geo ships, analysis/standards.toml)",
                            path=True)
    overrides: dict[str, dict[str, Any]] = opt({}, "per-standard field changes, e.g. "
                                               "{ emergency_1h = { target_share = 0.95 } }")
    always_applicable: tuple[str, ...] = opt((), "standards counted even where the study "
                                             "has no facility of their types: every place "
                                             "is then beyond reach (0 % covered, stated), "
                                             "never 'not applicable' (geo batch sets it for "
                                             "an area whose buffer holds none of the "
                                             "region's facilities of a standard)")


@dataclass(frozen=True)
class MeasuresSection:
    """``[measures]``: resource ratios and access measures (``[measures.NAME]`` of the
    standards file)."""

    use: tuple[str, ...] = opt((), "names of the measures to compute, in order (from the "
                               "standards file): supply per 1,000 or 10,000 residents by "
                               "township against the plan's ratio (2SFCA and its variants, "
                               "gravity, Hansen, nearest-facility workload, supply located in "
                               "each township)")
    overrides: dict[str, dict[str, Any]] = opt({}, "per-measure field changes, e.g. "
                                               "{ beds_per_1000_2025 = { minutes = 45 } }")
    stated_totals: dict[str, float] = opt({}, "whole-area totals of supply columns that a "
                                          "document states where the facility file has no "
                                          "per-facility numbers, e.g. { beds = 1761 }: each "
                                          "is compared with the targets of the measures of "
                                          "that column as a stated figure, never computed",
                                          lo=0.0)
    stated_source: str | None = opt(None, "where stated_totals come from (document, section, "
                                    "year, the words), quoted wherever they are shown")


@dataclass(frozen=True)
class ResponseSection:
    """``[response]``: the emergency (120) response model (``[response.NAME]`` of the
    standards file)."""

    use: tuple[str, ...] = opt((), "names of the response specs to compute (from the "
                               "standards file): dispatch delay + drive from the nearest "
                               "base, and on to a hospital, as median, 90th percentile and "
                               "share within the target by township")
    overrides: dict[str, dict[str, Any]] = opt({}, "per-spec field changes, e.g. "
                                               "{ emergency_response_1h = { dispatch_minutes "
                                               "= 5 } }")


#: role of a path option among a study's inputs (Study.input_files), where it is not
#: SECTION_KEY: the names results.gpkg stores input fingerprints under
_ROLES = {("area", "boundary"): "area", ("facilities", "path"): "facilities",
          ("roads", "path"): "roads", ("townships", "boundaries"): "township_boundaries",
          ("townships", "seats"): "township_seats", ("population", "path"): "population"}

#: section name -> schema class, in file order
SECTIONS: dict[str, type] = {
    "study": StudySection, "area": AreaSection, "facilities": FacilitiesSection,
    "townships": TownshipsSection, "roads": RoadsSection, "access": AccessSection,
    "population": PopulationSection, "standards": StandardsSection,
    "measures": MeasuresSection, "response": ResponseSection, "checks": ChecksSection,
}
_MANDATORY = ("area", "facilities", "townships", "roads", "standards")

@dataclass(frozen=True)
class Study:
    """A validated study file: one typed object per section, paths absolute."""

    path: Path
    study: StudySection
    area: AreaSection
    facilities: FacilitiesSection
    townships: TownshipsSection
    roads: RoadsSection
    access: AccessSection
    population: PopulationSection
    standards: StandardsSection
    checks: ChecksSection
    measures: MeasuresSection = field(default_factory=MeasuresSection)
    response: ResponseSection = field(default_factory=ResponseSection)

    @property
    def name(self) -> str:
        return self.study.name or self.path.stem

    @property
    def title(self) -> str:
        return self.study.title or self.name

    @property
    def language(self) -> str:
        return self.study.language

    @property
    def map_standard(self) -> str:
        return self.study.map_standard or self.standards.use[0]

    @property
    def standards_file(self) -> Path:
        """``[standards] file``, else standards.toml beside the study file, else geo's own
        (:data:`geo.coverage.standards.DEFAULT_FILE`)."""
        beside = (self.path.parent / "standards.toml").resolve()
        return self.standards.file or (beside if beside.is_file() else DEFAULT_FILE)

    def input_files(self) -> dict[str, Path]:
        """Every file the study reads, by role: the study file, its standards file and each
        path option of its sections (the roles its results' input fingerprint names)."""
        files = {"study": self.path, "standards": self.standards_file}
        for name in SECTIONS:
            if name == "standards":
                continue
            section = getattr(self, name)
            for f in fields(section):
                value = getattr(section, f.name)
                if f.metadata.get("path") and value is not None:
                    files[_ROLES.get((name, f.name), f"{name}_{f.name}")] = Path(value)
        return files

    def access_kmh(self, mode: str) -> float:
        """Straight-line speed of access legs for ``mode`` (``drive`` or ``walk``)."""
        return float(self.access.drive_kmh if mode == "drive" else self.access.walk_kmh)


def _section(name: str, raw: object, base: Path) -> Any:
    """The section ``name`` from its raw TOML table."""
    return parse_section(SECTIONS[name], name, raw, base)


def _check_overrides(std: StandardsSection) -> None:
    for name, patch in std.overrides.items():
        if name not in std.use:
            raise StudyError(f"[standards] overrides names {name!r}, which is not in [standards] "
                             f"use{closest(name, std.use)}. Overrides apply to standards in use: "
                             f"{', '.join(std.use)}")
        if not isinstance(patch, dict):
            raise StudyError(f"[standards] overrides {name} must be a table, e.g. "
                             f"{{ target_share = 0.95 }}")
        check_patch(Standard, f"[standards] overrides {name}", patch, skip=("name",))


def _check_spec_overrides(section: str, use: tuple[str, ...], overrides: Mapping[str, Any],
                          spec: type) -> None:
    """``[measures]`` / ``[response]``: each name once, overrides of names in use, keys and
    values of the spec (``spec``, its dataclass in geo.measures.specs; what a key means
    for a method is checked with the specs)."""
    twice = sorted({u for u in use if use.count(u) > 1})
    if twice:
        raise StudyError(f"[{section}] use lists {twice} more than once: name each once")
    for name, patch in overrides.items():
        if name not in use:
            raise StudyError(f"[{section}] overrides names {name!r}, which is not in "
                             f"[{section}] use{closest(name, use)}. Overrides apply to the "
                             f"names in use: {', '.join(use) or '(none)'}")
        if not isinstance(patch, dict):
            raise StudyError(f"[{section}] overrides {name} must be a table, e.g. "
                             f"{{ minutes = 45 }}")
        check_patch(spec, f"[{section}] overrides {name}", patch, skip=("name",))


def _check_measures(sec: dict[str, Any]) -> None:
    m: MeasuresSection = sec["measures"]
    _check_spec_overrides("measures", m.use, m.overrides, MeasureSpec)
    r: ResponseSection = sec["response"]
    _check_spec_overrides("response", r.use, r.overrides, ResponseSpec)
    if m.stated_totals and not m.stated_source:
        raise StudyError("[measures] stated_totals needs [measures] stated_source: the "
                         "document, section and year the totals come from")
    if m.stated_source and not m.stated_totals:
        raise StudyError("[measures] stated_source is set without [measures] stated_totals: "
                         "give the totals, e.g. { beds = 1761 }, or remove it")


def _cross_checks(sec: dict[str, Any]) -> None:
    t: TownshipsSection = sec["townships"]
    if t.boundaries is None and t.seats is None:
        raise StudyError("the [townships] section needs either 'boundaries' (a township polygon "
                         "file) or "
                         "'seats' (township seat points, from which approximate areas are "
                         "derived)")
    p: PopulationSection = sec["population"]
    joined = (p.method == "table" and p.code_col is None) or (
        t.seats is not None and t.boundaries is not None)
    if t.name_map and not joined:
        raise StudyError("[townships] name_map joins other files' township names to the "
                         "townships', but no file is joined by name here (a population table "
                         "joined by [population] table_key, or seats beside boundaries): "
                         "remove it")
    std: StandardsSection = sec["standards"]
    if not std.use:
        raise StudyError("[standards] use is empty: name at least one standard, e.g. "
                         "use = [\"emergency_1h\"]")
    twice = sorted({u for u in std.use if std.use.count(u) > 1})
    if twice:
        raise StudyError(f"[standards] use lists {twice} more than once: name each standard once")
    _check_overrides(std)
    extra = [n for n in std.always_applicable if n not in std.use]
    if extra:
        raise StudyError(f"[standards] always_applicable names {extra}, which are not in "
                         f"[standards] use{closest(extra[0], std.use)}: name standards in use")
    _check_measures(sec)
    ms = sec["study"].map_standard
    if ms is not None and ms not in std.use:
        raise StudyError(f"[study] map_standard = {ms!r} is not in [standards] use"
                         f"{closest(ms, std.use)}. Use one of: {', '.join(std.use)}")


def _check_population(raw: Mapping[str, Any], p: PopulationSection) -> None:
    for key, methods in _POPULATION_KEYS.items():
        if key in raw and p.method not in methods:
            raise StudyError(f"[population] {key} applies to method = "
                             f"{' or '.join(repr(m) for m in methods)}, not {p.method!r}: "
                             f"remove it or change [population] method")
    if p.method == "even" and p.total is None:
        raise StudyError("[population] method = 'even' needs 'total' (people in the area)")
    if p.method != "even" and p.path is None:
        raise StudyError(f"[population] method = {p.method!r} needs 'path' (the population "
                         "file)")


def load_study(path: str | Path) -> Study:
    """Read and validate a study file (see module docs).

    Raises
    ------
    geo.errors.InputFileError
        The file does not exist.
    geo.errors.StudyError
        It is not valid TOML or breaks the schema; the message names the section, the
        key and the fix.

    Examples
    --------
    ``path`` is relative to the working folder (here the project's); the paths inside a
    study file are relative to the study file:

    >>> import geo
    >>> study = geo.load_study("analysis/luzhai.toml")
    >>> study.standards.use
    ('emergency_1h', 'primary_care_30min', 'rescue_2h', 'community_15min')
    >>> study.roads.path.name, study.roads.path.is_absolute()
    ('luzhai_backbone.geojson', True)
    """
    if not isinstance(path, str | os.PathLike):
        raise StudyError(Arg("load_study", "path", Hint(type(path).__name__)), ": give the "
                         "path of a .toml study file")
    p = Path(path)
    if is_dir(p) or not lexists(p):  # a pipe, a link loop: read_toml
        raise InputFileError(Arg("load_study", "path", str(path)), f": no such study file"
                             f"{' (a folder)' if p.is_dir() else ''}: give the path of a .toml "
                             "study file")
    raw = read_toml(p, "study file", StudyError)
    for name in raw:
        if name not in SECTIONS:
            raise StudyError(f"{p}: unknown section [{name}]{closest(name, SECTIONS)}. "
                             f"Sections: {', '.join(f'[{s}]' for s in SECTIONS)}")
    for name in _MANDATORY:
        if name not in raw:
            raise StudyError(f"{p}: the [{name}] section is missing")
    base = p.resolve().parent
    try:
        sec = {name: _section(name, raw.get(name, {}), base) for name in SECTIONS}
        _check_population(raw.get("population", {}), sec["population"])
        _cross_checks(sec)
    except StudyError as e:
        raise StudyError(f"{p}: {e}") from None
    return Study(path=p.resolve(), **sec)


# --------------------------------------------------------------------------- documenting


def options_text(markdown: bool = True) -> str:
    """Every study-file option, one line each, by section (docs/study-file.md and --help)."""
    lines = [line for name, cls in SECTIONS.items() for line in section_text(name, cls, markdown)]
    return "\n".join(lines) + "\n"
