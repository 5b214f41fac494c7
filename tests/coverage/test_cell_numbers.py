"""Cell values as numbers (geo.coverage.surfaces.cell_numbers) and the classes drawn from them.

A measure's index per grid cell is the value of the cell's demand point with the most
people; ``cell_numbers`` gives it as floats (NaN: no point in the cell) where
``cell_values`` gives objects (None). Checked by hand on a small layout (points shared by
cells, ties in people, empty cells), and ``classes`` on either form: the same rows.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.coverage.surfaces import access_bounds, cell_numbers, cell_values, classes


def _cells(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.box(k, 0, k + 1, 1) for k in range(n)],
                            crs=32649)


def test_each_cell_takes_its_most_populous_point_by_hand() -> None:
    values = np.array([0.5, 2.0, 7.25, 1.0, 3.0, 9.0])
    pop = np.array([10.0, 30.0, 30.0, 5.0, 0.0, 4.0])
    cell_of = np.array([0, 0, 0, 2, 3, -1])  # cell 1 has none; point 5 is in no cell
    got, people = cell_numbers(values, pop, cell_of, 4)
    # cell 0: points 1 and 2 tie on 30 people, the first listed wins; cell 3: 0 people
    np.testing.assert_array_equal(got, [2.0, np.nan, 1.0, 3.0])
    np.testing.assert_array_equal(people, [70.0, 0.0, 5.0, 0.0])
    objects, people_o = cell_values(values, pop, cell_of, 4)
    assert list(objects) == [2.0, None, 1.0, 3.0]
    np.testing.assert_array_equal(people, people_o)


def test_classes_of_numbers_and_of_objects_are_the_same_rows() -> None:
    rng = np.random.default_rng(9)
    n = 300
    values = np.round(rng.uniform(0, 4, 500), 1)  # many values on the class edges
    values[:40] = 0.0
    pop = rng.integers(0, 50, 500).astype(float)
    cell_of = rng.integers(-1, n, 500)
    nums, people = cell_numbers(values, pop, cell_of, n)
    objs, _ = cell_values(values, pop, cell_of, n)
    bounds = access_bounds([1.0, 2.0, 3.0, np.inf])
    cells = _cells(n)
    a = classes("m", "access", cells, objs, people, bounds, False, keep_empty=True)
    b = classes("m", "access", cells, nums, people, bounds, False, keep_empty=True)
    assert [{k: r[k] for k in r if k != "geometry"} for r in a] == \
        [{k: r[k] for k in r if k != "geometry"} for r in b]
    for ra, rb in zip(a, b, strict=True):
        assert (ra["geometry"] is None) == (rb["geometry"] is None)
        if ra["geometry"] is not None:
            assert shapely.equals_exact(ra["geometry"], rb["geometry"], 0)
    # the test can fail: cells without a point, and values exactly on the edges
    assert np.isnan(nums).sum() > 0 and np.isin(nums, [0.0, 1.0, 2.0, 3.0]).sum() > 10
    # by hand: the class (1, 2] holds the cells whose value is in it
    inside = (nums > 1.0) & (nums <= 2.0)
    row = next(r for r in b if r["lo"] == 1.0)
    assert row["cells"] == int(inside.sum())
    assert row["population"] == float(people[inside].sum())


def _basins_by_id(name: str, cells: Any, cell_ids: np.ndarray, people: np.ndarray,
                  union: Any) -> list[dict[str, object]]:
    """The basins one cell and one id at a time (how geo drew them before basin_areas_of):
    each cell's facility id (None: none), numbered in the order the ids first appear."""
    code: dict[str, int] = {}
    text = [None if x is None else x if type(x) is str else str(x) for x in cell_ids]
    codes = np.fromiter((code.setdefault(x, len(code)) if x else -1 for x in text),
                        dtype=np.int64, count=len(text))
    order = np.argsort(codes, kind="stable")  # each basin's cells in their order
    starts = np.searchsorted(codes[order], np.arange(len(code) + 1))
    rows = []
    for k, fid in enumerate(code):
        at = order[starts[k]:starts[k + 1]]
        inside = np.zeros(len(codes), dtype=bool)
        inside[at] = True
        rows.append({"name": name, "kind": "basin", "cls": "", "lo": np.nan, "hi": np.nan,
                     "facility": fid, "population": float(people[at].sum()),
                     "cells": len(at), "geometry": union(inside)})
    return rows


def test_basins_of_facility_positions_are_the_basins_of_their_ids() -> None:
    """basin_areas_of (positions) against the basins drawn from ids per cell: the same rows."""
    from geo.coverage.surfaces import CellUnions, basin_areas_of, cell_facility

    rng = np.random.default_rng(4)
    n, n_fac = 250, 30
    ids = np.array([f"F{k:02d}" for k in range(n_fac)], dtype=object)
    ids[7], ids[19] = "F03", ""  # two facilities with one id share a basin; "" is none
    nearest = rng.integers(-1, n_fac, 600)
    pop = rng.integers(0, 40, 600).astype(float)
    cell_of = rng.integers(-1, n, 600)
    cells = _cells(n)
    fac = cell_facility(nearest, pop, cell_of, n)
    served_by = np.where(nearest >= 0, ids[np.maximum(nearest, 0)], "").astype(object)
    cell_ids, people = cell_values(served_by, pop, cell_of, n)
    # by hand: a cell's facility is its most populous point's (the first of equal ones)
    for c in range(0, n, 17):
        pts = np.flatnonzero(cell_of == c)
        want = -1 if len(pts) == 0 else nearest[pts[np.argmax(pop[pts])]]
        assert fac[c] == want
    for later in (False, True):
        a = _basins_by_id("m", cells, cell_ids, people, CellUnions(cells, later=later))
        b = basin_areas_of("m", cells, fac, ids, people, CellUnions(cells, later=later))
        assert [{k: v for k, v in r.items() if k != "geometry"} for r in a] == \
            [{k: v for k, v in r.items() if k != "geometry"} for r in b]
        for ra, rb in zip(a, b, strict=True):
            ga, gb = ra["geometry"], rb["geometry"]
            if later:
                assert ga.key == gb.key  # type: ignore[attr-defined]
            else:
                assert shapely.equals_exact(ga, gb, 0)
    # the test can fail: many basins, a shared id, cells with no point or nobody served
    names = [r["facility"] for r in b]
    assert len(names) > 20 and "F03" in names and "" not in names
    assert (fac == -1).sum() > 10
