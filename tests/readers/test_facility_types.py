"""The facility-type table and its resolver.

Expected codes come from the names planners use, written out here by hand (issue 12's list
and the Luzhai plan's wording), not from the table under test; the table is then checked
for internal consistency (every spelling back to its own code, none shadowing another) and
against the page that documents it (docs/facility-types.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from geo.coverage.standards import load_standards
from geo.coverage.tiers import tier_of
from geo.errors import ColumnError, FacilityTypeError, StandardError
from geo.readers import read_facilities
from geo.readers.facility_types import load_types, normalise

ROOT = Path(__file__).resolve().parents[2]

# the 13 codes the standards and scenarios use (analysis/standards.toml before this table)
CODES = [
    "county_general_hospital", "county_tcm_hospital", "county_mch_hospital", "county_cdc",
    "private_hospital", "emergency_rescue_center", "ems_station",
    "central_township_health_center", "township_health_center", "grade2_hospital",
    "community_health_service_center", "community_health_service_station", "village_clinic",
]  # fmt: skip

# names planners write -> the code they mean (issue 12; the Luzhai plan's annex)
PLANNER_NAMES = {
    "县人民医院": "county_general_hospital",
    "县医院": "county_general_hospital",
    "县级综合医院": "county_general_hospital",
    "人民医院": "county_general_hospital",
    "中医医院": "county_tcm_hospital",
    "中医院": "county_tcm_hospital",
    "妇幼保健院": "county_mch_hospital",
    "妇幼保健计划生育服务中心": "county_mch_hospital",
    "疾控中心": "county_cdc",
    "疾病预防控制中心": "county_cdc",
    "民营医院": "private_hospital",
    "私立医院": "private_hospital",
    "紧急医学救援中心": "emergency_rescue_center",
    "急救站": "ems_station",
    "120分站": "ems_station",
    "120 分站": "ems_station",
    "１２０分站": "ems_station",  # full-width digits
    "急救分站": "ems_station",
    "中心卫生院": "central_township_health_center",
    "乡镇卫生院": "township_health_center",
    "卫生院": "township_health_center",
    "社区卫生服务中心": "community_health_service_center",
    "社区卫生服务站": "community_health_service_station",
    "村卫生室": "village_clinic",
    "村卫生所": "village_clinic",
    "Township Health Center": "township_health_center",
    "township health centre": "township_health_center",
    "County-General-Hospital": "county_general_hospital",
    " village_clinic ": "village_clinic",
    "乡镇卫生院\u200b": "township_health_center",  # a zero-width space from a web page
}

# the tiers geo/coverage/tiers.py hard-coded before the table (county-township-village system)
OLD_TIERS = {
    "county_general_hospital": "county", "county_tcm_hospital": "county",
    "county_mch_hospital": "county", "county_cdc": "county", "private_hospital": "county",
    "emergency_rescue_center": "county", "ems_station": "county",
    "central_township_health_center": "township", "township_health_center": "township",
    "community_health_service_center": "community",
    "community_health_service_station": "community", "village_clinic": "village",
}  # fmt: skip


def test_the_table_has_the_13_codes_in_order() -> None:
    assert load_types().codes() == CODES


@pytest.mark.parametrize(("name", "code"), PLANNER_NAMES.items())
def test_planner_names_resolve(name: str, code: str) -> None:
    assert load_types().resolve([name]).codes == [code]


def test_every_spelling_in_the_table_resolves_to_its_own_code() -> None:
    table = load_types()
    for ftype in table.types.values():
        for name in ftype.names:
            assert table.lookup(name) == ftype.code, name
            assert table.lookup(name.upper()) == ftype.code, name
        assert table.tier_of(ftype.code) == ftype.tier


def test_no_spelling_names_two_types_or_an_ambiguous_name() -> None:
    table = load_types()
    seen: dict[str, str] = {}
    for ftype in table.types.values():
        for name in ftype.names:
            key = normalise(name)
            assert seen.setdefault(key, ftype.code) == ftype.code, name
            assert key not in table.ambiguous, name


def test_tiers_come_from_the_table_and_keep_the_old_values() -> None:
    for code, tier in OLD_TIERS.items():
        assert tier_of(code) == tier
    assert tier_of("grade2_hospital") == "township"  # an upgraded central health centre
    assert tier_of("dental_clinic") == "other"


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("医院", ["county_general_hospital", "private_hospital"]),
        ("综合医院", ["county_general_hospital", "private_hospital", "grade2_hospital"]),
        ("二级医院", ["county_general_hospital", "grade2_hospital"]),
        ("急救中心", ["ems_station", "emergency_rescue_center"]),
        ("120急救中心", ["ems_station", "emergency_rescue_center"]),
        ("社区卫生服务机构", ["community_health_service_center",
                              "community_health_service_station"]),
        ("社区医院", ["community_health_service_center", "township_health_center"]),
    ],
)
def test_ambiguous_names_are_never_guessed(name: str, codes: list[str]) -> None:
    with pytest.raises(FacilityTypeError) as err:
        load_types().resolve(["乡镇卫生院", name], rows=["row 2", "row 3"])
    message = str(err.value)
    assert f"{name!r} (row 3) is ambiguous" in message
    assert all(code in message for code in codes)
    assert "type_map" in message and "row 2" not in message


def test_unknown_names_list_rows_and_closest_names() -> None:
    values = ["乡镇卫生院", "卫生服务站", "卫生服务站", "牙科诊所", None, "村卫生室"]
    rows = [f"row {i}" for i in range(2, 8)]
    with pytest.raises(FacilityTypeError) as err:
        load_types().resolve(values, rows=rows, what="f.csv column '类别'")
    message = str(err.value)
    assert message.startswith("f.csv column '类别'")
    assert "'卫生服务站' (row 3, row 4) is not a known facility type" in message
    # the station is the closest spelling: 5 of its 7 characters match
    assert "closest: 社区卫生服务站 (community_health_service_station)" in message
    assert "'牙科诊所' (row 5)" in message
    assert "no type in row 6" in message
    assert "type_map" in message and "facility_types.toml" in message
    assert "row 2" not in message and "row 7" not in message


def test_type_map_wins_and_resolves_ambiguous_names() -> None:
    table = load_types()
    found = table.resolve(
        ["医院", "卫生院", "村所", "county_cdc"],
        type_map={"医院": "county_general_hospital", "卫生院": "central_township_health_center",
                  "村 所": "village_clinic"},
    )
    assert found.codes == ["county_general_hospital", "central_township_health_center",
                           "village_clinic", "county_cdc"]
    assert found.mapped == {"医院": 1, "卫生院": 1, "村所": 1}
    assert "医院 → county_general_hospital (1, type_map)" in found.note
    assert "county_cdc" not in found.note  # codes are not translations


def test_type_map_targets_must_be_codes() -> None:
    wrong = r"'township_health_centre'.*township_health_center"
    with pytest.raises(FacilityTypeError, match=wrong):
        load_types().resolve(["a"], type_map={"a": "township_health_centre"})


def test_codes_only_give_no_note() -> None:
    found = load_types().resolve(CODES)
    assert found.codes == CODES
    assert found.note == ""


def test_read_facilities_resolves_a_chinese_type_column(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "名称,类别,经度,纬度\n"
        "鹿寨县人民医院,县人民医院,109.75,24.48\n"
        "中渡镇中心卫生院,中心卫生院,109.69,24.68\n"
        "平山镇卫生院,卫生院,109.56,24.66\n"
        "某村,村医点,109.60,24.60\n",
        encoding="utf-8",
    )
    with pytest.raises(FacilityTypeError, match=r"'村医点' \(row 5\)"):
        read_facilities(path, type_col="类别")
    gdf = read_facilities(path, type_col="类别", type_map={"村医点": "village_clinic"})
    assert list(gdf["type"]) == ["county_general_hospital", "central_township_health_center",
                                 "township_health_center", "village_clinic"]
    assert list(gdf["类别"]) == ["县人民医院", "中心卫生院", "卫生院", "村医点"]
    assert list(gdf["type_input"]) == list(gdf["类别"])
    assert list(gdf["id"]) == ["F0001", "F0002", "F0003", "F0004"]
    notes = " | ".join(gdf.attrs["notes"])
    assert "县人民医院 → county_general_hospital (1)" in notes
    assert "村医点 → village_clinic (1, type_map)" in notes
    assert "F0001–F0004 in file order" in notes


def test_missing_type_column_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id,lon,lat\nA,109.5,24.5\n", encoding="utf-8")
    with pytest.raises(ColumnError, match=r"type_col") as err:
        read_facilities(path, type_col="类别")
    assert "'类别'" in str(err.value)


def test_standards_vocabulary_is_the_table() -> None:
    sset = load_standards(ROOT / "analysis" / "standards.toml")
    assert list(sset.facility_types) == CODES
    assert sset.facility_types["township_health_center"] == "乡镇卫生院 Township health centre"


def test_a_standards_file_type_outside_the_table_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "analysis" / "standards.toml").read_text(encoding="utf-8")
    bad = tmp_path / "standards.toml"
    bad.write_text('[facility_types]\ndental_clinic = "牙科诊所"\nvillage_clinic = "村卫生室"\n\n'
                   + text, encoding="utf-8")
    with pytest.raises(StandardError, match=r"\['dental_clinic'\].*facility_types.toml"):
        load_standards(bad)
    bad.write_text('[facility_types]\nvillage_clinic = "村卫生室"\n\n' + text, encoding="utf-8")
    assert "village_clinic" in load_standards(bad).facility_types  # a listed known code: fine


def test_malformed_tables_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "types.toml"
    path.write_text('[types.a]\nzh = "甲"\nen = "A"\ntier = "county"\naliases = ["乙"]\n'
                    '[types.b]\nzh = "乙"\nen = "B"\ntier = "county"\n', encoding="utf-8")
    with pytest.raises(FacilityTypeError, match="'乙' is a name of both a and b"):
        load_types(path)
    path.write_text('[types.a]\nzh = "甲"\nen = "A"\ntier = "city"\n', encoding="utf-8")
    with pytest.raises(FacilityTypeError, match="tier = 'city'"):
        load_types(path)


def test_docs_list_the_table() -> None:
    section = (ROOT / "docs" / "facility-types.md").read_text(encoding="utf-8")
    assert load_types().markdown() in section
    never = re.search(r"never guessed: (.+?)\.\n", section, re.S)
    assert never is not None
    listed = [n.strip() for n in re.split(r"[,/]", re.sub(r"\(.*?\)", "", never.group(1)))]
    ambiguous = load_types().ambiguous
    assert all(normalise(n) in ambiguous for n in listed), listed
    assert pd.Series(listed).is_unique
