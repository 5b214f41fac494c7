"""Hazard scenarios: flood extents, rasters or landslide points that close the roads they touch.

``geo resilience STUDY --hazard FILE`` (repeatable) closes every road segment a hazard touches
and compares the study before and after. A layer is one of:

- **polygons** (a flood extent, landslide zones): read as every other polygon input is
  (:func:`geo.readers.read_boundaries`: any vector file, its CRS or ``--hazard-crs`` for a file
  without one, GCJ-02/BD-09, encodings, invalid polygons repaired and said);
- **a raster** (``.tif``: a flood depth or a landslide susceptibility GeoTIFF, band 1) with a
  ``threshold``: a cell is hazardous when its value is at or above it. The hazardous cells are
  vectorised exactly (:func:`rasterio.features.shapes`: each cell's square in the raster's CRS),
  their edges densified to a tenth of a cell and carried to WGS84, so a road segment is closed
  exactly when its straight line crosses or touches a hazardous cell (sampling values along the
  road could step over a cell's corner). Nodata cells are not hazardous, and the outputs say how
  many there are among the cells under the roads;
- **points** (landslides): read as every other point layer (:func:`geo.readers.read_points`),
  each buffered into a zone of ``buffer_m`` metres (one value for the layer) or of its own
  ``buffer_m`` column, on the ground (each point in its own UTM zone's metres).

Each layer is checked (not empty, inside or touching the study area) and turned into one
``close_road`` action of a scenario made in code; the comparison is
:func:`geo.planning.compare.compare_scenario`'s, and carries the extents
(:attr:`~geo.planning.compare.Comparison.hazard`) for the map, the GeoPackage and the report.
A layer's ``note`` column (e.g. that an extent is illustrative) is carried into every output.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo import crs as gcrs
from geo import readers
from geo.errors import Arg, CoordinateError, InputFileError
from geo.planning.compare import Comparison, compare_scenario
from geo.planning.scenario import Scenario
from geo.study.run import ComputedStudy

__all__ = ["HAZARD_COLUMNS", "RASTER_SUFFIXES", "Hazard", "hazard_comparison", "hazard_scenario",
           "read_hazard"]

#: files read as hazard rasters
RASTER_SUFFIXES = (".tif", ".tiff")
#: tables read as landslide points (lon/lat or x/y columns, as facility tables)
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")
#: the columns of a hazard's extent (:attr:`Hazard.extent`, the GeoPackage layer)
HAZARD_COLUMNS = ["layer", "kind", "rule", "note", "threshold", "cells", "points", "radius_m"]


@dataclass
class Hazard:
    """One hazard layer as read: its extent (WGS84 polygons) and what the outputs say of it."""

    name: str
    kind: str  # "polygons", "raster" or "points"
    #: one row: HAZARD_COLUMNS (what the rule rests on: a raster's threshold and hazardous
    #: cells under the roads, a point layer's points and radius, NaN where it does not apply or
    #: the radius is per point) and the union of its zones
    extent: gpd.GeoDataFrame
    rule: str  # how the extent was made
    notes: list[str]
    said: str  # the layer's own note column, joined


def _arg(path: Path) -> Arg:
    return Arg("hazard_comparison", "hazards", str(path))


def _check_inside(gdf: gpd.GeoDataFrame, area: gpd.GeoDataFrame, path: Path,
                  what: str = "the hazard") -> None:
    shape = area.to_crs(4326).union_all()
    if gdf.intersects(shape).any():
        return
    metric = gcrs.utm_crs_for(shape.centroid.x, shape.centroid.y)
    km = float(gdf.to_crs(metric).distance(
        gpd.GeoSeries([shape], crs=4326).to_crs(metric).iloc[0]).min()) / 1000.0
    raise InputFileError(_arg(path), f": {what} lies {km:,.1f} km outside the study area: is "
                         "it another county's, or in another coordinate system (a file "
                         "without one: --hazard-crs; AMap/Baidu drawings: gcj02/bd09)?")


def _said(gdf: pd.DataFrame) -> str:
    return "; ".join(sorted({str(x) for x in gdf.get("note", []) if str(x).strip() and
                             str(x) != "nan"}))


def _network_box(result: ComputedStudy) -> shapely.Polygon:
    """Return a WGS84 box around every network node (where a raster must be read)."""
    boxes = []
    for net in result.networks.values():
        xy = net.node_xy
        tr = Transformer.from_crs(net.crs, 4326, always_xy=True)
        boxes.append(tr.transform_bounds(float(xy[:, 0].min()), float(xy[:, 1].min()),
                                         float(xy[:, 0].max()), float(xy[:, 1].max())))
    b = np.asarray(boxes)
    return shapely.box(b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


def _raster(path: Path, threshold: float, crs: str | None, result: ComputedStudy
            ) -> tuple[gpd.GeoDataFrame, str, list[str], dict[str, float]]:
    """Return the hazardous cells of band 1 as WGS84 polygons, the rule and the notes."""
    import rasterio
    import rasterio.errors
    import rasterio.features
    from rasterio.windows import Window, from_bounds

    arg = _arg(path)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(arg, f": cannot read it as a GeoTIFF ({exc}): give a depth or "
                             "susceptibility GeoTIFF, or a polygon layer") from exc
    with src:
        system = None if crs is None else gcrs.input_system(crs)
        if src.crs is not None:
            raster_crs, key = CRS.from_user_input(src.crs), "epsg"
            system_name = f"its own CRS ({raster_crs.to_string()})"
        elif system is None:
            raise CoordinateError(arg, ": the raster names no coordinate system: give "
                                  "--hazard-crs (wgs84, gcj02, bd09, cgcs2000 or EPSG:NNNN), "
                                  "or set it (gdal_edit.py -a_srs EPSG:NNNN)")
        else:
            raster_crs = system.crs if system.crs is not None else CRS.from_epsg(4326)
            key, system_name = system.key, f"--hazard-crs {system.name}"
        box = _network_box(result)
        if key in ("gcj02", "bd09"):  # the box in the raster's obfuscated lon/lat
            pad = 0.02  # degrees: more than the GCJ-02/BD-09 offsets (at most ~1 km)
            left, bottom, right, top = box.buffer(pad).bounds
        else:
            left, bottom, right, top = Transformer.from_crs(
                4326, raster_crs, always_xy=True).transform_bounds(*box.bounds)
        whole = from_bounds(left, bottom, right, top, src.transform)
        c0 = max(0, math.floor(whole.col_off) - 1)
        r0 = max(0, math.floor(whole.row_off) - 1)
        c1 = min(src.width, math.ceil(whole.col_off + whole.width) + 1)
        r1 = min(src.height, math.ceil(whole.row_off + whole.height) + 1)
        if c1 <= c0 or r1 <= r0:
            b = src.bounds
            outline = gpd.GeoSeries([shapely.box(b.left, b.bottom, b.right, b.top)],
                                    crs=raster_crs if key == "epsg" else 4326)
            _check_inside(gpd.GeoDataFrame(geometry=outline.to_crs(4326)), result.area,
                          path, "the raster")
            raise InputFileError(arg, ": the raster covers none of the study's roads: give "
                                 "one that covers the study area")
        window = Window(c0, r0, c1 - c0, r1 - r0)
        data = src.read(1, window=window, masked=True)
        transform = src.window_transform(window)
        bands = src.count
    values = np.ma.filled(data.astype(np.float64), np.nan)
    nodata = ~np.isfinite(values)
    if nodata.all():
        raise InputFileError(arg, ": every cell under the study's roads is nodata: is it the "
                             "raster of another area, or its nodata value wrongly set?")
    with np.errstate(invalid="ignore"):
        hazardous = ~nodata & (values >= threshold)
    if not hazardous.any():
        top_value = float(np.nanmax(values))
        raise InputFileError(arg, f": no cell under the study's roads reaches --threshold "
                             f"{threshold:g} (the largest value there is {top_value:g}): lower "
                             "--threshold, or check its unit (a depth in metres, a "
                             "susceptibility class)")
    shapes = rasterio.features.shapes(hazardous.astype(np.uint8), mask=hazardous,
                                      transform=transform, connectivity=8)
    cells = shapely.union_all([shapely.geometry.shape(g) for g, _ in shapes])
    step = min(abs(transform.a), abs(transform.e)) / 10.0
    cells = shapely.segmentize(cells, step)  # so reprojection bends the edges as it should
    if key in ("gcj02", "bd09"):
        cells = shapely.transform(cells, lambda xy: np.column_stack(
            gcrs.to_wgs84(xy[:, 0], xy[:, 1], key)))
        zones = gpd.GeoSeries([cells], crs=4326)
    else:
        zones = gpd.GeoSeries([cells], crs=raster_crs).to_crs(4326)
    unit = "cells" if bands == 1 else f"cells of band 1 (of {bands})"
    rule = (f"raster cells >= {threshold:g} hazardous ({int(hazardous.sum()):,} {unit} under "
            "the roads); a road segment is closed if its line crosses or touches a hazardous "
            "cell")
    notes = [f"{path.name}: read in {system_name}"]
    if nodata.any():
        notes.append(f"{path.name}: {int(nodata.sum()):,} of {nodata.size:,} cells under the "
                     "study's roads are nodata and count as not hazardous (a road through them "
                     "stays open)")
    facts = {"threshold": threshold, "cells": float(hazardous.sum())}
    return gpd.GeoDataFrame(geometry=zones, crs=4326), rule, notes, facts


def _points(path: Path, crs: str | None, buffer_m: float | None
            ) -> tuple[gpd.GeoDataFrame, str, list[str], dict[str, float]]:
    """Return the points of a layer buffered into zones (WGS84), the rule and the notes."""
    arg = _arg(path)
    gdf = readers.read_points(path, count_col=None, crs=crs or "wgs84")
    col = "buffer_m" if "buffer_m" in gdf.columns else None
    if col is not None and buffer_m is not None:
        raise InputFileError(arg, ": the layer has a buffer_m column and --hazard-buffer is "
                             "given too: remove one (which would win is not for geo to guess)")
    if col is None and buffer_m is None:
        raise InputFileError(arg, ": a point layer (landslides) needs a zone around each "
                             "point: give --hazard-buffer METRES, or a buffer_m column")
    if col is not None:
        metres = pd.to_numeric(gdf[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(metres) | (metres <= 0)
        if bad.any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad)[:8])
            raise InputFileError(arg, f": buffer_m is missing, not a number or not above 0 in "
                                 f"feature(s) {rows}: give every point its zone's radius in "
                                 "metres")
        how = "each point's buffer_m"
    else:
        metres = np.full(len(gdf), float(buffer_m))  # type: ignore[arg-type]
        how = f"--hazard-buffer {float(buffer_m):g} m"  # type: ignore[arg-type]
    zones = []
    for geom, r in zip(gdf.geometry, metres, strict=True):
        c = geom.centroid
        utm = gcrs.utm_crs_for(c.x, c.y)
        zones.append(gpd.GeoSeries([geom], crs=4326).to_crs(utm).buffer(
            float(r), quad_segs=16).to_crs(4326).iloc[0])
    out = gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=zones, crs=4326)
    rule = (f"{len(gdf):,} points buffered by {how} (circles of 64 sides, inside the true "
            "circle by at most 0.2 % of the radius); a road segment is closed if it crosses "
            "or touches a zone")
    facts = {"points": float(len(gdf)),
             "radius_m": float(buffer_m) if col is None else float("nan")}  # type: ignore[arg-type]
    return out, rule, list(gdf.attrs.get("notes", [])), facts


def read_hazard(path: str | os.PathLike[str], result: ComputedStudy, *,
                crs: str | None = None, threshold: float | None = None,
                buffer_m: float | None = None) -> Hazard:
    """Read one hazard layer (polygons, a raster with ``threshold``, points with a buffer).

    See module docs; every problem stops with :class:`~geo.errors.InputFileError` or
    :class:`~geo.errors.CoordinateError`.
    """
    path = Path(path)
    arg = _arg(path)
    if not path.is_file():
        raise InputFileError(arg, ": no such file: give a polygon layer (.geojson, .gpkg, "
                             ".shp) of the flooded or unstable area, a GeoTIFF with "
                             "--threshold, or landslide points with --hazard-buffer")
    if path.suffix.lower() in RASTER_SUFFIXES:
        if threshold is None:
            raise InputFileError(arg, ": a hazard raster needs --threshold VALUE (cells at or "
                                 "above it are hazardous, e.g. 0.3 for a depth in metres)")
        if buffer_m is not None:
            raise InputFileError(arg, ": --hazard-buffer buffers point layers, not a raster: "
                                 "remove it, or give the landslide points")
        if not math.isfinite(threshold):
            raise InputFileError(arg, f": --threshold {threshold} is not a number")
        kind = "raster"
        gdf, rule, notes, facts = _raster(path, threshold, crs, result)
        said = ""
    else:
        if threshold is not None:
            raise InputFileError(arg, ": --threshold applies to hazard rasters (.tif) only: "
                                 "remove it for this vector layer")
        import pyogrio

        try:
            geom_type = str(pyogrio.read_info(path).get("geometry_type", ""))
        except Exception:  # the readers below say what is wrong with the file
            geom_type = ""
        if "point" in geom_type.lower() or path.suffix.lower() in TABLE_SUFFIXES:
            kind = "points"
            gdf, rule, notes, facts = _points(path, crs, buffer_m)
        else:
            if buffer_m is not None:
                raise InputFileError(arg, ": --hazard-buffer buffers point layers (landslides), "
                                     "not polygons: remove it, or give the points")
            kind = "polygons"
            gdf = readers.read_boundaries(path, crs=crs)
            gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
            rule = "a road segment is closed if it crosses or touches a polygon"
            facts = {}
            notes = list(gdf.attrs.get("notes", []))
        if len(gdf) == 0:
            raise InputFileError(arg, ": the layer holds no feature: give the hazard's extent "
                                 "(an empty layer would compare the study with itself)")
        said = _said(gdf)
    _check_inside(gdf, result.area, path)
    nan = float("nan")
    extent = gpd.GeoDataFrame({"layer": [path.name], "kind": [kind], "rule": [rule],
                               "note": [said]} | {k: [facts.get(k, nan)] for k in
                                                  HAZARD_COLUMNS[4:]},
                              geometry=[gdf.union_all()], crs=4326)
    return Hazard(path.name, kind, extent, rule, notes, said)


def _per_raster(hazards: Sequence[Path], threshold: Sequence[float] | float | None
                ) -> list[float | None]:
    """Return each layer's threshold: one value for every raster, or one per raster in order."""
    rasters = [h.suffix.lower() in RASTER_SUFFIXES for h in hazards]
    values = [] if threshold is None else (
        [float(threshold)] if isinstance(threshold, int | float) else [float(t) for t in threshold])
    if len(values) > 1 and len(values) != sum(rasters):
        raise InputFileError(_arg(hazards[0]), f": {len(values)} --threshold values for "
                             f"{sum(rasters)} raster(s): give one value for every raster, or "
                             "one per raster in the order of the --hazard files")
    out: list[float | None] = []
    it = iter(values)
    for is_raster in rasters:
        if not is_raster:
            out.append(values[0] if values and sum(rasters) == 0 else None)
        elif len(values) == 1:
            out.append(values[0])
        else:
            out.append(next(it, None))
    return out


def read_hazards(result: ComputedStudy, hazards: Sequence[str | os.PathLike[str]],
                 crs: str | None = None, threshold: Sequence[float] | float | None = None,
                 buffer_m: float | None = None) -> list[Hazard]:
    """Read every hazard layer (:func:`read_hazard`; ``threshold`` as :func:`hazard_scenario`)."""
    paths = [Path(h) for h in hazards]
    points_given = buffer_m is not None
    read = [read_hazard(p, result, crs=crs, threshold=t,
                        buffer_m=buffer_m if p.suffix.lower() not in RASTER_SUFFIXES else None)
            for p, t in zip(paths, _per_raster(paths, threshold), strict=True)]
    if points_given and not any(h.kind == "points" for h in read):
        raise InputFileError(_arg(paths[0]), ": --hazard-buffer buffers point layers "
                             "(landslides) and no --hazard file holds points: remove it")
    return read


def hazard_scenario(result: ComputedStudy, hazards: Sequence[str | os.PathLike[str]],
                    crs: str | None = None, threshold: Sequence[float] | float | None = None,
                    buffer_m: float | None = None) -> tuple[Scenario, list[Hazard]]:
    """Return a scenario closing every road the ``hazards`` (files) touch, and the layers read.

    One ``close_road`` action per layer, named by its file; each layer's rule and ``note`` values
    join the notes. ``threshold``: one value for every raster, or one per raster in order;
    ``buffer_m``: the zone around each point of a point layer without a ``buffer_m`` column.
    """
    read = read_hazards(result, hazards, crs, threshold, buffer_m)
    actions, notes = [], []
    for h in read:
        actions.append({"action": "close_road", "geometry": h.extent.geometry.iloc[0],
                        "project": h.name, "note": h.said})
        notes += [f"{h.name}: {h.said}"] if h.said else []
        notes += [f"{h.name}: {h.rule}", *h.notes]
    title = "hazard: " + ", ".join(Path(h.name).stem for h in read)
    desc = " ".join([f"roads touched by {len(read)} hazard layer(s) closed.", *notes])
    return Scenario(Path(hazards[0]), "hazard", title, desc, actions, []), read


def hazard_comparison(result: ComputedStudy, hazards: Sequence[str | os.PathLike[str]],
                      crs: str | None = None, threshold: Sequence[float] | float | None = None,
                      buffer_m: float | None = None) -> Comparison:
    """Compare the study before and after the roads that ``hazards`` touch are closed.

    See module docs and :func:`hazard_scenario`.
    """
    scen, read = hazard_scenario(result, hazards, crs, threshold, buffer_m)
    comp = compare_scenario(result, scen)
    head = []
    for h in read:
        head += [f"hazard {h.name}: {h.said}"] if h.said else []
        head.append(f"hazard {h.name}: {h.rule}")
        head += [f"hazard {n}" for n in h.notes]
    comp.notes[:0] = head
    comp.hazard = pd.concat([h.extent for h in read], ignore_index=True)
    return comp
