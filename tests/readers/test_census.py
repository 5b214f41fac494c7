"""Census tables: total rows, 12-digit township codes, township order.

Sums are worked out by hand in the comments; codes are Luzhai's 2016 统计用区划代码 from
data/boundaries/luzhai_township_seats.csv (county 450223: 鹿寨镇 100, 中渡镇 102, 寨沙镇 103).
The zones are those of tests/coverage/test_population.py: 甲镇 covers 37 km² and 乙乡 63 km² of a
100 km² square of 110 grid points.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.coverage.population import from_zone_table, grid_cells, zone_table
from geo.errors import CensusError, GeoError
from geo.readers import read_table
from geo.readers.census import (
    count_unit,
    find_code_column,
    split_totals,
    township_code,
    township_order,
    township_order_of,
)

UTM = "EPSG:32649"
E, N = 400_000.0, 2_700_000.0
ROW = [70.0, 100.0, 100.0, 100.0] + [200.0] * 6 + [60.0]  # see tests/coverage/test_population.py
DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    area = gpd.GeoSeries([box(E + 300, N, E + 10_300, N + 10_000)], crs=UTM)
    return grid_cells(area, 1000)[1]


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["甲镇", "乙乡"], "code": ["450223100000", "450223203000"]},
        geometry=[box(E, N, E + 4000, N + 10_000), box(E + 4000, N, E + 11_000, N + 10_000)],
        crs=UTM,
    )


def write(tmp_path: Path, text: str, name: str = "pop.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- total rows -----------------------------------------------------------------------------


def test_agreeing_total_row_is_left_out_with_a_note(tmp_path: Path) -> None:
    # a blank line before the total: the total sits on spreadsheet row 5, not 4
    table = read_table(write(tmp_path, "乡镇,人口\n甲镇,3700\n乙乡,12600\n\n合计,16300\n"))
    kept, notes = split_totals(table, "人口")
    assert list(kept["乡镇"]) == ["甲镇", "乙乡"]
    assert kept.attrs["rows"] == [2, 3]
    assert notes == ["total row '合计' (row 5: 16,300) equals the sum of the other 2 rows and "
                     "was left out"]


def test_disagreeing_total_row_stops_with_both_numbers(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "乡镇,人口\n甲镇,3700\n乙乡,12600\n总计,16400\n"))
    with pytest.raises(CensusError) as err:
        split_totals(table, "人口")
    message = str(err.value)
    # 3,700 + 12,600 = 16,300: the total is 100 more
    assert "'总计' (row 4) says 16,400" in message
    assert "add up to 16,300" in message and "100 more" in message
    assert "delete the total row" in message


def test_whole_numbers_must_add_up_exactly() -> None:
    table = pd.DataFrame({"乡镇": ["甲镇", "乙乡", "全县"], "人口": ["3,700", "12,600", "16,301"]})
    with pytest.raises(CensusError, match="1 more"):
        split_totals(table, "人口")


def test_no_total_row_leaves_the_table_alone() -> None:
    table = pd.DataFrame({"乡镇": ["甲镇", "乙乡"], "人口": ["3700", "12600"]})
    kept, notes = split_totals(table, "人口")
    assert kept is table and notes == []


@pytest.mark.parametrize("word", ["合计", "总计", "全县", "全市", "总数", "Total", " TOTAL ",
                                  "ＴＯＴＡＬ", "合 计"])
def test_total_words(word: str) -> None:
    table = pd.DataFrame({"name": ["甲镇", word, "乙乡"], "n": ["1", "3", "2"]})
    kept, notes = split_totals(table, "n")
    assert list(kept["name"]) == ["甲镇", "乙乡"] and len(notes) == 1


def test_county_code_row_is_a_total_and_names_are_no_totals() -> None:
    table = pd.DataFrame({
        "code": ["450223100000", "450223102000", "450223000000"],
        "name": ["鹿寨镇", "中渡镇", "鹿寨县"],
        "n": ["10", "20", "30"],
    })
    kept, notes = split_totals(table, "n")
    assert list(kept["name"]) == ["鹿寨镇", "中渡镇"]
    assert "'450223000000'" in notes[0]
    # 全县 in a township's name does not make it a total: only whole cells count
    other = pd.DataFrame({"name": ["全县第一镇", "乙乡"], "n": ["1", "2"]})
    assert split_totals(other, "n")[1] == []


def test_decimal_counts_within_their_rounding() -> None:
    # in 万人 with 2 decimals: 2.51 + 3.70 + 1.04 = 7.25; each of the 4 numbers may be off by
    # up to 0.005, so a total of 7.26 is rounding, 7.30 is not
    rows = {"乡镇": ["甲", "乙", "丙", "合计"], "万人": ["2.51", "3.70", "1.04", "7.26"]}
    assert len(split_totals(pd.DataFrame(rows), "万人")[1]) == 1
    rows["万人"][3] = "7.30"
    with pytest.raises(CensusError, match=r"add up to 7\.25"):
        split_totals(pd.DataFrame(rows), "万人")


def test_zone_table_with_a_total_row(
    points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    table = read_table(write(tmp_path, "乡镇,人口\n甲镇,3700\n乙乡,12600\n合计,16300\n"))
    demand = from_zone_table(points, zones, table, zone_key="name", table_key="乡镇",
                             count_col="人口")
    np.testing.assert_allclose(demand["population"], ROW * 10, rtol=1e-12)
    method = demand.attrs["population_method"]
    assert "2 zones" in method and "total 16,300" in method
    assert "total row '合计' (row 4: 16,300)" in method
    bad = read_table(write(tmp_path, "乡镇,人口\n甲镇,3700\n乙乡,12600\n合计,16000\n", "b.csv"))
    with pytest.raises(CensusError, match="says 16,000"):
        from_zone_table(points, zones, bad, zone_key="name", table_key="乡镇", count_col="人口")


# --- units of the counts -------------------------------------------------------------------


@pytest.mark.parametrize(("header", "scale", "unit"), [
    ("常住人口（万人）", 10_000, "万人"), ("人口(万人)", 10_000, "万人"),
    ("人口（万）", 10_000, "万"), ("人口 [千人]", 1_000, "千人"),
    ("人口（单位：万人）", 10_000, "万人"), ("常住人口（人）", 1, "人"),
    ("常住人口", 1, None), ("万人", 1, None), ("人口万人", 1, None), ("population", 1, None),
])
def test_count_unit_from_the_header(header: str, scale: int, unit: str | None) -> None:
    assert count_unit(header) == (scale, unit)


@pytest.mark.parametrize(("header", "counts", "rounded"), [
    ("常住人口（万人）", ("0.37", "1.26", "1.63"),
     "0.01 万人: each township rounded to 100 people"),
    ("人口(千人)", ("3.7", "12.6", "16.3"), "0.1 千人: each township rounded to 100 people"),
])
def test_counts_in_a_unit_named_by_the_header_are_people_times_the_unit(
    points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, tmp_path: Path, header: str,
    counts: tuple[str, str, str], rounded: str,
) -> None:
    # the same township populations as test_zone_table_with_a_total_row (3,700 and 12,600)
    a, b, total = counts
    table = read_table(write(tmp_path, f"乡镇,{header}\n甲镇,{a}\n乙乡,{b}\n合计,{total}\n"))
    demand = from_zone_table(points, zones, table, zone_key="name", table_key="乡镇",
                             count_col=header)
    np.testing.assert_allclose(demand["population"], ROW * 10, rtol=1e-12)  # 10 rows of points
    method = demand.attrs["population_method"]
    assert f"column {header!r} counts in" in method and rounded in method
    assert "total 16,300" in method


def test_counts_that_read_as_ten_thousands_stop_unless_the_header_says_people(
    points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    table = read_table(write(tmp_path, "乡镇,人口\n甲镇,0.37\n乙乡,1.26\n"))
    with pytest.raises(CensusError) as e:
        from_zone_table(points, zones, table, zone_key="name", table_key="乡镇",
                        count_col="人口")
    text = str(e.value)
    assert "'甲镇': '0.37'" in text and "1.6 people" in text
    assert "人口（万人）" in text and "人口（人）" in text and "[population] count_col" in text
    # the header says people: taken as written (1.63 people in all)
    people = read_table(write(tmp_path, "乡镇,人口（人）\n甲镇,0.37\n乙乡,1.26\n", "p.csv"))
    demand = from_zone_table(points, zones, people, zone_key="name", table_key="乡镇",
                             count_col="人口（人）")
    assert demand["population"].sum() == pytest.approx(1.63)
    # whole numbers, or any count of 1,000 or more, are people as before
    for text in ("乡镇,人口\n甲镇,37\n乙乡,126\n", "乡镇,人口\n甲镇,370.5\n乙乡,1260\n"):
        ok = read_table(write(tmp_path, text, "ok.csv"))
        from_zone_table(points, zones, ok, zone_key="name", table_key="乡镇", count_col="人口")


def test_a_unit_in_the_title_must_be_named_in_the_header(tmp_path: Path) -> None:
    # whole numbers in 万人, the unit only in a line above the header: read as people they
    # would be 5 people in all; the header must say it
    table = read_table(write(tmp_path, "单位：万人,\n乡镇,常住人口\n甲镇,3\n乙乡,2\n合计,5\n"))
    with pytest.raises(CensusError) as e:
        zone_table(table, table_key="乡镇", count_col="常住人口")
    assert "the title above the table says its unit is 万人" in str(e.value)
    assert "常住人口（万人）" in str(e.value) and "[population] count_col" in str(e.value)
    # named in the header: scaled; a title saying 人 changes nothing
    named = read_table(write(tmp_path, "单位：万人,\n乡镇,常住人口（万人）\n甲镇,3\n乙乡,2\n",
                             "n.csv"))
    assert "multiplied by 10,000" in zone_table(named, table_key="乡镇",
                                                 count_col="常住人口（万人）")[1][0]
    people = read_table(write(tmp_path, "县人口\n单位：人,\n乡镇,常住人口\n甲镇,3\n", "p.csv"))
    assert zone_table(people, table_key="乡镇", count_col="常住人口")[1] == []


def test_a_header_unit_that_makes_a_township_of_millions_stops(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "乡镇,常住人口（万人）\n甲镇,31415\n乙乡,20000\n"))
    with pytest.raises(CensusError, match=r"'甲镇' would then hold 314,150,000 people"):
        zone_table(table, table_key="乡镇", count_col="常住人口（万人）")


# --- codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["450223100000", " 450223100000 ", 450223100000, 450223100000.0, "450223100000.0",
     np.int64(450223100000), "４５０２２３１０００００"],
)
def test_township_code_forms(value: object) -> None:
    assert township_code(value) == "450223100000"


@pytest.mark.parametrize("value", ["鹿寨镇", "45022310000", "4502231000001", 4.5e11 + 0.5, None,
                                   "450223"])
def test_not_township_codes(value: object) -> None:
    assert township_code(value) is None


def test_scientific_notation_is_refused_with_the_fix() -> None:
    with pytest.raises(CensusError) as err:
        township_code("4.50223E+11", " in row 3")
    assert "'4.50223E+11' in row 3" in str(err.value)
    assert "文本" in str(err.value) and "lost" in str(err.value)


def test_codes_from_excel_numbers_join_text_codes(
    points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    # Excel stores codes typed without formatting as numbers; pandas writes int and float
    path = tmp_path / "pop.xlsx"
    pd.DataFrame({"代码": [450223100000, 450223203000.0], "人口": [3700, 12600]}).to_excel(
        path, index=False)
    table = read_table(path)
    demand = from_zone_table(points, zones, table, zone_key="code", table_key="代码",
                             count_col="人口")
    np.testing.assert_allclose(demand["population"], ROW * 10, rtol=1e-12)


def test_codes_mangled_by_excel_are_refused(
    points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    table = read_table(write(tmp_path, "代码,人口\n4.50223E+11,3700\n4.50223E+11,12600\n"))
    with pytest.raises(CensusError, match=r"'4.50223E\+11' in the table row 2.*文本"):
        from_zone_table(points, zones, table, zone_key="code", table_key="代码", count_col="人口")


def test_codes_keep_their_zeros(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "代码,人口\n450223001000,1\n001,2\n"))
    assert list(table["代码"]) == ["450223001000", "001"]


def test_code_table_against_name_zones_says_so(
    points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame
) -> None:
    table = pd.DataFrame({"代码": ["450223100000", "450223203000"], "人口": ["3700", "12600"]})
    with pytest.raises(GeoError, match="12-digit 统计用区划代码 but the zones' are not"):
        from_zone_table(points, zones, table, zone_key="name", table_key="代码", count_col="人口")


# --- township order -------------------------------------------------------------------------


def test_township_order_by_code() -> None:
    names = ["中渡镇", "鹿寨镇", "拉沟乡", "寨沙镇"]
    codes = ["450223102000", 450223100000, "450223203000", "450223103000.0"]
    assert township_order(names, codes) == ["鹿寨镇", "中渡镇", "寨沙镇", "拉沟乡"]
    assert township_order(names) == names  # no codes: as given


def test_township_order_refuses_gaps_and_repeats() -> None:
    with pytest.raises(CensusError, match=r"'乙' \('45022310'\)"):
        township_order(["甲", "乙"], ["450223100000", "45022310"])
    with pytest.raises(CensusError, match="more than one township"):
        township_order(["甲", "乙"], ["450223100000", "450223100000"])
    with pytest.raises(CensusError, match="listed twice"):
        township_order(["甲", "甲"])


def test_code_column_found_in_the_seats_file() -> None:
    seats = read_table(DATA / "boundaries" / "luzhai_township_seats.csv")
    assert find_code_column(seats) == "nbs_code_2016"
    order = township_order(seats["township"], seats["nbs_code_2016"])
    assert order == ["鹿寨镇", "中渡镇", "寨沙镇", "平山镇", "黄冕镇", "四排镇", "江口乡", "导江乡",
                     "拉沟乡"]
    assert find_code_column(seats.drop(columns="nbs_code_2016")) is None


def test_township_order_of_a_seat_table() -> None:
    seats = read_table(DATA / "boundaries" / "luzhai_township_seats.csv")
    shuffled = seats.iloc[[8, 0, 4, 2, 1, 7, 3, 6, 5]]
    by_code = ["鹿寨镇", "中渡镇", "寨沙镇", "平山镇", "黄冕镇", "四排镇", "江口乡", "导江乡",
               "拉沟乡"]
    assert township_order_of(shuffled, "township") == by_code  # nbs_code_2016 found
    assert township_order_of(shuffled, "township", "nbs_code_2016") == by_code
    plain = shuffled.drop(columns="nbs_code_2016")
    assert township_order_of(plain, "township") == list(plain["township"])  # file order
    with pytest.raises(CensusError, match="no column '代码'"):
        township_order_of(shuffled, "township", "代码")
