"""Vector layers (anything pyogrio reads): boundaries and roads in EPSG:4326, Shapefile text
decoded as :mod:`geo.readers.encoding` decides, Gauss-Krüger layers checked against their zone,
invalid polygons repaired or refused.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
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

from geo.crs import InputSystem, input_system, system_to_wgs84, to_wgs84
from geo.errors import CoordinateError, GeoError, InputFileError
from geo.readers import gauss_kruger
from geo.readers.columns import find_column, names, offenders
from geo.readers.encoding import TextEncoding, shapefile_encoding
from geo.readers.files import (
    VECTOR_FOLDERS,
    PathLike,
    Read,
    existing,
    file_system,
    finish,
    is_wgs84,
    require_types,
)
from geo.readers.names import display_name

__all__ = ["read_boundaries", "read_roads"]

logger = logging.getLogger(__name__)



OnInvalid: TypeAlias = Literal["raise", "warn", "ignore"]


def load_layer(
    src: Path, layer: str | None, kinds: Sequence[str], what: str, crs: str | None,
    encoding: str | None,
) -> tuple[gpd.GeoDataFrame, Read]:
    """A vector layer of geometry types ``kinds`` in WGS84 (GCJ-02/BD-09 vertices converted)."""
    gdf, enc = load_vector(src, layer, encoding)
    require_types(gdf, kinds, what, src)
    gdf, read = layer_lonlat(gdf, crs, src)
    key = read.system.key
    if key in ("gcj02", "bd09"):

        def convert(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], key))

        geoms = shapely.transform(np.asarray(gdf.geometry.array), convert)
        gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326")
        logger.info("%s: converted every vertex from %s to WGS84", src, key)
        label = "GCJ-02 (AMap, Tencent)" if key == "gcj02" else "BD-09 (Baidu)"
        read = read.with_notes([f"{src.name}: every vertex of its {len(gdf)} {what} converted "
                                f"from {label} to WGS84"])
    return gdf, replace(read, encoding=enc)


def load_vector(
    src: Path, layer: str | None, encoding: str | None
) -> tuple[gpd.GeoDataFrame, TextEncoding | None]:
    """A vector layer; the index holds feature numbers counted from 1."""
    enc = shapefile_encoding(src, encoding)
    try:
        layers = [str(name) for name in pyogrio.list_layers(src)[:, 0]]
        if (layer is None and len(layers) > 1) or (layer is not None and layer not in layers):
            raise InputFileError(
                f"{src} has layers {names(layers)}: name one in the study file ([area] layer, "
                "[facilities] layer, [townships] layer or [roads] layer, as fits the file)"
                + ("" if layer is None else f" (there is no layer {layer!r})")
            )
        options = {} if enc is None else {"encoding": enc.codec}
        gdf = gpd.read_file(src, layer=layer, engine="pyogrio", **options)
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
    return gdf, enc


def layer_lonlat(
    gdf: gpd.GeoDataFrame, crs: str | None, src: Path
) -> tuple[gpd.GeoDataFrame, Read]:
    """The layer in EPSG:4326 lon/lat and the system of its values (maybe still GCJ-02)."""
    system = None if crs is None else input_system(crs)
    if gdf.crs is None:
        if system is None:
            raise CoordinateError(
                f"{src} has no coordinate system (no .prj file or CRS in it): say what it is "
                "in the study file ([area] crs, [townships] crs or [roads] crs, whichever "
                "names this file): 'wgs84', 'gcj02'/'bd09' for AMap/Baidu data, 'cgcs2000', or "
                "an EPSG code such as 'EPSG:4525'"
            )
        gdf = gdf.set_crs(system.crs or "EPSG:4326")
    file_crs = CRS.from_user_input(gdf.crs)
    if system is not None and (
        (system.key in ("gcj02", "bd09") and not file_crs.is_geographic)
        or (system.crs is not None and not system.crs.equals(file_crs, ignore_axis_order=True))
    ):
        raise CoordinateError(
            f"{src} says its coordinate system is {file_crs.name} but crs={crs!r} was given; "
            "drop the crs option, or fix the file's coordinate system"
        )
    shifted = system is not None and system.key in ("gcj02", "bd09")
    left = system if shifted and system is not None else InputSystem("wgs84")  # GCJ-02/BD-09
    if is_wgs84(file_crs):  # numbers stay as they are, to be converted by the caller
        return gdf.to_crs("EPSG:4326"), Read(left, left.name)
    values = file_system(file_crs)
    zone = gauss_kruger.gk_zone(file_crs) if file_crs.is_projected else None
    if zone is not None:
        check_layer_zone(gdf, zone, src)
    notes: list[str] = []

    def convert(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat, note = system_to_wgs84(xy[:, 0], xy[:, 1], values)
        notes.append(note)
        return np.column_stack([lon, lat])

    geoms = shapely.transform(np.asarray(gdf.geometry.array), convert)
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326")
    out = out.set_crs("EPSG:4326", allow_override=True)
    what = "x/y" if file_crs.is_projected else "lon/lat"
    done = f"{src.name}: {len(gdf)} features converted from {values.label} {what} to WGS84"
    return out, Read(left, left.name if shifted else values.name,
                     notes=(done, *[n for n in notes[:1] if n]))


def check_layer_zone(gdf: gpd.GeoDataFrame, zone: gauss_kruger.GKZone, src: Path) -> None:
    """A Gauss-Krüger layer's corners must fit its zone (a wrong .prj moves everything)."""
    bounds = gdf.geometry.bounds
    for xs, ys in (("minx", "miny"), ("maxx", "maxy")):
        found = gauss_kruger.problems(bounds[xs].to_numpy(), bounds[ys].to_numpy(), zone)
        if found:
            listed = "; ".join(
                f"{offenders(gdf, pd.Series(p.rows, index=gdf.index))}: {p.text}" for p in found
            )
            raise CoordinateError(
                f"{src} is in {zone} by its .prj, but its coordinates do not fit: {listed}; "
                "fix the file's coordinate system (e.g. in a GIS: assign the right CRS)"
            )


def read_boundaries(
    path: PathLike,
    *,
    layer: str | None = None,
    name_col: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
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
        System of a file without CRS: wgs84, gcj02, bd09, cgcs2000 or ``EPSG:NNNN``.
        gcj02/bd09 also apply to a file in a geographic CRS: every vertex is converted.
    encoding : str, optional
        Text encoding of a Shapefile's .dbf (default: its .cpg, else detected).
    on_invalid : {"raise", "warn", "ignore"}, default "warn"
        Invalid polygons raise, or are repaired with :func:`shapely.make_valid` and logged
        at WARNING ("warn") or DEBUG ("ignore") level; a repair is said in
        ``attrs["notes"]`` (the outputs state it).

    Returns
    -------
    geopandas.GeoDataFrame
        Valid polygons in EPSG:4326, all columns kept, index 0..n-1.

    Raises
    ------
    InputFileError
        Missing, unreadable or empty file, geometries that are not polygons, or text not
        in the encoding given.
    CoordinateError
        No CRS and no ``crs``; features without geometry; invalid ones with "raise".
    ColumnError
        ``name_col`` does not exist.
    """
    if on_invalid not in ("raise", "warn", "ignore"):
        raise GeoError(f"on_invalid must be 'raise', 'warn' or 'ignore', not {on_invalid!r}")
    src = existing(path, "boundary", VECTOR_FOLDERS)
    kinds = ("Polygon", "MultiPolygon")
    gdf, read = load_layer(src, layer, kinds, "boundaries", crs, encoding)
    names = None
    if name_col is not None:
        col = find_column(gdf.columns, name_col, (), "names",
                          "set [townships] name_col in the study file naming it", src)
        names = gdf[col].map(display_name, na_action="ignore")  # ' 南岭镇' breaks look-ups
    gdf, repaired = _repair(gdf, on_invalid, src, names)
    if names is not None:
        gdf["name"] = names
    return finish(gdf, src, read.with_notes([repaired]))


def read_roads(
    path: PathLike, *, layer: str | None = None, crs: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read road lines into EPSG:4326 LineStrings, all attribute columns kept.

    Parameters
    ----------
    path, layer, crs, encoding
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
    src = existing(path, "road", VECTOR_FOLDERS)
    kinds = ("LineString", "MultiLineString")
    gdf, read = load_layer(src, layer, kinds, "roads", crs, encoding)
    return finish(gdf.explode(index_parts=False), src, read)


def _repair(gdf: gpd.GeoDataFrame, on_invalid: OnInvalid, src: Path,
            names: pd.Series | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """Invalid polygons repaired (or refused), and the note the outputs carry about it."""
    geoms = np.asarray(gdf.geometry.array)
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return gdf, ""
    reasons = pd.Series(shapely.is_valid_reason(geoms), index=gdf.index)
    if names is not None:
        reasons = names.map(repr) + ": " + reasons
    listed = offenders(gdf, pd.Series(invalid, index=gdf.index), reasons)
    if on_invalid == "raise":
        raise CoordinateError(
            f"invalid polygons in {src}: {listed}; repair them in a GIS, or pass "
            "on_invalid='warn' to repair them with shapely.make_valid"
        )
    fixed = shapely.make_valid(geoms, method="structure", keep_collapsed=False)  # polygons only
    gdf[gdf.geometry.name] = gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs)
    level = logging.WARNING if on_invalid == "warn" else logging.DEBUG
    logger.log(level, "repaired invalid polygons in %s with shapely.make_valid: %s", src, listed)
    return gdf, (f"{src.name}: invalid polygons repaired with shapely.make_valid (their areas "
                 f"may differ slightly from the file's): {listed}")

