"""Export a workbench state as the usual outputs.

A scenario file and its ``geo compare`` folder, in the output folder fixed when the server started
(never a path from the browser).

The scenario is written first, under a hidden name beside the output (``.export-NNN.part
.toml``; ``NNN`` the next free number), then :func:`geo.planning.compare.compare` runs it
on the study from scratch and :func:`geo.outputs.planning.write_comparison` writes
``export-NNN/`` (tables, workbook, summary, map), exactly what ``geo compare STUDY
--scenario export-NNN.toml --out DIR`` writes; only then is the scenario renamed to
``export-NNN.toml``. An export that fails leaves neither (no orphan file). The
comparison's "after" numbers are then checked against the page's table: any difference
is reported with the export (there should be none; tests).
"""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.outputs.planning import write_comparison
from geo.planning.compare import compare

if TYPE_CHECKING:
    from geo.serve.jobs import Progress
    from geo.study.run import ComputedStudy

__all__ = ["differences", "write_export"]

log = logging.getLogger(__name__)
#: page measure -> column of the comparison table
_COLUMNS = {"covered": "covered_population_after", "share": "covered_share_after",
            "median": "median_minutes_after"}


def _free_stem(out_dir: Path) -> str:
    n = 1
    while (out_dir / f"export-{n:03d}").exists() or (out_dir / f"export-{n:03d}.toml").exists():
        n += 1
    return f"export-{n:03d}"


def _same(a: float | None, b: float) -> bool:
    if a is None:
        return math.isnan(b)
    return not math.isnan(b) and a == b


def differences(table: pd.DataFrame, tables: dict[str, Any]) -> list[str]:
    """List where the page's tables and a comparison's "after" columns disagree.

    The page's tables are :meth:`geo.serve.session.Session.tables`; there is one line per
    township, standard and measure (target met included).
    """
    out = []
    for name, t in tables.items():
        sub = table[table["standard"] == name].set_index("township")
        for row in [*t["rows"], t["area"]]:
            town = row["township"]
            if town not in sub.index:
                out.append(f"{name} {town}: not in the comparison")
                continue
            for measure, col in _COLUMNS.items():
                want = float(sub.loc[town, col])
                if not _same(row[measure], want):
                    out.append(f"{name} {town} {measure}: page {row[measure]}, compare {want}")
            met = sub.loc[town, "meets_target_after"]
            if row["meets"] != (None if pd.isna(met) else bool(met)):
                out.append(f"{name} {town} meets: page {row['meets']}, compare {met}")
    return out


def write_export(study: ComputedStudy, out_dir: Path, text: str, tables: dict[str, Any],
                 source: str, progress: Progress | None = None) -> dict[str, Any]:
    """Write ``text`` (a scenario file) and its comparison into ``out_dir`` (see module docs).

    Returns the paths, the command that redoes it and any difference.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = _free_stem(out_dir)
    scenario = out_dir / f"{stem}.toml"
    part = out_dir / f".{stem}.part.toml"
    try:
        part.write_text(text, encoding="utf-8")
        if progress:
            progress.stage("comparing", 0.1)
        comp = compare(study, str(part))
        if progress:
            progress.stage("writing", 0.6)
        files = write_comparison(comp, out_dir / stem)
        part.replace(scenario)
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    diffs = differences(comp.table, tables)
    if diffs:
        log.error("export %s differs from the workbench's table: %s", stem, diffs[:5])
    return {"kind": "export", "folder": str(out_dir / stem), "scenario": str(scenario),
            "files": [p.name for p in files], "differences": diffs,
            "command": f"geo compare {source} --scenario {scenario} --out {out_dir / stem}"}
