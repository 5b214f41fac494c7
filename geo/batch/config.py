"""The batch file (TOML): a study template, the areas to run it for, and how.

A batch file has one section, ``[batch]`` (:class:`BatchSection`), checked like a study
file (:func:`geo.options.parse_section`: unknown keys stop with the closest valid key,
values out of range with the allowed ones). Its ``template`` is an ordinary study file for
the whole region: its ``[area] boundary`` is the areas layer (read as one area, it joins
them), its facility list, township seats or polygons, road source and population cover
every area, and ``geo run`` runs it as one study. :func:`load_batch` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geo import settings
from geo.errors import BatchError, StudyError
from geo.options import closest, opt, parse_section, read_toml, section_text
from geo.study.schema import Study, load_study

__all__ = ["Batch", "BatchSection", "batch_options_text", "load_batch"]


@dataclass(frozen=True)
class BatchSection:
    """``[batch]``: one study per area of an areas layer, run as Dask tasks."""

    template: Path = opt(None, "study file for the whole region: its facilities, township "
                         "seats or polygons, roads and standards serve every area; "
                         "[area], the area's population and the roads are set per area",
                         path=True, required=True)
    name: str | None = opt(None, "short name of the batch (default: the file name)")
    title: str | None = opt(None, "title of the combined map and workbook (default: the "
                            "template's title)")
    areas: Path | None = opt(None, "areas layer: polygons with an id and a name, e.g. "
                             "counties (default: the template's [area] boundary)", path=True)
    layer: str | None = opt(None, "layer of a multi-layer areas file (GeoPackage; default: "
                            "the template's [area] layer when areas is not set)")
    id_col: str = opt("id", "column of unique area ids (e.g. the 6-digit adcode); an area's "
                      "folder is named after it")
    name_col: str = opt("name", "column of area names (e.g. 鹿寨县)")
    population_col: str | None = opt(None, "column of people per area: each area spreads its "
                                     "own total evenly (template [population] method = "
                                     "'even'); without it the template's points or raster "
                                     "serve every area")
    population_label: str | None = opt(None, "where the areas' population comes from, "
                                       "quoted in every output with the area's total")
    buffer_km: float = opt(settings.BATCH_BUFFER_KM, "roads and facilities within this "
                           "distance of an area are used for it (km)", lo=0.0, hi=1000.0)
    facilities_outside: str = opt("count", "facilities in the buffer outside the area: count "
                                  "them (people cross county lines for care) or ignore them",
                                  choices=("count", "ignore"))
    area_outputs: str = opt("all", "what each area writes: all (what `geo run` writes) or "
                            "tables (the CSV tables, results.gpkg and run_summary.txt: for "
                            "thousands of areas)", choices=("all", "tables"))
    retries: int = opt(settings.BATCH_RETRIES, "times a failed area is tried again", lo=0,
                       hi=10)
    tile_km: float = opt(settings.BATCH_TILE_KM, "side of the tiles of the partitioned "
                         "network cache (km)", lo=0.5, hi=500.0)


@dataclass(frozen=True)
class Batch:
    """A validated batch file and its template study."""

    path: Path
    batch: BatchSection
    template: Study

    @property
    def name(self) -> str:
        return self.batch.name or self.path.stem

    @property
    def title(self) -> str:
        return self.batch.title or self.template.title

    @property
    def areas_path(self) -> Path:
        return self.batch.areas or self.template.area.boundary

    def input_files(self) -> dict[str, Path]:
        """Every file the batch reads, by role: the batch file, the template study's inputs
        and the areas layer."""
        files = self.template.input_files()
        files["template"] = files.pop("study")
        return {"batch file": self.path, **files, "areas": self.areas_path}

    @property
    def buffer_m(self) -> float:
        return float(self.batch.buffer_km) * 1000.0


def _check(b: BatchSection, template: Study) -> None:
    method = template.population.method
    if method == "even" and b.population_col is None:
        raise BatchError(
            "the template spreads one total over its area ([population] method = 'even'): "
            "name the areas layer's column of people per area with [batch] population_col, "
            "or give the template a population raster or points")
    if method == "table":
        raise BatchError(
            "geo batch does not split a township population table ([population] method = "
            "'table') between areas yet: use [batch] population_col (people per area, spread "
            "evenly), or a population raster or points in the template")
    if b.population_col is not None and method not in ("even",):
        raise BatchError(
            f"[batch] population_col spreads a total per area, but the template's [population] "
            f"method is {method!r}: remove [batch] population_col to use the template's "
            "population, or set the template's [population] method = 'even'")


def load_batch(path: str | Path) -> Batch:
    """Read and validate a batch file and its template (see module docs).

    Raises
    ------
    geo.errors.InputFileError
        The batch file does not exist.
    geo.errors.StudyError, geo.errors.BatchError
        It breaks the schema, or its template cannot serve per-area studies; the message
        names the option and the fix.
    """
    p = Path(path)
    raw = read_toml(p, "batch file", StudyError, "give the path to a .toml batch file")
    for name in raw:
        if name != "batch":
            raise StudyError(f"{p}: unknown section [{name}]{closest(name, ['batch'])}. A batch "
                             "file has one section, [batch]")
    if "batch" not in raw:
        raise StudyError(f"{p}: the [batch] section is missing")
    try:
        section: BatchSection = parse_section(BatchSection, "batch", raw["batch"],
                                              p.resolve().parent)
    except StudyError as e:
        raise StudyError(f"{p}: {e}") from None
    template = load_study(section.template)
    try:
        _check(section, template)
    except BatchError as e:
        raise BatchError(f"{p}: {e}") from None
    return Batch(path=p.resolve(), batch=section, template=template)


def batch_options_text(markdown: bool = True) -> str:
    """Every batch-file option, one line each (docs/batch.md and ``geo batch --help``)."""
    return "\n".join(section_text("batch", BatchSection, markdown)) + "\n"
