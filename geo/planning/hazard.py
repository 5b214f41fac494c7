"""Hazard scenarios: flood extents or landslide zones that close the roads they touch.

A flood extent or landslide zones (polygon layers) close every road they touch, and the study
is compared before and after (``geo resilience STUDY --hazard FILE``).

Each layer is read as every other polygon input is (:func:`geo.readers.read_boundaries`:
any vector file, its CRS or ``--hazard-crs`` for a file without one, GCJ-02/BD-09, encodings,
invalid polygons repaired and said), checked (not empty, inside or touching the study area),
and turned into one ``close_road`` action of a scenario made in code; the comparison is
:func:`geo.planning.compare.compare_scenario`'s: coverage before and after by township and
standard, and in its notes the facilities and places that stood on a closed road, the
facilities the closures cut off from most of the network, and what each layer says of
itself (a ``note`` column: e.g. that an extent is illustrative).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from geo import crs as gcrs
from geo import readers
from geo.errors import Arg, InputFileError
from geo.planning.compare import Comparison, compare_scenario
from geo.planning.scenario import Scenario
from geo.study.run import ComputedStudy

__all__ = ["hazard_comparison", "hazard_scenario"]


def _layer(path: Path, crs: str | None, area: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    arg = Arg("hazard_comparison", "hazards", str(path))
    if not path.is_file():
        raise InputFileError(arg, ": no such file: give a polygon layer (.geojson, .gpkg, "
                             ".shp) of the flooded or unstable area")
    gdf = readers.read_boundaries(path, crs=crs)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if len(gdf) == 0:
        raise InputFileError(arg, ": the layer holds no polygon: give the hazard's extent "
                             "(an empty layer would compare the study with itself)")
    shape = area.to_crs(4326).union_all()
    if not gdf.intersects(shape).any():
        metric = gcrs.utm_crs_for(shape.centroid.x, shape.centroid.y)
        km = float(gdf.to_crs(metric).distance(
            gpd.GeoSeries([shape], crs=4326).to_crs(metric).iloc[0]).min()) / 1000.0
        raise InputFileError(arg, f": the hazard lies {km:,.1f} km outside the study area: is "
                             "it another county's, or in another coordinate system (a file "
                             "without one: --hazard-crs; AMap/Baidu drawings: gcj02/bd09)?")
    return gdf


def hazard_scenario(result: ComputedStudy, hazards: Sequence[str | os.PathLike[str]],
                    crs: str | None = None) -> Scenario:
    """Return a scenario closing every road the polygons of ``hazards`` (files) touch.

    One ``close_road`` action per layer, named by its file; the layers' ``note`` values join the
    notes.
    """
    actions, notes, names = [], [], []
    for h in hazards:
        path = Path(h)
        gdf = _layer(path, crs, result.area)
        said = sorted({str(x) for x in gdf.get("note", []) if str(x).strip() and
                       str(x) != "nan"})
        actions.append({"action": "close_road", "geometry": gdf.union_all(),
                        "project": path.name, "note": "; ".join(said)})
        notes += [f"{path.name}: {x}" for x in said]
        names.append(path.stem)
    title = "hazard: " + ", ".join(names)
    desc = " ".join([f"roads touched by {len(hazards)} hazard layer(s) closed", *notes])
    return Scenario(Path(hazards[0]), "hazard", title, desc, actions, [])


def hazard_comparison(result: ComputedStudy, hazards: Sequence[str | os.PathLike[str]],
                      crs: str | None = None) -> Comparison:
    """Compare the study before and after the roads that ``hazards`` touch are closed.

    See module docs.
    """
    scen = hazard_scenario(result, hazards, crs)
    comp = compare_scenario(result, scen)
    comp.notes[:0] = [f"hazard {a['project']}: {a['note']}" for a in scen.actions
                      if a.get("note")]
    return comp
