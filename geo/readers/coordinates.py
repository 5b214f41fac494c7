"""Coordinate columns of point tables: found, checked and converted to WGS84 points.

Lon/lat systems (wgs84, gcj02, bd09, cgcs2000, geographic EPSG codes) read longitude and
latitude columns; projected EPSG systems (Gauss-Krüger, UTM) read x (easting) and y
(northing) columns in metres. Missing, swapped and implausible values stop the read with
the rows named and the fix (:mod:`geo.readers.gauss_kruger` for zone prefixes).
"""

from __future__ import annotations

import logging
import re
import unicodedata

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.crs import InputSystem, system_to_wgs84
from geo.errors import ColumnError, CoordinateError
from geo.readers import gauss_kruger
from geo.readers.columns import find_column, find_optional, names, numeric, offenders

__all__ = ["conversion_note", "coordinate_columns", "header_system", "make_points"]

logger = logging.getLogger(__name__)

_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT_NAMES = ("lat", "latitude", "y", "纬度")
# 横坐标 is the easting and 纵坐标 the northing in either convention; "X坐标"/"Y坐标" follow
# GIS (x east) here, and a survey table's swapped columns are found from their values
_X_NAMES = ("x", "easting", "east", "东坐标", "横坐标", "x坐标")
_Y_NAMES = ("y", "northing", "north", "北坐标", "纵坐标", "y坐标")
_OWN = ("wgs84", "gcj02", "bd09", "cgcs2000")
_SWAP_FIX = ("name the coordinate columns in the study file ([facilities] lon_col/lat_col, "
             "[townships] seat_lon_col/seat_lat_col, [population] lon_col/lat_col) or fix "
             "the file")
_AREA_MARGIN = 1.0  # degrees beyond a CRS's area of use still accepted
#: words in a lon/lat header that name its system ('经度（GCJ-02）', '百度经度', 'lng_wgs84')
_SYSTEM_WORDS = (("gcj02", re.compile(r"gcj|高德|腾讯|火星")),
                 ("bd09", re.compile(r"bd-?09|百度|baidu|^bd|bd$")),
                 ("wgs84", re.compile(r"wgs|gps")))


def header_system(column: str) -> str | None:
    """Return the one system a lon/lat header names, if it names exactly one."""
    text = str(column).lower().replace("_", "").replace(" ", "")
    named = {key for key, words in _SYSTEM_WORDS if words.search(text)}
    return named.pop() if len(named) == 1 else None


def coordinate_columns(
    columns: pd.Index, system: InputSystem, cols: dict[str, str | None], src: object
) -> tuple[str, str]:
    """Return the (longitude, latitude) or (x, y) columns: given in ``cols``, or found by name."""
    if system.projected:
        return _xy_columns(columns, system, cols, src)
    if cols.get("x_col") or cols.get("y_col"):
        raise ColumnError(
            f"crs {system.label} is longitude/latitude: name its columns with lon_col/lat_col; "
            "x_col/y_col are for projected x/y metres (e.g. crs = 'EPSG:4525')"
        )
    key = system.name
    lowered = {str(c).lower() for c in columns}
    others = [f"{k}_lon" for k in _OWN if k != key and f"{k}_lon" in lowered]
    fix = _SWAP_FIX.replace(" or fix the file", "")
    fix += f" (the file has {names(others)}: is crs={key!r} right?)" if others else ""
    found = []
    for axis, wanted, plain in (("lon", cols.get("lon_col"), _LON_NAMES),
                                ("lat", cols.get("lat_col"), _LAT_NAMES)):
        own = (f"{key}_lon", f"{key}_lng") if axis == "lon" else (f"{key}_lat",)
        # a header naming the declared GCJ-02/BD-09 ('经度（百度）') before a plain '经度'
        labelled = tuple(str(c) for c in columns if key in ("gcj02", "bd09")
                      and header_system(str(c)) == key
                      and find_optional(pd.Index([c]), None, plain) is not None)
        order = (*plain, *own) if key == "wgs84" else (*labelled, *own, *plain)
        role = "longitude" if axis == "lon" else "latitude"
        found.append(find_column(columns, wanted, order, role, fix, src))
    if found[0] == found[1]:
        raise ColumnError(f"{src}: column {found[0]!r} cannot be both longitude and latitude")
    # cgcs2000 and lon/lat EPSG codes (4490, 4326, ...) are WGS84 to within a metre
    declared = key if key in ("gcj02", "bd09") else "wgs84"
    for col, given in zip(found, (cols.get("lon_col"), cols.get("lat_col")), strict=True):
        named = header_system(col)
        # a column the study names itself is taken as declared (a header can be wrong:
        # phone "GPS" apps that store GCJ-02); one found by its name must agree
        if given is None and named is not None and named != declared:
            raise CoordinateError(
                f"{src}: column {col!r} names its coordinates {named}, but they are declared "
                f"{key}: set crs = {named!r} for this file ([facilities] crs, [townships] "
                "seat_crs, [population] crs), or name other columns with lon_col/lat_col")
    logger.debug("%s: coordinates from columns %r, %r", src, *found)
    return found[0], found[1]


def _xy_columns(
    columns: pd.Index, system: InputSystem, cols: dict[str, str | None], src: object
) -> tuple[str, str]:
    if cols.get("lon_col") or cols.get("lat_col"):
        raise ColumnError(
            f"crs {system.label} is projected (x/y in metres): name its columns with "
            "x_col (easting) and y_col (northing), not lon_col/lat_col"
        )
    fix = ("name the easting and northing columns in the study file ([facilities] "
           "x_col/y_col, [townships] seat_x_col/seat_y_col, [population] x_col/y_col)")
    x = find_column(columns, cols.get("x_col"), _X_NAMES, "x (easting)", fix, src)
    y = find_column(columns, cols.get("y_col"), _Y_NAMES, "y (northing)", fix, src)
    if x == y:
        raise ColumnError(f"{src}: column {x!r} cannot be both x and y")
    return x, y


# degree text: 109°30′12″E, 东经109度30分12秒, N24°28.5′, 109.86527°, １０９．８６ (full width)
_MARKS = str.maketrans({"º": "°", "˚": "°", "度": "°", "′": "'", "’": "'", "‘": "'",
                        "´": "'", "分": "'", "″": '"', "“": '"', "”": '"', "秒": '"'})
_HEMISPHERES = {"e": ("lon", 1), "w": ("lon", -1), "n": ("lat", 1), "s": ("lat", -1),
                "东经": ("lon", 1), "西经": ("lon", -1), "北纬": ("lat", 1),
                "南纬": ("lat", -1), "东": ("lon", 1), "西": ("lon", -1), "北": ("lat", 1),
                "南": ("lat", -1)}
_HEMI = "东经|西经|北纬|南纬|[东西南北]|[ewns]"
_DEGREE_TEXT = re.compile(
    rf"^(?P<pre>{_HEMI})?\s*(?P<sign>[-+])?\s*(?P<deg>\d+(?:\.\d+)?)\s*(?P<mark>°)?\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*'\s*(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:\"|'')\s*)?)?"
    rf"(?P<post>{_HEMI})?$")


def _degree_value(text: str, axis: str) -> float | None:
    """Read decimal degrees from degree text.

    Degrees-minutes-seconds, degrees and decimal minutes, or decimal degrees with a degree
    sign; a hemisphere letter or word before or after. None when it is not such text or the
    hemisphere is the other axis's.
    """
    flat = unicodedata.normalize("NFKC", text).translate(_MARKS).strip().lower()
    flat = flat.replace("′′", '"').replace("''", '"')
    m = _DEGREE_TEXT.match(flat)
    if m is None:
        return None
    hemis = [h for h in (m["pre"], m["post"]) if h]
    if len(hemis) > 1 or (hemis and m["sign"]) or (m["min"] and not m["mark"]) or not (
            m["mark"] or hemis):  # 109.8E, 东经109.8: a hemisphere stands for the sign
        return None
    sign = -1.0 if m["sign"] == "-" else 1.0
    if hemis:
        which, factor = _HEMISPHERES[hemis[0]]
        if which != axis:
            return None
        sign = float(factor)
    minutes = float(m["min"]) if m["min"] else 0.0
    seconds = float(m["sec"]) if m["sec"] else 0.0
    if minutes >= 60 or seconds >= 60 or (m["sec"] and "." in (m["min"] or "")):
        return None
    return sign * (float(m["deg"]) + minutes / 60.0 + seconds / 3600.0)


def degree_numbers(raw: pd.Series, axis: str) -> tuple[pd.Series, pd.Series]:
    """Numbers from a coordinate column.

    Numbers as they are, and text in degrees (109°30′12″, 东经109度30分12秒, 24°28.5′N, 109.86527°,
    full-width digits) as decimal degrees; NaN where neither. Also which rows were read from such
    text.
    """
    values = numeric(raw)
    text = raw.map(lambda v: isinstance(v, str))
    todo = values.isna() & text
    read = pd.Series(False, index=raw.index)
    for i in raw.index[todo]:
        plain = unicodedata.normalize("NFKC", str(raw[i])).strip()
        number = pd.to_numeric(plain, errors="coerce")
        got = float(number) if pd.notna(number) else _degree_value(str(raw[i]), axis)
        if got is not None:
            values[i] = got
            read[i] = True
    return values, read


def pairs(a: pd.Series, b: pd.Series, cols: tuple[str, str] | None) -> pd.Series:
    """Return 'lon 24.5, lat 109.9' per row, with the file's column names."""
    a_name, b_name = cols or ("lon", "lat")
    text = [
        s.map(lambda v: "empty" if pd.isna(v) else repr(v) if isinstance(v, str) else str(v))
        for s in (a, b)
    ]
    return f"{a_name} " + text[0] + f", {b_name} " + text[1]


def _in_box(lon: pd.Series, lat: pd.Series, area: BaseGeometry) -> pd.Series:
    """Mark the points inside the area's bounding box (0.05 degrees to spare for GCJ-02/BD-09)."""
    minx, miny, maxx, maxy = area.bounds
    return lon.between(minx - 0.05, maxx + 0.05) & lat.between(miny - 0.05, maxy + 0.05)


def make_points(
    frame: pd.DataFrame,
    raw: tuple[pd.Series, pd.Series],
    cols: tuple[str, str] | None,
    system: InputSystem,
    area: BaseGeometry | None,
) -> gpd.GeoDataFrame:
    """Return WGS84 points from raw coordinates, refusing missing, swapped and implausible values.

    ``attrs["crs_note"]`` of the result says what the conversion rests on ('' if nothing),
    ``attrs["conversion_note"]`` what the conversion did ('' for WGS84 input).
    """
    if system.projected:
        a, b = numeric(raw[0]), numeric(raw[1])
        as_text = pd.Series(False, index=frame.index)
    else:
        (a, text_a), (b, text_b) = degree_numbers(raw[0], "lon"), degree_numbers(raw[1], "lat")
        as_text = text_a | text_b
    bad = ~(np.isfinite(a) & np.isfinite(b))
    if bad.any():
        a_name, b_name = cols or ("lon", "lat")
        if not system.projected:
            _swapped_hemispheres(frame, raw, bad, cols)
        example = (f"{a_name} 37512345.6, {b_name} 2710234.5 in metres" if system.projected
                   else f"{a_name} 109.75, {b_name} 24.49 in decimal degrees, or degrees, "
                   "minutes and seconds such as 109°45′00″E, 24°29′24″N")
        raise CoordinateError(
            f"{offenders(frame, bad, pairs(raw[0], raw[1], cols))}: missing or non-numeric "
            f"coordinates; give numbers (e.g. {example}) or delete the row"
        )
    if system.projected:
        _check_projected(frame, a, b, cols, system)
    else:
        _check_lonlat(frame, a, b, cols, area)
    frame = frame.copy()
    if cols is not None:
        frame[cols[0]], frame[cols[1]] = a, b
    if system.name != "wgs84":
        axes = ("input_x", "input_y") if system.projected else ("input_lon", "input_lat")
        frame[axes[0]], frame[axes[1]], frame["input_crs"] = a, b, system.name
    lon, lat, note = system_to_wgs84(a.to_numpy(), b.to_numpy(), system)
    if system.projected:  # lon/lat systems: the range checks above
        _check_area_of_use(frame, pd.Series(lon, index=frame.index),
                           pd.Series(lat, index=frame.index), cols, system, raw)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    gdf.attrs["crs_note"] = note
    gdf.attrs["conversion_note"] = conversion_note(system, a.to_numpy(), b.to_numpy(), lon, lat)
    gdf.attrs["degree_note"] = _degree_note(frame, raw, cols, as_text, a, b)
    return gdf


def _swapped_hemispheres(frame: pd.DataFrame, raw: tuple[pd.Series, pd.Series],
                         bad: pd.Series, cols: tuple[str, str] | None) -> None:
    """Stop naming the rows whose degree text reads only with the columns swapped.

    E.g. a latitude written 24°25′N in the longitude column, the longitude in the latitude
    one.

    Raises
    ------
    CoordinateError
        Such rows exist.
    """
    swapped = pd.Series([
        bool(b) and isinstance(x, str) and isinstance(y, str)
        and _degree_value(x, "lat") is not None and _degree_value(y, "lon") is not None
        for x, y, b in zip(raw[0], raw[1], bad, strict=True)], index=frame.index)
    if swapped.any():
        a_name, b_name = cols or ("lon", "lat")
        raise CoordinateError(
            f"{offenders(frame, swapped, pairs(raw[0], raw[1], cols))}: the {a_name} column "
            f"holds a latitude (N/S, 北纬) and the {b_name} column a longitude (E/W, 东经): "
            f"swap the two values (or the column names {a_name} and {b_name})")


def _degree_note(frame: pd.DataFrame, raw: tuple[pd.Series, pd.Series],
                 cols: tuple[str, str] | None, as_text: pd.Series, a: pd.Series,
                 b: pd.Series) -> str:
    """Which rows' coordinates were read from degree text, with what was read, or ''."""
    if not as_text.any():
        return ""
    a_name, b_name = cols or ("lon", "lat")
    read = (raw[0].map(repr) + " → " + a.map(lambda v: f"{v:.6f}") + ", "
            + raw[1].map(repr) + " → " + b.map(lambda v: f"{v:.6f}"))
    n = int(as_text.sum())
    return (f"{n} {'position' if n == 1 else 'positions'} written in degrees (degrees, "
            f"minutes, seconds; full-width digits) in {a_name}/{b_name} read as decimal "
            f"degrees: {offenders(frame, as_text, read)}")


def _check_lonlat(
    frame: pd.DataFrame, lon: pd.Series, lat: pd.Series, cols: tuple[str, str] | None,
    area: BaseGeometry | None,
) -> None:
    cells = pairs(lon, lat, cols)
    swapped = (lat.abs() > 90) & (lon.abs() <= 90)
    if area is not None:  # the swapped point is in the study area's box, the point is not
        swapped |= _in_box(lat, lon, area) & ~_in_box(lon, lat, area)
    if swapped.any():
        raise CoordinateError(
            f"{offenders(frame, swapped, cells)}: longitude and latitude look swapped; {_SWAP_FIX}"
        )
    out = (lon.abs() > 180) | (lat.abs() > 90)
    if out.any():
        hint = gauss_kruger.suggest_for_values(lon[out].to_numpy(), lat[out].to_numpy())
        raise CoordinateError(
            f"{offenders(frame, out, cells)}: coordinates out of range (longitude -180..180, "
            "latitude -90..90); give decimal degrees, or use a vector file that states its CRS"
            + (f"; {hint}" if hint else "")
        )


def _check_projected(
    frame: pd.DataFrame, x: pd.Series, y: pd.Series, cols: tuple[str, str] | None,
    system: InputSystem,
) -> None:
    """Check x/y in Gauss-Krüger systems.

    Zone prefixes, swaps, ranges (:mod:`geo.readers.gauss_kruger`).
    """
    assert system.crs is not None
    zone = gauss_kruger.gk_zone(system.crs)
    if zone is None:
        return  # other projected systems: the area-of-use check after converting
    found = gauss_kruger.problems(x.to_numpy(), y.to_numpy(), zone)
    if not found:
        return
    x_name, y_name = cols or ("x", "y")
    cells = pairs(x, y, cols)
    parts = []
    for problem in found:
        rows = pd.Series(problem.rows, index=frame.index)
        text = f"{offenders(frame, rows, cells)}: {problem.text}"
        if problem.swapped:
            text += (f"; set x_col = {y_name!r} and y_col = {x_name!r} in the study file "
                     "([facilities]; [townships] seat_x_col/seat_y_col for seats)")
        parts.append(text)
    raise CoordinateError(
        f"coordinates that do not fit crs {system.label}: " + "; ".join(parts)
    )


def _check_area_of_use(
    frame: pd.DataFrame, lon: pd.Series, lat: pd.Series, cols: tuple[str, str] | None,
    system: InputSystem, raw: tuple[pd.Series, pd.Series],
) -> None:
    """Check that points from x/y are finite and near the area where the projected CRS is used."""
    assert system.crs is not None
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    use = system.crs.area_of_use
    if use is not None:
        w, s, e, n = use.bounds
        m = _AREA_MARGIN
        bad |= ~(lon.between(w - m, e + m) & lat.between(s - m, n + m))
    if bad.any():
        where = "" if use is None else f" (longitude {use.west:g}..{use.east:g}, latitude " \
                                       f"{use.south:g}..{use.north:g}: {use.name})"
        raise CoordinateError(
            f"{offenders(frame, bad, pairs(raw[0], raw[1], cols))}: these coordinates do not "
            f"lie where {system.label} is used{where}; check the crs option and the "
            "coordinate columns"
        )


_SHIFTED = {"gcj02": "GCJ-02 (AMap, Tencent)", "bd09": "BD-09 (Baidu)"}


def conversion_note(system: InputSystem, a: npt.ArrayLike, b: npt.ArrayLike,
                    lon: npt.ArrayLike, lat: npt.ArrayLike) -> str:
    """Describe what converting ``len(a)`` positions from ``system`` to WGS84 did.

    The note is for the outputs ('' for WGS84): for GCJ-02/BD-09 how far the positions moved.
    """
    n = len(np.asarray(a))
    if system.name in ("wgs84", "cgcs2000") or n == 0:  # cgcs2000: CGCS2000_NOTE says it
        return ""
    if system.name in _SHIFTED:
        moved = _metres(np.asarray(a, float), np.asarray(b, float), np.asarray(lon, float),
                        np.asarray(lat, float))
        return (f"{n} positions converted from {_SHIFTED[system.name]} to WGS84 (moved "
                f"{moved.min():,.0f}–{moved.max():,.0f} m, median {np.median(moved):,.0f} m)")
    what = "x/y" if system.projected else "lon/lat"
    return f"{n} positions converted from {system.label} {what} to WGS84 lon/lat"


def _metres(lon0: npt.NDArray[np.float64], lat0: npt.NDArray[np.float64],
            lon1: npt.NDArray[np.float64], lat1: npt.NDArray[np.float64]
            ) -> npt.NDArray[np.float64]:
    """Return the great-circle metres between two sets of lon/lat points (haversine)."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    h = (np.sin((p1 - p0) / 2) ** 2
         + np.cos(p0) * np.cos(p1) * np.sin(np.radians(lon1 - lon0) / 2) ** 2)
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
