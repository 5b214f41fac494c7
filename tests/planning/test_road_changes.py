"""close_road and slow_road: which segments they name, and a comparison that equals a
study on the road layer rebuilt without (or with slower) roads.

The county is the synthetic 示例县 (tests/synthetic_county.py): a grid of township roads
every 2 km (乡道 k) and the national road 国道323 (ref G323) across row 4; its lines are
straight runs of vertices every 500 m, so every expected segment set below comes from the
construction (the line's geometry), not from geo's output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo import settings
from geo.errors import ScenarioError
from geo.network.closures import segments_named, segments_of_ways, segments_touching
from geo.network.graph import Network, on_time_grid
from geo.network.osm import network_from_osm
from geo.network.sources import RoadOptions, networks_from_lines
from geo.outputs.i18n import change_detail
from geo.planning.compare import compare
from geo.study.run import ComputedStudy
from tests.bad_inputs.county import road_study
from tests.synthetic_county import GK, TO_WGS84, X0, Y0, road_layer, write_osm

TRUNK_Y = Y0 + 9000.0  # row 4 of the grid: the national road
TRUNK_WAY = 20  # write_osm numbers ways from 1: 15 north-south lines, then row 0, 1, ...


def _on_line(net: Network, line_gk: shapely.LineString) -> np.ndarray:
    """Segments whose both ends lie on a line given in Gauss-Krüger metres."""
    tr = Transformer.from_crs(GK, net.crs, always_xy=True)
    line = shapely.transform(line_gk, lambda xy: np.column_stack(tr.transform(*xy.T)))
    a = shapely.points(net.node_xy[net.seg_u])
    b = shapely.points(net.node_xy[net.seg_v])
    return (shapely.distance(a, line) < 0.01) & (shapely.distance(b, line) < 0.01)


TRUNK = shapely.LineString([(X0 - 1, TRUNK_Y), (X0 + 30_001, TRUNK_Y)])


@pytest.fixture(scope="module")
def lines_net() -> Network:
    return networks_from_lines(road_layer(), ["drive"])["drive"]


@pytest.fixture(scope="module")
def osm_net(tmp_path_factory: pytest.TempPathFactory) -> Network:
    pbf = tmp_path_factory.mktemp("osm") / "county.osm.pbf"
    write_osm(pbf)
    return network_from_osm(pbf)


def test_a_ref_names_the_national_road_on_a_line_layer(lines_net: Network) -> None:
    seg = segments_named(lines_net, "g 323")  # case and spaces do not count
    want = _on_line(lines_net, TRUNK)
    assert want.sum() == 60  # 30 km in 500 m steps
    assert np.array_equal(seg, want)
    assert np.array_equal(segments_named(lines_net, "国道323"), want)


def test_way_id_and_ref_name_the_same_segments_on_an_osm_extract(osm_net: Network) -> None:
    want = _on_line(osm_net, TRUNK)
    assert want.sum() == 60
    assert np.array_equal(segments_of_ways(osm_net, [TRUNK_WAY]), want)
    assert np.array_equal(segments_named(osm_net, "G323"), want)
    with pytest.raises(ScenarioError, match=r"way_ids \[999\] name no road"):
        segments_of_ways(osm_net, [999])


def test_unknown_name_suggests_the_closest(lines_net: Network) -> None:
    with pytest.raises(ScenarioError, match=r"'G332' matches no road.*did you mean 'G323'"):
        segments_named(lines_net, "G332")


def test_polygon_closes_every_segment_it_touches(lines_net: Network) -> None:
    # a box around the crossing of the first north-south road and the national road
    box_gk = shapely.box(X0 + 800, TRUNK_Y - 300, X0 + 1300, TRUNK_Y + 200)
    seg = segments_touching(lines_net, shapely.transform(
        box_gk, lambda xy: np.column_stack(TO_WGS84.transform(*xy.T))))
    # by hand: along the national road, x 500-1000 and 1000-1500; along the north-south
    # road at x 1000, y -500..0 and 0..+500 around the crossing
    tr = Transformer.from_crs(lines_net.crs, GK, always_xy=True)
    ends = [np.column_stack(tr.transform(*lines_net.node_xy[s].T)) - [X0, TRUNK_Y]
            for s in (lines_net.seg_u[seg], lines_net.seg_v[seg])]
    got = sorted(tuple(sorted([tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int))]))
                 for a, b in zip(*ends, strict=True))
    assert got == [((500, 0), (1000, 0)), ((1000, -500), (1000, 0)),
                   ((1000, 0), (1000, 500)), ((1000, 0), (1500, 0))]


# --------------------------------------------------------------------------- comparisons


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> ComputedStudy:
    return road_study(tmp_path_factory.mktemp("close") / "示例县")


def _scenario(folder: Path, name: str, action: str) -> Path:
    p = folder / f"{name}.toml"
    p.write_text(f'[scenario]\nname = "{name}"\ntitle = "{name}"\n\n[[actions]]\n{action}\n',
                 encoding="utf-8")
    return p


def _rebuilt(res: ComputedStudy, layer) -> dict[str, Network]:  # type: ignore[no-untyped-def]
    return networks_from_lines(layer, ["drive"], RoadOptions())


def test_closing_the_national_road_equals_the_layer_without_it(county: ComputedStudy) -> None:
    comp = compare(county, _scenario(county.study.path.parent, "g323",
                                     'action = "close_road"\nroad = "G323"'))
    layer = road_layer()
    without = layer[layer["ref"] != "G323"].reset_index(drop=True)
    nets = _rebuilt(county, without)
    std = "primary_care_30min"
    want = county.travel_to(county.facilities, nets).minutes[std]
    got = comp.minutes_after[std]
    differ = np.flatnonzero(got != want)
    # a point equally near two open roads may join either: only such ties may differ
    net = nets["drive"]
    lines = shapely.linestrings(np.stack([net.node_xy[net.seg_u], net.node_xy[net.seg_v]], 1))
    xy = county.demand.geometry.to_crs(net.crs)
    for i in differ:
        d = np.sort(shapely.distance(shapely.Point(xy.x.iloc[i], xy.y.iloc[i]), lines))
        assert d[1] - d[0] < 1e-6, (i, got[i], want[i])
    assert len(differ) <= 5
    # closing never helps a point that keeps its road (one that joins another road may
    # gain: the nearest road is not always the quickest)
    stays = ~segments_named(county.networks["drive"], "G323")[county.demand_snap("drive").seg]
    assert (got[stays] >= comp.minutes_before[std][stays]).all()
    assert (got > comp.minutes_before[std]).sum() > 50
    row = comp.applied.changes.iloc[0]
    assert row["detail"] == "closed: G323 国道323, 30.0 km (drive)"
    # as the workbook, report, GeoPackage, map and workbench of this Chinese study say it
    assert change_detail("close_road", row["detail"], "zh") == \
        "封闭：G323 国道323，30.0 公里（机动车）"
    assert change_detail("close_road", row["detail"], "en") == row["detail"]
    assert any("stood on a closed road and join the nearest open road" in n for n in comp.notes)


def test_slowing_a_road_equals_the_layer_with_its_maxspeed_halved(
        county: ComputedStudy) -> None:
    comp = compare(county, _scenario(county.study.path.parent, "slow",
                                     'action = "slow_road"\nroad = "G323"\nfactor = 0.5'))
    layer = road_layer()
    layer["maxspeed"] = np.where(layer["ref"] == "G323",
                                 settings.default_speeds("drive")["trunk"] * 0.5, np.nan)
    nets = _rebuilt(county, layer)
    std = "primary_care_30min"
    want = county.travel_to(county.facilities, nets).minutes[std]
    np.testing.assert_allclose(comp.minutes_after[std], want, rtol=0, atol=1e-9)
    assert (comp.minutes_after[std] > comp.minutes_before[std]).sum() > 50
    assert comp.applied.changes.iloc[0]["detail"] == "speed x 0.5: G323 国道323, 30.0 km (drive)"
    assert change_detail("slow_road", comp.applied.changes.iloc[0]["detail"], "zh") == \
        "车速乘以 0.5：G323 国道323，30.0 公里（机动车）"


def test_slowed_segment_times_are_the_times_divided_by_the_factor(lines_net: Network) -> None:
    from geo.network.closures import changed_network

    seg = segments_named(lines_net, "G323")
    f = np.where(seg, 0.25, 1.0)
    out = changed_network(lines_net, np.zeros(len(seg), bool), f)
    assert np.array_equal(out.seg_fw_s[seg], on_time_grid(lines_net.seg_fw_s[seg] * 4))
    assert np.array_equal(out.seg_fw_s[~seg], lines_net.seg_fw_s[~seg])
    assert np.array_equal(out.seg_u, lines_net.seg_u)  # numbering kept


def test_a_hazard_layer_in_another_crs_closes_what_the_same_polygon_closes(
        county: ComputedStudy) -> None:
    import geopandas as gpd

    from geo.planning.hazard import hazard_comparison

    folder = county.study.path.parent
    box_gk = shapely.box(X0 - 500, Y0 + 3500, X0 + 30_500, Y0 + 4500)  # cuts the county in two
    gpd.GeoDataFrame({"note": ["示意 (illustrative)"]}, geometry=[box_gk], crs=GK).to_file(
        folder / "flood.gpkg")
    corners = np.column_stack(TO_WGS84.transform(*np.asarray(box_gk.exterior.coords).T))
    poly = ", ".join(f"[{float(x)!r}, {float(y)!r}]" for x, y in corners[:-1])
    by_hand = compare(county, _scenario(folder, "strip",
                                        f'action = "close_road"\npolygon = [{poly}]'))
    hazard = hazard_comparison(county, [folder / "flood.gpkg"])
    std = "primary_care_30min"
    np.testing.assert_array_equal(hazard.minutes_after[std], by_hand.minutes_after[std])
    assert hazard.notes[0] == "hazard flood.gpkg: 示意 (illustrative)"
    assert any("are cut off from most of the road network" in n and "(F01)" in n
               for n in hazard.notes)


def _wgs84_pt(x: float, y: float) -> list[float]:
    lon, lat = TO_WGS84.transform(x, y)
    return [float(lon), float(lat)]


def test_a_point_picks_the_stretch_of_the_nearest_road_between_its_junctions(
        lines_net: Network, osm_net: Network) -> None:
    from geo.planning.road_changes import selected_segments

    # 100 m north of the national road, 200 m east of its 2000 m vertex: the north-south
    # township roads cross it at x = 1000 and 3000 (800 m and more away), so the stretch
    # between those two junctions closes, 4 segments of 500 m
    lon, lat = _wgs84_pt(X0 + 2200, TRUNK_Y + 100)
    want_gk = shapely.LineString([(X0 + 1000, TRUNK_Y), (X0 + 3000, TRUNK_Y)])
    for net in (lines_net, osm_net):
        want = _on_line(net, want_gk)
        assert want.sum() == 4
        got = selected_segments(net, {"action": "close_road", "lon": lon, "lat": lat})
        assert np.array_equal(got, want)
    # a point 5 km from every road (in GK metres; the network's metric CRS is another) picks
    # nothing: it stops and says how far it is
    far = _wgs84_pt(X0 - 5000, TRUNK_Y)
    with pytest.raises(ScenarioError, match=r"lies (4,99|5,00)\d m from the nearest road"):
        selected_segments(lines_net, {"action": "close_road", "lon": far[0], "lat": far[1]})


def test_a_line_drawn_closes_the_segments_it_crosses(lines_net: Network) -> None:
    from geo.planning.road_changes import selected_segments

    # drawn north-south across the national road at x = 2200: it crosses the 2000-2500 m
    # segment only (the township roads at x = 1000 and 3000 are far from it)
    line = [_wgs84_pt(X0 + 2200, TRUNK_Y - 300), _wgs84_pt(X0 + 2200, TRUNK_Y + 300)]
    got = selected_segments(lines_net, {"action": "close_road", "line": line})
    want = _on_line(lines_net, shapely.LineString([(X0 + 2000, TRUNK_Y), (X0 + 2500, TRUNK_Y)]))
    assert want.sum() == 1 and np.array_equal(got, want)


def test_a_picked_road_in_a_scenario_closes_on_every_comparison_alike(
        county: ComputedStudy) -> None:
    # the same stretch by a point and by a polygon around its four segments only
    lon, lat = _wgs84_pt(X0 + 2200, TRUNK_Y + 100)
    box = shapely.box(X0 + 1100, TRUNK_Y - 50, X0 + 2900, TRUNK_Y + 50)
    corners = np.column_stack(TO_WGS84.transform(*np.asarray(box.exterior.coords).T))
    poly = ", ".join(f"[{float(x)!r}, {float(y)!r}]" for x, y in corners[:-1])
    folder = county.study.path.parent
    by_point = compare(county, _scenario(folder, "point",
                                         f'action = "close_road"\nlon = {lon!r}\nlat = {lat!r}'))
    by_box = compare(county, _scenario(folder, "box",
                                       f'action = "close_road"\npolygon = [{poly}]'))
    for std in by_box.minutes_after:
        np.testing.assert_array_equal(by_point.minutes_after[std], by_box.minutes_after[std])
    assert by_point.applied.changes.iloc[0]["detail"] == "closed: G323 国道323, 2.0 km (drive)"
