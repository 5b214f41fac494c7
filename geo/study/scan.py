"""``geo init``: find a study's inputs in a folder of files and write an annotated study file.

:func:`scan_folder` looks through a folder (and its subfolders, a few levels deep) for the
facility table (CSV/Excel with coordinate and type or name columns, Chinese headers such as
机构名称, 机构类型, 经度/纬度, X/Y), township boundaries (a polygon layer with a name column such as
乡镇/名称/NAME), township seats (points), a population table (township and count columns: 常住人口,
户籍人口, 人口), the road source (.npz network cache, .osm.pbf, .osm or a line layer with
``highway``) and an area boundary (one polygon; else the townships joined). Coordinate systems
come from the file (.prj) or from the values (lon/lat, or Gauss-Krüger metres: the zone prefix
names the EPSG code, :mod:`geo.readers.gauss_kruger`), text encodings as the readers detect
them (:mod:`geo.readers.encoding`). :func:`study_text` writes the study file with comments in
Chinese and English saying what was found and what to check; ``geo check`` then reads it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from geo import readers
from geo._files import input_file, refuse_inputs
from geo.coverage.standards import DEFAULT_FILE, LOCAL_HEADER, load_standards
from geo.errors import FacilityTypeError, GeoError, InputFileError, OutputError, StudyError
from geo.network.road_classes import CLASS_COLUMNS
from geo.readers import gauss_kruger
from geo.readers.census import TOTAL_NAMES
from geo.readers.columns import NAME_COLUMNS, bracketed, find_optional
from geo.readers.coordinates import _LAT_NAMES, _LON_NAMES, _X_NAMES, _Y_NAMES, header_system
from geo.readers.encoding import shapefile_encoding
from geo.readers.facility_types import load_types, normalise
from geo.readers.gauss_kruger import GKZone

__all__ = ["Found", "Scan", "init_study", "scan_folder", "study_text"]

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # folder levels below the one given
TYPE_COLUMNS = ("type", "机构类型", "类型", "类别", "机构类别", "医疗机构类别", "机构分类")
TOWN_COLUMNS = ("township", "乡镇", "乡镇名称", "乡镇街道", "乡镇（街道）", "乡镇(街道)", "街道",
                "镇", "xzmc", "xzqmc", "name", "名称", "地区", "区域")
COUNT_COLUMNS = ("population", "常住人口", "常住人口数", "人口", "人口数", "总人口", "户籍人口",
                 "人数")
#: population groups a census table's age and sex columns name, and the group names
#: ``geo init`` gives them (0—14岁, 15—59岁, 60岁及以上, 65岁及以上, 女性15—49岁 ...)
AGE_GROUPS = (
    (re.compile(r"^(女性?|妇女)(15|十五)[-—–~～至到](49|四十九)岁?$|^育龄妇女"), "women_15_49"),
    (re.compile(r"^0[-—–~～至到]14岁?$"), "children"),
    (re.compile(r"^15[-—–~～至到]59岁?$"), "working_age"),
    (re.compile(r"^15[-—–~～至到]64岁?$"), "working_age_64"),
    (re.compile(r"^60岁?(及)?以上$"), "elderly_60"),
    (re.compile(r"^65岁?(及)?以上$"), "elderly_65"),
)
#: groups that together make up the whole population, checked against each total
PARTITIONS = (("children", "working_age", "elderly_60"),
              ("children", "working_age_64", "elderly_65"))
ID_COLUMNS = ("id", "编号", "机构编码", "机构代码", "统一社会信用代码")
_VECTOR = (".shp", ".geojson", ".json", ".gpkg", ".kml", ".kmz")  # KML/KMZ: 奥维, Google Earth
_LAYERED = (".gpkg", ".kml", ".kmz")  # files whose layers are named with [section] layer
_TABLE = (".csv", ".tsv", ".txt", ".xlsx", ".xls")  # .txt: Excel's "Unicode text"
_ROADS = {".npz": 3, ".pbf": 2, ".osm": 1}  # preference of road sources
#: parts of a Shapefile and files beside inputs that are no input themselves
_SIDECARS = (".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd", ".xml", ".toml")


@dataclass
class Found:
    """One input found: its role, file, the study options it needs and what to check.

    What to check is (``notes``: pairs of Chinese and English).
    """

    role: str
    path: Path
    options: dict[str, object] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    score: float = 0.0


@dataclass
class Scan:
    """The inputs found in a folder, best first per role."""

    folder: Path
    found: dict[str, list[Found]] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def best(self, role: str) -> Found | None:
        """Return the likeliest file found for ``role``, or None."""
        got = sorted(self.found.get(role, []), key=lambda f: -f.score)
        return got[0] if got else None


def _files(folder: Path, skipped: list[tuple[Path, str]], depth: int = 0) -> Iterator[Path]:
    """Yield every entry below ``folder`` that is not a folder; add unreadable ones to ``skipped``.

    Pipes count too: the scan names them and goes on.
    """
    try:
        entries = sorted(folder.iterdir())
    except OSError as e:
        skipped.append((folder, f"cannot read this folder ({e.strerror})"))
        return
    for p in entries:
        if p.name.startswith((".", "__")):
            continue
        if p.is_dir():
            if depth < MAX_DEPTH and not (p / "run_summary.txt").exists():  # not a geo output
                yield from _files(p, skipped, depth + 1)
        elif p.exists():  # not a dangling link
            yield p


def scan_folder(folder: str | Path) -> Scan:
    """Return every input found in ``folder`` (see module docs)."""
    root = Path(folder)
    if not root.is_dir():
        raise GeoError(f"{root} is not a folder: give the folder holding the study's files")
    scan = Scan(root)
    for p in _files(root, scan.skipped):
        name = p.name.lower()
        if not name.endswith((".osm.pbf", ".osm", ".npz", *_VECTOR, *_TABLE)):
            if p.suffix.lower() not in _SIDECARS:  # named, never opened (a pipe, a giant)
                scan.skipped.append((p, "not a table, layer or road source geo reads"))
            continue
        try:
            input_file(p, "file", "")  # a pipe, a sparse giant, a file nobody may read
            if name.endswith((".osm.pbf", ".osm", ".npz")):
                rank = _ROADS[p.suffix.lower()]
                scan.found.setdefault("roads", []).append(Found("roads", p, {}, [], rank))
            elif p.suffix.lower() in _VECTOR:
                for f in _vector(p):
                    scan.found.setdefault(f.role, []).append(f)
            elif p.suffix.lower() in _TABLE:
                table = _workbook(p) if p.suffix.lower() in (".xlsx", ".xls") else _table(p)
                if isinstance(table, str):
                    scan.skipped.append((p, table))
                else:
                    scan.found.setdefault(table.role, []).append(table)
        except (GeoError, OSError, ValueError) as e:  # unreadable: listed, never fatal
            scan.skipped.append((p, str(e)))
    _settle_crs(scan)
    return scan


# --------------------------------------------------------------------------- vectors


def _kind(p: Path, layer: str | None, info: dict[str, object]) -> str:
    """Point, LineString or Polygon.

    The layer's declared type, or (KML, whose layers declare none) the one type of its features.
    """
    kind = str(info["geometry_type"] or "").replace("Multi", "").replace(" Z", "")
    if kind in ("Point", "LineString", "Polygon"):
        return kind
    geoms = pyogrio.read_dataframe(p, layer=layer, columns=[]).geometry
    kinds = {str(k).replace("Multi", "") for k in geoms.geom_type.dropna()}
    return kinds.pop() if len(kinds) == 1 else kind


def _vector(p: Path) -> list[Found]:
    out = []
    enc = shapefile_encoding(p) if p.suffix.lower() == ".shp" else None
    options = {} if enc is None else {"encoding": enc.codec}
    layered = p.suffix.lower() in _LAYERED
    for layer in [str(n) for n in pyogrio.list_layers(p)[:, 0]]:
        info = pyogrio.read_info(p, layer=layer if layered else None, **options)
        kind = _kind(p, layer if layered else None, info)
        cols = pd.Index([str(c) for c in info["fields"]])
        n = int(info["features"])
        opts: dict[str, object] = {"layer": layer} if layered else {}
        notes = _layer_notes(p, info)
        if kind == "Polygon":
            name = find_optional(cols, None, TOWN_COLUMNS)
            role = "townships" if n > 1 and name else "area"
            if name and role == "townships":
                opts["name_col"] = name
            out.append(Found(role, p, opts, notes, n if role == "townships" else 1))
        elif kind == "Point":
            kind_col = find_optional(cols, None, TYPE_COLUMNS) or _types_in(
                p, opts.get("layer"), cols)  # a KML's types: in its descriptions
            role = "facilities" if kind_col else "seats"
            found = _point_columns(cols, role)
            if kind_col is not None and kind_col != "type":
                found["type_col"] = kind_col
            out.append(Found(role, p, {**opts, **found}, notes, n / 2))
        elif kind == "LineString":
            grade = next((c for c in CLASS_COLUMNS if c in cols), None)
            if grade is not None:
                if grade != "highway":
                    opts["class_col"] = grade
                    notes.append((f"道路等级取自 {grade!r} 列（国道、省道、县道、乡道、村道等"
                                  "按 OSM 等级计速）",
                                  f"road classes from column {grade!r} (国道, 省道, 县道, 乡道, "
                                  "村道, ... read as OSM classes)"))
                out.append(Found("roads", p, opts, notes, 1))
            else:
                notes.append(("道路图层没有道路等级字段：请在 [roads] class_col 填写保存道路等级的"
                              "列名（OSM 等级，或国道、省道、县道、乡道、村道等）",
                              "the line layer has no column of road classes: name the one "
                              "that holds them with [roads] class_col (OSM classes, or 国道, "
                              "省道, 县道, 乡道, 村道, ...)"))
                out.append(Found("roads", p, opts, notes, 0.5))
    return out


def _types_in(p: Path, layer: object, cols: pd.Index) -> str | None:
    """Find the text column of a point layer whose every value is a known facility type.

    A type the type table knows (a KML placemark's description: 乡镇卫生院), or None.
    """
    if p.suffix.lower() not in (".kml", ".kmz"):
        return None
    frame = pyogrio.read_dataframe(p, layer=None if layer is None else str(layer),
                                   read_geometry=False)
    types = load_types()
    for col in cols:
        values = [str(v).strip() for v in frame[col].dropna() if str(v).strip()]
        if not values or col.lower() in ("id", "name"):
            continue
        try:
            types.resolve(values)
        except FacilityTypeError:
            continue
        return str(col)
    return None


def _layer_notes(p: Path, info: dict[str, object]) -> list[tuple[str, str]]:
    notes = []
    crs = info.get("crs")
    if crs:
        c = CRS.from_user_input(crs)
        code = c.to_epsg()
        zh = f"坐标系（来自文件）：{'EPSG:' + str(code) if code else ''} {c.name}"
        notes.append((zh, f"coordinate system (from the file): "
                          f"{'EPSG:' + str(code) + ' ' if code else ''}{c.name}"))
    enc = shapefile_encoding(p) if p.suffix.lower() == ".shp" else None
    if enc is not None and enc.how in ("detected", "cpg"):
        how_zh = "据 .cpg 文件" if enc.how == "cpg" else "无 .cpg 文件，按内容检测"
        how_en = "from the .cpg file" if enc.how == "cpg" else "no .cpg file: detected"
        notes.append((f"属性表文字编码：{enc.codec}（{how_zh}）",
                      f"text encoding of the .dbf: {enc.codec} ({how_en})"))
    return notes


def _point_columns(cols: pd.Index, role: str) -> dict[str, object]:
    out: dict[str, object] = {}
    if role == "facilities":
        for key, names in (("type_col", TYPE_COLUMNS), ("name_col", NAME_COLUMNS),
                           ("id_col", ID_COLUMNS)):
            col = find_optional(cols, None, names)
            if col is not None and col != key.replace("_col", ""):
                out[key] = col
    else:
        col = find_optional(cols, None, TOWN_COLUMNS)
        if col is not None:
            out["seat_name_col"] = col
    return out


# --------------------------------------------------------------------------- tables


#: lon/lat columns named after their system (the readers find these for that crs)
_NAMED = tuple(((f"{k}_lon", f"{k}_lng"), (f"{k}_lat",)) for k in ("wgs84", "gcj02", "bd09"))


def _coordinates(frame: pd.DataFrame) -> tuple[str, str] | None:
    """Return the coordinate columns of a table.

    They are plain lon/lat names, then ones named after their system (wgs84_lon before gcj02_lon and
    bd09_lon), then x/y.
    """
    for xs, ys in ((_LON_NAMES, _LAT_NAMES), *_NAMED, (_X_NAMES, _Y_NAMES)):
        x, y = find_optional(frame.columns, None, xs), find_optional(frame.columns, None, ys)
        if x is not None and y is not None and x != y:
            return x, y
    return None


def _numbers(frame: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(frame[col].astype(str).str.replace(",", "").str.strip(),
                         errors="coerce").to_numpy(dtype=float)


def _exact_or_bracketed(cols: pd.Index, name: str) -> list[str]:
    exact = find_optional(cols, name, ())
    return [exact] if exact is not None else bracketed(cols, name)


@dataclass(frozen=True)
class _Choose:
    """An option geo init cannot settle: written commented out, with the choices."""

    choices: tuple[str, ...]


def _workbook(p: Path) -> Found | str:
    """Return the first sheet of a workbook that is a table a study reads.

    Facility lists may be on any sheet ([facilities] layer names it); a population table or seat
    list must be the first sheet (their sections have no sheet option): found on another, it is
    named with the fix.
    """
    try:
        with pd.ExcelFile(p, engine="calamine" if p.suffix.lower() == ".xls" else
                          "openpyxl") as book:
            sheets = [str(n) for n in book.sheet_names]
    except Exception:
        return _table(p)
    why: list[str] = []
    for k, sheet in enumerate(sheets):
        try:
            found = _table(p, sheet if k else None)
        except (GeoError, OSError, ValueError) as e:
            found = str(e)
        if isinstance(found, str):
            why.append(f"sheet {sheet!r}: {found}" if len(sheets) > 1 else found)
            continue
        if k == 0 or found.role == "facilities":
            if k:
                found.options = {"layer": sheet, **found.options}
            return found
        return (f"its sheet {sheet!r} looks like the {found.role} table, but only the first "
                "sheet of a workbook is read for it: move that sheet to the front, or save "
                "it as CSV")
    return why[0] if len(why) == 1 else "; ".join(why)


def _table(p: Path, sheet: str | None = None) -> Found | str:
    """Tell what the table is (a :class:`Found`), or why it is none a study reads."""
    frame = readers.read_table(p, layer=sheet)
    cols = frame.columns
    enc = frame.attrs.get("encoding")
    notes = ([(f"文字编码：{enc}（按内容检测）", f"text encoding: {enc} (detected)")]
             if enc and enc != "utf-8" else [])
    header = int(frame.attrs.get("header_row", 1))
    if header > 1:  # a title or blank rows above the header (geo.readers.tables.header_row)
        title = frame.attrs.get("title")
        notes.append((f"表头在第 {header} 行，其上各行（{'标题' if title else '空行'}）不读",
                      f"the header is row {header}; the rows above it "
                      f"({'a title' if title else 'blank'}) are not read"))
    xy = _coordinates(frame)
    kind_col = find_optional(cols, None, TYPE_COLUMNS)
    town = find_optional(cols, None, TOWN_COLUMNS)
    if xy is not None:
        role = "facilities" if kind_col else "seats"
        f = Found(role, p, _point_columns(cols, role), notes, len(frame))
        f.options["_xy"] = xy
        f.options["_values"] = (_numbers(frame, xy[0]), _numbers(frame, xy[1]))
        if kind_col is not None:
            _check_types(frame, kind_col, f)
        return f
    count = find_optional(cols, None, COUNT_COLUMNS)
    fits = list(dict.fromkeys(h for c in COUNT_COLUMNS for h in _exact_or_bracketed(cols, c)))
    if town is None or (count is None and not fits):
        return _why_not(town, count or (fits[0] if fits else None))
    opts: dict[str, object] = {"table_key": town}
    if count is None:  # only ambiguous ones ('常住人口（2010年）', '…（2020年）'): not guessed
        opts["count_col"] = _Choose(tuple(fits))
        notes.append((f"人口数可取自 {fits} 中任一列：请取消 count_col 一行的注释并填写要用的列",
                      f"people could be counted from any of {fits}: uncomment the count_col "
                      "line and name the one to use (geo check stops until then)"))
        return Found("population", p, opts, notes, len(frame))
    opts["count_col"] = count
    totals = [str(v) for v in frame[town].dropna() if normalise(str(v)) in TOTAL_NAMES]
    if totals:
        notes.append((f"合计行 {totals[0]!r}：与其余各行之和核对后不计入",
                      f"total row {totals[0]!r}: checked against the sum of the other rows "
                      "and left out"))
    groups = age_groups(list(cols))
    if groups:
        opts["groups"] = groups
        names = set(groups.values())
        whole = next((list(p) for p in PARTITIONS if names >= set(p)), None)
        if whole:
            opts["partition"] = whole
        notes.append((f"人群列：{list(groups)}（计算各人群覆盖与健康公平；各乡镇人群数不得超过总人口）",
                      f"population group columns: {list(groups)} (coverage and equity per "
                      "group; a township's group may not exceed its total)"))
    others = list(dict.fromkeys(h for h in fits if h != count))
    if others:
        notes.append((f"人口数取自 {count!r} 列；表中另有 {others}，如需改用请改 count_col",
                      f"people counted from column {count!r}; the table also has {others}: "
                      "change count_col to use another"))
    return Found("population", p, opts, notes, len(frame))


def age_groups(columns: Sequence[object]) -> dict[str, str]:
    """Census columns of population groups (:data:`AGE_GROUPS`) -> group names.

    Each group once (the first column naming it); a unit in brackets at the end is allowed.
    """
    out: dict[str, str] = {}
    for col in columns:
        text = unicodedata.normalize("NFKC", str(col)).replace(" ", "")
        text = re.sub(r"[（(［\[][^）)］\]]*[)）］\]]$", "", text)  # '（人）', '(万人)'
        text = text.replace("人口", "").replace("人数", "")
        for pattern, name in AGE_GROUPS:
            if pattern.search(text) and name not in out.values():
                out[str(col)] = name
                break
    return out


def _why_not(town: str | None, count: str | None) -> str:
    """Why a table with no coordinate columns is not a population table."""
    people = ", ".join(COUNT_COLUMNS[1:6])
    towns = ", ".join(TOWN_COLUMNS[1:5])
    if town is None and count is None:
        return (f"no coordinate columns (经度/纬度, lon/lat, x/y), no township column ({towns}, "
                f"...) and no column of people ({people}, ...): not a facility list, seat "
                "list or population table")
    if count is None:
        return (f"a township column ({town!r}) but no column of people ({people}, ...): if "
                "it is the population table, name the count column with [population] "
                "count_col and table_key")
    return (f"a column of people ({count!r}) but no township column ({towns}, ...): if it "
            "is the population table, name the township column with [population] table_key")


def _check_types(frame: pd.DataFrame, col: str, f: Found) -> None:
    """Facility types the type table cannot place: a type_map to fill in."""
    rows = frame.attrs.get("rows")
    labels = ([f"row {r}" for r in rows] if rows is not None and len(rows) == len(frame)
              else [f"row {i}" for i in frame.index])  # spreadsheet rows, header = row 1
    try:
        load_types().resolve(frame[col].tolist(), rows=labels,
                             what=f"{f.path.name} column {col!r}")
    except FacilityTypeError as e:
        f.notes.append(("有机构类型无法识别：在 type_map 中把它们对应到类型代码",
                        f"facility types to map with type_map: {e}"))


# --------------------------------------------------------------------------- CRS


def _lon_hint(scan: Scan) -> float | None:
    """Return a longitude of the area, from any layer found that states its coordinate system."""
    for found in scan.found.values():
        for f in found:
            if f.path.suffix.lower() not in _VECTOR:
                continue
            info = pyogrio.read_info(f.path, layer=f.options.get("layer"))
            if info.get("crs"):
                x0, y0, x1, y1 = info["total_bounds"]
                crs = CRS.from_user_input(info["crs"])
                lon, _ = _to_lonlat(crs, (x0 + x1) / 2, (y0 + y1) / 2)
                return lon
    return None


def _to_lonlat(crs: CRS, x: float, y: float) -> tuple[float, float]:
    from pyproj import Transformer

    t = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = t.transform(x, y)
    return float(lon), float(lat)


def _settle_crs(scan: Scan) -> None:
    """Settle the coordinate system of each table's x/y or lon/lat values (module docs)."""
    hint = _lon_hint(scan)
    for role in ("facilities", "seats"):
        for f in scan.found.get(role, []):
            values = f.options.pop("_values", None)
            cols = f.options.pop("_xy", None)
            if values is None or cols is None:
                continue
            assert isinstance(cols, tuple) and isinstance(values, tuple)
            x, y = (np.asarray(v, dtype=float) for v in values)
            ok = np.isfinite(x) & np.isfinite(y)
            _table_crs(f, cols, x[ok], y[ok], hint)


def _table_crs(f: Found, cols: tuple[str, str], x: np.ndarray, y: np.ndarray,
               hint: float | None) -> None:
    seat = f.role == "seats"
    key = "seat_crs" if seat else "crs"
    lon_key, lat_key = ("seat_lon_col", "seat_lat_col") if seat else ("lon_col", "lat_col")
    x_key, y_key = ("seat_x_col", "seat_y_col") if seat else ("x_col", "y_col")
    if len(x) and (np.abs(x) <= 180).all() and (np.abs(y) <= 90).all():
        named = {header_system(c) for c in cols} - {None}
        system = named.pop() if len(named) == 1 else "wgs84"
        f.options.update({key: system, lon_key: cols[0], lat_key: cols[1]})
        f.notes.append((f"经纬度列 {cols[0]}/{cols[1]}，按 {system} 读取：若坐标取自高德或腾讯"
                        "地图请改为 gcj02，取自百度地图改为 bd09（geo check 会用道路核对）",
                        f"lon/lat columns {cols[0]}/{cols[1]} read as {system}: if the "
                        "positions were picked on AMap or Tencent use gcj02, on Baidu bd09 "
                        "(geo check compares them with the roads)"))
        return
    zone, swapped = gauss_kruger.detect(x, y, hint)
    if zone is None:
        f.notes.append(("坐标值既不是经纬度也不是可识别的高斯-克吕格坐标：请填写 crs",
                        "the coordinates are neither lon/lat nor recognisable Gauss-Krüger "
                        "metres: set the crs option"))
        return
    east, north = (cols[1], cols[0]) if swapped else cols
    f.options.update({key: zone.epsg, x_key: east, y_key: north})
    f.notes.append(_zone_note(zone, hint))
    if swapped:
        f.notes.append((f"{cols[0]!r} 列为北坐标、{cols[1]!r} 列为东坐标（测绘习惯 X 为北）",
                        f"column {cols[0]!r} holds the northings and {cols[1]!r} the eastings "
                        "(survey tables call the northing X)"))


def _zone_note(zone: GKZone, hint: float | None) -> tuple[str, str]:
    why_zh = (f"东坐标带号前缀 {zone.prefix}" if zone.prefix else
              f"无带号前缀，中央经线取自其他图层（约东经 {hint:.1f}°）")
    why_en = (f"zone prefix {zone.prefix} in the eastings" if zone.prefix else
              f"no zone prefix: central meridian from the other layers (about {hint:.1f}°E)")
    return (f"x/y 为高斯-克吕格坐标（{why_zh}）：{zone}",
            f"x/y are Gauss-Krüger metres ({why_en}): {zone}")


# --------------------------------------------------------------------------- writing


def _value(v: object) -> str:
    import json

    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_value(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)


def _rel(path: Path, base: Path) -> str:
    """Return ``path`` relative to the study file's folder when inside it, else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _others(scan: Scan | None, f: Found, base: Path) -> list[str]:
    """Comment lines naming the other candidates for ``f``'s role.

    Not used (a KMZ's other folder of facilities, a second census).
    """
    if scan is None:
        return []
    rest = [o for o in scan.found.get(f.role, []) if o is not f]
    return [f"# 另有候选，未使用 / another candidate, not used: {_rel(o.path, base)}"
            + (f" (layer {o.options['layer']!r})" if "layer" in o.options else "")
            for o in sorted(rest, key=lambda o: -o.score)]


def _section(name: str, head: Sequence[tuple[str, str]], f: Found | None,
             path_key: str, base: Path, extra: dict[str, object] | None = None,
             scan: Scan | None = None) -> list[str]:
    lines = ["", f"[{name}]"]
    lines += [line for zh, en in head for line in (f"# {zh}", f"# {en}")]
    if f is None:
        return [*lines, f"# {path_key} = \"...\"   # 未找到 / not found: fill it in"]
    lines += [f"# 找到 / found: {_rel(f.path, base)}"]
    lines += _others(scan, f, base)
    lines += [line for zh, en in f.notes for line in (f"#   {zh}", f"#   {en}")]
    lines.append(f"{path_key} = {_value(_rel(f.path, base))}")
    for k, v in {**f.options, **(extra or {})}.items():
        if isinstance(v, _Choose):
            lines.append(f"# {k} = {_value(v.choices[0])}   # 请选择 / choose one of: "
                         f"{', '.join(v.choices)}")
        else:
            lines.append(f"{k} = {_value(v)}")
    return lines


def study_text(scan: Scan, out: Path) -> str:
    """Return the annotated study file for what ``scan`` found, paths relative to ``out``."""
    base = out.parent
    name = scan.folder.resolve().name
    towns, seats = scan.best("townships"), scan.best("seats")
    area = scan.best("area") or towns
    lines = [f"# 研究文件：由 `geo init {scan.folder}` 生成。请逐项核对注释，然后运行 "
             f"`geo check {out.name}`，再运行 `geo run {out.name} --out 输出文件夹`。",
             f"# Study file written by `geo init {scan.folder}`. Check each comment, then run "
             f"`geo check {out.name}` and `geo run {out.name} --out DIR`.",
             "", "[study]", f"name = {_value(name)}",
             f"title = {_value(name + ' 医疗卫生设施可达性')}", 'language = "zh"']
    area_head = [("研究区边界（多个面会合并）", "study-area boundary (its polygons are joined)")]
    if scan.best("area") is None and towns is not None:
        area_head.append(("未找到单独的县界：用乡镇边界合并作研究区",
                          "no separate county boundary found: the townships joined"))
    kept = {k: v for k, v in (area.options.items() if area else ()) if k == "layer"}
    lines += _section("area", area_head, area and Found(area.role, area.path, kept),
                      "boundary", base, {"name": name})
    lines += _section("facilities", [("医疗机构名单", "the facility list")],
                      scan.best("facilities"), "path", base, scan=scan)
    if towns is not None:
        lines += _section("townships", [("乡镇边界（官方）", "official township boundaries")],
                          towns, "boundaries", base, scan=scan)
    else:
        lines += _section("townships", [("乡镇驻地：据此近似划分乡镇范围",
                                         "township seats: areas derived from them")],
                          seats, "seats", base, scan=scan)
    lines += _section("roads", [("道路：OSM 提取（.osm.pbf）、`geo network build` 生成的 .npz 或"
                                 "带 highway 字段的线图层",
                                 "roads: an OSM extract, a .npz from `geo network build` or a "
                                 "line layer with `highway`")], scan.best("roads"), "path", base,
                      scan=scan)
    lines += _population(scan, base)
    if scan.skipped:
        lines += ["", "# 查看过但未使用的文件 / files looked at and not used:"]
        lines += [f"#   {_rel(p, base)}: {why}" for p, why in scan.skipped]
    stds = list(load_standards(DEFAULT_FILE).standards)
    lines += ["", "[standards]",
              "# 规划标准在本文件旁的 standards.toml（geo init 复制自 geo 自带的鹿寨县、柳州市"
              "规划标准）：请改为本县规划出处与目标",
              "# standards in standards.toml beside this file (geo init copied the Luzhai and "
              "Liuzhou plans' standards geo ships): cite your county's plan and targets there",
              f"use = {_value(stds)}"]
    return "\n".join(lines) + "\n"


def _population(scan: Scan, base: Path) -> list[str]:
    f = scan.best("population")
    head = [("人口：按乡镇的人口表（如人口普查）", "population: a table by township (a census)")]
    if f is None:
        tables = [f"#   {_rel(p, base)}: {why}" for p, why in scan.skipped
                  if p.suffix.lower() in _TABLE]
        unused = ["# 以下表格未能使用：若其中有人口表，请修正后重新运行 geo init"
                  "（只给总人口会把人口均匀分布到全县，各乡镇的人均指标将失真）",
                  "# these tables could not be used: if one is the population table, fix it "
                  "and run geo init again (a total alone spreads people evenly over the area, "
                  "which distorts every township's per-resident figures)", *tables] \
            if tables else []
        return ["", "[population]", *[f"# {t}" for pair in head for t in pair], *unused,
                "# 未找到人口表：填写全县总人口（均匀分布，输出会注明）",
                "# no population table found: give the total (spread evenly, as the outputs "
                "will say)", 'method = "even"', "# total = ...", "# label = \"...\""]
    return _section("population", head, f, "path", base, {"method": "table"}, scan=scan)


def _only_a_study(target: Path) -> None:
    """``--force`` overwrites a study file, nothing else.

    Not a standards, scenario or batch file, not data.
    """
    from geo.options import read_toml
    from geo.study.schema import SECTIONS

    fix = "name another file with --out (--force overwrites study files only)"
    try:
        raw = read_toml(target, "file", StudyError)
    except GeoError as e:
        raise OutputError(f"{target} is not a study file ({e}): {fix}") from None
    other = sorted(set(raw) - set(SECTIONS))
    if other or not raw:
        what = f"its tables {other} are no study file's" if other else "it is empty"
        raise OutputError(f"{target} is not a study file ({what}): {fix}")


def init_study(folder: str | Path, out: str | Path | None = None,
               force: bool = False) -> tuple[Path, Scan]:
    """Scan ``folder`` and write the study file ``out`` (default ``FOLDER/study.toml``).

    Raises
    ------
    geo.errors.OutputError
        ``out`` exists and ``force`` is not set.
    """
    from geo._atomic import atomic_path

    scan = scan_folder(folder)
    if not any(scan.found.values()):
        looked = "; ".join(f"{p.name}: {why}" for p, why in scan.skipped[:10]) or "no files"
        raise InputFileError(
            f"no study input found in {folder} ({looked}): put the facility list, the "
            "township boundaries or seats, the population table and the roads (.osm.pbf, a "
            ".npz from `geo network build`, or a line layer) in it, or give the folder "
            "that holds them")
    target = Path(out) if out is not None else Path(folder) / "study.toml"
    refuse_inputs([target], {f"{f.role} ({i + 1})": f.path for found in scan.found.values()
                             for i, f in enumerate(found)}, "name another file with --out")
    if target.exists() and not force:
        raise OutputError(f"{target} exists: pass --force to overwrite it, or --out another "
                          "file")
    if target.exists():
        _only_a_study(target)
    with atomic_path(target, ".toml") as tmp:
        tmp.write_text(study_text(scan, target), encoding="utf-8")
    log.info("wrote %s", target)
    local = target.parent / "standards.toml"
    if not local.exists():  # never over a standards file the planner has
        with atomic_path(local, ".toml") as tmp:
            tmp.write_text(LOCAL_HEADER + DEFAULT_FILE.read_text(encoding="utf-8"),
                           encoding="utf-8")
        log.info("wrote %s (to cite the county's own plan)", local)
    return target, scan
