"""Benchmark: siting models against PySAL spopt, and a province-scale MCLP.

1. Luzhai-derived instances (the embedded road network and demand grid, coverage sets
   by geo.travel.reach_matrix): 500 candidates x 5,000 demand points for MCLP and LSCP,
   100 x 1,000 for p-median (spopt's dense p-median in PuLP grows as candidates x
   demand variables). The same optimum is checked, and times compared: geo (sparse
   structure + HiGHS through highspy) against spopt (from_cost_matrix + solve) with
   CBC, PuLP's default, and with HiGHS through PuLP.
2. A synthetic province (480 km x 480 km road grid, 200,000 demand points in towns,
   10,000 candidates, 30-minute threshold, p = 10): coverage sets built with
   reach_matrix (timed on their own), then lazy greedy + 1-swap with a Lagrangian bound.

Writes benchmarks/results/siting.json and siting.md. Run with `make bench`.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pulp
from pyproj import CRS
from spopt.locate import LSCP, MCLP, PMedian

from geo.network.graph import Network
from geo.planning.sites import build_problem, make_candidates
from geo.routing.travel import reach_matrix, snap_points
from geo.siting.models import SitingProblem, lscp, mclp, pmedian
from geo.study.run import run_study

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SEED = 20261124


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def _timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


# --------------------------------------------------------------------------- 1. spopt


def _luzhai_problem(n_cand: int, n_dem: int, cutoff_min: float) -> SitingProblem:
    rng = np.random.default_rng(SEED)
    res = run_study(ROOT / "analysis" / "luzhai.toml")
    std = next(s for s in res.standards if s.name == "primary_care_30min")
    sites = make_candidates(res, "grid", spacing_m=1000)
    sites = sites.iloc[np.sort(rng.choice(len(sites), n_cand, replace=False))]
    full = build_problem(res, std, sites, minutes=30, cutoff_minutes=cutoff_min,
                         existing=False)
    keep = np.sort(rng.choice(full.reach.shape[1], n_dem, replace=False))
    return SitingProblem(full.reach[:, keep].tocsr(), full.weights[keep], 1800.0)


def _dense(prob: SitingProblem, within: float, fill: float) -> np.ndarray:
    r = prob.reach.tocoo()
    out = np.full(prob.reach.shape, fill)
    ok = r.data <= within
    out[r.row[ok], r.col[ok]] = r.data[ok]
    return out.T  # spopt: demand x candidates


def _spopt(model: str, prob: SitingProblem, p: int, solver: pulp.LpSolver) -> tuple[float, float]:
    if model == "mclp":
        cost = _dense(prob, 1800, 1e9)
        m, s = _timed(lambda: MCLP.from_cost_matrix(cost, prob.weights, 1800,
                                                    p_facilities=p).solve(solver))
    elif model == "lscp":
        cost = _dense(prob, 1800, 1e9)
        m, s = _timed(lambda: LSCP.from_cost_matrix(cost, 1800).solve(solver))
    else:
        cost = _dense(prob, 3600, 3600.0)
        m, s = _timed(lambda: PMedian.from_cost_matrix(cost, prob.weights,
                                                       p_facilities=p).solve(solver))
    return float(m.problem.objective.value()), s


def _ours(model: str, prob: SitingProblem, p: int) -> tuple[float, float]:
    if model == "mclp":
        r, s = _timed(lambda: mclp(prob, p))
    elif model == "lscp":
        r, s = _timed(lambda: lscp(prob, 1.0))
    else:
        r, s = _timed(lambda: pmedian(prob, p, penalty_s=3600.0))
    return float(r.objective), s


def bench_spopt() -> list[dict[str, Any]]:
    big = _luzhai_problem(500, 5000, 60)
    coverable = np.flatnonzero(np.diff(big.cover.tocsc().indptr) > 0)
    big_lscp = SitingProblem(big.reach[:, coverable].tocsr(), big.weights[coverable], 1800.0)
    small = _luzhai_problem(100, 1000, 60)
    rows = []
    for model, prob, p in (("mclp", big, 5), ("mclp", big, 20), ("lscp", big_lscp, 0),
                           ("pmedian", small, 5)):
        ours, t_ours = min((_ours(model, prob, p) for _ in range(3)), key=lambda x: x[1])
        cbc, t_cbc = _spopt(model, prob, p, pulp.PULP_CBC_CMD(msg=False))
        highs, t_highs = _spopt(model, prob, p, pulp.HiGHS(msg=False))
        same = abs(ours - cbc) <= 1e-6 * max(abs(cbc), 1.0) and abs(ours - highs) <= 1e-6 * max(
            abs(highs), 1.0)
        rows.append({
            "model": model, "candidates": prob.reach.shape[0], "demand": prob.reach.shape[1],
            "pairs": int(prob.reach.nnz), "p": p or None, "objective_geo": ours,
            "objective_spopt_cbc": cbc, "objective_spopt_highs": highs, "same_optimum": same,
            "geo_s": t_ours, "spopt_cbc_s": t_cbc, "spopt_highs_s": t_highs,
            "speedup_vs_cbc": t_cbc / t_ours, "speedup_vs_spopt_highs": t_highs / t_ours,
        })
        print(rows[-1], flush=True)
    return rows


# --------------------------------------------------------------------------- 2. province


def _grid_network(side_km: float, step_km: float, local_kmh: float = 40.0,
                  trunk_kmh: float = 80.0) -> Network:
    """A square road grid: every 10th line a trunk road (80 km/h), the rest 40 km/h
    (bench_measures.py asks for slower roads)."""
    n = int(side_km / step_km) + 1
    ij = np.arange(n * n).reshape(n, n)
    xy = np.column_stack([np.tile(np.arange(n), n), np.repeat(np.arange(n), n)]) * step_km * 1e3
    xy = xy + np.array([300_000.0, 2_400_000.0])
    u = np.concatenate([ij[:, :-1].ravel(), ij[:-1, :].ravel()])
    v = np.concatenate([ij[:, 1:].ravel(), ij[1:, :].ravel()])
    line = np.arange(n) % 10 == 0
    # horizontal edges run along row r, vertical ones along column c
    trunk = np.concatenate([np.repeat(line, n - 1), np.tile(line, n - 1)])
    kmh = np.where(trunk, trunk_kmh, local_kmh)
    secs = step_km * 1e3 / (kmh / 3.6)
    cls = np.where(trunk, "trunk", "secondary").astype(object)
    return Network(CRS.from_epsg(32649), xy.astype(float), u.astype(np.int64),
                   v.astype(np.int64), secs, secs.copy(), cls, "drive")


def _towns(rng: np.random.Generator, side_m: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Demand points clustered round 400 towns of lognormal size, plus scattered villages."""
    towns = rng.uniform(0.05 * side_m, 0.95 * side_m, (400, 2))
    size = rng.lognormal(0, 1, 400)
    k = rng.choice(400, int(0.8 * n), p=size / size.sum())
    near = towns[k] + rng.normal(0, 4000, (len(k), 2))
    far = rng.uniform(0, side_m, (n - len(k), 2))
    xy = np.clip(np.vstack([near, far]), 0, side_m) + np.array([300_000.0, 2_400_000.0])
    return xy, rng.lognormal(4, 1, n)


def bench_province() -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    side = 480.0
    net, t_net = _timed(lambda: _grid_network(side, 2.0))
    dem_xy, pop = _towns(rng, side * 1e3, 200_000)
    cand_xy = dem_xy[rng.choice(len(dem_xy), 10_000, replace=False)] + rng.normal(0, 500,
                                                                                 (10_000, 2))
    (cands, dems), t_snap = _timed(lambda: (snap_points(net, cand_xy), snap_points(net, dem_xy)))
    reach, t_reach = _timed(lambda: reach_matrix(net, cands, dems, access_speed_kmh=25.0,
                                                 max_seconds=1800.0))
    rss_build = _rss_mb()
    prob = SitingProblem(reach, pop, 1800.0)
    res, t_solve = _timed(lambda: mclp(prob, 10, method="heuristic", time_limit_s=180))
    out = {
        "network_nodes": net.n_nodes, "network_segments": len(net.seg_u),
        "candidates": 10_000, "demand": 200_000, "p": 10, "minutes": 30,
        "pairs": int(reach.nnz), "reach_matrix_mb": (reach.data.nbytes + reach.indices.nbytes
                                                     + reach.indptr.nbytes) / 2**20,
        "build_network_s": t_net, "snap_s": t_snap, "reach_matrix_s": t_reach,
        "solve_s": t_solve, "objective": res.objective, "bound": res.bound, "gap": res.gap,
        "covered_share": float(res.covered_share[-1]), "method": res.method,
        "peak_rss_after_build_mb": rss_build, "peak_rss_after_solve_mb": _rss_mb(),
    }
    print(out, flush=True)
    return out


def _markdown(rows: list[dict[str, Any]], prov: dict[str, Any]) -> str:
    lines = ["| model | candidates x demand | pairs | p | same optimum | geo s | "
             "spopt + CBC s | spopt + HiGHS s | speed-up vs CBC | vs spopt + HiGHS |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['candidates']:,} x {r['demand']:,} | {r['pairs']:,} | "
            f"{r['p'] or '-'} | {'yes' if r['same_optimum'] else 'NO'} | {r['geo_s']:.3f} | "
            f"{r['spopt_cbc_s']:.2f} | {r['spopt_highs_s']:.2f} | {r['speedup_vs_cbc']:.0f}x | "
            f"{r['speedup_vs_spopt_highs']:.0f}x |")
    lines += ["", "Province-scale MCLP (synthetic, see bench_siting.py):", "",
              "| stage | value |", "|---|---|"]
    for k in ("network_nodes", "pairs", "reach_matrix_mb", "snap_s", "reach_matrix_s",
              "solve_s", "objective", "bound", "gap", "covered_share",
              "peak_rss_after_build_mb", "peak_rss_after_solve_mb"):
        v = prov[k]
        lines.append(f"| {k} | {v:,.4g} |" if isinstance(v, float) else f"| {k} | {v:,} |")
    lines.append(f"| method | {prov['method']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    which = sys.argv[1:] or ["spopt", "province"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "siting.json"
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    rows = bench_spopt() if "spopt" in which else old.get("spopt", [])
    prov = bench_province() if "province" in which else old.get("province", {})
    out = {"python": sys.version.split()[0], "machine": platform.machine(),
           "spopt": rows, "province": prov}
    path.write_text(json.dumps(out, indent=2), encoding="utf-8")
    if rows and prov:
        md = _markdown(rows, prov)
        (RESULTS / "siting.md").write_text(md, encoding="utf-8")
        print(md)


if __name__ == "__main__":
    main()
