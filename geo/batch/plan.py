"""Each area's study file, input files and fingerprint, prepared before any task runs.

:func:`area_study` makes the area's :class:`~geo.study.schema.Study` from the template: the
area polygon, the area's facilities, seats or township polygons and population points
(files in the area's ``inputs/``), its population total, and the cut road network
``inputs/roads.npz``; everything else as the template says. :func:`plan_area` adds the
fingerprint of all of it (:func:`fingerprint`): an area whose ``done.json`` holds the same
fingerprint is skipped when the batch runs again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import wkb
from shapely.geometry.base import BaseGeometry

from geo import __version__
from geo.batch.areas import LAT, LON, RegionInputs, area_files, digest
from geo.batch.config import Batch
from geo.batch.studyfile import study_toml
from geo.batch.task import AreaSpec
from geo.crs import utm_crs_for
from geo.outputs.write import OUTPUT_FILES, TABLE_FILES
from geo.study import inputs
from geo.study.run import input_fingerprint
from geo.study.schema import AreaSection, RoadsSection, Study

__all__ = ["FORMAT", "area_study", "fingerprint", "plan_area", "region_standards",
           "shared_inputs"]

FORMAT = "geo-batch-area/1"


def _population(batch: Batch, area: pd.Series, inp: Path) -> Any:
    p = batch.template.population
    if p.method == "even":
        total = float(area["population"])
        what = batch.batch.population_label or (
            f"column {batch.batch.population_col} of {batch.areas_path.name}")
        return replace(p, total=total, label=f"{what}: {area['area_name']} {total:,.0f}, "
                       "spread evenly over the area")
    if p.method == "points":
        return replace(p, path=inp / "population.csv", lon_col=LON, lat_col=LAT, x_col=None,
                       y_col=None, crs="wgs84", encoding="utf-8", count_col="population")
    return p  # raster: the region's file, read within the area


def _townships(batch: Batch, inp: Path) -> Any:
    t = batch.template.townships
    if t.boundaries is not None:
        return replace(t, boundaries=inp / "townships.geojson", layer=None, crs=None,
                       encoding=None, name_col="township")
    return replace(t, seats=inp / "seats.csv", seat_name_col="township", seat_lon_col=LON,
                   seat_lat_col=LAT, seat_x_col=None, seat_y_col=None, seat_crs="wgs84",
                   encoding="utf-8")


def region_standards(batch: Batch, region: RegionInputs) -> tuple[str, ...]:
    """The template's standards the region has facilities for: each area counts them
    (0 % covered where its zone has none, stated), never as 'not applicable'."""
    t = batch.template
    types = set(region.facilities["type"])
    return tuple(s.name for s in inputs.standards(t).select(t.standards.use)
                 if types & set(s.facility_types))


def area_study(batch: Batch, area: pd.Series, folder: Path,
               applicable: tuple[str, ...] = ()) -> Study:
    """The study of one area (a row of :func:`geo.batch.areas.read_areas`) in ``folder``;
    ``applicable``: standards counted even where the area has no facility of their types
    (:func:`region_standards`)."""
    t = batch.template
    inp = folder / "inputs"
    count = batch.batch.facilities_outside == "count"
    return Study(
        path=folder / "study.toml",
        study=replace(t.study, name=str(area["folder"]),
                      title=f"{area['area_name']} · {batch.title}"),
        area=AreaSection(boundary=inp / "area.geojson", name=str(area["area_name"])),
        facilities=replace(t.facilities, path=inp / "facilities.csv", crs="wgs84",
                           lon_col=LON, lat_col=LAT, x_col=None, y_col=None, id_col="id",
                           type_col="type", type_map={}, layer=None, encoding="utf-8",
                           outside="keep" if count else "error"),
        townships=_townships(batch, inp),
        roads=RoadsSection(path=inp / "roads.npz"),
        access=t.access,
        population=_population(batch, area, inp),
        standards=replace(t.standards, file=t.standards_file,
                          always_applicable=tuple(dict.fromkeys(
                              [*t.standards.always_applicable, *applicable]))),
        checks=t.checks,  # what the template accepts, each area accepts (and states)
        measures=t.measures, response=t.response,  # each area computes the template's
    )


def fingerprint(study_text: str, files: dict[str, bytes], area_wkb: bytes, shared: dict[str, Any]
                ) -> str:
    """SHA-256 of everything an area's outputs rest on (see module docs)."""
    blob = json.dumps({"format": FORMAT, "geo": __version__, "study": study_text,
                       "files": {k: digest(v) for k, v in sorted(files.items())},
                       "area": digest(area_wkb), **shared}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def shared_inputs(batch: Batch, network_key: str) -> dict[str, Any]:
    """What every area's fingerprint includes: standards, a population raster, the network,
    the buffer and the outputs."""
    t = batch.template
    prints = input_fingerprint(t)
    return {"standards": prints.get("standards"),
            "raster": prints.get("population") if t.population.method == "raster" else None,
            "network": network_key, "buffer_km": batch.batch.buffer_km,
            "outputs": batch.batch.area_outputs,
            "facilities_outside": batch.batch.facilities_outside}


def _missing_townships(batch: Batch, region: RegionInputs, row: int, area: pd.Series) -> str:
    """Why an area cannot run (no seats or township polygons in it), or ``""``."""
    t = batch.template.townships
    frame = region.polygons if region.polygons is not None else region.seats
    if frame is not None and bool((frame["home"] == row).any()):
        return ""
    what = (f"township polygon of {t.boundaries.name}" if t.boundaries is not None
            else f"township seat of {t.seats.name if t.seats else 'the seats file'}")
    return (f"no {what} lies in {area['area_name']} ({area['area_id']}): add its townships to "
            "that file, or leave the area out with --areas")


def _beyond(batch: Batch, outside: gpd.GeoDataFrame, zone: BaseGeometry) -> dict[str, float]:
    """Per standard of the template, metres from ``zone`` to the nearest of the region's
    facilities of its types beyond it (inf: none)."""
    t = batch.template
    c = zone.centroid
    metric = utm_crs_for(c.x, c.y)
    shape = gpd.GeoSeries([zone], crs=4326).to_crs(metric).iloc[0]
    metres = outside.geometry.to_crs(metric).distance(shape).to_numpy(dtype=float)
    types = outside["type"].astype(str).to_numpy()
    return {s.name: float(np.min(metres[np.isin(types, s.facility_types)], initial=np.inf))
            for s in inputs.standards(t).select(t.standards.use)}


def plan_area(batch: Batch, areas: pd.DataFrame, row: int, zone: BaseGeometry,
              region: RegionInputs, out: Path, network: Path, modes: tuple[str, ...],
              shared: dict[str, Any]) -> AreaSpec | str:
    """The task of area ``row``, or the reason it cannot run."""
    area = areas.iloc[row]
    if why := _missing_townships(batch, region, row, area):
        return why
    folder = out / "areas" / str(area["folder"])
    files = area_files(region, areas, row, zone,
                       batch.batch.facilities_outside == "count")
    study = area_study(batch, area, folder, region_standards(batch, region))
    text = study_toml(study, f"{area['area_name']} ({area['area_id']}): written by geo batch "
                      f"from {batch.path.name}; `geo run` on this file reproduces its outputs")
    area_wkb = wkb.dumps(area.geometry)
    parts = OUTPUT_FILES if batch.batch.area_outputs == "all" else TABLE_FILES
    fac = region.facilities
    in_zone = np.zeros(len(fac), dtype=bool)
    in_zone[fac.sindex.query(zone, predicate="intersects")] = True
    given = (fac["home"] == row).to_numpy() | (in_zone if batch.batch.facilities_outside ==
                                                "count" else False)
    absent = tuple((float(g.x), float(g.y), str(t)) for g, t in
                   zip(fac.geometry[in_zone & ~given], fac["type"][in_zone & ~given],
                       strict=True))
    beyond = _beyond(batch, fac[~in_zone], zone)
    return AreaSpec(
        area_id=str(area["area_id"]), area_name=str(area["area_name"]), folder=folder,
        zone_wkb=wkb.dumps(zone), study_text=text, files=files, network=network, modes=modes,
        min_component_share=batch.template.roads.min_component_share,
        buffer_km=batch.batch.buffer_km, outputs=tuple(parts),
        fingerprint=fingerprint(text, files, area_wkb, shared), absent=absent,
        beyond_m=beyond,
    )
