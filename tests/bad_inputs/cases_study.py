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


def _batch_people(ws: Workspace) -> None:
    """A batch of the county's townships as areas, people per area from a column with one
    text cell (约3万) and one empty: 'total = nan' would be spread over those areas."""
    import geopandas as gpd

    from tests.synthetic_county import RESIDENTS, TOTAL

    towns = gpd.read_file(ws.path("乡镇界线.shp"), encoding="gbk").to_crs(4326)
    people = [str(RESIDENTS[n]) for n in towns["乡镇名称"]]
    people[1], people[4] = "约3万", ""
    gpd.GeoDataFrame({"code": towns["XZQDM"], "name": towns["乡镇名称"], "people": people},
                     geometry=towns.geometry, crs=4326).to_file(ws.path("areas.geojson"))
    ws.options["population"] = {"method": "even", "total": TOTAL}
    ws.path("batch.toml").write_text(
        '[batch]\ntemplate = "study.toml"\nareas = "areas.geojson"\nid_col = "code"\n'
        'name_col = "name"\npopulation_col = "people"\n', encoding="utf-8")


MEASURE = "primary_care_facilities_per_10000"


def _measure(**override: object):  # type: ignore[no-untyped-def]
    """The primary-care facility count (2SFCA) as a [measures] use, changed by ``override``
    ([measures] overrides), beside the coverage standard at the same minutes."""
    def edit(ws: Workspace) -> None:
        ws.set("measures", "use", [MEASURE])
        if override:
            ws.set("measures", "overrides", {MEASURE: dict(override)})
        minutes = override.get("minutes")
        if minutes is not None:
            ws.set("standards", "overrides", {PRIMARY: {"minutes": minutes}})
    return edit


def _layer(ws: Workspace, name: str):  # type: ignore[no-untyped-def]
    import geopandas as gpd

    return gpd.read_file(ws.out / "results.gpkg", layer=name)


def _then_unreached(ws: Workspace, r: Result) -> None:
    """The people with no primary-care facility within 12 minutes, by township: those the
    coverage table (the run's other search) finds beyond 12 minutes; stated with how the
    ratios count them."""
    rows = _layer(ws, "measures")
    cov = csv_table(ws.out / "coverage_by_township.csv")
    beyond = {t: float(p) - float(c) for t, p, c in zip(
        cov["township"], cov["population"], cov["covered_population"], strict=True)}
    towns = rows[rows["level"] == "township"]
    got = dict(zip(towns["township"], towns["unreached"].astype(float), strict=True))
    assert got.keys() == beyond.keys()
    for t, people in beyond.items():
        assert abs(got[t] - people) <= 0.1, (t, got[t], people)
    total = sum(beyond.values())
    assert total > 10_000  # the test means something: many people beyond 12 minutes
    area = rows[rows["level"] == "area"].iloc[0]
    assert abs(float(area["unreached"]) - total) <= 0.5
    note = (f"{total:,.0f} people ({total / float(area['population']):.1%}) have no facility "
            "of type central_township_health_center, township_health_center, "
            "grade2_hospital, community_health_service_center within 12 min: it counts with "
            "0 supply per person, so the township and area ratios are over all residents, "
            "these people included")
    assert note in area["notes"], area["notes"]


def _hansen_twin(ws: Workspace) -> None:
    """Hansen potential of primary care; F09 is F04's twin at the same place (kept as a
    different facility): nobody's nearest (F04 wins the tie), yet within minutes of many."""
    import pandas as pd

    def change(df: pd.DataFrame) -> pd.DataFrame:
        twin = df[df["id"] == "F04"].assign(id="F09", name="南岭镇卫生院二部")
        return pd.concat([df, twin], ignore_index=True)
    ws.facilities(change)
    ws.set("facilities", "duplicates", "keep")
    _measure(method="hansen", beta=1.0)(ws)


def _then_hansen_twin(ws: Workspace, r: Result) -> None:
    from geo.outputs.results import read_gpkg

    fac = read_gpkg(ws.out / "results.gpkg").resources.facilities  # a workload layer each
    assert not fac["idle"].astype(bool).any(), fac[["id", "idle"]]
    notes = _layer(ws, "measures")["notes"].iloc[0]
    assert "are nobody's nearest (F09" in notes and "they still count in this measure" in notes
    assert "supply reaches nobody" not in notes


def _located(ws: Workspace) -> None:
    """Beds located in each township: F08 (12 beds) moved 12.8 km east of the county, kept
    with outside = "keep"; F07 (30 beds) moved 800 m outside its edge."""
    import numpy as np
    import pandas as pd

    def change(df: pd.DataFrame) -> pd.DataFrame:
        df["beds"] = ["300", "200", "60", "40", "30", "20", "30", "12"]
        df["type"] = df["type"].replace({"村卫生室": "乡镇卫生院"})
        lat = float(df.loc[df["id"] == "F08", "lat"].iloc[0])
        per_km = 111.32 * np.cos(np.radians(lat))
        df.loc[df["id"] == "F08", "lon"] = f"{110.105 + 12.8 / per_km:.6f}"
        df.loc[df["id"] == "F07", "lon"] = f"{110.105 + 0.8 / per_km:.6f}"
        return df
    ws.facilities(change)
    ws.set("facilities", "outside", "keep")
    ws.set("measures", "use", ["beds_per_1000_liuzhou"])


def _then_located(ws: Workspace, r: Result) -> None:
    rows = _layer(ws, "measures")
    area = rows[rows["level"] == "area"].iloc[0]
    assert float(area["supply_reached"]) == 300 + 200 + 60 + 40 + 30 + 20 + 30  # not F08
    assert "1 facilities outside the study area are located in no township, their supply " \
        "left out of these ratios: F08 (" in area["notes"], area["notes"]
    assert "1 facilities just outside the township boundaries (within 1000 m) count in the " \
        "nearest township: F07 (" in area["notes"]
    summary = run_summary(ws.out)
    assert "1 facilities lie outside the study-area boundary by at most 1000 m and count as " \
        "inside it (boundaries are drawn to tens of metres): facility 'F07' (" in summary


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
    Case("batch_area_people_text", CAT, "a batch whose areas' people column holds text (约3万) "
         "and an empty cell: stops naming the areas, never 'total = nan'",
         ("batch", "{county}/batch.toml", "--out", "{root}/batch"), _batch_people,
         problem=("column 'people' of areas.geojson", "450299102000 ('约3万')",
                  "450299202000"), fix=("[batch] population_col",), writes=False),
    Case("measure_unreached_stated", CAT, "a 2SFCA measure at 12 minutes, where many people "
         "have no facility within reach: counted by township (column unreached), and how the "
         "ratios count them said", RUN, _measure(minutes=12), code=0, then=_then_unreached),
    Case("measure_hansen_nearest_twin", CAT, "Hansen potential with two facilities at one "
         "place: the one that loses the nearest tie is not flagged as reaching nobody", RUN,
         _hansen_twin, code=0, then=_then_hansen_twin),
    Case("measure_located_outside", CAT, "beds located by township with a hospital 12.8 km "
         "outside the county (outside = \"keep\") and one 800 m outside: the first in no "
         "township, the second in the nearest, both said", RUN, _located, code=0,
         then=_then_located),
    Case("study_duplicates_value", CAT, "[facilities] duplicates = \"drop\" (only error or "
         "keep)", RUN, lambda ws: ws.set("facilities", "duplicates", "drop"),
         problem=("[facilities] duplicates = 'drop'",), fix=("error, keep",), quoted=(
             "[facilities] duplicates",)),
    Case("study_name_map_number", CAT, "[townships] name_map = { 城关 = 3 } (a number for a "
         "name)", RUN, lambda ws: ws.set("townships", "name_map", {"城关": 3}),
         problem=("[townships] name_map", "every value must be text"),
         quoted=("[townships] name_map",)),
    Case("study_always_applicable_not_used", CAT, "[standards] always_applicable naming a "
         "standard not in use", RUN,
         lambda ws: ws.set("standards", "always_applicable", ["emergency_1h"]),
         problem=("[standards] always_applicable names ['emergency_1h']",),
         fix=("name standards in use",)),
    Case("study_name_map_unused", CAT, "[townships] name_map where no file is joined by "
         "name (population spread evenly): it would change nothing", RUN,
         lambda ws: (ws.set("townships", "name_map", {"城关": "中和镇"}),
                     ws.options.__setitem__("population", {"method": "even",
                                                           "total": 144265})),
         problem=("[townships] name_map", "no file is joined by name"),
         fix=("remove it",)),
]
