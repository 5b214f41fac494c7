"""Scenarios: planned changes (``geo compare``) that cannot be applied as written."""

from __future__ import annotations

import re
from collections.abc import Callable

import geopandas as gpd
import shapely

from tests.bad_inputs.harness import Case, Result, Workspace
from tests.synthetic_county import GK, TO_WGS84, X0, Y0

CAT = "scenarios"
COMPARE = ("compare", "{run}", "--scenario", "{county}/scenario.toml", "--out", "{out}")
#: compare on the study file (computed afresh: for cases that edit the study's roads)
COMPARE_STUDY = ("compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}")
HEAD = '[scenario]\nname = "test"\ntitle = "测试方案"\n'
F03 = (109.865, 24.517)  # near facility F03 (东山镇中心卫生院)


def _scenario(*actions: str, head: str = HEAD):  # type: ignore[no-untyped-def]
    """A scenario file of ``actions`` (each the body of an [[actions]] table)."""
    text = head + "".join(f"\n[[actions]]\n{a.strip()}\n" for a in actions)

    def edit(ws: Workspace) -> None:
        ws.scenario(text)
    return edit


def _add(lon: object, lat: object, fid: str = "NEW-1", kind: str = "township_health_center",
         extra: str = "") -> str:
    return (f'action = "add"\nid = "{fid}"\nname = "新卫生院"\ntype = "{kind}"\n'
            f"lon = {lon}\nlat = {lat}\n{extra}")


def _outside_kept(ws: Workspace) -> None:
    """A study whose facilities may lie outside: a site 3 km east of the county's edge."""
    ws.set("facilities", "outside", "keep")
    _scenario(_add(110.135, 24.5))(ws)


def _then_outside_kept(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    m = re.search(r"add 'NEW-1' puts it at lon 110\.135000, lat 24\.500000, ([\d.]+) km outside "
                  r'the study area \(kept: \[facilities\] outside = "keep"\)', summary)
    assert m, summary
    assert 2.0 < float(m.group(1)) < 4.0  # the county's eastern edge is near 110.105


def _then_outside_on_purpose(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    m = re.search(r"add 'NEW-1' puts it at lon 110\.135000, lat 24\.500000, ([\d.]+) km outside "
                  r"the study area \(kept: the action says outside = true\)", summary)
    assert m, summary
    assert 2.0 < float(m.group(1)) < 4.0


#: scenario fields written as formulas, after a space, in full width
FORMULA_FIELDS = {"project": "=3+4", "id": " =5+6", "name": "＝7+8", "note": "@SUM(A1)"}


def _formula_fields(ws: Workspace) -> None:
    f = FORMULA_FIELDS
    _scenario(f'project = "{f["project"]}"\naction = "add"\nid = "{f["id"]}"\n'
              f'name = "{f["name"]}"\ntype = "township_health_center"\nlon = 109.9\n'
              f'lat = 24.5\nnote = "{f["note"]}"')(ws)


def _then_formula_fields(ws: Workspace, r: Result) -> None:
    """Every formula-like field is text in comparison_changes.csv (a leading quote) and in
    comparison.xlsx (a string cell, never a formula)."""
    import openpyxl

    from tests.bad_inputs.harness import csv_table

    row = csv_table(ws.out / "comparison_changes.csv").iloc[0]
    for key in ("project", "id", "note"):
        assert row[key] == "'" + FORMULA_FIELDS[key], (key, row[key])
    seen = set()
    for sheet in openpyxl.load_workbook(ws.out / "comparison.xlsx").worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.value in FORMULA_FIELDS.values():
                    seen.add(cell.value)
    assert {FORMULA_FIELDS["project"], FORMULA_FIELDS["id"]} <= seen, seen


def _typed(add: str, retype: str, role: str) -> str:
    return (_add(109.9, 24.5, kind=add) + "\n"
            f'[[actions]]\naction = "retype"\nid = "F04"\ntype = "{retype}"\n\n'
            f'[[actions]]\naction = "designate"\nids = ["F05"]\nrole = "{role}"')


def _types_by_name(ws: Workspace) -> None:
    """Types as the facility file writes them: 乡镇卫生院, 中心卫生院, 急救站 (an alias)."""
    _scenario(_typed("乡镇卫生院", "中心卫生院", "急救站"))(ws)
    ws.set("standards", "use", ["emergency_1h", "primary_care_30min"])


def _then_types_by_name(ws: Workspace, r: Result) -> None:
    """The same comparison as with the codes, and the names read stated."""
    from tests.bad_inputs.harness import csv_table, run_in_process

    codes = ws.path("codes.toml")
    codes.write_text(HEAD + "\n[[actions]]\n" + _typed(
        "township_health_center", "central_township_health_center", "ems_station") + "\n",
        encoding="utf-8")
    again = run_in_process(["compare", str(ws.study), "--scenario", str(codes), "--out",
                            str(ws.root / "codes")])
    assert again.code == 0, again.err
    got, want = (csv_table(f / "comparison_by_township.csv").drop(columns="basis")
                 for f in (ws.out, ws.root / "codes"))
    assert got.equals(want)
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    assert "scenario.toml: facility types read from names: 乡镇卫生院 → township_health_center" \
        in summary, summary
    assert "急救站 → ems_station" in summary


def _becomes(std: str, *actions: str):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        ws.set("standards", "use", ["primary_care_30min", std])
        if std == "community_15min":  # shipped for 街道 only: here every kind of township
            ws.set("standards", "overrides",
                   {std: {"township_kinds": ["街道", "镇", "乡", "其他"]}})
        _scenario(*actions)(ws)
    return edit


def _then_becomes(std: str, side: str, note: str):  # type: ignore[no-untyped-def]
    """Every township's row of ``std`` is kept, empty on the ``side`` (before or after)
    without an eligible facility and counted on the other; the note says why; the
    command lists the rows whose standard starts or stops applying as changes."""
    def then(ws: Workspace, r: Result) -> None:
        from tests.bad_inputs.harness import csv_table

        t = csv_table(ws.out / "comparison_by_township.csv")
        rows = t[t["standard"] == std]
        assert len(rows) == 7, rows  # six townships and the county
        other = "after" if side == "before" else "before"
        assert (rows[f"covered_population_{side}"] == "").all()
        assert float(rows[f"covered_population_{other}"].iloc[-1]) > 0
        assert note in rows["basis"].iloc[0], rows["basis"].iloc[0]
        listed = r.out.split("Townships and standards that change")[1]
        assert f"示例县    {std}" in listed, listed
    return then


def _line(ws: Workspace) -> None:
    """The study's roads as a line layer (so new roads can be noded in)."""
    ws.set("roads", "path", "roads.geojson")


def _gk_box(x0: float, y0: float, x1: float, y1: float) -> str:
    """A polygon = [[lon, lat], ...] line for a box in the county's Gauss-Krüger metres
    (offsets from its south-west corner)."""
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    pts = [TO_WGS84.transform(X0 + x, Y0 + y) for x, y in corners]
    return "polygon = [" + ", ".join(f"[{lon:.7f}, {lat:.7f}]" for lon, lat in pts) + "]"


#: a strip across the whole county between road rows 1 and 2 (y 3.5-4.5 km): it cuts every
#: north-south road, so the south (F01, F02 and two rows of roads) is cut off
STRIP = _gk_box(-500, 3500, 30500, 4500)


def _closing(*actions: str):  # type: ignore[no-untyped-def]
    """A line-layer study (names and refs) and a scenario of ``actions``."""
    def edit(ws: Workspace) -> None:
        _line(ws)
        _scenario(*actions)(ws)
    return edit


def _same_name_twice(ws: Workspace) -> None:
    """Two north-south township roads 4 km apart, both named 乡道0 (they never touch)."""
    roads = gpd.read_file(ws.path("roads.geojson"))
    roads.loc[2, "name"] = "乡道0"
    ws.roads(roads)
    _scenario('action = "close_road"\nroad = "乡道0"')(ws)


HAZARD = ("resilience", "{run}", "--hazard", "{county}/flood.geojson", "--out", "{out}")


def _hazard(gdf: gpd.GeoDataFrame | None, name: str = "flood.geojson"):  # type: ignore[no-untyped-def]
    """A hazard layer written beside the study (``None``: a layer with no feature)."""
    def edit(ws: Workspace) -> None:
        layer = gdf if gdf is not None else gpd.GeoDataFrame(
            {"note": []}, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
        layer.to_file(ws.path(name))
    return edit


def _strip_gk() -> gpd.GeoDataFrame:
    """The strip of STRIP as a polygon layer in the county's Gauss-Krüger metres (EPSG:4525)."""
    poly = shapely.box(X0 - 500, Y0 + 3500, X0 + 30500, Y0 + 4500)
    return gpd.GeoDataFrame({"note": ["示意 (illustrative)"]}, geometry=[poly], crs="EPSG:4525")


def _then_hazard(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    assert "flood.geojson: 示意 (illustrative)" in summary, summary
    assert "facilities are cut off from most of the road network" in summary, summary


#: a depth raster of the county in Gauss-Krüger metres: 100 m cells, edges 50 m off the roads
RASTER_LEFT, RASTER_TOP, RASTER_CELL = X0 - 50.0, Y0 + 18_050.0, 100.0


def _depth(cells: dict[tuple[float, float], float], fill: float = 0.0, crs: str | None = GK,
           origin: tuple[float, float, float] | None = None,
           name: str = "depth.tif") -> Callable[[Workspace], None]:
    """A depth GeoTIFF beside the study: ``fill`` (nodata -9999) with the cells holding the given
    points (metres from X0, Y0) set; ``origin`` (left, top, cell size) moves it (another
    county)."""
    def edit(ws: Workspace) -> None:
        import numpy as np
        import rasterio
        from rasterio.transform import from_origin

        data = np.full((182, 310), fill, dtype=np.float32)
        for (dx, dy), value in cells.items():
            data[int((RASTER_TOP - Y0 - dy) // RASTER_CELL),
                 int((X0 + dx - RASTER_LEFT) // RASTER_CELL)] = value
        left, top, size = origin or (RASTER_LEFT, RASTER_TOP, RASTER_CELL)
        with rasterio.open(ws.path(name), "w", driver="GTiff", width=310, height=182, count=1,
                           dtype="float32", crs=crs, nodata=-9999.0,
                           transform=from_origin(left, top, size, size)) as dst:
            dst.write(data, 1)
    return edit


TRUNK_CELL = (10_200.0, 9000.0)  # on G323 (y = Y0 + 9000)
RASTER = ("resilience", "{run}", "--hazard", "{county}/depth.tif", "--threshold", "0.5",
          "--out", "{out}")


def _then_raster(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    assert "raster cells >= 0.5 hazardous (1 cells under the roads)" in summary, summary
    assert "cells under the study's roads are nodata and count as not hazardous" in summary


def _slides(buffer: list[float] | None) -> Callable[[Workspace], None]:
    """Landslide points beside the study (a ``buffer_m`` column unless ``buffer`` is None)."""
    def edit(ws: Workspace) -> None:
        cols = {} if buffer is None else {"buffer_m": buffer}
        pts = [shapely.Point(X0 + 13_000.0, Y0 + 5000.0)]
        gpd.GeoDataFrame(cols, geometry=pts, crs=GK).to_file(ws.path("slides.geojson"))
    return edit


SLIDES = ("resilience", "{run}", "--hazard", "{county}/slides.geojson", "--out", "{out}")


def _then_cut_off(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    assert "facilities are cut off from most of the road network" in summary, summary
    assert "示例县人民医院 (F01)" in summary and "示例县中医医院 (F02)" in summary, summary


def _then_no_link(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "criticality_summary.txt").read_text(encoding="utf-8")
    assert "no link suggested" in summary and "no facility suggested" in summary, summary
    assert not list(ws.out.glob("fix_*.toml")) and not list(ws.out.glob("site_*.toml"))


CASES = [
    Case("scen_file_missing", CAT, "--scenario naming a file that does not exist",
         ("compare", "{run}", "--scenario", "{county}/无.toml", "--out", "{out}"),
         problem=("--scenario", "无.toml", "no such scenario file"), fix=("scenarios/",)),
    Case("scen_name_unknown", CAT, "--scenario naming no scenario beside the study",
         ("compare", "{run}", "--scenario", "planned_2030", "--out", "{out}"),
         problem=("--scenario", "planned_2030", "no such scenario file")),
    Case("scen_invalid_toml", CAT, "a scenario file that is not TOML", COMPARE,
         lambda ws: ws.scenario("[scenario\n"), problem=("not valid TOML",)),
    Case("scen_unknown_table", CAT, "a misspelt table ([[action]])", COMPARE,
         lambda ws: ws.scenario(HEAD + '\n[[action]]\naction = "close"\nid = "F03"\n'),
         problem=("unknown section [[action]]",), fix=("did you mean 'actions'", "[[actions]]")),
    Case("scen_unknown_action", CAT, "action = \"remove\" (close is meant)", COMPARE,
         _scenario('action = "remove"\nid = "F03"'), problem=("'remove'",), fix=("'close'",)),
    Case("scen_unknown_key", CAT, "an add with lng for lon", COMPARE,
         _scenario(_add(109.9, 24.5).replace("lon =", "lng =")),
         problem=("unknown option 'lng' in [[actions]] 1 (add NEW-1)",),
         fix=("did you mean 'lon'",)),
    Case("scen_move_both_ways", CAT, "a move with both lon/lat and offset_m/bearing",
         COMPARE, _scenario('action = "move"\nid = "F03"\nlon = 109.9\nlat = 24.5\n'
                            "offset_m = 500\nbearing = 90"),
         problem=("move F03",), fix=("either lon + lat or offset_m + bearing",)),
    Case("scen_unknown_id", CAT, "closing a facility id the study lacks", COMPARE,
         _scenario('action = "close"\nid = "F99"'), problem=("'F99'",), fix=("F01",)),
    Case("scen_close_twice", CAT, "the same facility closed twice", COMPARE,
         _scenario('action = "close"\nid = "F03"', 'action = "close"\nid = "F03"'),
         problem=("'F03'",)),
    Case("scen_add_existing_id", CAT, "adding a facility with an id that exists", COMPARE,
         _scenario(_add(109.9, 24.5, fid="F03")), problem=("'F03'", "already exists"),
         fix=("new id",)),
    Case("scen_types_by_name", CAT, "scenario types named as the facility file names them "
         "(乡镇卫生院, 中心卫生院, the alias 急救站): read as their codes, and said",
         ("compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         _types_by_name, code=0, then=_then_types_by_name),
    Case("scen_add_unknown_type", CAT, "adding a facility of an unknown type", COMPARE,
         _scenario(_add(109.9, 24.5, kind="health_post")), problem=("health_post",),
         fix=("facility_types.toml",)),
    Case("scen_retype_unknown_type", CAT, "an upgrade to a type that does not exist",
         COMPARE, _scenario('action = "retype"\nid = "F03"\ntype = "grade3_hospital"'),
         problem=("grade3_hospital",), fix=("facility_types.toml",)),
    Case("scen_designate_unknown_role", CAT, "designating a role that is no type", COMPARE,
         _scenario('action = "designate"\nids = ["F04"]\nrole = "ambulance"'),
         problem=("ambulance",), fix=("facility_types.toml",)),
    Case("scen_add_far_outside", CAT, "a facility added at lon 0, lat 0 (far outside the "
         "area)", COMPARE, _scenario(_add(0.0, 0.0)),
         problem=("'NEW-1'", "km outside the study area"),
         fix=("check its lon/lat", '[facilities] outside = "keep"')),
    Case("scen_move_far_outside", CAT, "a facility moved 500 km away", COMPARE,
         _scenario('action = "move"\nid = "F03"\noffset_m = 500000\nbearing = 90'),
         problem=("'F03'", "km outside the study area"), fix=("offset_m/bearing",)),
    Case("scen_add_lon_text", CAT, "lon = \"东经109.9\" (text)", COMPARE,
         _scenario(_add('"东经109.9"', 24.5)), problem=("lon must be a number, got '东经109.9'",),
         fix=("give a number at least -180 and at most 180",)),
    Case("scen_add_lon_nan", CAT, "lon = nan", COMPARE, _scenario(_add("nan", 24.5)),
         problem=("lon = nan",), fix=("give a number at least -180 and at most 180",)),
    Case("scen_road_text_coords", CAT, "add_road with a vertex written as text", COMPARE,
         _scenario('action = "add_road"\nhighway = "tertiary"\n'
                   'coords = [[109.9, 24.5], ["109.95", "24.5"]]'),
         problem=("coords = [[109.9, 24.5], ['109.95', '24.5']]",),
         fix=("[number, number] pairs",)),
    Case("scen_add_outside_kept", CAT, "a facility added just outside the area with "
         "[facilities] outside = \"keep\": allowed, and the comparison says so",
         ("compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         lambda ws: _outside_kept(ws), code=0, then=lambda ws, r: _then_outside_kept(ws, r)),
    Case("scen_add_outside_on_purpose", CAT, "a facility added just outside the area with "
         "outside = true on the action (as the workbench saves one kept outside the county): "
         "allowed, and the comparison says so", COMPARE,
         _scenario(_add(110.135, 24.5, extra="outside = true")), code=0,
         then=_then_outside_on_purpose),
    Case("scen_outside_not_true", CAT, "outside = \"yes\" on an add (text, not true)",
         COMPARE, _scenario(_add(110.135, 24.5, extra='outside = "yes"')),
         problem=("NEW-1", "outside", "wrong type (str)"), fix=("give true or false",)),
    Case("scen_formula_fields", CAT, "scenario fields written as formulas (=3+4, ' =5+6' "
         "after a space, ＝7+8 in full width, @SUM(A1)): text in comparison_changes.csv and "
         "comparison.xlsx, never a formula", COMPARE, _formula_fields, code=0,
         then=_then_formula_fields),
    Case("scen_makes_standard_applicable", CAT, "a scenario adding the first facility of a "
         "standard not applicable before (a community health centre): every row kept, the "
         "change listed, and said",
         ("compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         _becomes("community_15min", _add(109.865, 24.517, kind="community_health_service_"
                                          "center")),
         code=0, then=_then_becomes("community_15min", "before",
                                    "before the scenario: the scenario makes it applicable")),
    Case("scen_closes_every_facility_of_a_standard", CAT, "a scenario closing both county "
         "hospitals: emergency_1h has no facility after; every row kept, listed as a change, "
         "and said",
         ("compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         _becomes("emergency_1h", 'action = "close"\nid = "F01"', 'action = "close"\nid = '
                  '"F02"'),
         code=0, then=_then_becomes("emergency_1h", "after", "after the scenario: not "
                                    "applicable after it")),
    Case("scen_bad_crs", CAT, "crs = \"amap\" on an add", COMPARE,
         _scenario(_add(F03[0], F03[1], extra='crs = "amap"')), problem=("'amap'",),
         fix=("gcj02",)),
    Case("scen_road_one_point", CAT, "add_road with one vertex", COMPARE,
         _scenario('action = "add_road"\nhighway = "tertiary"\ncoords = [[109.9, 24.5]]'),
         problem=("add_road",), fix=("at least two",)),
    Case("scen_road_on_cache", CAT, "add_road on a study whose roads are a network cache",
         COMPARE, _scenario('action = "add_road"\nhighway = "tertiary"\n'
                            "coords = [[109.9, 24.5], [109.95, 24.5]]"),
         problem=("roads.npz",),
         fix=("[roads] path", "geo network export CACHE --out roads.gpkg")),
    Case("scen_road_unknown_class", CAT, "add_road of a class without a speed", (
         "compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         lambda ws: (_line(ws), _scenario('action = "add_road"\nhighway = "机耕路"\n'
                                          "coords = [[109.9, 24.5], [109.95, 24.5]]")(ws))[-1],
         problem=("机耕路",), fix=("[roads] speeds_kmh",)),
    Case("scen_close_road_unknown_name", CAT, "close_road naming a road that is not in the "
         "road layer (G332 for G323)", COMPARE_STUDY,
         _closing('action = "close_road"\nroad = "G332"'), problem=("'G332'", "matches no road"),
         fix=("'G323'",)),
    Case("scen_close_road_several", CAT, "close_road by a name two separate roads carry",
         COMPARE_STUDY, _same_name_twice, problem=("'乡道0'", "2 separate roads"),
         fix=("way_ids", "all = true")),
    Case("scen_close_road_on_cache", CAT, "close_road by ref on a study whose roads are a "
         "network cache (no names)", COMPARE_STUDY,
         _scenario('action = "close_road"\nroad = "G323"'),
         problem=("network cache",), fix=("[roads] path", "polygon")),
    Case("scen_close_road_polygon_elsewhere", CAT, "close_road by a polygon that touches no "
         "road (in another county)", COMPARE_STUDY,
         _closing('action = "close_road"\npolygon = [[108.1, 23.1], [108.2, 23.1], '
                  '[108.15, 23.2]]'), problem=("touches no road",), fix=("polygon's corners",)),
    Case("scen_close_road_two_ways", CAT, "close_road naming its roads by road and polygon "
         "at once", COMPARE_STUDY,
         _closing('action = "close_road"\nroad = "G323"\n' + STRIP),
         problem=("['road', 'polygon']",), fix=("exactly one of",)),
    Case("scen_close_road_line_one_point", CAT, "close_road by a line of one point",
         COMPARE_STUDY, _closing('action = "close_road"\nline = [[109.9, 24.5]]'),
         problem=("line",), fix=("at least two [lon, lat] points",)),
    Case("scen_close_road_lon_without_lat", CAT, "close_road by a picked point with lon and "
         "no lat", COMPARE_STUDY, _closing('action = "close_road"\nlon = 109.9'),
         problem=("['lon']",), fix=("lon + lat",)),
    Case("scen_close_road_point_far_from_roads", CAT, "close_road by a point 30 km from every "
         "road (another county): nothing is picked", COMPARE_STUDY,
         _closing('action = "close_road"\nlon = 109.5\nlat = 24.2'),
         problem=("lon = 109.5, lat = 24.2", "from the nearest road"),
         fix=("give a point on the road", "way_ids")),
    Case("scen_slow_road_factor", CAT, "slow_road with factor = 2 (a speed-up)", COMPARE_STUDY,
         _closing('action = "slow_road"\nroad = "G323"\nfactor = 2'),
         problem=("factor = 2",), fix=("at most 1",)),
    Case("scen_close_road_cuts_off_facilities", CAT, "a closure that cuts the county in two: "
         "the facilities on the far side are named in the comparison",
         COMPARE_STUDY, _closing('action = "close_road"\n' + STRIP), code=0, then=_then_cut_off),
    Case("resilience_unknown_standard", CAT, "geo resilience for a standard the study does "
         "not use (emergency_60min for emergency_1h)",
         ("resilience", "{run}", "--standard", "emergency_60min", "--out", "{out}"),
         problem=("--standard emergency_60min", "not a standard of this study"),
         fix=("[standards] use",)),
    Case("resilience_fixes_out_of_range", CAT, "geo resilience --fixes 21 (at most 20 pieces)",
         ("resilience", "{run}", "--standard", "primary_care_30min", "--fixes", "21",
          "--out", "{out}"),
         problem=("--fixes 21",), fix=("give 0 to 20",)),
    Case("resilience_fix_km_too_far", CAT, "geo resilience --fix-km 60 (links and sites at "
         "most 50 km away)",
         ("resilience", "{run}", "--standard", "primary_care_30min", "--fix-km", "60",
          "--out", "{out}"),
         problem=("--fix-km 60",), fix=("at most 50 km",)),
    Case("resilience_fix_no_candidate", CAT, "geo resilience --fix-km 0.01: no new link that "
         "short joins the two sides of any cut, no siting candidate that near the people "
         "lost; stated per piece, no scenario written",
         ("resilience", "{run}", "--standard", "primary_care_30min", "--minutes", "12",
          "--fix-km", "0.01", "--out", "{out}"), code=0, then=_then_no_link),
    Case("hazard_other_crs", CAT, "geo resilience --hazard: a flood layer in Gauss-Krüger "
         "metres (EPSG:4525): read in its own CRS, the far side named",
         HAZARD, _hazard(_strip_gk()), code=0, then=_then_hazard),
    Case("hazard_other_county", CAT, "geo resilience --hazard: a flood extent of another "
         "county (Guilin)", HAZARD,
         _hazard(gpd.GeoDataFrame(geometry=[shapely.box(110.2, 25.2, 110.3, 25.3)], crs=4326)),
         problem=("flood.geojson", "outside the study area"), fix=("--hazard-crs",)),
    Case("hazard_empty", CAT, "geo resilience --hazard: a layer with no feature", HAZARD,
         _hazard(None), problem=("flood.geojson",)),
    Case("hazard_and_standard", CAT, "geo resilience with both --standard and --hazard",
         ("resilience", "{run}", "--standard", "primary_care_30min", "--hazard",
          "{county}/flood.geojson", "--out", "{out}"), _hazard(_strip_gk()),
         problem=("not both",), fix=("--standard NAME", "--hazard FILE")),
    Case("hazard_raster_no_threshold", CAT, "geo resilience --hazard depth.tif without "
         "--threshold", (*HAZARD[:3], "{county}/depth.tif", "--out", "{out}"),
         _depth({TRUNK_CELL: 1.2}), problem=("depth.tif", "needs --threshold"),
         fix=("--threshold VALUE",)),
    Case("hazard_threshold_for_polygons", CAT, "geo resilience --hazard flood.geojson "
         "--threshold 0.5 (a polygon layer has no values)",
         (*HAZARD[:-2], "--threshold", "0.5", "--out", "{out}"), _hazard(_strip_gk()),
         problem=("flood.geojson", "--threshold applies to hazard rasters"),
         fix=("remove it",)),
    Case("hazard_raster_none_above", CAT, "geo resilience: a depth raster with no cell at or "
         "above --threshold", RASTER, _depth({TRUNK_CELL: 0.2}),
         problem=("depth.tif", "no cell under the study's roads reaches --threshold 0.5",
                  "the largest value there is 0.2"), fix=("lower --threshold",)),
    Case("hazard_raster_all_nodata", CAT, "geo resilience: a depth raster of nodata only",
         RASTER, _depth({}, fill=-9999.0), problem=("depth.tif", "every cell", "nodata")),
    Case("hazard_raster_other_county", CAT, "geo resilience: a depth raster of another county "
         "(Guilin)", RASTER, _depth({}, fill=1.0, crs="EPSG:4326", origin=(110.2, 25.3, 0.001)),
         problem=("depth.tif", "the raster lies", "outside the study area"),
         fix=("--hazard-crs",)),
    Case("hazard_raster_no_crs", CAT, "geo resilience: a depth raster that names no CRS",
         RASTER, _depth({TRUNK_CELL: 1.2}, crs=None),
         problem=("depth.tif", "names no coordinate system"), fix=("--hazard-crs",)),
    Case("hazard_raster_nodata_stated", CAT, "geo resilience: a depth raster in Gauss-Krüger "
         "metres with nodata cells: read, the nodata cells stated", RASTER,
         _depth({TRUNK_CELL: 1.2, (5200.0, 9000.0): -9999.0}), code=0, then=_then_raster),
    Case("hazard_points_no_buffer", CAT, "geo resilience --hazard: landslide points without "
         "--hazard-buffer or a buffer_m column", SLIDES, _slides(None),
         problem=("slides.geojson", "needs a zone around each point"),
         fix=("--hazard-buffer METRES", "buffer_m")),
    Case("hazard_points_bad_buffer", CAT, "geo resilience --hazard: landslide points with "
         "buffer_m 0", SLIDES, _slides([0.0]), problem=("slides.geojson", "buffer_m",
                                                        "not above 0 in feature(s) 1")),
    Case("hazard_buffer_for_polygons", CAT, "geo resilience --hazard flood.geojson "
         "--hazard-buffer 100 (buffers points only)",
         (*HAZARD[:-2], "--hazard-buffer", "100", "--out", "{out}"), _hazard(_strip_gk()),
         problem=("flood.geojson", "--hazard-buffer buffers point layers"),
         fix=("remove it",)),
    Case("hazard_threshold_without_hazard", CAT, "geo resilience --standard with --threshold",
         ("resilience", "{run}", "--standard", "primary_care_30min", "--threshold", "0.5",
          "--out", "{out}"), problem=("--threshold applies to --hazard layers only",),
         fix=("remove it",)),
    Case("scen_left_out_without_reason", CAT, "a [[left_out]] project without a reason",
         COMPARE, lambda ws: ws.scenario(HEAD + '\n[[left_out]]\nproject = "P09"\n'),
         problem=("[[left_out]]",), fix=("reason",)),
]
