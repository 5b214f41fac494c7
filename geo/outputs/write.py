"""Write a study's outputs: tables, GeoPackage, map, figures and report, all or nothing.

Everything is written into a staging folder next to the output folder and swapped into
place all or nothing by :func:`geo.outputs.folder.write_atomically` (each old entry renamed
aside, the new one moved in, every step undone on any failure, Ctrl-C included; one run
per folder at a time). A failure leaves the output folder byte-identical.

:func:`redraw_map` draws a map again from a saved ``results.gpkg`` (``geo map``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo._atomic import TARGET
from geo.coverage.tables import NONE_BELOW, worst_served
from geo.errors import Arg, Hint, StandardError, StudyError, given_as
from geo.numbers import SHARE_NOTE, minutes_text, people_text, share_text, target_text
from geo.options import closest
from geo.outputs import figures, groups, measure_tables, raster, report, tables
from geo.outputs.folder import OUT_DIR, write_atomically
from geo.outputs.map import coverage as maps
from geo.outputs.pdf import print_pdf
from geo.outputs.results import Results, from_study, read_gpkg, write_gpkg

if TYPE_CHECKING:
    from geo.study.run import ComputedStudy

__all__ = ["OUTPUT_FILES", "TABLE_FILES", "redraw_map", "write_outputs"]


OUTPUT_FILES = (
    "coverage_by_township.csv",
    "coverage_summary.csv",
    "results.gpkg",
    "map.html",
    "report.html",
    "coverage.xlsx",
    "figures",
    "travel_time",
    "run_summary.txt",
)


def _table(res: Results, which: str, path: Path) -> None:
    frame = res.coverage if which == "coverage" else res.summary
    basis = "; ".join(res.assumptions)
    tables.write_csv(frame.drop(columns="label_zh").assign(basis=basis), path)


def build_map(res: Results, standard: str | None = None, language: str | None = None) -> object:
    """Return the folium map of ``standard`` (the study's map standard by default)."""
    shown = standard or res.map_standard or res.standards[0]
    if shown not in res.standards:
        raise StandardError(
            Arg("redraw_map", "standard", shown), f": not in these results"
            f"{closest(shown, res.standards)}; they hold {', '.join(res.standards)}")
    return maps.coverage_map(
        facilities=res.facilities, townships=res.townships,
        coverage=groups.with_group_shares(res.coverage, res.groups, language or res.language),
        bands=res.bands, gaps=res.gaps, boundary=res.area, standard=shown, title=res.title,
        notes=res.assumptions, language=language or res.language, created=res.created,
        resources=res.resources,
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
    with given_as({("read_gpkg", "path"): Arg("redraw_map", "gpkg"),
                   (TARGET.func, TARGET.name): Arg("redraw_map", "out")}):
        res = read_gpkg(gpkg)
        m = build_map(res, standard, language)
        return maps.save_map(m, out)  # type: ignore[arg-type]


def summary_text(result: ComputedStudy) -> str:
    """Return the run summary: what was read, assumptions, totals per standard, timings."""
    lines = [f"# {result.study.title}", "", "## Read"]
    lines += [f"- {f}" for f in result.facts]
    lines += ["", "## Assumptions (every output rests on these)"]
    lines += [f"- {a}" for a in result.assumptions]
    lines += ["", "## Input checks (✓ ok, i note, ! warning or accepted stop)"]
    lines += [f"- {c.line}" for c in result.checks]
    lines += ["", f"## Coverage (study area; {SHARE_NOTE})"]
    for _, r in result.summary.iterrows():
        if r["note"]:
            lines.append(f"- {r['standard']} ({r['label']}): {r['note']}")
            continue
        lines.append(
            f"- {r['standard']} ({r['label']}, {r['minutes']:g} min): "
            f"{share_text(r['covered_share'], r['target_share'])} of "
            f"{people_text(r['population'])} people covered "
            f"(target {target_text(r['target_share'])}); median "
            f"{minutes_text(r['median_minutes'])} min, worst {minutes_text(r['max_minutes'])} "
            f"min; {_worst(r)}; {r['townships_failing']} townships below target. "
            f"Source: {r['citation']}"
        )
    lines += measure_tables.summary_lines(result.resources)
    lines += ["", "## Timings (s)"]
    lines += [f"- {k}: {v:.2f}" for k, v in result.timings.items()]
    return "\n".join(lines) + "\n"


def _worst(row: pd.Series) -> str:
    text = worst_served(row.to_dict())
    return text if text == NONE_BELOW else f"worst-served township {text}"


#: the outputs of ``parts="tables"``: what a batch of thousands of areas keeps per area
TABLE_FILES = ("coverage_by_township.csv", "coverage_summary.csv", "results.gpkg",
               "run_summary.txt")


def write_outputs(result: ComputedStudy, out_dir: Path,
                  parts: Collection[str] | None = None, pdf: bool = False) -> list[Path]:
    """Write all outputs (:data:`OUTPUT_FILES`), or those named in ``parts``.

    They go into ``out_dir`` atomically (``report.html`` needs ``figures``); ``pdf``: also
    ``report.pdf``, printed from ``report.html`` by Chromium (:mod:`geo.outputs.pdf`).

    Examples
    --------
    >>> import geo, pathlib, tempfile
    >>> from geo.outputs import OUTPUT_FILES
    >>> computed = geo.run_study("analysis/luzhai.toml")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "luzhai"
    >>> written = geo.write_outputs(computed, out)
    >>> sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    True
    """
    from geo.study.run import ComputedStudy

    if not isinstance(result, ComputedStudy):
        raise StudyError(Arg("write_outputs", "result", Hint(type(result).__name__)),
                         ": give the computed study of geo.run_study or geo.load_computed")
    res = from_study(result)
    pngs: dict[Path, bytes] = {}
    drawing: list[figures.Drawing] = []  # the figures being drawn while the others are written

    def figs(path: Path) -> None:
        if "report.html" in files:  # the report waits for them
            drawing.append(figures.start_figures(res, path))
        else:
            pngs.update(figures.write_figures(res, path))

    def page(path: Path) -> None:  # after the figures, which it embeds
        if drawing:
            pngs.update(drawing.pop().result())
        by_std = {s: [("map" if p.stem.startswith("coverage_") else "chart", data)
                      for p, data in pngs.items() if p.stem.split("_", 1)[1] == s
                      and not p.stem.startswith("lorenz_")]
                  for s in res.standards}
        lorenz = {p.stem.split("_", 1)[1]: data for p, data in pngs.items()
                  if p.stem.startswith("lorenz_")}
        path.write_text(report.report_html(res, by_std, lorenz), encoding="utf-8")

    files: dict[str, Callable[[Path], object]] = {
        "figures": figs,  # first: drawn in other processes while the rest is written (geo run)
        "coverage_by_township.csv": lambda p: _table(res, "coverage", p),
        "coverage_summary.csv": lambda p: _table(res, "summary", p),
        "results.gpkg": lambda p: write_gpkg(res, p),
        "map.html": lambda p: maps.save_map(build_map(res), p),  # type: ignore[arg-type]
        "travel_time": lambda p: raster.write_surfaces(result, p),
        "report.html": page,
        "coverage.xlsx": lambda p: report.write_xlsx(res, p),
        "run_summary.txt": lambda p: p.write_text(summary_text(result), encoding="utf-8"),
    }
    assert set(files) == set(OUTPUT_FILES)
    if parts is not None:
        unknown = sorted(set(parts) - set(OUTPUT_FILES))
        if unknown or ("report.html" in parts and "figures" not in parts):
            raise ValueError(f"parts must name outputs of {OUTPUT_FILES} (report.html with "
                             f"figures), got {sorted(parts)}")
        files = {k: v for k, v in files.items() if k in parts}
    if pdf and "report.html" in files:
        files["report.pdf"] = lambda p: print_pdf(p.parent / "report.html", p)

    def stopping(step: Callable[[Path], object]) -> Callable[[Path], object]:
        def run(path: Path) -> object:
            try:
                return step(path)
            except BaseException:  # no process may write figures into a folder being removed
                while drawing:
                    drawing.pop().close()
                raise
        return run

    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_outputs", "out_dir")}):
        return write_atomically(out_dir, {k: stopping(v) for k, v in files.items()},
                                inputs=result.study.input_files())
