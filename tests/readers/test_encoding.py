"""Text encodings: Shapefiles without .cpg (GBK or UTF-8), the encoding option, CSV tables.

Every fixture is written here: pyogrio writes the .dbf in the encoding asked for (and a
.cpg naming it, which the tests delete); the expected names are the Chinese strings written.
Each GBK case first shows that plain geopandas reads mojibake from the same file, so the
test cannot pass without the detection.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.errors import InputFileError
from geo.readers import read_boundaries, read_facilities, read_points, read_table
from geo.readers.encoding import check_codec, shapefile_encoding

NAMES = ["鹿寨镇", "中渡镇", "寨沙镇"]


def townships(tmp_path: Path, encoding: str, cpg: bool = False, name: str = "t.shp") -> Path:
    """Three township squares with Chinese names and a Chinese field name."""
    gdf = gpd.GeoDataFrame(
        {"乡镇": NAMES, "code": ["450223100000", "450223102000", "450223103000"]},
        geometry=[box(109.5 + i / 10, 24.4, 109.6 + i / 10, 24.5) for i in range(3)],
        crs="EPSG:4326",
    )
    path = tmp_path / name
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def test_gbk_shapefile_without_cpg(tmp_path: Path) -> None:
    path = townships(tmp_path, "GBK")
    plain = gpd.read_file(path, engine="pyogrio")
    assert "乡镇" not in plain.columns  # GDAL alone reads mojibake, without a warning
    gdf = read_boundaries(path, name_col="乡镇")
    assert list(gdf["name"]) == NAMES
    assert gdf.attrs["encoding"] == "gb18030"
    assert gdf.attrs["notes"] == ["text of t.dbf read as GB18030 (GBK), detected from the text "
                                  "(no .cpg file names its encoding)"]


def test_utf8_shapefile_without_cpg(tmp_path: Path) -> None:
    gdf = read_boundaries(townships(tmp_path, "UTF-8"), name_col="乡镇")
    assert list(gdf["name"]) == NAMES
    assert gdf.attrs["encoding"] == "utf-8"
    assert "read as UTF-8, detected" in gdf.attrs["notes"][0]


def test_shapefile_with_cpg_uses_it_without_a_note(tmp_path: Path) -> None:
    gdf = read_boundaries(townships(tmp_path, "GBK", cpg=True), name_col="乡镇")
    assert list(gdf["name"]) == NAMES
    assert gdf.attrs["encoding"] == "gbk"
    assert gdf.attrs["notes"] == []


def test_the_option_wins(tmp_path: Path) -> None:
    path = townships(tmp_path, "GBK")
    gdf = read_boundaries(path, name_col="乡镇", encoding="cp936")
    assert list(gdf["name"]) == NAMES and gdf.attrs["encoding"] == "gbk"
    assert gdf.attrs["notes"] == []
    with pytest.raises(InputFileError, match=r"not valid utf-8 \(it is valid GB18030\)"):
        read_boundaries(path, encoding="utf-8")
    with pytest.raises(InputFileError, match="unknown text encoding 'klingon'"):
        read_boundaries(path, encoding="klingon")


def test_a_cpg_that_does_not_fit_the_text_stops(tmp_path: Path) -> None:
    path = townships(tmp_path, "GBK")
    path.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    with pytest.raises(InputFileError) as err:
        read_boundaries(path)
    message = str(err.value)
    assert "t.cpg ('UTF-8') says the text of t.dbf is utf-8" in message
    assert "set encoding = 'gb18030'" in message and "fix the .cpg" in message


def test_text_in_neither_encoding_stops(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"n": ["ÿÿ"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "l.shp", encoding="ISO-8859-1", engine="pyogrio")  # bytes FF FF
    (tmp_path / "l.cpg").unlink()
    with pytest.raises(InputFileError, match=r"neither UTF-8 nor GBK/GB18030.*encoding"):
        read_boundaries(tmp_path / "l.shp")
    assert list(read_boundaries(tmp_path / "l.shp", encoding="latin-1")["n"]) == ["ÿÿ"]


def test_ascii_only_needs_no_detection(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"n": ["a"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "a.shp", engine="pyogrio")
    (tmp_path / "a.cpg").unlink(missing_ok=True)
    found = shapefile_encoding(tmp_path / "a.shp")
    assert found is not None and found.how == "ascii" and found.note == ""


def test_gbk_point_shapefiles_for_facilities_and_points(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"], "名称": ["鹿寨县人民医院", "中渡镇中心卫生院"], "人口": [10, 20]},
        geometry=[Point(109.75, 24.49), Point(109.69, 24.68)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "f.shp", encoding="GBK", engine="pyogrio")
    (tmp_path / "f.cpg").unlink()
    fac = read_facilities(tmp_path / "f.shp")
    assert list(fac["名称"]) == ["鹿寨县人民医院", "中渡镇中心卫生院"]
    assert fac.attrs["encoding"] == "gb18030" and "GB18030" in fac.attrs["notes"][0]
    pts = read_points(tmp_path / "f.shp", count_col="人口")
    assert list(pts["population"]) == [10.0, 20.0]


def test_option_on_a_geopackage_or_workbook_is_refused(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"n": ["鹿寨镇"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "g.gpkg")
    assert read_boundaries(tmp_path / "g.gpkg").attrs["encoding"] is None
    with pytest.raises(InputFileError, match="GeoPackage and GeoJSON are UTF-8"):
        read_boundaries(tmp_path / "g.gpkg", encoding="gbk")
    pd.DataFrame({"乡镇": ["鹿寨镇"], "人口": [1]}).to_excel(tmp_path / "p.xlsx", index=False)
    with pytest.raises(InputFileError, match="Excel workbook"):
        read_table(tmp_path / "p.xlsx", encoding="gbk")


def test_csv_encodings(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_text("乡镇,人口\n鹿寨镇,1\n中渡镇,2\n", encoding="gbk")
    detected = read_table(path)
    assert list(detected["乡镇"]) == ["鹿寨镇", "中渡镇"]
    assert detected.attrs["encoding"] == "gb18030"
    assert detected.attrs["notes"] == ["text of pop.csv read as GB18030 (GBK), detected from "
                                       "the text (it is not valid UTF-8)"]
    given = read_table(path, encoding="GBK")
    assert list(given["乡镇"]) == ["鹿寨镇", "中渡镇"] and given.attrs["notes"] == []
    with pytest.raises(InputFileError, match="not valid utf-8"):
        read_table(path, encoding="utf-8")
    path.write_text("乡镇,人口\n鹿寨镇,1\n", encoding="utf-8")
    assert read_table(path).attrs["encoding"] == "utf-8"
    assert read_table(path).attrs["notes"] == []


@pytest.mark.parametrize(("name", "codec"), [("UTF-8", "utf-8"), ("utf8", "utf-8"),
                                             ("936", "gbk"), ("ANSI 936", "gbk"),
                                             ("GB2312", "gbk"), ("GB18030", "gb18030"),
                                             ("88591", "iso8859-1"), ("latin-1", "iso8859-1"),
                                             ("big5", "big5")])
def test_cpg_and_option_names(name: str, codec: str) -> None:
    assert check_codec(name) == codec
