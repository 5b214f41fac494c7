"""``geo batch``: one study per area of an areas layer, run as Dask tasks, and combined."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from geo.cli.args import memory_limit, path
from geo.cli.text import out, output_folder, progress, table
from geo.errors import BatchError

__all__ = ["add_parsers", "run_batch"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], fmt: Any) -> None:
    """``geo batch``."""
    from geo.batch.combine import COMBINED_FILES
    from geo.batch.config import batch_options_text

    p = sub.add_parser(
        "batch", help="run a study for every area (county) of a city, province or country",
        formatter_class=fmt,
        description="Run the template study of BATCH (a TOML file with a [batch] section) "
        "once per area of its areas layer, as Dask tasks: on a LocalCluster of --workers "
        "processes on this machine, or on the cluster at --scheduler (`dask scheduler` and "
        "`dask worker` on any machines that see --out at the same path). Each area gets "
        "its own folder OUT/areas/ID (study.toml, inputs, outputs: `geo run "
        "OUT/areas/ID/study.toml` reproduces them); a failed area is retried, then listed "
        "with its error. Areas already done with the same inputs are skipped. Then "
        f"{', '.join(COMBINED_FILES)} are written to --out, all or nothing.",
        epilog="Batch file options (section, key: meaning):\n\n" + batch_options_text(False),
    )
    p.add_argument("batch", type=path, help="batch file (TOML), e.g. analysis/liuzhou_batch.toml")
    p.add_argument("--out", type=path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(default: a LocalCluster on this machine)")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="worker processes of the LocalCluster")
    p.add_argument("--threads-per-worker", type=int, default=1, metavar="N",
                   help="threads of each LocalCluster worker")
    p.add_argument("--memory-limit", type=memory_limit, default="auto", metavar="SIZE",
                   help="memory limit of each LocalCluster worker, e.g. 4GB (auto: this "
                   "machine's memory split between the workers)")
    p.add_argument("--areas", nargs="+", metavar="ID",
                   help="run only these area ids (default: every area of the layer)")


def _check_memory(workers: int, limit: str) -> None:
    """The LocalCluster's workers fit this machine's memory (more get killed by the OS, or
    by Dask, one area after another)."""
    from dask.utils import parse_bytes
    from distributed.system import MEMORY_LIMIT

    from geo import settings
    from geo._files import size_text

    each = MEMORY_LIMIT / workers if limit == "auto" else parse_bytes(limit)
    if each < settings.BATCH_MIN_WORKER_BYTES:
        raise BatchError(f"--workers {workers}: each would get {size_text(each)} of this "
                         f"machine's {size_text(MEMORY_LIMIT)}, less than a worker needs "
                         f"({size_text(settings.BATCH_MIN_WORKER_BYTES)}): give fewer "
                         "workers")
    if workers * each > MEMORY_LIMIT:
        raise BatchError(f"--workers {workers} x --memory-limit {limit} is "
                         f"{size_text(workers * each)}, more than this machine's "
                         f"{size_text(MEMORY_LIMIT)}: give fewer workers or a smaller "
                         "--memory-limit (auto splits the memory between the workers)")


def _coverage_by_area(result: Any, folder: Path) -> None:
    """The per-area coverage table of ``batch.xlsx`` (its ``汇总`` sheet), as text."""
    from geo.batch.combine import areas_table, standard_labels
    from geo.batch.workbook import AREA_COLUMNS, county_rows
    from geo.outputs import cells, i18n

    path = folder / "coverage_by_area.csv"
    if not path.is_file():
        return
    lang = result.batch.template.language
    summary = pd.read_csv(path, encoding="utf-8-sig")
    rows = county_rows(summary, pd.DataFrame(areas_table(result)), standard_labels(result),
                       lang)
    out(table([[cells.text(r.get(c), kind, lang, r.get("target_share")) if c in r else ""
                for c, _, kind in AREA_COLUMNS] for r in rows],
              [cells.header(k, kind, lang) for _, k, kind in AREA_COLUMNS],
              i18n.text("by_area", lang)))


def run_batch(args: argparse.Namespace) -> int:
    """``geo batch``: prints what ran and raises :class:`BatchError` if any area failed."""
    from geo.batch.combine import COMBINED_FILES
    from geo.batch.config import load_batch
    from geo.batch.run import BATCH_FOLDERS
    from geo.batch.run import run_batch as run

    if args.workers < 1 or args.threads_per_worker < 1:
        raise BatchError("--workers and --threads-per-worker must be 1 or more")
    if args.scheduler is None:
        _check_memory(args.workers, args.memory_limit)
    inputs = load_batch(args.batch).input_files()
    with output_folder(args.out, (*COMBINED_FILES, *BATCH_FOLDERS), inputs):
        result = run(args.batch, args.out, scheduler=args.scheduler, workers=args.workers,
                     threads_per_worker=args.threads_per_worker,
                     memory_limit=args.memory_limit, only=args.areas, progress=progress)
    from geo.batch.combine import areas_table

    rows = [[a.area_id, a.area_name, a.status,
             "" if pd.isna(getattr(a, "seconds", None)) else f"{a.seconds:.1f}",
             "" if pd.isna(getattr(a, "peak_rss_mb", None)) else f"{a.peak_rss_mb:,.0f}"]
            for a in areas_table(result).itertuples()]
    out(table(rows, ["area", "name", "status", "seconds", "peak MB"], result.batch.title))
    for worker, mb in sorted(result.workers.items()):
        out(f"worker {worker}: peak {mb:,.0f} MB")
    _coverage_by_area(result, args.out)
    out(f"{len(result.ran)} run, {len(result.skipped)} reused, {len(result.failed)} failed "
        f"in {result.seconds:.1f} s; wrote {', '.join(p.name for p in result.written)} to "
        f"{args.out}")
    if result.failed:
        listed = "; ".join(f"{i}: {e}" for i, e in list(result.failed.items())[:5])
        raise BatchError(
            f"{len(result.failed)} of {len(result.areas)} areas failed ({listed}); the "
            f"combined outputs in {args.out} name them. Fix their inputs and run the same "
            "`geo batch` again: the areas already done are skipped")
    return 0
