"""Study files: the TOML a planner writes, with every kind of slip."""

from __future__ import annotations

from geo.coverage.standards import DEFAULT_FILE
from geo.coverage.tables import NONE_BELOW
from geo.outputs.i18n import text
from tests.bad_inputs.harness import Case, Result, Workspace, csv_table, run_summary

RUN = ("run", "{study}", "--out", "{out}")
CAT = "study files"
PRIMARY = "primary_care_30min"


def _raw(text: str):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        ws.raw_study = text
    return edit


def _gbk(ws: Workspace) -> None:
    """The study file saved as GBK (a Windows editor's default in China)."""
    ws.write_study()
    ws.study.write_bytes(ws.study.read_text(encoding="utf-8").encode("gbk"))
    ws.options = {}


def _rename_section(old: str, new: str):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        ws.options[new] = ws.options.pop(old)
    return edit


def _use(*names: str):  # type: ignore[no-untyped-def]
    return lambda ws: ws.set("standards", "use", list(names))


def _override(**fields: object):  # type: ignore[no-untyped-def]
    return lambda ws: ws.set("standards", "overrides", {PRIMARY: dict(fields)})


def _standards_file(old: str, new: str):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        text = DEFAULT_FILE.read_text(encoding="utf-8")
        assert old in text
        (ws.county / "my_standards.toml").write_text(text.replace(old, new, 1),
                                                      encoding="utf-8")
        ws.set("standards", "file", "my_standards.toml")
    return edit


def _then_none_applicable(ws: Workspace, r: Result) -> None:
    summary = csv_table(ws.out / "coverage_summary.csv")
    assert list(summary["standard"]) == ["community_15min"]
    assert summary["note"].str.startswith("not applicable: no facility of type "
                                          "community_health_service_center").all()
    assert summary["covered_share"].eq("").all()  # no number where none exists
    assert "community_15min (15-minute community health service circle (walking)): not " \
           "applicable" in run_summary(ws.out)


def _then_all_meet(ws: Workspace, r: Result) -> None:
    """Every township meets both targets: no 'worst-served township' is named."""
    summary = csv_table(ws.out / "coverage_summary.csv")
    assert len(summary) == 2
    table = csv_table(ws.out / "coverage_by_township.csv")
    assert (table["meets_target"] == "True").all()
    worst = [c for c in summary.columns if "worst" in c]
    assert worst and (summary[worst[0]] == "").all(), summary[worst]
    assert (summary["townships_failing"] == "0").all()
    assert run_summary(ws.out).count(NONE_BELOW) == 2
    # the report in the study's language (zh); the map names no worst-served township
    assert text("none_below", "zh") in (ws.out / "report.html").read_text(encoding="utf-8")
    assert NONE_BELOW in r.out


CASES = [
    Case("study_missing", CAT, "a study file that does not exist", ("run", "{root}/无.toml",
         "--out", "{out}"), problem=("无.toml", "no such study file"), fix=(".toml study file",)),
    Case("study_is_a_folder", CAT, "a folder given as the study file",
         ("run", "{county}", "--out", "{out}"), problem=("no such study file (a folder)",),
         fix=(".toml study file",)),
    Case("study_invalid_toml", CAT, "a study file that is not TOML (a bracket missing)", RUN,
         _raw("[study\nname = 'x'\n"), problem=("not valid TOML",)),
    Case("study_not_utf8", CAT, "a study file saved as GBK", RUN, _gbk,
         problem=("not valid TOML (UTF-8)",)),
    Case("study_unknown_section", CAT, "a misspelt section ([facilites])", RUN,
         _rename_section("facilities", "facilites"),
         problem=("[facilites]",), fix=("did you mean 'facilities'",)),
    Case("study_missing_section", CAT, "no [roads] section", RUN,
         lambda ws: ws.options.pop("roads"), problem=("[roads] section is missing",)),
    Case("study_unknown_key", CAT, "a misspelt key (grid_spacing)", RUN,
         lambda ws: ws.set("population", "grid_spacing", 500),
         problem=("'grid_spacing'", "[population]"), fix=("did you mean 'grid_spacing_m'",)),
    Case("study_wrong_type", CAT, "a number written as text (snap_tolerance_m = \"100\")", RUN,
         lambda ws: ws.set("roads", "snap_tolerance_m", "100"),
         problem=("[roads] snap_tolerance_m",), fix=("a number",)),
    Case("study_use_empty", CAT, "[standards] use = []", RUN, _use(),
         problem=("[standards] use is empty",), fix=('use = ["emergency_1h"]',)),
    Case("study_standard_twice", CAT, "a standard listed twice in use", RUN,
         _use(PRIMARY, PRIMARY), problem=(PRIMARY, "more than once"),
         fix=("name each standard once",)),
    Case("study_unknown_standard", CAT, "a standard the standards file lacks (emergency_2h)",
         RUN, _use(PRIMARY, "emergency_2h"), problem=("emergency_2h",),
         fix=("[standards] use", "did you mean 'emergency_1h'")),
    Case("study_override_typo", CAT, "minute = 30 (for minutes) in [standards] overrides",
         RUN, _override(minute=30), problem=("'minute'", "[standards] overrides"),
         fix=("did you mean 'minutes'",)),
    Case("study_override_not_used", CAT, "overrides for a standard not in use", RUN,
         lambda ws: ws.set("standards", "overrides", {"rescue_2h": {"minutes": 90}}),
         problem=("'rescue_2h'", "not in [standards] use"), fix=(PRIMARY,)),
    Case("study_override_minutes_negative", CAT, "an override of minutes = -30", RUN,
         _override(minutes=-30),
         problem=("[standards] overrides primary_care_30min.minutes = -30",),
         fix=("above 0",)),
    Case("study_override_minutes_text", CAT, "an override of minutes = \"thirty\"", RUN,
         _override(minutes="thirty"), problem=("'thirty'",), fix=("a number",)),
    Case("study_override_target_above_one", CAT, "an override of target_share = 95 (a "
         "percentage for a share)", RUN, _override(target_share=95),
         problem=("[standards] overrides primary_care_30min.target_share = 95",),
         fix=("at most 1",)),
    Case("study_override_mode", CAT, "an override of mode = \"bike\"", RUN,
         _override(mode="bike"), problem=("'bike'",), fix=("drive, walk",)),
    Case("study_snap_exclude_typo", CAT, "a typo in [access] snap_exclude (motorwy)", RUN,
         lambda ws: ws.set("access", "snap_exclude", ["motorwy"]),
         problem=("[access] snap_exclude", "'motorwy'"), fix=("did you mean 'motorway'",)),
    Case("study_access_speed_zero", CAT, "[access] drive_kmh = 0", RUN,
         lambda ws: ws.set("access", "drive_kmh", 0),
         problem=("[access] drive_kmh = 0",), fix=("above 0",)),
    Case("study_map_standard_not_used", CAT, "map_standard naming a standard not in use", RUN,
         lambda ws: ws.set("study", "map_standard", "emergency_1h"),
         problem=("[study] map_standard", "emergency_1h"), fix=(PRIMARY,)),
    Case("study_language", CAT, "language = \"cn\"", RUN,
         lambda ws: ws.set("study", "language", "cn"),
         problem=("[study] language = 'cn'",), fix=("zh, en",)),
    Case("study_crs_unknown", CAT, "crs = \"beijing54\" (a name, not an EPSG code)", RUN,
         lambda ws: ws.set("facilities", "crs", "beijing54"),
         problem=("[facilities] crs = 'beijing54'",), fix=("EPSG:4525",)),
    Case("study_accept_unknown_check", CAT, "a misspelt check in [checks] accept", RUN,
         lambda ws: ws.set("checks", "accept", ["road_coverag"]),
         problem=("'road_coverag'",), fix=("did you mean 'road_coverage'",)),
    Case("study_standards_file_missing", CAT, "[standards] file naming no file", RUN,
         lambda ws: ws.set("standards", "file", "标准.toml"), problem=("标准.toml",),
         fix=("[standards] file",)),
    Case("study_standards_unknown_type", CAT, "a standards file naming a facility type "
         "that does not exist", RUN,
         _standards_file('"township_health_center", "grade2', '"township_health_centre", "grade2'),
         problem=("township_health_centre",), fix=("facility_types.toml",)),
    Case("standards_unknown_key", CAT, "a misspelt key in a standard of the standards file "
         "(target_shares)", RUN, _standards_file("target_share = 1.0", "target_shares = 1.0"),
         problem=("unknown option 'target_shares' in [emergency_1h]", "my_standards.toml"),
         fix=("did you mean 'target_share'",)),
    Case("standards_wrong_type", CAT, "minutes = \"60\" (text) in a standard of the standards "
         "file", RUN, _standards_file("minutes = 60", 'minutes = "60"'),
         problem=("[emergency_1h] minutes must be a number, got '60'",), fix=("a number",)),
    Case("standards_share_as_percent", CAT, "target_share = 95 (a percentage) in the standards "
         "file", RUN, _standards_file("target_share = 1.0", "target_share = 95"),
         problem=("[emergency_1h] target_share = 95 is out of range",), fix=("at most 1",)),
    Case("measure_spec_unknown_key", CAT, "a misspelt key in a [measures.NAME] spec of the "
         "standards file (minuts)", RUN,
         _standards_file("[measures.beds_per_1000_2025]\n",
                         "[measures.beds_per_1000_2025]\nminuts = 60\n"),
         problem=("unknown option 'minuts' in [measures.beds_per_1000_2025]",),
         fix=("did you mean 'minutes'",)),
    Case("measure_spec_wrong_type", CAT, "per = \"1000人\" (text) in a [measures.NAME] spec of "
         "the standards file", RUN, _standards_file("per = 1000", 'per = "1000人"'),
         problem=("[measures.beds_per_1000_2025] per must be a number, got '1000人'",),
         fix=("give a number above 0",)),
    Case("response_spec_unknown_key", CAT, "a misspelt key in a [response.NAME] spec of the "
         "standards file (target_minute)", RUN,
         _standards_file("[response.emergency_response_1h]\n",
                         "[response.emergency_response_1h]\ntarget_minute = 60\n"),
         problem=("unknown option 'target_minute' in [response.emergency_response_1h]",),
         fix=("did you mean 'target_minutes'",)),
    Case("response_spec_wrong_type", CAT, "dispatch_minutes = \"3分钟\" (text) in a "
         "[response.NAME] spec of the standards file", RUN,
         _standards_file("dispatch_minutes = 3", 'dispatch_minutes = "3分钟"'),
         problem=("[response.emergency_response_1h] dispatch_minutes must be a number, got "
                  "'3分钟'",), fix=("give a number at least 0",)),
    Case("study_all_meet_target", CAT, "every township meets the target: no "
         "'worst-served township' is named, \"no township below target\" is said", RUN,
         _use("emergency_1h", PRIMARY), code=0, then=_then_all_meet),
    Case("study_none_applicable", CAT, "the only standard in use has no facility of its "
         "types: the run completes and says not applicable, with no number", RUN,
         _use("community_15min"), code=0, then=_then_none_applicable),
]
