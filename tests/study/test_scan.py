"""`geo init`: inputs found in a folder, coordinate systems told from the values."""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geo.errors import StudyError
from geo.readers.gauss_kruger import detect
from geo.study.scan import init_study, scan_folder
from geo.study.schema import load_study
from tests.conftest import DATA

SEATS = pd.read_csv(DATA / "boundaries" / "luzhai_township_seats.csv")


def _gk(epsg: str) -> tuple[np.ndarray, np.ndarray]:
    t = Transformer.from_crs("EPSG:4326", epsg, always_xy=True)
    x, y = t.transform(SEATS["wgs84_lon"].to_numpy(), SEATS["wgs84_lat"].to_numpy())
    return np.asarray(x), np.asarray(y)


def test_gauss_kruger_values_name_their_code() -> None:
    x, y = _gk("EPSG:4525")  # zone 37 with the prefix: 37 4xx xxx
    assert detect(x, y)[0].code == 4525 and not detect(x, y)[1]
    assert detect(y, x) == (detect(x, y)[0], True)  # survey tables: X is the northing
    bare_x, bare_y = _gk("EPSG:4546")  # no prefix: the central meridian from a hint
    assert detect(bare_x, bare_y) == (None, False)
    assert detect(bare_x, bare_y, lon_hint=109.8)[0].code == 4546
    assert detect(np.array([109.7]), np.array([24.5]))[0] is None  # lon/lat, not metres


def test_init_reads_a_survey_table_with_x_as_northing(tmp_path: Path) -> None:
    x, y = _gk("EPSG:4525")
    pd.DataFrame({"机构名称": SEATS["township"] + "卫生院", "机构类型": "乡镇卫生院",
                  "X坐标": np.round(y, 2), "Y坐标": np.round(x, 2)}).to_excel(
        tmp_path / "机构.xlsx", index=False)
    seats = SEATS.rename(columns={"township": "乡镇", "gcj02_lon": "高德经度"})
    seats[["乡镇", "wgs84_lon", "wgs84_lat"]].rename(
        columns={"wgs84_lon": "经度", "wgs84_lat": "纬度"}).to_csv(tmp_path / "驻地.csv",
                                                                 index=False)
    path, scan = init_study(tmp_path)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    fac = raw["facilities"]
    assert (fac["crs"], fac["x_col"], fac["y_col"]) == ("EPSG:4525", "Y坐标", "X坐标")
    t = raw["townships"]
    assert (t["seats"], t["seat_name_col"], t["seat_crs"]) == ("驻地.csv", "乡镇", "wgs84")
    text = path.read_text(encoding="utf-8")
    assert "column 'X坐标' holds the northings" in text and "zone prefix 37" in text
    # no area, roads or population: commented, so loading names what is missing
    assert "# path = \"...\"" in text and "# total = ..." in text
    with pytest.raises(StudyError, match=r"\[area\] needs 'boundary'"):
        load_study(path)
    assert scan.best("population") is None


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text("mine", encoding="utf-8")
    (tmp_path / "fac.csv").write_text("name,type,lon,lat\n甲,卫生院,109.7,24.5\n",
                                      encoding="utf-8")
    with pytest.raises(Exception, match="--force"):
        init_study(tmp_path)
    assert (tmp_path / "study.toml").read_text(encoding="utf-8") == "mine"
    other, _ = init_study(tmp_path, tmp_path / "other.toml")
    assert other.exists()


def test_scan_ranks_road_sources_and_skips_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "guangxi.osm.pbf").write_bytes(b"")
    (tmp_path / "guangxi.npz").write_bytes(b"")
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    boundary = gpd.read_file(DATA / "boundaries" / "luzhai_county.geojson")
    boundary.to_file(tmp_path / "县界.geojson")
    SEATS.to_csv(tmp_path / "seats.csv", index=False)  # gcj02_lon/lat and wgs84_lon/lat
    scan = scan_folder(tmp_path)
    seats = scan.best("seats")
    assert seats is not None and seats.options == {
        "seat_name_col": "township", "seat_crs": "wgs84", "seat_lon_col": "wgs84_lon",
        "seat_lat_col": "wgs84_lat"}
    assert scan.best("roads").path.name == "guangxi.npz"  # a cache first: no rebuild
    assert [p.name for p, _ in scan.skipped] == ["broken.xlsx"]
    assert scan.best("area").path.name == "县界.geojson"


def test_init_finds_a_census_workbook_with_a_title_and_units_in_its_headers(
    tmp_path: Path,
) -> None:
    """A statistics bureau's sheet: a title row, a blank row, then '乡镇（街道）' and
    '常住人口（人）' / '户籍人口（人）' headers with their unit, and a 总计 row."""
    with pd.ExcelWriter(tmp_path / "七普乡镇人口.xlsx") as xw:
        pd.DataFrame([["鹿寨县第七次全国人口普查各乡镇人口"]]).to_excel(xw, index=False,
                                                                header=False)
        pd.DataFrame({"乡镇（街道）": ["鹿寨镇", "中渡镇", "总计"],
                      "户籍人口（人）": [130000, 50000, 180000],
                      "常住人口（人）": [123456, 45678, 169134]}).to_excel(
            xw, index=False, startrow=2)
    found = scan_folder(tmp_path).best("population")
    assert found is not None
    # 常住人口 comes before 户籍人口 in the columns looked for, whatever the sheet's order
    assert found.options == {"table_key": "乡镇（街道）", "count_col": "常住人口（人）"}
    notes = [en for _, en in found.notes]
    assert "the header is row 3; the rows above it (a title) are not read" in notes
    assert any("the table also has ['户籍人口（人）']" in n for n in notes)
    assert any("total row '总计'" in n for n in notes)


def test_init_finds_an_excel_97_2003_facility_list(tmp_path: Path) -> None:
    import shutil

    shutil.copy(Path(__file__).parents[1] / "fixtures" / "医疗机构名录.xls", tmp_path)
    found = scan_folder(tmp_path).best("facilities")
    assert found is not None and found.path.suffix == ".xls"
    assert found.options["type_col"] == "机构类别" and found.options["name_col"] == "单位名称"


def test_init_reads_the_system_a_lon_lat_header_names(tmp_path: Path) -> None:
    """'经度（腾讯）' is GCJ-02 for geo init as for the reader (one list of words), so the
    study it writes runs: the reader stops on a header naming another system."""
    lon, lat = SEATS["gcj02_lon"].to_numpy(), SEATS["gcj02_lat"].to_numpy()
    pd.DataFrame({"机构名称": SEATS["township"] + "卫生院", "机构类型": "乡镇卫生院",
                  "经度（腾讯）": lon, "纬度（腾讯）": lat}).to_csv(tmp_path / "机构.csv",
                                                            index=False)
    found = scan_folder(tmp_path).best("facilities")
    assert found is not None and found.options["crs"] == "gcj02"
    assert (found.options["lon_col"], found.options["lat_col"]) == ("经度（腾讯）", "纬度（腾讯）")


def test_init_names_every_column_a_count_could_be(tmp_path: Path) -> None:
    """Two censuses side by side ('常住人口（2010年）', '常住人口（2020年）'): init takes
    neither, writes the choice commented out with both names, and the run stops until
    count_col names one; the reader takes neither without count_col."""
    (tmp_path / "pop.csv").write_text("乡镇,常住人口（2010年）,常住人口（2020年）\n"
                                      "甲镇,100,120\n乙乡,200,210\n", encoding="utf-8")
    found = scan_folder(tmp_path).best("population")
    assert found is not None and "count_col" in found.options
    assert any("any of ['常住人口（2010年）', '常住人口（2020年）']" in en for _, en in found.notes)
    path, _ = init_study(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert '# count_col = "常住人口（2010年）"   # 请选择 / choose one of: 常住人口（2010年）, ' \
        "常住人口（2020年）" in text
    assert "\ncount_col" not in text
    from geo.readers.columns import find_optional

    cols = pd.Index(["乡镇", "常住人口（2010年）", "常住人口（2020年）"])
    assert find_optional(cols, None, ("常住人口",)) is None
    assert find_optional(cols[:2], None, ("常住人口",)) == "常住人口（2010年）"


def test_init_names_the_class_column_of_a_bureau_road_layer(tmp_path: Path) -> None:
    from geo.study.schema import load_study as load

    roads = gpd.read_file(DATA / "roads" / "luzhai_backbone.geojson").head(20)
    roads["道路等级"] = roads.pop("highway").map({"motorway": "高速公路", "trunk": "国道",
                                                "primary": "省道"})
    roads.to_file(tmp_path / "道路.geojson")
    found = scan_folder(tmp_path).best("roads")
    assert found is not None and found.options == {"class_col": "道路等级"}
    boundary = gpd.read_file(DATA / "boundaries" / "luzhai_county.geojson")
    boundary.to_file(tmp_path / "县界.geojson")
    path, _ = init_study(tmp_path)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["roads"] == {"path": "道路.geojson", "class_col": "道路等级"}
    with pytest.raises(StudyError) as e:  # no facilities yet: the study is incomplete,
        load(path)
    assert "[roads]" not in str(e.value)  # but not for its roads


def test_init_finds_a_census_in_excel_unicode_text(tmp_path: Path) -> None:
    text = "乡镇\t常住人口\r\n鹿寨镇\t123456\r\n中渡镇\t45678\r\n"
    (tmp_path / "人口.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "说明.txt").write_text("这个文件夹里是本县的资料。\n", encoding="utf-8")
    found = scan_folder(tmp_path).best("population")
    assert found is not None and found.path.name == "人口.txt"
    assert found.options == {"table_key": "乡镇", "count_col": "常住人口"}


def _kml(placemarks: str, folder: str = "卫生院") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document><Folder><name>{folder}</name>{placemarks}</Folder></Document></kml>")


def test_init_finds_kml_and_kmz_exports(tmp_path: Path) -> None:
    """奥维地图 / Google Earth exports: facilities as KMZ placemarks whose description holds
    the type, township boundaries as KML polygons; init finds both, and the facility
    reader reads the KMZ (its empty 'id' column means no ids: numbered, and said)."""
    import zipfile

    from geo.readers import read_facilities

    points = "".join(
        f"<Placemark><name>{n}</name><description>{t}</description><Point><coordinates>"
        f"{x},{y},0</coordinates></Point></Placemark>"
        for n, t, x, y in (("中渡镇卫生院", "乡镇卫生院", 109.87, 24.47),
                           ("鹿寨县人民医院", "县人民医院", 109.75, 24.47)))
    with zipfile.ZipFile(tmp_path / "机构.kmz", "w") as z:
        z.writestr("doc.kml", _kml(points))
    rings = "".join(
        f"<Placemark><name>{n}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{x},24.4 {x + 0.1},24.4 {x + 0.1},24.5 {x},24.5 {x},24.4</coordinates></LinearRing>"
        "</outerBoundaryIs></Polygon></Placemark>"
        for n, x in (("中渡镇", 109.8), ("鹿寨镇", 109.7)))
    (tmp_path / "乡镇.kml").write_text(_kml(rings, "乡镇界线"), encoding="utf-8")
    scan = scan_folder(tmp_path)
    fac, towns = scan.best("facilities"), scan.best("townships")
    assert fac is not None and fac.path.name == "机构.kmz"
    assert fac.options == {"layer": "卫生院", "name_col": "Name", "type_col": "description"}
    assert towns is not None and towns.path.name == "乡镇.kml"
    assert towns.options == {"layer": "乡镇界线", "name_col": "Name"}
    got = read_facilities(tmp_path / "机构.kmz", layer="卫生院", type_col="description")
    assert list(got["id"]) == ["F0001", "F0002"]
    assert list(got["type"]) == ["township_health_center", "county_general_hospital"]
    assert any("has no id column" in n for n in got.attrs["notes"])


def test_init_says_why_it_used_no_table_and_stops_on_nothing(tmp_path: Path) -> None:
    """A census workbook with a two-row (merged) header, and a table of neither kind: each
    listed with the reason, in the study file and in what init returns; a folder with no
    input at all stops instead of writing a study of 'not found' lines."""
    import openpyxl

    from geo.errors import InputFileError

    with pytest.raises(InputFileError, match="no study input found"):
        init_study(tmp_path)
    assert not (tmp_path / "study.toml").exists()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["鹿寨县各乡镇人口"])
    ws.append(["乡镇", "常住人口", None, "户籍人口", None])
    ws.append([None, "2010年", "2020年", "2010年", "2020年"])
    for cells in ("A2:A3", "B2:C2", "D2:E2", "A1:E1"):
        ws.merge_cells(cells)
    for row in (["鹿寨镇", 100, 120, 110, 130], ["中渡镇", 50, 60, 55, 65]):
        ws.append(row)
    wb.save(tmp_path / "人口.xlsx")
    (tmp_path / "说明.csv").write_text("项目,备注\n来源,统计局\n", encoding="utf-8")
    (tmp_path / "fac.csv").write_text("name,type,lon,lat\n甲,卫生院,109.7,24.5\n",
                                      encoding="utf-8")
    path, scan = init_study(tmp_path)
    why = {p.name: w for p, w in scan.skipped}
    assert "names '2010年', '2020年' more than once" in why["人口.xlsx"]
    assert "two-row header (row 2: 乡镇; 常住人口; 户籍人口" in why["人口.xlsx"]
    assert why["说明.csv"].startswith("no coordinate columns")
    text = path.read_text(encoding="utf-8")
    assert "# 查看过但未使用的文件 / files looked at and not used:" in text
    assert "#   人口.xlsx: the header of 人口.xlsx (row 3) names" in text


def test_init_names_spreadsheet_rows(tmp_path: Path) -> None:
    """Unknown types are named by the rows the spreadsheet shows (a title and a header
    above: the first facility is row 3), not list positions."""
    (tmp_path / "fac.csv").write_text("机构名单\n名称,类型,经度,纬度\n甲,卫生院,109.7,24.5\n"
                                      "乙,卫生服务点,109.8,24.5\n", encoding="utf-8")
    found = scan_folder(tmp_path).best("facilities")
    assert found is not None
    text = " ".join(en for _, en in found.notes)
    assert "'卫生服务点' (row 4)" in text, text


def test_init_looks_at_every_sheet_and_names_the_other_candidates(tmp_path: Path) -> None:
    """A workbook whose first sheet is a note: its facility list on sheet 2 is found (with
    [facilities] layer naming it); a census on sheet 2 cannot be read from there and init
    says so; a KMZ's second folder of facilities is named as a candidate not used."""
    import zipfile

    with pd.ExcelWriter(tmp_path / "机构.xlsx") as w:
        pd.DataFrame({"说明": ["2023年底数据"]}).to_excel(w, sheet_name="说明", index=False)
        pd.DataFrame({"名称": ["甲院"], "类型": ["卫生院"], "经度": [109.7], "纬度": [24.5]}
                     ).to_excel(w, sheet_name="机构", index=False)
    with pd.ExcelWriter(tmp_path / "人口.xlsx") as w:
        pd.DataFrame({"说明": ["七普"]}).to_excel(w, sheet_name="说明", index=False)
        pd.DataFrame({"乡镇": ["甲镇", "乙乡"], "常住人口": [100, 200]}
                     ).to_excel(w, sheet_name="人口", index=False)
    kml = "".join(
        f"<Folder><name>{folder}</name><Placemark><name>{n}</name><description>{t}"
        f"</description><Point><coordinates>{x},24.5,0</coordinates></Point></Placemark>"
        "</Folder>" for folder, n, t, x in (("卫生院", "甲院", "乡镇卫生院", 109.7),
                                            ("卫生室", "乙室", "村卫生室", 109.8)))
    with zipfile.ZipFile(tmp_path / "奥维.kmz", "w") as z:
        z.writestr("doc.kml", '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.'
                   f'opengis.net/kml/2.2"><Document>{kml}</Document></kml>')
    path, scan = init_study(tmp_path)
    found = [f for f in scan.found["facilities"] if f.path.name == "机构.xlsx"]
    assert found and found[0].options["layer"] == "机构"
    why = {p.name: w for p, w in scan.skipped}
    assert why["人口.xlsx"].startswith("its sheet '人口' looks like the population table, but "
                                      "only the first sheet"), why
    text = path.read_text(encoding="utf-8")
    assert text.count("# 另有候选，未使用 / another candidate, not used:") == 2
