# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled two-label search: per node, the nearest two *different* sources.

One multi-source Dijkstra in which a node may be settled twice, by two different source
labels: heap entries are (seconds, node, label); a popped entry is skipped when its node
already has two labels or already has this one; otherwise it is the node's next label and
its edges are relaxed with that label. Entries leave the heap in order of seconds (ties
by the smaller label), so a node's first label is its nearest source and its second the
nearest source other than the first: the second-best source of a node reaches it over a
path whose every node has that source among its two best, or a third source would be
nearer than the second (the k-nearest-sources argument; k = 2 here). Each node is
settled at most twice, so the work is about twice one nearest search, whatever the
number of sources: the nearest *other* facility of every facility in one search, where
one search per facility took 13 minutes for 50,000 facilities.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, int32_t

cnp.import_array()


cdef extern from *:
    """
    #include <cmath>
    #include <cstdint>
    #include <queue>
    #include <utility>
    #include <vector>

    // 16 bytes: labels are places (fewer than 2^31; checked by the caller)
    struct PeerLabel { double d; int32_t node; int32_t label; };
    struct PeerAfter {  // a min-heap on (seconds, label)
        bool operator()(const PeerLabel& a, const PeerLabel& b) const {
            return a.d > b.d || (a.d == b.d && a.label > b.label);
        }
    };

    // The best two tentative (seconds, label) pairs with different labels of a node:
    // a new pair is worth a heap entry only if it enters them (two other labels that
    // already reach the node sooner also reach everything beyond it sooner).
    static inline bool offer(double d, int64_t l, double* t1, int64_t* k1, double* t2,
                             int64_t* k2) {
        if (l == *k1) {
            if (d >= *t1) return false;
            *t1 = d;
        } else if (l == *k2) {
            if (d >= *t2) return false;
            *t2 = d;
            if (*t2 < *t1) { std::swap(*t1, *t2); std::swap(*k1, *k2); }
        } else if (d < *t1) {
            *t2 = *t1; *k2 = *k1; *t1 = d; *k1 = l;
        } else if (d < *t2) {
            *t2 = d; *k2 = l;
        } else {
            return false;
        }
        return true;
    }

    // Fills d1/l1 (nearest source per node) and d2/l2 (nearest other source); inf and -1
    // where none within limit. Returns 0, or -1 when memory could not be had.
    static int two_nearest_search(
        int32_t n, const int32_t* indptr, const int32_t* indices, const double* weights,
        const int64_t* seed_node, const double* seed_dist, const int64_t* seed_label,
        int64_t n_seeds, double limit, double* d1, int64_t* l1, double* d2, int64_t* l2)
    {
        try {
            std::vector<double> t1(n, INFINITY), t2(n, INFINITY);
            std::vector<int64_t> k1(n, -1), k2(n, -1);
            for (int32_t v = 0; v < n; ++v) {
                d1[v] = d2[v] = INFINITY;
                l1[v] = l2[v] = -1;
            }
            std::vector<PeerLabel> store;
            store.reserve(static_cast<size_t>(n_seeds) + 2 * static_cast<size_t>(n) + 64);
            std::priority_queue<PeerLabel, std::vector<PeerLabel>, PeerAfter> heap(
                PeerAfter(), std::move(store));
            for (int64_t s = 0; s < n_seeds; ++s) {
                int32_t v = static_cast<int32_t>(seed_node[s]);
                if (seed_dist[s] <= limit &&
                        offer(seed_dist[s], seed_label[s], &t1[v], &k1[v], &t2[v], &k2[v]))
                    heap.push(PeerLabel{seed_dist[s], v, static_cast<int32_t>(seed_label[s])});
            }
            while (!heap.empty()) {
                PeerLabel top = heap.top();
                heap.pop();
                int32_t v = top.node;
                if (l2[v] >= 0 || l1[v] == top.label) continue;
                if (l1[v] < 0) { d1[v] = top.d; l1[v] = top.label; }
                else { d2[v] = top.d; l2[v] = top.label; }
                for (int32_t e = indptr[v]; e < indptr[v + 1]; ++e) {
                    int32_t w = indices[e];
                    double nd = top.d + weights[e];
                    if (nd <= limit && l2[w] < 0 && l1[w] != top.label &&
                            offer(nd, top.label, &t1[w], &k1[w], &t2[w], &k2[w]))
                        heap.push(PeerLabel{nd, w, top.label});
                }
            }
        } catch (...) { return -1; }
        return 0;
    }
    """
    int two_nearest_search(
        int32_t n, const int32_t* indptr, const int32_t* indices, const double* weights,
        const int64_t* seed_node, const double* seed_dist, const int64_t* seed_label,
        int64_t n_seeds, double limit, double* d1, int64_t* l1, double* d2,
        int64_t* l2) noexcept nogil


def two_nearest(
    const int32_t[::1] indptr,
    const int32_t[::1] indices,
    const double[::1] weights,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    const int64_t[::1] seed_label,
    double limit,
):
    """Per node: seconds from its nearest source and that source's label, then the same
    for the nearest source with another label (``inf``/-1 where none within ``limit``).

    Seeds are (node, seconds, label); a source may have several seeds (one label).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, m = seed_node.shape[0], s
    if seed_dist.shape[0] != m or seed_label.shape[0] != m:
        raise ValueError("seed_node, seed_dist and seed_label differ in length")
    if n < 0 or indptr[n] != indices.shape[0] or indices.shape[0] != weights.shape[0]:
        raise ValueError("indptr, indices and weights do not form a CSR graph")
    for s in range(m):
        if not (0 <= seed_node[s] < n) or not (0 <= seed_label[s] < 2147483647):
            raise ValueError(f"seed {s}: node {seed_node[s]} or label {seed_label[s]} "
                             "out of range")
    d1_a, d2_a = np.empty(n), np.empty(n)
    l1_a, l2_a = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    cdef double[::1] d1 = d1_a, d2 = d2_a
    cdef int64_t[::1] l1 = l1_a, l2 = l2_a
    cdef int rc = 0
    if n == 0:
        return d1_a, l1_a, d2_a, l2_a
    with nogil:
        rc = two_nearest_search(
            <int32_t>n, &indptr[0], &indices[0] if indices.shape[0] else NULL,
            &weights[0] if weights.shape[0] else NULL, &seed_node[0] if m else NULL,
            &seed_dist[0] if m else NULL, &seed_label[0] if m else NULL, m, limit,
            &d1[0], &l1[0], &d2[0], &l2[0])
    if rc != 0:
        raise MemoryError("not enough memory for the nearest-peer search")
    return d1_a, l1_a, d2_a, l2_a
