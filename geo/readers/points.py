"""Point tables and layers: facility lists and population points.

Tables (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; Excel) and vector files (anything pyogrio
reads) are checked on entry: each problem raises one :mod:`geo.errors` exception naming the
file, the row or id, and the fix; no bad row disappears silently. Results are in EPSG:4326
with a 0..n-1 index. Rows in messages are spreadsheet rows for tables (header = row 1) and
feature numbers counted from 1 for vector files.

Coordinates may be declared as ``wgs84``, ``gcj02``, ``bd09``, ``cgcs2000`` or any
``EPSG:NNNN`` (:func:`geo.crs.input_system`; projected systems read x/y columns). Shapefile
text is decoded as :mod:`geo.readers.encoding` decides (option, ``.cpg``, else detected UTF-8 or
GB18030). Every result's ``attrs`` hold ``source``, ``input_crs``, ``encoding`` (vector and
CSV inputs) and ``notes``: the lines the outputs must carry about how the file was read
(automatic ids, facility types read from Chinese names, CGCS2000 taken as WGS84, a detected
text encoding).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.crs import InputSystem, input_system, utm_crs_for
from geo.errors import ColumnError, CoordinateError, DuplicateIdError, GeoError
from geo.readers import gauss_kruger
from geo.readers.columns import ROW, find_column, find_optional, numeric, offenders
from geo.readers.coordinates import coordinate_columns, make_points
from geo.readers.facility_types import load_types
from geo.readers.files import (
    EXCEL,
    SEPARATORS,
    VECTOR_FOLDERS,
    PathLike,
    Read,
    check_types,
    existing,
    finish,
    is_wgs84,
)
from geo.readers.layers import layer_lonlat, load_vector
from geo.readers.names import name_key
from geo.readers.tables import load_table

__all__ = ["check_duplicates", "input_notes", "read_facilities", "read_points"]

logger = logging.getLogger(__name__)



StudyArea: TypeAlias = "BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries"


Outside: TypeAlias = Literal["error", "keep", "drop"]


_AUTO_ID = "F"  # automatic ids: F0001, F0002, ... in file order


_ID_FIX = ("set [facilities] id_col (for a seats file [townships] seat_name_col) in the study "
           "file naming the id column")


def read_facilities(
    path: PathLike,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    x_col: str | None = None,
    y_col: str | None = None,
    id_col: str | None = None,
    crs: str = "wgs84",
    layer: str | None = None,
    encoding: str | None = None,
    type_col: str | None = None,
    type_map: Mapping[str, str] | None = None,
    study_area: StudyArea | None = None,
    outside: Outside = "error",
    outside_tolerance_m: float = settings.OUTSIDE_TOLERANCE_M,
) -> gpd.GeoDataFrame:
    """Read a facility list (CSV, Excel or point layer) into WGS84 points.

    Parameters
    ----------
    path : str or os.PathLike
        CSV/TSV, Excel or any vector file pyogrio reads (Point or one-point MultiPoint).
    lon_col, lat_col : str, optional
        Table longitude/latitude columns of a lon/lat ``crs``; by default found by name,
        case-insensitively (lon, lng, long, longitude, x, 经度, wgs84_lon; lat, latitude, y,
        纬度, wgs84_lat), preferring plain names, but ``gcj02_lon``/``gcj02_lat`` for
        ``crs="gcj02"`` (bd09, cgcs2000 alike).
    x_col, y_col : str, optional
        Easting and northing columns (metres) of a projected ``crs``; by default found by
        name (x, easting, east, 东坐标, 横坐标; y, northing, north, 北坐标, 纵坐标). Chinese
        survey tables label the northing X: swapped columns are refused with the fix.
    id_col : str, optional
        Column of unique ids, returned as the string column ``id``. By default the column
        ``id`` if there is one, else automatic ids F0001, F0002, ... in file order (said
        in ``attrs["notes"]``).
    crs : str, default "wgs84"
        System of the input values (also of a vector layer without CRS): ``wgs84``,
        ``gcj02`` (AMap, Tencent), ``bd09`` (Baidu), ``cgcs2000`` (EPSG:4490, taken as WGS84
        to under 1 m) or any ``EPSG:NNNN`` (e.g. ``EPSG:4525``, CGCS2000 3-degree
        Gauss-Krüger zone 37). Inputs not in WGS84 are converted; the values go to
        ``input_lon``/``input_lat`` (or ``input_x``/``input_y``) and ``input_crs``.
    layer : str, optional
        Excel sheet (default the first) or vector layer (required if there are several).
    encoding : str, optional
        Text encoding of a CSV or Shapefile (.dbf): wins over detection and ``.cpg``.
    type_col : str, optional
        Column of facility types to resolve (:mod:`geo.readers.facility_types`): codes, Chinese
        names or aliases become codes in ``type``; the values as written are kept in
        ``type_input`` when any was not a code.
    type_map : mapping, optional
        Local type name -> code, for names the table does not know (with ``type_col``).
    study_area : shapely geometry, GeoSeries or GeoDataFrame, optional
        Area the facilities must lie in; EPSG:4326 unless the frame says otherwise.
    outside : {"error", "keep", "drop"}, default "error"
        Facilities outside it raise, are kept with a warning, or are dropped (each id
        logged at WARNING level).
    outside_tolerance_m : float, default :data:`geo.settings.OUTSIDE_TOLERANCE_M` (1 km)
        Distance outside the boundary that still counts as inside.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326, index 0..n-1, all columns (text as strings; table coordinate
        columns as floats in the input system); ``attrs`` holds ``source``, ``input_crs``,
        ``encoding``, ``notes``, ``dropped_outside`` and ``kept_outside`` (ids), and
        ``columns`` (the file's own columns).

    Raises
    ------
    InputFileError, ColumnError, CoordinateError, DuplicateIdError, FacilityTypeError
        Bad file, column, coordinates, ids or types; the message names the row and the fix.
    """
    system = input_system(crs)
    if outside not in ("error", "keep", "drop"):
        raise GeoError(f"outside must be 'error', 'keep' or 'drop', not {outside!r}")
    area = None if study_area is None else _study_geometry(study_area)
    src = existing(path, "facility", VECTOR_FOLDERS)
    cols = {"lon_col": lon_col, "lat_col": lat_col, "x_col": x_col, "y_col": y_col}
    frame, raw, used, read = _load_points(src, cols, system, layer, encoding)
    columns = [str(c) for c in frame.columns if c != ROW]  # the file's, for messages
    frame, id_note = _take_ids(frame, id_col, src)
    type_note = ""
    if type_col is not None or type_map is not None:
        frame, type_note = _resolve_types(frame, type_col or "type", type_map, src)
    gdf = make_points(frame, raw, used, read.system, area)
    dropped: list[str] = []
    kept: list[str] = []
    if area is not None:
        gdf, dropped, kept = _check_outside(gdf, area, outside, outside_tolerance_m,
                                            read.system)
    logger.info("read %d facilities from %s (%s)", len(gdf), src, read.system.name)
    notes = [id_note, type_note, _degrees(src, gdf), _converted(src, gdf),
             gdf.attrs.get("crs_note", ""), gdf.attrs.get("near_note", ""),
             gdf.attrs.get("outside_note", "")]
    return finish(gdf, src, read.with_notes(notes), dropped_outside=dropped, kept_outside=kept,
                  columns=columns)


def read_points(
    path: PathLike,
    *,
    count_col: str | None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    x_col: str | None = None,
    y_col: str | None = None,
    crs: str = "wgs84",
    layer: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read points with counts (e.g. population) like :func:`read_facilities`, without ids.

    Parameters
    ----------
    path : str or os.PathLike
        Table or point layer.
    count_col : str or None
        Column of counts (numbers >= 0), copied as floats to ``population``; None: points
        without counts (e.g. landslides, :mod:`geo.planning.hazard`), all columns kept.
    lon_col, lat_col, x_col, y_col, crs, layer, encoding
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
    system = input_system(crs)
    src = existing(path, "point", VECTOR_FOLDERS)
    cols = {"lon_col": lon_col, "lat_col": lat_col, "x_col": x_col, "y_col": y_col}
    frame, raw, used, read = _load_points(src, cols, system, layer, encoding)
    if count_col is None:
        gdf = make_points(frame, raw, used, read.system, None)
        return finish(gdf, src, read.with_notes([_degrees(src, gdf), _converted(src, gdf),
                                                 gdf.attrs.get("crs_note", "")]))
    col = find_column(frame.columns, count_col, (), "counts",
                      "set [population] count_col in the study file naming it", src)
    if col != "population" and "population" in frame.columns:
        raise ColumnError(
            f"{src} already has a 'population' column but count_col={count_col!r}; "
            "set [population] count_col = 'population' or rename one of the columns"
        )
    counts = numeric(frame[col])
    bad = ~np.isfinite(counts) | (counts < 0)
    if bad.any():
        raise ColumnError(
            f"{offenders(frame, bad, frame[col].map(repr))}: counts in column {col!r} must be "
            "numbers >= 0; fix those rows, or set [population] count_col naming the right column"
        )
    frame["population"] = counts
    gdf = make_points(frame, raw, used, read.system, None)
    logger.info("read %d points (total %.0f) from %s", len(gdf), counts.sum(), src)
    return finish(gdf, src, read.with_notes([_degrees(src, gdf), _converted(src, gdf),
                                             gdf.attrs.get("crs_note", "")]))


def _load_points(
    src: Path, cols: dict[str, str | None], system: InputSystem, layer: str | None,
    encoding: str | None,
) -> tuple[pd.DataFrame, tuple[pd.Series, pd.Series], tuple[str, str] | None, Read]:
    """Read the attributes with row labels, the raw coordinates and the table's coordinate columns.

    Also return how the file was read (the system of the raw values).
    """
    if src.suffix.lower() in (*EXCEL, *SEPARATORS):
        frame, enc = load_table(src, layer, encoding)
        used = coordinate_columns(frame.columns, system, cols, src)
        frame[ROW] = [f"row {i}" for i in frame.index]
        read = Read(system, system.name, enc).with_notes(frame.attrs.get("notes", []))
        return frame, (frame[used[0]], frame[used[1]]), used, read
    if any(cols.values()):
        logger.warning("%s is a vector file: coordinate column options are ignored", src)
    gdf, enc = load_vector(src, layer, encoding)
    gdf, read = layer_lonlat(gdf, system.name, src)
    geoms, kinds = gdf.geometry, gdf.geometry.geom_type
    parts = shapely.get_num_geometries(np.asarray(geoms.array))
    ok = (kinds == "Point") | ((kinds == "MultiPoint") & (parts == 1)) | geoms.isna()
    what = "points are needed (a MultiPoint with one point is fine)"
    check_types(gdf, ~(ok | geoms.is_empty), what, src)
    points = shapely.get_geometry(np.asarray(geoms.array), 0)
    xy = [pd.Series(f(points), index=gdf.index) for f in (shapely.get_x, shapely.get_y)]
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame[ROW] = [f"feature {i}" for i in frame.index]
    return frame, (xy[0], xy[1]), None, replace(read, encoding=enc)


def _take_ids(frame: pd.DataFrame, id_col: str | None, src: Path) -> tuple[pd.DataFrame, str]:
    """Rename the id column to ``id`` (strings); refuse missing and duplicate ids.

    Without ``id_col`` and a column ``id``: automatic ids F0001... in file order, and a note.
    """
    col = find_optional(frame.columns, id_col, ("id",))
    if col is not None and id_col is None and frame[col].map(
            lambda v: pd.isna(v) or not str(v).strip()).all():
        col = None  # an empty 'id' column, as KML layers (奥维, Google Earth) carry: no ids
    if col is None and id_col is None:
        width = max(4, len(str(len(frame))))
        auto = [f"{_AUTO_ID}{i:0{width}d}" for i in range(1, len(frame) + 1)]
        note = (f"{src.name} has no id column: its {len(frame)} facilities are numbered "
                f"{auto[0]}–{auto[-1]} in file order (give id_col to use ids of your own)")
        logger.info(note)
        return frame.assign(id=auto), note
    if col is None:
        col = find_column(frame.columns, id_col, (), "facility ids", _ID_FIX, src)
    ids = frame[col].map(lambda v: None if pd.isna(v) else str(v).strip() or None)
    if ids.isna().any():
        raise DuplicateIdError(
            f"{offenders(frame, ids.isna())} of {src} has no id in column {col!r}: every "
            f"facility needs a unique id; fill them in, or {_ID_FIX} (another column)"
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        rows = frame.loc[dup, ROW].groupby(ids[dup], sort=False).agg(", ".join)
        listed = "; ".join(f"{ident!r} ({where})" for ident, where in rows.items())
        raise DuplicateIdError(
            f"duplicate facility ids in {src}: {listed}; ids must be unique: rename the "
            f"duplicates, or {_ID_FIX} (a column of unique ids)"
        )
    if col != "id" and "id" in frame.columns:
        logger.info("%s: ids come from %r; its column 'id' is kept as 'id_original'", src, col)
        frame = frame.rename(columns={"id": "id_original"})
    frame = frame.rename(columns={col: "id"}).assign(id=ids.astype(str))
    frame[ROW] = "facility " + ids.map(repr)
    return frame, ""


def _resolve_types(
    frame: pd.DataFrame, type_col: str, type_map: Mapping[str, str] | None, src: Path
) -> tuple[pd.DataFrame, str]:
    """Return facility types as codes in ``type`` (:mod:`geo.readers.facility_types`)."""
    col = find_column(frame.columns, type_col, (), "facility types",
                      "set [facilities] type_col in the study file naming the column of "
                      "facility types", src)
    found = load_types().resolve(frame[col].tolist(), type_map=type_map,
                                 rows=frame[ROW].tolist(), what=f"{src} column {col!r}")
    frame = frame.copy()
    if col != "type" and "type" in frame.columns:
        frame = frame.rename(columns={"type": "type_original"})
    if found.translated:
        frame["type_input"] = frame[col]
    frame["type"] = found.codes
    return frame, found.note


def _degrees(src: Path, gdf: gpd.GeoDataFrame) -> str:
    note = str(gdf.attrs.get("degree_note", ""))
    return f"{src.name}: {note}" if note else ""


def check_duplicates(fac: gpd.GeoDataFrame, policy: str = "error") -> str:
    """Facility rows that look like one facility listed twice.

    The same name (compared ignoring spaces and full-width forms) within
    :data:`settings.DUPLICATE_NAME_M`, or the same ``type`` within
    :data:`settings.DUPLICATE_POSITION_M`.

    ``fac`` needs ``id``, ``name`` and ``type`` (as :func:`read_facilities` and the study
    give them). ``policy`` ``"error"`` raises naming each pair; ``"keep"`` returns the
    line the outputs carry about them ('' when there are none).

    Raises
    ------
    DuplicateIdError
        With ``policy="error"``, when there are such rows.
    """
    if len(fac) < 2:
        return ""
    pts = fac.geometry
    centre = pts.union_all().centroid
    xy = pts.to_crs(utm_crs_for(centre.x, centre.y))
    geoms = np.asarray(xy.array)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=settings.DUPLICATE_NAME_M)
    keep = left < right
    left, right = left[keep], right[keep]
    metres = shapely.distance(geoms[left], geoms[right])
    names = fac["name"].map(name_key).to_numpy(dtype=object)
    types = fac["type"].astype(str).to_numpy(dtype=object)
    ids = fac["id"].astype(str).to_numpy(dtype=object)
    same_name = (names[left] == names[right]) & (names[left] != "")
    same_place = (types[left] == types[right]) & (metres <= settings.DUPLICATE_POSITION_M)
    hit = same_name | same_place
    if not hit.any():
        return ""
    label = fac["name"].astype(str).to_numpy(dtype=object)
    pairs = [f"{ids[a]!r} and {ids[b]!r} ({label[a]}, "
             + (f"the same name {d:,.0f} m apart" if n else f"the same type {types[a]} at "
                f"the same position, {d:.1f} m apart") + ")"
             for a, b, d, n in zip(left[hit], right[hit], metres[hit], same_name[hit],
                                   strict=True)]
    listed = "; ".join(pairs[:10]) + (f"; and {len(pairs) - 10} more" if len(pairs) > 10 else "")
    src = Path(str(fac.attrs.get("source", "the facility file"))).name
    if policy == "error":
        raise DuplicateIdError(
            f"facilities that look listed twice in {src}: {listed}. Each would be counted "
            "twice (coverage, beds per 1,000, facilities per 10,000): delete the repeated "
            "rows, or, if they are different facilities, set [facilities] duplicates = "
            "\"keep\" in the study file (stated in the outputs)")
    return (f"{len(pairs)} pairs of facilities of {src} that look listed twice are counted "
            f"as different facilities ([facilities] duplicates = \"keep\"): {listed}")


def _converted(src: Path, gdf: gpd.GeoDataFrame) -> str:
    note = str(gdf.attrs.get("conversion_note", ""))
    return f"{src.name}: {note}" if note else ""


def input_notes(*frames: pd.DataFrame) -> list[str]:
    """Return the ``attrs["notes"]`` of frames from these readers, each once, in order.

    The lines the outputs must carry about how the inputs were read.
    """
    notes = [str(n) for f in frames for n in f.attrs.get("notes", []) if n]
    return list(dict.fromkeys(notes))


def _study_geometry(study_area: StudyArea) -> BaseGeometry:
    """Return one WGS84 geometry from a shapely geometry, GeoSeries or GeoDataFrame."""
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        series = study_area.geometry if isinstance(study_area, gpd.GeoDataFrame) else study_area
        if series.crs is not None and not is_wgs84(series.crs):
            series = series.to_crs("EPSG:4326")
        study_area = series.union_all()
    if not isinstance(study_area, BaseGeometry) or study_area.is_empty:
        raise GeoError("study_area must be a non-empty shapely geometry, GeoSeries or GeoDataFrame")
    return study_area


def _crs_hint(gdf: gpd.GeoDataFrame, far: pd.Series, area: BaseGeometry,
              system: InputSystem) -> str:
    """Find, for Gauss-Krüger tables, the system of the same family that puts the points inside."""
    zone = gauss_kruger.gk_zone(system.crs) if system.crs is not None else None
    if zone is None or "input_x" not in gdf.columns:
        return "check the coordinate system option (crs = 'gcj02'?), or "
    fit = gauss_kruger.suggest_for_area(gdf.loc[far, "input_x"].to_numpy(float),
                                        gdf.loc[far, "input_y"].to_numpy(float), zone,
                                        area.bounds)
    if fit is None:
        return "check the crs option and the x/y columns, or "
    return f"in {fit} they would lie inside: is crs = '{fit.epsg}' right? Else "


def _check_outside(
    gdf: gpd.GeoDataFrame, area: BaseGeometry, outside: Outside, tolerance_m: float,
    system: InputSystem,
) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """Apply the ``outside`` policy.

    The facilities kept, the ids dropped and the ids kept although outside; distances in metres in
    the area's UTM zone.
    """
    metric = utm_crs_for(area.centroid.x, area.centroid.y)
    area_m = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(metric).iloc[0]
    dist = gdf.geometry.to_crs(metric).distance(area_m)
    far = dist > tolerance_m
    near = (dist > 0) & ~far
    if near.any():  # inside by the tolerance: said, as every other choice the reader makes
        gdf.attrs["near_note"] = (
            f"{int(near.sum())} facilities lie outside the study-area boundary by at most "
            f"{tolerance_m:g} m and count as inside it (boundaries are drawn to tens of "
            f"metres): {offenders(gdf, near, dist.map(lambda d: f'{d:,.0f} m outside'))}")
    if not far.any():
        return gdf, [], []
    listed = offenders(gdf, far, dist.map(lambda d: f"{d / 1000:.1f} km outside"))
    if outside == "error":
        raise CoordinateError(
            f"facilities outside the study area (by more than {tolerance_m:g} m): {listed}; "
            f"{_crs_hint(gdf, far, area, system)}set [facilities] outside = 'keep' in the study "
            "file to keep them, or 'drop' to drop them with a report"
        )
    if outside == "keep":
        logger.info("keeping facilities outside the study area: %s", listed)  # stated:
        n = int(far.sum())
        gdf.attrs["outside_note"] = (
            f"{n} {'facility' if n == 1 else 'facilities'} outside the study area "
            f"{'is' if n == 1 else 'are'} counted ([facilities] outside = 'keep'): {listed}")
        return gdf, [], [str(i) for i in gdf.loc[far, "id"]]
    for ident, metres in zip(gdf.loc[far, "id"], dist[far], strict=True):
        logger.warning("dropped facility %r: %.1f km outside the study area", ident, metres / 1e3)
    return gdf.loc[~far], [str(i) for i in gdf.loc[far, "id"]], []

