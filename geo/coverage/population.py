"""Demand points: where people live and how many, for accessibility analysis.

Demand is a GeoDataFrame in EPSG:4326 with columns ``demand_id`` (0..n-1), ``population``,
``cell_area_km2`` (area of the grid cell inside the study area; NaN for point demand) and
``geometry`` (Point), plus ``attrs["population_method"]``: one plain-English line, printed
verbatim by the outputs, saying how population was assigned. Grid and area work happens in
the local UTM CRS chosen by :func:`geo.crs.utm_crs_for`, never in degrees.
"""

from __future__ import annotations

import logging
import math
import os
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
import rasterio.errors
import shapely
from pyproj import CRS, Transformer
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo._files import input_file
from geo._types import BoolArray, FloatArray, IntArray
from geo.coverage.townships import polygon_of_points
from geo.crs import utm_crs_for
from geo.errors import (
    CensusError,
    ColumnError,
    CoordinateError,
    DuplicateIdError,
    GeoError,
    InputFileError,
)
from geo.options import closest
from geo.readers.census import (
    count_decimals,
    count_unit,
    split_totals,
    title_unit,
    total_rows,
    township_code,
)

__all__ = ["GROUP_PREFIX", "from_points", "from_raster", "from_zone_table", "grid_cells",
           "group_column", "group_table",
           "spread_evenly", "zone_table"]

logger = logging.getLogger(__name__)

GeomArray = npt.NDArray[np.object_]

_WGS84 = "EPSG:4326"
_SLIVER_FRACTION = 1e-9  # clipped cells below this share of a full cell are float noise
_MAX_GRID_CELLS = 5_000_000
_SHOWN = 30  # bad rows quoted in one message
_POINT, _POLYGONAL = (0,), (3, 6)  # shapely type ids
_STANDARD = ["demand_id", "population", "cell_area_km2", "geometry"]
#: demand columns of population groups: ``people_elderly_65`` for the group elderly_65
GROUP_PREFIX = "people_"


def group_column(name: str) -> str:
    """Return the demand column holding a population group's people per point."""
    return GROUP_PREFIX + name


def _quoted(items: Iterable[object], limit: int | None = None) -> str:
    texts = [repr(str(item)) for item in items]
    more = f" and {len(texts) - limit} more" if limit is not None and len(texts) > limit else ""
    return ", ".join(texts[:limit]) + more


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str, hint: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ColumnError(
            f"{what} has no column {_quoted(missing)}; available columns: "
            f"{_quoted(frame.columns)}. {hint}"
        )


def _check_geoms(series: gpd.GeoSeries, types: tuple[int, ...], what: str, fix: str) -> None:
    """Raise unless every geometry is present and of one of the shapely ``types``."""
    if series.crs is None:
        raise CoordinateError(f"{what} has no CRS: set it with .set_crs(...)")
    geoms = np.asarray(series, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad[~bad] = ~np.isin(shapely.get_type_id(geoms[~bad]), types)
    if len(geoms) == 0:
        raise GeoError(f"{what} is empty: {fix}")
    if bad.any():
        rows = _quoted(series.index[bad], _SHOWN)
        raise GeoError(f"{what} rows {rows} are missing, empty or of the wrong type: {fix}")


def _check_spacing(spacing_m: float) -> float:
    number = isinstance(spacing_m, int | float | np.number) and not isinstance(spacing_m, bool)
    if not number or not math.isfinite(spacing_m) or spacing_m <= 0:
        raise GeoError(f"spacing_m must be a positive number of metres, not {spacing_m!r}")
    return float(spacing_m)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal parts of a geometry collection."""
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = shapely.get_parts(geom)
    return shapely.union_all(parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)])


def _area_in_utm(area: Any) -> tuple[BaseGeometry, CRS]:
    """Return union of the area polygons in the local UTM CRS (prepared), and that CRS."""
    if isinstance(area, BaseGeometry):
        x0, y0, x1, y1 = area.bounds
        if not area.is_empty and not (x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90):
            raise CoordinateError(
                f"the area geometry has bounds {area.bounds}, not lon/lat: a bare shapely "
                "geometry must be EPSG:4326; else pass gpd.GeoSeries([geom], crs=...)"
            )
        area = gpd.GeoSeries([area], crs=_WGS84)
    if not isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        raise GeoError(f"area must be a GeoDataFrame, GeoSeries or shapely geometry: {area!r}")
    series = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
    _check_geoms(series, _POLYGONAL, "the area", "pass the study-area boundary polygon(s)")
    if not series.is_valid.all():
        logger.warning("repairing %d invalid area polygon(s)", (~series.is_valid).sum())
        series = series.make_valid()
    centre = shapely.union_all(np.asarray(series.to_crs(_WGS84), dtype=object)).centroid
    crs = utm_crs_for(centre.x, centre.y)
    metric = _polygonal(shapely.union_all(np.asarray(series.to_crs(crs), dtype=object)))
    if metric.area <= 0:
        raise GeoError("the area has zero area: pass the study-area boundary polygon(s)")
    shapely.prepare(metric)
    return metric, crs


@dataclass(frozen=True)
class _Grid:
    """Square cells in a metric CRS, row 0 at the north, clipped to an area."""

    crs: CRS
    spacing: float
    x0: float  # west edge of column 0
    y1: float  # north edge of row 0
    ncols: int
    nrows: int
    flat: IntArray  # row * ncols + col of each kept cell, in cell_id order
    cells: GeomArray  # clipped cell polygons
    points: GeomArray  # demand point of each cell
    area_km2: FloatArray


def _make_grid(area: BaseGeometry, crs: CRS, spacing: float) -> _Grid:
    minx, miny, maxx, maxy = area.bounds
    x0, y0 = math.floor(minx / spacing) * spacing, math.floor(miny / spacing) * spacing
    ncols = max(1, math.ceil((maxx - x0) / spacing))
    nrows = max(1, math.ceil((maxy - y0) / spacing))
    if ncols * nrows > _MAX_GRID_CELLS:
        raise GeoError(
            f"a {spacing:g} m grid needs {ncols * nrows:,} cells: use a larger spacing_m"
        )
    y1 = y0 + nrows * spacing
    rows, cols = np.divmod(np.arange(nrows * ncols, dtype=np.int64), ncols)
    left, top = x0 + cols * spacing, y1 - rows * spacing
    boxes = shapely.box(left, top - spacing, left + spacing, top)
    flat = np.flatnonzero(shapely.intersects(area, boxes)).astype(np.int64)
    boxes = boxes[flat]
    edge = ~shapely.contains_properly(area, boxes)
    cells = boxes.copy()
    cells[edge] = [_polygonal(g) for g in shapely.intersection(boxes[edge], area)]
    area_m2 = shapely.area(cells)
    keep = area_m2 > spacing * spacing * _SLIVER_FRACTION
    logger.debug("%d cells touch the area by float noise only: dropped", (~keep).sum())
    flat, cells, edge, area_m2 = flat[keep], cells[keep], edge[keep], area_m2[keep]
    centres = np.asarray(shapely.points(left[flat] + spacing / 2, top[flat] - spacing / 2))
    off = edge.copy()
    off[edge] = ~shapely.contains(cells[edge], centres[edge])
    centres[off] = shapely.point_on_surface(cells[off])
    return _Grid(crs, spacing, x0, y1, ncols, nrows, flat, cells, centres, area_m2 / 1e6)


def _grid_frames(grid: _Grid) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    ids = np.arange(len(grid.cells), dtype=np.int64)
    frames = []
    for id_col, geometry in (("cell_id", grid.cells), ("demand_id", grid.points)):
        data = {id_col: ids, "cell_area_km2": grid.area_km2}
        frame = gpd.GeoDataFrame(data, geometry=geometry, crs=grid.crs).to_crs(_WGS84)
        frame.attrs.update(grid_spacing_m=grid.spacing, metric_crs=grid.crs.to_string())
        frames.append(frame)
    return frames[0], frames[1]


def grid_cells(area: Any, spacing_m: float) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return square grid cells covering an area, clipped to it, and one demand point per cell.

    Parameters
    ----------
    area : GeoDataFrame, GeoSeries or shapely geometry
        Study-area polygon(s) in any CRS (set on the frame; several are merged); a bare
        shapely geometry is taken as EPSG:4326.
    spacing_m : float
        Cell side in metres; cells are aligned to multiples of it in the area's UTM CRS.

    Returns
    -------
    cells : GeoDataFrame
        ``cell_id`` (0..n-1, row by row from the north-west), ``cell_area_km2`` (the part
        inside the area) and the clipped cell polygon, in EPSG:4326.
    points : GeoDataFrame
        ``demand_id`` (== ``cell_id``), ``cell_area_km2`` and a Point: the cell centre if it
        lies inside the clipped cell, else a point on the clipped part. Both frames carry
        ``attrs["grid_spacing_m"]`` and ``attrs["metric_crs"]``.
    """
    spacing = _check_spacing(spacing_m)
    geom, crs = _area_in_utm(area)
    grid = _make_grid(geom, crs, spacing)
    logger.info(
        "%d cells of %g m, %.1f km², in %s", len(grid.cells), spacing, grid.area_km2.sum(), crs
    )
    return _grid_frames(grid)


def _cell_areas(points: gpd.GeoDataFrame, what: str) -> FloatArray:
    _require(points, ["demand_id", "cell_area_km2"], what, "Make them with grid_cells(...).")
    area = points["cell_area_km2"].to_numpy(dtype=np.float64, na_value=np.nan)
    if len(area) == 0 or not (np.isfinite(area) & (area > 0)).all():
        raise ColumnError(
            f"{what}: cell_area_km2 must be positive for every point; point-layer demand "
            "(NaN areas) already has its population, use grid points from grid_cells(...)"
        )
    return area


def _with_population(
    points: gpd.GeoDataFrame, population: FloatArray, method: str
) -> gpd.GeoDataFrame:
    out = points.copy()
    out["population"] = population
    out = out[[c for c in _STANDARD if c in out] + [c for c in out if c not in _STANDARD]]
    out.attrs = {**points.attrs, "population_method": method}
    return out


def _point_demand(x: FloatArray, y: FloatArray, population: FloatArray, crs: Any) -> Any:
    """Return point demand (``cell_area_km2`` NaN) from coordinates in ``crs``."""
    ids = np.arange(len(population), dtype=np.int64)
    data = {"demand_id": ids, "population": population, "cell_area_km2": np.nan}
    return gpd.GeoDataFrame(data, geometry=shapely.points(x, y), crs=crs).to_crs(_WGS84)


def spread_evenly(points: gpd.GeoDataFrame, total: float, *, label: str) -> gpd.GeoDataFrame:
    """Spread a total population over grid points in proportion to their cell area.

    Parameters
    ----------
    points : GeoDataFrame
        Demand points from :func:`grid_cells` (``demand_id``, ``cell_area_km2``).
    total : float
        Population of the whole area, >= 0.
    label : str
        Source of the total, with the number, e.g. ``"2020 census county total 337,298
        (no sub-county data)"``.

    Returns
    -------
    GeoDataFrame
        A copy of ``points`` with ``population`` (summing to ``total``) and
        ``attrs["population_method"]`` = ``"population spread evenly over the study area: "``
        followed by ``label``.
    """
    number = isinstance(total, int | float | np.number) and not isinstance(total, bool)
    if not number or not math.isfinite(total) or total < 0:
        raise GeoError(f"total must be a finite number of people >= 0, not {total!r}")
    if not isinstance(label, str) or not label.strip():
        raise GeoError("label must say where the total comes from, e.g. '2020 census total'")
    area = _cell_areas(points, "spread_evenly points")
    method = f"population spread evenly over the study area: {label.strip()}"
    logger.info("%s (%d points)", method, len(area))
    return _with_population(points, float(total) * (area / area.sum()), method)


def _counts(values: pd.Series, labels: Sequence[object], what: str) -> FloatArray:
    """Numeric, non-negative counts ("12,345" and full-width digits "３１２４５" allowed).

    Else ColumnError naming the rows.
    """
    cleaned = values.map(lambda v: unicodedata.normalize("NFKC", v).replace(",", "").strip()
                         if isinstance(v, str) else v)
    numbers = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    for bad, problem in (
        (~np.isfinite(numbers), "missing or non-numeric"),
        (numbers < 0, "negative"),
    ):
        if bad.any():
            pairs = [f"{k!r}: {v!r}" for k, v, b in zip(labels, values, bad, strict=True) if b]
            raise ColumnError(
                f"{what} has {len(pairs)} {problem} count(s) ({', '.join(pairs[:_SHOWN])}): "
                "give every row a number of people >= 0 (0 where nobody lives)"
            )
    return numbers


def _people(values: pd.Series, labels: Sequence[object], column: str,
            title: object = None) -> FloatArray:
    """Return a zone table's counts in people.

    These are :func:`_counts`, times the unit the header names
    (:func:`geo.readers.census.count_unit`: '常住人口（万人）' x 10,000). Without a unit, counts
    that are all under 1,000 with some not whole look like 万人 read as people (a county of 300,000
    read as 30): that stops, naming how to say the unit; so does a unit in the table's title
    (``title``, the rows above its header: '单位：万人') that the header does not name, and a header
    unit that makes a township larger than :data:`geo.settings.MAX_TOWNSHIP_PEOPLE`.
    """
    numbers = _counts(values, labels, f"the table column {column!r}")
    scale, unit = count_unit(column)
    said = title_unit(title)
    if unit is None and said is not None and said != "人":
        raise CensusError(
            f"the title above the table says its unit is {said} ({title!r}), but the column "
            f"{column!r} names none: name the unit at the end of the header, "
            f"{column}（{said}） (geo multiplies and says so), or {column}（人） if the counts "
            "are people, and set [population] count_col to the new header")
    if unit is not None and scale > 1 and len(numbers) and \
            numbers.max() * scale > settings.MAX_TOWNSHIP_PEOPLE:
        worst = int(np.argmax(numbers))
        raise CensusError(
            f"the column {column!r} says its counts are in {unit}, but {labels[worst]!r} "
            f"would then hold {numbers[worst] * scale:,.0f} people (over "
            f"{settings.MAX_TOWNSHIP_PEOPLE:,}, more than any township): the counts look like "
            f"people already; drop {unit} from the header, or write （人）, and set "
            "[population] count_col to the new header")
    if unit is None and len(numbers) and (numbers < 1_000).all():
        fractional = numbers != np.round(numbers)
        if fractional.any():
            shown = [f"{k!r}: {v!r}" for k, v, f in zip(labels, values, fractional, strict=True)
                     if f][:5]
            raise CensusError(
                f"the table column {column!r} holds counts under 1,000 with decimals "
                f"({', '.join(shown)}), as a table in 万人 (10,000 people) does; read as "
                f"people, the whole table would be {numbers.sum():,.1f} people. Name the unit "
                f"at the end of the header, {column}（万人） (geo multiplies by 10,000 and says "
                f"so), or {column}（人） if they are people, and set [population] count_col "
                "to the new header"
            )
    return numbers * scale


def _unit_note(column: str, values: pd.Series) -> list[str]:
    scale, unit = count_unit(column)
    if scale == 1:
        return []
    decimals = count_decimals(list(values))
    step = scale * 10.0 ** -decimals
    precision = "whole people" if step <= 1 else f"each township rounded to {step:,.0f} people"
    return [f"column {column!r} counts in {unit}: each count multiplied by {scale:,} to "
            f"people (written to {10.0 ** -decimals:g} {unit}: {precision})"]


def _keys(series: pd.Series, what: str, column: str) -> list[str]:
    """Join keys as stripped strings; 12-digit codes as text (Excel's 450223100000.0 too)."""
    rows = series.attrs.get("rows") or []  # spreadsheet rows, from read_table
    rows = rows if len(rows) == len(series) else list(series.index)
    keys = [
        township_code(v, f" in {what} row {r}") or (
            str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
        for r, v in zip(rows, series, strict=True)
    ]
    empty = series.isna().to_numpy() | (np.array(keys, dtype=object) == "")
    if empty.any():
        raise ColumnError(
            f"{what} column {column!r} is empty in rows {_quoted(series.index[empty], _SHOWN)}: "
            "fill in every name or code"
        )
    repeated = sorted(k for k, n in Counter(keys).items() if n > 1)
    if repeated:
        raise DuplicateIdError(
            f"{what} column {column!r} repeats {_quoted(repeated)}: each zone must appear once "
            "(sum table rows per zone; merge zone polygons with zones.dissolve(by=...))"
        )
    return keys


def _suggest(key: str, choices: list[str]) -> str:
    return f"{key!r}{closest(key, choices, 3) or ' (no similar zone)'}"


def _check_join(zone_keys: list[str], table_keys: list[str], zone_key: str, table_key: str) -> None:
    """Raise naming every table key without a zone (with close matches) and vice versa."""
    zone_set, table_set = set(zone_keys), set(table_keys)
    unmatched = [_suggest(k, zone_keys) for k in table_keys if k not in zone_set]
    uncovered = [k for k in zone_keys if k not in table_set]
    problems = []
    if unmatched:
        problems.append(
            f"{len(unmatched)} table row(s) in {table_key!r} match no zone in {zone_key!r}: "
            + ", ".join(unmatched)
        )
    if uncovered:
        problems.append(
            f"{len(uncovered)} zone(s) have no table row: {_quoted(uncovered)} "
            "(add them; a count of 0 is allowed)"
        )
    if problems:
        coded = [all(township_code(k) for k in keys) for keys in (table_keys, zone_keys)]
        hint = (" (the table's keys are 12-digit 统计用区划代码 but the zones' are not: join "
                "on the zones' code column)" if coded == [True, False] else "")
        raise GeoError(
            "; ".join(problems) + f". Names or codes must match exactly after trimming spaces"
            f"{hint}: fix the table or the zones layer"
        )


def _zone_counts(
    zones: gpd.GeoDataFrame, table: pd.DataFrame, zone_key: str, table_key: str, count_col: str
) -> tuple[list[str], FloatArray]:
    """Check the zone keys and read each zone's count from the table."""
    _check_geoms(zones.geometry, _POLYGONAL, "the zones layer", "fix or drop those zones")
    _require(zones, [zone_key], "the zones layer", "Pass zone_key= the zone name/code column.")
    _require(table, [table_key, count_col], "the table", "Pass table_key= and count_col=.")
    zone_keys = _keys(zones[zone_key], "the zones layer", zone_key)
    table_keys = _keys(table[table_key], "the table", table_key)
    counts = _people(table[count_col], table_keys, count_col, table.attrs.get("title"))
    _check_join(zone_keys, table_keys, zone_key, table_key)
    by_key = dict(zip(table_keys, counts, strict=True))
    return zone_keys, np.array([by_key[k] for k in zone_keys], dtype=np.float64)


def _spacing(points: gpd.GeoDataFrame) -> str:
    spacing = points.attrs.get("grid_spacing_m")
    return "the present spacing" if spacing is None else f"{float(spacing):g} m"


def zone_table(table: pd.DataFrame, *, table_key: str,
               count_col: str) -> tuple[pd.DataFrame, list[str]]:
    """Return a zone table (e.g. a township census) checked row by row, without its total rows.

    The rows other than total rows are checked first (keys present and each once, counts
    numbers >= 0), so a wrong row is named as itself rather than as a total that does
    not add up; then the total rows are checked against them and left out
    (:func:`geo.readers.census.split_totals`, whose notes are returned, after a note on the
    counts' unit when the header names one that is not people: '常住人口（万人）').

    Raises
    ------
    ColumnError, DuplicateIdError, CensusError
        As :func:`from_zone_table`.
    """
    _require(table, [table_key, count_col], "the table", "Pass table_key= and count_col=.")
    rows = table.loc[~total_rows(table, count_col)]
    keys = _keys(rows[table_key], "the table", table_key)
    _people(rows[count_col], keys, count_col, table.attrs.get("title"))
    kept, notes = split_totals(table, count_col)
    return kept, [*_unit_note(count_col, rows[count_col]), *notes]


def _step(column: str, values: pd.Series) -> float:
    """People one unit of the last written decimal stands for.

    1 for whole people, 10,000 × 0.01 = 100 for a column in 万人 with two decimals (half of it is
    the rounding).
    """
    scale = count_unit(column)[0]
    decimals = count_decimals(list(values))
    return 0.0 if scale == 1 and decimals == 0 else scale * 10.0 ** -decimals


def group_table(
    table: pd.DataFrame, *, table_key: str, count_col: str, groups: Mapping[str, str],
    partition: Sequence[str] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """Township counts of population groups (65岁及以上, 0—14岁, ...), checked against the total.

    Each group column is read as the count column is (:func:`zone_table`: its unit, its
    total rows checked and left out, counts numbers >= 0), then checked row by row: a
    township's group may not exceed its total, and the groups named in ``partition``
    (together the whole population, e.g. 0—14岁, 15—59岁, 60岁及以上) must add up to the
    total. Counts written with decimals (万人) are compared within their rounding: half a
    unit of the last decimal of each column.

    Parameters
    ----------
    table : DataFrame
        The census table as read (total rows included), ``attrs`` as
        :func:`geo.readers.read_table` sets them.
    table_key, count_col : str
        Key (township name or code) and total count columns.
    groups : mapping of str to str
        Column -> group name.
    partition : sequence of str
        Group names whose sum must equal the total of each township.

    Returns
    -------
    counts : DataFrame
        Indexed by key (as :func:`from_zone_table` joins), ``count_col`` and one column per
        group name, in people.
    notes : list of str
        What reading the group columns did (units, total rows), for the outputs.

    Raises
    ------
    ColumnError
        A group column missing, or a count missing, non-numeric or negative.
    CensusError
        A group above its township's total, a partition that does not add up, a group's
        total row that disagrees with its rows.
    """
    _require(table, [table_key, count_col], "the table", "Pass table_key= and count_col=.")
    missing = [c for c in groups if c not in table.columns]
    if missing:
        raise ColumnError(
            f"the population table has no column {_quoted(missing)} of a population group; "
            f"its columns are {_quoted(table.columns)}: name the census columns in "
            "[population] groups exactly as the header writes them")
    kept, notes = zone_table(table, table_key=table_key, count_col=count_col)
    keys = _keys(kept[table_key], "the table", table_key)
    title = table.attrs.get("title")
    counts = {count_col: _people(kept[count_col], keys, count_col, title)}
    steps = {count_col: _step(count_col, kept[count_col])}
    for column, name in groups.items():
        rows, group_notes = zone_table(table, table_key=table_key, count_col=column)
        if list(rows.index) != list(kept.index):
            raise CensusError(
                f"the group column {column!r} and the count column {count_col!r} find "
                "different total rows: give the total row's name (合计) in the key column")
        notes += [n for n in group_notes if n not in notes]
        counts[name] = _people(rows[column], keys, column, title)
        steps[name] = _step(column, rows[column])
    total = counts[count_col]
    labels = _labels_of(kept)
    for column, name in groups.items():
        slack = 0.5 * (steps[name] + steps[count_col]) + 1e-6
        over = np.flatnonzero(counts[name] - total > slack)
        if len(over):
            shown = ", ".join(f"{keys[i]!r} ({labels[i]}: {counts[name][i]:,.10g} > "
                              f"{total[i]:,.10g})" for i in over[:_SHOWN])
            raise CensusError(
                f"the group column {column!r} ({name}) counts more people than the total "
                f"{count_col!r} in {len(over)} township(s): {shown}. A group is part of the "
                "township's people: check that the column is the group's count (not a share "
                "or another table's), that both columns are in the same unit, and correct "
                "the counts")
    if partition:
        parts = np.sum([counts[n] for n in partition], axis=0)
        slack = 0.5 * (sum(steps[n] for n in partition) + steps[count_col]) + 1e-6
        off = np.flatnonzero(np.abs(parts - total) > slack)
        if len(off):
            shown = ", ".join(f"{keys[i]!r} ({labels[i]}: groups {parts[i]:,.10g}, total "
                              f"{total[i]:,.10g})" for i in off[:_SHOWN])
            raise CensusError(
                f"[population] partition says {', '.join(partition)} make up the whole "
                f"population, but in {len(off)} township(s) they do not add up to "
                f"{count_col!r}: {shown}. Correct the counts, or remove [population] "
                "partition if these groups overlap or leave people out")
        notes.append(f"population groups {', '.join(partition)} add up to each township's "
                     f"{count_col!r}" + (" within the rounding of the counts"
                                         if slack > 1e-6 * 2 else ""))
    frame = pd.DataFrame(counts, index=pd.Index(keys, name=table_key))
    return frame, notes


def _labels_of(table: pd.DataFrame) -> list[str]:
    rows = table.attrs.get("rows")
    if rows is not None and len(rows) == len(table):
        return [f"row {r}" for r in rows]
    return [f"row {i}" for i in table.index]


def from_zone_table(
    points: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    zone_key: str,
    table_key: str,
    count_col: str,
    zone_of: npt.ArrayLike | None = None,
) -> gpd.GeoDataFrame:
    """Spread each zone's count (e.g. a township census table) over the grid points in it.

    Parameters
    ----------
    points : GeoDataFrame
        Demand points from :func:`grid_cells`.
    zones : GeoDataFrame
        Zone polygons (any CRS) with a name or code column ``zone_key``.
    table : DataFrame
        One row per zone: ``table_key`` (matched to ``zone_key`` as stripped strings;
        12-digit township codes as text, Excel's ``450223100000.0`` too) and ``count_col``
        (people >= 0; "12,345" accepted; a header ending in （万人） or （千人） scales
        them, and counts all under 1,000 with decimals but no unit stop, since they read
        as 万人). ``attrs["source"]`` is named. Total rows (合计,
        总计, 全县, ..., or a county code) are checked against the sum of the other rows
        and left out, as the method says (:func:`geo.readers.census.split_totals`).
    zone_key, table_key, count_col : str
        Column names.
    zone_of : array of int, optional
        Row position in ``zones`` of the zone each point belongs to (-1: none), as the
        caller assigned them (a study passes its township labels, so each township's
        population equals its table row exactly). Default: the one point-in-polygon rule,
        :func:`geo.coverage.townships.polygon_of_points` (the first zone on shared edges and in
        overlaps; points in no zone get -1).

    Returns
    -------
    GeoDataFrame
        A copy of ``points`` with ``population``: each zone's count in proportion to
        ``cell_area_km2``. Points in no zone get 0 (logged and said in the method).

    Raises
    ------
    ColumnError
        Missing columns, empty keys, missing, non-numeric or negative counts.
    CensusError
        A total row that differs from the sum of the other rows; codes in scientific
        notation (digits lost in Excel).
    DuplicateIdError
        A key repeated in the zones or the table.
    GeoError
        Table rows matching no zone, zones without a row, a zone with people but no point.
    """
    area = _cell_areas(points, "from_zone_table points")
    if points.crs is None:
        raise CoordinateError("the points have no CRS: make them with grid_cells(...)")
    table, total_notes = zone_table(table, table_key=table_key, count_col=count_col)
    zone_keys, zone_count = _zone_counts(zones, table, zone_key, table_key, count_col)
    if zone_of is None:
        zone_of, _ = polygon_of_points(points, zones, nearest=False)
    zone_of = np.asarray(zone_of, dtype=np.int64)
    if zone_of.shape != (len(points),) or (zone_of >= len(zones)).any():
        raise GeoError("zone_of must give one zone position (or -1) per point")
    inside = zone_of >= 0
    zone_area = np.bincount(zone_of[inside], area[inside], len(zone_keys)).astype(np.float64)
    empty = np.flatnonzero((zone_area == 0) & (zone_count > 0))
    if len(empty):
        raise GeoError(
            f"zone(s) with people but no demand point inside: "
            f"{', '.join(f'{zone_keys[i]!r} ({zone_count[i]:,.0f})' for i in empty)}. Use a "
            f"finer grid ([population] grid_spacing_m below {_spacing(points)} in a study "
            "file; spacing_m of grid_cells) or check that these zones lie inside the study "
            "area"
        )
    population = np.zeros(len(area))
    zi = zone_of[inside]
    population[inside] = zone_count[zi] * area[inside] / zone_area[zi]
    source = table.attrs.get("source")
    method = (
        f"population from {'table ' + Path(str(source)).name if source else 'a zone table'}: "
        f"{len(zone_keys)} zones' {count_col!r} counts (total {zone_count.sum():,.0f}) joined "
        f"on {zone_key!r}, spread over the demand points in each zone in proportion to area"
    ) + "".join(f"; {note}" for note in total_notes)
    if not inside.all():
        method += f"; {(~inside).sum()} demand points lie in no zone and get 0"
        logger.warning("%d demand points lie in no zone: population 0", (~inside).sum())
    logger.info(method)
    return _with_population(points, population, method)


def from_points(layer: gpd.GeoDataFrame, *, count_col: str = "population") -> gpd.GeoDataFrame:
    """Use a point layer with counts (e.g. villages and their people) as the demand.

    Parameters
    ----------
    layer : GeoDataFrame
        Points in any CRS; ``layer.attrs["source"]`` (its file) is named in the method.
    count_col : str
        Column with the number of people at each point (>= 0).

    Returns
    -------
    GeoDataFrame
        Demand in the layer's row order: ``demand_id`` 0..n-1, ``population``,
        ``cell_area_km2`` (NaN) and the Point in EPSG:4326.
    """
    if not isinstance(layer, gpd.GeoDataFrame):
        raise GeoError(f"the point layer must be a GeoDataFrame, not {type(layer).__name__}")
    _check_geoms(layer.geometry, _POINT, "the point layer", "fix them or use their centroids")
    _require(layer, [count_col], "the point layer", "Pass count_col= the people column.")
    counts = _counts(layer[count_col], list(layer.index), f"the point layer column {count_col!r}")
    geoms = np.asarray(layer.geometry, dtype=object)
    out = _point_demand(shapely.get_x(geoms), shapely.get_y(geoms), counts, layer.crs)
    if not np.isfinite(shapely.get_coordinates(np.asarray(out.geometry, dtype=object))).all():
        raise CoordinateError("some points could not be converted to lon/lat: check the CRS")
    source = layer.attrs.get("source")
    out.attrs["population_method"] = (
        f"population from point layer {Path(str(source)).name if source else '(no file name)'}"
        f": {len(out):,} points, total {counts.sum():,.0f} (column {count_col!r})"
    )
    logger.info(out.attrs["population_method"])
    return out


def _pixel_centres(src: Any, origin: tuple[int, int], rows: IntArray, cols: IntArray,
                   crs: CRS) -> tuple[FloatArray, FloatArray]:
    """Centres (in ``crs``) of the pixels at ``rows``, ``cols`` of the window at ``origin``."""
    t = src.transform
    cx, cy = cols + origin[0] + 0.5, rows + origin[1] + 0.5
    x, y = t.a * cx + t.b * cy + t.c, t.d * cx + t.e * cy + t.f
    ux, uy = Transformer.from_crs(src.crs, crs, always_xy=True).transform(x, y)
    return np.asarray(ux), np.asarray(uy)


def _uncovered(src: Any, mask: BoolArray, origin: tuple[int, int], area: BaseGeometry,
               crs: CRS, most: float) -> str:
    """Say what the method says about the part of the area the raster has no data for.

    That part is beyond the raster's extent, or nodata pixels. Returns '' for none; stops
    beyond the share ``most`` of the area, naming the share.
    """
    name = Path(str(src.name)).name
    step = max(abs(src.transform.a), abs(src.transform.e))
    extent = gpd.GeoSeries([shapely.segmentize(shapely.box(*src.bounds), step * 10)],
                           crs=src.crs).to_crs(crs).iloc[0]
    total = float(area.area)
    beyond = float(shapely.difference(area, extent).area)
    nodata = 0.0
    if mask.any():  # the share of the covered part whose pixel centres are nodata
        rows, cols = np.indices(mask.shape).reshape(2, -1)
        inside = shapely.contains_xy(area, *_pixel_centres(src, origin, rows, cols, crs))
        if inside.any():
            nodata = (total - beyond) * float(mask.ravel()[inside].mean())
    share = (beyond + nodata) / total if total > 0 else 0.0
    parts = ([f"{beyond / 1e6:,.1f} km² beyond its extent"] if beyond > 1e-6 * total else []) \
        + ([f"{nodata / 1e6:,.1f} km² of nodata pixels"] if nodata > 0 else [])
    if share > most:
        raise CoordinateError(
            f"population raster {name} leaves {share:.1%} of the study area without data "
            f"({' and '.join(parts)}, of {total / 1e6:,.0f} km²): the people there would be "
            "missing from every count. Use a raster that covers the whole area (e.g. "
            "WorldPop's for the whole country), or a study area inside the raster; if those "
            "pixels truly hold nobody (a lake), write 0 into them in a GIS")
    return (f"; the raster leaves {share:.2%} of the study area without data "
            f"({' and '.join(parts)}): counted as no people") if parts else ""


def _read_raster(src: Any, area: BaseGeometry, crs: CRS, band: int, most: float
                 ) -> tuple[FloatArray, FloatArray, FloatArray, float, int, str]:
    """Read the populated pixels in the window around ``area``.

    Values, centres x, y in ``crs``, their sum, the number of negative pixels, and what the method
    says of the area without data.
    """
    name = Path(str(src.name)).name
    if src.crs is None:
        raise CoordinateError(f"raster {name} has no CRS: set it (gdal_edit.py -a_srs EPSG:...)")
    if not 1 <= band <= src.count:
        raise GeoError(f"raster {name} has {src.count} band(s): set [population] band to "
                       f"1..{src.count}")
    bounds = Transformer.from_crs(crs, src.crs, always_xy=True).transform_bounds(*area.bounds)
    corners = [~src.transform @ (x, y) for x in bounds[0::2] for y in bounds[1::2]]
    cols, rows = [c for c, _ in corners], [r for _, r in corners]
    c0, c1 = max(0, math.floor(min(cols))), min(src.width, math.ceil(max(cols)))
    r0, r1 = max(0, math.floor(min(rows))), min(src.height, math.ceil(max(rows)))
    if c1 <= c0 or r1 <= r0:
        raise CoordinateError(
            f"raster {name} ({src.crs}, bounds {tuple(src.bounds)}) does not cover the area: "
            "use a population raster of this region"
        )
    data = src.read(band, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
    note = _uncovered(src, np.ma.getmaskarray(data), (c0, r0), area, crs, most)
    values = np.ma.filled(data.astype(np.float64), 0.0)
    values[~np.isfinite(values)] = 0.0
    negative = int((values < 0).sum())
    if negative:
        logger.warning("%s: %d negative pixels counted as 0", name, negative)
        values[values < 0] = 0.0
    r, c = np.nonzero(values > 0)
    ux, uy = _pixel_centres(src, (c0, r0), r, c, crs)
    return values[r, c], ux, uy, float(values.sum()), negative, note


def _cell_of(grid: _Grid, x: FloatArray, y: FloatArray) -> IntArray:
    """Return cell_id holding each metric point: grid arithmetic, nearest cell for stragglers."""
    lookup = np.full(grid.nrows * grid.ncols, -1, dtype=np.int64)
    lookup[grid.flat] = np.arange(len(grid.flat))
    col = np.floor((x - grid.x0) / grid.spacing).astype(np.int64)
    row = np.floor((grid.y1 - y) / grid.spacing).astype(np.int64)
    valid = (col >= 0) & (col < grid.ncols) & (row >= 0) & (row < grid.nrows)
    ids = np.full(len(x), -1, dtype=np.int64)
    ids[valid] = lookup[row[valid] * grid.ncols + col[valid]]
    lost = np.flatnonzero(ids < 0)  # in cells dropped as float-noise slivers
    if len(lost):
        near = shapely.STRtree(grid.cells).query_nearest(shapely.points(x[lost], y[lost]))
        ids[lost[near[0]]] = near[1]
    return ids


def from_raster(
    path: str | os.PathLike[str], area: Any, *, band: int = 1, spacing_m: float | None = None,
    max_uncovered: float = settings.RASTER_UNCOVERED_MAX_SHARE,
) -> gpd.GeoDataFrame:
    """Return demand from a population raster (e.g. a WorldPop GeoTIFF of people per pixel).

    Parameters
    ----------
    path : str or PathLike
        GeoTIFF of people per pixel in any CRS; nodata and negative values count as 0
        (negative ones said in the method).
    area : GeoDataFrame, GeoSeries or shapely geometry
        Study area, as for :func:`grid_cells`; a pixel counts when its centre is inside.
    band : int
        Band to read (1-based).
    spacing_m : float, optional
        None: one demand point per populated pixel centre (``cell_area_km2`` NaN). Else
        pixel counts are summed into the cells of ``grid_cells(area, spacing_m)`` (same ids).
    max_uncovered : float, default :data:`settings.RASTER_UNCOVERED_MAX_SHARE`
        Share of the area the raster may leave without data (beyond its extent, or in
        nodata pixels, whose people are unknown) before it stops; a smaller share is
        stated in the method.

    Returns
    -------
    GeoDataFrame
        Demand points; ``attrs`` also hold ``population_read`` (sum over the raster window
        around the area) and ``population_outside_area`` (the part of it left out).

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    CoordinateError
        Raster without a CRS, not covering the area, or leaving more than
        ``max_uncovered`` of it without data.
    GeoError
        No population inside the area, or no such band.
    """
    spacing = None if spacing_m is None else _check_spacing(spacing_m)
    geom, crs = _area_in_utm(area)
    file = input_file(path, "population raster", "check [population] path")
    try:
        with rasterio.open(file) as src:
            values, x, y, read, negative, uncovered = _read_raster(src, geom, crs, band,
                                                                   max_uncovered)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(f"cannot read population raster {file}: {exc}") from exc
    inside = shapely.contains_xy(geom, x, y)
    kept, outside = float(values[inside].sum()), float(values[~inside].sum())
    if kept <= 0:
        raise GeoError(f"raster {file.name} has no population inside the area: wrong raster?")
    if spacing is None:
        demand = _point_demand(x[inside], y[inside], values[inside], crs)
        how = "one demand point per populated pixel"
    else:
        grid = _make_grid(geom, crs, spacing)
        cell = _cell_of(grid, x[inside], y[inside])
        population = np.bincount(cell, values[inside], len(grid.cells)).astype(np.float64)
        demand = _with_population(_grid_frames(grid)[1], population, "")
        how = f"pixels summed into {spacing:g} m grid cells"
    method = (
        f"population from raster {file.name} (band {band}): {kept:,.0f} people inside the "
        f"study area, of {float(read):,.0f} read around it ({outside:,.0f} outside, left out); "
        + how + (f"; {int(negative):,} negative pixels counted as 0 (a nodata value the file "
                 "does not declare?)" if negative else "") + uncovered
    )
    demand.attrs.update(
        population_method=method, population_read=float(read), population_outside_area=outside
    )
    logger.info(method)
    return demand
