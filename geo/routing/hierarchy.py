"""A network's contraction hierarchy: built once, kept with the network and in its cache.

The hierarchy (:mod:`geo.routing._hierarchy`: contraction, then restricted-PHAST
many-to-many queries) answers origin-destination matrices with one short upward search
per origin and one linear sweep over the part of the hierarchy above the destinations,
instead of one Dijkstra search per origin that settles most of the network. Its times
are the Dijkstra kernels' times to the last bit: every weight lies on the same 2^-24 s
grid and shortcuts are exact sums (see the kernel's docstring).

It is built from the forward graph (:meth:`Network.graph`) and answers both directions
(the reverse direction runs the same hierarchy against its arcs). ``geo network build``
builds it and :func:`geo.network.cache.save_networks` saves it with the network, under a
fingerprint of the network's segments; a hierarchy whose fingerprint does not match the
network is never used. A network without one (a cache written by other code, a network
built in the same process) gets one when a query is large enough to pay for it
(:func:`worth_building`); it is then kept with the network object for later queries.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray, IntArray
from geo.errors import NetworkError
from geo.network.cache import HIERARCHY, network_fingerprint
from geo.network.graph import Network
from geo.routing import _hierarchy
from geo.routing.threads import threads as threads_for

__all__ = ["BUILD_ORIGINS", "attach", "build", "get", "has", "many_to_many", "worth_building"]

log = logging.getLogger(__name__)

_QUERY = "hierarchy_query"  # net._kernels key of the compiled query object

# Measured on the benchmark grids (benchmarks/bench_engine.py): contraction costs about as
# much as this many full Dijkstra searches on the same network (60 us per node against
# 0.14 us per node and origin), so a query with fewer unbounded origins than this does
# not pay for building a hierarchy on the spot (it still uses one the network has).
BUILD_ORIGINS = 400


def build(net: Network, threads: int | None = None) -> dict[str, npt.NDArray[np.generic]]:
    """Contract the network (forward graph) and keep the hierarchy with it.

    It runs on ``threads`` threads (all cores by default; the hierarchy is the same whatever
    their number). Returns the arrays (as :func:`geo.network.cache.save_networks` saves them).
    """
    g = net.graph("forward")
    t0 = time.perf_counter()
    arrays = _hierarchy.contract(g.indptr, g.indices, g.weights,
                                 threads=threads_for(threads))
    log.info("contraction hierarchy of %d nodes built in %.1f s (%d arcs)", net.n_nodes,
             time.perf_counter() - t0, len(arrays["up_head"]) + len(arrays["dn_head"]))
    attach(net, arrays, network_fingerprint(net))
    return arrays


def attach(net: Network, arrays: dict[str, npt.NDArray[np.generic]], fingerprint: str) -> None:
    """Keep hierarchy ``arrays`` with ``net`` (made for the network of ``fingerprint``)."""
    net._kernels[HIERARCHY] = (fingerprint, arrays)
    net._kernels.pop(_QUERY, None)


def _arrays_of(net: Network) -> tuple[int, ...]:
    """Identify the segment arrays the network holds.

    A copy made with dataclasses.replace shares the kept kernels but may hold other arrays.
    """
    return tuple(id(a) for a in (net.seg_u, net.seg_v, net.seg_fw_s, net.seg_bw_s))


def has(net: Network) -> bool:
    """Tell whether the network has a hierarchy made for it.

    One made for other segments is dropped, with a note in the log.
    """
    query = net._kernels.get(_QUERY)
    if query is not None and query[0] == _arrays_of(net):
        return True
    net._kernels.pop(_QUERY, None)
    kept = net._kernels.get(HIERARCHY)
    if kept is not None and kept[0] != network_fingerprint(net):
        log.info("the contraction hierarchy kept with the network was made for another "
                 "network (its segments changed): not used")
        net._kernels.pop(HIERARCHY)
        kept = None
    return kept is not None


def get(net: Network, *, build_missing: bool,
        threads: int | None = None) -> _hierarchy.Hierarchy | None:
    """Return the network's hierarchy, ready for queries.

    That is the one it has (from its cache or an earlier query), else a new one (contracted on
    ``threads``) when ``build_missing``, else None.
    """
    if has(net) and _QUERY in net._kernels:
        return net._kernels[_QUERY][1]
    if not has(net):
        if not build_missing:
            return None
        build(net, threads)
    a = net._kernels[HIERARCHY][1]
    try:
        query = _hierarchy.Hierarchy(*(a[k] for k in _hierarchy.ARRAYS))
    except (KeyError, ValueError) as e:
        raise NetworkError(
            "the contraction hierarchy saved with the network is damaged "
            f"({e}): rebuild the network cache with `geo network build`") from e
    if query.n_nodes != net.n_nodes:
        raise NetworkError("the contraction hierarchy saved with the network has "
                           f"{query.n_nodes} nodes, the network {net.n_nodes}: rebuild the "
                           "network cache with `geo network build`")
    net._kernels[_QUERY] = (_arrays_of(net), query)
    return query


def worth_building(n_origins: int) -> bool:
    """Tell whether an unbounded query from ``n_origins`` pays for contracting the network."""
    return n_origins >= BUILD_ORIGINS


def many_to_many(
    query: _hierarchy.Hierarchy, seeds: tuple[IntArray, IntArray, FloatArray],
    incidence: tuple[IntArray, IntArray, FloatArray], n_targets: int, limit: float,
    *, reverse: bool, threads: int,
) -> FloatArray:
    """Return dense sources x targets seconds (``inf`` where unreached or above ``limit``).

    ``seeds``: (ptr, node, seconds) per source, as the Dijkstra kernels take them;
    ``incidence``: node -> target CSR (ptr over all nodes, target, extra seconds), as
    :func:`geo.routing.travel` builds it for the Dijkstra kernels. ``reverse``: search
    against the arcs (times *to* the sources).
    """
    ptr, node, secs = seeds
    tp, ti, tc = incidence
    n_src = len(ptr) - 1
    out = np.full((n_src, n_targets), np.inf)
    counts = np.diff(tp)
    nodes = np.flatnonzero(counts).astype(np.int64)
    if n_src == 0 or len(nodes) == 0:
        return out
    local, rptr, rhead, rw, tn_local = query.select(nodes, reverse)
    tn_ptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(counts[nodes], out=tn_ptr[1:])
    # the incidence lists targets node after node, so its entries of `nodes` are in order
    query.many_to_many(ptr, node, secs, local, rptr, rhead, rw, tn_local, tn_ptr,
                       np.ascontiguousarray(ti, dtype=np.int64),
                       np.ascontiguousarray(tc, dtype=np.float64), float(limit), out,
                       reverse, threads)
    return out
