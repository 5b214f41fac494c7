"""Chinese pages gloss every assumption line the readers and checks write in English."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.coverage.population import zone_table
from geo.network.graph import NetworkReport
from geo.outputs.i18n import note, scope_note
from geo.readers import read_facilities, read_table
from geo.study.run import run_study

ROOT = Path(__file__).resolve().parent.parent.parent


def _glossed(line: str) -> bool:
    out = note(line, "zh")
    return out != line and out.endswith(f"（{line}）") and note(line, "en") == line


def test_every_assumption_of_the_demo_is_glossed_in_chinese() -> None:
    lines = run_study(ROOT / "analysis" / "luzhai.toml").assumptions
    # a line of geo.coverage.kinds is written wholly in Chinese (scope_note), not glossed
    assert lines and [a for a in lines if not _glossed(a) and not a.startswith("不适用")
                      and not _in_chinese(a)] == []


def _in_chinese(line: str) -> bool:
    out = scope_note(line, "zh")
    return out is not None and "不适用" in out and "not applicable" not in out


def test_the_readers_notes_are_glossed(tmp_path: Path) -> None:
    table = tmp_path / "人口.csv"
    table.write_text("县人口表\n乡镇,人口（万人）\n甲镇,1.5\n乙乡,2.5\n合计,4.0\n",
                     encoding="utf-8")
    read = read_table(table)
    _, notes = zone_table(read, table_key="乡镇", count_col="人口（万人）")
    fac = tmp_path / "机构.csv"
    fac.write_text("name,type,lon,lat\n甲镇卫生院,乡镇卫生院,109.7,24.4\n", encoding="utf-8")
    facilities = read_facilities(fac, crs="cgcs2000")
    report = [line for line in NetworkReport(maxspeed_ignored={"CN:urban": 3}).lines()
              if "maxspeed" in line]
    types = "facility types read from names: 乡镇卫生院 → township_health_center (1)"
    lines = [*read.attrs["notes"], *notes, *facilities.attrs["notes"], *report, types]
    for wanted in ("the header is row", "counts in 万人", "taken as WGS84", "has no id column",
                   "maxspeed not used"):
        assert any(wanted in line for line in lines), wanted
    unglossed = [line for line in lines if not _glossed(line)]
    assert [u for u in unglossed if "total row" not in u] == []  # said beside its table


@pytest.mark.parametrize("language", ["zh", "en"])
def test_not_applicable_reads_as_a_sentence(language: str) -> None:
    line = "not applicable: no facility of types ['village_clinic'] in this study"
    assert note(line, language) in ("不适用：本研究区没有村卫生室",
                                    "not applicable: this study has no village clinic")


def test_every_scenario_action_has_a_name_in_both_languages() -> None:
    # the comparison's workbook, report, map and GeoPackage legend name each action
    from geo.outputs.i18n import action_label
    from geo.planning.scenario import ACTIONS

    for action in ACTIONS:
        zh, en = action_label(action, "zh"), action_label(action, "en")
        assert zh != action and en != action and zh != en, action
        assert any("\u4e00" <= c <= "\u9fff" for c in zh), (action, zh)


def test_what_a_road_action_names_is_said_in_chinese() -> None:
    # each kind of selector, labelled by the scenario code itself, then said in Chinese
    from geo.outputs.i18n import road_change_id
    from geo.planning.scenario import road_change_label

    cases = [
        ({"geometry": object(), "project": "flood.geojson"}, "flood.geojson 范围内的道路"),
        ({"road": "G323"}, "道路 G323"),
        ({"way_ids": [11, 12, 13, 14]}, "OSM 路段 11, 12, 13 ..."),
        ({"line": [[109.7, 24.6], [109.8, 24.6]]}, "2 点折线穿过的道路"),
        ({"lon": 109.7, "lat": 24.6}, "距经度 109.70000、纬度 24.60000 最近的道路"),
        ({"polygon": [[0, 0], [1, 0], [1, 1], [0, 0]]}, "4 个角点的多边形内的道路"),
    ]
    for action, zh in cases:
        label = road_change_label(action)
        assert road_change_id(label, "zh") == zh, label
        assert road_change_id(label, "en") == label
