"""Single-piece criticality equals a full rerun with the piece closed, piece by piece.

Every piece of a hand-built network (a grid with a one-way street, a dead-end spur, a
parallel pair of roads and a loop), of the synthetic county's OSM extract and of the
embedded Luzhai road layer is cut alone; the incremental answer (people lost, person-
minutes, isolation, every changed point's new minutes) must equal what a fresh search on
the network with the piece closed gives (facilities and points on it joined to the
nearest open road by snap_points on that network), and the detour between the piece's
ends must equal networkx's shortest path on the graph without the piece.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from geo.network.closures import changed_network
from geo.network.graph import Network
from geo.network.osm import network_from_osm
from geo.network.sources import networks_from_lines, networks_from_source
from geo.routing.criticality import PieceImpact, Pieces, piece_impacts, road_pieces
from geo.routing.travel import nearest_facility, snap_points
from tests.conftest import ROOT
from tests.synthetic_county import write_osm

SPEED = 25.0  # km/h access legs


def _hand_network() -> Network:
    """A 6 x 6 grid of about 1 km with jittered crossings (so that few routes tie) and
    roads of mixed classes, a one-way street, a dead-end spur and a quicker road beside
    the southern row."""
    rng = np.random.default_rng(0)
    lon0, lat0, d = 109.5, 24.5, 0.01
    k = 6
    node = np.stack(np.meshgrid(np.arange(k), np.arange(k), indexing="ij"), -1) * d
    node = node + rng.uniform(-0.3 * d, 0.3 * d, node.shape) + [lon0, lat0]
    classes = ["tertiary", "residential", "secondary", "unclassified"]
    rows = []
    for i in range(k):
        rows.append(([tuple(node[j, i]) for j in range(k)], classes[i % 4], "no"))
        rows.append(([tuple(node[i, j]) for j in range(k)], classes[(i + 1) % 4],
                     "yes" if i == 2 else "no"))  # one one-way street
    east = node[k - 1, 2]
    rows.append(([tuple(east), (east[0] + 2 * d, east[1] + 0.3 * d),
                  (east[0] + 3 * d, east[1] + 0.1 * d)], "unclassified", "no"))  # a spur
    tip = (east[0] + 3 * d, east[1] + 0.1 * d)
    for dy in (-1.5, 1.5):  # that forks into two valleys: the spur is their only way out
        rows.append(([tip, (tip[0] + 1.2 * d, tip[1] + dy * d)], "unclassified", "no"))
    rows.append(([tuple(node[0, 0]), (lon0 + 2 * d, lat0 - 0.8 * d), tuple(node[k - 1, 0])],
                 "primary", "no"))  # a quicker road beside the southern row
    gdf = gpd.GeoDataFrame({"highway": [r[1] for r in rows], "oneway": [r[2] for r in rows]},
                           geometry=[shapely.LineString(r[0]) for r in rows], crs=4326)
    return networks_from_lines(gdf, ["drive"])["drive"]


def _points(net: Network, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    return lo + rng.random((n, 2)) * (hi - lo)


def _rerun(net: Network, fac_xy: np.ndarray, dem_xy: np.ndarray, closed: np.ndarray,
           direction: str, direct: bool = True) -> np.ndarray:
    cut = changed_network(net, closed)
    fac, dem = snap_points(cut, fac_xy, exclude_classes=()), snap_points(cut, dem_xy,
                                                                        exclude_classes=())
    secs, _ = nearest_facility(cut, fac, dem, access_speed_kmh=SPEED, direction=direction,
                               direct=direct)
    return secs / 60.0


def _nx_detour(net: Network, closed: np.ndarray, a: int, b: int, direction: str) -> float:
    g = nx.DiGraph()
    fw, bw = (net.seg_fw_s, net.seg_bw_s) if direction == "from_facility" else \
        (net.seg_bw_s, net.seg_fw_s)
    for s in np.flatnonzero(~closed):
        for x, y, w in ((net.seg_u[s], net.seg_v[s], fw[s]), (net.seg_v[s], net.seg_u[s], bw[s])):
            if np.isfinite(w) and (not g.has_edge(x, y) or g[x][y]["w"] > w):
                g.add_edge(int(x), int(y), w=float(w))
    try:
        return float(nx.shortest_path_length(g, a, b, weight="w"))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return np.inf


def _check_every_piece(net: Network, fac_xy: np.ndarray, dem_xy: np.ndarray,
                       pop: np.ndarray, minutes: float | None, direction: str,
                       detours: bool = True) -> tuple[Pieces, PieceImpact]:
    fac = snap_points(net, fac_xy, exclude_classes=())
    dem = snap_points(net, dem_xy, exclude_classes=())
    before = nearest_facility(net, fac, dem, access_speed_kmh=SPEED, direction=direction)[0]
    by_road = nearest_facility(net, fac, dem, access_speed_kmh=SPEED, direction=direction,
                               direct=False)[0]
    minutes = float(np.median(before)) / 60.0 if minutes is None else minutes
    pieces, imp = piece_impacts(net, fac, dem, pop, minutes, access_speed_kmh=SPEED,
                                direction=direction)
    np.testing.assert_array_equal(imp.minutes_before, before / 60.0)
    order, ptr = pieces.segments()
    for p in range(pieces.n):
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        want = _rerun(net, fac_xy, dem_xy, closed, direction)
        got = imp.minutes_before.copy()
        sl = slice(imp.changed_ptr[p], imp.changed_ptr[p + 1])
        got[imp.changed[sl]] = imp.minutes_after[sl]
        np.testing.assert_array_equal(got, want, err_msg=f"piece {p}")
        b = imp.minutes_before
        lost = (b <= minutes) & ~(want <= minutes)
        assert imp.people_lost[p] == pytest.approx(pop[lost].sum(), abs=1e-9)
        road = _rerun(net, fac_xy, dem_xy, closed, direction, direct=False)
        iso = np.isfinite(by_road) & ~np.isfinite(road)
        assert imp.people_isolated[p] == pytest.approx(pop[iso].sum(), abs=1e-9)
        fin = np.isfinite(b) & np.isfinite(want)
        assert imp.person_minutes[p] == pytest.approx((pop[fin] * (want[fin] - b[fin])).sum(),
                                                      rel=1e-9, abs=1e-9)
        if detours and pieces.a[p] != pieces.b[p]:
            d = _nx_detour(net, closed, int(pieces.a[p]), int(pieces.b[p]), direction)
            want_d = (d / 60.0 - imp.piece_minutes[p]) if np.isfinite(d) else np.inf
            assert imp.detour_minutes[p] == pytest.approx(want_d, abs=1e-9), p
    return pieces, imp


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
def test_every_piece_of_a_hand_built_network_equals_a_rerun(direction: str) -> None:
    net = _hand_network()
    fac_xy = _points(net, 3, 1)[:, :] * [1, 1]
    fac_xy[:, 0] = np.minimum(fac_xy[:, 0], np.median(net.node_xy[:, 0]))  # west of the spur
    dem_xy = _points(net, 400, 2)
    pop = np.random.default_rng(3).integers(1, 50, len(dem_xy)).astype(float)
    _, imp = _check_every_piece(net, fac_xy, dem_xy, pop, None, direction)
    assert imp.people_lost.max() > 0
    assert (imp.people_isolated > 0).any()  # the spur: its far end hangs on one piece
    assert np.isinf(imp.detour_minutes).any()


def test_pieces_run_between_junctions() -> None:
    net = _hand_network()
    pieces = road_pieces(net)
    und = nx.Graph()
    und.add_edges_from(zip(net.seg_u.tolist(), net.seg_v.tolist(), strict=True))
    for p in range(pieces.n):
        segs = np.flatnonzero(pieces.seg_piece == p)
        nodes = set(net.seg_u[segs].tolist()) | set(net.seg_v[segs].tolist())
        inner = nodes - {int(pieces.a[p]), int(pieces.b[p])}
        assert all(und.degree(x) == 2 for x in inner)  # through degree-2 nodes only
        assert und.degree(int(pieces.a[p])) != 2 or pieces.a[p] == pieces.b[p]


def test_every_piece_of_an_osm_extract_equals_a_rerun(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pbf = tmp_path / "county.osm.pbf"
    write_osm(pbf, oneway="yes")
    net = network_from_osm(pbf)
    fac_xy = _points(net, 4, 5)
    dem_xy = _points(net, 600, 6)
    pop = np.random.default_rng(7).integers(1, 100, len(dem_xy)).astype(float)
    _, imp = _check_every_piece(net, fac_xy, dem_xy, pop, None, "from_facility",
                                detours=False)
    assert imp.people_lost.max() > 0


def test_luzhai_pieces_equal_a_rerun() -> None:
    net = networks_from_source(ROOT / "data" / "roads" / "luzhai_backbone.geojson",
                               ["drive"])["drive"]
    fac_xy = _points(net, 6, 8)
    dem_xy = _points(net, 300, 9)
    pop = np.random.default_rng(10).integers(1, 500, len(dem_xy)).astype(float)
    fac = snap_points(net, fac_xy, exclude_classes=())
    dem = snap_points(net, dem_xy, exclude_classes=())
    pieces, imp = piece_impacts(net, fac, dem, pop, 30.0, access_speed_kmh=SPEED)
    # every piece that changes a time, and as many that the method says change nothing
    changed = np.flatnonzero(np.diff(imp.changed_ptr) > 0)
    rng = np.random.default_rng(11)
    quiet = rng.choice(np.flatnonzero(np.diff(imp.changed_ptr) == 0), 40, replace=False)
    order, ptr = pieces.segments()
    for p in np.concatenate([changed[:120], quiet]):
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        want = _rerun(net, fac_xy, dem_xy, closed, "from_facility")
        got = imp.minutes_before.copy()
        sl = slice(imp.changed_ptr[p], imp.changed_ptr[p + 1])
        got[imp.changed[sl]] = imp.minutes_after[sl]
        np.testing.assert_array_equal(got, want, err_msg=f"piece {p}")
    assert len(changed) > 20

