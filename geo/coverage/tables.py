"""Coverage against standards: per-township tables, county totals and covered areas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo._types import FloatArray
from geo.coverage.bands import _union
from geo.coverage.kinds import Scope
from geo.coverage.standards import Standard, check_groups
from geo.measures.aggregate import coverage_row
from geo.numbers import round_half_up, share_text, shown_share

__all__ = [
    "COLUMNS",
    "DECIMALS",
    "NONE_BELOW",
    "area_rows",
    "county_summary",
    "coverage_table",
    "covered_areas",
    "minute_orders",
    "people_of",
    "rounded",
    "worst_served",
]

#: what the summary says instead of a worst-served township when every township meets the
#: target (naming the lowest one would read as a failure)
NONE_BELOW = "no township below target"


COLUMNS = [
    "township", "standard", "label", "minutes", "population", "covered_population",
    "covered_share", "target_share", "meets_target", "median_minutes", "p90_minutes",
    "max_minutes", "note",
]


#: decimals each measure of a coverage row is rounded to for reading (people to 0.1,
#: shares to 0.0001, minutes to 0.1); ``geo compare`` and the workbench round the same way
DECIMALS = {"population": 1, "covered_population": 1, "covered_share": 4,
            "median_minutes": 1, "p90_minutes": 1, "max_minutes": 1}


def people_of(std: Standard, population: FloatArray,
              groups: Mapping[str, FloatArray] | None) -> FloatArray:
    """Return the people a standard counts per demand point.

    Its ``population_group``'s people (``groups``: group name -> people per demand point,
    :func:`geo.coverage.groups.group_people`), or ``population`` for a standard of everyone;
    a group not in ``groups`` stops (:func:`geo.coverage.standards.check_groups`).
    """
    if not std.population_group:
        return population
    check_groups([std], groups or {})
    return np.asarray((groups or {})[std.population_group], dtype=float)


def _row(
    name: str, std: Standard, minutes: FloatArray, pop: FloatArray, note: str,
    order: npt.NDArray[np.intp] | None = None,
) -> dict[str, object]:
    """Return a row of :data:`COLUMNS` from :func:`geo.measures.aggregate.coverage_row`."""
    r = coverage_row(None if note else minutes, pop, std.minutes, std.target_share,
                     order=order)
    return {
        "township": name, "standard": std.name, "label": std.label, "minutes": std.minutes,
        "population": r.population, "covered_population": r.covered, "covered_share": r.share,
        "target_share": std.target_share, "meets_target": pd.NA if r.meets is None else r.meets,
        "median_minutes": r.median, "p90_minutes": r.p90, "max_minutes": r.max, "note": note,
    }


def coverage_table(
    township: npt.ArrayLike,
    population: npt.ArrayLike,
    minutes: Mapping[str, FloatArray],
    standards: Sequence[Standard],
    notes: Mapping[str, str],
    order: Sequence[str] | None = None,
    scopes: Mapping[str, Scope] | None = None,
    *,
    groups: Mapping[str, FloatArray] | None = None,
    sorted_minutes: Mapping[tuple[str, Any], Any] | None = None,
) -> pd.DataFrame:
    """Return one row per township and standard (see :data:`COLUMNS`).

    ``minutes[std]`` holds minutes to the nearest eligible facility per demand point;
    a standard with a non-empty ``notes[std]`` is reported as not applicable, and so is a
    township outside the standard's kinds (``scopes[std]``, :mod:`geo.coverage.kinds`), with
    the note saying why. A standard with a ``population_group`` counts that group's people,
    ``groups[name]`` (group name -> people per demand point), instead of ``population``
    (:func:`people_of`). ``sorted_minutes``: each township's minutes sorted once
    (:func:`minute_orders`), for counting several populations on the same minutes without
    sorting again.
    """
    town = np.asarray(township, dtype=object)
    pop = np.asarray(population, dtype=float)
    names = list(order) if order is not None else sorted(set(town))
    # the points of each township, found once (not one comparison of every point per name)
    members = _members(town)
    none = np.zeros(0, dtype=np.int64)
    rows = []
    for std in standards:
        note = notes.get(std.name, "")
        people = people_of(std, pop, groups)
        m = minutes.get(std.name, np.full(len(pop), np.nan))
        scope = (scopes or {}).get(std.name)
        for name in names:
            sel = members.get(name, none)
            out = note or ("" if scope is None or scope.applies(name) else scope.row_note)
            rank = None if sorted_minutes is None else sorted_minutes.get((std.name, name))
            rows.append(_row(name, std, m[sel], people[sel], out, rank))
    return _rounded(pd.DataFrame(rows, columns=COLUMNS))


def _members(town: npt.NDArray[Any]) -> dict[Any, npt.NDArray[np.intp]]:
    """Return the points of each township (their positions, in demand order)."""
    groups = pd.Series(np.arange(len(town))).groupby(town, sort=False).indices
    return {k: np.asarray(v, dtype=np.intp) for k, v in groups.items()}


def minute_orders(
    township: npt.ArrayLike, minutes: Mapping[str, FloatArray], standards: Sequence[Standard],
    notes: Mapping[str, str], order: Sequence[str] | None = None,
) -> dict[tuple[str, Any], npt.NDArray[np.intp]]:
    """Sort each township's minutes once per standard (the whole area's under ``None``).

    ``(standard, township) -> the stable order of the minutes`` of the township's points as
    :func:`coverage_table` takes them; counting several populations (groups) on the same
    minutes reuses it (``sorted_minutes``) instead of sorting again per population.
    """
    town = np.asarray(township, dtype=object)
    members = _members(town)
    names = list(order) if order is not None else sorted(set(town))
    out: dict[tuple[str, Any], npt.NDArray[np.intp]] = {}
    for std in standards:
        m = minutes.get(std.name)
        if notes.get(std.name) or m is None:
            continue
        arr = np.asarray(m, dtype=float)
        out[(std.name, None)] = np.argsort(arr, kind="stable")
        for name in names:
            sel = members.get(name)
            if sel is not None:
                out[(std.name, name)] = np.argsort(arr[sel], kind="stable")
    return out


def rounded(column: str, value: float, target: float | None = None) -> float:
    """Round one measure as the coverage tables keep it.

    It is rounded half up (:func:`geo.numbers.round_half_up`) to :data:`DECIMALS`; a covered share
    below its ``target`` or below 1 keeps the decimals that show it so
    (:func:`geo.numbers.shown_share`).
    """
    if column == "covered_share":
        return shown_share(value, target, DECIMALS[column] - 2)
    return round_half_up(value, DECIMALS[column])


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """Round for reading (:func:`rounded`)."""
    targets = df["target_share"] if "target_share" in df else [None] * len(df)
    for col in DECIMALS:
        if col in df:
            df[col] = [rounded(col, v, t) for v, t in
                       zip(df[col].astype(float), targets, strict=True)]
    return df


def area_rows(
    population: npt.ArrayLike,
    minutes: Mapping[str, FloatArray],
    standards: Sequence[Standard],
    notes: Mapping[str, str],
    area_name: str,
    *,
    groups: Mapping[str, FloatArray] | None = None,
    sorted_minutes: Mapping[tuple[str, Any], Any] | None = None,
) -> pd.DataFrame:
    """Return the whole area's row per standard, in :data:`COLUMNS`.

    The ``township`` is ``area_name``; values are rounded as :func:`coverage_table` rounds; a
    standard with a note is not applicable; one with a ``population_group`` counts
    ``groups[name]`` (:func:`coverage_table`). ``sorted_minutes``: :func:`minute_orders`.
    """
    pop = np.asarray(population, dtype=float)
    rows = [_row(area_name, std, minutes.get(std.name, np.full(len(pop), np.nan)),
                 people_of(std, pop, groups), notes.get(std.name, ""),
                 None if sorted_minutes is None else sorted_minutes.get((std.name, None)))
            for std in standards]
    return _rounded(pd.DataFrame(rows, columns=COLUMNS))


def county_summary(
    population: npt.ArrayLike,
    minutes: Mapping[str, FloatArray],
    standards: Sequence[Standard],
    notes: Mapping[str, str],
    table: pd.DataFrame,
    area_name: str,
    *,
    groups: Mapping[str, FloatArray] | None = None,
) -> pd.DataFrame:
    """Return study-wide row per standard, plus the worst-served township and how many fail.

    The worst-served township is the one with the lowest covered share among those below
    the target: when every township meets the target there is none (``worst_township``
    empty, see :func:`worst_served`). A standard with a ``population_group`` counts
    ``groups[name]`` (:func:`coverage_table`).
    """
    pop = np.asarray(population, dtype=float)
    rows = []
    for std in standards:
        note = notes.get(std.name, "")
        m = minutes.get(std.name, np.full(len(pop), np.nan))
        row = _row(area_name, std, m, people_of(std, pop, groups), note)
        sub = table[(table["standard"] == std.name) & table["covered_share"].notna()]
        failing = sub[~sub["meets_target"].astype(bool)]
        if len(failing):
            worst = failing.sort_values(["covered_share", "median_minutes"],
                                        ascending=[True, False]).iloc[0]
            row["worst_township"] = worst["township"]
            row["worst_township_share"] = worst["covered_share"]
            row["townships_failing"] = len(failing)
        else:
            row["worst_township"], row["worst_township_share"] = "", float("nan")
            row["townships_failing"] = 0
        row["citation"] = std.citation
        rows.append(row)
    return _rounded(pd.DataFrame(rows).rename(columns={"township": "area"}))


def worst_served(row: Mapping[Any, Any] | pd.Series) -> str:
    """Name the worst-served township of a summary row, as '拉沟乡 (63.0%)'.

    It is :data:`NONE_BELOW` when every township meets the target, '' for a standard that is not
    applicable.
    """
    if row.get("note"):
        return ""
    name = row.get("worst_township")
    failing = float(str(row.get("townships_failing", 0)))
    if not isinstance(name, str) or not name or not failing > 0:
        return NONE_BELOW
    share = float(str(row.get("worst_township_share")))
    return f"{name} ({share_text(share, row.get('target_share'))})"


def covered_areas(
    cells: gpd.GeoDataFrame,
    minutes: Mapping[str, FloatArray],
    standards: Sequence[Standard],
    notes: Mapping[str, str],
) -> gpd.GeoDataFrame:
    """Return per standard, the union of demand cells within its threshold ("isochrone").

    Drawn at the resolution of the demand grid: a cell is in when its demand point is
    within the threshold. The ``method`` column says so.
    """
    rows = []
    for std in standards:
        note = notes.get(std.name, "")
        m = minutes.get(std.name)
        if note or m is None:
            geom = None
        else:
            inside = cells.geometry.values[np.asarray(m) <= std.minutes]
            geom = _union(np.asarray(inside, dtype=object)) if len(inside) else None
        rows.append({
            "standard": std.name, "label": f"{std.name}: within {std.minutes:g} min",
            "minutes": std.minutes,
            "method": "union of demand-grid cells whose centre is within the threshold "
                      "(grid resolution)",
            "note": note, "geometry": geom,
        })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=cells.crs)
