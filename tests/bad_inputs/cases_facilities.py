"""Facilities: the health commission's list, wrong in every way we have met."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

import geo.readers.facility_types as facility_types
from geo.crs import wgs84_to_gcj02
from tests.bad_inputs.harness import (
    Case,
    Result,
    Workspace,
    run_in_process,
    run_summary,
    stated_everywhere,
)
from tests.synthetic_county import FACILITIES, grid_xy

RUN = ("run", "{study}", "--out", "{out}")
CAT = "facilities"


def _row(df: pd.DataFrame, fid: str) -> pd.Series:
    return df["id"] == fid


def _set(fid: str, **values: str):  # type: ignore[no-untyped-def]
    def change(df: pd.DataFrame) -> pd.DataFrame:
        for col, v in values.items():
            df.loc[_row(df, fid), col] = v
        return df

    return lambda ws: ws.facilities(change)


def _swap(ws: Workspace) -> None:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        m = _row(df, "F04")
        df.loc[m, ["lon", "lat"]] = df.loc[m, ["lat", "lon"]].to_numpy()
        return df

    ws.facilities(change)


def _empty(ws: Workspace) -> None:
    ws.facilities(lambda df: df.iloc[:0])


def _zero_bytes(ws: Workspace) -> None:
    ws.path("facilities.csv").write_bytes(b"")


def _no_coordinates(ws: Workspace) -> None:
    ws.facilities(lambda df: df.drop(columns=["lon", "lat"]))


def _gk(prefix: bool, swapped: bool = False):  # type: ignore[no-untyped-def]
    """Gauss-Krüger x/y (with or without the zone prefix 37) as a survey table has them;
    ``swapped``: its X column holds the northings."""
    def edit(ws: Workspace) -> None:
        xy = np.array([grid_xy(i, j) for _, _, i, j, _ in FACILITIES])
        x = xy[:, 0] - (0 if prefix else 37_000_000)
        cols = {"x": xy[:, 1], "y": x} if swapped else {"x": x, "y": xy[:, 1]}

        def change(df: pd.DataFrame) -> pd.DataFrame:
            df = df.drop(columns=["lon", "lat"])
            for c, v in cols.items():
                df[c] = [f"{a:.1f}" for a in v]
            return df

        ws.facilities(change)
    return edit


def _gcj_data(ws: Workspace) -> None:
    """Positions picked on AMap (GCJ-02), the study left at the default wgs84."""
    def change(df: pd.DataFrame) -> pd.DataFrame:
        lon, lat = wgs84_to_gcj02(df["lon"].astype(float).to_numpy(),
                                  df["lat"].astype(float).to_numpy())
        df["lon"], df["lat"] = np.round(lon, 6).astype(str), np.round(lat, 6).astype(str)
        return df

    ws.facilities(change)


def _gcj_header(ws: Workspace) -> None:
    """AMap positions in columns headed 经度（高德）/纬度（高德）, the study at the default
    wgs84: the header says which system, so the run must not read them as WGS84."""
    _gcj_data(ws)
    ws.facilities(lambda df: df.rename(columns={"lon": "经度（高德）", "lat": "纬度（高德）"}))


def _then_gcj_data(ws: Workspace, r: Result) -> None:
    # positions 300-600 m off every road as declared, on the roads (0 m) read as GCJ-02
    m = re.search(r"read as declared \(WGS84\) the median distance of (\d+) points to the "
                  r"nearest road is ([\d,]+) m; read as GCJ-02 \(AMap, Tencent\) (\d+) m",
                  run_summary(ws.out))
    assert m, run_summary(ws.out)
    n, declared, other = int(m.group(1)), float(m.group(2).replace(",", "")), int(m.group(3))
    assert n == len(FACILITIES) and 300 <= declared <= 700 and other == 0
    stated_everywhere(ws.out, "the coordinates look like GCJ-02 (AMap, Tencent), not WGS84",
                      '[facilities] crs = "gcj02"')


def _then_declared_gcj(ws: Workspace, r: Result) -> None:
    summary = run_summary(ws.out)
    m = re.search(r"read as declared \(GCJ-02 \(AMap, Tencent\)\) the median distance of "
                  r"(\d+) points to the nearest road is ([\d,]+) m; read as WGS84 (\d+) m",
                  summary)
    assert m, summary
    assert 300 <= float(m.group(2).replace(",", "")) <= 700 and int(m.group(3)) == 0
    # the conversion itself is stated, with how far it moved the positions
    conv = re.search(r"facilities\.csv: 8 positions converted from GCJ-02[^;\n]*?"
                     r"moved ([\d.]+)[–-]([\d.]+) m", summary)
    assert conv, summary
    assert 300 <= float(conv.group(1)) <= float(conv.group(2)) <= 700
    stated_everywhere(ws.out, "the coordinates look like WGS84, not GCJ-02",
                      '[facilities] crs = "wgs84"', "positions converted from GCJ-02")


def _excel_wrong_sheet(ws: Workspace) -> None:
    ws.facilities(lambda df: df, name="机构名单.xlsx")
    ws.set("facilities", "layer", "机构")


def _outside_drop(ws: Workspace) -> None:
    _set("F05", lon="110.5")(ws)
    ws.set("facilities", "outside", "drop")


def _then_outside_drop(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "facilities more than 1 km outside the study area left out",
                      "F05")
    import geopandas as gpd

    fac = gpd.read_file(ws.out / "results.gpkg", layer="facilities")
    assert sorted(fac["id"]) == ["F01", "F02", "F03", "F04", "F06", "F07", "F08"]


def _file(name: str, data: bytes):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        ws.path(name).write_bytes(data)
        ws.set("facilities", "path", name)
    return edit


def _utf16(ws: Workspace) -> None:
    """Excel's 'Unicode text' export: UTF-16, tab-separated."""
    text = ws.path("facilities.csv").read_text(encoding="utf-8").replace(",", "\t")
    _file("机构.txt", text.encode("utf-16"))(ws)


def _then_utf16(ws: Workspace, r: Result) -> None:
    # every facility read as from the UTF-8 table: the earlier run's answers, and the
    # encoding stated
    from tests.bad_inputs.harness import csv_table

    got, want = (csv_table(f / "coverage_by_township.csv") for f in (ws.out, ws.run))
    cols = ["township", "standard", "covered_share", "median_minutes"]
    assert got[cols].equals(want[cols])
    stated_everywhere(ws.out, "text of 机构.txt read as UTF-16, detected from its byte-order mark")


def _duplicate_lon(ws: Workspace) -> None:
    text = ws.path("facilities.csv").read_text(encoding="utf-8")
    _file("机构.csv", text.replace("lon,lat", "lon,lon", 1).encode())(ws)


def _dms(value: float, hemi: str, minutes_only: bool = False) -> str:
    """Degrees as a planner writes them: 109°51′54.97″E, or 24°28.5123′N (``minutes_only``)."""
    d = int(value)
    m = (value - d) * 60
    if minutes_only:
        return f"{d}°{m:.4f}′{hemi}"
    return f"{d}°{int(m)}′{(m - int(m)) * 60:.2f}″{hemi}"


def _degree_text(ws: Workspace) -> None:
    """F02 in degrees-minutes-seconds (109°51′54.97″E), F03 as 东经/北纬 with 度分秒, F05 in
    degrees and decimal minutes, F06 in full-width digits, F07 with a degree sign."""
    def change(df: pd.DataFrame) -> pd.DataFrame:
        for fid, style in (("F02", "dms"), ("F03", "zh"), ("F05", "ddm"), ("F06", "wide"),
                           ("F07", "sign")):
            m = df["id"] == fid
            lon, lat = float(df.loc[m, "lon"].iloc[0]), float(df.loc[m, "lat"].iloc[0])
            if style == "dms":
                df.loc[m, ["lon", "lat"]] = [_dms(lon, "E"), _dms(lat, "N")]
            elif style == "zh":
                zh = [_dms(v, "").replace("°", "度").replace("′", "分").replace("″", "秒")
                      for v in (lon, lat)]
                df.loc[m, ["lon", "lat"]] = ["东经" + zh[0], "北纬" + zh[1]]
            elif style == "ddm":
                df.loc[m, ["lon", "lat"]] = [_dms(lon, "E", True), _dms(lat, "N", True)]
            elif style == "wide":
                df.loc[m, "lon"] = f"{lon:.6f}".translate(str.maketrans("0123456789.",
                                                                        "０１２３４５６７８９．"))
            else:
                df.loc[m, "lon"] = f"{lon:.6f}°"
        return df
    ws.facilities(change)


def _then_degree_text(ws: Workspace, r: Result) -> None:
    """Every position where the decimal degrees put it (within 0.3 m), the rows named."""
    import geopandas as gpd

    got = gpd.read_file(ws.out / "results.gpkg", layer="facilities").set_index("id")
    want = gpd.read_file(ws.run / "results.gpkg", layer="facilities").set_index("id")
    metres = got.geometry.to_crs(32649).distance(want.geometry.to_crs(32649))
    assert (metres < 0.3).all(), metres
    stated_everywhere(ws.out, "facilities.csv: 5 positions written in degrees (degrees, "
                      "minutes, seconds; full-width digits) in lon/lat read as decimal "
                      "degrees: facility 'F02' ('109°", "facility 'F07' ('110.063126°'")
    assert "东经109度" in run_summary(ws.out)


def _add_rows(*rows: tuple[str, str, str, float, float], keep: bool = False):  # type: ignore[no-untyped-def]
    """Rows (id, name, type, metres east of F04, metres north of F04) added to the list."""
    def edit(ws: Workspace) -> None:
        def change(df: pd.DataFrame) -> pd.DataFrame:
            f04 = df[df["id"] == "F04"].iloc[0]
            lon0, lat0 = float(f04["lon"]), float(f04["lat"])
            per_lon = 111_320.0 * np.cos(np.radians(lat0))
            new = [{"id": i, "name": n, "type": t, "lon": f"{lon0 + east / per_lon:.7f}",
                    "lat": f"{lat0 + north / 110_574.0:.7f}"} for i, n, t, east, north in rows]
            return pd.concat([df, pd.DataFrame(new)], ignore_index=True)
        ws.facilities(change)
        if keep:
            ws.set("facilities", "duplicates", "keep")
    return edit


def _then_duplicates_kept(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "1 pairs of facilities of facilities.csv that look listed twice "
                      "are counted as different facilities ([facilities] duplicates = "
                      "\"keep\"): 'F04' and 'F09' (南岭镇卫生院, the same name 0 m apart)")


def _then_not_duplicates(ws: Workspace, r: Result) -> None:
    assert "listed twice" not in run_summary(ws.out)
    import geopandas as gpd

    assert len(gpd.read_file(ws.out / "results.gpkg", layer="facilities")) == 12


FORMULAS = {"F04": "=HYPERLINK(\"http://x\",\"南岭\")", "F05": "+86-772-1234",
            "F06": "-西河乡卫生院", "F07": "@SUM(A1)"}


def _formula_names(ws: Workspace) -> None:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        for fid, name in FORMULAS.items():
            df.loc[df["id"] == fid, "name"] = name
        return df
    ws.facilities(change)
    ws.set("standards", "use", ["emergency_1h", "primary_care_30min"])


def _then_formula_names(ws: Workspace, r: Result) -> None:
    """Every township health centre is chosen (4 of 4): their names are in designation.csv
    and designation.xlsx as text, never a formula."""
    import openpyxl

    table = pd.read_csv(ws.out / "designation.csv", encoding="utf-8-sig", dtype=str)
    assert sorted(table["name"]) == sorted(f"'{n}" for n in FORMULAS.values())
    seen = set()
    for sheet in openpyxl.load_workbook(ws.out / "designation.xlsx").worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.value in FORMULAS.values():
                    assert cell.data_type == "s"
                    seen.add(cell.value)
    assert seen == set(FORMULAS.values())


def _type_table(old: str, new: str):  # type: ignore[no-untyped-def]
    """A run on an edited facility-type table, as a planner editing
    analysis/facility_types.toml gets it (the table has no per-study path: the default
    table's path points at the edited copy during the run)."""
    def runner(ws: Workspace, argv: list[str]) -> Result:
        text = facility_types.DEFAULT_TABLE.read_text(encoding="utf-8")
        assert old in text
        edited = ws.root / "facility_types.toml"  # beside the county: not one of its inputs
        edited.write_text(text.replace(old, new, 1), encoding="utf-8")
        shipped, facility_types.DEFAULT_TABLE = facility_types.DEFAULT_TABLE, edited
        try:
            return run_in_process(argv)
        finally:
            facility_types.DEFAULT_TABLE = shipped
    return runner


CASES = [
    Case("fac_missing_file", CAT, "the facility file does not exist", RUN,
         lambda ws: ws.set("facilities", "path", "没有这个文件.csv"),
         problem=("没有这个文件.csv", "not found"), fix=("relative to the study file",)),
    Case("fac_empty_table", CAT, "a facility table with a header and no rows", RUN, _empty,
         problem=("facilities.csv", "no data rows"), fix=("fill it in",)),
    Case("fac_zero_bytes", CAT, "a facility file of 0 bytes", RUN, _zero_bytes,
         problem=("facilities.csv", "empty")),
    Case("fac_no_coordinates", CAT, "a facility table without coordinate columns", RUN,
         _no_coordinates, problem=("facilities.csv", "longitude"),
         fix=("[facilities] lon_col",)),
    Case("fac_swapped_lonlat", CAT, "one facility with longitude and latitude swapped", RUN,
         _swap, problem=("F04", "swapped")),
    Case("fac_lat_out_of_range", CAT, "a latitude of 95 degrees", RUN,
         _set("F03", lat="95.0"), problem=("F03", "95")),
    Case("fac_text_in_coordinates", CAT, "'109.8N' (a latitude's hemisphere) in the "
         "longitude column", RUN, _set("F03", lon="109.8N"), problem=("F03", "109.8N"),
         fix=("109°45′00″E",)),
    Case("fac_degree_text", CAT, "coordinates in degrees, minutes and seconds (109°51′54.97″E, "
         "东经109度51分54.97秒), degrees and decimal minutes, full-width digits, a degree "
         "sign: read, the rows named", RUN, _degree_text, code=0, then=_then_degree_text),
    Case("fac_degree_minutes_over_60", CAT, "a latitude of 24°61′N (minutes must be under "
         "60)", RUN, _set("F04", lat="24°61′N"), problem=("F04", "24°61′N"),
         fix=("109°45′00″E",)),
    Case("fac_degree_text_swapped", CAT, "a latitude in degrees with its N in the longitude "
         "column and the longitude (E) in the latitude column", RUN,
         _set("F05", lon="24°31′5.26″N", lat="110°3′45.33″E"),
         problem=("F05", "the lon column holds a latitude"), fix=("swap the two values",)),
    Case("fac_missing_coordinate", CAT, "an empty latitude cell", RUN,
         _set("F06", lat=""), problem=("F06",)),
    Case("fac_infinite_coordinate", CAT, "'inf' as a longitude", RUN,
         _set("F02", lon="inf"), problem=("F02", "inf")),
    Case("fac_duplicate_ids", CAT, "two facilities with the id F01", RUN,
         _set("F02", id="F01"), problem=("duplicate", "F01"), fix=("[facilities] id_col",)),
    Case("fac_duplicate_row", CAT, "a facility listed twice (F04's row copied as F09): it "
         "would count twice", RUN, _add_rows(("F09", "南岭镇卫生院", "乡镇卫生院", 0, 0)),
         problem=("look listed twice", "'F04' and 'F09'", "南岭镇卫生院", "the same name 0 m"),
         fix=("delete the repeated rows", '[facilities] duplicates = "keep"')),
    Case("fac_duplicate_geocoded", CAT, "one facility from two lists, geocoded 35 m apart, "
         "its name with a full-width space", RUN,
         _add_rows(("F09", "南岭镇卫生院\u3000", "卫生院", 30, 18)),
         problem=("'F04' and 'F09'", "the same name 35 m apart"),
         fix=('[facilities] duplicates = "keep"',)),
    Case("fac_duplicate_position", CAT, "two township health centres of different names at "
         "one position (a row copied and renamed)", RUN,
         _add_rows(("F09", "南岭镇卫生院分院", "乡镇卫生院", 0.3, 0)),
         problem=("'F04' and 'F09'", "the same type township_health_center at the same "
                  "position"), fix=('[facilities] duplicates = "keep"',)),
    Case("fac_duplicates_kept", CAT, "duplicates = \"keep\": both rows counted, and the "
         "pair stated in every output", RUN,
         _add_rows(("F09", "南岭镇卫生院", "乡镇卫生院", 0, 0), keep=True), code=0,
         then=_then_duplicates_kept),
    Case("fac_not_duplicates", CAT, "no false alarm: two 村卫生室 of one name 5 km apart, a "
         "village clinic in the building of a health centre, a namesake 120 m away", RUN,
         _add_rows(("F09", "村卫生室", "村卫生室", 0, 5000), ("F10", "村卫生室", "村卫生室",
                                                          5000, 0),
                   ("F11", "南岭镇卫生院", "乡镇卫生院", 120, 0),
                   ("F12", "南岭村卫生室", "村卫生室", 0, 0)),
         code=0, then=_then_not_duplicates),
    Case("fac_missing_id", CAT, "a facility without an id", RUN, _set("F05", id=""),
         problem=("no id",), fix=("[facilities] id_col",)),
    Case("fac_unknown_type", CAT, "a type name the type table does not know (卫生服务点)",
         RUN, _set("F06", type="卫生服务点"), problem=("卫生服务点",),
         fix=("[facilities] type_map",)),
    Case("fac_ambiguous_type", CAT, "an ambiguous type name (医院: which kind?)", RUN,
         _set("F01", type="医院"), problem=("医院", "F01")),
    Case("fac_outside_area", CAT, "a facility 39 km east of the county (lon 110.5)", RUN,
         _set("F05", lon="110.5"), problem=("F05", "outside"),
         fix=("[facilities] outside",)),
    Case("fac_outside_dropped", CAT, "outside = \"drop\": the facility left out, and said "
         "so with its id", RUN, _outside_drop, code=0, then=_then_outside_drop),
    Case("fac_gcj02_data_declared_wgs84", CAT, "positions picked on AMap (GCJ-02) with the "
         "default crs = \"wgs84\": warned with the medians to the roads", RUN, _gcj_data,
         code=0, then=_then_gcj_data),
    Case("fac_gcj02_declared_on_wgs84", CAT, "crs = \"gcj02\" declared for WGS84 data: "
         "warned with evidence, the conversion and its shift stated", RUN,
         lambda ws: ws.set("facilities", "crs", "gcj02"), code=0, then=_then_declared_gcj),
    Case("fac_gk_wrong_epsg", CAT, "Gauss-Krüger x with the zone prefix declared as the "
         "code without it (EPSG:4546)", RUN,
         lambda ws: (_gk(prefix=True)(ws), ws.set("facilities", "crs", "EPSG:4546"))[-1],
         problem=("EPSG:4546",), fix=("EPSG:4525",)),
    Case("fac_gk_missing_prefix", CAT, "Gauss-Krüger x without the zone prefix declared "
         "EPSG:4525 (with it)", RUN,
         lambda ws: (_gk(prefix=False)(ws), ws.set("facilities", "crs", "EPSG:4525"))[-1],
         problem=("EPSG:4525",), fix=("EPSG:4546",)),
    Case("fac_gk_x_holds_northing", CAT, "a survey table whose X column holds the "
         "northings", RUN,
         lambda ws: (_gk(prefix=True, swapped=True)(ws),
                     ws.set("facilities", "crs", "EPSG:4525"))[-1],
         problem=("swapped",), fix=("x_col = 'y' and y_col = 'x'",)),
    Case("fac_excel_wrong_sheet", CAT, "an Excel list with layer naming a sheet it lacks",
         RUN, _excel_wrong_sheet, problem=("机构",), fix=("[facilities] layer",)),
    Case("fac_type_column_missing", CAT, "type_col naming a column the table lacks", RUN,
         lambda ws: ws.set("facilities", "type_col", "机构类型"),
         problem=("机构类型",), fix=("[facilities] type_col",)),
    Case("fac_name_column_missing", CAT, "name_col naming a column the table lacks", RUN,
         lambda ws: ws.set("facilities", "name_col", "机构名称"),
         problem=("机构名称", "its columns are ['id', 'name', 'type', 'lon', 'lat']:"),
         fix=("[facilities] name_col",)),
    Case("fac_corrupt_workbook", CAT, "an .xlsx that is no workbook", RUN,
         _file("机构.xlsx", b"not a workbook"), problem=("cannot read", "机构.xlsx"),
         fix=("save it as UTF-8 CSV or .xlsx",)),
    Case("fac_corrupt_xls", CAT, "an Excel 97-2003 .xls that is no workbook", RUN,
         _file("机构.xls", b"not a workbook"), problem=("cannot read", "机构.xls"),
         fix=("save it as UTF-8 CSV or .xlsx",)),
    Case("fac_utf16_text", CAT, "Excel's 'Unicode text' export (UTF-16, tab-separated): "
         "read, and said", RUN, _utf16, code=0, then=_then_utf16),
    Case("fac_header_names_gcj02", CAT, "lon/lat headed 经度（高德）/纬度（高德） with the "
         "default crs = \"wgs84\"", RUN, _gcj_header,
         problem=("'经度（高德）' names its coordinates gcj02", "declared wgs84"),
         fix=("set crs = 'gcj02'", "[facilities] crs")),
    Case("fac_two_lon_columns", CAT, "two columns named lon and none named lat", RUN,
         _duplicate_lon, problem=("机构.csv", "(row 1) names 'lon' more than once"),
         fix=("distinct column names",)),
    Case("fac_formula_names", CAT, "facility names starting with =, +, -, @: text in "
         "designation.csv and designation.xlsx, never a formula",
         ("designate", "{study}", "--from-type", "township_health_center", "--role",
          "ems_station", "--k", "4", "--minutes", "10", "--out", "{out}"), _formula_names,
         code=0, then=_then_formula_names),
    Case("fac_type_map_unknown_code", CAT, "type_map mapping a local name to a misspelt "
         "code", RUN, lambda ws: (_set("F06", type="卫生服务点")(ws), ws.set(
             "facilities", "type_map", {"卫生服务点": "village_clinc"}))[-1],
         problem=("village_clinc",), fix=("village_clinic",)),
    Case("types_unknown_key", CAT, "a misspelt key in the facility-type table (alias for "
         "aliases)", RUN, runner=_type_table('aliases = ["县人民医院"', 'alias = ["县人民医院"'),
         problem=("unknown option 'alias' in [types.county_general_hospital]",
                  "facility_types.toml"), fix=("did you mean 'aliases'",)),
    Case("types_wrong_type", CAT, "a Chinese name written as a list in the facility-type "
         "table", RUN, runner=_type_table('zh = "县级综合医院"', 'zh = ["县级综合医院"]'),
         problem=("[types.county_general_hospital] zh has the wrong type (list)",),
         fix=("give text",)),
]
