"""CLI arguments: flags out of range, unknown names, and the planning commands' own traps
(siting a standard that is not applicable, equal optima over an even population)."""

from __future__ import annotations

import os
import re
import sqlite3
import time

from tests.bad_inputs.harness import Case, Result, Workspace, csv_table, run_in_process
from tests.synthetic_county import TOTAL

CAT = "CLI arguments"
PRIMARY = "primary_care_30min"
SITE = ("site", "{run}", "--standard", PRIMARY)
EMS = ("designate", "{study}", "--from-type", "township_health_center", "--role",
       "ems_station")
ISO = ("isochrones", "{study}", "--out", "{root}/iso.gpkg")
BUILD = ("network", "build", "{county}/roads.geojson", "--out", "{root}/net.npz")


def _emergency(ws: Workspace) -> None:
    ws.set("standards", "use", ["emergency_1h", PRIMARY])


def _nothing_at(*names: str):  # type: ignore[no-untyped-def]
    """``then``: none of these files was written (the command stopped before)."""
    def then(ws: Workspace, r: Result) -> None:
        for n in names:
            assert not (ws.root / n).exists(), n
    return then


def _empty_folder(ws: Workspace) -> None:
    (ws.root / "新县").mkdir()
    (ws.root / "新县" / "说明.docx").write_bytes(b"PK")


def _bureau_folder(ws: Workspace) -> None:
    """A county's folder: the facility list, the township polygons, the roads, and a census
    workbook with a two-row header that init cannot use."""
    import shutil

    from tests.bad_inputs.cases_population import _merged_header

    folder = ws.root / "新县"
    folder.mkdir()
    _merged_header(ws)
    for name in ("facilities.csv", "roads.npz", "人口普查.xlsx"):
        shutil.copy(ws.path(name), folder / name)
    for part in ws.county.glob("乡镇界线.*"):
        shutil.copy(part, folder / part.name)


def _then_init_lists(ws: Workspace, r: Result) -> None:
    assert "skipped " in r.out and "人口普查.xlsx: the header of 人口普查.xlsx (row 3) names " \
        "'2010年', '2020年' more than once" in r.out, r.out
    text = (ws.root / "新县" / "study.toml").read_text(encoding="utf-8")
    assert "#   人口普查.xlsx: the header of 人口普查.xlsx (row 3)" in text
    assert "facilities.csv" in text and "乡镇界线.shp" in text


def _changed_inputs(ws: Workspace) -> None:
    """A run of this copy of the study, then its facility file edited."""
    assert run_in_process(["run", str(ws.study), "--out", str(ws.root / "myrun")]).code == 0
    ws.facilities(lambda df: df.assign(name=df["name"] + "（新）"))


def _layer_removed(ws: Workspace) -> None:
    """A run of this copy of the study, then one of its per-standard layers dropped as
    QGIS's DB Manager drops a table (its table and its gpkg_contents row)."""
    assert run_in_process(["run", str(ws.study), "--out", str(ws.root / "myrun")]).code == 0
    with sqlite3.connect(ws.root / "myrun" / "results.gpkg") as con:
        con.execute('DROP TABLE "bands_primary_care_30min"')
        for table in ("gpkg_contents", "gpkg_geometry_columns"):
            con.execute(f"DELETE FROM {table} WHERE table_name = 'bands_primary_care_30min'")


def _offline(ws: Workspace, argv: list[str]) -> Result:
    """``geo network download`` with no way out: every request goes to a closed port."""
    saved = dict(os.environ)
    os.environ.update(dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"), "http://127.0.0.1:9"))
    for k in ("NO_PROXY", "no_proxy"):
        os.environ.pop(k, None)
    t0 = time.monotonic()
    try:
        result = run_in_process(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    ws.notes["seconds"] = time.monotonic() - t0
    return result


def _no_chromium(ws: Workspace, argv: list[str]) -> Result:
    """``--pdf`` where the Chromium it would print with is not there."""
    saved = os.environ.get("GEO_CHROMIUM")
    os.environ["GEO_CHROMIUM"] = str(ws.root / "no-chromium")
    try:
        return run_in_process(argv)
    finally:
        if saved is None:
            os.environ.pop("GEO_CHROMIUM", None)
        else:
            os.environ["GEO_CHROMIUM"] = saved


def _then_offline(ws: Workspace, r: Result) -> None:
    assert ws.notes["seconds"] < 30, ws.notes  # at once, not after osmnx's minute of retries
    assert not (ws.root / "net.npz").exists()


def _then_checklist(ws: Workspace, r: Result) -> None:
    assert "✗ facilities: facility file not found" in r.out, r.out
    assert "i townships: not checked" not in r.out  # independent of the facilities
    assert "✓ townships: 6 townships" in r.out


def _even(ws: Workspace) -> None:
    ws.options["population"] = {"method": "even", "total": TOTAL, "label": "示例县 2020"}


def _walk_standard(ws: Workspace) -> None:
    _even(ws)
    ws.set("standards", "use", [PRIMARY, "community_15min"])
    # shipped for 街道 only (the county has none): here every kind of township
    ws.set("standards", "overrides",
           {"community_15min": {"township_kinds": ["街道", "镇", "乡", "其他"]}})


def _walk_standard_as_shipped(ws: Workspace) -> None:
    _even(ws)
    ws.set("standards", "use", [PRIMARY, "community_15min"])


def _then_not_applicable(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "siting_summary.txt").read_text(encoding="utf-8")
    assert ("community_15min is not applicable in this study (no facility of type "
            "community_health_service_center, community_health_service_station): no existing "
            "facility is kept, so these are the first such sites and every covered person is "
            "newly covered") in summary, summary
    sites = csv_table(ws.out / "siting.csv")
    assert len(sites) == 2
    new = [float(v) for v in sites["newly_covered_population"]]
    assert all(v > 0 for v in new)
    # nobody was covered before: the cumulative share is the new people over everyone
    assert abs(float(sites["cumulative_covered_share"].iloc[-1]) - sum(new) / TOTAL) < 1e-3


def _then_four_of_nine(ws: Workspace, r: Result) -> None:
    """Only the four township health centres can be chosen: the other five are said to
    be missing, not silently dropped."""
    chosen = csv_table(ws.out / "designation.csv")
    assert sorted(chosen["id"]) == ["F04", "F05", "F06", "F07"]
    summary = (ws.out / "designation_summary.txt").read_text(encoding="utf-8")
    assert "only 4 of the 9" in summary, summary


def _then_ties(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "siting_summary.txt").read_text(encoding="utf-8")
    m = re.search(r"the chosen set is one of several equal answers \(population spread "
                  r"evenly: candidates covering equal areas tie\): (\d+) swaps of one chosen "
                  r"site for another candidate would cover as many people", summary)
    assert m and int(m.group(1)) >= 1, summary


CASES = [
    Case("cli_unknown_flag", CAT, "a flag of another command (--k on geo run)",
         ("run", "{study}", "--out", "{out}", "--k", "3"),
         problem=("unrecognized arguments: --k 3",), quoted=("--k",)),
    Case("cli_missing_out", CAT, "geo run without --out", ("run", "{study}"),
         problem=("required: --out",), writes=False),
    Case("cli_bad_modes", CAT, "--modes drive,bike", (*BUILD, "--modes", "drive,bike"),
         problem=("--modes 'drive,bike'",), fix=("--modes drive,walk",), writes=False,
         then=_nothing_at("net.npz")),
    Case("cli_component_share", CAT, "--min-component-share 1.5", (
         *BUILD, "--min-component-share", "1.5"), problem=("--min-component-share 1.5",),
         fix=("between 0 and 1",), writes=False, then=_nothing_at("net.npz")),
    Case("cli_download_offline", CAT, "geo network download without internet: stops at "
         "once, with how to build from an extract", ("network", "download",
         "{county}/县界.geojson", "--out", "{root}/net.npz"), runner=_offline,
         problem=("cannot reach",), fix=("geo network build",), writes=False,
         then=_then_offline),
    Case("cli_isochrones_minutes_zero", CAT, "geo isochrones --minutes 0",
         (*ISO, "--minutes", "0"), problem=("argument --minutes: 0 is not above 0",),
         writes=False,
         then=_nothing_at("iso.gpkg")),
    Case("cli_isochrones_minutes_negative", CAT, "geo isochrones --minutes 15 -30",
         (*ISO, "--minutes", "15", "-30"), problem=("argument --minutes: -30",), writes=False,
         then=_nothing_at("iso.gpkg")),
    Case("cli_isochrones_unknown_type", CAT, "geo isochrones --type naming no facility type "
         "of the study", (*ISO, "--type", "hospital"), problem=("--type 'hospital'",),
         fix=("township_health_center",), writes=False, then=_nothing_at("iso.gpkg")),
    Case("cli_designate_k_zero", CAT, "geo designate --k 0", (*EMS, "--k", "0", "--out",
         "{out}"), _emergency, problem=("argument --k: 0 is less than 1",)),
    Case("cli_designate_k_negative", CAT, "geo designate --k -2", (*EMS, "--k", "-2",
         "--out", "{out}"), _emergency, problem=("argument --k: -2",)),
    Case("cli_designate_k_too_many", CAT, "geo designate --k 9 of 4 township health "
         "centres: the four chosen, and said so", (*EMS, "--k", "9", "--minutes", "10",
                                                   "--out", "{out}"), _emergency,
         code=0, then=_then_four_of_nine),
    Case("cli_designate_unknown_type", CAT, "geo designate --from-type naming no type",
         ("designate", "{study}", "--from-type", "clinic", "--role", "ems_station", "--out",
          "{out}"), _emergency, problem=("--from-type clinic",),
         fix=("township_health_center",)),
    Case("cli_designate_role_without_standard", CAT, "a --role no standard of the study "
         "counts", (*EMS[:-1], "village_clinic", "--out", "{out}"),
         problem=("village_clinic",), fix=("--standard",)),
    Case("cli_site_add_negative", CAT, "geo site --add -1", (*SITE, "--add", "-1", "--out",
         "{out}"), problem=("argument --add: -1",)),
    Case("cli_site_add_with_lscp", CAT, "geo site --model lscp --add 3: lscp finds its own "
         "number of sites, so --add would change nothing", (
             *SITE, "--model", "lscp", "--add", "3", "--out", "{out}"),
         problem=("--add does not apply to geo site --model lscp",),
         fix=("remove --add", "--model mclp")),
    Case("cli_site_target_with_pmedian", CAT, "geo site --model pmedian --target 0.9: only "
         "lscp reads a target", (*SITE, "--model", "pmedian", "--target", "0.9", "--out",
                                  "{out}"),
         problem=("--target does not apply to geo site --model pmedian",),
         fix=("remove --target",)),
    Case("cli_site_heuristic_lscp", CAT, "geo site --model lscp --method heuristic: lscp is "
         "solved exactly", (*SITE, "--model", "lscp", "--method", "heuristic", "--out",
                            "{out}"),
         problem=("--method heuristic does not apply to geo site --model lscp",),
         fix=("remove --method",)),
    Case("cli_site_people_per_unit_alone", CAT, "geo site --people-per-unit without "
         "--capacity-col", (*SITE, "--people-per-unit", "157", "--out", "{out}"),
         problem=("--people-per-unit does not apply", "without --capacity-col"),
         fix=("give --capacity-col",)),
    Case("cli_site_target_above_one", CAT, "geo site --model lscp --target 1.5", (
         *SITE, "--model", "lscp", "--target", "1.5", "--out", "{out}"),
         problem=("argument --target: 1.5",), fix=("at most 1",)),
    Case("cli_site_unknown_standard", CAT, "geo site --standard naming a standard the "
         "study does not use", ("site", "{run}", "--standard", "primary_care_60min",
                                "--out", "{out}"),
         problem=("--standard primary_care_60min",),
         fix=("did you mean 'primary_care_30min'",)),
    Case("cli_site_minutes_zero", CAT, "geo site --minutes 0", (*SITE, "--minutes", "0",
         "--out", "{out}"), problem=("argument --minutes: 0 is not above 0",)),
    Case("cli_site_spacing_zero", CAT, "geo site --spacing 0", (*SITE, "--spacing", "0",
         "--out", "{out}"), problem=("argument --spacing: 0 is not above 0",)),
    Case("cli_site_time_limit_negative", CAT, "geo site --time-limit -5", (
         *SITE, "--time-limit", "-5", "--out", "{out}"),
         problem=("argument --time-limit: -5 is not above 0",)),
    Case("cli_site_candidates_missing", CAT, "geo site --candidates naming a missing file",
         (*SITE, "--candidates", "{county}/候选点.csv", "--out", "{out}"),
         problem=("--candidates", "候选点.csv", "no such file"), fix=("grid",)),
    Case("cli_site_capacity_without_file", CAT, "--capacity-col with grid candidates",
         (*SITE, "--capacity-col", "beds", "--out", "{out}"),
         problem=("--capacity-col beds",), fix=("--candidates PATH",)),
    Case("cli_study_arg_not_a_study", CAT, "geo site given a CSV instead of a study or run",
         ("site", "{county}/facilities.csv", "--standard", PRIMARY, "--out", "{out}"),
         problem=("facilities.csv",), fix=("study file (.toml)",)),
    Case("cli_run_folder_changed_inputs", CAT, "geo site on a run folder whose inputs "
         "changed since", ("site", "{root}/myrun", "--standard", PRIMARY, "--out", "{out}"),
         _changed_inputs, problem=("facilities",), fix=("geo run",)),
    Case("cli_map_unknown_standard", CAT, "geo map --standard naming no standard of the "
         "results", ("map", "{run}/results.gpkg", "--standard", "emergency_1h", "--out",
                     "{root}/map.html"), problem=("--standard emergency_1h",), fix=("emergency_1h",
                                                                           "primary_care_30min"),
         writes=False, then=_nothing_at("map.html")),
    Case("cli_map_results_layer_removed", CAT, "geo map on a results.gpkg one of whose "
         "per-standard layers was deleted in a GIS", ("map", "{root}/myrun/results.gpkg",
                                                      "--out", "{root}/map.html"),
         _layer_removed, problem=("bands_primary_care_30min",), fix=("geo run",),
         writes=False, then=_nothing_at("map.html")),
    Case("cli_map_not_results", CAT, "geo map given a CSV", ("map", "{county}/facilities.csv",
         "--out", "{root}/map.html"), problem=("facilities.csv",), fix=("results.gpkg",),
         writes=False, then=_nothing_at("map.html")),
    Case("cli_init_would_overwrite", CAT, "geo init where a study file exists",
         ("init", "{county}"), problem=("study.toml",), fix=("--force",), writes=False),
    Case("cli_init_empty_folder", CAT, "geo init on a folder with no input: stops, no study "
         "file of 'not found' lines", ("init", "{root}/新县"), _empty_folder,
         problem=("no study input found", "说明.docx"), fix=("give the folder that holds them",),
         writes=False, then=_nothing_at("新县/study.toml")),
    Case("cli_init_lists_unused_tables", CAT, "geo init lists each file it looked at and "
         "could not use, and why (a census with a two-row header)", ("init", "{root}/新县"),
         _bureau_folder, code=0, writes=False, then=_then_init_lists),
    Case("cli_site_not_applicable", CAT, "siting on a standard that is not applicable (no "
         "such facility): stated, every covered person new",
         ("site", "{study}", "--standard", "community_15min", "--add", "2", "--out", "{out}"),
         _walk_standard, code=0, then=_then_not_applicable),
    Case("cli_site_no_township_of_its_kinds", CAT, "siting on a standard limited to 街道 "
         "(community_15min as shipped) in a county of 镇 and 乡: nobody counts, it stops",
         ("site", "{study}", "--standard", "community_15min", "--add", "2", "--out", "{out}"),
         _walk_standard_as_shipped,
         problem=("community_15min", "no township of kind 街道", "镇 3, 乡 3"),
         fix=("township_kinds", "[standards] overrides")),
    Case("cli_site_equal_optima", CAT, "siting over an even population: the tied optima "
         "stated with their number", ("site", "{study}", "--standard", PRIMARY, "--minutes",
                                      "5", "--add", "1", "--out", "{out}"),
         _even, code=0, then=_then_ties),
    Case("cli_check_lists_a_stop", CAT, "geo check with a missing facility file: exit 2, "
         "the other checks still made", ("check", "{study}"),
         lambda ws: ws.set("facilities", "path", "无.csv"),
         problem=("✗ facilities", "无.csv", "1 check(s) stop the run"),
         fix=("check the name",), writes=False, stream="stdout", then=_then_checklist),
    Case("cli_serve_bad_port", CAT, "geo serve --port 70000", ("serve", "{study}", "--port",
         "70000", "--no-open"), problem=("--port", "70000"), fix=("0 to 65535",),
         writes=False),
    Case("cli_serve_short_token", CAT, "geo serve --token abc (could be guessed)",
         ("serve", "{study}", "--token", "abc", "--no-open"),
         problem=("--token", "16 to 200 characters", "this one has 3"),
         fix=("leave --token out",), writes=False),
    Case("cli_serve_token_breaks_address", CAT, "geo serve --token with & and = in it",
         ("serve", "{study}", "--token", "abcdefgh&ijklmnop=q", "--no-open"),
         problem=("--token", "letters, digits, - and _ only"), fix=("leave --token out",),
         writes=False),
    Case("cli_pdf_no_chromium", CAT, "geo run --pdf where no Chromium is found: stops "
         "before computing, naming the install", ("run", "{study}", "--out", "{out}", "--pdf"),
         runner=_no_chromium, problem=("GEO_CHROMIUM=", "is not a file"),
         fix=("apt-get install chromium", "leave out --pdf")),
    Case("cli_pdf_no_chromium_planning", CAT, "geo compare --pdf where no Chromium is found",
         ("compare", "{run}", "--scenario", "planned_2025", "--out", "{out}", "--pdf"),
         runner=_no_chromium, problem=("is not a file",), fix=("apt-get install chromium",)),
]
