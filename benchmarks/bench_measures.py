"""Access measures (geo.measures) at province scale, and against PySAL access.

Three parts (``--parts big,access,e2e``; ``make bench`` runs all three, about 30-45 min on
two cores):

1. **big** — a synthetic province: a 500 km x 500 km road grid (2 km spacing, every 10th
   line a 50 km/h trunk road, the rest 25 km/h: rural county roads; 63,001 nodes),
   1,000,000 demand points on a 500 m grid numbered row by row, as
   ``geo.coverage.population.grid_cells`` numbers a study's grid, with lognormal populations in 100
   townships, and 10,000 facilities at random places with 1-500 beds. One worker builds
   the 60-minute reach matrix with our engine (``reach_matrix``, ``to_facility``, 25 km/h
   access legs, no straight-line trips) and the nearest facility
   of every point, and saves them; then every measure runs in a fresh worker that loads
   them: time of the measure alone and the worker's peak resident memory (VmHWM:
   interpreter, libraries, the matrix and the measure). Targets (issue 13): < 60 s and
   < 4 GB each.
2. **access** — PySAL access (1.1.10) on sub-squares of the same instance (the very same
   pairs and seconds, as its cost table), 1, 4, 16 and 64 million pairs (``--ladder``): each
   measure in a fresh worker, limited to ``--access-timeout`` seconds and 12 GB of address
   space; ours on the same sub-instance. Both are timed on the measure call alone
   (building the DataFrames or the CSR is not timed); answers are compared.
3. **e2e** — end to end on the 317 x 317 grid of bench_engine.py (100,489 nodes, 300 m
   apart, 25/50 km/h): 300 facilities and every node as a demand point, 30-minute
   catchment, 2SFCA and E2SFCA. Ours: ``nodes_as_snap`` + ``reach_matrix`` + the measures;
   peer: networkx ``single_source_dijkstra_path_length(cutoff)`` per facility + access on
   the resulting cost table. Same node-to-node times in both (compared).

Results: benchmarks/results/measures.json and measures.md (with ``uptime`` load).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
SEED = 20261125
ORIGIN = np.array([300_000.0, 2_400_000.0])
MEASURES = ("2sfca", "e2sfca", "gaussian_2sfca", "3sfca", "gravity", "hansen", "nearest",
            "tables")
ACCESS_MEASURES = ("2sfca", "e2sfca", "3sfca", "gravity", "hansen")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Start VmHWM afresh from the current resident size (Linux >= 4.0), so a worker's
    peak counts what it holds from here on, not the loading it did before."""
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any, int]:
    """Seconds of a call, its answer and the number of timed calls, as bench_engine.py
    times: a first call of at least 1 s is the only sample (first-call costs are small
    beside it); a shorter one is a warm-up, then the median of up to 5 calls within
    about 10 s."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    if first >= 1.0:
        return first, out, 1
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 5 and (not times or time.perf_counter() - start < 10.0):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out, len(times)


def _load() -> str:
    return Path("/proc/loadavg").read_text(encoding="ascii").split(" ")[0]


# --------------------------------------------------------------------------- instance


def build(work: Path, n_fac: int, n_dem: int, minutes: float) -> dict[str, Any]:
    """The synthetic province, its reach matrix and nearest facilities, saved to ``work``."""
    from bench_siting import _grid_network

    from geo.routing.travel import nearest_facility, reach_matrix, snap_points

    rng = np.random.default_rng(SEED)
    side = 500e3
    t0 = time.perf_counter()
    net = _grid_network(side / 1e3, 2.0, local_kmh=25.0, trunk_kmh=50.0)
    n_side = round(math.sqrt(n_dem))
    if n_side * n_side != n_dem:
        raise SystemExit(f"--demand must be a square number (a grid), got {n_dem}")
    step = side / n_side
    yy, xx = np.divmod(np.arange(n_dem), n_side)  # row by row, as grid_cells numbers cells
    dem_xy = ORIGIN + np.column_stack([xx, n_side - 1 - yy]) * step + step / 2
    fac_xy = ORIGIN + rng.uniform(0, side, (n_fac, 2))
    dem, fac = snap_points(net, dem_xy), snap_points(net, fac_xy)
    t_snap = time.perf_counter() - t0
    kw: dict[str, Any] = {"access_speed_kmh": 25.0, "direction": "to_facility",
                          "direct": False}
    t0 = time.perf_counter()
    m = reach_matrix(net, fac, dem, max_seconds=minutes * 60.0, **kw)
    t_reach = time.perf_counter() - t0
    secs, near = nearest_facility(net, fac, dem, **kw)
    cell = ((dem_xy - ORIGIN) // (side / 10)).clip(0, 9).astype(np.int64)
    arrays = {"indptr": m.indptr, "indices": m.indices, "data": m.data,
              "fac_xy": fac_xy, "dem_xy": dem_xy, "near": near, "near_s": secs,
              "pop": rng.lognormal(3, 1, n_dem), "beds": rng.integers(1, 501, n_fac) * 1.0,
              "township": cell[:, 0] * 10 + cell[:, 1]}
    for k, v in arrays.items():
        np.save(work / f"{k}.npy", v)
    return {"network_nodes": net.n_nodes, "facilities": n_fac, "demand": n_dem,
            "minutes": minutes, "pairs": int(m.nnz),
            "matrix_mb": (m.data.nbytes + m.indices.nbytes + m.indptr.nbytes) / 2**20,
            "snap_s": t_snap, "reach_s": t_reach, "build_peak_mb": _peak_mb()}


def _matrix(work: Path, n_fac: int, n_dem: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.load(work / "data.npy"), np.load(work / "indices.npy"),
                          np.load(work / "indptr.npy")), shape=(n_fac, n_dem), copy=False)


def _ours(name: str, m: sp.csr_matrix, beds: np.ndarray, pop: np.ndarray,
          minutes: float) -> Callable[[], Any]:
    """Our measure as a call (weights as in PySAL access's defaults, on seconds)."""
    from geo import measures as gm

    lim = minutes * 60.0
    luo_qi = gm.Steps((lim / 3, 2 * lim / 3, lim), (1.0, 0.68, 0.22))
    wan = gm.Steps((lim / 6, lim / 3, lim / 2, lim), (0.962, 0.704, 0.377, 0.042))
    decay = gm.PowerDecay(1.0, 60.0, 60.0)
    return {
        "2sfca": lambda: gm.two_step(m, beds, pop),
        "e2sfca": lambda: gm.e2sfca(m, beds, pop, luo_qi),
        "gaussian_2sfca": lambda: gm.gaussian_2sfca(m, beds, pop, lim),
        "3sfca": lambda: gm.three_step(m, beds, pop, wan),
        "gravity": lambda: gm.gravity(m, beds, pop, decay),
        "hansen": lambda: gm.hansen(m, beds, decay, n_demand=len(pop)),
    }[name]


def _tables(work: Path, beds: np.ndarray, pop: np.ndarray) -> Callable[[], Any]:
    from geo import measures as gm

    near, secs = np.load(work / "near.npy"), np.load(work / "near_s.npy")
    town = np.load(work / "township.npy")

    def run() -> Any:
        b = gm.basins(near, pop, beds)
        gm.ratio_table(town, pop, b.per_person, per=1000, target=7)
        return gm.response_table(town, pop, secs + 180.0, target_minutes=60)

    return run


def worker_measure(work: Path, name: str, info: dict[str, Any]) -> dict[str, Any]:
    m = _matrix(work, info["facilities"], info["demand"])
    beds, pop = np.load(work / "beds.npy"), np.load(work / "pop.npy")
    import geo.measures  # noqa: F401  (imports before the clock starts)

    loaded = _peak_mb()
    _reset_peak()  # the peak from here: the matrix (resident) and the measure
    if name == "nearest":  # basins on the nearest facility of every point
        from geo.measures import basins

        near = np.load(work / "near.npy")
        fn: Callable[[], Any] = lambda: basins(near, pop, beds)  # noqa: E731
    elif name == "tables":
        fn = _tables(work, beds, pop)
    else:
        fn = _ours(name, m, beds, pop, info["minutes"])
    secs, out, runs = _timed(fn)
    idx = getattr(out, "index", None)
    total = float(pop @ idx) if idx is not None else None
    return {"measure": name, "seconds": secs, "runs": runs, "peak_mb": _peak_mb(),
            "loaded_mb": loaded, "sum_pop_x_index": total, "load": _load()}


# --------------------------------------------------------------------------- access


def _square(work: Path, info: dict[str, Any], target_pairs: float
            ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The pairs among facilities and demand points inside a corner square whose side is
    chosen (by bisection) to hold about ``target_pairs`` pairs."""
    m = _matrix(work, info["facilities"], info["demand"])
    fxy, dxy = np.load(work / "fac_xy.npy") - ORIGIN, np.load(work / "dem_xy.npy") - ORIGIN
    beds, pop = np.load(work / "beds.npy"), np.load(work / "pop.npy")
    lo, hi = 0.0, 500e3
    for _ in range(14):
        mid = (lo + hi) / 2
        f, d = (fxy < mid).all(axis=1), (dxy < mid).all(axis=1)
        sub = m[f][:, d]
        if abs(sub.nnz - target_pairs) < 0.03 * target_pairs:
            break
        lo, hi = (mid, hi) if sub.nnz < target_pairs else (lo, mid)
    return sub.tocsr(), beds[f], pop[d]


def _access_call(name: str, m: sp.csr_matrix, beds: np.ndarray, pop: np.ndarray,
                 minutes: float) -> Callable[[], Any]:
    import pandas as pd
    from access import Access, weights

    coo = m.tocoo()
    cost = pd.DataFrame({"origin": coo.col.astype(np.int64),
                         "dest": coo.row.astype(np.int64) + 10**8, "cost": coo.data})
    dem = pd.DataFrame({"pop": pop}, index=pd.Index(np.arange(len(pop)), name="geoid"))
    sup = pd.DataFrame({"beds": beds},
                       index=pd.Index(np.arange(len(beds)) + 10**8, name="geoid"))
    a = Access(demand_df=dem, demand_value="pop", supply_df=sup, supply_value="beds",
               cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    lim = minutes * 60.0
    luo_qi = weights.step_fn({lim / 3: 1.0, 2 * lim / 3: 0.68, lim: 0.22})
    wan = weights.step_fn({lim / 6: 0.962, lim / 3: 0.704, lim / 2: 0.377, lim: 0.042})
    grav = weights.gravity(60.0, -1.0, 60.0)
    return {
        "2sfca": lambda: a.two_stage_fca(),
        "e2sfca": lambda: a.enhanced_two_stage_fca(weight_fn=luo_qi),
        "3sfca": lambda: a.three_stage_fca(weight_fn=wan),
        "gravity": lambda: a.two_stage_fca(name="gravity", weight_fn=grav),
        "hansen": lambda: a.weighted_catchment(name="hansen", weight_fn=grav),
    }[name]


def worker_access(work: Path, name: str, info: dict[str, Any], pairs: float,
                  engine: str) -> dict[str, Any]:
    m, beds, pop = _square(work, info, pairs)
    import gc

    gc.collect()
    _reset_peak()  # the full matrix is gone: the peak is the sub-instance and the measure
    if engine == "access":
        resource.setrlimit(resource.RLIMIT_AS, (12 * 2**30, 12 * 2**30))
        fn = _access_call(name, m, beds, pop, info["minutes"])
    else:
        fn = _ours(name, m, beds, pop, info["minutes"])
    secs, out, runs = _timed(fn)
    vals = (out.iloc[:, 0].reindex(np.arange(len(pop))).fillna(0.0).to_numpy()
            if engine == "access" else getattr(out, "index", out))
    np.save(work / f"ladder_{engine}_{name}_{int(pairs)}.npy", np.asarray(vals, dtype=float))
    return {"engine": engine, "measure": name, "target_pairs": pairs, "pairs": int(m.nnz),
            "facilities": m.shape[0], "demand": m.shape[1], "seconds": secs, "runs": runs,
            "peak_mb": _peak_mb(), "load": _load()}


# --------------------------------------------------------------------------- end to end


def worker_e2e(engine: str, n_fac: int, minutes: float) -> dict[str, Any]:
    from bench_engine import edges, grid_network

    net = grid_network(317)
    rng = np.random.default_rng(SEED)
    fac = np.sort(rng.choice(net.n_nodes, n_fac, replace=False))
    pop = rng.lognormal(3, 1, net.n_nodes)
    beds = rng.integers(1, 501, n_fac) * 1.0
    lim = minutes * 60.0
    t0 = time.perf_counter()
    if engine == "ours":
        from geo import measures as gm
        from geo.routing.travel import nodes_as_snap, reach_matrix

        m = reach_matrix(net, nodes_as_snap(net, fac), nodes_as_snap(net, np.arange(net.n_nodes)),
                         access_speed_kmh=25.0, max_seconds=lim, direction="to_facility",
                         direct=False)
        t_route = time.perf_counter() - t0
        a = gm.two_step(m, beds, pop).index
        b = gm.e2sfca(m, beds, pop, gm.Steps((lim / 3, 2 * lim / 3, lim), (1, 0.68, 0.22))).index
    else:
        import networkx as nx
        import pandas as pd

        u, v, w = edges(net)
        g = nx.DiGraph()
        g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
        rows = []
        for j, f in enumerate(fac.tolist()):  # the grid is two-way: to = from
            d = nx.single_source_dijkstra_path_length(g, f, cutoff=lim)
            rows.append(pd.DataFrame({"origin": list(d), "dest": 10**8 + j,
                                      "cost": list(d.values())}))
        cost = pd.concat(rows, ignore_index=True)
        t_route = time.perf_counter() - t0
        from access import Access, weights

        acc = Access(demand_df=pd.DataFrame({"pop": pop}, index=pd.Index(
            np.arange(net.n_nodes), name="geoid")), demand_value="pop",
            supply_df=pd.DataFrame({"beds": beds}, index=pd.Index(
                np.arange(n_fac) + 10**8, name="geoid")), supply_value="beds", cost_df=cost,
            cost_origin="origin", cost_dest="dest", cost_name="cost")
        a = acc.two_stage_fca().iloc[:, 0].reindex(np.arange(net.n_nodes)).fillna(0).to_numpy()
        b = acc.enhanced_two_stage_fca(weight_fn=weights.step_fn(
            {lim / 3: 1.0, 2 * lim / 3: 0.68, lim: 0.22})).iloc[:, 0].reindex(
            np.arange(net.n_nodes)).fillna(0).to_numpy()
    total = time.perf_counter() - t0
    out = Path(tempfile.gettempdir()) / f"bench_measures_e2e_{engine}.npy"
    np.save(out, np.vstack([a, b]))
    return {"engine": engine, "nodes": net.n_nodes, "facilities": n_fac, "minutes": minutes,
            "route_s": t_route, "total_s": total, "measures_s": total - t_route,
            "peak_mb": _peak_mb(), "load": _load()}


# --------------------------------------------------------------------------- driver


def _spawn(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout:.0f} s"}
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"failed after {time.perf_counter() - t0:.0f} s: {tail[:200]}"}
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))


def _instance(work: Path, a: argparse.Namespace) -> dict[str, Any]:
    path = work / "info.json"
    want = {"facilities": a.facilities, "demand": a.demand, "minutes": a.minutes}
    if path.exists():
        info = json.loads(path.read_text(encoding="utf-8"))
        if all(info.get(k) == v for k, v in want.items()):
            return dict(info)
    info = _spawn(["build", str(work), json.dumps(want)], 3600)
    if "error" in info:
        raise SystemExit(f"building the instance failed: {info['error']}")
    path.write_text(json.dumps(info), encoding="utf-8")
    return info


def part_big(work: Path, info: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name in MEASURES:
        r = {"measure": name, **_spawn(["measure", str(work), name, json.dumps(info)], 900)}
        print(r, flush=True)
        rows.append(r)
    return rows


def _earlier(old: list[dict[str, Any]], name: str, pairs: float) -> dict[str, Any] | None:
    """access's record for this measure and rung from an earlier run (--reuse-access)."""
    for r in old:
        if r["measure"] == name and r["target_pairs"] == pairs and "error" not in r["access"]:
            return {**r["access"], "reused": True}
    return None


def part_access(work: Path, info: dict[str, Any], ladder: list[float], timeout: float,
                old: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Each measure on each rung, ours and access; ``old``: access's records to reuse
    (its answers are still in ``work``) instead of running it again."""
    rows = []
    for name in ACCESS_MEASURES:
        for pairs in ladder:
            common = [str(work), name, json.dumps(info), str(pairs)]
            ours = _spawn(["access", *common, "ours"], 900)
            theirs = _earlier(old, name, pairs) if old is not None else None
            if theirs is None:
                theirs = _spawn(["access", *common, "access"], timeout)
            r = {"measure": name, "target_pairs": pairs, "ours": ours, "access": theirs}
            if "error" not in ours and "error" not in theirs:
                a = np.load(work / f"ladder_ours_{name}_{int(pairs)}.npy")
                b = np.load(work / f"ladder_access_{name}_{int(pairs)}.npy")
                r["max_rel_diff"] = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
                r["speedup"] = theirs["seconds"] / ours["seconds"]
            print(r, flush=True)
            rows.append(r)
            if "error" in theirs:
                break  # the next rung is bigger still
    return rows


def part_e2e(n_fac: int, minutes: float, timeout: float) -> dict[str, Any]:
    args = [str(n_fac), str(minutes)]
    ours = _spawn(["e2e", "ours", *args], 900)
    peer = _spawn(["e2e", "networkx", *args], timeout)
    out: dict[str, Any] = {"ours": ours, "networkx_access": peer}
    if "error" not in ours and "error" not in peer:
        tmp = Path(tempfile.gettempdir())
        a, b = np.load(tmp / "bench_measures_e2e_ours.npy"), np.load(
            tmp / "bench_measures_e2e_networkx.npy")
        out["max_rel_diff"] = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
        out["speedup"] = peer["total_s"] / ours["total_s"]
    print(out, flush=True)
    return out


def _fmt(x: Any, spec: str = ",.3g") -> str:
    return format(x, spec) if isinstance(x, int | float) else str(x)


def markdown(res: dict[str, Any]) -> str:
    lines = []
    big, info = res.get("big", []), res.get("instance", {})
    if big:
        lines += [f"Province instance: {info['facilities']:,} facilities x {info['demand']:,} "
                  f"demand points, {info['minutes']:g}-minute catchment, "
                  f"{info['pairs']:,} pairs ({info['matrix_mb']:,.0f} MB CSR); built by our "
                  f"engine in {info['snap_s']:.1f} s (network, snapping) + "
                  f"{info['reach_s']:.1f} s (reach matrix), builder peak "
                  f"{info['build_peak_mb']:,.0f} MB.", "",
                  "| measure | seconds | peak MB (worker, from the loaded matrix on) | "
                  "MB when loaded | load |",
                  "|---|---|---|---|---|"]
        for r in big:
            lines.append(f"| {r['measure']} | {_fmt(r.get('seconds', r.get('error')))} | "
                         f"{_fmt(r.get('peak_mb', '-'), ',.0f')} | "
                         f"{_fmt(r.get('loaded_mb', '-'), ',.0f')} | {r.get('load', '-')} |")
    acc = res.get("access", [])
    if acc:
        lines += ["", "| measure | pairs | facilities x demand | ours s | access s | speed-up | "
                  "access peak MB | max rel. diff |", "|---|---|---|---|---|---|---|---|"]
        for r in acc:
            o, a = r["ours"], r["access"]
            lines.append(
                f"| {r['measure']} | {_fmt(o.get('pairs', r['target_pairs']), ',')} | "
                f"{o.get('facilities', '-')} x {_fmt(o.get('demand', '-'), ',')} | "
                f"{_fmt(o.get('seconds', o.get('error')))} | "
                f"{_fmt(a.get('seconds', a.get('error')))} | "
                f"{_fmt(r.get('speedup', '-'), ',.0f')}x | {_fmt(a.get('peak_mb', '-'), ',.0f')} | "
                f"{_fmt(r.get('max_rel_diff', '-'), '.1e')} |")
    e2e = res.get("e2e")
    if e2e:
        o, p = e2e["ours"], e2e["networkx_access"]
        lines += ["", "| end to end (grid 100,489 nodes) | routing s | measures s | total s | "
                  "peak MB |", "|---|---|---|---|---|"]
        for label, r in (("ours", o), ("networkx + access", p)):
            lines.append(f"| {label} | {_fmt(r.get('route_s', r.get('error')))} | "
                         f"{_fmt(r.get('measures_s', '-'))} | {_fmt(r.get('total_s', '-'))} | "
                         f"{_fmt(r.get('peak_mb', '-'), ',.0f')} |")
        lines.append(f"\nEnd-to-end speed-up {_fmt(e2e.get('speedup', '-'), ',.0f')}x; max "
                     f"relative difference {_fmt(e2e.get('max_rel_diff', '-'), '.1e')}.")
    lines.append(f"\nLoad average at the start: {res.get('load_start')}; at the end: "
                 f"{res.get('load_end')} (2 cores).")
    return "\n".join(lines) + "\n"


def _worker(argv: list[str]) -> None:
    kind, rest = argv[0], argv[1:]
    if kind == "build":
        want = json.loads(rest[1])
        out = build(Path(rest[0]), want["facilities"], want["demand"], want["minutes"])
    elif kind == "measure":
        out = worker_measure(Path(rest[0]), rest[1], json.loads(rest[2]))
    elif kind == "access":
        out = worker_access(Path(rest[0]), rest[1], json.loads(rest[2]), float(rest[3]),
                            rest[4])
    else:
        out = worker_e2e(rest[0], int(rest[1]), float(rest[2]))
    print(json.dumps(out), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="big,access,e2e")
    ap.add_argument("--facilities", type=int, default=10_000)
    ap.add_argument("--demand", type=int, default=1_000_000)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--ladder", default="1e6,4e6,16e6,64e6",
                    help="pairs of the access instances")
    ap.add_argument("--access-timeout", type=float, default=1500.0)
    ap.add_argument("--reuse-access", action="store_true",
                    help="keep access's times and answers from the last run (same instance)")
    ap.add_argument("--e2e-facilities", type=int, default=300)
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "geo_bench_measures"))
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "measures.json"
    res = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    res |= {"python": sys.version.split()[0], "machine": platform.machine(),
            "cores": os.cpu_count(), "load_start": _load()}
    if parts & {"big", "access"}:
        res["instance"] = _instance(work, a)
    if "big" in parts:
        res["big"] = part_big(work, res["instance"])
    if "access" in parts:
        res["access"] = part_access(work, res["instance"],
                                    [float(x) for x in a.ladder.split(",")], a.access_timeout,
                                    res.get("access") if a.reuse_access else None)
    if "e2e" in parts:
        res["e2e"] = part_e2e(a.e2e_facilities, 30.0, a.access_timeout)
    res["load_end"] = _load()
    path.write_text(json.dumps(res, indent=2), encoding="utf-8")
    md = markdown(res)
    (RESULTS / "measures.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
