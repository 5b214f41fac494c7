"""Suggest the fix: a new road link that restores the most people under a critical cut.

For each of the first ``n`` pieces of a criticality ranking (:mod:`geo.planning.resilience`)
that take anyone out of the standard, the candidates are straight new roads between two
network nodes at most ``reach_km`` apart: one whose time got worse with the piece cut, one
whose time did not (either side of the cut). They are screened by an estimate (node times
with the link added, from searches on the network with the piece cut; a demand point gains
what the better end of its segment gains), and the :data:`RERUNS` best are scored exactly:
the study rerun (its own joins and search) on its network rebuilt with the link as a
scenario's ``add_road`` and the piece closed as a scenario's ``close_road`` by a point on
it, which is what ``geo compare`` does with the scenario written for each suggestion.
People restored: within the standard's minutes before the cut, not after it, and again
with the link.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.errors import ScenarioError
from geo.network.closures import changed_network
from geo.numbers import round_half_up
from geo.planning.resilience import Criticality
from geo.planning.road_changes import change_roads, selected_segments
from geo.planning.scenario import (
    _road_frame,
    apply_scenario,
    parse_scenario,
    scenario_toml,
    with_type_codes,
)
from geo.planning.sites import make_candidates
from geo.routing.travel import node_nearest, reach_matrix
from geo.siting.models import SitingProblem, mclp

__all__ = ["FIX_COLUMNS", "LINK_CLASS", "RERUNS", "Fixes", "check_fix_options", "suggest_links"]

#: the class of a suggested link (乡道, a township road), at the study's speed for it
LINK_CLASS = "tertiary"
#: candidates per piece scored by an exact rerun (the best by the estimate)
RERUNS = 3
#: candidate pairs per piece that the estimate screens (the largest time saved at the worse end)
SCREENED = 40

#: the suggestions' columns, in order
FIX_COLUMNS = (
    "rank", "road", "people_lost", "people_restored", "people_still_lost", "link_km",
    "link_class", "link_kmh", "link_minutes", "candidates", "scenario",
    "lon_from", "lat_from", "lon_to", "lat_to",
    "site_people_restored", "site_type", "site_lon", "site_lat", "site_candidates",
    "site_scenario",
)


@dataclass
class Fixes:
    """The suggested links (``table``: one row per piece), their scenarios and notes.

    ``scenarios`` maps a file name (``fix_RANK.toml``) to its text: the piece closed and the
    link added, for ``geo compare``.
    """

    table: pd.DataFrame
    scenarios: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reach_km: float = 0.0
    seconds: float = 0.0


def _kmh(net: Any, cls: str) -> float:
    """Return the median speed (km/h) of the network's segments of class ``cls``."""
    own = (np.asarray(net.seg_class).astype(str) == cls) & np.isfinite(net.seg_fw_s) & (
        net.seg_fw_s > 0)
    if not own.any():
        from geo.settings import DRIVE_SPEEDS_KMH
        return float(DRIVE_SPEEDS_KMH.get(cls, 30.0))
    return float(np.median(net.seg_length_m[own] / net.seg_fw_s[own] * 3.6))


def _after(run: Criticality, nets: dict[str, Any]) -> np.ndarray:
    res, std = run.study, run.standard
    return np.asarray(res.travel_to(res.facilities, nets).minutes[std.name], dtype=float)


def check_fix_options(n: int, reach_km: float) -> None:
    """Stop where ``n`` (pieces) or ``reach_km`` (the farthest link or site) is out of range."""
    if not 0 <= n <= 20:
        raise ScenarioError(f"--fixes {n}: give 0 to 20 pieces to suggest a fix for (0: none)")
    if not 0 < reach_km <= 50:
        raise ScenarioError(f"--fix-km {reach_km:g}: give the longest new link to consider, "
                            "more than 0 and at most 50 km")


def suggest_links(run: Criticality, n: int = 5, reach_km: float = 5.0) -> Fixes:
    """Suggest one new road link for each of the first ``n`` pieces that cost people.

    See module docs; ``reach_km``: the longest link (straight line) considered.
    """
    check_fix_options(n, reach_km)
    t0 = time.perf_counter()
    res, std, pieces = run.study, run.standard, run.pieces
    assert pieces is not None
    net = res.networks[std.mode]
    limit = run.minutes
    pop = _people(run)
    before = np.asarray(res.travel.minutes[std.name], dtype=float)
    fac = res.facilities[res.facilities["type"].isin(std.facility_types)]
    fac_snap = res.snap(fac, std.mode)
    speed_access = res.study.access_kmh(std.mode)
    t_before, _ = node_nearest(net, fac_snap, access_speed_kmh=speed_access,
                               direction=std.direction)
    kmh = _kmh(net, LINK_CLASS)
    to_wgs = Transformer.from_crs(net.crs, 4326, always_xy=True)
    dem = res.demand_snap(std.mode)
    rows: list[dict[str, Any]] = []
    scen: dict[str, str] = {}
    notes: list[str] = []
    top = run.table[run.table["people_lost"] > 0].head(n)
    cands = make_candidates(res, "grid", asked_by="resilience") if len(top) else None

    def mid_of(on_piece: np.ndarray) -> tuple[float, float]:
        return _point_on(net, on_piece, to_wgs)

    for r in top.to_dict("records"):
        p = int(r["piece"])
        on_piece = pieces.seg_piece == p
        cut = changed_network(net, on_piece)
        t_cut, _ = node_nearest(cut, fac_snap, access_speed_kmh=speed_access,
                                direction=std.direction)
        after = _after(run, {**res.networks, std.mode: cut})
        lost = (before <= limit) & ~(after <= limit)
        row: dict[str, Any] = {"rank": int(r["rank"]), "road": r["road"],
                               "people_lost": float(pop[lost].sum())}
        inner = np.zeros(net.n_nodes, dtype=bool)
        inner[np.concatenate([net.seg_u[on_piece], net.seg_v[on_piece]])] = True
        inner[[pieces.a[p], pieces.b[p]]] = False
        worse = np.flatnonzero(~inner & (t_cut > t_before))
        same = np.flatnonzero(~inner & (t_cut == t_before) & np.isfinite(t_cut))
        row.update(_site(run, cut, on_piece, lost, after, pop, cands, reach_km, mid_of(on_piece),
                         int(r["rank"]), scen, notes, str(r["road"])))
        pairs = _pairs(net, worse, same, reach_km)
        if len(pairs) == 0:
            notes.append(f"rank {r['rank']} ({r['road']}): no node whose time got worse lies "
                         f"within {reach_km:g} km of one whose time did not: no link suggested "
                         "(a longer --fix-km may find one)")
            rows.append({**row, "candidates": 0})
            continue
        length = np.hypot(*(net.node_xy[pairs[:, 0]] - net.node_xy[pairs[:, 1]]).T)
        secs = length / (kmh / 3.6)
        saved = t_cut[pairs[:, 0]] - (t_cut[pairs[:, 1]] + secs)
        order = np.argsort(-np.where(np.isfinite(saved), saved, 1e18), kind="stable")
        order = order[saved[order] > 0][:SCREENED]
        if len(order) == 0:
            notes.append(f"rank {r['rank']} ({r['road']}): no link within {reach_km:g} km "
                         "is quicker than the roads left open: no link suggested")
            rows.append({**row, "candidates": len(pairs)})
            continue
        est = _estimate(cut, std.direction, t_cut, pairs[order], secs[order], dem, after,
                        speed_access, limit, lost, pop)
        best: tuple[float, int, np.ndarray] | None = None
        mid = _point_on(net, on_piece, to_wgs)
        for k in np.argsort(-est, kind="stable")[:RERUNS]:
            i = int(order[k])
            u, v = int(pairs[i, 0]), int(pairs[i, 1])
            actions = _actions(net, u, v, mid, to_wgs, r["road"])
            got = _rerun(run, actions, float(np.bincount(
                on_piece.astype(int), weights=net.seg_length_m, minlength=2)[1]))
            if got is None:
                continue
            restored = float(pop[lost & (got <= limit)].sum())
            if best is None or restored > best[0]:
                best = (restored, i, got)
        if best is None:
            notes.append(f"rank {r['rank']} ({r['road']}): on the network rebuilt with "
                         f"each of the best {RERUNS} candidate links the cut piece is not "
                         "the same stretch (the link crosses or joins it): no link suggested")
            rows.append({**row, "candidates": len(pairs)})
            continue
        restored, i, got = best
        u, v = int(pairs[i, 0]), int(pairs[i, 1])
        (lon_u, lon_v), (lat_u, lat_v) = to_wgs.transform(net.node_xy[[u, v], 0],
                                                          net.node_xy[[u, v], 1])
        name = f"fix_{int(r['rank'])}.toml"
        actions = _actions(net, u, v, mid, to_wgs, r["road"])
        scen[name] = scenario_toml(
            f"fix_{int(r['rank'])}", f"{r['road']} cut, new link", actions,
            description=f"the road piece ranked {r['rank']} for {std.name} closed, and a new "
            f"{LINK_CLASS} link of {length[i] / 1000:.2f} km (straight line) that restores "
            f"{restored:,.0f} people; edit the link's coords, highway or maxspeed and run "
            "geo compare again",
            comment=["written by geo resilience: the suggested fix for one critical road piece"])
        rows.append({**row, "people_restored": restored,
                     "people_still_lost": float(pop[lost & ~(got <= limit)].sum()),
                     "link_km": float(length[i] / 1000), "link_class": LINK_CLASS,
                     "link_kmh": kmh, "link_minutes": float(secs[i] / 60),
                     "candidates": len(pairs), "scenario": name, "lon_from": lon_u,
                     "lat_from": lat_u, "lon_to": lon_v, "lat_to": lat_v})
    table = pd.DataFrame(rows, columns=list(FIX_COLUMNS))
    for col, d in (("people_lost", 1), ("people_restored", 1), ("people_still_lost", 1),
                   ("site_people_restored", 1),
                   ("link_km", 2), ("link_kmh", 1), ("link_minutes", 1),
                # places to 6 decimals (0.1 m), as the siting tables write them; the
                # scenario files written beside keep the exact points
                ("lon_from", 6), ("lat_from", 6), ("lon_to", 6), ("lat_to", 6),
                ("site_lon", 6), ("site_lat", 6)):
        table[col] = [v if pd.isna(v) else round_half_up(float(v), d) for v in table[col]]
    notes.insert(0, (
        f"suggested fixes: for each of the first {n} pieces that cost people, candidate new "
        f"links are straight lines of at most {reach_km:g} km between a node whose time got "
        "worse with the piece cut and one whose time did not, as a "
        f"{LINK_CLASS} road (乡道) at the network's {kmh:.0f} km/h for that class (an "
        "approximation: a real road bends and climbs); the candidates are screened by an "
        f"estimate and the best {RERUNS} rerun exactly (the study's own joins and search on "
        "the network rebuilt with the link, the piece closed): people restored are the "
        "rerun's, as geo compare of the scenario fix_RANK.toml gives them"))
    notes.insert(1, (
        "suggested facility: for each piece, one new facility of the standard's most common "
        "type in the study, from the siting grid's candidates (geo site, grid) within "
        f"{reach_km:g} km of a person who loses the standard, chosen by maximal covering "
        "(MCLP, exact, HiGHS) of the people lost, on the network with the piece cut; people "
        "restored are the rerun's (the study's search with the piece closed and the facility "
        "added), as geo compare of the scenario site_RANK.toml gives them"))
    return Fixes(table, scen, notes, reach_km, time.perf_counter() - t0)


def _site(run: Criticality, cut: Any, on_piece: np.ndarray, lost: np.ndarray,
          after: np.ndarray, pop: np.ndarray, cands: Any, reach_km: float,
          mid: tuple[float, float], rank: int, scen: dict[str, str], notes: list[str],
          road: str) -> dict[str, Any]:
    """Suggest one new facility for the cut (MCLP of the people lost); see module docs."""
    res, std = run.study, run.standard
    mode, limit = std.mode, run.minutes
    net = res.networks[mode]
    dem = res.demand_snap(mode)
    lost_xy = dem.xy[lost]
    cxy = _xy(cands, net.crs)
    near = cKDTree(lost_xy).query(cxy, distance_upper_bound=reach_km * 1000.0)[0] \
        if len(lost_xy) else np.full(len(cxy), np.inf)
    keep = np.flatnonzero(np.isfinite(near))
    if len(keep) == 0:
        notes.append(f"rank {rank} ({road}): no siting candidate lies within {reach_km:g} km "
                     "of the people lost: no facility suggested")
        return {"site_candidates": 0}
    sites = cands.iloc[keep]
    nets = {mode: cut}
    reach = reach_matrix(cut, res.snap(sites, mode, nets), res.snap(res.demand, mode, nets),
                         access_speed_kmh=res.study.access_kmh(mode),
                         max_seconds=60.0 * limit, direction=std.direction)
    problem = SitingProblem(reach, np.where(lost, pop, 0.0), threshold_s=60.0 * limit,
                            existing_s=np.where(np.isfinite(after), after * 60.0, np.inf))
    chosen = int(mclp(problem, 1, method="exact").chosen[0])
    site = sites.iloc[chosen]
    lon, lat = float(site.geometry.x), float(site.geometry.y)
    types = res.facilities["type"][res.facilities["type"].isin(std.facility_types)]
    kind = str(types.value_counts().index[0])
    name = f"site_{rank}.toml"
    actions = [
        {"action": "close_road", "lon": mid[0], "lat": mid[1], "project": "cut",
         "note": f"the critical piece: {road}"},
        {"action": "add", "id": f"SUGGESTED_{rank}", "name": "suggested facility",
         "type": kind, "lon": lon, "lat": lat, "project": "fix",
         "note": "a siting-grid candidate: move it to a real site"},
    ]
    text = scenario_toml(
        f"site_{rank}", f"{road} cut, new facility", actions,
        description=f"the road piece ranked {rank} for {std.name} closed, and one new "
        f"{kind} at the siting candidate that keeps the most people lost; edit and run "
        "geo compare again",
        comment=["written by geo resilience: the suggested facility for one critical road "
                 "piece"])
    # what geo compare does with the scenario: its facilities, the piece closed (the point
    # written picks the piece itself on the study's network: checked), the study's search
    scen_ = with_type_codes(parse_scenario(text, name), res.study.facilities.type_map)
    applied = apply_scenario(scen_, res.facilities, res.standard_set, res.area,
                             res.study.facilities.outside)
    if not np.array_equal(selected_segments(net, actions[0]), on_piece):
        raise AssertionError("the point written for the cut picks another stretch of road")
    got = np.asarray(res.travel_to(applied.facilities, {**res.networks, mode: cut}
                                   ).minutes[std.name], dtype=float)
    scen[name] = text
    return {"site_people_restored": float(pop[lost & (got <= limit)].sum()), "site_type": kind,
            "site_lon": lon, "site_lat": lat, "site_candidates": len(keep),
            "site_scenario": name}


def _xy(frame: Any, crs: Any) -> np.ndarray:
    g = frame.geometry.to_crs(crs)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def _people(run: Criticality) -> np.ndarray:
    from geo.coverage.tables import people_of

    res, std = run.study, run.standard
    pop = people_of(std, res.demand["population"].to_numpy(dtype=float), res.served)
    if std.name in res.scopes:
        inside = res.scopes[std.name].mask(res.demand["township"].to_numpy(dtype=object))
        pop = np.where(inside, pop, 0.0)
    return np.asarray(pop, dtype=float)


def _pairs(net: Any, worse: np.ndarray, same: np.ndarray, reach_km: float) -> np.ndarray:
    """Return (worse node, unchanged node) pairs at most ``reach_km`` apart."""
    if len(worse) == 0 or len(same) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    near = cKDTree(net.node_xy[same]).query_ball_point(net.node_xy[worse], reach_km * 1000.0)
    out = [(int(w), int(same[j])) for w, js in zip(worse, near, strict=True) for j in js]
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def _estimate(cut: Any, direction: str, t_cut: np.ndarray, pairs: np.ndarray,
              secs: np.ndarray, dem: Any, after: np.ndarray, access_kmh: float,
              limit: float, lost: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Estimate the people each pair's link restores (screening only; see module docs)."""
    g = cut.csr()
    if direction != "from_facility":
        g = g.T.tocsr()
    ends = np.unique(pairs[:, 0])
    d = dijkstra(g, indices=ends, limit=limit * 60.0)
    row = {int(e): k for k, e in enumerate(ends)}
    a, b = cut.seg_u[dem.seg], cut.seg_v[dem.seg]
    leg = dem.access_m / (access_kmh / 3.6)
    out = np.zeros(len(pairs))
    idx = np.flatnonzero(lost)
    for k, (u, v) in enumerate(pairs):
        t_new = np.minimum(t_cut, t_cut[v] + secs[k] + d[row[int(u)]])
        with np.errstate(invalid="ignore"):  # inf - inf: a node cut off either way
            gain = np.maximum(t_cut[a[idx]] - t_new[a[idx]], t_cut[b[idx]] - t_new[b[idx]])
        via = np.minimum(t_new[a[idx]], t_new[b[idx]]) + leg[idx]
        new = np.where(np.isfinite(after[idx]), after[idx] - gain / 60.0, via / 60.0)
        out[k] = pop[idx][new <= limit].sum()
    return out


def _point_on(net: Any, on_piece: np.ndarray, to_wgs: Transformer) -> tuple[float, float]:
    """Return WGS84 lon, lat of the middle of the piece's longest segment."""
    segs = np.flatnonzero(on_piece)
    s = segs[int(np.argmax(net.seg_length_m[segs]))]
    x, y = (net.node_xy[net.seg_u[s]] + net.node_xy[net.seg_v[s]]) / 2.0
    lon, lat = to_wgs.transform(x, y)
    return float(lon), float(lat)


def _actions(net: Any, u: int, v: int, mid: tuple[float, float], to_wgs: Transformer,
             road: str) -> list[dict[str, Any]]:
    lon, lat = to_wgs.transform(net.node_xy[[u, v], 0], net.node_xy[[u, v], 1])
    return [
        {"action": "close_road", "lon": mid[0], "lat": mid[1], "project": "cut",
         "note": f"the critical piece: {road}"},
        {"action": "add_road", "coords": [[float(lon[0]), float(lat[0])],
                                          [float(lon[1]), float(lat[1])]],
         "highway": LINK_CLASS, "name": "suggested link", "project": "fix",
         "note": "straight line between two network nodes: draw the real route"},
    ]


def _rerun(run: Criticality, actions: list[dict[str, Any]], piece_m: float
           ) -> np.ndarray | None:
    """Return the minutes of the study rerun with the link added and the piece closed.

    None where the closure on the rebuilt network is not the piece (the link crosses it).
    """
    res, std = run.study, run.standard
    roads = _road_frame([actions[1]])
    assert roads is not None
    nets = res.networks_with(roads)
    try:
        closed_m = float(nets[std.mode].seg_length_m[selected_segments(nets[std.mode],
                                                                       actions[0])].sum())
    except ScenarioError:  # the rebuilt network has no road at the piece's point
        return None
    if abs(closed_m - piece_m) > 1.0:
        return None
    changed = change_roads([actions[0]], nets)
    return _after(run, changed.networks)

