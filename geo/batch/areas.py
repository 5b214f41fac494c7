"""The areas of a batch and what each one gets from the region's inputs.

:func:`read_areas` reads the areas layer (ids unique, names, population per area, a folder
name per area). :func:`region_inputs` reads the template's region-wide facility list,
township seats or polygons and population points once, and assigns every point to the
area it lies in (:func:`home_areas`: inside, else the nearest area within
:data:`HOME_TOLERANCE_M`, else none, and the batch summary lists those). :func:`area_files`
gives one area its input files as bytes: the area polygon, the facilities in it (and, with
``facilities_outside = "count"``, those of the buffer, flagged ``outside_area``), its
township seats or polygons and its population points, all in WGS84.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo import readers
from geo.batch.config import Batch
from geo.crs import utm_crs_for
from geo.errors import BatchError
from geo.readers.points import check_duplicates
from geo.study import inputs

__all__ = ["HOME_TOLERANCE_M", "LAT", "LON", "RegionInputs", "area_files", "buffer_zones",
           "digest", "home_areas", "read_areas", "region_inputs"]

#: a point this close (metres) outside every area belongs to the nearest one: boundaries
#: drawn from GCJ-02 maps are off by up to ~100 m, and the facility reader allows 1 km
HOME_TOLERANCE_M = 1000.0
#: coordinate columns of the per-area tables (WGS84)
LON, LAT = "wgs84_lon", "wgs84_lat"
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def _folder(ident: str) -> str:
    name = _UNSAFE.sub("_", ident).strip("._") or "area"
    return name[:80]


def read_areas(batch: Batch, only: list[str] | None = None) -> gpd.GeoDataFrame:
    """The areas: ``area_id``, ``area_name``, ``folder``, ``population`` (or NaN),
    ``selected`` (in ``only``, or all without it) and the polygon in WGS84, in file order.
    Every area is read, selected or not: points are assigned among all of them."""
    b = batch.batch
    own = b.layer or (batch.template.area.layer if b.areas is None else None)
    layer = readers.read_boundaries(batch.areas_path, layer=own)
    for col, opt_name in ((b.id_col, "id_col"), (b.name_col, "name_col"),
                          (b.population_col, "population_col")):
        if col is not None and col not in layer.columns:
            cols = [c for c in layer.columns if c != "geometry"]
            raise BatchError(f"the areas layer {batch.areas_path.name} has no column {col!r}: "
                             f"set [batch] {opt_name} to one of {', '.join(map(str, cols))}")
    ids = layer[b.id_col].astype(str).str.strip()
    if (twice := sorted(set(ids[ids.duplicated()]))) or (ids == "").any():
        raise BatchError(f"area ids in column {b.id_col!r} of {batch.areas_path.name} must be "
                         f"unique and not empty (repeated: {twice[:10]}): set [batch] id_col "
                         "to a column of unique ids")
    pop = (_area_people(layer, b.population_col, ids, batch.areas_path.name)
           if b.population_col else pd.Series(np.nan, index=layer.index))
    out = gpd.GeoDataFrame({"area_id": ids,
                            "area_name": layer[b.name_col].astype(str).str.strip(),
                            "population": pop.astype(float)}, geometry=layer.geometry, crs=4326)
    out["folder"] = [_folder(i) for i in ids]
    if (clash := out["folder"][out["folder"].duplicated()]).any():
        raise BatchError(f"area ids {sorted(set(clash))[:10]} give the same folder name: make "
                         f"the ids in column {b.id_col!r} differ in letters or digits")
    if only:
        unknown = [i for i in only if i not in set(ids)]
        if unknown:
            raise BatchError(f"--areas names ids {unknown} that the areas layer does not have; "
                             f"its ids are e.g. {', '.join(list(ids)[:8])}")
    out["selected"] = ids.isin(only).to_numpy() if only else True
    return out


def _area_people(layer: gpd.GeoDataFrame, col: str, ids: pd.Series, name: str) -> pd.Series:
    """People per area from ``col``: numbers >= 0 ('1,234' read), else a stop naming the
    areas (a text or empty cell would spread 'nan' people over the area)."""
    raw = layer[col]
    text = raw.map(lambda v: str(v).replace(",", "").strip() if isinstance(v, str) else v)
    pop = pd.to_numeric(text, errors="coerce").astype(float)
    bad = ~np.isfinite(pop) | (pop < 0)
    if bad.any():
        listed = ", ".join(f"{i} ({v!r})" for i, v in zip(ids[bad], raw[bad], strict=True))
        raise BatchError(f"column {col!r} of {name} must give every area its people as a "
                         f"number >= 0; these do not: {listed}. Fill them in, or name another "
                         "column with [batch] population_col")
    return pop


def buffer_zones(areas: gpd.GeoDataFrame, buffer_m: float) -> list[BaseGeometry]:
    """Each area grown by ``buffer_m`` in its own UTM zone, back in WGS84."""
    out = []
    for geom in areas.geometry:
        c = geom.centroid
        metric = utm_crs_for(c.x, c.y)
        grown = gpd.GeoSeries([geom], crs=4326).to_crs(metric).buffer(buffer_m)
        out.append(grown.to_crs(4326).iloc[0])
    return out


def home_areas(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame,
               tolerance_m: float = HOME_TOLERANCE_M) -> npt.NDArray[np.int64]:
    """Index (row of ``areas``) of the area each point lies in; -1 for none (see module)."""
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return out
    pairs = areas.sindex.query(points.geometry, predicate="within")
    first = pd.Series(pairs[1]).groupby(pairs[0]).min()  # the first area listed wins
    out[first.index.to_numpy()] = first.to_numpy()
    loose = np.flatnonzero(out < 0)
    if len(loose):
        c = areas.union_all().centroid
        metric = utm_crs_for(c.x, c.y)
        near = gpd.sjoin_nearest(points.iloc[loose].to_crs(metric)[["geometry"]],
                                 areas.to_crs(metric)[["geometry"]], how="left",
                                 max_distance=tolerance_m)
        near = near[~near.index.duplicated()]["index_right"]
        hit = near.notna().to_numpy()
        out[loose[hit]] = near.to_numpy()[hit].astype(np.int64)
    return out


@dataclass
class RegionInputs:
    """The template's region-wide inputs, read once, each point with its home area."""

    facilities: gpd.GeoDataFrame
    seats: gpd.GeoDataFrame | None
    polygons: gpd.GeoDataFrame | None
    points: gpd.GeoDataFrame | None
    notes: list[str] = field(default_factory=list)


def region_inputs(batch: Batch, areas: gpd.GeoDataFrame) -> RegionInputs:
    """Read the template's facilities, seats or polygons and points; add ``home`` (row of
    ``areas`` or -1)."""
    t = batch.template
    f = t.facilities
    fac = readers.read_facilities(
        f.path, lon_col=f.lon_col, lat_col=f.lat_col, x_col=f.x_col, y_col=f.y_col,
        id_col=f.id_col, crs=f.crs, layer=f.layer, encoding=f.encoding, type_col=f.type_col,
        type_map=f.type_map)
    inputs.standards(t).check_facility_types(fac["type"])
    if "name" not in fac.columns:
        fac["name"] = fac["id"]
    notes = list(fac.attrs.get("notes", []))
    if note := check_duplicates(fac, f.duplicates):
        notes.append(note)
    fac["home"] = home_areas(fac, areas)
    seats = polys = points = None
    if t.townships.boundaries is not None:
        polys = inputs.township_polygons(t)
        polys["home"] = home_areas(gpd.GeoDataFrame(
            geometry=polys.geometry.representative_point(), crs=4326), areas)
        notes += polys.attrs.get("notes", [])
    else:
        seats = inputs.seats(t)
        seats["home"] = home_areas(seats, areas)
        notes += seats.attrs.get("notes", [])
    p = t.population
    if p.method == "points":
        assert p.path is not None
        points = readers.read_points(p.path, count_col=p.count_col, lon_col=p.lon_col,
                                lat_col=p.lat_col, x_col=p.x_col, y_col=p.y_col, crs=p.crs,
                                encoding=p.encoding)
        points["home"] = home_areas(points, areas)
        notes += points.attrs.get("notes", [])
    return RegionInputs(fac, seats, polys, points, list(dict.fromkeys(notes)))


def _csv(frame: gpd.GeoDataFrame) -> bytes:
    """Points as a UTF-8 CSV with ``wgs84_lon``/``wgs84_lat`` (full precision), no home."""
    table = pd.DataFrame(frame.drop(columns=["geometry", "home", LON, LAT], errors="ignore"))
    table[LON] = frame.geometry.x.to_numpy()
    table[LAT] = frame.geometry.y.to_numpy()
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def area_files(region: RegionInputs, areas: gpd.GeoDataFrame, row: int, zone: BaseGeometry,
               count_outside: bool) -> dict[str, bytes]:
    """The input files of area ``row`` (name inside ``inputs/`` -> content; see module)."""
    area = areas.iloc[[row]]
    files = {"area.geojson": gpd.GeoDataFrame(
        {"id": area["area_id"].to_numpy(), "name": area["area_name"].to_numpy()},
        geometry=area.geometry.to_numpy(), crs=4326).to_json(drop_id=True).encode("utf-8")}
    fac = region.facilities
    mine = (fac["home"] == row).to_numpy().copy()
    if count_outside:
        mine[fac.sindex.query(zone, predicate="intersects")] = True
    chosen = fac[mine].copy()
    chosen["area_id"] = [areas["area_id"].iloc[h] if h >= 0 else "" for h in chosen["home"]]
    chosen["outside_area"] = (chosen["home"] != row).to_numpy()
    files["facilities.csv"] = _csv(chosen)
    if region.seats is not None:
        files["seats.csv"] = _csv(region.seats[region.seats["home"] == row])
    if region.polygons is not None:
        polys = region.polygons[region.polygons["home"] == row].drop(columns="home")
        files["townships.geojson"] = polys.to_json(drop_id=True).encode("utf-8")
    if region.points is not None:
        files["population.csv"] = _csv(region.points[region.points["home"] == row])
    return files


def digest(data: bytes) -> str:
    """SHA-256 of ``data`` (hex)."""
    return hashlib.sha256(data).hexdigest()
