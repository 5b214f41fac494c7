"""Drawn surfaces of per-place values on the demand grid: classes and catchments.

A study's values live at its demand points; the map and ``results.gpkg`` draw them on
the grid cells (:func:`geo.coverage.population.grid_cells`). On a demand grid each cell is its
point; with other demand (points, a raster) a cell takes the value of its demand point
with the most people, and cells without one are not drawn. Cells are dissolved by class
of their value (:func:`classes`: an index's classes, or travel-time bands) or by the
facility serving them (:func:`basin_areas_of`), with the one union of
:func:`geo.coverage.bands.union_cells`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt

from geo._types import FloatArray, IntArray
from geo.coverage.bands import union_cells
from geo.measures import weighted_quantile

__all__ = ["QUANTILES", "TARGET_MULTIPLES", "CellUnions", "PendingUnion", "access_bounds",
           "basin_areas_of", "cell_facility", "cell_index", "cell_numbers",
           "cell_values", "class_edges",
           "class_position", "classes"]


#: fill classes of an index without a target: population-weighted quantiles of it
QUANTILES = (0.25, 0.5, 0.75)
#: class edges of an index with a target, as multiples of the target
TARGET_MULTIPLES = (0.5, 0.75, 1.0, 1.5)


def cell_index(demand: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, same: bool) -> IntArray:
    """Return the grid cell of each demand point.

    That is the point itself when the demand is the grid (``same``), else the cell it lies in (the
    first, on a shared edge; -1 in none).
    """
    if same:
        return np.arange(len(demand), dtype=np.int64)
    hit = gpd.sjoin(demand[[demand.geometry.name]].reset_index(drop=True),
                    cells[[cells.geometry.name]].reset_index(drop=True),
                    predicate="within", how="left")
    hit = hit[~hit.index.duplicated(keep="first")]
    return hit["index_right"].fillna(-1).to_numpy(dtype=np.int64)


def cell_values(values: npt.ArrayLike, pop: FloatArray, cell_of: IntArray,
                 n_cells: int) -> tuple[npt.NDArray[np.object_], FloatArray]:
    """Give each grid cell the value of its demand point with the most people, and its people.

    On a demand grid that point is the cell itself; a cell with no demand point gets None.
    """
    vals = np.asarray(values, dtype=object)
    out = np.full(n_cells, None, dtype=object)
    cells, points, people = _cell_points(pop, cell_of, n_cells)
    out[cells] = vals[points]
    return out, people


def cell_numbers(values: FloatArray, pop: FloatArray, cell_of: IntArray,
                 n_cells: int) -> tuple[FloatArray, FloatArray]:
    """Run :func:`cell_values` on numbers: NaN where a cell has no demand point (no None).

    The same point gives each cell its value (so the same number); :func:`classes` reads
    these as it reads :func:`cell_values`' objects.
    """
    out = np.full(n_cells, np.nan)
    cells, points, people = _cell_points(pop, cell_of, n_cells)
    out[cells] = np.asarray(values, dtype=np.float64)[points]
    return out, people


def cell_facility(nearest: IntArray, pop: FloatArray, cell_of: IntArray,
                  n_cells: int) -> IntArray:
    """Run :func:`cell_values` on facility positions: -1 where a cell has no demand point."""
    out = np.full(n_cells, -1, dtype=np.int64)
    cells, points, _ = _cell_points(pop, cell_of, n_cells)
    out[cells] = np.asarray(nearest, dtype=np.int64)[points]
    return out


def _cell_points(pop: FloatArray, cell_of: IntArray, n_cells: int
                 ) -> tuple[IntArray, IntArray, FloatArray]:
    """Return the cells with a demand point, each one's point with the most people, and people.

    The people are per cell, every cell (0 where none lives).
    """
    people = np.zeros(n_cells)
    has = cell_of >= 0
    np.add.at(people, cell_of[has], pop[has])
    order = np.lexsort((-pop, cell_of))  # by cell, then most people first
    order = order[has[order]]
    first = np.ones(len(order), dtype=bool)
    first[1:] = cell_of[order][1:] != cell_of[order][:-1]
    return cell_of[order][first], order[first], people


def class_edges(values: FloatArray, pop: FloatArray, target: float | None) -> list[float]:
    """Return the upper edges of the fill classes of a positive index (the last is inf).

    These are multiples of the target, or population-weighted quartiles of the values (3 significant
    digits).
    """
    if target is not None and target > 0:
        return [target * k for k in TARGET_MULTIPLES] + [np.inf]
    pos = values > 0
    if not pos.any():
        return [np.inf]
    qs = [float(f"{weighted_quantile(values[pos], pop[pos], q):.3g}") for q in QUANTILES]
    return [*sorted({q for q in qs if q > 0}), np.inf]


def _label(lo: float, hi: float) -> str:
    return f">{lo:.3g}" if not np.isfinite(hi) else f"{lo:.3g}–{hi:.3g}"


def class_position(value: float, bounds: Sequence[tuple[float, float]]) -> int | None:
    """Return the class of ``value`` among ``(lo, hi)`` bounds of an index, None for NaN.

    A value is in a class when equal to ``lo`` where ``lo == hi``, else when in ``(lo, hi]`` (see
    :func:`access_bounds`).
    """
    if value != value:
        return None
    for k, (lo, hi) in enumerate(bounds):
        if (lo == hi and value == lo) or lo < value <= hi:
            return k
    return None


class CellUnions:
    """The unions of sets of grid cells, each set dissolved once.

    A study's measures draw their basins and classes on the same cells, and the same set of
    cells comes back (a facility's basin in two measures); :func:`union_cells` of one set
    of cells is one geometry, made once here and handed out again.

    With ``later``, a call hands back a :class:`PendingUnion` instead, drawn (once per set
    of cells, as above) only when something asks for its geometry: a study's measures keep
    their drawn areas so until an output reads them.
    """

    def __init__(self, cells: gpd.GeoDataFrame, later: bool = False) -> None:
        self.geoms = cells.geometry.values
        self.later = later
        self._done: dict[bytes, Any] = {}

    def __call__(self, inside: npt.NDArray[np.bool_]) -> Any:
        """Return the union of the cells where ``inside`` holds (see the class docs)."""
        return self.of_packed(np.packbits(inside).tobytes())

    def of_packed(self, key: bytes) -> Any:
        """Return the union of the cells ``key`` (their mask's packed bits), as a call does."""
        if self.later:
            return PendingUnion(self, key)
        return self.draw(key)

    def draw(self, key: bytes) -> Any:
        """Return the union of the set of cells ``key`` (their mask's packed bits), now.

        Each set is dissolved once.
        """
        if key not in self._done:
            inside = np.unpackbits(np.frombuffer(key, dtype=np.uint8),
                                   count=len(self.geoms)).astype(bool)
            self._done[key] = union_cells(self.geoms[inside])
        return self._done[key]


class PendingUnion:
    """A union of grid cells not drawn yet (:class:`CellUnions` with ``later``).

    It keeps the cells' mask as packed bits (one bit per cell).
    """

    def __init__(self, unions: CellUnions, key: bytes) -> None:
        self.unions, self.key = unions, key

    def draw(self) -> Any:
        """Return the union of its cells (each set of cells dissolved once)."""
        return self.unions.draw(self.key)


def _unions(cells: gpd.GeoDataFrame, unions: CellUnions | None) -> CellUnions:
    if unions is None:
        return CellUnions(cells)
    if len(unions.geoms) != len(cells):
        raise ValueError("the cell unions were made for other cells")
    return unions


def classes(name: str, kind: str, cells: gpd.GeoDataFrame,
            cell_vals: npt.NDArray[np.object_] | FloatArray,
            people: FloatArray, bounds: Sequence[tuple[float, float, str]],
            left_closed: bool, keep_empty: bool = False, unions: CellUnions | None = None
            ) -> list[dict[str, object]]:
    """Dissolve the cells by the class of their value.

    A class ``(lo, hi, label)`` holds a value in ``(lo, hi]`` (``[lo, hi)`` when ``left_closed``, as
    the travel-time bands), or equal to ``lo`` when ``lo == hi``; empty classes are left out, or
    kept without a geometry (``keep_empty``: the classes of an index, which townships are coloured
    by too). ``unions``: the cells' :class:`CellUnions`, shared between calls on the same cells.
    ``cell_vals``: :func:`cell_values`' objects (None: no value), or :func:`cell_numbers`'
    floats (NaN: no value).
    """
    if cell_vals.dtype.kind == "f":  # cell_numbers: NaN in a cell without a point
        v = np.asarray(cell_vals, dtype=np.float64)
        known = ~np.isnan(v)
    else:
        known = np.array([v is not None for v in cell_vals], dtype=bool)
        v = np.array([float(x) if x is not None else np.nan for x in cell_vals])
    rows = []
    union = _unions(cells, unions)
    for lo, hi, label in bounds:
        if lo == hi:
            inside = known & (v == lo)
        elif left_closed:
            inside = known & (v >= lo) & (v < hi)
        else:
            inside = known & (v > lo) & (v <= hi)
        if inside.any() or keep_empty:
            rows.append({"name": name, "kind": kind, "cls": label, "lo": lo, "hi": hi,
                         "facility": "", "population": float(people[inside].sum()),
                         "cells": int(inside.sum()),
                         "geometry": union(inside) if inside.any() else None})
    return rows


def access_bounds(edges: Sequence[float]) -> list[tuple[float, float, str]]:
    """Return the classes of an index: 0 (nothing within reach), then up to each edge."""
    lows = [0.0, *edges[:-1]]
    return [(0.0, 0.0, "0"), *((lo, hi, _label(lo, hi)) for lo, hi in zip(lows, edges,
                                                                         strict=True))]


def basin_areas_of(name: str, cells: gpd.GeoDataFrame, cell_facility: IntArray,
                   ids: npt.NDArray[np.object_], people: FloatArray,
                   unions: CellUnions | None = None) -> list[dict[str, object]]:
    """Dissolve the cells into one area per facility basin, with its people.

    ``cell_facility``: each cell's facility as a position among ``ids`` (-1: none), as
    :func:`cell_facility` gives it. Facilities sharing an id share a basin and an empty id
    is no basin; basins come in the order their first cell does, each its cells in order.
    ``unions``: the cells' :class:`CellUnions`, shared between calls on the same cells.
    """
    union = _unions(cells, unions)
    fac = np.asarray(cell_facility, dtype=np.int64)
    text = [x if type(x) is str else str(x) for x in ids]
    first: dict[str, int] = {}
    canon = np.array([first.setdefault(t, k) if t else -1 for k, t in enumerate(text)] + [-1],
                     dtype=np.int64)  # the first facility of each id; the last entry: none
    f = canon[np.where(fac >= 0, fac, len(text))]
    has = np.flatnonzero(f >= 0)
    got, at_first, inverse = np.unique(f[has], return_index=True, return_inverse=True)
    rank = np.empty(len(got), dtype=np.int64)
    rank[np.argsort(has[at_first], kind="stable")] = np.arange(len(got))  # order of appearance
    codes = np.full(len(fac), -1, dtype=np.int64)
    codes[has] = rank[inverse.ravel()]
    basin_fac = np.empty(len(got), dtype=np.int64)
    basin_fac[rank] = got
    order = np.argsort(codes, kind="stable")  # each basin's cells in their order
    starts = np.searchsorted(codes[order], np.arange(len(got) + 1))
    masks = np.zeros((len(got), len(fac)), dtype=bool)
    masks[codes[has], has] = True
    packed = np.packbits(masks, axis=1)  # each row as np.packbits of its mask
    rows = []
    for k in range(len(got)):
        at = order[starts[k]:starts[k + 1]]
        rows.append({"name": name, "kind": "basin", "cls": "", "lo": np.nan, "hi": np.nan,
                     "facility": text[basin_fac[k]], "population": float(people[at].sum()),
                     "cells": len(at), "geometry": union.of_packed(packed[k].tobytes())})
    return rows
