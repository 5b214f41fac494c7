"""Run a whole study: read, route, measure coverage, write outputs (all or nothing).

:func:`run_study` is what ``geo run`` and ``geo demo`` call. Outputs go to a staging
folder beside the output folder and are moved in only when every file is written,
so a failed run leaves an earlier good output untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import io, population, townships
from geo.bands import coverage_gaps, travel_time_bands
from geo.coverage import county_summary, coverage_table, covered_areas
from geo.errors import StudyError
from geo.network.cache import load_networks
from geo.network.graph import Network
from geo.network.lines import build_network
from geo.network.osm import is_osm_file, network_from_file
from geo.routing.travel import Snap, nearest_facility, snap_points
from geo.schema import Study, load_study
from geo.standards import Standard, StandardSet, load_standards
from geo.tiers import nearest_peer

__all__ = [
    "StudyResult",
    "build_networks",
    "load_facilities_and_networks",
    "run_study",
    "snap_facilities",
    "snap_places",
    "standard_minutes",
]

log = logging.getLogger(__name__)
FloatArray = npt.NDArray[np.float64]


@dataclass
class StudyResult:
    """Everything a run computed, for writing and for the CLI summary."""

    study: Study
    area: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    standards: list[Standard]
    coverage: pd.DataFrame
    summary: pd.DataFrame
    isochrones: gpd.GeoDataFrame
    networks: dict[str, Network]
    assumptions: list[str]
    facts: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    #: travel-time bands per standard (:func:`geo.bands.travel_time_bands`)
    bands: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    #: uncovered area and people per standard and township (:func:`geo.bands.coverage_gaps`)
    gaps: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)


class _Clock:
    """Times named stages and reports each to ``progress`` as it starts."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.times: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = time.perf_counter() - t0


def _read_area(study: Study) -> gpd.GeoDataFrame:
    a = study.area
    gdf = io.read_boundaries(a["boundary"], layer=a.get("layer"))
    name = a.get("name", study.name)
    return gpd.GeoDataFrame({"name": [name]}, geometry=[gdf.union_all()], crs=4326)


def _read_facilities(study: Study, area: gpd.GeoDataFrame, known: StandardSet) -> gpd.GeoDataFrame:
    f = study.facilities
    fac = io.read_facilities(
        f["path"], lon_col=f.get("lon_col"), lat_col=f.get("lat_col"),
        id_col=f.get("id_col", "id"), crs=f.get("crs", "wgs84"), layer=f.get("layer"),
        study_area=area, outside=f.get("outside", "error"),
    )
    if "type" not in fac.columns:
        raise StudyError(
            f"facility file {f['path']} has no 'type' column: the standards pick facilities "
            f"by type ({sorted(known.facility_types)})"
        )
    fac["type"] = fac["type"].astype(str).str.strip()
    known.check_facility_types(fac["type"])
    if "name" not in fac.columns:
        fac["name"] = fac["id"]
    return fac


def _networks(study: Study, modes: set[str],
              extra_roads: gpd.GeoDataFrame | None = None) -> dict[str, Network]:
    """The study's road networks: from a network cache, an OSM extract or a line layer,
    with ``extra_roads`` (a scenario's new roads) added to a line layer."""
    r = study.roads
    path = Path(r["path"])
    speeds = r.get("speeds_kmh")
    if extra_roads is not None and len(extra_roads) and (
            path.suffix == ".npz" or is_osm_file(path)):
        raise StudyError(
            f"the scenario adds roads, but the study's roads come from {path.name}, a "
            "network cache or OSM extract that new lines cannot be noded into: point "
            "[roads] path at a road line layer (e.g. an export of the extract) to add roads"
        )
    if path.suffix == ".npz":
        return load_networks(path, sorted(modes))
    if is_osm_file(path):
        return {mode: network_from_file(path, mode=mode,
                                        speeds_kmh=speeds if mode == "drive" else None)
                for mode in sorted(modes)}
    roads = io.read_roads(path, layer=r.get("layer"))
    if extra_roads is not None and len(extra_roads):
        roads = pd.concat([roads, extra_roads.to_crs(roads.crs)], ignore_index=True)
    return {
        mode: build_network(
            roads, mode=mode, speeds_kmh=speeds if mode == "drive" else None,
            snap_tolerance_m=float(r.get("snap_tolerance_m", 100.0)),
            include_construction=bool(r.get("include_construction", False)),
            unknown_classes=r.get("unknown_classes", "error"),
            node_crossings=bool(r.get("node_crossings", True)),
        )
        for mode in sorted(modes)
    }


def _metric_xy(gdf: gpd.GeoDataFrame, net: Network) -> FloatArray:
    g = gdf.geometry.to_crs(net.crs)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def _snap(study: Study, net: Network, gdf: gpd.GeoDataFrame) -> Snap:
    exclude = tuple(study.access.get("snap_exclude", ["motorway"]))
    return snap_points(net, _metric_xy(gdf, net), exclude_classes=exclude)


def _demand(
    study: Study, area: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Grid cells and their points (the surface drawn), and demand points with population.

    For ``even`` and ``table`` the demand is the grid itself; ``points`` and ``raster``
    bring their own points, and the grid then only carries the drawn surface.
    """
    p = study.population
    spacing = float(p.get("grid_spacing_m", 1000.0))
    cells, points = population.grid_cells(area, spacing)
    method = p.get("method", "even")
    if method == "even":
        if "total" not in p:
            raise StudyError("[population] method = 'even' needs 'total' (people in the area)")
        label = p.get("label", "given total")
        return cells, points, population.spread_evenly(points, float(p["total"]), label=label)
    if method == "points":
        layer = io.read_points(p["path"], count_col=p.get("count_col", "population"),
                               lon_col=p.get("lon_col"), lat_col=p.get("lat_col"),
                               crs=p.get("crs", "wgs84"))
        return cells, points, population.from_points(layer, count_col="population")
    if method == "raster":
        raster = population.from_raster(p["path"], area, band=int(p.get("band", 1)))
        return cells, points, raster
    return cells, points, points.copy()  # "table": counts joined once townships exist


def _township_seats(study: Study) -> gpd.GeoDataFrame:
    t = study.townships
    seats = io.read_facilities(
        t["seats"], lon_col=t.get("seat_lon_col"), lat_col=t.get("seat_lat_col"),
        id_col=t.get("seat_name_col", "township"), crs=t.get("seat_crs", "wgs84"),
    )
    return seats.rename(columns={"id": "township"})


def _is_grid(demand: gpd.GeoDataFrame, grid: gpd.GeoDataFrame) -> bool:
    return len(demand) == len(grid) and bool(
        (demand["demand_id"].to_numpy() == grid["demand_id"].to_numpy()).all()
    )


def _townships(
    study: Study, cells: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, points: gpd.GeoDataFrame,
    nets: dict[str, Network],
) -> tuple[gpd.GeoDataFrame, npt.NDArray[np.object_], str]:
    """Township polygons, township per demand point, and the note (empty if official)."""
    t = study.townships
    metric = nets["drive"].crs
    if "boundaries" in t:
        polys = io.read_boundaries(t["boundaries"], layer=t.get("layer"),
                                   name_col=t.get("name_col", "name"))
        polys = polys.rename(columns={"name": "township"})
        townships.check_unique_names(polys["township"], f"township file {t['boundaries']}")
        names, _ = townships.assign_to_polygons(points, polys, metric)
        return polys[["township", "geometry"]], names, ""
    seats = _township_seats(study)
    method = t.get("method", "travel_time")
    if method == "voronoi":
        polys = townships.voronoi_areas(seats, cells, metric)
        names, _ = townships.assign_to_polygons(points, polys, metric)
        return polys, names, townships.APPROX_NOTE[method]
    net = nets["drive"]
    _, idx = nearest_facility(net, _snap(study, net, seats), _snap(study, net, grid),
                              access_speed_kmh=study.access_kmh("drive"),
                              direction="to_facility")
    cell_names = seats["township"].to_numpy(dtype=object)[idx]
    polys = townships.dissolve_cells(cells, cell_names)
    if _is_grid(points, grid):
        return polys, cell_names, townships.APPROX_NOTE[method]
    names, _ = townships.assign_to_polygons(points, polys, metric)
    return polys, names, townships.APPROX_NOTE[method]


def _minutes(
    study: Study, stds: list[Standard], fac: gpd.GeoDataFrame, nets: dict[str, Network],
    places: gpd.GeoDataFrame,
) -> tuple[dict[str, FloatArray], dict[str, npt.NDArray[np.int64]], dict[str, str]]:
    """Minutes to the nearest eligible facility per standard, and not-applicable notes."""
    minutes: dict[str, FloatArray] = {}
    nearest: dict[str, npt.NDArray[np.int64]] = {}
    notes: dict[str, str] = {}
    snaps: dict[str, Snap] = {}
    for std in stds:
        eligible = fac[fac["type"].isin(std.facility_types)]
        if eligible.empty:
            notes[std.name] = (f"not applicable: no facility of types {list(std.facility_types)} "
                               "in this study")
            continue
        net = nets[std.mode]
        if std.mode not in snaps:
            snaps[std.mode] = _snap(study, net, places)
        secs, idx = nearest_facility(
            net, _snap(study, net, eligible), snaps[std.mode],
            access_speed_kmh=study.access_kmh(std.mode), direction=std.direction,
        )
        minutes[std.name] = secs / 60.0
        nearest[std.name] = np.where(idx >= 0, eligible.index.to_numpy()[idx], -1)
    return minutes, nearest, notes


def _assumptions(study: Study, fac: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
                 town_note: str, spacing: float) -> list[str]:
    out = []
    if town_note:
        out.append(town_note)
    out.append(str(demand.attrs.get("population_method", "population as given")))
    if "location_quality" in fac.columns and fac["location_quality"].astype(str).str.contains(
        "approx", case=False
    ).any():
        out.append("approximate facility positions (see location_quality)")
    out.append(
        f"off-network access legs in straight line at {study.access_kmh('drive'):g} km/h "
        f"(drive) and {study.access_kmh('walk'):g} km/h (walk) join places to the road layer"
    )
    out.append(f"covered areas and travel-time bands drawn at the {spacing:g} m demand-grid "
               "resolution")
    return out


def load_facilities_and_networks(
    study_path: str | Path, modes: set[str]
) -> tuple[Study, gpd.GeoDataFrame, dict[str, Network]]:
    """A study's facilities (validated as in a run) and its road networks for ``modes``."""
    study = load_study(study_path)
    sset = load_standards(study.standards["file"], study.standards.get("overrides"))
    fac = _read_facilities(study, _read_area(study), sset)
    return study, fac, _networks(study, modes)


def snap_facilities(study: Study, net: Network, fac: gpd.GeoDataFrame) -> Snap:
    """Facilities joined to ``net`` with the study's ``snap_exclude`` rule."""
    return _snap(study, net, fac)


def run_study(
    study_path: str | Path, out_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> StudyResult:
    """Run a study file; write outputs to ``out_dir`` when given. See module docs."""
    study = load_study(study_path)
    clock = _Clock(progress)
    with clock.stage("read inputs"):
        sset = load_standards(study.standards["file"], study.standards.get("overrides"))
        stds = sset.select(study.standards["use"])
        area = _read_area(study)
        fac = _read_facilities(study, area, sset)
    with clock.stage("build road networks"):
        nets = _networks(study, {s.mode for s in stds} | {"drive"})
    with clock.stage("demand grid"):
        cells, grid, demand = _demand(study, area)
    with clock.stage("township areas"):
        polys, names, town_note = _townships(study, cells, grid, demand, nets)
        demand["township"] = names
        if study.population.get("method", "even") == "table":
            demand = _table_population(study, demand, polys)
    with clock.stage("travel times"):
        minutes, nearest, notes = _minutes(study, stds, fac, nets, demand)
        grid_minutes = (
            minutes if _is_grid(demand, grid) else _minutes(study, stds, fac, nets, grid)[0]
        )
    with clock.stage("coverage"):
        order = list(polys["township"])
        table = coverage_table(names, demand["population"], minutes, stds, notes, order)
        summary = county_summary(demand["population"], minutes, stds, notes, table,
                                 str(area["name"].iloc[0]))
        iso = covered_areas(cells, grid_minutes, stds, notes)
    spacing = float(study.population.get("grid_spacing_m", 1000.0))
    assumptions = _assumptions(study, fac, demand, town_note, spacing)
    for std in stds:
        if std.name in minutes:
            demand[f"minutes_{std.name}"] = minutes[std.name]
            demand[f"nearest_{std.name}"] = fac["id"].to_numpy()[nearest[std.name]]
    with clock.stage("bands and gaps"):
        bands = travel_time_bands(cells, grid_minutes, stds)
        gaps = coverage_gaps(cells, grid_minutes, polys, demand, stds)
        exclude = tuple(study.access.get("snap_exclude", ["motorway"]))
        fac = fac.join(nearest_peer(nets["drive"], fac, access_speed_kmh=study.access_kmh("drive"),
                                    exclude_classes=exclude))
    result = StudyResult(
        study, area, fac, polys, demand, cells, stds, table, summary, iso, nets, assumptions,
        _facts(study, fac, demand, nets, notes), clock.times, bands, gaps,
    )
    if out_dir is not None:
        from geo.outputs.study import write_outputs

        with clock.stage("write outputs"):
            write_outputs(result, Path(out_dir))
    return result


def _table_population(study: Study, demand: gpd.GeoDataFrame,
                      polys: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    p = study.population
    table = io.read_table(p["path"])
    out = population.from_zone_table(
        demand, polys, table, zone_key="township", table_key=p.get("table_key", "township"),
        count_col=p.get("count_col", "population"),
    )
    out["township"] = demand["township"].to_numpy()
    return out


def _facts(study: Study, fac: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
           nets: dict[str, Network], notes: dict[str, str]) -> list[str]:
    out = [
        f"study {study.name}: {study.path}",
        f"{len(fac)} facilities from {study.facilities['path'].name} "
        f"({', '.join(f'{k} {v}' for k, v in fac['type'].value_counts().items())})",
        f"{len(demand):,} demand points, population {demand['population'].sum():,.0f}",
    ]
    for mode, net in nets.items():
        out += [f"{mode} network: {line}" for line in net.report.lines()]
    out += [f"{k}: {v}" for k, v in notes.items()]
    return out


# --------------------------------------------------------------------------- reuse


def build_networks(study: Study, modes: set[str],
                   extra_roads: gpd.GeoDataFrame | None = None) -> dict[str, Network]:
    """The study's road networks per mode, as :func:`run_study` builds them.

    ``extra_roads`` (WGS84 lines with ``highway`` and optional ``oneway``/``maxspeed``)
    are added to the study's road layer first: a scenario's new road.
    """
    return _networks(study, modes, extra_roads)


def snap_places(study: Study, net: Network, places: gpd.GeoDataFrame) -> Snap:
    """Join points to ``net`` with the study's access options."""
    return _snap(study, net, places)


def standard_minutes(
    study: Study, stds: list[Standard], facilities: gpd.GeoDataFrame,
    nets: dict[str, Network], places: gpd.GeoDataFrame,
) -> tuple[dict[str, FloatArray], dict[str, npt.NDArray[np.int64]], dict[str, str]]:
    """Minutes to the nearest eligible facility per standard (as in :func:`run_study`).

    Returns minutes and the nearest facility's index label per standard, and a note
    for each standard without an eligible facility.
    """
    return _minutes(study, stds, facilities, nets, places)
