"""Write a study's outputs: tables, GeoPackage, map, figures and report, all or nothing.

Everything is written into a staging folder next to the output folder; only when
every file is complete are they moved into place (``os.replace``, atomic per file on
one file system; the ``figures`` folder is swapped in whole). A failure removes the
staging folder and leaves the output folder as it was.

:func:`redraw_map` draws a map again from a saved ``results.gpkg`` (``geo map``).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from geo import figures, maps, report
from geo.errors import StandardError
from geo.results import Results, from_study, read_gpkg, write_gpkg

if TYPE_CHECKING:
    from geo.study import StudyResult

__all__ = ["OUTPUT_FILES", "redraw_map", "write_outputs"]

log = logging.getLogger(__name__)

OUTPUT_FILES = (
    "coverage_by_township.csv",
    "coverage_summary.csv",
    "results.gpkg",
    "map.html",
    "report.html",
    "coverage.xlsx",
    "figures",
    "run_summary.txt",
)


def _tables(res: Results, stage: Path) -> None:
    basis = "; ".join(res.assumptions)
    table = res.coverage.drop(columns="label_zh").assign(basis=basis)
    table.to_csv(stage / "coverage_by_township.csv", index=False, encoding="utf-8")
    summary = res.summary.drop(columns="label_zh").assign(basis=basis)
    summary.to_csv(stage / "coverage_summary.csv", index=False, encoding="utf-8")


def build_map(res: Results, standard: str | None = None, language: str | None = None) -> object:
    """The folium map of ``standard`` (the study's map standard by default)."""
    shown = standard or res.map_standard or res.standards[0]
    if shown not in res.standards:
        raise StandardError(
            f"standard {shown!r} is not in these results; available standards: "
            f"{', '.join(res.standards)}: pass one of them with --standard"
        )
    return maps.coverage_map(
        facilities=res.facilities, townships=res.townships, coverage=res.coverage,
        bands=res.bands, gaps=res.gaps, boundary=res.area, standard=shown, title=res.title,
        notes=res.assumptions, language=language or res.language, created=res.created,
    )


def redraw_map(
    gpkg: str | Path, out: str | Path, standard: str | None = None, language: str | None = None
) -> Path:
    """Draw the map of ``standard`` from a saved ``results.gpkg`` into ``out`` (atomically).

    Raises
    ------
    geo.errors.InputFileError, geo.errors.StudyError
        The file is missing, not a GeoPackage or lacks a layer (re-run the study).
    geo.errors.StandardError
        ``standard`` is not in the results (the message lists those that are).
    """
    res = read_gpkg(gpkg)
    m = build_map(res, standard, language)
    return maps.save_map(m, out)  # type: ignore[arg-type]


def summary_text(result: StudyResult) -> str:
    """The run summary: what was read, assumptions, totals per standard, timings."""
    lines = [f"# {result.study.title}", "", "## Read"]
    lines += [f"- {f}" for f in result.facts]
    lines += ["", "## Assumptions (every output rests on these)"]
    lines += [f"- {a}" for a in result.assumptions]
    lines += ["", "## Coverage (study area)"]
    for _, r in result.summary.iterrows():
        if r["note"]:
            lines.append(f"- {r['standard']} ({r['label']}): {r['note']}")
            continue
        lines.append(
            f"- {r['standard']} ({r['label']}, {r['minutes']:g} min): "
            f"{r['covered_share']:.1%} of {r['population']:,.0f} people covered "
            f"(target {r['target_share']:.0%}); median {r['median_minutes']:.1f} min, "
            f"worst {r['max_minutes']:.1f} min; worst-served township {r['worst_township']} "
            f"({r['worst_township_share']:.1%}); {r['townships_failing']} townships below "
            f"target. Source: {r['citation']}"
        )
    lines += ["", "## Timings (s)"]
    lines += [f"- {k}: {v:.2f}" for k, v in result.timings.items()]
    return "\n".join(lines) + "\n"


def _move(stage: Path, out_dir: Path, name: str) -> None:
    src, dst = stage / name, out_dir / name
    if src.is_dir() and dst.exists():
        old = stage / f".old-{name}"
        dst.replace(old)  # a folder cannot be replaced over a non-empty one: swap it out
    src.replace(dst)


def write_outputs(result: StudyResult, out_dir: Path) -> list[Path]:
    """Write all outputs into ``out_dir`` atomically; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        res = from_study(result)
        _tables(res, stage)
        write_gpkg(res, stage / "results.gpkg")
        maps.save_map(build_map(res), stage / "map.html")  # type: ignore[arg-type]
        pngs = figures.write_figures(res, stage / "figures")
        by_std = {std: [p for p in pngs if p.stem.endswith(f"_{std}")] for std in res.standards}
        page = report.report_html(res, by_std)
        (stage / "report.html").write_text(page, encoding="utf-8")
        report.write_xlsx(res, stage / "coverage.xlsx")
        (stage / "run_summary.txt").write_text(summary_text(result), encoding="utf-8")
        out_dir.mkdir(exist_ok=True)
        paths = []
        for name in OUTPUT_FILES:
            _move(stage, out_dir, name)
            paths.append(out_dir / name)
        return paths
    finally:
        shutil.rmtree(stage, ignore_errors=True)
