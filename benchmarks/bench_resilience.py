"""Benchmark: every single-piece criticality of one standard (``geo resilience``), against the
naive "close the piece, snap and search again" per piece it replaces, in one run.

Luzhai (the embedded study, 1-hour emergency circle): the incremental ranking
(:func:`geo.planning.resilience.criticality`) and the naive rerun of every piece (the network
with the piece closed, facilities and demand points joined again, one nearest search), whose
answers must agree. Writes benchmarks/results/resilience.json and .md. Run with
`make bench`.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from geo.network.closures import changed_network
from geo.planning.resilience import criticality
from geo.routing.travel import nearest_facility, snap_points
from geo.study.run import run_study

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
STANDARD = "emergency_1h"


def main() -> None:
    result = run_study(ROOT / "analysis" / "luzhai.toml")
    std = result.standard(STANDARD)
    t0 = time.perf_counter()
    run = criticality(result, STANDARD)
    incremental = time.perf_counter() - t0
    pieces, imp = run.pieces, run.impact
    assert pieces is not None and imp is not None
    net = result.networks[std.mode]
    fac = result.facilities[result.facilities["type"].isin(std.facility_types)]
    exclude = tuple(result.study.access.snap_exclude)
    fac_xy = np.asarray(result.snap(fac, std.mode).xy)
    dem_xy = np.asarray(result.demand_snap(std.mode).xy)
    order, ptr = pieces.segments()
    t0 = time.perf_counter()
    mismatched = 0
    for p in range(pieces.n):
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        cut = changed_network(net, closed)
        secs, _ = nearest_facility(cut, snap_points(cut, fac_xy, exclude_classes=exclude),
                                   snap_points(cut, dem_xy, exclude_classes=exclude),
                                   access_speed_kmh=result.study.access_kmh(std.mode),
                                   direction=std.direction)
        got = imp.minutes_before.copy()
        sl = slice(imp.changed_ptr[p], imp.changed_ptr[p + 1])
        got[imp.changed[sl]] = imp.minutes_after[sl]
        mismatched += int((got != secs / 60.0).sum())
    naive = time.perf_counter() - t0
    out: dict[str, Any] = {
        "python": sys.version.split()[0], "machine": platform.machine(),
        "study": "luzhai", "standard": STANDARD, "pieces": pieces.n,
        "pieces_searched_again": int(imp.evaluated.sum()),
        "demand_points": len(result.demand), "nodes": net.n_nodes,
        "incremental_s": round(incremental, 2), "naive_rerun_per_piece_s": round(naive, 2),
        "ratio": round(naive / incremental, 1), "points_that_differ": mismatched,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "resilience.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    md = ["# Road criticality (geo resilience)", "",
          f"Luzhai, `{STANDARD}`: {pieces.n} road pieces, {len(result.demand):,} demand points, "
          f"{net.n_nodes:,} nodes.", "", "| method | seconds |", "|---|---|",
          f"| incremental (geo resilience) | {incremental:.2f} |",
          f"| naive: close, snap and search per piece | {naive:.2f} |", "",
          f"Ratio {naive / incremental:.1f}x; points whose minutes differ between the two: "
          f"{mismatched}."]
    (RESULTS / "resilience.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    if mismatched:
        raise SystemExit("the incremental and the naive answers differ")


if __name__ == "__main__":
    main()
