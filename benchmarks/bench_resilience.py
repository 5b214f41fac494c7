"""Benchmark: every single-piece criticality of one standard (``geo resilience``), against the
naive "close the piece, snap and search again" per piece it replaces, in one run.

Two networks:

* **Luzhai** (the embedded study, 1-hour emergency circle): the incremental ranking
  (:func:`geo.planning.resilience.criticality`, the whole command's ranking step) and the
  naive rerun of every piece (the network with the piece closed, facilities and demand points
  joined again, one nearest search), whose answers must agree point by point;
* **a 100,000-node network with 100,000 demand points** (:func:`road_grid`): a synthetic
  county-sized road grid, junctions every 900 m with two shape vertices between them (so a
  piece, junction to junction, is three segments, as on a road line layer), a dead-end spur
  at every seventh junction, arterials every tenth row and column; 40 facilities and 100,000
  demand points at random, a 30-minute standard. :func:`geo.routing.criticality.piece_impacts`
  ranks every piece; the naive rerun is timed on ``--sample`` pieces drawn at random (each
  checked against the incremental answer point by point) and its total is that time per
  piece times the pieces, as a full naive run would take days.

The target of issue 24: the 100,000/100,000 ranking in under 2 minutes and Luzhai in under 5
seconds, on 2 cores. Writes benchmarks/results/resilience.json and .md. Run with
`make bench`, or alone::

    python benchmarks/bench_resilience.py [--sample 12] [--luzhai-sample 0]

``--luzhai-sample 0`` (the default) reruns every Luzhai piece naively.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from geo.network.closures import changed_network
from geo.network.graph import Network
from geo.planning.resilience import criticality
from geo.routing.criticality import PieceImpact, Pieces, piece_impacts
from geo.routing.travel import nearest_facility, snap_points
from geo.study.run import run_study

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
STANDARD = "emergency_1h"


def road_grid(junctions: int = 142, shape: int = 2, seed: int = 24) -> Network:
    """Return the synthetic road network (see module docs): about 100,000 nodes for 142."""
    from pyproj import CRS

    rng = np.random.default_rng(seed)
    j = junctions
    step = 900.0 / (shape + 1)
    jid = np.arange(j * j).reshape(j, j)
    yy, xx = np.divmod(np.arange(j * j), j)
    xy = [np.column_stack([300_000 + 900.0 * xx, 2_600_000 + 900.0 * yy])]
    u: list[np.ndarray] = []
    v: list[np.ndarray] = []
    arterial: list[np.ndarray] = []
    n = j * j
    for horizontal in (True, False):
        a = (jid[:, :-1] if horizontal else jid[:-1, :]).ravel()
        b = (jid[:, 1:] if horizontal else jid[1:, :]).ravel()
        line = (a // j) if horizontal else (a % j)  # the row (column) the road runs along
        chain = [a]
        for k in range(1, shape + 1):  # shape vertices between the two junctions
            ids = n + np.arange(len(a))
            n += len(a)
            pa = xy[0][a]
            off = np.array([step * k, 0.0]) if horizontal else np.array([0.0, step * k])
            xy.append(pa + off + rng.uniform(-40, 40, (len(a), 2)))
            chain.append(ids)
        chain.append(b)
        for k in range(len(chain) - 1):
            u.append(chain[k])
            v.append(chain[k + 1])
            arterial.append(line % 10 == 0)
    spur = np.arange(0, j * j, 7)  # a dead end at every seventh junction, two segments long
    mid = n + np.arange(len(spur))
    tip = mid + len(spur)
    n += 2 * len(spur)
    xy.append(xy[0][spur] + [300.0, 300.0])
    xy.append(xy[0][spur] + [600.0, 450.0])
    u += [spur, mid]
    v += [mid, tip]
    arterial += [np.zeros(len(spur), bool)] * 2
    su, sv = np.concatenate(u), np.concatenate(v)
    node_xy = np.concatenate(xy).astype(float)
    art = np.concatenate(arterial)
    metres = np.hypot(*(node_xy[su] - node_xy[sv]).T)
    kmh = np.where(art, 60.0, 30.0) * rng.uniform(0.9, 1.1, len(su))
    secs = metres / (kmh / 3.6)
    cls = np.where(art, "primary", "residential").astype(object)
    return Network(CRS.from_epsg(32649), node_xy, su.astype(np.int64), sv.astype(np.int64),
                   secs, secs.copy(), cls, "drive")


def _naive(net: Network, fac_xy: np.ndarray, dem_xy: np.ndarray, pieces: Pieces,
           imp: PieceImpact, chosen: np.ndarray, kmh: float, direction: str,
           exclude: tuple[str, ...]) -> tuple[float, int]:
    """Rerun the pieces ``chosen`` naively; seconds taken and points differing."""
    order, ptr = pieces.segments()
    differ = 0
    t0 = time.perf_counter()
    for p in chosen.tolist():
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        cut = changed_network(net, closed)
        secs, _ = nearest_facility(cut, snap_points(cut, fac_xy, exclude_classes=exclude),
                                   snap_points(cut, dem_xy, exclude_classes=exclude),
                                   access_speed_kmh=kmh, direction=direction)
        got = imp.minutes_before.copy()
        sl = slice(imp.changed_ptr[p], imp.changed_ptr[p + 1])
        got[imp.changed[sl]] = imp.minutes_after[sl]
        differ += int((got != secs / 60.0).sum())
    return time.perf_counter() - t0, differ


def luzhai(sample: int) -> dict[str, Any]:
    """Luzhai's ranking and its naive rerun (every piece, or ``sample`` drawn)."""
    result = run_study(ROOT / "analysis" / "luzhai.toml")
    std = result.standard(STANDARD)
    criticality(result, STANDARD)  # once to warm the caches the command also builds first
    t0 = time.perf_counter()
    run = criticality(result, STANDARD)
    incremental = time.perf_counter() - t0
    pieces, imp = run.pieces, run.impact
    assert pieces is not None and imp is not None
    net = result.networks[std.mode]
    fac = result.facilities[result.facilities["type"].isin(std.facility_types)]
    chosen = np.arange(pieces.n) if not sample else np.sort(
        np.random.default_rng(1).choice(pieces.n, min(sample, pieces.n), replace=False))
    naive, differ = _naive(net, np.asarray(result.snap(fac, std.mode).xy),
                           np.asarray(result.demand_snap(std.mode).xy), pieces, imp, chosen,
                           result.study.access_kmh(std.mode), std.direction,
                           tuple(result.study.access.snap_exclude))
    naive_all = naive / len(chosen) * pieces.n
    return {"network": "luzhai", "standard": STANDARD, "nodes": net.n_nodes,
            "segments": len(net.seg_u), "pieces": pieces.n,
            "demand_points": len(result.demand),
            "incremental_s": round(incremental, 2), "naive_pieces_run": len(chosen),
            "naive_s_per_piece": round(naive / len(chosen), 4),
            "naive_all_pieces_s": round(naive_all, 1),
            "ratio": round(naive_all / incremental, 1), "points_that_differ": differ}


def grid(sample: int) -> dict[str, Any]:
    """The 100,000-node ranking and its sampled naive rerun."""
    t0 = time.perf_counter()
    net = road_grid()
    rng = np.random.default_rng(100_000)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    dem_xy = lo + rng.random((100_000, 2)) * (hi - lo)
    fac_xy = lo + rng.random((40, 2)) * (hi - lo)
    exclude: tuple[str, ...] = ("motorway",)
    dem = snap_points(net, dem_xy, exclude_classes=exclude)
    fac = snap_points(net, fac_xy, exclude_classes=exclude)
    pop = rng.uniform(5, 200, len(dem_xy))
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    pieces, imp = piece_impacts(net, fac, dem, pop, 30.0, access_speed_kmh=5.0,
                                exclude_classes=exclude)
    incremental = time.perf_counter() - t0
    cand = np.flatnonzero(imp.evaluated)
    chosen = np.sort(rng.choice(cand, min(sample, len(cand)), replace=False))
    naive, differ = _naive(net, fac_xy, dem_xy, pieces, imp, chosen, 5.0, "from_facility",
                           exclude)
    naive_all = naive / len(chosen) * pieces.n
    covered = float(pop[imp.minutes_before <= 30.0].sum() / pop.sum())
    return {"network": "road grid", "nodes": net.n_nodes, "segments": len(net.seg_u),
            "pieces": pieces.n, "pieces_searched_again": int(imp.evaluated.sum()),
            "facility_pieces_rerun_whole": imp.full_reruns, "demand_points": len(dem_xy),
            "facilities": len(fac_xy), "covered_share_30min": round(covered, 3),
            "build_s": round(built, 1), "incremental_s": round(incremental, 1),
            "naive_pieces_run": len(chosen), "naive_s_per_piece": round(naive / len(chosen), 3),
            "naive_all_pieces_s": round(naive_all, 0),
            "ratio": round(naive_all / incremental, 0), "points_that_differ": differ}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=12,
                    help="pieces of the 100,000-node network rerun naively (default 12)")
    ap.add_argument("--luzhai-sample", type=int, default=0,
                    help="Luzhai pieces rerun naively (0: every piece, the default)")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    big = grid(args.sample)
    small = luzhai(args.luzhai_sample)
    out: dict[str, Any] = {"python": sys.version.split()[0], "machine": platform.machine(),
                           "cpus": os.cpu_count(), "load_average_1min": round(load, 1),
                           "grid": big, "luzhai": small}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "resilience.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    md = ["# Road criticality (geo resilience)", "",
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the start.", "",
          "| network | nodes | pieces | demand points | incremental s | naive s (per piece "
          "x pieces) | ratio | points differing |", "|---|---|---|---|---|---|---|---|"]
    for r in (big, small):
        md.append(f"| {r['network']} | {r['nodes']:,} | {r['pieces']:,} | "
                  f"{r['demand_points']:,} | {r['incremental_s']} | {r['naive_all_pieces_s']:,} "
                  f"({r['naive_s_per_piece']} x {r['pieces']:,}; {r['naive_pieces_run']} "
                  f"pieces run) | {r['ratio']:,}x | {r['points_that_differ']} |")
    md += ["", "Targets (issue 24): the 100,000-node ranking under 120 s, Luzhai under 5 s."]
    (RESULTS / "resilience.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    if big["points_that_differ"] or small["points_that_differ"]:
        raise SystemExit("the incremental and the naive answers differ")


if __name__ == "__main__":
    main()
