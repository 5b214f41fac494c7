"""``geo resilience``: every road piece of the synthetic county cut alone, against the study
rerun on the network with that piece closed (the study's own joins and search, afresh)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

import geo
from geo.cli import main
from geo.network.closures import changed_network
from geo.planning.resilience import criticality
from geo.planning.sites import make_candidates
from geo.study.run import ComputedStudy
from tests.bad_inputs.county import road_study

STD = "primary_care_30min"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> ComputedStudy:
    return road_study(tmp_path_factory.mktemp("resil") / "示例县")


def test_every_piece_equals_the_study_rerun_without_it(county: ComputedStudy) -> None:
    run = criticality(county, STD, minutes=12.0)  # a tight circle, so that cuts cost people
    net = county.networks["drive"]
    pop = county.demand["population"].to_numpy(dtype=float)
    before = county.travel.minutes[STD]
    order, ptr = run.pieces.segments()  # type: ignore[union-attr]
    by_piece = run.table.set_index("piece")
    for p in range(run.pieces.n):  # type: ignore[union-attr]
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        after = county.travel_to(county.facilities, {"drive": changed_network(net, closed)}
                                 ).minutes[STD]
        lost = (before <= 12.0) & ~(after <= 12.0)
        row = by_piece.loc[p]
        assert row["people_lost"] == pytest.approx(round(pop[lost].sum(), 1), abs=0.051), p
        fin = np.isfinite(after)
        pm = (pop[fin] * (after[fin] - before[fin])).sum()
        assert row["person_minutes_added"] == pytest.approx(pm, abs=0.51), p
        towns = set(county.demand["township"].to_numpy()[lost])
        assert set(filter(None, str(row["townships_losing"]).split("、"))) == towns, p
    assert run.table["people_lost"].iloc[0] > 0
    assert list(run.table["rank"]) == list(range(1, len(run.table) + 1))
    assert run.table["people_lost"].is_monotonic_decreasing


def test_cli_writes_the_ranking(county: ComputedStudy, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["resilience", str(county.study.path), "--standard", STD, "--minutes", "12",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out / "criticality.csv", encoding="utf-8-sig")
    assert list(table.columns[:3]) == ["rank", "piece", "road"]
    assert table["road"].str.contains("G323 国道323").any()
    text = pd.read_csv(out / "criticality.csv", encoding="utf-8-sig", dtype=str)
    for col in ("lon_a", "lat_a", "lon_b", "lat_b"):  # places written to 6 decimals (0.1 m)
        assert text[col].str.fullmatch(r"-?\d+(\.\d{1,6})?").all(), text[col].head()
    layer = gpd.read_file(out / "criticality.gpkg", layer="criticality")
    assert len(layer) == len(table) and layer.geometry.notna().all()
    assert (layer["people_lost"].to_numpy() == table["people_lost"].to_numpy()).all()
    wb = openpyxl.load_workbook(out / "criticality.xlsx")
    assert wb.sheetnames[0] == "道路关键性"  # the study's language
    summary = (out / "criticality_summary.txt").read_text(encoding="utf-8")
    assert "each cut alone" in summary
    assert "道路关键性" in (out / "criticality_map.html").read_text(encoding="utf-8")


def test_suggested_link_restores_what_geo_compare_of_its_scenario_gives(
        county: ComputedStudy, tmp_path: Path) -> None:
    """People restored by each suggested link equal geo compare of the scenario written for it.

    The scenario (the piece closed, the link added) is read back by geo compare, which rebuilds
    the network with the link: the people within 12 min before, not after the cut alone, and
    within 12 min again after the scenario are counted from compare's own minutes.
    """
    out = tmp_path / "out"
    assert main(["resilience", str(county.study.path), "--standard", STD, "--minutes", "12",
                 "--fixes", "3", "--out", str(out)]) == 0
    fixes = pd.read_csv(out / "criticality_fixes.csv", encoding="utf-8-sig")
    ranking = pd.read_csv(out / "criticality.csv", encoding="utf-8-sig")
    assert len(fixes) == min(3, int((ranking["people_lost"] > 0).sum())) > 0
    written = pd.read_csv(out / "criticality_fixes.csv", encoding="utf-8-sig", dtype=str)
    for col in ("lon_from", "lat_from", "lon_to", "lat_to", "site_lon", "site_lat"):
        assert written[col].dropna().str.fullmatch(r"-?\d+(\.\d{1,6})?").all(), col
    pop = county.demand["population"].to_numpy(dtype=float)
    before = county.travel.minutes[STD]
    net = county.networks["drive"]
    run = criticality(county, STD, minutes=12.0)
    order, ptr = run.pieces.segments()  # type: ignore[union-attr]
    checked = 0
    for f in fixes.to_dict("records"):
        if pd.isna(f["scenario"]):
            continue
        # the cut alone, on the study's own network (not the suggestion's code)
        p = int(ranking.loc[ranking["rank"] == f["rank"], "piece"].iloc[0])
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        cut = county.travel_to(county.facilities, {"drive": changed_network(net, closed)}
                               ).minutes[STD]
        lost = (before <= 12.0) & ~(cut <= 12.0)
        assert f["people_lost"] == pytest.approx(pop[lost].sum(), abs=0.051)
        comp = geo.compare(county, out / str(f["scenario"]))  # geo compare accepts it
        assert set(comp.applied.changes["action"]) == {"close_road", "add_road"}
        after = comp.minutes_after[STD]
        restored = pop[lost & (after <= 12.0)].sum()
        assert f["people_restored"] == pytest.approx(restored, abs=0.051), f
        # the link is a straight line of link_km between the nodes written
        a = shapely.Point(f["lon_from"], f["lat_from"])
        b = shapely.Point(f["lon_to"], f["lat_to"])
        km = gpd.GeoSeries([a, b], crs=4326).to_crs(net.crs).distance(
            gpd.GeoSeries([b, a], crs=4326).to_crs(net.crs)).iloc[0] / 1000.0
        assert f["link_km"] == pytest.approx(km, abs=0.006)
        checked += 1
    for f in fixes.to_dict("records"):  # the facility: the study's search, piece cut, site added
        if pd.isna(f["site_scenario"]):
            continue
        p = int(ranking.loc[ranking["rank"] == f["rank"], "piece"].iloc[0])
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        cut_net = {"drive": changed_network(net, closed)}
        lost = (before <= 12.0) & ~(county.travel_to(county.facilities, cut_net
                                                     ).minutes[STD] <= 12.0)
        new = county.facilities.iloc[:1].copy()
        new["id"], new["type"] = "NEW", f["site_type"]
        new["geometry"] = gpd.points_from_xy([f["site_lon"]], [f["site_lat"]], crs=4326)
        with_site = pd.concat([county.facilities, new.to_crs(county.facilities.crs)],
                              ignore_index=True)
        after = county.travel_to(with_site, cut_net).minutes[STD]
        assert f["site_people_restored"] == pytest.approx(pop[lost & (after <= 12.0)].sum(),
                                                          abs=0.051)
        if f["rank"] == fixes["rank"].iloc[0]:  # no grid candidate within 5 km restores more
            grid = make_candidates(county, "grid").to_crs(net.crs)
            pts = county.demand.to_crs(net.crs)
            near = pts[lost].geometry.union_all().buffer(5000.0)
            inside = grid[grid.within(near)]
            assert len(inside) >= f["site_candidates"] > 0
            for c in inside.geometry:
                new["geometry"] = gpd.GeoSeries([c], crs=net.crs).to_crs(
                    county.facilities.crs).to_numpy()
                alt = county.travel_to(pd.concat([county.facilities, new], ignore_index=True),
                                       cut_net).minutes[STD]
                assert pop[lost & (alt <= 12.0)].sum() <= f["site_people_restored"] + 0.051
        comp = geo.compare(county, out / str(f["site_scenario"]))
        assert pop[lost & (comp.minutes_after[STD] <= 12.0)].sum() == pytest.approx(
            f["site_people_restored"], abs=0.051)
        checked += 1
    assert (fixes["site_people_restored"] > 0).any()
    assert checked > 0 and (fixes["people_restored"].fillna(0) > 0).any()
    assert main(["compare", str(county.study.path), "--scenario",
                 str(out / str(fixes["scenario"].dropna().iloc[0])),
                 "--out", str(tmp_path / "cmp")]) == 0
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "新修一段" in report and "suggested fixes" in report
    sheet = openpyxl.load_workbook(out / "criticality.xlsx")["修复建议"]
    rows = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert [r[3] for r in rows] == [None if pd.isna(x) else pytest.approx(x, abs=0.51)
                                    for x in fixes["people_restored"]]
