"""Which roads a standard's circle depends on.

Every road piece cut alone, ranked by the people who lose the standard (``geo resilience STUDY
--standard NAME``).

A piece is a stretch of road between junctions (:func:`geo.routing.criticality.road_pieces`);
cutting it closes it as a scenario's ``close_road`` does (places on it join the nearest open
road). For each piece: the people within the standard's minutes before and not after, the
added person-minutes of everyone slower, the people cut off from every facility by road,
the townships whose people lose the standard, the worst new time, and the detour between
its ends. The numbers are the study's own: the same demand points, facilities, joins and
search as ``geo run``, recomputed incrementally and exactly
(:mod:`geo.routing.criticality`); the "before" minutes are checked against the run's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage.standards import Standard
from geo.coverage.tables import people_of
from geo.errors import Arg, Hint, ScenarioError
from geo.network.graph import Network
from geo.numbers import round_half_up
from geo.routing.criticality import PieceImpact, Pieces, piece_impacts
from geo.study.run import ComputedStudy

__all__ = ["CRITICALITY_COLUMNS", "Criticality", "criticality"]

_DECIMALS = {"km": 2, "people_lost": 1, "person_minutes_added": 0, "people_cut_off": 1,
             "worst_minutes_after": 1, "detour_minutes": 1, "piece_minutes": 1,
             # the piece's ends to 6 decimals (0.1 m), as the siting tables write places
             "lon_a": 6, "lat_a": 6, "lon_b": 6, "lat_b": 6}

#: the ranking's columns, in order
CRITICALITY_COLUMNS = (
    "rank", "piece", "road", "highway", "km", "people_lost", "person_minutes_added",
    "people_cut_off", "townships_losing", "worst_minutes_after", "detour_minutes",
    "piece_minutes", "points_slower", "lon_a", "lat_a", "lon_b", "lat_b",
)


@dataclass
class Criticality:
    """The ranking of one standard's road pieces (``table``, most critical first).

    Their lines (``lines``: the table's rows with WGS84 geometry), what it rests on (``notes``) and
    the seconds it took.
    """

    study: ComputedStudy
    standard: Standard
    minutes: float
    table: pd.DataFrame
    lines: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pieces: Pieces | None = None
    impact: PieceImpact | None = None
    #: suggested fixes (:func:`geo.planning.fixes.suggest_links`), where asked for
    fixes: Any = None


def _townships(imp: PieceImpact, names: np.ndarray, limit: float, p: int) -> str:
    sl = slice(imp.changed_ptr[p], imp.changed_ptr[p + 1])
    idx, after = imp.changed[sl], imp.minutes_after[sl]
    lost = (imp.minutes_before[idx] <= limit) & ~(after <= limit)
    return "、".join(dict.fromkeys(str(n) for n in names[idx[lost]]))


def _piece_labels(net: Network, pieces: Pieces) -> tuple[list[str], list[str]]:
    """Per piece: the names and refs of its roads.

    Most road first (at most three; as :func:`geo.network.closures.road_label` writes them), and its
    main road class.
    """
    seg = pd.DataFrame({"piece": pieces.seg_piece, "m": net.seg_length_m,
                        "highway": net.seg_class.astype(str)})
    if net.roads is not None and net.seg_road is not None:
        r = net.roads
        text = [" ".join(x for x in (str(f), str(n)) if x) for f, n in
                zip(r["ref"], r["name"], strict=True)]
        own = np.asarray(text, dtype=object)[np.maximum(net.seg_road, 0)]
        seg["label"] = np.where(net.seg_road >= 0, own, "")
    else:
        seg["label"] = ""
    cls = seg.groupby(["piece", "highway"])["m"].sum().reset_index().sort_values(
        ["piece", "m"], ascending=[True, False]).drop_duplicates("piece").set_index("piece")
    main = [str(cls["highway"].get(p, "")) for p in range(pieces.n)]
    named = seg[seg["label"] != ""].groupby(["piece", "label"])["m"].sum().reset_index()
    named = named.sort_values(["piece", "m"], ascending=[True, False])
    top = named.groupby("piece")["label"].apply(lambda x: " / ".join(x.head(3)))
    labels = [str(top.get(p, f"unnamed {main[p]}")) for p in range(pieces.n)]
    return labels, main


def _piece_lines(net: Network, pieces: Pieces) -> gpd.GeoSeries:
    """One (multi)line per piece in WGS84."""
    order, ptr = pieces.segments()
    a, b = net.node_xy[net.seg_u[order]], net.node_xy[net.seg_v[order]]
    segs = np.asarray(shapely.linestrings(np.stack([a, b], axis=1)), dtype=object)
    parts = [shapely.line_merge(shapely.multilinestrings(segs[ptr[p]:ptr[p + 1]]))
             for p in range(pieces.n)]
    return gpd.GeoSeries(parts, crs=net.crs).to_crs(4326)


def criticality(result: ComputedStudy, standard: str, minutes: float | None = None
                ) -> Criticality:
    """Rank the road pieces of ``standard``'s network by the people who lose it.

    A piece's people are those who lose the standard when that piece alone is cut (see
    module docs); ``minutes``: the threshold (default the
    standard's).

    Examples
    --------
    >>> import geo
    >>> from geo.planning.resilience import criticality
    >>> computed = geo.run_study("analysis/luzhai.toml")
    >>> ranking = criticality(computed, "emergency_60min")
    >>> list(ranking.table.columns[:3])
    ['rank', 'piece', 'road']
    """
    if not isinstance(result, ComputedStudy):
        raise ScenarioError(Arg("criticality", "result", Hint(type(result).__name__)),
                            ": give the computed study of geo.run_study or geo.load_computed")
    std = result.standard(standard, "criticality")
    limit = float(std.minutes if minutes is None else minutes)
    fac = result.facilities[result.facilities["type"].isin(std.facility_types)]
    if fac.empty:
        raise ScenarioError(f"standard {std.name} has no facility of type "
                            f"{', '.join(std.facility_types)} in this study: rank the roads "
                            "of another --standard")
    if std.name not in result.travel.minutes:  # applies to no township (geo.coverage.kinds)
        raise ScenarioError(f"standard {std.name}: {result.travel.notes.get(std.name, '')}: "
                            "rank the roads of another --standard")
    net = result.networks[std.mode]
    t0 = time.perf_counter()
    fac_snap = result.snap(fac, std.mode)
    dem_snap = result.demand_snap(std.mode)
    # a standard serving one group (population_group) counts that group's people lost
    pop = people_of(std, result.demand["population"].to_numpy(dtype=float), result.served)
    inside = np.ones(len(pop), dtype=bool)
    if std.name in result.scopes:  # only the townships of its kinds count (geo.coverage.kinds)
        inside = result.scopes[std.name].mask(result.demand["township"].to_numpy(dtype=object))
        pop = np.where(inside, pop, 0.0)
    pieces, imp = piece_impacts(
        net, fac_snap, dem_snap, pop, limit, access_speed_kmh=result.study.access_kmh(std.mode),
        direction=std.direction, exclude_classes=tuple(result.study.access.snap_exclude))
    seconds = time.perf_counter() - t0
    run_minutes = result.travel.minutes[std.name]
    if not np.array_equal(imp.minutes_before[inside], run_minutes[inside], equal_nan=True):
        raise AssertionError("the criticality's minutes before any cut differ from the run's")
    names = result.demand["township"].to_numpy(dtype=object)
    labels, classes = _piece_labels(net, pieces)
    xy = net.to_gdf()[0]
    lon, lat = xy["x"].to_numpy(), xy["y"].to_numpy()
    km = np.bincount(pieces.seg_piece, weights=net.seg_length_m, minlength=pieces.n) / 1000.0
    a, b = pieces.a, pieces.b
    rows = [{
        "piece": p, "road": labels[p], "highway": classes[p], "km": km[p],
        "people_lost": imp.people_lost[p], "person_minutes_added": imp.person_minutes[p],
        "people_cut_off": imp.people_isolated[p],
        "townships_losing": _townships(imp, names, limit, p),
        "worst_minutes_after": imp.worst_minutes[p],
        "detour_minutes": imp.detour_minutes[p], "piece_minutes": imp.piece_minutes[p],
        "points_slower": int(imp.changed_ptr[p + 1] - imp.changed_ptr[p]),
        "lon_a": lon[a[p]], "lat_a": lat[a[p]], "lon_b": lon[b[p]], "lat_b": lat[b[p]],
    } for p in range(pieces.n)]
    table = pd.DataFrame(rows)
    # rounded half up (geo.numbers) as the coverage tables are (people and minutes to
    # 0.1), ranked on the exact numbers
    exact = table[["people_lost", "people_cut_off", "person_minutes_added"]].copy()
    for col, d in _DECIMALS.items():
        table[col] = [round_half_up(float(v), d) for v in table[col]]
    table[["_lost", "_cut", "_pm"]] = exact.to_numpy()
    table = table.sort_values(["_lost", "_cut", "_pm", "piece"],
                              ascending=[False, False, False, True], kind="stable")
    table = table.drop(columns=["_lost", "_cut", "_pm"])
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table = table.reset_index(drop=True)[list(CRITICALITY_COLUMNS)]
    lines = gpd.GeoDataFrame(table, geometry=_piece_lines(net, pieces).iloc[
        table["piece"].to_numpy()].to_numpy(), crs=4326)
    notes = [
        f"{std.name}: {pieces.n} road pieces (stretches between junctions) of the {std.mode} "
        f"network, each cut alone; {int(imp.evaluated.sum())} lie on a facility's "
        "shortest-path tree or carry a place's join and were searched again, the others "
        "change no time",
        "a cut piece is closed as close_road closes a road: places that stood on it join "
        "the nearest open road; people lost: within "
        f"{limit:g} minutes before the cut and not after it",
        "people cut off: reach a facility by road before the cut and by no road after it "
        "(the straight-line access leg may still reach one, as in every result)",
        "detour minutes: the quickest route between the piece's ends without it, less the "
        "piece's own minutes (single-link redundancy); inf where there is none",
        f"{imp.full_reruns} pieces carry a facility's join and were searched afresh; every "
        "other answer comes from the incremental search, exact (tests compare each piece "
        "with a full rerun)",
    ]
    return Criticality(result, std, limit, table, lines, notes + list(result.assumptions),
                       seconds, pieces, imp)
