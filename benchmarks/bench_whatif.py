"""Benchmark: time per what-if edit (geo.whatif), all standards updated, against a rerun.

``make bench`` runs this. Two cases:

* ``luzhai``: the embedded study (``geo.study.run.run_study`` on analysis/luzhai.toml, 12,392
  demand points, ~1,500-node drive and ~1,000-node walk networks, four standards), made
  into a :class:`geo.whatif.WhatIf` with :func:`geo.whatif.from_study`. Target (issue 14):
  under 50 ms per edit.
* ``grid1m``: the 1,000 x 1,000-node synthetic road grid of bench_engine.py (300 m apart,
  arterials every 20th line), 200,000 demand points and 1,000 facilities at random
  places, three standards like Luzhai's (60 min from hospitals and ambulance bases, 30 min
  to health centres and hospitals, 120 min from hospitals). Target: under 1 s per edit.

Each case makes ``--edits`` random edits, in proportion add 30 %, move 25 %, close 15 %,
retype 15 %, designate 5 %, undo 5 %, redo 5 % (types, places and offsets drawn at random;
a third of the additions stand exactly on an existing facility), and times each call
(wall clock: snapping the new place, every standard's update, the township tallies).
Median and maximum per kind are reported. Every ``--check-every`` edits, and after the
last, every standard is compared with a full rerun (``WhatIf.full_rerun``:
``nearest_facility`` afresh on the open facilities) for exact equality; the rerun of all
standards is timed for comparison. Results: benchmarks/results/whatif.json and whatif.md.

    python benchmarks/bench_whatif.py                        # both cases
    python benchmarks/bench_whatif.py --cases luzhai --edits 500
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

KINDS = {"add": 0.30, "move": 0.25, "close": 0.15, "retype": 0.15, "designate": 0.05,
         "undo": 0.05, "redo": 0.05}


def luzhai_case() -> tuple[Any, list[str], Callable[[np.random.Generator], tuple[float, float]]]:
    """The embedded study, its facility types that some standard counts, and a sampler of
    places (demand points: inside the county)."""
    from geo.study.run import run_study
    from geo.whatif import from_study

    result = run_study(ROOT / "analysis" / "luzhai.toml")
    engine = from_study(result)
    pts = result.demand.geometry
    lonlat = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    types = sorted({t for s in result.standards for t in s.facility_types})

    def place(rng: np.random.Generator) -> tuple[float, float]:
        x, y = lonlat[rng.integers(len(lonlat))]
        return float(x), float(y)

    return engine, types, place


def grid_case(side: int = 1000, n_demand: int = 200_000,
              n_fac: int = 1000) -> tuple[Any, list[str], Callable[[np.random.Generator],
                                                                    tuple[float, float]]]:
    """The 1M-node grid of bench_engine.py with random demand and facilities."""
    from bench_engine import grid_network
    from pyproj import Transformer

    from geo.coverage.standards import Standard
    from geo.whatif import Facility, WhatIf

    net = grid_network(side)
    to_ll = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    rng = np.random.default_rng(2026)

    def lonlat(n: int) -> np.ndarray:
        xy = lo + rng.uniform(0, 1, (n, 2)) * (hi - lo)
        return np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1]))

    dem = lonlat(n_demand)
    fac_ll = lonlat(n_fac)
    ftypes = rng.choice(["hospital", "health_center", "ems_station"], n_fac, p=[0.1, 0.7, 0.2])
    facilities = [Facility(f"F{k}", str(ftypes[k]), float(x), float(y))
                  for k, (x, y) in enumerate(fac_ll)]

    def std(name: str, minutes: float, direction: str, types: tuple[str, ...]) -> Standard:
        return Standard(name, name, name, minutes, "drive", direction, types, 1.0, "bench", "-")

    stds = [std("emergency_1h", 60, "from_facility", ("hospital", "ems_station")),
            std("primary_care_30min", 30, "to_facility", ("health_center", "hospital")),
            std("rescue_2h", 120, "from_facility", ("hospital",))]
    town = (np.floor((dem[:, 0] - dem[:, 0].min()) / np.ptp(dem[:, 0]) * 9.999) * 10
            + np.floor((dem[:, 1] - dem[:, 1].min()) / np.ptp(dem[:, 1]) * 9.999))
    engine = WhatIf({"drive": net}, stds, dem, np.full(n_demand, 50.0),
                    np.array([f"T{int(t):02d}" for t in town], dtype=object), facilities,
                    access_kmh={"drive": 25.0}, known_types={"hospital", "health_center",
                                                         "ems_station"})

    def place(r: np.random.Generator) -> tuple[float, float]:
        x, y = lo + r.uniform(0, 1, 2) * (hi - lo)
        a, b = to_ll.transform(x, y)
        return float(a), float(b)

    return engine, ["hospital", "health_center", "ems_station"], place


def draw_edit(engine: Any, rng: np.random.Generator, types: list[str],
              place: Callable[[np.random.Generator], tuple[float, float]],
              move_deg: float) -> tuple[str, dict[str, Any]]:
    """A random edit as (kind, arguments), drawn from ``KINDS`` (an add where the kind
    cannot apply): the what-if engine calls it, the workbench benchmark posts it."""
    kind = str(rng.choice(list(KINDS), p=list(KINDS.values())))
    open_ = [f for f in engine.facilities if f.open]
    f = open_[rng.integers(len(open_))]
    if kind in ("undo", "redo") and (engine.can_undo if kind == "undo" else engine.can_redo):
        return kind, {}
    if kind == "move":
        dx, dy = rng.normal(0, move_deg, 2)
        return kind, {"id": f.id, "lon": f.lon + dx, "lat": f.lat + dy}
    if kind == "close" and len(open_) > 10:
        return kind, {"id": f.id}
    if kind == "retype":
        return kind, {"id": f.id, "type": str(rng.choice([t for t in types if t != f.type]))}
    if kind == "designate" and "#" not in f.id and f"{f.id}#ems_station" not in engine._slot:
        return kind, {"id": f.id, "role": "ems_station"}
    lon, lat = (f.lon, f.lat) if rng.random() < 1 / 3 else place(rng)
    return "add", {"type": str(rng.choice(types)), "lon": lon, "lat": lat}


def random_edit(engine: Any, rng: np.random.Generator, n: int, types: list[str],
                place: Callable[[np.random.Generator], tuple[float, float]],
                move_deg: float) -> tuple[str, Callable[[], Any]]:
    """A random edit as (kind, call) on the engine; an added facility is NEW{n}."""
    kind, a = draw_edit(engine, rng, types, place, move_deg)
    if kind == "add":
        return kind, lambda: engine.add(f"NEW{n}", a["type"], a["lon"], a["lat"])
    return kind, lambda: getattr(engine, kind)(*a.values())  # the engine's argument order


def rerun_all(engine: Any) -> tuple[float, bool]:
    """Seconds for a full rerun of every standard, and whether the state equals it."""
    t0 = time.perf_counter()
    reruns = {name: engine.full_rerun(name) for name in engine.states}
    dt = time.perf_counter() - t0
    same = all(np.array_equal(s.seconds, reruns[n][0]) and np.array_equal(s.nearest,
                                                                           reruns[n][1])
               for n, s in engine.states.items())
    return dt, same


def run_case(name: str, edits: int, check_every: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    engine, types, place = luzhai_case() if name == "luzhai" else grid_case()
    build_s = time.perf_counter() - t0
    n_fac = len(engine.facilities)
    move_deg = 0.02 if name == "luzhai" else 0.03  # ~2 km and ~3 km
    rng = np.random.default_rng(14)
    times: dict[str, list[float]] = {}
    rerun_s, checks, equal = [], 0, True
    for n in range(edits):
        kind, call = random_edit(engine, rng, n, types, place, move_deg)
        t1 = time.perf_counter()
        call()
        times.setdefault(kind, []).append(time.perf_counter() - t1)
        if (n + 1) % check_every == 0 or n == edits - 1:
            dt, same = rerun_all(engine)
            rerun_s.append(dt)
            checks += 1
            equal &= same
    every = [t for v in times.values() for t in v]
    return {
        "case": name, "nodes": {m: n.n_nodes for m, n in engine.networks.items()},
        "demand_points": len(engine.code), "facilities_at_start": n_fac,
        "standards": list(engine.states), "build_s": build_s, "edits": edits,
        "per_kind": {k: {"n": len(v), "median_ms": 1e3 * statistics.median(v),
                         "max_ms": 1e3 * max(v)} for k, v in sorted(times.items())},
        "all": {"n": len(every), "median_ms": 1e3 * statistics.median(every),
                "max_ms": 1e3 * max(every)},
        "full_rerun_all_standards_ms": 1e3 * statistics.median(rerun_s),
        "checks_against_full_rerun": checks, "all_equal": bool(equal),
    }


def markdown(records: list[dict[str, Any]], load: tuple[float, float, float]) -> str:
    lines = [f"Load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
             f"({os.cpu_count()} cores)", ""]
    for r in records:
        nodes = ", ".join(f"{m} {n:,}" for m, n in r["nodes"].items())
        lines += [f"**{r['case']}**: network nodes {nodes}; {r['demand_points']:,} demand "
                  f"points, {r['facilities_at_start']:,} facilities, standards "
                  f"{', '.join(r['standards'])}; built in {r['build_s']:.1f} s", "",
                  "| edit | n | median ms | max ms |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['n']} | {v['median_ms']:.2f} | {v['max_ms']:.2f} |"
                  for k, v in r["per_kind"].items()]
        a = r["all"]
        lines += [f"| **every edit** | {a['n']} | **{a['median_ms']:.2f}** | "
                  f"**{a['max_ms']:.2f}** |", "",
                  f"Full rerun of all standards (nearest_facility afresh): "
                  f"{r['full_rerun_all_standards_ms']:.1f} ms (median of "
                  f"{r['checks_against_full_rerun']}); state equal to the rerun at every "
                  f"check: {'yes' if r['all_equal'] else 'NO'}", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=["luzhai", "grid1m"],
                    choices=["luzhai", "grid1m"])
    ap.add_argument("--edits", type=int, default=None,
                    help="random edits per case (300 on luzhai, 200 on grid1m)")
    ap.add_argument("--check-every", type=int, default=50)
    args = ap.parse_args()
    load = os.getloadavg()
    records = [run_case(c, args.edits or (300 if c == "luzhai" else 200), args.check_every)
               for c in args.cases]
    out = {"python": sys.version.split()[0], "machine": platform.machine(),
           "cores": os.cpu_count(), "load_average_at_start": load,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "cases": records}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "whatif.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    md = markdown(records, load) + f"Peak resident memory {out['peak_rss_mb']:,.0f} MB.\n"
    (RESULTS / "whatif.md").write_text(md, encoding="utf-8")
    print(md)
    if not all(r["all_equal"] for r in records):
        sys.exit("the incremental state differed from a full rerun")


if __name__ == "__main__":
    main()
