"""What a run leaves for maps and reports, and its GeoPackage (``results.gpkg``) round trip.

:class:`Results` is everything the map, the figures and the report draw: facilities (with
their tier and nearest peer), townships, the study area, the coverage and summary tables,
travel-time bands, coverage gaps, and the metadata (title, language, date, assumptions,
sources). :func:`from_study` builds it from a run; :func:`write_gpkg` / :func:`read_gpkg`
store and load it, so ``geo map`` redraws a map without recomputing anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.errors import Arg, InputFileError, StudyError
from geo.study.checks import Check, from_record
from geo.study.resources import Resources
from geo.study.run import ComputedStudy, input_fingerprint

__all__ = ["LAYERS", "RESOURCE_LAYERS", "Results", "data_sources", "from_study", "read_gpkg",
           "read_layer", "table_layer", "write_gpkg"]

#: layers of results.gpkg (``demand``, ``isochrones`` are written too, for GIS use)
LAYERS = ("facilities", "townships", "area", "coverage", "summary", "bands", "gaps", "metadata")
#: layers of the resource measures and the response model, written when a study has them
RESOURCE_LAYERS = {"measures": "measures", "measure_facilities": "facilities",
                   "response": "response", "measure_areas": "areas"}


@dataclass
class Results:
    """A run's results as drawn (see module docs)."""

    name: str
    title: str
    language: str
    map_standard: str
    created: str
    assumptions: list[str]
    sources: list[tuple[str, str]]
    facilities: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    area: gpd.GeoDataFrame
    coverage: pd.DataFrame
    summary: pd.DataFrame
    bands: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    extra: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    #: what the run read (the run summary's "Read" lines)
    facts: list[str] = field(default_factory=list)
    #: the study file of the run, and the SHA-256 of each input by role
    study_file: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    #: the input checks of the run (:mod:`geo.study.checks`)
    checks: list[Check] = field(default_factory=list)
    #: resource ratios, access measures, emergency response (:mod:`geo.study.resources`)
    resources: Resources = field(default_factory=Resources)

    @property
    def standards(self) -> list[str]:
        return list(dict.fromkeys(self.coverage["standard"].astype(str)))


def data_sources(result: ComputedStudy) -> list[tuple[str, str]]:
    """(what, where from) of every input of a run: facilities, roads, area, townships,
    population and each standard's document."""
    s = result.study
    out = [
        ("facilities", f"{s.facilities.path.name} ({len(result.facilities)} facilities)"),
        ("roads", f"{s.roads.path.name}: © OpenStreetMap contributors (ODbL 1.0)"),
        ("study area", s.area.boundary.name),
    ]
    t = s.townships
    if t.boundaries is not None:
        out.append(("townships", t.boundaries.name))
    else:
        assert t.seats is not None
        out.append(("townships", f"approximate areas from the seats in {t.seats.name}"))
    out.append(("population", str(result.demand.attrs.get("population_method", "as given"))))
    out += [(f"standard {std.name}", std.citation) for std in result.standards]
    return out


def _with_labels(result: ComputedStudy) -> tuple[pd.DataFrame, pd.DataFrame]:
    zh = {std.name: std.label_zh for std in result.standards}
    cov = result.coverage.assign(label_zh=result.coverage["standard"].map(zh).fillna(""))
    summ = result.summary.assign(label_zh=result.summary["standard"].map(zh).fillna(""))
    return cov, summ


def from_study(result: ComputedStudy) -> Results:
    """The drawable results of a run."""
    study = result.study
    cov, summ = _with_labels(result)
    town = result.townships.copy()
    wide = cov.pivot(index="township", columns="standard", values="covered_share")
    wide.columns = [f"covered_share_{c}" for c in wide.columns]
    town = town.merge(wide, left_on="township", right_index=True, how="left")
    return Results(
        name=study.name, title=study.title, language=study.language,
        map_standard=study.map_standard,
        created=dt.date.today().isoformat(), assumptions=list(result.assumptions),
        sources=data_sources(result), facilities=result.facilities, townships=town,
        area=result.area, coverage=cov, summary=summ, bands=result.bands, gaps=result.gaps,
        extra={"demand": result.demand, "isochrones": result.isochrones},
        facts=list(result.facts), study_file=str(study.path),
        inputs=input_fingerprint(study), checks=list(result.checks),
        resources=result.resources,
    )


def _table(df: pd.DataFrame) -> gpd.GeoDataFrame:
    """A plain table as a layer without geometry; booleans with gaps stored as 1/0/NaN
    (``meets_target`` always, even when every value is missing)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and (col == "meets_target" or out[col].map(
                lambda v: isinstance(v, bool)).any()):
            out[col] = out[col].map(lambda v: float(v) if isinstance(v, bool) else float("nan"))
    return gpd.GeoDataFrame(out, geometry=[None] * len(out), crs=4326)


table_layer = _table  # a plain table as a GeoPackage layer (also for geo batch)


def _metadata(res: Results) -> gpd.GeoDataFrame:
    rows = [("study", res.name), ("title", res.title), ("language", res.language),
            ("map_standard", res.map_standard), ("created", res.created)]
    rows += [(f"assumption_{i + 1}", a) for i, a in enumerate(res.assumptions)]
    rows += [(f"source_{i + 1}", f"{k}\t{v}") for i, (k, v) in enumerate(res.sources)]
    rows += [(f"fact_{i + 1}", f) for i, f in enumerate(res.facts)]
    rows += [(f"check_{i + 1}", c.record()) for i, c in enumerate(res.checks)]
    rows += [(f"resource_note_{i + 1}", n) for i, n in enumerate(res.resources.notes)]
    rows += [("study_file", res.study_file)] if res.study_file else []
    rows += [(f"input_{role}", digest) for role, digest in res.inputs.items()]
    return _table(pd.DataFrame(rows, columns=["key", "value"]))


def write_gpkg(res: Results, path: Path) -> None:
    """Write every layer of :data:`LAYERS` (and ``extra``) to ``path``; ``basis`` on each."""
    basis = "; ".join(res.assumptions)
    frames: dict[str, gpd.GeoDataFrame] = {
        "facilities": res.facilities, "townships": res.townships, "area": res.area,
        **res.extra, "bands": res.bands, "gaps": res.gaps,
        "coverage": _table(res.coverage), "summary": _table(res.summary),
    }
    for layer, attr in RESOURCE_LAYERS.items():
        frame = getattr(res.resources, attr)
        if not frame.empty:
            frames[layer] = frame if isinstance(frame, gpd.GeoDataFrame) and (
                frame.geometry.notna().any()) else _table(pd.DataFrame(frame))
    for layer, gdf in frames.items():
        gdf.assign(basis=basis).to_file(path, layer=layer, driver="GPKG")
    _metadata(res).to_file(path, layer="metadata", driver="GPKG")


def _booleans(df: pd.DataFrame) -> pd.DataFrame:
    """``meets_target`` back from 1/0/NaN (GeoPackage has no nullable booleans)."""
    if "meets_target" in df:
        df["meets_target"] = pd.array([pd.NA if pd.isna(v) else bool(v)
                                       for v in df["meets_target"]], dtype=object)
    return df


def _resources(p: Path, have: set[str], meta: dict[str, str]) -> Resources:
    """The resource layers of a results.gpkg (empty where the run had none)."""
    out = Resources()
    for layer, attr in RESOURCE_LAYERS.items():
        if layer not in have:
            continue
        frame = read_layer(p, layer)
        if attr in ("measures", "response"):
            frame = _booleans(pd.DataFrame(frame.drop(columns="geometry")))
        setattr(out, attr, frame)
    n = sum(k.startswith("resource_note_") for k in meta)
    out.notes = [meta[f"resource_note_{i + 1}"] for i in range(n)]
    return out


def read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(path, layer=layer).drop(columns="basis", errors="ignore")


def read_gpkg(path: str | Path) -> Results:
    """Load what :func:`write_gpkg` wrote.

    Raises
    ------
    geo.errors.InputFileError
        The file is missing or not a GeoPackage.
    geo.errors.StudyError
        A layer is missing (the message names it and says to re-run the study).
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(Arg("read_gpkg", "path", str(p)), ": no such file: give the "
                             "results.gpkg of a run (or its output folder)")
    try:
        have = {name for name, _ in pyogrio.list_layers(p)}
    except Exception as e:  # pyogrio raises DataSourceError and others for non-GPKG files
        raise InputFileError(Arg("read_gpkg", "path", str(p)), f": not a readable GeoPackage "
                             f"({e}): give the results.gpkg of a run") from e
    if missing := [layer for layer in LAYERS if layer not in have]:
        raise StudyError(
            f"{p} lacks layer(s) {missing}: it was written by an older geo or another tool; "
            "re-run the study (geo run STUDY.toml --out DIR) to write a complete results.gpkg"
        )
    kv = read_layer(p, "metadata")
    meta = dict(zip(kv["key"].astype(str), kv["value"].astype(str), strict=True))
    cov = pd.DataFrame(read_layer(p, "coverage").drop(columns="geometry"))
    summ = pd.DataFrame(read_layer(p, "summary").drop(columns="geometry"))
    for df in (cov, summ):
        if "note" in df:
            df["note"] = df["note"].fillna("")
    if "meets_target" in cov:  # stored as 1/0/NaN (GeoPackage has no nullable booleans)
        cov["meets_target"] = [pd.NA if pd.isna(v) else bool(v) for v in cov["meets_target"]]
    n_assume = sum(k.startswith("assumption_") for k in meta)
    n_source = sum(k.startswith("source_") for k in meta)
    n_fact = sum(k.startswith("fact_") for k in meta)
    n_check = sum(k.startswith("check_") for k in meta)
    return Results(
        name=meta.get("study", p.stem), title=meta.get("title", p.stem),
        language=meta.get("language", "zh"), map_standard=meta.get("map_standard", ""),
        created=meta.get("created", ""),
        assumptions=[meta[f"assumption_{i + 1}"] for i in range(n_assume)],
        sources=[tuple(meta[f"source_{i + 1}"].split("\t", 1)) for i in range(n_source)],
        facilities=read_layer(p, "facilities"), townships=read_layer(p, "townships"),
        area=read_layer(p, "area"), coverage=cov, summary=summ, bands=read_layer(p, "bands"),
        gaps=read_layer(p, "gaps"), facts=[meta[f"fact_{i + 1}"] for i in range(n_fact)],
        study_file=meta.get("study_file", ""),
        inputs={k[len("input_"):]: v for k, v in meta.items() if k.startswith("input_")},
        checks=[from_record(meta[f"check_{i + 1}"]) for i in range(n_check)],
        resources=_resources(p, have, meta),
    )
