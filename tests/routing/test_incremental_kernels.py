"""The tie rule of the nearest search and the incremental kernels (grow, repair), against
scipy's Dijkstra run from every seed, on random directed graphs with ties."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo.network.graph import CSRGraph, csr_from_edges, on_time_grid
from geo.routing import _dijkstra


def _graph(seed: int, n: int = 400, m: int = 1600, integer: bool = True) -> sp.csr_matrix:
    """Random directed graph (most edges one way); small integer weights give many ties,
    float weights are put on the time grid as networks' are."""
    rng = np.random.default_rng(seed)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(1, 5, m).astype(float) if integer else on_time_grid(rng.uniform(1, 60, m))
    back = rng.random(m) < 0.3  # a third of the roads two-way
    uu, vv = np.concatenate([u, v[back]]), np.concatenate([v, u[back]])
    return csr_from_edges(uu, vv, np.concatenate([w, w[back]]), n)


def _seeds(seed: int, n: int, n_labels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two seeds per label (a place joins its segment at both ends); some labels share
    their seeds exactly (co-located facilities)."""
    rng = np.random.default_rng(seed)
    node = rng.integers(0, n, (n_labels, 2))
    secs = on_time_grid(rng.choice([0.0, 1.0, 2.5, rng.uniform(0, 3)], (n_labels, 2)))
    for a in range(1, n_labels, 4):  # every fourth label co-located with the one before
        node[a], secs[a] = node[a - 1], secs[a - 1]
    label = np.repeat(np.arange(n_labels), 2)
    return node.ravel().astype(np.int64), secs.ravel(), label.astype(np.int64)


def _reference(csr: sp.csr_matrix, node: np.ndarray, secs: np.ndarray, label: np.ndarray,
               alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per node: the smallest time over the live labels' seeds, and the smallest such label
    (scipy's Dijkstra from each seed; np.argmin takes the first of equal minima)."""
    n_labels = int(label.max()) + 1
    from_seed = dijkstra(csr, indices=node) + secs[:, None]
    per_label = np.full((n_labels, csr.shape[0]), np.inf)
    for k in range(len(node)):
        if alive[label[k]]:
            per_label[label[k]] = np.minimum(per_label[label[k]], from_seed[k])
    best = per_label.min(axis=0)
    lab = np.where(np.isfinite(best), per_label.argmin(axis=0), -1)
    return best, lab


def _tied_nodes(csr: sp.csr_matrix, node: np.ndarray, secs: np.ndarray,
                label: np.ndarray) -> int:
    """Nodes that two or more labels reach in the same best time."""
    from_seed = dijkstra(csr, indices=node) + secs[:, None]
    per_label = np.full((int(label.max()) + 1, csr.shape[0]), np.inf)
    np.minimum.at(per_label, label, from_seed)
    best = per_label.min(axis=0)
    return int((((per_label == best) & np.isfinite(best)).sum(axis=0) > 1).sum())


def _fresh(g: CSRGraph, node: np.ndarray, secs: np.ndarray, label: np.ndarray,
           alive: np.ndarray, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    keep = alive[label]
    return _dijkstra.nearest(g.indptr, g.indices, g.weights, node[keep], secs[keep],
                             label[keep], len(alive), np.inf, threads)


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("threads", [1, 2, 3, 5])
def test_nearest_ties_go_to_the_smallest_label_on_any_threads(integer: bool,
                                                              threads: int) -> None:
    csr = _graph(threads, integer=integer)
    g = CSRGraph.from_matrix(csr)
    node, secs, label = _seeds(threads, csr.shape[0], 30)
    alive = np.ones(30, dtype=bool)
    dist, lab = _fresh(g, node, secs, label, alive, threads)
    want_d, want_l = _reference(csr, node, secs, label, alive)
    np.testing.assert_array_equal(dist, want_d)
    np.testing.assert_array_equal(lab, want_l)
    if integer:  # the case is worth testing: many nodes are reached as fast from two labels
        assert _tied_nodes(csr, node, secs, label) > 20


def test_times_on_the_grid_add_exactly() -> None:
    """The point of the time grid: sums do not depend on their order."""
    rng = np.random.default_rng(0)
    parts = on_time_grid(rng.uniform(0, 500, (1000, 40)))
    forward = np.zeros(1000)
    for k in range(40):
        forward = forward + parts[:, k]
    backward = np.zeros(1000)
    for k in reversed(range(40)):
        backward = backward + parts[:, k]
    np.testing.assert_array_equal(forward, backward)
    raw = rng.uniform(0, 500, (1000, 40))  # without the grid they do
    assert (raw.sum(axis=1) != raw[:, ::-1].sum(axis=1)).any()


@pytest.mark.parametrize("seed", range(6))
def test_grow_equals_a_fresh_search_with_the_new_source(seed: int) -> None:
    csr = _graph(seed, integer=seed % 2 == 0)
    g = CSRGraph.from_matrix(csr)
    node, secs, label = _seeds(seed, csr.shape[0], 20)
    rng = np.random.default_rng(seed)
    alive = rng.random(20) < 0.6
    alive[0] = True
    dist, lab = _fresh(g, node, secs, label, alive)
    for new in np.flatnonzero(~alive):  # labels below and above the existing ones
        before_l = lab.copy()
        k = label == new
        changed = _dijkstra.grow(g.indptr, g.indices, g.weights, node[k], secs[k],
                                 int(new), dist, lab)
        alive[new] = True
        want_d, want_l = _reference(csr, node, secs, label, alive)
        np.testing.assert_array_equal(dist, want_d)
        np.testing.assert_array_equal(lab, want_l)
        assert sorted(changed.tolist()) == np.flatnonzero(before_l != lab).tolist()
        assert len(set(changed.tolist())) == len(changed)


@pytest.mark.parametrize("seed", range(6))
def test_repair_equals_a_fresh_search_without_the_source(seed: int) -> None:
    csr = _graph(seed + 10, integer=seed % 2 == 0)
    g = CSRGraph.from_matrix(csr)
    t = CSRGraph.from_matrix(csr.T.tocsr())
    node, secs, label = _seeds(seed, csr.shape[0], 20)
    alive = np.ones(20, dtype=bool)
    dist, lab = _fresh(g, node, secs, label, alive)
    for gone in np.random.default_rng(seed).permutation(20)[:19]:
        held = np.flatnonzero(lab == gone)
        alive[gone] = False
        keep = alive[label]
        region = _dijkstra.repair(g.indptr, g.indices, g.weights, t.indptr, t.indices,
                                  t.weights, int(gone), node[keep], secs[keep], label[keep],
                                  dist, lab)
        assert sorted(region.tolist()) == held.tolist()
        want_d, want_l = _reference(csr, node, secs, label, alive)
        np.testing.assert_array_equal(dist, want_d)
        np.testing.assert_array_equal(lab, want_l)


def test_repair_of_the_last_source_leaves_nothing_reached() -> None:
    csr = _graph(3)
    g, t = CSRGraph.from_matrix(csr), CSRGraph.from_matrix(csr.T.tocsr())
    node, secs, label = _seeds(3, csr.shape[0], 1)
    dist, lab = _fresh(g, node, secs, label, np.ones(1, dtype=bool))
    none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    _dijkstra.repair(g.indptr, g.indices, g.weights, t.indptr, t.indices, t.weights, 0,
                     none_i, none_f, none_i, dist, lab)
    assert np.isinf(dist).all() and (lab == -1).all()


def test_kernels_refuse_bad_arguments() -> None:
    g = CSRGraph.from_matrix(_graph(1, n=10, m=30))
    dist, lab = np.full(10, np.inf), np.full(10, -1, dtype=np.int64)
    with pytest.raises(ValueError, match="not one of the 10 nodes"):
        _dijkstra.grow(g.indptr, g.indices, g.weights, np.array([10]), np.zeros(1), 0, dist,
                       lab)
    with pytest.raises(ValueError, match="one entry per node"):
        _dijkstra.grow(g.indptr, g.indices, g.weights, np.array([1]), np.zeros(1), 0,
                       dist[:5], lab)
    with pytest.raises(ValueError, match="non-negative"):
        _dijkstra.grow(g.indptr, g.indices, g.weights, np.array([1]), np.zeros(1), -2, dist,
                       lab)
