"""Write a study's outputs: tables, GeoPackage, map and run summary, all or nothing.

Everything is written into a staging folder next to the output folder; only when
every file is complete are they moved into place (``os.replace``, atomic per file on
one file system). A failure removes the staging folder and leaves the output folder
as it was.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geo import maps

if TYPE_CHECKING:
    from geo.study import StudyResult

__all__ = ["OUTPUT_FILES", "write_atomically", "write_outputs"]

OUTPUT_FILES = (
    "coverage_by_township.csv",
    "coverage_summary.csv",
    "results.gpkg",
    "map.html",
    "run_summary.txt",
)


def _basis(result: StudyResult) -> str:
    return "; ".join(result.assumptions)


def _table(frame: pd.DataFrame, result: StudyResult, path: Path) -> None:
    out = frame.copy()
    out["basis"] = _basis(result)
    out.to_csv(path, index=False, encoding="utf-8")


def _gpkg(result: StudyResult, path: Path) -> None:
    basis = _basis(result)
    fac = result.facilities.copy()
    fac["basis"] = basis
    fac.to_file(path, layer="facilities", driver="GPKG")
    town = result.townships.copy()
    wide = result.coverage.pivot(index="township", columns="standard", values="covered_share")
    wide.columns = [f"covered_share_{c}" for c in wide.columns]
    town = town.merge(wide, left_on="township", right_index=True, how="left")
    town["basis"] = basis
    town.to_file(path, layer="townships", driver="GPKG")
    demand = result.demand.copy()
    demand["basis"] = basis
    demand.to_file(path, layer="demand", driver="GPKG")
    iso = result.isochrones.copy()
    iso["basis"] = basis
    iso.to_file(path, layer="isochrones", driver="GPKG")
    meta = pd.DataFrame(
        {"key": ["study", "title", "created", *[f"assumption_{i + 1}" for i in
                                                range(len(result.assumptions))]],
         "value": [result.study.name, result.study.title, dt.date.today().isoformat(),
                   *result.assumptions]}
    )
    gpd.GeoDataFrame(meta, geometry=[None] * len(meta), crs=4326).to_file(
        path, layer="metadata", driver="GPKG"
    )


def _map(result: StudyResult, path: Path) -> None:
    study = result.study
    shown = study.map_standard or result.standards[0].name
    m = maps.coverage_map(
        facilities=result.facilities, townships=result.townships, coverage=result.coverage,
        isochrones=result.isochrones, boundary=result.area, standard=shown,
        title=study.title, notes=result.assumptions,
    )
    maps.save_map(m, path)


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


def _text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")


def write_atomically(out_dir: Path, files: Mapping[str, Callable[[Path], None]]) -> list[Path]:
    """Write files into ``out_dir`` all or nothing.

    ``files`` maps each output name to a function writing it to the path it is given
    (inside a staging folder next to ``out_dir``). Only when every one has succeeded
    are they moved into ``out_dir``; on any failure the staging folder is removed and
    ``out_dir`` is left as it was.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        for name, write in files.items():
            write(stage / name)
        out_dir.mkdir(exist_ok=True)
        paths = []
        for name in files:
            (stage / name).replace(out_dir / name)
            paths.append(out_dir / name)
        return paths
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_outputs(result: StudyResult, out_dir: Path) -> list[Path]:
    """Write all outputs into ``out_dir`` atomically; returns their paths."""
    files: dict[str, Callable[[Path], None]] = {
        "coverage_by_township.csv": lambda p: _table(result.coverage, result, p),
        "coverage_summary.csv": lambda p: _table(result.summary, result, p),
        "results.gpkg": lambda p: _gpkg(result, p),
        "map.html": lambda p: _map(result, p),
        "run_summary.txt": lambda p: _text(summary_text(result), p),
    }
    return write_atomically(out_dir, files)
