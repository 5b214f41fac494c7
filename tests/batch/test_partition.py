"""The partitioned network cache and the per-area cut, against a brute-force cut.

The reference cut takes every node of the whole network inside the zone (shapely on all
nodes, no tiles), the segments with both ends inside, and the largest strongly connected
part by networkx; the tiled cut must keep exactly those nodes and segments, with the same
seconds. With a zone holding the whole region, an area's study on the cut network equals
the same study on the road layer itself.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from geo.batch.areas import buffer_zones, read_areas
from geo.batch.config import load_batch
from geo.batch.partition import cut_networks, prepare_network
from geo.network.sources import networks_from_source
from tests.batch.conftest import write_batch
from tests.conftest import DATA


def _reference(net, zone_m):  # type: ignore[no-untyped-def]
    inside = shapely.contains_xy(zone_m, net.node_xy[:, 0], net.node_xy[:, 1])
    g = nx.DiGraph()
    for u, v, fw, bw in zip(net.seg_u, net.seg_v, net.seg_fw_s, net.seg_bw_s, strict=True):
        if inside[u] and inside[v] and u != v:
            if np.isfinite(fw):
                g.add_edge(int(u), int(v))
            if np.isfinite(bw):
                g.add_edge(int(v), int(u))
    comps = list(nx.strongly_connected_components(g))
    length = net.seg_length_m
    best = max(comps, key=lambda c: sum(length[i] for i in range(len(net.seg_u))
                                        if net.seg_u[i] in c and net.seg_v[i] in c))
    nodes = {tuple(np.round(net.node_xy[n], 3)) for n in best}
    segs = {(tuple(np.round(net.node_xy[u], 3)), tuple(np.round(net.node_xy[v], 3)), fw, bw)
            for u, v, fw, bw in zip(net.seg_u, net.seg_v, net.seg_fw_s, net.seg_bw_s,
                                    strict=True) if u in best and v in best}
    return nodes, segs


def _as_sets(net):  # type: ignore[no-untyped-def]
    nodes = {tuple(np.round(xy, 3)) for xy in net.node_xy}
    segs = {(tuple(np.round(net.node_xy[u], 3)), tuple(np.round(net.node_xy[v], 3)), fw, bw)
            for u, v, fw, bw in zip(net.seg_u, net.seg_v, net.seg_fw_s, net.seg_bw_s,
                                    strict=True)}
    return nodes, segs


@pytest.mark.parametrize(("area", "buffer_km", "tile_km"),
                         [("450202", 10.0, 10.0), ("450223", 25.0, 3.0), ("450226", 0.0, 50.0)])
def test_cut_equals_brute_force(tmp_path: Path, area: str, buffer_km: float,
                                tile_km: float) -> None:
    batch = load_batch(write_batch(tmp_path / "in", buffer_km=buffer_km))
    meta = prepare_network(batch.template, ["drive"], tmp_path / "net", tile_km * 1000.0)
    assert meta["drive"]["nx"] * meta["drive"]["ny"] > 1
    areas = read_areas(batch)
    row = int(np.flatnonzero(areas["area_id"] == area)[0])
    zone = buffer_zones(areas.iloc[[row]], buffer_km * 1000.0)[0]
    cut = cut_networks(tmp_path / "net", zone, ["drive"], min_component_share=0.0,
                       buffer_km=buffer_km, area_name=area)["drive"]
    whole = networks_from_source(DATA / "roads" / "liuzhou_backbone.geojson", ["drive"])["drive"]
    zone_m = gpd.GeoSeries([zone], crs=4326).to_crs(whole.crs).iloc[0]
    ref_nodes, ref_segs = _reference(whole, zone_m)
    nodes, segs = _as_sets(cut)
    assert nodes == ref_nodes
    assert segs == ref_segs
    assert 0 < cut.n_nodes < whole.n_nodes
    assert any("cut to" in a for a in cut.report.assumptions)


def test_partition_is_reused_while_the_source_is_unchanged(tmp_path: Path) -> None:
    batch = load_batch(write_batch(tmp_path / "in"))
    first = prepare_network(batch.template, ["drive"], tmp_path / "net", 10_000.0)
    stamp = (tmp_path / "net" / "drive" / "node_xy.npy").stat().st_mtime_ns
    again = prepare_network(batch.template, ["drive"], tmp_path / "net", 10_000.0)
    assert again["key"] == first["key"]
    assert (tmp_path / "net" / "drive" / "node_xy.npy").stat().st_mtime_ns == stamp
    other = prepare_network(batch.template, ["drive"], tmp_path / "net", 20_000.0)
    assert other["key"] != first["key"] and other["drive"]["tile_m"] == 20_000.0


def test_partition_is_rebuilt_when_the_network_rules_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partition built under older network rules (an older cache format: e.g. maxspeed
    values above 150 km/h used) is not reused: its speeds would be those of the old rules."""
    import geo.batch.partition as partition

    batch = load_batch(write_batch(tmp_path / "in"))
    first = prepare_network(batch.template, ["drive"], tmp_path / "net", 10_000.0)
    monkeypatch.setattr(partition, "NETWORK_FORMAT", "geo-access-network/older")
    again = prepare_network(batch.template, ["drive"], tmp_path / "net", 10_000.0)
    assert again["key"] != first["key"]
