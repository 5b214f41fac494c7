"""Township areas: from a boundary file, or approximated from township seats.

Luzhai has no public township boundaries. From the seats and the county boundary we
derive *approximate township areas*: every demand cell goes to the seat it reaches
first by travel time (Voronoi on straight-line distance as the fallback), and the
cells of one seat, dissolved, are its area. Outputs built on them say so.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.crs import utm_crs_for
from geo.errors import ColumnError, GeoError

__all__ = [
    "APPROX_NOTE",
    "assign_to_polygons",
    "check_unique_names",
    "dissolve_cells",
    "polygon_of_points",
    "voronoi_areas",
]

log = logging.getLogger(__name__)

APPROX_NOTE = {
    "travel_time": "approximate township areas: each place assigned to the township seat it "
    "reaches first by road (no official township boundaries available)",
    "voronoi": "approximate township areas: each place assigned to the nearest township seat "
    "in straight line (Voronoi; no official township boundaries available)",
}


def dissolve_cells(cells: gpd.GeoDataFrame, township: npt.ArrayLike) -> gpd.GeoDataFrame:
    """Return township polygons as the union of the cells assigned to each township."""
    tmp = cells[["geometry"]].copy()
    tmp["township"] = np.asarray(township)
    # the cells tile the area (a grid): the coverage union is exact and far faster than a
    # general union (1,100 townships of a province: 12 s -> about 1 s)
    out = tmp.dissolve(by="township", as_index=False, method="coverage")
    out["geometry"] = shapely.make_valid(out.geometry.values)
    return out[["township", "geometry"]]


def voronoi_areas(
    seats: gpd.GeoDataFrame, area: gpd.GeoDataFrame, metric: object, name_col: str = "township"
) -> gpd.GeoDataFrame:
    """Return straight-line nearest-seat areas, clipped to ``area`` (computed in ``metric`` CRS)."""
    if name_col not in seats.columns:
        raise ColumnError(f"township seats need a {name_col!r} column; have {list(seats.columns)}")
    pts = seats.to_crs(metric)
    region = area.to_crs(metric).union_all()
    cells = shapely.voronoi_polygons(
        shapely.multipoints(shapely.get_coordinates(pts.geometry.values)),
        extend_to=region.buffer(1.0).envelope,
    )
    polys = gpd.GeoDataFrame(geometry=list(shapely.get_parts(cells)), crs=metric)
    joined = gpd.sjoin(polys, pts[[name_col, "geometry"]], predicate="contains")
    joined["geometry"] = joined.geometry.intersection(region)
    out = joined.rename(columns={name_col: "township"})[["township", "geometry"]]
    return out.to_crs(4326).reset_index(drop=True)


def polygon_of_points(
    points: gpd.GeoDataFrame | gpd.GeoSeries, polygons: gpd.GeoDataFrame,
    metric: object | None = None, *, nearest: bool = True,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Find the polygon holding each point: the one rule that puts places in townships.

    A point on a shared edge, or in an overlap, goes to the first of its polygons in the
    polygons' order; a point in no polygon goes to the nearest one (``nearest=True``; the
    first of equally near ones) or gets -1. Work happens in ``metric`` (default: the UTM
    zone of the points). Every caller that assigns places to townships uses this, so the
    population of a township table and the township labels of the places agree exactly.

    Returns
    -------
    positions : (n,) int array
        Row position in ``polygons`` (-1: in none, only with ``nearest=False``).
    outside : (n,) bool array
        The points that lie in no polygon.
    """
    crs = metric if metric is not None else _utm(points)
    pts = np.asarray(points.geometry.to_crs(crs).array, dtype=object)
    tree = shapely.STRtree(np.asarray(polygons.geometry.to_crs(crs).array, dtype=object))
    hits = tree.query(pts, "intersects")
    hits = hits[:, np.lexsort((hits[1], hits[0]))]
    found, first = np.unique(hits[0], return_index=True)
    out = np.full(len(pts), -1, dtype=np.int64)
    out[found] = hits[1][first]
    outside = out < 0
    if nearest and outside.any():
        idx = np.flatnonzero(outside)
        near = tree.query_nearest(pts[idx], all_matches=True)
        near = near[:, np.lexsort((near[1], near[0]))]
        got, first_near = np.unique(near[0], return_index=True)
        out[idx[got]] = near[1][first_near]
        log.warning("%d places lie in no township polygon: assigned to the nearest",
                    int(outside.sum()))
    return out, outside


def _utm(points: gpd.GeoDataFrame | gpd.GeoSeries) -> object:
    c = points.geometry.to_crs(4326).union_all().centroid
    return utm_crs_for(c.x, c.y)


def assign_to_polygons(
    points: gpd.GeoDataFrame | gpd.GeoSeries, polygons: gpd.GeoDataFrame, metric: object
) -> tuple[npt.NDArray[np.object_], int]:
    """Name each point's township by :func:`polygon_of_points`; count those in no polygon.

    Points in no polygon go to the nearest one; ``points``: a frame or a series of points.
    """
    if "township" not in polygons.columns:
        raise ColumnError("township polygons need a 'township' name column")
    if len(polygons) == 0:
        raise GeoError("no township polygon to assign places to")
    pos, outside = polygon_of_points(points, polygons, metric)
    names = polygons["township"].to_numpy(dtype=object)[pos]
    return names, int(outside.sum())


def check_unique_names(names: pd.Series, what: str) -> None:
    """Check township names, which are join keys: they must be unique and present."""
    if names.isna().any() or (names.astype(str).str.strip() == "").any():
        raise ColumnError(f"{what} has rows without a township name: fill them in")
    dup = names[names.duplicated()].unique().tolist()
    if dup:
        raise ColumnError(f"{what} has duplicate township names {dup}: names must be unique")
