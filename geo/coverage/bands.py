"""Travel-time bands and coverage gaps, drawn from the computed minutes per grid cell.

Both are unions of demand-grid cells, so they are drawn at the grid's resolution (500 m in
the Luzhai demo): a cell is in a band when the travel time of its demand point is. This is
what the study computed, not a circle around a facility.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo._types import FloatArray
from geo.coverage.standards import Standard

__all__ = ["BREAKS", "band_labels", "coverage_gaps", "travel_time_bands", "union_cells"]

log = logging.getLogger(__name__)

#: band limits in minutes: 0–15, 15–30, 30–60, 60–120, >120
BREAKS: tuple[float, ...] = (15.0, 30.0, 60.0, 120.0)


def band_labels(breaks: Sequence[float] = BREAKS) -> list[str]:
    """Return ``["0–15", "15–30", …, ">120"]`` for the given limits."""
    edges = [0.0, *breaks]
    out = [f"{lo:g}–{hi:g}" for lo, hi in _pairs(edges)]
    return [*out, f">{breaks[-1]:g}"]


def _pairs(values: Sequence[float]) -> list[tuple[float, float]]:
    return list(itertools.pairwise(values))


def _union(geoms: npt.NDArray[np.object_]) -> Any:
    """Return union of grid cells: the fast coverage union when the cells tile cleanly."""
    if len(geoms) == 0:
        return shapely.Polygon()
    merged = shapely.coverage_union_all(geoms)
    if not merged.is_valid:
        merged = shapely.union_all(geoms)
    return merged


union_cells = _union  # the one way grid cells become a drawn area (also geo.study.resources)


def _polygons(geom: Any) -> Any:
    """Return only the polygon parts of an intersection (borders may add lines and points)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def travel_time_bands(
    cells: gpd.GeoDataFrame,
    minutes: Mapping[str, FloatArray],
    standards: Sequence[Standard],
    breaks: Sequence[float] = BREAKS,
) -> gpd.GeoDataFrame:
    """Return per standard, one polygon per band of minutes to the nearest eligible facility.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Demand-grid cells (the surface drawn).
    minutes : Mapping[str, ndarray]
        Minutes per cell for each standard that applies (standards missing here are not
        applicable and get no rows).
    standards : Sequence[Standard]
    breaks : Sequence[float]
        Band limits in minutes, increasing.

    Returns
    -------
    geopandas.GeoDataFrame
        ``standard``, ``band`` (label), ``lo``, ``hi`` (``inf`` for the last band),
        ``cells`` and the union of the cells in the band; empty bands are left out.
    """
    if list(breaks) != sorted(breaks) or len(breaks) == 0 or breaks[0] <= 0:
        raise ValueError(f"band limits must be positive and increasing, got {list(breaks)}")
    labels = band_labels(breaks)
    edges = [0.0, *map(float, breaks), math.inf]
    geoms = cells.geometry.values
    rows = []
    for std in standards:
        if std.name not in minutes:
            continue
        m = np.asarray(minutes[std.name], dtype=float)
        for label, lo, hi in zip(labels, edges[:-1], edges[1:], strict=True):
            inside = (m >= lo) & (m < hi) if lo > 0 else (m < hi)
            if not inside.any():
                continue
            rows.append({"standard": std.name, "band": label, "lo": lo, "hi": hi,
                         "cells": int(inside.sum()), "geometry": _union(geoms[inside])})
    cols = ["standard", "band", "lo", "hi", "cells", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=cells.crs)


def coverage_gaps(
    cells: gpd.GeoDataFrame,
    cell_minutes: Mapping[str, FloatArray],
    townships: gpd.GeoDataFrame,
    demand: pd.DataFrame,
    standards: Sequence[Standard],
) -> gpd.GeoDataFrame:
    """Find where the people beyond each standard's reach are, per township.

    The area is the union of grid cells beyond the threshold, cut by township; the
    population is that of the demand points beyond the threshold in the township (the
    ``minutes_<standard>``, ``township`` and ``population`` columns of ``demand``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``standard``, ``township``, ``minutes`` (the threshold), ``population`` (people
        beyond it) and the area; townships without a gap are left out.
    """
    rows = []
    cell_area = float(np.mean(shapely.area(cells.geometry.values))) if len(cells) else 0.0
    towns = townships.to_crs(cells.crs) if townships.crs != cells.crs else townships
    for std in standards:
        col = f"minutes_{std.name}"
        if std.name not in cell_minutes or col not in demand.columns:
            continue
        beyond = np.asarray(cell_minutes[std.name], dtype=float) > std.minutes
        area = _union(cells.geometry.values[beyond])
        far = demand[demand[col].to_numpy(dtype=float) > std.minutes]
        people = far.groupby("township")["population"].sum()
        for name, poly in zip(towns["township"], towns.geometry, strict=True):
            piece = _polygons(area.intersection(poly)) if not area.is_empty else area
            pop = float(people.get(name, 0.0))
            if pop == 0 and piece.area < 0.01 * cell_area:  # a sliver along a border
                continue
            rows.append({"standard": std.name, "township": str(name), "minutes": std.minutes,
                         "population": round(pop, 1), "geometry": piece})
    cols = ["standard", "township", "minutes", "population", "geometry"]
    gaps = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=cells.crs)
    log.debug("%d gap pieces", len(gaps))
    return gaps
