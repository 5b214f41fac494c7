"""Benchmark: writing a study's outputs, per output, as `geo run` and a batch area pay it.

Usage: python benchmarks/bench_outputs.py [--runs 3] [--skip-batch] [--label NAME]

- Luzhai: ``analysis/luzhai.toml`` (the embedded study, 4 standards, 9 townships).
- A batch area: 融水苗族自治县 (adcode 450225, 20 townships, the slowest area of
  ``analysis/liuzhou_batch.toml``), its area folder made once by ``geo batch --areas 450225``
  on one worker, then its ``study.toml`` run like any study (what the batch task does:
  :func:`geo.batch.task.run_area` calls the same :func:`geo.outputs.write_outputs` with
  ``area_outputs = "all"``); once as ``geo run`` writes it, once from a second thread as a
  Dask worker of ``geo batch`` writes it (figures drawn one after the other: a process with
  threads does not fork).

Each study runs in a fresh interpreter: the writers are imported (matplotlib, folium,
XlsxWriter: ``geo run`` imports them before it computes), the study is computed, then
:func:`geo.outputs.write_outputs` writes all outputs into a new folder ``--runs`` times. The
first write is what one ``geo run`` pays after its compute (the font loaded, the first
drawing of each process); the later ones are warm. Per output: the seconds its writer ran (outputs
written side by side overlap, so their sum can exceed the wall time); in all: the wall time
of ``write_outputs`` (staging, every writer, the swap) and its CPU seconds, those of the
processes it forks included (warm runs). Where ``geo run`` forks, the figures are drawn while
the other outputs are written: ``figures`` is then only their start, and ``report.html``
includes the wait for them. ``uptime`` before and after says
how loaded the machine was.

Results: benchmarks/results/outputs.json and outputs.md (``--label`` keeps several runs,
e.g. before and after a change, side by side in the JSON).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
BATCH_AREA = "450225"


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _cpu() -> float:
    """Return the CPU seconds of this process and of its children that have ended."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(study: Path, runs: int, alone: bool = False) -> dict[str, Any]:
    """Compute ``study`` once and time ``runs`` writes of all its outputs (this process).

    ``alone``: write from a second thread, as in a Dask worker of ``geo batch`` or in
    ``geo serve``: no figures drawn side by side in forked processes (a process with threads
    does not fork).
    """
    import geo
    from geo.outputs import folder
    from geo.outputs.write import write_outputs  # noqa: F401  # before computing, as geo run

    t0 = time.perf_counter()
    computed = geo.run_study(study)
    compute_s = time.perf_counter() - t0
    per_output: dict[str, list[float]] = {}
    lock = threading.Lock()
    staged = folder._staged

    def timed(stage: Path, name: str, *args: Any) -> None:
        s = time.perf_counter()
        staged(stage, name, *args)
        with lock:
            per_output.setdefault(name, []).append(time.perf_counter() - s)

    folder._staged = timed  # type: ignore[assignment]
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            s, c = time.perf_counter(), _cpu()
            if alone:
                with ThreadPoolExecutor(1) as other:
                    other.submit(geo.write_outputs, computed, Path(tmp) / f"run{i}").result()
            else:
                geo.write_outputs(computed, Path(tmp) / f"run{i}")
            walls.append(time.perf_counter() - s)
            cpus.append(_cpu() - c)
    return {"study": str(study.relative_to(ROOT)) if study.is_relative_to(ROOT) else study.name,
            "compute_s": compute_s, "townships": len(computed.townships),
            "standards": len(computed.study.standards.use),
            "write_first_s": walls[0], "write_warm_s": statistics.median(walls[1:] or walls),
            "write_warm_cpu_s": statistics.median(cpus[1:] or cpus),
            "per_output_first_s": {k: v[0] for k, v in per_output.items()},
            "per_output_warm_s": {k: statistics.median(v[1:] or v)
                                  for k, v in per_output.items()}}


def _child(study: Path, runs: int, alone: bool = False) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", str(study), "--runs", str(runs),
                           *(["--alone"] if alone else [])],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def batch_area(work: Path) -> Path:
    """Make the area folder of :data:`BATCH_AREA` (one worker); return its study file."""
    from geo.batch.run import run_batch

    run_batch(ROOT / "analysis" / "liuzhou_batch.toml", work, workers=1, only=[BATCH_AREA])
    return work / "areas" / BATCH_AREA / "study.toml"


def table(rows: dict[str, dict[str, Any]]) -> str:
    """Return the Markdown table of per-output write times of every measured study."""
    names = list(dict.fromkeys(k for r in rows.values() for k in r["per_output_first_s"]))
    head = "| output | " + " | ".join(f"{k} first | {k} warm" for k in rows) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(rows)]
    for n in names:
        cells = [f"{r['per_output_first_s'].get(n, 0):.2f} | {r['per_output_warm_s'].get(n, 0):.2f}"
                 for r in rows.values()]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines.append("| **write_outputs, wall** | " + " | ".join(
        f"**{r['write_first_s']:.2f}** | **{r['write_warm_s']:.2f}**" for r in rows.values())
        + " |")
    lines.append("| write_outputs, CPU s (all processes) | " + " | ".join(
        f" | {r.get('write_warm_cpu_s', float('nan')):.2f}" for r in rows.values()) + " |")
    lines.append("| compute (run_study) | " + " | ".join(
        f"{r['compute_s']:.2f} | " for r in rows.values()) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--label", default="current")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--alone", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child.resolve(), args.runs, args.alone)))
        return
    before = _uptime()
    rows = {"luzhai": _child(ROOT / "analysis" / "luzhai.toml", args.runs)}
    if not args.skip_batch:
        with tempfile.TemporaryDirectory() as tmp:
            area = batch_area(Path(tmp) / "batch")
            rows[f"area {BATCH_AREA}"] = _child(area, args.runs)
            rows[f"area {BATCH_AREA} in a worker"] = _child(area, args.runs, alone=True)
    after = _uptime()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "outputs.json"
    kept = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    kept[args.label] = {"uptime_before": before, "uptime_after": after, "runs": args.runs,
                        "studies": rows}
    path.write_text(json.dumps(kept, indent=1, ensure_ascii=False), encoding="utf-8")
    md = "\n".join(f"### {label}\n\n{v['uptime_before']} / {v['uptime_after']}\n\n"
                   f"{table(v['studies'])}" for label, v in kept.items())
    (RESULTS / "outputs.md").write_text(md, encoding="utf-8")
    print(table(rows))
    print(f"uptime before: {before}\nuptime after:  {after}")


if __name__ == "__main__":
    main()
