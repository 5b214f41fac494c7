"""Reading planners' files: facility lists, boundaries, roads, tables and population points.

Tables (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; Excel) and vector files (anything pyogrio
reads) are checked on entry: each problem raises one :mod:`geo.errors` exception naming the
file, the row or id, and the fix; no bad row disappears silently. Results are in EPSG:4326
with a 0..n-1 index. Rows in messages are spreadsheet rows for tables (header = row 1) and
feature numbers counted from 1 for vector files.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypeAlias

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from geo.crs import to_wgs84, utm_crs_for
from geo.errors import ColumnError, CoordinateError, DuplicateIdError, GeoError, InputFileError

__all__ = ["read_boundaries", "read_facilities", "read_points", "read_roads", "read_table"]

logger = logging.getLogger(__name__)

PathLike: TypeAlias = str | os.PathLike[str]
StudyArea: TypeAlias = "BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries"
Outside: TypeAlias = Literal["error", "keep", "drop"]
OnInvalid: TypeAlias = Literal["raise", "warn", "ignore"]

_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT_NAMES = ("lat", "latitude", "y", "纬度")
_INPUT_CRS = {"wgs84": "wgs84", "epsg4326": "wgs84", "gcj02": "gcj02", "bd09": "bd09"}
_CRS_HELP = "use wgs84, gcj02 (AMap, Tencent, Google China) or bd09 (Baidu)"
_SWAP_FIX = ("name the coordinate columns in the study file ([facilities] lon_col/lat_col, "
             "[townships] seat_lon_col/seat_lat_col, [population] lon_col/lat_col) or fix "
             "the file")
_ID_FIX = ("set [facilities] id_col (for a seats file [townships] seat_name_col) in the study "
           "file naming the id column")
_EXCEL = (".xlsx", ".xlsm", ".xls")
_SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": None}
_ROW = "__row__"  # private column: how messages name a row ("row 5", "facility 'LZ-T03'")
_MAX_LISTED = 10


def read_facilities(
    path: PathLike,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    id_col: str = "id",
    crs: str = "wgs84",
    layer: str | None = None,
    study_area: StudyArea | None = None,
    outside: Outside = "error",
    outside_tolerance_m: float = 1000.0,
) -> gpd.GeoDataFrame:
    """Read a facility list (CSV, Excel or point layer) into WGS84 points.

    Parameters
    ----------
    path : str or os.PathLike
        CSV/TSV, Excel or any vector file pyogrio reads (Point or one-point MultiPoint).
    lon_col, lat_col : str, optional
        Table coordinate columns; by default found by name, case-insensitively (lon, lng,
        long, longitude, x, 经度, wgs84_lon; lat, latitude, y, 纬度, wgs84_lat), preferring
        plain names, but ``gcj02_lon``/``gcj02_lat`` for ``crs="gcj02"`` (bd09 alike).
    id_col : str, default "id"
        Column of unique ids, returned as the string column ``id``.
    crs : {"wgs84", "gcj02", "bd09"}, default "wgs84"
        System of the input values (also of a vector layer without CRS). GCJ-02 and BD-09
        are converted; the inputs go to ``input_lon``, ``input_lat``, ``input_crs``.
    layer : str, optional
        Excel sheet (default the first) or vector layer (required if there are several).
    study_area : shapely geometry, GeoSeries or GeoDataFrame, optional
        Area the facilities must lie in; EPSG:4326 unless the frame says otherwise.
    outside : {"error", "keep", "drop"}, default "error"
        Facilities outside it raise, are kept with a warning, or are dropped (each id
        logged at WARNING level).
    outside_tolerance_m : float, default 1000.0
        Distance outside the boundary that still counts as inside.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326, index 0..n-1, all columns (text as strings; table coordinate
        columns as floats in the input system); ``attrs`` holds ``source``, ``input_crs``
        and ``dropped_outside`` (ids).

    Raises
    ------
    InputFileError, ColumnError, CoordinateError, DuplicateIdError
        Bad file, column, coordinates or ids; the message names the row and the fix.
    """
    key = _input_crs_key(crs)
    if outside not in ("error", "keep", "drop"):
        raise GeoError(f"outside must be 'error', 'keep' or 'drop', not {outside!r}")
    area = None if study_area is None else _study_geometry(study_area)
    src = _existing(path, "facility")
    frame, lon, lat, names = _load_points(src, lon_col, lat_col, key, layer)
    frame = _take_ids(frame, id_col, src)
    gdf = _make_points(frame, lon, lat, names, key, area)
    dropped: list[str] = []
    if area is not None:
        gdf, dropped = _check_outside(gdf, area, outside, outside_tolerance_m)
    logger.info("read %d facilities from %s (%s)", len(gdf), src, key)
    return _finish(gdf, src, key, dropped_outside=dropped)


def read_points(
    path: PathLike,
    *,
    count_col: str,
    lon_col: str | None = None,
    lat_col: str | None = None,
    crs: str = "wgs84",
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read points with counts (e.g. population) like :func:`read_facilities`, without ids.

    Parameters
    ----------
    path : str or os.PathLike
        Table or point layer.
    count_col : str
        Column of counts (numbers >= 0), copied as floats to ``population``.
    lon_col, lat_col, crs, layer
        As in :func:`read_facilities`.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with a float ``population`` column, index 0..n-1.

    Raises
    ------
    ColumnError
        ``count_col`` missing, or holding missing, non-numeric or negative values.
    InputFileError, CoordinateError
        As in :func:`read_facilities`.
    """
    key = _input_crs_key(crs)
    src = _existing(path, "point")
    frame, lon, lat, names = _load_points(src, lon_col, lat_col, key, layer)
    col = _find_column(frame.columns, count_col, (), "counts",
                       "set [population] count_col in the study file naming it", src)
    if col != "population" and "population" in frame.columns:
        raise ColumnError(
            f"{src} already has a 'population' column but count_col={count_col!r}; "
            "set [population] count_col = 'population' or rename one of the columns"
        )
    counts = _numeric(frame[col])
    bad = ~np.isfinite(counts) | (counts < 0)
    if bad.any():
        raise ColumnError(
            f"{_offenders(frame, bad, frame[col].map(repr))}: counts in column {col!r} must be "
            "numbers >= 0; fix those rows, or set [population] count_col naming the right column"
        )
    frame["population"] = counts
    gdf = _make_points(frame, lon, lat, names, key, None)
    logger.info("read %d points (total %.0f) from %s", len(gdf), counts.sum(), src)
    return _finish(gdf, src, key)


def read_boundaries(
    path: PathLike,
    *,
    layer: str | None = None,
    name_col: str | None = None,
    crs: str | None = None,
    on_invalid: OnInvalid = "warn",
) -> gpd.GeoDataFrame:
    """Read Polygon/MultiPolygon boundaries (county, townships) into EPSG:4326.

    Parameters
    ----------
    path : str or os.PathLike
        Any vector file pyogrio reads.
    layer : str, optional
        Layer to read (required when the file has several).
    name_col : str, optional
        Column copied, as strings, to ``name``.
    crs : str, optional
        System of a file without CRS: wgs84, gcj02, bd09 or a pyproj CRS ("EPSG:4547").
        gcj02/bd09 also apply to a file in a geographic CRS: every vertex is converted.
    on_invalid : {"raise", "warn", "ignore"}, default "warn"
        Invalid polygons raise, or are repaired with :func:`shapely.make_valid` and logged
        at WARNING ("warn") or DEBUG ("ignore") level.

    Returns
    -------
    geopandas.GeoDataFrame
        Valid polygons in EPSG:4326, all columns kept, index 0..n-1.

    Raises
    ------
    InputFileError
        Missing, unreadable or empty file, or geometries that are not polygons.
    CoordinateError
        No CRS and no ``crs``; features without geometry; invalid ones with "raise".
    ColumnError
        ``name_col`` does not exist.
    """
    if on_invalid not in ("raise", "warn", "ignore"):
        raise GeoError(f"on_invalid must be 'raise', 'warn' or 'ignore', not {on_invalid!r}")
    src = _existing(path, "boundary")
    gdf, key = _load_layer(src, layer, ("Polygon", "MultiPolygon"), "boundaries", crs)
    gdf = _repair(gdf, on_invalid, src)
    if name_col is not None:
        col = _find_column(gdf.columns, name_col, (), "names",
                              "set [townships] name_col in the study file naming it", src)
        gdf["name"] = gdf[col].astype(str)
    return _finish(gdf, src, key)


def read_roads(
    path: PathLike, *, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read road lines into EPSG:4326 LineStrings, all attribute columns kept.

    Parameters
    ----------
    path, layer, crs
        As in :func:`read_boundaries`.

    Returns
    -------
    geopandas.GeoDataFrame
        LineStrings (MultiLineStrings exploded, attributes repeated), index 0..n-1.

    Raises
    ------
    InputFileError
        Missing, unreadable or empty file, or geometries that are not lines.
    CoordinateError
        No CRS and no ``crs``, or features without geometry.
    """
    src = _existing(path, "road")
    gdf, key = _load_layer(src, layer, ("LineString", "MultiLineString"), "roads", crs)
    return _finish(gdf.explode(index_parts=False), src, key)


def read_table(path: PathLike, *, layer: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV or Excel table (e.g. township populations) with string cells.

    Parameters
    ----------
    path : str or os.PathLike
        CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), TSV/TXT or Excel file.
    layer : str, optional
        Excel sheet; the first by default.

    Returns
    -------
    pandas.DataFrame
        Every column as strings (empty cells missing), index 0..n-1.

    Raises
    ------
    InputFileError
        The file is missing, unreadable or has no rows.
    """
    return _load_table(_existing(path, "table"), layer).reset_index(drop=True)


# --- files --------------------------------------------------------------------------------


def _existing(path: PathLike, what: str) -> Path:
    src = Path(path)
    if not src.exists():
        raise InputFileError(
            f"{what} file not found: {str(path)!r} (looked for {src.resolve()}); check the "
            "name, and note that paths in a study file are relative to the study file"
        )
    return src


def _load_table(src: Path, sheet: str | None) -> pd.DataFrame:
    """CSV/Excel with string cells; the index holds spreadsheet row numbers (header = 1)."""
    try:
        if src.suffix.lower() in _EXCEL:
            with pd.ExcelFile(src) as book:
                sheets = [str(name) for name in book.sheet_names]
                if sheet is not None and sheet not in sheets:
                    raise InputFileError(f"{src} has no sheet {sheet!r}; its sheets: {sheets}")
                frame = pd.read_excel(book, sheet_name=sheet or 0, dtype=str)
        else:
            frame = _read_text(src)
    except GeoError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{src} is empty; point to the right file") from exc
    except (ImportError, OSError, zipfile.BadZipFile, ValueError) as e:
        raise InputFileError(f"cannot read {src} ({e}); save it as UTF-8 CSV or .xlsx") from e
    frame.columns = pd.Index([str(c).strip() for c in frame.columns])
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    blank = frame.isna().all(axis=1)
    if blank.any():
        logger.info("%s: skipped %d blank rows", src, int(blank.sum()))
    if blank.all():
        raise InputFileError(f"{src} has no data rows; fill it in or point to the right file")
    return frame.loc[~blank]


def _read_text(src: Path) -> pd.DataFrame:
    """A CSV as strings: UTF-8 (with or without BOM), else GBK/GB18030."""
    sep = _SEPARATORS.get(src.suffix.lower(), ",")

    def read(encoding: str) -> pd.DataFrame:
        return pd.read_csv(
            src, sep=sep, dtype=str, encoding=encoding, keep_default_na=False,
            na_values=[""], engine="python" if sep is None else "c",
        )  # fmt: skip

    try:
        return read("utf-8-sig")
    except UnicodeDecodeError:
        logger.info("%s is not UTF-8; reading it as GBK/GB18030", src)
    return read("gb18030")  # a superset of GBK and GB2312


def _load_layer(
    src: Path, layer: str | None, kinds: Sequence[str], what: str, crs: str | None
) -> tuple[gpd.GeoDataFrame, str]:
    """A vector layer of geometry types ``kinds`` in WGS84 (GCJ-02/BD-09 vertices converted)."""
    gdf = _load_vector(src, layer)
    _require_types(gdf, kinds, what, src)
    gdf, key = _layer_lonlat(gdf, crs, src)
    if key in ("gcj02", "bd09"):

        def convert(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], key))

        geoms = shapely.transform(np.asarray(gdf.geometry.array), convert)
        gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326")
        logger.info("%s: converted every vertex from %s to WGS84", src, key)
    return gdf, key


def _load_vector(src: Path, layer: str | None) -> gpd.GeoDataFrame:
    """A vector layer; the index holds feature numbers counted from 1."""
    try:
        layers = [str(name) for name in pyogrio.list_layers(src)[:, 0]]
        if (layer is None and len(layers) > 1) or (layer is not None and layer not in layers):
            raise InputFileError(
                f"{src} has layers {_names(layers)}: name one in the study file ([area] layer, "
                "[facilities] layer, [townships] layer or [roads] layer, as fits the file)"
                + ("" if layer is None else f" (there is no layer {layer!r})")
            )
        gdf = gpd.read_file(src, layer=layer, engine="pyogrio")
    except (DataSourceError, DataLayerError) as exc:
        raise InputFileError(
            f"cannot read {src} as a vector file ({exc}); use GeoJSON, GeoPackage, "
            "Shapefile (with its .shx/.dbf/.prj) or a CSV/Excel table"
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputFileError(f"{src} has no geometry; point to a vector file with features")
    if gdf.empty:
        raise InputFileError(f"{src} has no features; point to the right file or layer")
    gdf.index = pd.RangeIndex(1, len(gdf) + 1)
    return gdf


def _finish(gdf: gpd.GeoDataFrame, src: Path, key: str, **attrs: object) -> gpd.GeoDataFrame:
    out = gdf.drop(columns=[_ROW], errors="ignore").reset_index(drop=True)
    out.attrs.update(source=str(src), input_crs=key, **attrs)
    return out


# --- coordinate systems and geometries ---------------------------------------------------


def _crs_key(crs: str) -> str | None:
    return _INPUT_CRS.get(crs.lower().replace("-", "").replace("_", "").replace(" ", ""))


def _input_crs_key(crs: str) -> str:
    if (key := _crs_key(crs)) is None:
        raise CoordinateError(f"unknown input coordinate system {crs!r}: {_CRS_HELP}")
    return key


def _is_wgs84(crs: object) -> bool:
    return bool(CRS.from_user_input(crs).equals("EPSG:4326", ignore_axis_order=True))


def _layer_lonlat(
    gdf: gpd.GeoDataFrame, crs: str | None, src: Path
) -> tuple[gpd.GeoDataFrame, str]:
    """The layer in EPSG:4326 lon/lat and the system of its values (maybe still GCJ-02)."""
    key = None if crs is None else _crs_key(crs)
    try:
        target = None if crs is None or key else CRS.from_user_input(crs)
    except CRSError as exc:
        raise CoordinateError(
            f"unknown coordinate system {crs!r}: {_CRS_HELP} or EPSG:4547-style codes"
        ) from exc
    if gdf.crs is None:
        if crs is None:
            raise CoordinateError(
                f"{src} has no coordinate system (no .prj file or CRS in it): say what it is "
                "in the study file ([area] crs, [townships] crs or [roads] crs, whichever "
                "names this file): 'wgs84', 'gcj02'/'bd09' for AMap/Baidu data, or an EPSG "
                "code such as 'EPSG:4547'"
            )
        gdf = gdf.set_crs(target or "EPSG:4326")
    file_crs = CRS.from_user_input(gdf.crs)
    if (key in ("gcj02", "bd09") and not file_crs.is_geographic) or (
        target is not None and not target.equals(file_crs)
    ):
        raise CoordinateError(
            f"{src} says its coordinate system is {file_crs.name} but crs={crs!r} was given; "
            "remove crs for this file from the study file, or fix the file's coordinate system"
        )
    label = key or ("wgs84" if _is_wgs84(file_crs) else str(file_crs.to_string()))
    return gdf.to_crs("EPSG:4326"), label


def _require_types(gdf: gpd.GeoDataFrame, allowed: Sequence[str], what: str, src: Path) -> None:
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing.any():
        raise CoordinateError(
            f"{_offenders(gdf, missing)} of {src} has no geometry; draw or delete it in a GIS"
        )
    _check_types(gdf, ~gdf.geom_type.isin(allowed), f"{what} must be {' or '.join(allowed)}", src)


def _check_types(gdf: gpd.GeoDataFrame, wrong: pd.Series, what: str, src: Path) -> None:
    if wrong.any():
        found = ", ".join(f"{n} {t}" for t, n in gdf.geom_type.value_counts().items())
        which = "" if wrong.all() else f" ({_offenders(gdf, wrong, gdf.geom_type)})"
        raise InputFileError(
            f"{src} holds {found} but {what}{which}; point to the right file or layer, "
            "or convert the features in a GIS"
        )


def _repair(gdf: gpd.GeoDataFrame, on_invalid: OnInvalid, src: Path) -> gpd.GeoDataFrame:
    geoms = np.asarray(gdf.geometry.array)
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return gdf
    reasons = pd.Series(shapely.is_valid_reason(geoms), index=gdf.index)
    listed = _offenders(gdf, pd.Series(invalid, index=gdf.index), reasons)
    if on_invalid == "raise":
        raise CoordinateError(
            f"invalid polygons in {src}: {listed}; repair them in a GIS, or pass "
            "on_invalid='warn' to repair them with shapely.make_valid"
        )
    fixed = shapely.make_valid(geoms, method="structure", keep_collapsed=False)  # polygons only
    gdf[gdf.geometry.name] = gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs)
    level = logging.WARNING if on_invalid == "warn" else logging.DEBUG
    logger.log(level, "repaired invalid polygons in %s with shapely.make_valid: %s", src, listed)
    return gdf


# --- point tables and layers -------------------------------------------------------------


def _load_points(
    src: Path, lon_col: str | None, lat_col: str | None, key: str, layer: str | None
) -> tuple[pd.DataFrame, pd.Series, pd.Series, tuple[str, str] | None]:
    """Attributes with row labels, raw lon and lat, and the table's coordinate columns."""
    if src.suffix.lower() in (*_EXCEL, *_SEPARATORS):
        frame = _load_table(src, layer)
        names = _coordinate_columns(frame.columns, lon_col, lat_col, key, src)
        frame[_ROW] = [f"row {i}" for i in frame.index]
        return frame, frame[names[0]], frame[names[1]], names
    if lon_col is not None or lat_col is not None:
        logger.warning("%s is a vector file: lon_col/lat_col are ignored", src)
    gdf, _ = _layer_lonlat(_load_vector(src, layer), key, src)
    geoms, kinds = gdf.geometry, gdf.geometry.geom_type
    parts = shapely.get_num_geometries(np.asarray(geoms.array))
    ok = (kinds == "Point") | ((kinds == "MultiPoint") & (parts == 1)) | geoms.isna()
    what = "points are needed (a MultiPoint with one point is fine)"
    _check_types(gdf, ~(ok | geoms.is_empty), what, src)
    points = shapely.get_geometry(np.asarray(geoms.array), 0)
    xy = [pd.Series(f(points), index=gdf.index) for f in (shapely.get_x, shapely.get_y)]
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame[_ROW] = [f"feature {i}" for i in frame.index]
    return frame, xy[0], xy[1], None


def _coordinate_columns(
    columns: pd.Index, lon_col: str | None, lat_col: str | None, key: str, src: Path
) -> tuple[str, str]:
    """Longitude and latitude columns: given, or found by common names."""
    lowered = {str(c).lower() for c in columns}
    others = [f"{k}_lon" for k in ("wgs84", "gcj02", "bd09") if k != key and f"{k}_lon" in lowered]
    fix = _SWAP_FIX.replace(" or fix the file", "")
    fix += f" (the file has {_names(others)}: is crs={key!r} right?)" if others else ""
    found = []
    for axis, wanted, plain in (("lon", lon_col, _LON_NAMES), ("lat", lat_col, _LAT_NAMES)):
        own = (f"{key}_lon", f"{key}_lng") if axis == "lon" else (f"{key}_lat",)
        order = (*plain, *own) if key == "wgs84" else (*own, *plain)
        role = "longitude" if axis == "lon" else "latitude"
        found.append(_find_column(columns, wanted, order, role, fix, src))
    if found[0] == found[1]:
        raise ColumnError(f"{src}: column {found[0]!r} cannot be both longitude and latitude")
    logger.debug("%s: coordinates from columns %r, %r", src, *found)
    return found[0], found[1]


def _find_column(
    columns: pd.Index, wanted: str | None, candidates: Sequence[str], role: str, fix: str, src: Path
) -> str:
    """The column ``wanted`` (case-insensitive), else the first of ``candidates`` present."""
    lookup: dict[str, str] = {}
    for column in columns:
        lookup.setdefault(str(column).strip().lower(), str(column))
    for name in [wanted] if wanted is not None else candidates:
        hit = name if name in columns else lookup.get(name.strip().lower())
        if hit is not None:
            return hit
    looked = f"no column {wanted!r}" if wanted else f"no column named {_names(candidates)}"
    available = _names([str(c) for c in columns if c != _ROW])
    raise ColumnError(f"{src} has {looked} for the {role}; its columns are {available}; {fix}")


def _take_ids(frame: pd.DataFrame, id_col: str, src: Path) -> pd.DataFrame:
    """Rename the id column to ``id`` (strings); refuse missing and duplicate ids."""
    col = _find_column(frame.columns, id_col, (), "facility ids", _ID_FIX, src)
    ids = frame[col].map(lambda v: None if pd.isna(v) else str(v).strip() or None)
    if ids.isna().any():
        raise DuplicateIdError(
            f"{_offenders(frame, ids.isna())} of {src} has no id in column {col!r}: every "
            f"facility needs a unique id; fill them in, or {_ID_FIX} (another column)"
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        rows = frame.loc[dup, _ROW].groupby(ids[dup], sort=False).agg(", ".join)
        listed = "; ".join(f"{ident!r} ({where})" for ident, where in rows.items())
        raise DuplicateIdError(
            f"duplicate facility ids in {src}: {listed}; ids must be unique: rename the "
            f"duplicates, or {_ID_FIX} (a column of unique ids)"
        )
    if col != "id" and "id" in frame.columns:
        logger.info("%s: ids come from %r; its column 'id' is kept as 'id_original'", src, col)
        frame = frame.rename(columns={"id": "id_original"})
    frame = frame.rename(columns={col: "id"}).assign(id=ids.astype(str))
    frame[_ROW] = "facility " + ids.map(repr)
    return frame


def _numeric(raw: pd.Series) -> pd.Series:
    """Floats from numbers or text; NaN where missing or not a number."""
    text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
    return pd.to_numeric(text, errors="coerce").astype(float)


def _make_points(
    frame: pd.DataFrame,
    lon_raw: pd.Series,
    lat_raw: pd.Series,
    names: tuple[str, str] | None,
    key: str,
    area: BaseGeometry | None,
) -> gpd.GeoDataFrame:
    """WGS84 points from raw lon/lat, refusing missing, swapped and out-of-range values."""
    lon_name, lat_name = names or ("lon", "lat")
    lon, lat = _numeric(lon_raw), _numeric(lat_raw)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        cells = _pairs(lon_raw, lat_raw, names)
        raise CoordinateError(
            f"{_offenders(frame, bad, cells)}: missing or non-numeric coordinates; give decimal "
            f"degrees (e.g. {lon_name} 109.75, {lat_name} 24.49) or delete the row"
        )
    cells = _pairs(lon, lat, names)
    swapped = (lat.abs() > 90) & (lon.abs() <= 90)
    if area is not None:  # the swapped point is in the study area's box, the point is not
        swapped |= _in_box(lat, lon, area) & ~_in_box(lon, lat, area)
    if swapped.any():
        raise CoordinateError(
            f"{_offenders(frame, swapped, cells)}: longitude and latitude look swapped; {_SWAP_FIX}"
        )
    out = (lon.abs() > 180) | (lat.abs() > 90)
    if out.any():
        raise CoordinateError(
            f"{_offenders(frame, out, cells)}: coordinates out of range (longitude -180..180, "
            "latitude -90..90); give decimal degrees, or use a vector file that states its CRS"
        )
    frame = frame.copy()
    if names is not None:
        frame[lon_name], frame[lat_name] = lon, lat
    if key != "wgs84":
        frame["input_lon"], frame["input_lat"], frame["input_crs"] = lon, lat, key
    wlon, wlat = to_wgs84(lon.to_numpy(), lat.to_numpy(), key)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(wlon, wlat), crs="EPSG:4326")


def _pairs(lon: pd.Series, lat: pd.Series, names: tuple[str, str] | None) -> pd.Series:
    """'lon 24.5, lat 109.9' per row, with the file's column names."""
    lon_name, lat_name = names or ("lon", "lat")
    text = [
        s.map(lambda v: "empty" if pd.isna(v) else repr(v) if isinstance(v, str) else str(v))
        for s in (lon, lat)
    ]
    return f"{lon_name} " + text[0] + f", {lat_name} " + text[1]


def _in_box(lon: pd.Series, lat: pd.Series, area: BaseGeometry) -> pd.Series:
    """Inside the area's bounding box, with 0.05 degrees to spare for GCJ-02/BD-09 shifts."""
    minx, miny, maxx, maxy = area.bounds
    return lon.between(minx - 0.05, maxx + 0.05) & lat.between(miny - 0.05, maxy + 0.05)


# --- study area and messages -------------------------------------------------------------


def _study_geometry(study_area: StudyArea) -> BaseGeometry:
    """One WGS84 geometry from a shapely geometry, GeoSeries or GeoDataFrame."""
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        series = study_area.geometry if isinstance(study_area, gpd.GeoDataFrame) else study_area
        if series.crs is not None and not _is_wgs84(series.crs):
            series = series.to_crs("EPSG:4326")
        study_area = series.union_all()
    if not isinstance(study_area, BaseGeometry) or study_area.is_empty:
        raise GeoError("study_area must be a non-empty shapely geometry, GeoSeries or GeoDataFrame")
    return study_area


def _check_outside(
    gdf: gpd.GeoDataFrame, area: BaseGeometry, outside: Outside, tolerance_m: float
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Apply the ``outside`` policy; distances in metres in the area's UTM zone."""
    metric = utm_crs_for(area.centroid.x, area.centroid.y)
    area_m = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(metric).iloc[0]
    dist = gdf.geometry.to_crs(metric).distance(area_m)
    far = dist > tolerance_m
    if not far.any():
        return gdf, []
    listed = _offenders(gdf, far, dist.map(lambda d: f"{d / 1000:.1f} km outside"))
    if outside == "error":
        raise CoordinateError(
            f"facilities outside the study area (by more than {tolerance_m:g} m): {listed}; "
            "check the coordinate system option (crs = 'gcj02'?), or pass outside='keep' to "
            "keep them, or 'drop' to drop them with a report"
        )
    if outside == "keep":
        logger.warning("keeping facilities outside the study area: %s", listed)
        return gdf, []
    for ident, metres in zip(gdf.loc[far, "id"], dist[far], strict=True):
        logger.warning("dropped facility %r: %.1f km outside the study area", ident, metres / 1e3)
    return gdf.loc[~far], [str(i) for i in gdf.loc[far, "id"]]


def _offenders(frame: pd.DataFrame, mask: pd.Series, details: pd.Series | None = None) -> str:
    """'row 3 (lon 'abc', lat '24.5'), row 7 (...) and 4 more' for the rows in ``mask``."""
    labels = (
        frame[_ROW] if _ROW in frame.columns else "feature " + frame.index.to_series().astype(str)
    )
    items = labels[mask].astype(str)
    if details is not None:
        items = items + " (" + details[mask].astype(str) + ")"
    more = len(items) - _MAX_LISTED
    return ", ".join(items.iloc[:_MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)
