"""The combined outputs of a batch: every township of every area side by side.

Written into the batch folder all or nothing (:func:`geo.outputs.folder.write_atomically`):

- ``coverage_by_township.csv``: the areas' ``coverage_by_township.csv`` one after the
  other (areas in layer order), each row led by ``area_id`` and ``area_name``;
- ``coverage_by_area.csv``: the areas' ``coverage_summary.csv`` the same way (a summary per
  county and standard);
- ``areas.csv``: every area with its status (``done``, ``done (reused)``, ``failed`` and
  the error, or ``not run``: left out by ``--areas``), population, townships, facilities
  inside and outside, worker, seconds, peak memory and the people whose coverage the
  buffer could still change per standard;
- ``results.gpkg`` (styled for QGIS, :mod:`geo.outputs.gpkg`): layers ``areas`` (polygons
  with that status and, per standard, the share covered, the status against the target,
  the townships below target and the worst-served township: :func:`area_coverage`; one
  style per standard and one by run status), ``townships`` (all, with population and per
  standard the people covered, share, target and status), ``facilities``, the tables
  ``coverage`` and ``summary``, and ``metadata``; the notes once, in its metadata;
- ``map.html``: townships of all areas coloured pass/fail per standard (one at a time), the
  areas' outlines, the facilities (up to :data:`settings.BATCH_MAP_MAX_TOWNSHIPS`);
- ``batch.xlsx`` (:mod:`geo.batch.workbook`) and ``batch_summary.txt``.

Failed areas are named in every one of them; an area whose outputs are missing is never
left out silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.batch.outcome import BatchRun
from geo.batch.workbook import write_workbook
from geo.outputs import gis_styles as styles
from geo.outputs import i18n, tables
from geo.outputs.folder import write_atomically
from geo.outputs.gis_styles import status_text
from geo.outputs.gpkg import About, GisLayer, write_gpkg
from geo.outputs.map import coverage as maps
from geo.outputs.results import read_layer, table_layer, township_fields
from geo.study import inputs

__all__ = ["COMBINED_FILES", "Combined", "area_coverage", "areas_table", "facilities",
           "standard_labels",
           "uncertain", "write_combined"]


COMBINED_FILES = ("coverage_by_township.csv", "coverage_by_area.csv", "areas.csv",
                  "results.gpkg", "map.html", "batch.xlsx", "batch_summary.txt")
_AREA_COLS = ["area_id", "area_name"]


class Combined:
    """The areas' tables and township polygons read back and joined (see module docs)."""

    def __init__(self, run: BatchRun) -> None:
        self.run = run
        cov, summ, towns, assume = [], [], [], []
        for ident, res in run.done.items():
            out = run.out / "areas" / _folder(run, ident) / "out"
            lead = {"area_id": ident, "area_name": res.area_name}
            cov.append(_lead(_csv(out / "coverage_by_township.csv"), lead))
            summ.append(_lead(_csv(out / "coverage_summary.csv"), lead))
            towns.append(_lead(read_layer(out / "results.gpkg", "townships"), lead))
            meta = read_layer(out / "results.gpkg", "metadata")
            assume.append([str(v) for k, v in zip(meta["key"], meta["value"], strict=True)
                           if str(k).startswith("assumption_")])
        self.coverage = pd.concat(cov, ignore_index=True) if cov else pd.DataFrame()
        self.summary = pd.concat(summ, ignore_index=True) if summ else pd.DataFrame()
        self.townships = (gpd.GeoDataFrame(pd.concat(towns, ignore_index=True), crs=4326)
                          if towns else gpd.GeoDataFrame(geometry=[], crs=4326))
        common = set(assume[0]).intersection(*assume[1:]) if assume else set()
        self.common = [a for a in (assume[0] if assume else []) if a in common]

    def notes(self) -> list[str]:
        """What every combined output must say (batch-level assumptions, missing areas)."""
        run, b = self.run, self.run.batch.batch
        policy = ("counted (people cross county lines for care)"
                  if b.facilities_outside == "count" else "ignored")
        out = [f"each area is its own study (areas/ID/study.toml: `geo run` reproduces it), "
               f"with the roads and facilities within {b.buffer_km:g} km of the area; "
               f"facilities outside an area are {policy}"]
        out.append(f"population per area: {b.population_label or 'the template population'}"
                   + (" (column " + b.population_col + " of the areas layer), spread evenly"
                      if b.population_col else ""))
        out += self.common
        out.append("assumptions that differ between areas (population totals, facilities "
                   "counted from outside the area, the roads kept) are in each area's outputs")
        out += _assumed(run)
        if run.failed:
            out.append(f"{len(run.failed)} of {len(run.areas)} areas have no results (failed): "
                       + "; ".join(f"{_name(run, i)} ({i})" for i in run.failed))
        if run.left_out:
            out.append(f"{len(run.left_out)} of {len(run.areas)} areas were not run (left out "
                       "by --areas) and have no results: "
                       + "; ".join(f"{_name(run, i)} ({i})" for i in run.left_out[:20])
                       + (" ..." if len(run.left_out) > 20 else ""))
        if open_ := uncertain(run):
            out.append("people whose coverage could differ in a study of the whole region (a "
                       "route or facility beyond the buffer, or a road the cut left out that "
                       f"they or their facility would join): {open_} (raise [batch] buffer_km "
                       "to settle them)")
        return out + run.notes


def _assumed(run: BatchRun) -> list[str]:
    """The region's facilities that are assumed, not listed (``location_quality``)."""
    fac = run.facilities
    if fac is None or "location_quality" not in fac.columns:
        return []
    n = int(fac["location_quality"].astype(str).str.contains("assumed", case=False).sum())
    return [f"{n} of {len(fac)} facilities of {run.batch.template.facilities.path.name} are "
            "assumed where no facility list exists (see location_quality)"] if n else []


def _folder(run: BatchRun, ident: str) -> str:
    return str(run.areas.loc[run.areas["area_id"] == ident, "folder"].iloc[0])


def _name(run: BatchRun, ident: str) -> str:
    return str(run.areas.loc[run.areas["area_id"] == ident, "area_name"].iloc[0])


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def _lead(frame: pd.DataFrame, lead: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for i, (k, v) in enumerate(lead.items()):
        out.insert(i, k, v)
    return out


def uncertain(run: BatchRun) -> str:
    """``"emergency_1h 1,234 people in 3 areas; ..."`` where the buffer could matter."""
    total: dict[str, tuple[float, int]] = {}
    for res in run.done.values():
        for std, people in res.buffer_uncertain.items():
            p, n = total.get(std, (0.0, 0))
            total[std] = (p + people, n + (people > 0))
    return "; ".join(f"{s} {p:,.0f} people in {n} areas" for s, (p, n) in total.items() if p)


def areas_table(run: BatchRun) -> gpd.GeoDataFrame:
    """Every area with its status and what its task reported (see module docs)."""
    rows = []
    for a in run.areas.itertuples():
        res = run.done.get(a.area_id)
        row: dict[str, Any] = {"area_id": a.area_id, "area_name": a.area_name,
                               "status": "failed" if a.area_id in run.failed else
                               "not run" if a.area_id in run.left_out else
                               "done (reused)" if a.area_id in run.skipped else "done",
                               "error": run.failed.get(a.area_id, "")}
        if res is not None:
            row |= {"population": res.population, "townships": res.townships,
                    "facilities_inside": res.facilities_inside,
                    "facilities_outside": res.facilities_outside, "seconds": res.seconds,
                    "worker": res.worker, "peak_rss_mb": res.peak_rss_mb,
                    "finished": res.finished,
                    **{f"buffer_uncertain_{k}": v for k, v in res.buffer_uncertain.items()}}
        rows.append(row)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=run.areas.geometry.to_numpy(), crs=4326)


def _townships(comb: Combined) -> gpd.GeoDataFrame:
    """All townships with their population and, per standard, the people covered, the
    share, the target and the status (from the areas' coverage tables, so an area reused
    from an earlier run carries them too)."""
    towns = comb.townships
    if comb.coverage.empty:
        return towns
    keep = [c for c in ("area_id", "area_name", "township", "code") if c in towns.columns]
    return township_fields(towns[[*keep, towns.geometry.name]], comb.coverage,
                           comb.run.batch.template.language, keys=("area_id", "township"))


def area_coverage(comb: Combined) -> pd.DataFrame:
    """Every area (layer order) with, per standard, the share of its people covered, its
    status against the target, the townships below target and the worst-served township
    and its share (from ``coverage_by_area.csv``); an area without results (failed, not
    run) has no numbers and says so in its status."""
    run = comb.run
    lang = run.batch.template.language
    ids = run.areas["area_id"].astype(str)
    out = pd.DataFrame({"area_id": ids.to_numpy()})
    have = set(map(str, run.done))
    if comb.summary.empty:
        return out
    summ = comb.summary.assign(area_id=comb.summary["area_id"].astype(str))
    for std, rows in summ.groupby("standard", sort=False):
        rows = rows.set_index("area_id").reindex(ids)
        out[f"covered_share_{std}"] = rows["covered_share"].to_numpy(dtype=float)
        out[f"status_{std}"] = [
            status_text(m, lang) if a in have else i18n.text("gis_failed_area", lang)
            for a, m in zip(ids, rows["meets_target"], strict=True)]
        out[f"townships_failing_{std}"] = rows["townships_failing"].to_numpy(dtype=float)
        out[f"worst_township_{std}"] = ["" if pd.isna(v) else str(v)
                                        for v in rows["worst_township"]]
        out[f"worst_township_share_{std}"] = rows["worst_township_share"].to_numpy(dtype=float)
    return out


def facilities(run: BatchRun) -> gpd.GeoDataFrame:
    """The region's facilities with the id and name of the area each lies in."""
    fac = run.facilities
    if fac is None:
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    home = fac["home"].to_numpy()
    out = fac.drop(columns="home").copy()
    out.insert(0, "area_id", [run.areas["area_id"].iloc[h] if h >= 0 else "" for h in home])
    out.insert(1, "area_name", [run.areas["area_name"].iloc[h] if h >= 0 else "" for h in home])
    return out


def _labels(run: BatchRun) -> dict[str, str]:
    """"1小时应急反应圈（emergency_1h）" of every standard of the template."""
    t = run.batch.template
    sset = inputs.standards(t)
    out = {}
    for code in t.standards.use:
        std = sset.select([code])[0]
        label = i18n.standard_label(std.label, std.label_zh, t.language)
        out[code] = i18n.text("gis_style", t.language, label=label, code=code)
    return out


def _target(comb: Combined, code: str) -> float:
    rows = comb.summary[comb.summary["standard"].astype(str) == code] if len(
        comb.summary) else comb.summary
    return float(rows["target_share"].iloc[0]) if len(rows) else 1.0


def _gpkg(run: BatchRun, comb: Combined, path: Path) -> None:
    """``results.gpkg`` of the batch, through :func:`geo.outputs.gpkg.write_gpkg` (titles
    and QGIS styles in the template's language; the notes once, in its metadata)."""
    lang = run.batch.template.language
    t = i18n.text
    labels = _labels(run)
    about = f"{t('gis_assumptions', lang)}"
    areas = areas_table(run).merge(area_coverage(comb), on="area_id", how="left")
    towns = _townships(comb)
    fac = facilities(run)

    def cols(frame: pd.DataFrame) -> list[str]:
        return [str(c) for c in frame.columns if c != "geometry"]

    failed = t("gis_failed_area", lang)
    area_titles = {"area_id": t("id", lang), "area_name": t("gis_area_name", lang)}
    for code, lab in labels.items():
        area_titles |= {f"covered_share_{code}": t("gis_share_of", lang, label=lab),
                        f"status_{code}": t("gis_status_of", lang, label=lab),
                        f"townships_failing_{code}": f"{lab}：{t('failing', lang)}",
                        f"worst_township_{code}": f"{lab}：{t('worst_township', lang)}",
                        f"worst_township_share_{code}":
                            f"{lab}：{t('worst_township', lang)}（{t('covered_share', lang)}）"}
    by_std = [(lab, styles.townships_style(
        f"covered_share_{code}", f"status_{code}", _target(comb, code), cols(areas), lang,
        area_titles, name_col="area_name",
        else_label=f"{t('not_applicable', lang)} / {failed}"))
        for code, lab in labels.items() if f"covered_share_{code}" in areas.columns]
    statuses = {code: t(f"gis_run_{code.split()[0]}" + ("_reused" if "reused" in code
                                                          else ""), lang)
                for code in ("done", "done (reused)", "failed", "not run")}
    run_style = styles.status_style(statuses, {"done": "#ffffff", "done (reused)": "#ffffff",
                                               "failed": styles.FAILED_COLOUR,
                                               "not run": "#bdbdbd"}, cols(areas), lang)
    titles = styles.township_titles(labels, lang) | area_titles
    layers = [
        GisLayer("areas", areas, t("gis_areas", lang), f"{t('gis_areas_about', lang)}。{about}"
                 if lang == "zh" else f"{t('gis_areas_about', lang)}. {about}",
                 [*by_std, (t("gis_area_status", lang), run_style)]),
        GisLayer("townships", towns, t("gis_townships", lang), about,
                 [(lab, styles.townships_style(
                     styles.township_columns(code)["share"],
                     styles.township_columns(code)["status"], _target(comb, code),
                     cols(towns), lang, titles))
                  for code, lab in labels.items()
                  if styles.township_columns(code)["share"] in towns.columns]),
        GisLayer("facilities", fac, t("facilities_layer", lang), about,
                 [("", styles.facilities_style([str(x) for x in fac.get("type", [])],
                                               cols(fac), lang,
                                               label_scale=styles.REGION_LABEL_SCALE))]
                 if len(fac) else []),
        GisLayer("coverage", table_layer(comb.coverage), t("gis_coverage", lang), about,
                 [("", styles.table_style(cols(comb.coverage), lang))]),
        GisLayer("summary", table_layer(comb.summary), t("gis_summary", lang), about,
                 [("", styles.table_style(cols(comb.summary), lang))]),
    ]
    meta = [("batch", run.batch.name), ("title", run.batch.title),
            ("created", dt.date.today().isoformat()), ("batch_file", str(run.batch.path))]
    meta += [(f"assumption_{i + 1}", n) for i, n in enumerate(comb.notes())]
    layers.append(GisLayer("metadata", table_layer(pd.DataFrame(meta, columns=["key", "value"])),
                           t("gis_metadata", lang), about))
    write_gpkg(path, layers, About(run.batch.name, run.batch.title, lang, comb.notes(),
                                   created=dt.date.today().isoformat()))


def _keys(towns: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(area_id, township) -> the township's name on the map: its own name, with the
    area's name added where two areas have a township of that name."""
    names = towns["township"].astype(str)
    twice = names.duplicated(keep=False).to_numpy()
    return {(str(a), n): f"{n}（{an}）" if t else n for a, an, n, t in
            zip(towns["area_id"], towns["area_name"], names, twice, strict=True)}


def _keyed(frame: pd.DataFrame, keys: dict[tuple[str, str], str]) -> pd.DataFrame:
    return frame.assign(township=[keys[(str(a), str(t))] for a, t in
                                  zip(frame["area_id"], frame["township"], strict=True)])


def standard_labels(run: BatchRun) -> dict[str, str]:
    """Each standard of the template by its label in the template's language."""
    t = run.batch.template
    sset = inputs.standards(t)
    return {s.name: i18n.standard_label(s.label, s.label_zh, t.language)
            for s in sset.select(t.standards.use)}


def _map(run: BatchRun, comb: Combined, path: Path) -> None:
    t = run.batch.template
    sset = inputs.standards(t)
    zh = {s: sset.select([s])[0].label_zh for s in t.standards.use}
    keys = _keys(comb.townships)
    cov = _keyed(comb.coverage, keys).assign(label_zh=comb.coverage["standard"].map(zh))
    towns = _keyed(comb.townships, keys)
    fac = facilities(run)
    fac = fac[fac["area_id"].isin(list(run.done))]
    empty = gpd.GeoDataFrame({"standard": [], "band": [], "township": [], "minutes": [],
                              "population": []}, geometry=[], crs=4326)
    shown = t.map_standard
    m = maps.coverage_map(
        facilities=fac, townships=towns[["township", "geometry"]], coverage=cov,
        bands=empty, gaps=empty, boundary=run.areas[["area_name", "geometry"]],
        standard=shown, title=run.batch.title, areas=areas_table(run),
        notes=[*comb.notes(), "travel-time bands and uncovered areas: each area's own "
               "map (areas/ID/out/map.html)"], language=t.language)
    maps.save_map(m, path)


def summary_text(run: BatchRun, comb: Combined) -> str:
    """``batch_summary.txt``: what ran, what failed and why, memory, the assumptions."""
    lines = [f"# {run.batch.title}", "",
             f"batch file {run.batch.path}; template {run.batch.template.path}",
             f"{len(run.areas)} areas: {len(run.ran)} run, {len(run.skipped)} reused (same "
             f"inputs), {len(run.failed)} failed; {run.seconds:.1f} s", "", "## Areas"]
    for a in areas_table(run).itertuples():
        extra = (f"{getattr(a, 'seconds', 0.0):.1f} s, peak {getattr(a, 'peak_rss_mb', 0.0):,.0f}"
                 f" MB, {getattr(a, 'worker', '')}" if a.status.startswith("done") else a.error)
        lines.append(f"- {a.area_name} ({a.area_id}): {a.status}; {extra}")
    if run.workers:
        lines += ["", "## Workers (peak resident memory)"]
        lines += [f"- {w}: {mb:,.0f} MB" for w, mb in sorted(run.workers.items())]
    lines += ["", "## Network"]
    for mode in run.network.get("modes", []):
        m = run.network[mode]
        lines.append(f"- {mode}: {m['nodes']:,} nodes, {m['segments']:,} segments in "
                     f"{m['nx']} x {m['ny']} tiles of {m['tile_m'] / 1000:g} km")
    lines += ["", "## Assumptions (every combined output rests on these)"]
    lines += [f"- {n}" for n in comb.notes()]
    return "\n".join(lines) + "\n"


def write_combined(run: BatchRun) -> list[Path]:
    """Write the combined outputs into ``run.out`` all or nothing; returns their paths."""
    comb = Combined(run)
    files: dict[str, Callable[[Path], object]] = {
        "coverage_by_township.csv": lambda p: tables.write_csv(comb.coverage, p),
        "coverage_by_area.csv": lambda p: tables.write_csv(comb.summary, p),
        "areas.csv": lambda p: tables.write_csv(pd.DataFrame(areas_table(run).drop(
            columns="geometry")), p),
        "results.gpkg": lambda p: _gpkg(run, comb, p),
        "map.html": lambda p: _map(run, comb, p),
        "batch.xlsx": lambda p: write_workbook(run, comb.coverage, comb.summary,
                                               pd.DataFrame(areas_table(run)), comb.notes(),
                                               standard_labels(run), p),
        "batch_summary.txt": lambda p: p.write_text(summary_text(run, comb), encoding="utf-8"),
    }
    n_towns = len(comb.townships)
    if not run.done or n_towns > settings.BATCH_MAP_MAX_TOWNSHIPS:
        del files["map.html"]
        run.notes.append(f"no combined map: {n_towns:,} townships (the map draws 1 to "
                         f"{settings.BATCH_MAP_MAX_TOWNSHIPS:,}); each area has its own")
    written = write_atomically(run.out, files, inputs=run.batch.input_files())
    if "map.html" not in files:
        (run.out / "map.html").unlink(missing_ok=True)  # never an earlier run's map
    return written
