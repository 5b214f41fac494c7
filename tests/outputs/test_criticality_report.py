"""``report.html`` of ``geo resilience --standard``: the roads that carry a standard, said in the
study's language, with the people each takes out of it counted by rerunning the study without
that piece (not read back from the ranking)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from geo.cli import main
from geo.network.closures import changed_network
from geo.numbers import people_text, round_half_up
from geo.outputs.planning_report import criticality_report
from geo.planning.resilience import criticality
from geo.study.run import ComputedStudy
from tests.bad_inputs.county import road_study

STD = "primary_care_30min"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> ComputedStudy:
    return road_study(tmp_path_factory.mktemp("critrep") / "示例县")


def test_the_report_names_the_roads_that_carry_the_standard(county: ComputedStudy) -> None:
    run = criticality(county, STD, minutes=12.0)  # a tight circle, so that cuts cost people
    page = criticality_report(run)
    net = county.networks["drive"]
    pop = county.demand["population"].to_numpy(dtype=float)
    towns = county.demand["township"].to_numpy()
    before = county.travel.minutes[STD]
    order, ptr = run.pieces.segments()  # type: ignore[union-attr]
    items = re.findall(r"<li>([^<]*中断：[^<]*)</li>", page)
    top = run.table[run.table["people_lost"] > 0].head(5)
    assert len(items) == len(top) > 0
    named: list[str] = []
    for item, p in zip(items, top["piece"], strict=True):
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        after = county.travel_to(county.facilities, {"drive": changed_network(net, closed)}
                                 ).minutes[STD]
        lost = (before <= 12.0) & ~(after <= 12.0)
        # the people and townships of the full rerun, as the sentence writes them: to 0.1 as
        # the tables keep people, then to whole persons (geo.numbers)
        people = people_text(round_half_up(float(pop[lost].sum()), 1))
        assert f"共 {people} 人失去该标准" in item, item
        here = list(dict.fromkeys(str(x) for x in towns[lost]))
        assert set(item.split("中断：")[1].split("共")[0].split("、")) == set(here), item
        named += [x for x in here if x not in named]
    head = re.search(r"这 (\d) 段道路承载着(.*?)的", page)
    assert head and int(head.group(1)) == len(top)
    assert set(head.group(2).split("、")) == set(named)
    assert "最关键的 15 段道路" in page


def test_cli_writes_the_report(county: ComputedStudy, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["resilience", str(county.study.path), "--standard", STD, "--minutes", "12",
                 "--out", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "段道路承载着" in page and "G323 国道323" in page


def test_a_piece_slower_than_the_way_round_it_is_not_called_a_detour(
        county: ComputedStudy) -> None:
    # a negative detour: a quicker route than the piece itself joins its ends (RA2CE's
    # single-link redundancy is negative there too); the sentence says so, never "-3.2 more"
    import dataclasses

    run = criticality(county, STD, minutes=12.0)
    table = run.table.copy()
    first = table.index[table["people_lost"] > 0][0]
    table.loc[first, "detour_minutes"] = -3.2
    page = criticality_report(dataclasses.replace(run, table=table))
    assert "两端之间另有一条更快的路线（快 3.2 分钟）" in page
    assert "绕行多 -" not in page and "绕行多 −" not in page


def test_an_unnamed_piece_is_named_in_chinese_and_a_named_one_keeps_its_ref() -> None:
    from geo.outputs.i18n import road_label

    assert road_label("unnamed trunk", "zh") == "未命名道路（OSM 等级 trunk）"
    assert road_label("unnamed trunk", "en") == "unnamed trunk"
    assert road_label("G323 桂海高速", "zh") == "G323 桂海高速"


def test_an_unnamed_piece_is_named_in_the_studys_language_in_every_output(
        county: ComputedStudy, tmp_path: Path) -> None:
    # the county's roads all have names: the first piece is made one without name or ref, as
    # geo.network.closures.road_label writes it, and the ranking written as geo resilience does
    import dataclasses

    import geopandas as gpd
    import openpyxl
    import pandas as pd

    from geo.outputs.planning import write_criticality

    run = criticality(county, STD, minutes=12.0)
    piece = int(run.table["piece"].iloc[0])
    table, lines = run.table.copy(), run.lines.copy()
    table.loc[table["piece"] == piece, "road"] = "unnamed track"
    lines.loc[lines["piece"] == piece, "road"] = "unnamed track"
    write_criticality(dataclasses.replace(run, table=table, lines=lines), tmp_path / "out")
    out, zh = tmp_path / "out", "未命名道路（OSM 等级 track）"
    csv = pd.read_csv(out / "criticality.csv", encoding="utf-8-sig")
    assert csv.loc[csv["piece"] == piece, "road"].tolist() == ["unnamed track"]  # codes
    layer = gpd.read_file(out / "criticality.gpkg", layer="criticality")
    assert layer.loc[layer["piece"] == piece, "road"].tolist() == [zh]
    cells = {str(c.value) for row in openpyxl.load_workbook(out / "criticality.xlsx"
                                                            ).worksheets[0].iter_rows()
             for c in row}
    assert zh in cells and not any("unnamed" in c for c in cells)
    for page in ("criticality_map.html", "report.html"):  # the map's tips are JSON-escaped
        text = (out / page).read_text(encoding="utf-8")
        assert zh in text or json.dumps(zh)[1:-1] in text, page
        assert "unnamed track" not in text, page
