"""A study's input files, read and checked as its schema says (no routing here).

Each function takes the validated :class:`~geo.study.schema.Study` and returns frames in
WGS84: the study area, the facilities (checked against the standards' facility types),
the township seats or polygons, the demand grid and the demand points with population.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields

import geopandas as gpd
import pandas as pd

from geo import readers
from geo.coverage import population
from geo.coverage.population import group_column
from geo.coverage.standards import StandardSet, load_standards
from geo.crs import utm_crs_for
from geo.errors import ColumnError, CoordinateError, MeasureError, StudyError, given_as
from geo.measures.specs import MeasureSet, MeasureSpec, ResponseSpec, load_measure_specs
from geo.network.graph import Network
from geo.network.sources import RoadOptions, networks_from_source
from geo.options import closest
from geo.readers.columns import NAME_COLUMNS, bracketed, find_optional
from geo.readers.points import check_duplicates
from geo.settings import OUTSIDE_TOLERANCE_M
from geo.study.schema import Study

__all__ = [
    "STUDY_KEYS",
    "area",
    "demand",
    "facilities",
    "from_study_file",
    "join_population_table",
    "measures",
    "networks",
    "population_groups",
    "population_table",
    "road_options",
    "seats",
    "standards",
    "township_polygons",
]


def standards(study: Study) -> StandardSet:
    """Return the standards file with the study's overrides."""
    return load_standards(study.standards_file, study.standards.overrides)


def _names_in_use(kind: str, use: tuple[str, ...], have: dict[str, object],
                  other: dict[str, object], other_kind: str, path: str) -> None:
    for name in use:
        if name in have:
            continue
        if name in other:
            raise StudyError(f"[{kind}] use names {name!r}, a [{other_kind}.NAME] spec of "
                             f"{path}: list it under [{other_kind}] use")
        raise StudyError(f"[{kind}] use names {name!r}, which {path} does not define"
                         f"{closest(name, have)}. It defines: {', '.join(have) or '(none)'}")


def measures(study: Study) -> tuple[MeasureSet, list[MeasureSpec], list[ResponseSpec]]:
    """Return the measure and response specs of the standards file with the study's overrides.

    Also return those the study uses (``[measures] use``, ``[response] use``), in order.

    Names not in the file stop with the closest one; so does a ``[measures]
    stated_totals`` column that no measure of the file takes its supply from.
    """
    m, r = study.measures, study.response
    path = study.standards_file
    plain = load_measure_specs(path)
    _names_in_use("measures", m.use, dict(plain.measures), dict(plain.responses), "response",
                  path.name)
    _names_in_use("response", r.use, dict(plain.responses), dict(plain.measures), "measures",
                  path.name)
    columns = {s.supply for s in plain.measures.values() if s.supply}
    for col in m.stated_totals:
        if col not in columns:
            raise StudyError(f"[measures] stated_totals names {col!r}, which no measure of "
                             f"{path.name} takes its supply from{closest(col, columns)}. "
                             f"Supply columns there: {', '.join(sorted(columns)) or '(none)'}")
    overrides = {**m.overrides, **r.overrides}
    try:
        full = load_measure_specs(path, overrides) if overrides else plain
    except MeasureError as e:
        raise MeasureError(f"{e} (with the study's [measures] / [response] overrides)") from e
    return (full, [full.measures[n] for n in m.use], [full.responses[n] for n in r.use])


def area(study: Study) -> gpd.GeoDataFrame:
    """Return the study area as one (multi)polygon named after ``[area] name``."""
    a = study.area
    gdf = readers.read_boundaries(a.boundary, layer=a.layer, crs=a.crs, encoding=a.encoding)
    out = gpd.GeoDataFrame({"name": [a.name or study.name]}, geometry=[gdf.union_all()],
                           crs=4326)
    out.attrs.update({k: gdf.attrs.get(k) for k in ("source", "input_crs", "encoding")},
                     features=len(gdf),
                     notes=list(gdf.attrs.get("notes", [])))  # what reading it did, stated
    return out


def facilities(study: Study, area: gpd.GeoDataFrame, known: StandardSet) -> gpd.GeoDataFrame:
    """Return the facility list, inside ``area`` as ``[facilities] outside`` says, types checked."""
    f = study.facilities
    fac = readers.read_facilities(
        f.path, lon_col=f.lon_col, lat_col=f.lat_col, x_col=f.x_col, y_col=f.y_col,
        id_col=f.id_col, crs=f.crs, layer=f.layer, encoding=f.encoding, type_col=f.type_col,
        type_map=f.type_map, study_area=area, outside=f.outside,  # type: ignore[arg-type]
    )
    known.check_facility_types(fac["type"])
    col = find_optional(fac.columns, f.name_col, NAME_COLUMNS)
    if f.name_col is not None and col is None:
        raise ColumnError(f"{f.path.name} has no column {f.name_col!r} of facility names; its "
                          f"columns are {fac.attrs.get('columns')}: fix [facilities] "
                          "name_col, or remove it to use the ids as names")
    if col is None:
        fac["name"] = fac["id"]
    elif col != "name":
        if "name" in fac.columns:
            fac = fac.rename(columns={"name": "name_original"})
        fac["name"] = fac[col].where(fac[col].notna(), fac["id"]).astype(str)
    blank = fac["name"].isna() | (fac["name"].astype(str).str.strip() == "")
    fac["name"] = fac["name"].where(~blank, fac["id"]).astype(str).str.strip()  # 'X院 '
    note = check_duplicates(fac, f.duplicates)
    if note:  # kept as the study says: stated in every output
        fac.attrs["notes"] = [*fac.attrs.get("notes", []), note]
    return fac


def seats(study: Study) -> gpd.GeoDataFrame:
    """Return township seat points with a ``township`` column (``[townships] seats``)."""
    t = study.townships
    if t.seats is None:
        raise StudyError("[townships] seats is not set: this needs township seat points")
    seats = readers.read_facilities(t.seats, lon_col=t.seat_lon_col, lat_col=t.seat_lat_col,
                               x_col=t.seat_x_col, y_col=t.seat_y_col, id_col=t.seat_name_col,
                               crs=t.seat_crs, encoding=t.encoding)
    return seats.rename(columns={"id": "township"})


def township_polygons(study: Study) -> gpd.GeoDataFrame:
    """Return official township polygons (``[townships] boundaries``) with a ``township`` column."""
    t = study.townships
    assert t.boundaries is not None
    polys = readers.read_boundaries(t.boundaries, layer=t.layer, name_col=t.name_col, crs=t.crs,
                               encoding=t.encoding)
    if "township" in polys.columns:  # the file's own column of that name: kept aside
        polys = polys.rename(columns={"township": "township_original"})
    return polys.rename(columns={"name": "township"})


def demand(
    study: Study, area: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return grid cells and their points (the surface drawn), and demand points with population.

    For ``even`` and ``table`` the demand is the grid itself; ``points`` and ``raster``
    bring their own points, and the grid then only carries the drawn surface. With
    ``table`` the counts are joined later, once townships exist.
    """
    p = study.population
    cells, points = population.grid_cells(area, p.grid_spacing_m)
    if p.method == "even":
        assert p.total is not None
        return cells, points, population.spread_evenly(points, p.total,
                                                       label=p.label or "given total")
    if p.method == "points":
        assert p.path is not None
        layer = readers.read_points(p.path, count_col=p.count_col, lon_col=p.lon_col,
                               lat_col=p.lat_col, x_col=p.x_col, y_col=p.y_col, crs=p.crs,
                               encoding=p.encoding)
        return cells, points, _inside(population.from_points(layer, count_col="population"),
                                      area)
    if p.method == "raster":
        assert p.path is not None
        return cells, points, population.from_raster(p.path, area, band=p.band)
    return cells, points, points.copy()


def _inside(demand: gpd.GeoDataFrame, area: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep the population points within :data:`geo.settings.OUTSIDE_TOLERANCE_M` of the area.

    The others are left out and the method says how many people (as a raster's pixels are).
    """
    shape = area.union_all()
    metric = utm_crs_for(shape.centroid.x, shape.centroid.y)
    region = gpd.GeoSeries([shape], crs=area.crs).to_crs(metric).iloc[0]
    far = demand.geometry.to_crs(metric).distance(region).to_numpy() > OUTSIDE_TOLERANCE_M
    if not far.any():
        return demand
    if far.all():
        raise CoordinateError(
            "every population point lies outside the study area: check [population] crs "
            "and the coordinate columns ([population] lon_col / lat_col, x_col / y_col)")
    out = demand.loc[~far].reset_index(drop=True)
    out["demand_id"] = range(len(out))
    people = float(demand["population"].to_numpy()[far].sum())
    out.attrs = {**demand.attrs, "population_method": (
        f"{demand.attrs.get('population_method', '')}; {int(far.sum()):,} points "
        f"({people:,.0f} people) more than {OUTSIDE_TOLERANCE_M / 1000:g} km outside the "
        "study area left out")}
    return out


#: (function, parameter) -> ([section], key): the study-file key whose value a study passes
#: to each library parameter, so that errors name the key (:func:`from_study_file`)
STUDY_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("networks_from_source", "path"): ("roads", "path"),
    **{("RoadOptions", f.name): ("roads", f.name) for f in fields(RoadOptions)},
    ("snap_points", "exclude_classes"): ("access", "snap_exclude"),
}


def from_study_file() -> AbstractContextManager[None]:
    """Make errors raised in the block name the study-file keys that fed the parameters.

    The keys are those of :data:`STUDY_KEYS`; the library's parameter names are not shown.
    """
    return given_as(STUDY_KEYS)


def networks(study: Study, modes: Iterable[str],
             extra_roads: gpd.GeoDataFrame | None = None) -> dict[str, Network]:
    """Return the study's road source as one network per mode, read with its ``[roads]`` options.

    ``extra_roads``: a scenario's new roads
    (:func:`geo.network.sources.networks_from_source`). Errors name the study-file keys.
    """
    with from_study_file():
        return networks_from_source(study.roads.path, modes, road_options(study), extra_roads)


def road_options(study: Study) -> RoadOptions:
    """Return ``[roads]`` as the network builders take it."""
    r = study.roads
    return RoadOptions(
        layer=r.layer, crs=r.crs, encoding=r.encoding, class_col=r.class_col,
        speeds_kmh=r.speeds_kmh,
        snap_tolerance_m=r.snap_tolerance_m,
        include_construction=r.include_construction, unknown_classes=r.unknown_classes,
        node_crossings=r.node_crossings, min_component_share=r.min_component_share,
    )


def _population_columns(study: Study, table: pd.DataFrame) -> str:
    """Return the table's key column (names, or codes with ``code_col``).

    It comes after checking that it and the count column exist.
    """
    p = study.population
    assert p.path is not None
    key, option = (p.code_col, "code_col") if p.code_col else (p.table_key, "table_key")
    for col, opt, what in ((key, option, "township names or codes"),
                           (p.count_col, "count_col", "people")):
        if col not in table.columns:
            fits = bracketed(table.columns, col)
            which = (f"; {len(fits)} columns could be it ({', '.join(map(repr, fits))}) and "
                     "none is taken without the option" if len(fits) > 1 else "")
            raise ColumnError(f"the population table {p.path.name} has no column {col!r} of "
                              f"{what}{which}; its columns are {[str(c) for c in table.columns]}"
                              f": set [population] {opt} naming the one to use")
    return key


def population_table(study: Study) -> pd.DataFrame:
    """Read the population table of ``[population] method = "table"``.

    The table is checked row by row, its total rows checked and left out
    (:func:`geo.coverage.population.zone_table`).
    """
    p = study.population
    assert p.path is not None
    table = readers.read_table(p.path, encoding=p.encoding)
    key = _population_columns(study, table)
    kept = population.zone_table(table, table_key=key, count_col=p.count_col)[0]
    if p.groups:
        population_groups(study, table)
    return kept


def population_groups(study: Study, table: pd.DataFrame | None = None
                      ) -> tuple[pd.DataFrame, list[str]]:
    """Read ``[population] groups``.

    Each township's group counts, checked against its total
    (:func:`geo.coverage.population.group_table`), and the notes on reading them.
    """
    p = study.population
    assert p.path is not None
    if table is None:
        table = readers.read_table(p.path, encoding=p.encoding)
    key = _population_columns(study, table)
    return population.group_table(table, table_key=key, count_col=p.count_col,
                                  groups=p.groups, partition=p.partition)


def join_population_table(study: Study, demand: gpd.GeoDataFrame,
                          polys: gpd.GeoDataFrame, rename: Mapping[object, str] | None = None,
                          notes: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Spread township counts over their demand points (``[population] method = "table"``).

    ``rename``: the table's names as the townships write them (from
    :func:`geo.readers.names.match_names`); ``notes``: how they were joined, stated in
    the outputs with the table's own notes.
    """
    p = study.population
    assert p.path is not None
    table = readers.read_table(p.path, encoding=p.encoding)
    _population_columns(study, table)
    if rename and p.code_col is None:
        attrs = dict(table.attrs)
        table[p.table_key] = table[p.table_key].map(lambda v: rename.get(v, v))
        table.attrs = attrs
    if p.code_col is not None and "code" not in polys.columns:
        raise StudyError(
            f"[population] code_col = {p.code_col!r} joins by 12-digit township codes, but the "
            "township file has none: name its code column ([townships] code_col or "
            "seat_code_col), or join by name with [population] table_key")
    zone_key, table_key = ("code", p.code_col) if p.code_col else ("township", p.table_key)
    # one point-in-polygon rule: the table's counts go to the points the run labelled with
    # each township, so every township's population equals its table row exactly
    position = {str(n): i for i, n in enumerate(polys["township"])}
    zone_of = [position.get(str(n), -1) for n in demand["township"]]
    out = population.from_zone_table(demand, polys, table, zone_key=zone_key,
                                     table_key=table_key, count_col=p.count_col, zone_of=zone_of)
    out["township"] = demand["township"].to_numpy()
    out.attrs["notes"] = [*table.attrs.get("notes", []), *notes]  # e.g. its encoding
    if p.groups:
        _, group_notes = population_groups(study, table)
        for column, name in p.groups.items():
            # the total's rule: each township's group count spread over its points by area
            spread = population.from_zone_table(demand, polys, table, zone_key=zone_key,
                                                table_key=table_key, count_col=column,
                                                zone_of=zone_of)
            out[group_column(name)] = spread["population"].to_numpy()
        out.attrs["population_groups"] = dict(p.groups)
        out.attrs["population_method"] += (
            f"; population groups {', '.join(f'{n} (column {c!r})' for c, n in p.groups.items())}"
            " spread over each township's demand points as its total is, in proportion to area"
            + "".join(f"; {n}" for n in group_notes if n not in out.attrs["population_method"]))
    got = float(out["population"].sum())
    if p.total is not None and abs(got - p.total) > 0.5:
        raise StudyError(
            f"[population] total = {p.total:,.0f} disagrees with the table {p.path.name}, "
            f"whose townships sum to {got:,.0f} people: correct the total or the table, or "
            "remove [population] total to use the table as it is")
    return out
