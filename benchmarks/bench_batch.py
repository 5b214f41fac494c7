"""`geo batch` at province and country scale on synthetic data, on 1 and 2 Dask workers.

Usage: python benchmarks/bench_batch.py [--side 2000] [--counties 10] [--country 45]
       [--skip-country] [--skip-province]

- Province: a road grid of SIDE x SIDE nodes 150 m apart (4,000,000 nodes, 300 km a side;
  every 20th line a 60 km/h primary road, the rest 30 km/h, two-way), COUNTIES x COUNTIES
  square counties (100 of 30 km), each with 10 township seats (random, fixed seed), a county
  general hospital at its centre and a township health centre at each seat, and its people
  spread evenly over a 300 m demand grid (about 10,000 points a county, 1,000,000 in all);
  standards emergency_1h and primary_care_30min; buffer 20 km; per-area outputs "tables".
  The same batch runs on a LocalCluster of 1 and then 2 worker processes (the partitioned
  network built once and reused): total time, the tasks' wall time, speed-up, and the peak
  resident memory of every worker (and of the driver).
- Country: COUNTRY x COUNTRY small areas (2,025 of 4 km) on a 600 x 600 grid (300 m), 4 seats
  each, 500 m demand grid, buffer 5 km, through the same path on 2 workers: per-area cost,
  per-worker peak memory (must stay under 4 GB) and the projected time on N workers.

Results: benchmarks/results/batch.json and batch.md (with `uptime` before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.batch.run import run_batch  # noqa: E402
from geo.batch.task import peak_rss_mb  # noqa: E402
from geo.network.cache import save_networks  # noqa: E402
from geo.network.graph import Network  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
UTM = CRS.from_epsg(32649)
X0, Y0 = 300_000.0, 2_450_000.0
SEED = 15


def grid(side: int, step_m: float) -> Network:
    """A two-way road grid, every 20th line a primary road (60 km/h), the rest 30 km/h."""
    idx = np.arange(side * side, dtype=np.int64).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    line = np.arange(side) % 20 == 0
    major = np.concatenate([np.repeat(line, side - 1), np.tile(line, side - 1)])
    secs = step_m / (np.where(major, 60.0, 30.0) / 3.6)
    yy, xx = np.divmod(np.arange(side * side), side)
    xy = np.column_stack([X0 + step_m * xx, Y0 + step_m * yy]).astype(float)
    cls = np.where(major, "primary", "tertiary").astype(object)
    return Network(UTM, xy, u, v, secs, secs.copy(), cls, "drive")


def region(folder: Path, side: int, step_m: float, n_areas: int, seats: int,
           grid_m: float, buffer_km: float) -> Path:
    """Write the synthetic region (network cache, areas, seats, facilities, template,
    batch file) into ``folder``; return the batch file."""
    rng = np.random.default_rng(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    net = grid(side, step_m)
    save_networks(folder / "roads.npz", {"drive": net})
    extent = (side - 1) * step_m
    size = extent / n_areas
    polys, rows, seat_rows, fac_rows = [], [], [], []
    for j in range(n_areas):
        for i in range(n_areas):
            x, y = X0 + i * size, Y0 + j * size
            ident = f"A{j:03d}{i:03d}"
            polys.append(shapely.box(x, y, x + size, y + size))
            rows.append({"id": ident, "name": f"县{j}-{i}",
                         "population": float(rng.integers(100_000, 800_000))})
            fac_rows.append({"id": f"{ident}-H", "name": f"{ident} hospital",
                             "type": "county_general_hospital",
                             "x": x + size / 2, "y": y + size / 2})
            pts = rng.uniform(0.05, 0.95, (seats, 2)) * size + np.array([x, y])
            for k, (sx, sy) in enumerate(pts):
                seat_rows.append({"township": f"{ident}-T{k}", "x": sx, "y": sy})
                fac_rows.append({"id": f"{ident}-T{k}", "name": f"{ident} centre {k}",
                                 "type": "township_health_center", "x": sx, "y": sy})
    gpd.GeoDataFrame(rows, geometry=polys, crs=UTM).to_crs(4326).to_file(
        folder / "areas.gpkg", driver="GPKG")
    for name, table in (("seats", seat_rows), ("facilities", fac_rows)):
        t = pd.DataFrame(table)
        pts = gpd.GeoSeries(gpd.points_from_xy(t["x"], t["y"]), crs=UTM).to_crs(4326)
        t.drop(columns=["x", "y"]).assign(lon=pts.x, lat=pts.y).to_csv(
            folder / f"{name}.csv", index=False)
    (folder / "template.toml").write_text(f"""
[study]
name = "synthetic"
[area]
boundary = "areas.gpkg"
[facilities]
path = "facilities.csv"
[townships]
seats = "seats.csv"
[roads]
path = "roads.npz"
[population]
total = 1
grid_spacing_m = {grid_m}
[standards]
file = "{(ROOT / 'analysis' / 'standards.toml').as_posix()}"
use = ["emergency_1h", "primary_care_30min"]
""", encoding="utf-8")
    (folder / "batch.toml").write_text(f"""
[batch]
template = "template.toml"
population_col = "population"
population_label = "synthetic"
buffer_km = {buffer_km}
area_outputs = "tables"
""", encoding="utf-8")
    return folder / "batch.toml"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def one(batch: Path, out: Path, workers: int, memory: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    run = run_batch(batch, out, workers=workers, memory_limit=memory,
                    progress=lambda m: print(f"  {m}", flush=True) if "/" not in m[:8] else None)
    wall = time.perf_counter() - t0
    per_area = [r.seconds for r in run.done.values()]
    nodes = [max(r.nodes.values()) for r in run.done.values()]
    return {"workers": workers, "areas": len(run.areas), "done": len(run.done),
            "failed": len(run.failed), "wall_s": wall, "phases": run.phases,
            "area_s_median": float(np.median(per_area)), "area_s_sum": float(np.sum(per_area)),
            "area_nodes_max": int(max(nodes)), "area_nodes_median": float(np.median(nodes)),
            "region_nodes": int(run.network["drive"]["nodes"]),
            "worker_peak_mb": run.workers,
            "task_peak_mb_max": max(r.peak_rss_mb for r in run.done.values()),
            "driver_peak_mb": peak_rss_mb()}


def province(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    batch = region(tmp / "province", args.side, 150.0, args.counties, 10, 300.0, 20.0)
    recs = []
    for workers in (1, 2):
        out = tmp / f"province-out-{workers}"
        if workers == 2:  # the network is built once: reuse the first run's partition
            shutil.copytree(tmp / "province-out-1" / "network", out / "network")
        print(f"province on {workers} worker(s): {uptime()}", flush=True)
        recs.append({"case": "province", "uptime_before": uptime(),
                     **one(batch, out, workers, "6GB"), "uptime_after": uptime()})
        print(json.dumps(recs[-1], indent=1), flush=True)
    return recs


def country(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    n = args.country
    batch = region(tmp / "country", 600, 300.0, n, 4, 500.0, 5.0)
    print(f"country ({n * n} areas) on 2 workers: {uptime()}", flush=True)
    rec = {"case": "country", "uptime_before": uptime(), **one(batch, tmp / "country-out", 2,
                                                               "4GB"), "uptime_after": uptime()}
    project(rec)
    print(json.dumps(rec, indent=1), flush=True)
    return rec


def project(rec: dict[str, Any]) -> None:
    """Time on N workers: the measured area work split N ways, plus the driver's serial
    part (reading, the network, planning the areas, the combined outputs) as measured."""
    rec["serial_s"] = rec["wall_s"] - rec["phases"]["tasks"]
    rec["projected_s"] = {str(w): rec["area_s_sum"] / w + rec["serial_s"]
                          for w in (2, 8, 32, 128)}


def markdown(recs: list[dict[str, Any]]) -> str:
    lines = ["| case | workers | areas | region nodes | largest area nodes | wall s | tasks s "
             "| median s per area | speed-up (tasks) | peak MB per worker | driver peak MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    base = {r["case"]: r["phases"]["tasks"] for r in recs if r["workers"] == 1}
    for r in recs:
        up = base.get(r["case"])
        speed = f"{up / r['phases']['tasks']:.2f}x" if up else ""
        peaks = ", ".join(f"{v:,.0f}" for v in sorted(r["worker_peak_mb"].values()))
        lines.append(f"| {r['case']} | {r['workers']} | {r['done']}/{r['areas']} | "
                     f"{r['region_nodes']:,} | {r['area_nodes_max']:,} | {r['wall_s']:.0f} | "
                     f"{r['phases']['tasks']:.0f} | {r['area_s_median']:.2f} | {speed} | "
                     f"{peaks} | {r['driver_peak_mb']:,.0f} |")
    for r in recs:
        if "projected_s" in r:
            proj = ", ".join(f"{w} workers {s / 60:.1f} min" for w, s in r["projected_s"].items())
            lines.append(f"\nCountry: {r['done']} areas, {r['area_s_sum']:.0f} s of area work "
                         f"(median {r['area_s_median']:.2f} s) and {r['serial_s']:.0f} s in the "
                         f"driver; projected {proj}.")
    lines += ["", *(f"- {r['case']} x{r['workers']}: before `{r['uptime_before']}`, after "
                    f"`{r['uptime_after']}`" for r in recs)]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--side", type=int, default=2000, help="province grid nodes a side")
    p.add_argument("--counties", type=int, default=10, help="counties a side")
    p.add_argument("--country", type=int, default=45, help="country areas a side")
    p.add_argument("--skip-province", action="store_true")
    p.add_argument("--skip-country", action="store_true")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    recs: list[dict[str, Any]] = []
    try:
        if not args.skip_province:
            recs += province(args, tmp)
        if not args.skip_country:
            recs.append(country(args, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "batch.json"
    if path.is_file():  # keep the other case's records of an earlier run (--skip-*)
        ran = {r["case"] for r in recs}
        recs = [r for r in json.loads(path.read_text()) if r["case"] not in ran] + recs
    path.write_text(json.dumps(recs, indent=1), encoding="utf-8")
    (RESULTS / "batch.md").write_text(markdown(recs), encoding="utf-8")
    print(markdown(recs))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
