"""Townships: the natural-resources bureau's polygons, missing, overlapping, unreadable."""

from __future__ import annotations

import re

import geopandas as gpd
import openpyxl
import pandas as pd
import shapely

from tests.bad_inputs.harness import (
    Case,
    Result,
    Workspace,
    csv_table,
    stated_everywhere,
)
from tests.synthetic_county import RESIDENTS, TOTAL, TOWNSHIPS, box, wgs84

RUN = ("run", "{study}", "--out", "{out}")
CAT = "townships"
NAME = "乡镇名称"


def _rename(old: str, new: str):  # type: ignore[no-untyped-def]
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        gdf.loc[gdf[NAME] == old, NAME] = new
        return gdf
    return change


def _drop(name: str):  # type: ignore[no-untyped-def]
    return lambda gdf: gdf[gdf[NAME] != name]


def _grow(name: str, metres: float):  # type: ignore[no-untyped-def]
    """``name`` ``metres`` wider to the east (into its neighbour)."""
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        m = gdf[NAME] == name
        x0, y0, x1, y1 = gdf.loc[m].geometry.iloc[0].bounds
        gdf.loc[m, "geometry"] = shapely.box(x0, y0, x1 + metres, y1)
        return gdf
    return change


def _even(ws: Workspace) -> None:
    """Population spread evenly over the area (no census table)."""
    ws.options["population"] = {"method": "even", "total": TOTAL, "label": "示例县 2020"}


def _missing_polygon_even(ws: Workspace) -> None:
    ws.townships(_drop("南岭镇"))
    _even(ws)


def _overlap_accepted(ws: Workspace) -> None:
    ws.townships(_grow("东山镇", 2000.0))
    ws.set("checks", "accept", ["township_overlaps"])


def _then_overlap_accepted(ws: Workspace, r: Result) -> None:
    # 2 km x 9 km, less the sliver filter's rounded corners ((4 - pi) x 0.2² km²)
    stated_everywhere(ws.out, "东山镇 and 南岭镇 overlap by 18.0 km² (counted in 东山镇 only)",
                      "(accepted with [checks] accept)")
    _census_exact(ws)


def _kinds(ws: Workspace, kinds: list[str], by: str | None = None) -> None:
    """Primary care limited to township ``kinds`` (read ``by`` code or name)."""
    patch: dict[str, object] = {"township_kinds": kinds}
    if by is not None:
        patch["township_kind_by"] = by
    ws.set("standards", "overrides", {"primary_care_30min": patch})


def _kinds_without_codes(ws: Workspace) -> None:
    ws.townships(lambda gdf: gdf.drop(columns="XZQDM"))
    _kinds(ws, ["镇"], "code")


def _kinds_short_name(ws: Workspace) -> None:
    ws.townships(_rename("北坡乡", "北坡"))
    _even(ws)
    _kinds(ws, ["镇"], "name")


def _then_kinds_towns(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "primary_care_30min: applied to 镇 townships only (by the "
                      "12-digit township code where a township has one",
                      "3 of 6 townships (中和镇, 东山镇, 南岭镇); not applicable to 西河乡, "
                      "北坡乡, 新民乡; the whole area's row counts only the townships it "
                      "applies to")
    table = csv_table(ws.out / "coverage_by_township.csv")
    rows = table[table["standard"] == "primary_care_30min"].set_index("township")
    xiang = [t[0] for t in TOWNSHIPS if t[0].endswith("乡")]
    # empty cells (text ''): never 0, never failing
    assert (rows.loc[xiang, ["covered_population", "meets_target"]] == "").all().all()
    assert rows.loc[xiang, "note"].str.startswith("not applicable: the standard applies to 镇"
                                                  ).all()
    summary = csv_table(ws.out / "coverage_summary.csv").set_index("standard")
    towns = sum(p for t, p in RESIDENTS.items() if t.endswith("镇"))
    assert float(summary.loc["primary_care_30min", "population"]) == towns


def _then_kinds_none(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "primary_care_30min: not applicable: no township of kind 街道 in "
                      "this study", "the study has 镇 3, 乡 3")
    summary = csv_table(ws.out / "coverage_summary.csv").set_index("standard")
    assert summary.loc["primary_care_30min", "covered_share"] == ""


def _census_exact(ws: Workspace) -> None:
    """Every township's population is its census row, exactly (one point-in-polygon rule)."""
    table = csv_table(ws.out / "coverage_by_township.csv")
    got = {t: float(p) for t, p in zip(table["township"], table["population"], strict=True)}
    assert got == {t: float(p) for t, p in RESIDENTS.items()}


def _then_gbk(ws: Workspace, r: Result) -> None:
    table = csv_table(ws.out / "coverage_by_township.csv")
    assert set(table["township"]) == set(RESIDENTS)  # the names intact, no mojibake
    stated_everywhere(ws.out, "text of 乡镇界线.dbf read as GB18030 (GBK), detected from the "
                      "text (no .cpg file names its encoding)")


def _then_census_exact(ws: Workspace, r: Result) -> None:
    _census_exact(ws)
    stated_everywhere(ws.out, "total row '合计' (row 8: 144,265) equals the sum of the other "
                      "6 rows and was left out")


def _formula_names(ws: Workspace) -> None:
    """Township names starting with =, +, - and @ in the polygons and the census."""
    names = {"东山镇": "=东山镇", "南岭镇": "+南岭镇", "西河乡": "-西河乡", "北坡乡": "@北坡乡"}

    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        gdf[NAME] = gdf[NAME].replace(names)
        return gdf

    ws.townships(change)

    def census(text: str) -> str:
        for old, new in names.items():
            text = text.replace(f"\n{old},", f"\n{new},")
        return text

    ws.census(census)
    ws.notes["names"] = names


def _then_formula_names(ws: Workspace, r: Result) -> None:
    names = set(ws.notes["names"].values())
    raw = (ws.out / "coverage_by_township.csv").read_text(encoding="utf-8-sig")
    for n in names:  # kept as text with a leading quote, never a live formula
        assert re.search(rf"^'{re.escape(n)},", raw, flags=re.M), n
        assert not re.search(rf"^{re.escape(n)},", raw, flags=re.M), n
    book = openpyxl.load_workbook(ws.out / "coverage.xlsx")
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in names:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    seen.add(cell.value)
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    assert seen == names


def _wrong_cpg(ws: Workspace) -> None:
    ws.path("乡镇界线.cpg").write_text("UTF-8", encoding="ascii")


def _no_prj(ws: Workspace) -> None:
    ws.path("乡镇界线.prj").unlink()


def _points_layer(ws: Workspace) -> None:
    ws.townships(lambda gdf: gdf.set_geometry(gdf.geometry.centroid), name="乡镇驻地.shp")


def _empty_name(ws: Workspace) -> None:
    ws.townships(_rename("西河乡", None))  # type: ignore[arg-type]


def _padded(ws: Workspace) -> None:
    """Township names with a trailing space, a leading full-width space and a no-break space."""
    ws.townships(lambda g: g.assign(乡镇名称=g["乡镇名称"].replace(
        {"东山镇": "东山镇 ", "西河乡": "\u3000西河乡", "北坡乡": "北坡乡\u00a0"})))


def _then_padded(ws: Workspace, r: Result) -> None:
    table = csv_table(ws.out / "coverage_by_township.csv")
    assert sorted(table["township"]) == sorted(RESIDENTS), list(table["township"])
    got = {t: float(p) for t, p in zip(table["township"], table["population"], strict=True)}
    assert got == {t: float(p) for t, p in RESIDENTS.items()}
    meta = gpd.read_file(ws.out / "results.gpkg", layer="townships")
    assert sorted(meta["township"]) == sorted(RESIDENTS)


def _excel_codes(ws: Workspace) -> None:
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        gdf["XZQDM"] = ["4.50299E+11"] * len(gdf)
        return gdf
    ws.townships(change)
    ws.set("townships", "code_col", "XZQDM")


def _then_missing_even(ws: Workspace, r: Result) -> None:
    m = re.search(r"township gaps: parts of the study area lie in no township polygon: "
                  r"([\d.]+) km² next to 东山镇, 西河乡, 北坡乡 \(about ([\d,]+) people\)",
                  r.err)
    assert m, r.err
    km2, people = float(m.group(1)), float(m.group(2).replace(",", ""))
    assert abs(km2 - 90.27) < 0.1  # 10 km x 9.03 km less the sliver filter's corners
    # evenly spread: the gap holds its share of the area (90.27 of 541.8 km²), +- a grid
    # row of 1 km cells along its edge
    assert abs(people - TOTAL * 90.27 / 541.8) < TOTAL * 10 / 541.8


def _tiny_township(ws: Workspace) -> None:
    """小镇, 300 m x 300 m cut out of 东山镇, with 500 people: smaller than a grid cell."""
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        m = gdf[NAME] == "东山镇"
        g = gdf.loc[m].geometry.iloc[0]
        x, y = g.centroid.x + 220, g.centroid.y + 230  # clear of the grid's cell centres
        small = shapely.box(x, y, x + 300, y + 300)
        gdf.loc[m, "geometry"] = g.difference(small)
        extra = gpd.GeoDataFrame({NAME: ["小镇"], "XZQDM": ["450299104000"]},
                                 geometry=[small], crs=gdf.crs)
        return gpd.GeoDataFrame(pd.concat([gdf, extra], ignore_index=True), crs=gdf.crs)
    ws.townships(change)
    ws.census(lambda t: t.replace(f"合计,{TOTAL}", f"小镇,500,600\n合计,{TOTAL + 500}"))


def _twisted(ws: Workspace) -> None:
    """北坡乡's ring crosses itself in a 100 m loop near a corner (invalid, repaired)."""
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        m = gdf[NAME] == "北坡乡"
        x0, y0, x1, y1 = gdf.loc[m].geometry.iloc[0].bounds
        ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0 + 300), (x0 + 100, y0 + 100),
                (x0 + 100, y0 + 300), (x0, y0 + 100)]
        gdf.loc[m, "geometry"] = shapely.Polygon(ring)
        return gdf
    ws.townships(change)


def _then_twisted(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "乡镇界线.shp: invalid polygons repaired", "北坡乡")
    _census_exact(ws)


def _two_layers(ws: Workspace) -> None:
    gdf = gpd.read_file(ws.path("乡镇界线.shp"), encoding="gbk")
    for layer in ("乡镇", "村"):
        gdf.to_file(ws.path("界线.gpkg"), layer=layer)
    ws.set("townships", "boundaries", "界线.gpkg")


def _area_points(ws: Workspace) -> None:
    gdf = gpd.read_file(ws.path("县界.geojson"))
    gdf.set_geometry(gdf.representative_point()).to_file(ws.path("县界点.geojson"))
    ws.set("area", "boundary", "县界点.geojson")


def _seats(ws: Workspace) -> None:
    """Townships from seats (no polygons): 西河乡's seat 50 km east of the county."""
    rows = [(n, *_lonlat(box(c, r).centroid)) for n, _, c, r, _, _ in TOWNSHIPS]
    seats = pd.DataFrame(rows, columns=["township", "lon", "lat"])
    seats.loc[seats["township"] == "西河乡", "lon"] += 0.5
    seats.to_csv(ws.path("驻地.csv"), index=False)
    ws.options["townships"] = {"seats": "驻地.csv"}


def _lonlat(p: shapely.Point) -> tuple[float, float]:
    q = wgs84(p)
    return round(q.x, 6), round(q.y, 6)


CASES = [
    Case("twn_polygon_missing", CAT, "a township polygon missing, the census names it", RUN,
         lambda ws: ws.townships(_drop("南岭镇")),
         problem=("南岭镇", "not in the township polygons"),
         fix=("correct the others", "[townships] name_map")),
    Case("twn_polygon_missing_even", CAT, "a township polygon missing (even population): "
         "the gap, its neighbours, km² and people", RUN, _missing_polygon_even,
         problem=("township gaps", "km² next to 东山镇, 西河乡, 北坡乡"),
         fix=('[checks] accept = ["township_gaps"]',), then=_then_missing_even),
    Case("twn_overlap", CAT, "two township polygons overlapping by 18 km²", RUN,
         lambda ws: ws.townships(_grow("东山镇", 2000.0)),
         problem=("东山镇 and 南岭镇 overlap by 18.0 km²",),
         fix=('[checks] accept = ["township_overlaps"]',)),
    Case("twn_overlap_accepted", CAT, "an accepted overlap: stated in every output, the "
         "census still exact", RUN, _overlap_accepted, code=0, then=_then_overlap_accepted),
    Case("twn_gbk_without_cpg", CAT, "a GBK Shapefile without .cpg: names right, the "
         "detected encoding stated", RUN, None, code=0, then=_then_gbk),
    Case("twn_census_exact", CAT, "census by township with official boundaries: each "
         "township's population is its census row, exactly", RUN, None, code=0,
         then=_then_census_exact),
    Case("twn_formula_names", CAT, "township names starting with =, +, -, @: text in the "
         "CSV and the workbook, never a formula", RUN, _formula_names, code=0,
         then=_then_formula_names),
    Case("twn_wrong_cpg", CAT, "a .cpg saying UTF-8 beside GBK text", RUN, _wrong_cpg,
         problem=("乡镇界线.cpg", "not valid utf-8"), fix=("encoding = 'gb18030'",)),
    Case("twn_no_prj", CAT, "a Shapefile without .prj", RUN, _no_prj,
         problem=("乡镇界线.shp", "coordinate system"), fix=("[townships] crs",)),
    Case("twn_name_column_missing", CAT, "name_col naming a column the file lacks", RUN,
         lambda ws: ws.set("townships", "name_col", "NAME"),
         problem=("'NAME'",), fix=("[townships] name_col",)),
    Case("twn_duplicate_names", CAT, "two polygons named 南岭镇", RUN,
         lambda ws: ws.townships(_rename("北坡乡", "南岭镇")),
         problem=("duplicate township names", "南岭镇"), fix=("names must be unique",)),
    Case("twn_padded_names", CAT, "township names with spaces around them (trailing, "
         "full-width, no-break): trimmed in every output, so spreadsheet look-ups work", RUN,
         _padded, code=0, then=_then_padded),
    Case("twn_empty_name", CAT, "a polygon without a name", RUN, _empty_name,
         problem=("without a township name",), fix=("fill them in",)),
    Case("twn_points_not_polygons", CAT, "a point layer given as township polygons", RUN,
         _points_layer, problem=("乡镇驻地.shp", "Point"), fix=("point to the right file",)),
    Case("twn_file_missing", CAT, "the township file does not exist", RUN,
         lambda ws: ws.set("townships", "boundaries", "乡镇.shp"),
         problem=("乡镇.shp", "not found"), fix=("relative to the study file",)),
    Case("twn_neither_polygons_nor_seats", CAT, "a [townships] section with neither "
         "boundaries nor seats", RUN,
         lambda ws: ws.options.__setitem__("townships", {"name_col": NAME}),
         problem=("[townships] section needs",), fix=("'boundaries'", "'seats'")),
    Case("twn_codes_turned_to_floats", CAT, "12-digit codes Excel turned into 4.50299E+11",
         RUN, _excel_codes, problem=("4.50299E+11",), fix=("as text",)),
    Case("twn_smaller_than_a_cell", CAT, "a 300 m township with people but no demand point",
         RUN, _tiny_township, problem=("'小镇' (500)",),
         fix=("[population] grid_spacing_m",)),
    Case("twn_self_intersecting", CAT, "a township ring crossing itself in a 100 m loop: "
         "repaired, and every output says so", RUN, _twisted, code=0, then=_then_twisted),
    Case("twn_crs_contradicts_prj", CAT, "[townships] crs contradicting the .prj", RUN,
         lambda ws: ws.set("townships", "crs", "EPSG:4546"),
         problem=("EPSG:4546", "Gauss-Kruger zone 37"), fix=("drop the crs option",)),
    Case("twn_two_layers", CAT, "a GeoPackage of two layers without [townships] layer", RUN,
         _two_layers, problem=("'乡镇', '村'",), fix=("[townships] layer",)),
    Case("twn_kinds_code_without_codes", CAT, "a standard limited to 镇 by the 12-digit code "
         "(township_kind_by = \"code\"), the township file without codes", RUN,
         _kinds_without_codes, problem=("primary_care_30min", "no valid code", "中和镇"),
         fix=("[townships] code_col", 'township_kind_by = "name"')),
    Case("twn_kinds_short_name", CAT, "a standard limited to 镇 by the name, a township "
         "written 北坡 (no 乡 or 镇 at its end)", RUN, _kinds_short_name,
         problem=("primary_care_30min", "end in none of", "北坡"),
         fix=("write the full names", 'township_kind_by = "code"')),
    Case("twn_kinds_unknown_kind", CAT, "township_kinds naming a kind that is not one (城区)",
         RUN, lambda ws: _kinds(ws, ["城区"]), problem=("township_kinds", "城区"),
         fix=("街道", "镇", "乡"), quoted=("城区",)),
    Case("twn_kinds_towns", CAT, "primary care limited to 镇: the 乡 rows not applicable (never "
         "failing), the county row counts the 镇 only, stated in every output", RUN,
         lambda ws: _kinds(ws, ["镇"]), code=0, then=_then_kinds_towns),
    Case("twn_kinds_none_present", CAT, "a standard limited to 街道 in a county of 镇 and 乡: "
         "not applicable, the kinds present stated", RUN, lambda ws: _kinds(ws, ["街道"]),
         code=0, then=_then_kinds_none),
    Case("twn_area_is_points", CAT, "the study-area boundary file holds a point", RUN,
         _area_points, problem=("县界点.geojson", "Point"), fix=("point to the right file",)),
    Case("twn_area_missing", CAT, "the study-area boundary file does not exist", RUN,
         lambda ws: ws.set("area", "boundary", "县.geojson"), problem=("县.geojson",
                                                                       "not found")),
    Case("twn_seat_outside", CAT, "township seats (no polygons) with one seat 50 km "
         "outside the area", RUN, _seats, problem=("西河乡", "outside the study area"),
         fix=("[townships] seat_crs",)),
]
