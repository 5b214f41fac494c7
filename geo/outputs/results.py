"""What a run leaves for maps and reports, and its GeoPackage (``results.gpkg``) round trip.

:class:`Results` is everything the map, the figures and the report draw: facilities (with
their tier and nearest peer), townships, the study area, the coverage and summary tables,
travel-time bands, coverage gaps, and the metadata (title, language, date, assumptions,
sources). :func:`from_study` builds it from a run; :func:`write_gpkg` / :func:`read_gpkg`
store and load it, so ``geo map`` redraws a map without recomputing anything.

``results.gpkg`` is made to be opened in QGIS as well (:mod:`geo.outputs.gpkg`): every
layer has a title in the study's language and QGIS styles in the map's colours
(:mod:`geo.outputs.gis_styles`); the townships layer carries, per standard, the people
covered, the share, the target and the status (``达标`` / ``未达标``), with one style per
standard; bands, gaps, isochrones and the drawn areas of measures, which hold every
standard (or measure) together in a run, are one layer per standard (:data:`SPLIT`:
``bands_emergency_1h``, ...), named in the ``metadata`` table so that :func:`read_gpkg`
puts them back together; the coverage tables are tables without geometry; the
assumptions are stored once (the ``metadata`` table and the GeoPackage's metadata), not on
every row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo._files import input_file, lexists
from geo.errors import Arg, InputFileError, StudyError
from geo.outputs import gis_styles as styles
from geo.outputs import i18n, qml
from geo.outputs.gpkg import About, GisLayer
from geo.outputs.gpkg import write_gpkg as write_layers
from geo.study.checks import Check, from_record
from geo.study.resources import AREA_COLUMNS, FACILITY_COLUMNS, Resources
from geo.study.run import ComputedStudy, input_fingerprint

__all__ = ["LAYERS", "SPLIT", "Results", "data_sources", "from_study", "read_gpkg",
           "read_layer", "table_layer", "township_fields", "write_gpkg"]

#: layers every results.gpkg has (``demand``, the measures' layers and the layers of
#: :data:`SPLIT` are written too)
LAYERS = ("facilities", "townships", "area", "coverage", "summary", "metadata")
#: frames that hold several standards (or measures) together, written as one layer per
#: standard: the frame and the columns naming a part. A part's layer is the frame's name
#: and the standard (``bands_emergency_1h``); the measures' drawn areas (``areas``) are one
#: layer per measure and kind, named by kind (:data:`AREA_PREFIX`: ``access_<measure>``)
SPLIT = {"bands": ("standard",), "gaps": ("standard",), "isochrones": ("standard",),
         "workload": ("measure",), "areas": ("name", "kind")}
#: layer prefix of the drawn areas of a measure or response, by kind
AREA_PREFIX = {"access": "access", "basin": "catchments", "response": "response_bands"}
#: the columns of a split frame that has no part at all (no standard drew anything)
_EMPTY = {"bands": ("standard", "band", "lo", "hi", "cells"),
          "gaps": ("standard", "township", "minutes", "population"),
          "isochrones": ("standard", "label", "minutes", "method", "note")}


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


def township_fields(towns: gpd.GeoDataFrame, coverage: pd.DataFrame, lang: str,
                    keys: Sequence[str] = ("township",)) -> gpd.GeoDataFrame:
    """``towns`` with their population and, per standard of ``coverage`` (rows by ``keys``
    and ``standard``), the people covered, the share, the target and the status in
    ``lang`` (:func:`geo.outputs.gis_styles.township_columns`; not applicable where the
    standard has no value): what the townships layers of the GeoPackages carry."""
    out = towns.copy()
    index = pd.MultiIndex.from_frame(out[list(keys)].astype(str))
    cov = coverage.copy()
    cov[list(keys)] = cov[list(keys)].astype(str)

    def pick(rows: pd.DataFrame, col: str) -> pd.Series:
        values = rows.set_index(list(keys))[col]
        values.index = pd.MultiIndex.from_frame(values.index.to_frame())
        return values.reindex(index)

    out["population"] = pick(cov.drop_duplicates(list(keys)), "population").to_numpy(
        dtype=float)
    for code in dict.fromkeys(cov["standard"].astype(str)):
        rows = cov[cov["standard"].astype(str) == code]
        col = styles.township_columns(code)
        out[col["covered"]] = pick(rows, "covered_population").to_numpy(dtype=float)
        out[col["share"]] = pick(rows, "covered_share").to_numpy(dtype=float)
        out[col["target"]] = pick(rows, "target_share").to_numpy(dtype=float)
        meets = pick(rows, "meets_target").astype(object)
        out[col["status"]] = [styles.status_text(None if pd.isna(m) else m, lang)
                              for m in meets]
    return out


def from_study(result: ComputedStudy) -> Results:
    """The drawable results of a run."""
    study = result.study
    cov, summ = _with_labels(result)
    return Results(
        name=study.name, title=study.title, language=study.language,
        map_standard=study.map_standard,
        created=dt.date.today().isoformat(), assumptions=list(result.assumptions),
        sources=data_sources(result), facilities=result.facilities,
        townships=township_fields(result.townships, cov, study.language),
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


def _metadata(res: Results, parts: dict[str, list[str]]) -> gpd.GeoDataFrame:
    rows = [("study", res.name), ("title", res.title), ("language", res.language),
            ("map_standard", res.map_standard), ("created", res.created)]
    rows += [(f"assumption_{i + 1}", a) for i, a in enumerate(res.assumptions)]
    rows += [(f"source_{i + 1}", f"{k}\t{v}") for i, (k, v) in enumerate(res.sources)]
    rows += [(f"fact_{i + 1}", f) for i, f in enumerate(res.facts)]
    rows += [(f"check_{i + 1}", c.record()) for i, c in enumerate(res.checks)]
    rows += [(f"resource_note_{i + 1}", n) for i, n in enumerate(res.resources.notes)]
    rows += [("study_file", res.study_file)] if res.study_file else []
    rows += [(f"input_{role}", digest) for role, digest in res.inputs.items()]
    rows += [(f"layers_{base}", ",".join(names)) for base, names in parts.items()]
    return _table(pd.DataFrame(rows, columns=["key", "value"]))


# --------------------------------------------------------------------------- split layers


def _parts(frame: pd.DataFrame, keys: Sequence[str]
           ) -> list[tuple[tuple[str, ...], gpd.GeoDataFrame]]:
    """``frame`` cut into its runs of equal ``keys`` (the rows of one key value must be
    together, so that the parts one after the other give ``frame`` again). A part without
    any geometry (a standard that is not applicable draws nothing) is left out."""
    if frame.empty:
        return []
    key = frame[list(keys)].astype(str).agg("\x1f".join, axis=1)
    runs = (key != key.shift()).cumsum().to_numpy()
    if runs.max() != key.nunique():
        raise ValueError(f"the rows of one {list(keys)} are not together: cannot split")
    out = []
    for _, part in frame.groupby(runs, sort=True):
        if isinstance(part, gpd.GeoDataFrame) and part.geometry.notna().any():
            out.append((tuple(str(part[k].iloc[0]) for k in keys), part))
    return out


def _layer_name(base: str, values: tuple[str, ...]) -> str:
    if base == "areas":
        name, kind = values
        return f"{AREA_PREFIX.get(kind, 'areas_' + kind)}_{name}"
    return f"{base}_{values[0]}"


def _joined(path: Path, have: set[str], meta: dict[str, str], base: str, old: str,
            empty: Sequence[str]) -> gpd.GeoDataFrame:
    """A split frame read back: its layers (named in the metadata) one after the other.
    A results.gpkg of an older geo has it as one layer, ``old``."""
    names = meta.get(f"layers_{base}")
    if names is None:
        if old in have:
            return read_layer(path, old)
        raise StudyError(f"{path} lacks layer {old!r}: it was written by an older geo or "
                         "another tool; re-run the study (geo run STUDY.toml --out DIR)")
    listed = [n for n in names.split(",") if n]
    if gone := [n for n in listed if n not in have]:
        raise StudyError(f"{path} lacks layer(s) {gone} that its metadata lists (removed in a "
                         "GIS?): re-run the study (geo run STUDY.toml --out DIR) to write a "
                         "complete results.gpkg")
    frames = [read_layer(path, n) for n in listed]
    if not frames:
        return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in empty},
                                geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


# --------------------------------------------------------------------------- writing


def _label(res: Results, code: str) -> str:
    """"1小时应急反应圈（emergency_1h）": a standard's, measure's or response's label and
    code in the study's language."""
    found = pd.DataFrame()
    for frame, col in ((res.summary, "standard"), (res.resources.measures, "measure"),
                       (res.resources.response, "response")):
        if len(frame) and col in frame:
            found = frame[frame[col].astype(str) == code]
            if len(found):
                break
    if found.empty:
        return code
    first = found.iloc[0]
    label = i18n.standard_label(str(first.get("label") or ""),
                                str(first.get("label_zh") or ""), res.language)
    return i18n.text("gis_style", res.language, label=label or code, code=code)


def _about(res: Results) -> About:
    rights = [f"{i18n.source_label(k, res.language)}: {v}" for k, v in res.sources]
    return About(res.name, res.title, res.language, res.assumptions, rights, res.created)


def _described(key: str, lang: str, **fields: object) -> str:
    """A layer's description: what it holds, then where its assumptions are."""
    return i18n.text("gis_described", lang, what=i18n.text(key, lang, **fields),
                     where=i18n.text("gis_assumptions", lang))


def _columns(frame: pd.DataFrame) -> list[str]:
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return [str(c) for c in frame.columns if c != geom]


def _minutes(res: Results, code: str) -> float:
    rows = res.summary[res.summary["standard"].astype(str) == code]
    return float(rows["minutes"].iloc[0]) if len(rows) else float("nan")


def _target(res: Results, code: str) -> float:
    rows = res.summary[res.summary["standard"].astype(str) == code]
    return float(rows["target_share"].iloc[0]) if len(rows) else 1.0


#: per kind of split layer: its title and description (i18n keys) and its style
_SPLIT_LAYERS: dict[str, tuple[str, str, Callable[..., qml.Style]]] = {
    "bands": ("gis_bands", "gis_bands_about",
              lambda part, cols, lang, mins: styles.bands_style(cols, lang)),
    "gaps": ("gis_gaps", "gis_gaps_about",
             lambda part, cols, lang, mins: styles.gaps_style(mins, cols, lang)),
    "isochrones": ("gis_isochrones", "gis_isochrones_about",
                   lambda part, cols, lang, mins: styles.isochrones_style(cols, lang)),
    "workload": ("gis_measure_facilities", "gis_workload_about",
                 lambda part, cols, lang, mins: styles.points_style(
                     styles.WORKLOAD_COLOUR, cols, lang, qml.quote_field("name"))),
    "access": ("gis_access", "access_index",
               lambda part, cols, lang, mins: styles.access_style(
                   [str(c) for c in part["cls"]], cols, lang)),
    "basin": ("gis_catchments", "catchments_layer",
              lambda part, cols, lang, mins: styles.catchments_style(cols, lang)),
    "response": ("gis_response_bands", "kind_response",
                 lambda part, cols, lang, mins: styles.bands_style(cols, lang, "cls")),
}


def _split_layer(res: Results, base: str, values: tuple[str, ...],
                 part: gpd.GeoDataFrame) -> GisLayer:
    """The layer of one standard (or measure, and kind) of a split frame."""
    lang = res.language
    kind = values[1] if base == "areas" else base
    title, about, style = _SPLIT_LAYERS[kind if kind in _SPLIT_LAYERS else "response"]
    label = _label(res, values[0])
    mins = _minutes(res, values[0])
    return GisLayer(_layer_name(base, values), part,
                    i18n.text(title, lang, label=label, minutes=f"{mins:g}"),
                    _described(about, lang, minutes=f"{mins:g}"),
                    [(label, style(part, _columns(part), lang, mins))])


def _by_standard(res: Results, style: Callable[[str], qml.Style],
                 codes: Sequence[str]) -> list[tuple[str, qml.Style]]:
    """One style per standard of ``codes``, the map's standard first (QGIS's default)."""
    first = [c for c in codes if c == res.map_standard]
    return [(_label(res, c), style(c)) for c in [*first, *(c for c in codes if c not in first)]]


def _township_styles(res: Results, labels: dict[str, str]) -> list[tuple[str, qml.Style]]:
    """Per standard the townships filled by pass/fail (the map standard's first: QGIS's
    default), then the same as outlines only, to lay over the travel-time bands."""
    cols = _columns(res.townships)
    lang = res.language
    titles = styles.township_titles(labels, lang)

    def style(code: str, filled: bool = True) -> qml.Style:
        c = styles.township_columns(code)
        return styles.townships_style(c["share"], c["status"], _target(res, code), cols, lang,
                                      titles, filled)

    drawn = [c for c in res.standards if c in set(res.bands["standard"].astype(str))]
    outlines = [(i18n.text("gis_outline_style", lang, label=_label(res, c)), style(c, False))
                for c in drawn]
    return [*_by_standard(res, style, res.standards), *outlines]


def _table_layer(name: str, frame: pd.DataFrame, title: str, lang: str) -> GisLayer:
    table = _table(frame)
    return GisLayer(name, table, title, _described("gis_table_about", lang),
                    [("", styles.table_style(_columns(table), lang))])


def write_gpkg(res: Results, path: Path) -> None:
    """Write the run's layers to ``path`` (see module docs) through
    :func:`geo.outputs.gpkg.write_gpkg`."""
    lang = res.language
    t = i18n.text
    fac, town, area = res.facilities, res.townships, res.area
    labels = {c: _label(res, c) for c in res.standards}
    layers = [
        GisLayer("facilities", fac, t("facilities_layer", lang),
                 _described("gis_facilities_about", lang),
                 [("", styles.facilities_style([str(x) for x in fac["type"]], _columns(fac),
                                               lang))]),
        GisLayer("townships", town, t("gis_townships", lang),
                 _described("gis_townships_about", lang), _township_styles(res, labels)),
        GisLayer("area", area, t("boundary_layer", lang), _described("gis_area_about", lang),
                 [("", styles.area_style(_columns(area), lang))]),
    ]
    frames = {"bands": res.bands, "gaps": res.gaps, "isochrones": res.extra.get("isochrones"),
              "workload": res.resources.facilities, "areas": res.resources.areas}
    parts: dict[str, list[str]] = {}
    for base, frame in frames.items():
        if frame is None:
            continue
        split = _parts(frame, SPLIT[base])
        parts[base] = [_layer_name(base, values) for values, _ in split]
        layers += [_split_layer(res, base, values, part) for values, part in split]
    if (demand := res.extra.get("demand")) is not None:
        timed = [c for c in res.standards if f"minutes_{c}" in demand.columns]
        layers.append(GisLayer(
            "demand", demand, t("gis_demand", lang), _described("gis_demand_about", lang),
            _by_standard(res, lambda c: styles.demand_style(c, _columns(demand), lang, labels),
                         timed)))
    layers += [_table_layer("coverage", res.coverage, t("gis_coverage", lang), lang),
               _table_layer("summary", res.summary, t("gis_summary", lang), lang)]
    for name in ("measures", "response"):
        if not (frame := getattr(res.resources, name)).empty:
            layers.append(_table_layer(name, pd.DataFrame(frame), t(f"gis_{name}", lang),
                                       lang))
    layers.append(GisLayer("metadata", _metadata(res, parts), t("gis_metadata", lang),
                           _described("gis_table_about", lang)))
    write_layers(path, layers, _about(res))


# --------------------------------------------------------------------------- reading


def _booleans(df: pd.DataFrame) -> pd.DataFrame:
    """``meets_target`` back from 1/0/NaN (GeoPackage has no nullable booleans)."""
    if "meets_target" in df:
        df["meets_target"] = pd.array([pd.NA if pd.isna(v) else bool(v)
                                       for v in df["meets_target"]], dtype=object)
    return df


def _resources(p: Path, have: set[str], meta: dict[str, str]) -> Resources:
    """The resource layers of a results.gpkg (empty where the run had none)."""
    out = Resources()
    for name in ("measures", "response"):
        if name in have:
            setattr(out, name, _booleans(pd.DataFrame(read_layer(p, name)).drop(
                columns="geometry", errors="ignore")))
    for base, attr, old, empty in (("workload", "facilities", "measure_facilities",
                                    FACILITY_COLUMNS),
                                   ("areas", "areas", "measure_areas", AREA_COLUMNS)):
        if f"layers_{base}" in meta or old in have:
            setattr(out, attr, _joined(p, have, meta, base, old, empty))
    n = sum(k.startswith("resource_note_") for k in meta)
    out.notes = [meta[f"resource_note_{i + 1}"] for i in range(n)]
    return out


def read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    """One layer of a GeoPackage (a table without geometry as a DataFrame), without the
    ``basis`` column that results of an older geo carried on every row."""
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
    if not lexists(p):  # a folder, a pipe: input_file says what
        raise InputFileError(Arg("read_gpkg", "path", str(p)), ": no such file: give the "
                             "results.gpkg of a run (or its output folder)")
    p = input_file(p, "results file", "give the results.gpkg that `geo run` wrote")
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
    cov = pd.DataFrame(read_layer(p, "coverage")).drop(columns="geometry", errors="ignore")
    summ = pd.DataFrame(read_layer(p, "summary")).drop(columns="geometry", errors="ignore")
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
        area=read_layer(p, "area"), coverage=cov, summary=summ,
        bands=_joined(p, have, meta, "bands", "bands", _EMPTY["bands"]),
        gaps=_joined(p, have, meta, "gaps", "gaps", _EMPTY["gaps"]),
        extra={"isochrones": _joined(p, have, meta, "isochrones", "isochrones",
                                     _EMPTY["isochrones"])},
        facts=[meta[f"fact_{i + 1}"] for i in range(n_fact)],
        study_file=meta.get("study_file", ""),
        inputs={k[len("input_"):]: v for k, v in meta.items() if k.startswith("input_")},
        checks=[from_record(meta[f"check_{i + 1}"]) for i in range(n_check)],
        resources=_resources(p, have, meta),
    )
