"""Benchmark: the embedded Luzhai study, stage by stage, median of repeated runs.

Writes benchmarks/results/demo.json and benchmarks/results/demo.md (the table that
benchmarks/README.md summarises). Run with `make bench`.
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from geo.study.run import run_study

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
RUNS = 5


def main() -> None:
    study = ROOT / "analysis" / "luzhai.toml"
    run_study(study)  # warm-up: imports and file caches
    stages: dict[str, list[float]] = {}
    totals = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = run_study(study)
        totals.append(time.perf_counter() - t0)
        for k, v in result.timings.items():
            stages.setdefault(k, []).append(v)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    out: dict[str, Any] = {
        "runs": RUNS,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "demand_points": len(result.demand),
        "network_nodes": result.networks["drive"].n_nodes,
        "median_total_s": statistics.median(totals),
        "median_stage_s": {k: statistics.median(v) for k, v in stages.items()},
        "peak_rss_mb": peak_kb / 1024,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "demo.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    lines = ["| stage | median s |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in out["median_stage_s"].items()]
    lines += [f"| **total (no output writing)** | **{out['median_total_s']:.3f}** |"]
    (RESULTS / "demo.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"peak resident memory {out['peak_rss_mb']:.0f} MB; "
          f"{out['demand_points']} demand points, {out['network_nodes']} network nodes")


if __name__ == "__main__":
    main()
