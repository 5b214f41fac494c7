"""Benchmark: a province-sized study with 50,000 facilities, from study file to outputs.

The inputs are synthetic and written to a temporary folder: the 1M-node road grid of the
engine benchmark (``bench_engine.grid_network``: 300 km x 300 km in Guangxi's UTM zone,
arterials every 6 km, saved as a network cache), 50,000 facilities at random positions
in a mix like a province's (about 47,000 village clinics, 1,100 township health centres,
1,000 community health services, 800 county-level hospitals and 120 stations), 1,100
township seats (areas by travel time), 50 million people spread evenly on a 1 km grid
(90,000 demand points) and three drive standards (emergency 1 h, primary care 30 min,
rescue 2 h). ``geo.study.run.run_study`` runs it and writes every output. Reported: the
time of each stage, the total, the peak resident memory, the size of ``map.html`` and of
the output folder. Target: the whole study in under 2 minutes.

    python benchmarks/bench_scale.py            # -> benchmarks/results/scale.{json,md}
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
N_FACILITIES = 50_000
TYPES = {  # facility type -> count; village clinics fill the rest
    "county_general_hospital": 110, "county_tcm_hospital": 100, "county_mch_hospital": 100,
    "county_cdc": 110, "private_hospital": 380, "emergency_rescue_center": 14,
    "ems_station": 106, "central_township_health_center": 300,
    "township_health_center": 800, "community_health_service_center": 200,
    "community_health_service_station": 800,
}


def make_inputs(folder: Path) -> Path:
    """Write the synthetic study (roads cache, area, facilities, seats, study file)."""
    import geopandas as gpd
    import pandas as pd
    import shapely
    from bench_engine import grid_network

    from geo.network.cache import save_networks

    net = grid_network(1000)
    save_networks(folder / "roads.npz", {"drive": net}, {"path": "bench_engine grid 1000"})
    lo, hi = net.node_xy.min(axis=0) + 500, net.node_xy.max(axis=0) - 500
    area = gpd.GeoSeries([shapely.box(*lo, *hi)], crs=net.crs).to_crs(4326)
    gpd.GeoDataFrame({"name": ["synthetic province"]}, geometry=area).to_file(
        folder / "area.geojson")
    rng = np.random.default_rng(50_000)

    def points(n: int) -> tuple[np.ndarray, np.ndarray]:
        xy = rng.uniform(lo, hi, (n, 2))
        pts = gpd.GeoSeries(shapely.points(xy), crs=net.crs).to_crs(4326)
        return pts.x.to_numpy(), pts.y.to_numpy()

    kinds = [t for t, n in TYPES.items() for _ in range(n)]
    kinds += ["village_clinic"] * (N_FACILITIES - len(kinds))
    lon, lat = points(N_FACILITIES)
    pd.DataFrame({"id": [f"F{i:05d}" for i in range(N_FACILITIES)],
                  "name": [f"机构{i}" for i in range(N_FACILITIES)], "type": kinds,
                  "lon": lon, "lat": lat}).to_csv(folder / "facilities.csv", index=False)
    lon, lat = points(1100)
    pd.DataFrame({"township": [f"乡镇{i}" for i in range(1100)], "lon": lon,
                  "lat": lat}).to_csv(folder / "seats.csv", index=False)
    study = folder / "study.toml"
    study.write_text(f"""
[study]
name = "scale"
title = "50,000 facilities (synthetic province)"
language = "zh"
map_standard = "primary_care_30min"
[area]
boundary = "area.geojson"
[facilities]
path = "facilities.csv"
[townships]
seats = "seats.csv"
seat_name_col = "township"
seat_lon_col = "lon"
seat_lat_col = "lat"
method = "travel_time"
[roads]
path = "roads.npz"
[population]
method = "even"
total = 50000000
label = "synthetic: 50 million people spread evenly"
grid_spacing_m = 1000
[standards]
file = "{(ROOT / 'analysis' / 'standards.toml').as_posix()}"
use = ["emergency_1h", "primary_care_30min", "rescue_2h"]
""", encoding="utf-8")
    return study


PEER_SAMPLE = 20


def peer_timings(result: Any) -> tuple[float, float]:
    """Seconds of :func:`geo.coverage.tiers.nearest_peer` for every facility, and an estimate of the
    one-search-per-facility method it replaced (timed on a sample, scaled)."""
    from geo.coverage.tiers import nearest_peer
    from geo.routing.travel import Snap, nearest_facility, snap_points

    net, fac = result.networks["drive"], result.facilities
    t0 = time.perf_counter()
    nearest_peer(net, fac, access_speed_kmh=25.0)
    peer_s = time.perf_counter() - t0
    g = fac.geometry.to_crs(net.crs)
    snap = snap_points(net, np.column_stack([g.x, g.y]))
    village = np.flatnonzero(fac["type"].to_numpy() == "village_clinic")

    def sub(idx: np.ndarray) -> Snap:
        return Snap(snap.xy[idx], snap.seg[idx], snap.t[idx], snap.access_m[idx])

    t0 = time.perf_counter()
    for i in village[:PEER_SAMPLE]:
        nearest_facility(net, sub(village[village != i]), sub(np.array([i])),
                         access_speed_kmh=25.0)
    return peer_s, (time.perf_counter() - t0) / PEER_SAMPLE * len(fac)


def main() -> None:
    from geo.outputs.write import write_outputs
    from geo.study.run import run_study

    with tempfile.TemporaryDirectory(prefix="geo-bench-scale-") as tmp:
        folder = Path(tmp)
        study = make_inputs(folder)
        out = folder / "out"
        t0 = time.perf_counter()
        result = run_study(study)
        t1 = time.perf_counter()
        write_outputs(result, out)
        total = time.perf_counter() - t0
        result.timings["write outputs"] = time.perf_counter() - t1
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
        out_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peer_s, per_facility_s = peer_timings(result)
    record: dict[str, Any] = {
        "facilities": len(result.facilities), "demand_points": len(result.demand),
        "network_nodes": result.networks["drive"].n_nodes,
        "stage_s": result.timings, "total_s": total,
        "peak_rss_mb": peak_mb, "nearest_peer_s": peer_s,
        "nearest_peer_one_search_per_facility_s_estimated": per_facility_s,
        "map_html_mb": sizes["map.html"] / 1e6, "outputs_mb": out_bytes / 1e6,
        "load_average": os.getloadavg()[0], "python": sys.version.split()[0],
        "machine": platform.machine(), "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    lines = ["| stage | s |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in record["stage_s"].items()]
    lines += [f"| **total (study file to every output written)** | **{total:.1f}** |", "",
              f"{record['facilities']:,} facilities, {record['demand_points']:,} demand "
              f"points, {record['network_nodes']:,} road nodes; peak memory "
              f"{record['peak_rss_mb']:,.0f} MB; map.html {record['map_html_mb']:.1f} MB, "
              f"all outputs {record['outputs_mb']:.1f} MB; load average "
              f"{record['load_average']:.1f} on {record['cpus']} CPUs", "",
              f"nearest peer of every facility (in 'bands and gaps'): {peer_s:.1f} s; one "
              f"search per facility, as before, would take about {per_facility_s / 60:.0f} min "
              f"(timed on {PEER_SAMPLE} village clinics, scaled)"]
    (RESULTS / "scale.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
