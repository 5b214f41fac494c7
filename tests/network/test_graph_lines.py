"""Network building: noding rules on tiny layers, and the real Luzhai backbone."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.errors import NetworkError
from geo.network.lines import build_network
from geo.readers import read_roads
from tests.conftest import DATA, UTM49, lines_gdf


def test_endpoint_gap_closed_by_connector() -> None:
    # two lines whose ends miss by 60 m (a tile cut after simplification)
    rows = [{"coords": [(0, 0), (1000, 0)], "highway": "primary"},
            {"coords": [(1060, 0), (2000, 0)], "highway": "primary"}]
    net = build_network(lines_gdf(rows), crs=UTM49, speeds_kmh={"primary": 36.0})
    assert net.report.connectors_endpoint == 1
    assert net.n_nodes == 4
    d = dijkstra(net.csr(), indices=net.nearest_node(*_lonlat(0, 0)))
    # 1,000 + 60 + 940 m at 10 m/s
    assert d[net.nearest_node(*_lonlat(2000, 0))] == pytest.approx(200.0, abs=1e-6)


def test_gap_wider_than_tolerance_is_not_closed() -> None:
    rows = [{"coords": [(0, 0), (1000, 0)], "highway": "primary"},
            {"coords": [(1150, 0), (5000, 0)], "highway": "primary"}]
    net = build_network(lines_gdf(rows), crs=UTM49, min_component_share=0)
    assert net.report.components == 2
    assert net.report.km == pytest.approx(3.85, abs=1e-6)  # the longer piece is kept
    assert net.report.km_dropped == pytest.approx(1.0, abs=1e-6)


def test_end_near_line_interior_joins_it() -> None:
    # a T junction whose stem stops 40 m short of the bar
    rows = [{"coords": [(0, 0), (2000, 0)], "highway": "trunk"},
            {"coords": [(1000, 40), (1000, 2000)], "highway": "primary"}]
    net = build_network(lines_gdf(rows), crs=UTM49)
    assert net.report.connectors_line == 1
    assert connected_components(net.csr(), directed=True, connection="strong")[0] == 1


def test_bridge_does_not_join_road_it_crosses() -> None:
    rows = [{"coords": [(0, 0), (2000, 0)], "highway": "primary", "brunnel": None},
            {"coords": [(1000, -1000), (1000, 1000)], "highway": "trunk", "brunnel": "bridge"}]
    net = build_network(lines_gdf(rows), crs=UTM49, min_component_share=0)
    assert net.report.crossings == 0 and net.report.components == 2


def test_disconnected_network_error_names_the_fix() -> None:
    # three parallel roads 1 km apart: the largest part holds a third of the road
    rows = [{"coords": [(0, y), (2000, y)], "highway": "primary"} for y in (0, 1000, 2000)]
    with pytest.raises(NetworkError, match=r"disconnected.*33%.*snap_tolerance_m"):
        build_network(lines_gdf(rows), crs=UTM49)


def test_bridge_sharing_a_vertex_does_not_join() -> None:
    # the crossing point is a vertex of both lines: still no junction for a bridge
    rows = [{"coords": [(0, 0), (1000, 0), (2000, 0)], "highway": "primary", "brunnel": ""},
            {"coords": [(1000, -1000), (1000, 0), (1000, 1000)], "highway": "trunk",
             "brunnel": "bridge"}]
    net = build_network(lines_gdf(rows), crs=UTM49, min_component_share=0)
    assert net.report.components == 2


def test_at_grade_crossing_joined() -> None:
    rows = [{"coords": [(0, 0), (2000, 0)], "highway": "primary"},
            {"coords": [(1000, -1000), (1000, 1000)], "highway": "trunk"}]
    net = build_network(lines_gdf(rows), crs=UTM49)
    assert net.report.crossings == 1 and net.n_nodes == 5


def test_construction_left_out_unless_asked() -> None:
    rows = [{"coords": [(0, 0), (1000, 0)], "highway": "primary", "construction": False},
            {"coords": [(1000, 0), (2000, 0)], "highway": "primary", "construction": True}]
    net = build_network(lines_gdf(rows), crs=UTM49)
    assert net.report.lines_construction_skipped == 1 and net.report.km == pytest.approx(1.0)
    net = build_network(lines_gdf(rows), crs=UTM49, include_construction=True)
    assert net.report.km == pytest.approx(2.0)


def test_speed_overrides_and_maxspeed() -> None:
    rows = [{"coords": [(0, 0), (1000, 0)], "highway": "primary", "maxspeed": None},
            {"coords": [(1000, 0), (2000, 0)], "highway": "primary", "maxspeed": "36"}]
    net = build_network(lines_gdf(rows), crs=UTM49, speeds_kmh={"primary": 72.0})
    # 1 km at 72 km/h = 50 s; 1 km at maxspeed 36 km/h = 100 s
    assert sorted(np.round(net.seg_fw_s, 6)) == [50.0, 100.0]


def test_unknown_class_named_in_error() -> None:
    rows = [{"coords": [(0, 0), (1000, 0)], "highway": "expressway_x"}]
    with pytest.raises(NetworkError, match=r"expressway_x.*speeds_kmh"):
        build_network(lines_gdf(rows), crs=UTM49)


def test_empty_network_error() -> None:
    empty = gpd.GeoDataFrame({"highway": []}, geometry=[], crs=4326)
    with pytest.raises(NetworkError, match="empty"):
        build_network(empty)
    rows = [{"coords": [(0, 0), (1000, 0)], "highway": "primary", "construction": True}]
    with pytest.raises(NetworkError, match="no road line is usable"):
        build_network(lines_gdf(rows), crs=UTM49)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    g = lines_gdf([{"coords": [(x, y), (x + 1, y)], "highway": "primary"}])
    c = g.geometry.iloc[0].coords[0]
    return c[0], c[1]


# ----------------------------------------------------------------- the real backbone

SEATS = {  # WGS84 township seats from data/boundaries/luzhai_township_seats.csv
    "鹿寨镇": (109.752928, 24.487206),
    "中渡镇": (109.693744, 24.682028),
    "平山镇": (109.564948, 24.664579),
}


@pytest.fixture(scope="module")
def backbone():  # type: ignore[no-untyped-def]
    return build_network(read_roads(DATA / "roads" / "luzhai_backbone.geojson"))


def test_backbone_is_one_component(backbone) -> None:  # type: ignore[no-untyped-def]
    n, _ = connected_components(backbone.csr(), directed=True, connection="strong")
    assert n == 1
    # 1,370 lines near Luzhai, 112 under construction; most of the rest is kept
    assert backbone.report.lines_read == 1370
    assert backbone.report.lines_construction_skipped == 112
    assert 1000 < backbone.n_nodes < 3000
    assert backbone.report.km > 0.8 * (backbone.report.km + backbone.report.km_dropped)


def test_backbone_route_county_seat_to_zhongdu(backbone) -> None:  # type: ignore[no-untyped-def]
    a = backbone.nearest_node(*SEATS["鹿寨镇"])
    b = backbone.nearest_node(*SEATS["中渡镇"])
    d = dijkstra(backbone.csr(), indices=a)[b] / 60.0
    # straight line ≈ 22 km: by trunk/primary roads at 60-70 km/h it must take at least
    # 22 km / 100 km/h = 13 min and, on a connected backbone, well under an hour
    assert 13.0 < d < 45.0
    xy = backbone.node_xy
    assert np.hypot(*(xy[a] - xy[b])) == pytest.approx(22_000, rel=0.15)


def test_z_order_by_hand() -> None:
    from geo.network.graph import z_order

    # a 2 x 2 block of cells visited in Z order: (0,0), (1,0), (0,1), (1,1)
    xy = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert z_order(xy).tolist() == [1, 3, 2, 0]
