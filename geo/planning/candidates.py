"""Candidate sites for new facilities: grids, network nodes, seats, facilities, files.

Every function returns a GeoDataFrame in EPSG:4326 with ``id`` (unique), ``name``,
``source`` (where the candidate came from) and a Point geometry; :func:`filter_candidates`
then keeps those inside the study area and within a distance of a usable road.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo import readers, settings
from geo.coverage import population
from geo.errors import SitingError
from geo.network.graph import Network
from geo.routing.travel import snap_points

__all__ = [
    "SOURCES",
    "facility_candidates",
    "file_candidates",
    "filter_candidates",
    "grid_candidates",
    "node_candidates",
    "seat_candidates",
]

log = logging.getLogger(__name__)

SOURCES = ("grid", "nodes", "seats", "facilities")


def _frame(ids: Sequence[str], names: Sequence[str], source: str,
           geometry: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": list(ids), "name": list(names), "source": source},
                            geometry=geometry, crs=4326)


def grid_candidates(
    area: gpd.GeoDataFrame, spacing_m: float, demand: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """One candidate per square cell of ``spacing_m`` over the area.

    With ``demand`` (points with ``population``), only cells holding people are kept
    ("populated land"); the candidate is the cell's point (centre, or a point of the
    cell inside the area).
    """
    cells, points = population.grid_cells(area, spacing_m)
    if demand is not None:
        people = demand[demand["population"] > 0]
        hit = gpd.sjoin(cells[["cell_id", "geometry"]], people[["geometry"]],
                        predicate="intersects", how="inner")
        points = points[points["demand_id"].isin(hit["cell_id"].unique())]
    ids = [f"G{int(i):05d}" for i in points["demand_id"]]
    return _frame(ids, ids, "grid", points.geometry.to_numpy())


def node_candidates(net: Network, spacing_m: float | None = None) -> gpd.GeoDataFrame:
    """Network nodes; with ``spacing_m``, at most one per square of that side."""
    xy = net.node_xy
    keep = np.arange(len(xy))
    if spacing_m:
        cell = np.floor(xy / float(spacing_m)).astype(np.int64)
        _, keep = np.unique(cell, axis=0, return_index=True)
        keep = np.sort(keep)
    geom = gpd.GeoSeries(shapely.points(xy[keep]), crs=net.crs).to_crs(4326)
    ids = [f"N{int(i):06d}" for i in keep]
    return _frame(ids, ids, "nodes", geom.to_numpy())


def seat_candidates(seats: gpd.GeoDataFrame, name_col: str = "township") -> gpd.GeoDataFrame:
    """Township seats (government sites) as candidates."""
    names = seats[name_col].astype(str).tolist()
    return _frame([f"seat:{n}" for n in names], names, "seats", seats.geometry.to_numpy())


def facility_candidates(
    facilities: gpd.GeoDataFrame, types: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Existing facilities (of ``types``) as candidates, for designation questions."""
    fac = facilities if not types else facilities[facilities["type"].isin(list(types))]
    if fac.empty:
        have = sorted(facilities["type"].unique()) if "type" in facilities else []
        raise SitingError(f"no facility of types {list(types or [])}: the facility file has "
                          f"{have}; pick one of them")
    out = _frame(fac["id"].astype(str).tolist(), fac.get("name", fac["id"]).astype(str).tolist(),
                 "facilities", fac.geometry.to_numpy())
    out["type"] = fac["type"].to_numpy()
    return out


def file_candidates(path: str | Path, *, crs: str = "wgs84", id_col: str = "id",
                    lon_col: str | None = None, lat_col: str | None = None,
                    keep: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Candidates from a user's file (any format :func:`geo.readers.read_facilities` reads).

    ``keep``: further columns to carry over (e.g. ``beds`` for capacities).
    """
    raw = readers.read_facilities(path, crs=crs, id_col=id_col, lon_col=lon_col, lat_col=lat_col)
    names = raw["name"] if "name" in raw.columns else raw["id"]
    out = _frame(raw["id"].astype(str).tolist(), names.astype(str).tolist(), "file",
                 raw.geometry.to_numpy())
    for col in keep:
        if col not in raw.columns:
            raise SitingError(f"candidate file {path} has no column {col!r}; it has "
                              f"{sorted(map(str, raw.columns))}")
        out[col] = raw[col].to_numpy()
    return out


def filter_candidates(
    candidates: gpd.GeoDataFrame,
    *,
    area: gpd.GeoDataFrame | None = None,
    net: Network | None = None,
    max_road_m: float | None = None,
    exclude_classes: tuple[str, ...] = settings.SNAP_EXCLUDE,
) -> gpd.GeoDataFrame:
    """Keep candidates inside ``area`` and within ``max_road_m`` of a usable road.

    The road distance is the straight access leg to the nearest segment not of
    ``exclude_classes`` (the same join the travel times use). Drops are logged.
    """
    out = candidates
    if area is not None:
        inside = out.geometry.within(area.to_crs(4326).union_all())
        if (~inside).any():
            log.info("dropped %d candidates outside the study area", int((~inside).sum()))
        out = out[inside.to_numpy()]
    if max_road_m is not None:
        if net is None:
            raise SitingError("a road-distance filter needs the road network")
        g = out.geometry.to_crs(net.crs)
        snap = snap_points(net, np.column_stack([g.x, g.y]), exclude_classes=exclude_classes)
        near = snap.access_m <= float(max_road_m)
        log.info("dropped %d candidates farther than %g m from a road", int((~near).sum()),
                 max_road_m)
        out = out[near]
    if out.empty:
        raise SitingError("no candidate site is left after filtering: widen max_road_m, use "
                          "a finer grid or another candidate source")
    if out["id"].duplicated().any():
        dup = out.loc[out["id"].duplicated(), "id"].tolist()[:5]
        raise SitingError(f"candidate ids must be unique; repeated: {dup}")
    return out.reset_index(drop=True)
