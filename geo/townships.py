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

from geo.errors import ColumnError, GeoError

__all__ = [
    "APPROX_NOTE",
    "assign_to_polygons",
    "dissolve_cells",
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
    """Township polygons as the union of the cells assigned to each township."""
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
    """Straight-line nearest-seat areas, clipped to ``area`` (computed in ``metric`` CRS)."""
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


def assign_to_polygons(
    points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, metric: object
) -> tuple[npt.NDArray[np.object_], int]:
    """Township name per point; points in no polygon go to the nearest one (counted)."""
    if "township" not in polygons.columns:
        raise ColumnError("township polygons need a 'township' name column")
    pts = points.to_crs(metric)[["geometry"]].reset_index(drop=True)
    polys = polygons.to_crs(metric)[["township", "geometry"]]
    hit = gpd.sjoin(pts, polys, predicate="within", how="left")
    hit = hit[~hit.index.duplicated(keep="first")]
    names = hit["township"].reindex(pts.index)
    missing = names.isna()
    if missing.any():
        near = gpd.sjoin_nearest(pts[missing], polys, how="left")
        near = near[~near.index.duplicated(keep="first")]
        names[missing] = near["township"]
        log.warning("%d demand points lie in no township polygon: assigned to the nearest",
                    int(missing.sum()))
    if names.isna().any():
        raise GeoError("some demand points could not be assigned to any township")
    return names.to_numpy(dtype=object), int(missing.sum())


def check_unique_names(names: pd.Series, what: str) -> None:
    """Township names are join keys: they must be unique and present."""
    if names.isna().any() or (names.astype(str).str.strip() == "").any():
        raise ColumnError(f"{what} has rows without a township name: fill them in")
    dup = names[names.duplicated()].unique().tolist()
    if dup:
        raise ColumnError(f"{what} has duplicate township names {dup}: names must be unique")
