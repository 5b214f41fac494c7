# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled Dijkstra kernels on CSR arrays (textbook label-setting search).

Why our own kernels and not ``scipy.sparse.csgraph.dijkstra`` alone: scipy allocates and
fills a dense ``len(indices) x n_nodes`` distance array for every call, so a bounded
search from each of 1,000 facilities on a 1M-node network spends its time writing and
scanning 10^9 cells it never reaches, and it cannot start a search from several seeds
with different initial times (a place joins its road segment at both ends) or hand back
only what was reached. These kernels:

* start a search from *seeds* (node, initial seconds), so access legs need no virtual
  nodes;
* reset only the nodes they touched between searches (cost proportional to what is
  reached, not to the network);
* translate reached nodes into *targets* (demand points) through an incidence list
  (node -> target, extra seconds), keeping the best time per target;
* release the GIL, so the Python layer runs batches on several threads;
* answer a nearest-facility query in one call (:class:`NearestSearch`: seeds, search, and
  on large networks C++ threads that share the sources and prune each other), so a query
  on a county network costs tens of microseconds, not Python overhead.

Every search is an exact Dijkstra (label setting: a node's time is final when it leaves
the heap) on a binary heap with lazy deletion. Node and edge ids are 32-bit, times float64.

Nearest searches follow one tie rule: a node takes the (time, label) pair with the
smallest time and, among equal times, the smallest label (the facility listed first),
whatever the number of threads. Times lie on a grid of ``QUANTUM`` = 2^-24 s (segment
seconds are rounded by :class:`geo.network.graph.Network`, seeds here), so they add exactly and
equal times are truly equal: this is what lets :func:`grow` and :func:`repair` update a
labelling to exactly what a fresh search gives (``geo.whatif``).
"""

import numpy as np
cimport numpy as cnp
from libc.math cimport INFINITY
from libc.stdint cimport int64_t, int32_t
from libcpp.vector cimport vector

cnp.import_array()


cdef extern from *:
    """
    #include <algorithm>
    #include <atomic>
    #include <cmath>
    #include <cstdint>
    #include <cstring>
    #include <exception>
    #include <thread>
    #include <utility>
    #include <vector>

    // Every time the searches start from or add is a multiple of TIME_QUANTUM seconds
    // (2^-24 s, 60 ns: Network rounds segment seconds, seeds are rounded here), so
    // sums below 2^29 s are exact: a path's time does not depend on the order its parts
    // are added, and "a label beats another" is the same question for every search.
    static const double TIME_QUANTUM = 1.0 / 16777216.0;
    static inline double on_grid(double x) {
        return std::nearbyint(x * 16777216.0) * TIME_QUANTUM;
    }

    // The one tie rule: a (time, label) pair beats another when its time is smaller, or
    // equal with a smaller label (the facility listed first). Unreached nodes hold
    // (inf, -1), which every reached pair beats.
    static inline bool beats(double d, int64_t l, double d0, int64_t l0) {
        return d < d0 || (d == d0 && l < l0);
    }

    #include "_heap.hpp"  // csr_id and Heap, the binary min-heap every search uses

    // Relaxed atomic reads and writes of the distance arrays that parallel searches share
    // (each thread writes its own array and reads the others' to prune).
    static inline double load_relaxed(const double* p) {
        uint64_t k = __atomic_load_n(reinterpret_cast<const uint64_t*>(p), __ATOMIC_RELAXED);
        double d; std::memcpy(&d, &k, 8); return d;
    }
    static inline void store_relaxed(double* p, double d) {
        uint64_t k; std::memcpy(&k, &d, 8);
        __atomic_store_n(reinterpret_cast<uint64_t*>(p), k, __ATOMIC_RELAXED);
    }

    // Nearest-seed search over the seeds listed in sel (all seeds when sel is null).
    // mine/lab: this search's arrays, filled with inf/-1 by the caller. A node takes the
    // (time, label) pair that beats all others (see beats: ties go to the smaller label);
    // a node whose label improves at an equal time is pushed again and re-expanded, so
    // the smaller label spreads through ties too. With PRUNE, the other threads' arrays
    // (others) are read to prune: a node another thread holds strictly cheaper is neither
    // pushed nor expanded (that thread expands it). The node-wise best pair over all
    // threads' arrays is then exact: the best pair of every node, ties included, stays in
    // its owner's heap and is expanded, so no best path is cut.
    template <bool PRUNE>
    static void nearest_run(
        csr_id n, const csr_id* indptr, const csr_id* indices, const double* weights,
        const int64_t* seed_node, const double* seed_dist, const int64_t* seed_label,
        const int64_t* sel, int64_t n_sel, double limit, double* mine, int64_t* lab,
        double* const* others, int n_others)
    {
        Heap h;
        h.reserve(static_cast<size_t>(n) + 64);
        for (int64_t i = 0; i < n_sel; ++i) {
            int64_t k = sel ? sel[i] : i;
            csr_id v = static_cast<csr_id>(seed_node[k]);
            double d = seed_dist[k];
            if (beats(d, seed_label[k], mine[v], lab[v]) && d <= limit) {
                if (PRUNE) store_relaxed(&mine[v], d); else mine[v] = d;
                lab[v] = seed_label[k];
                h.push(d, v);
            }
        }
        while (!h.empty()) {
            double d;
            csr_id v = h.pop(&d);
            if (d > mine[v]) continue;  // stale entry
            if (PRUNE) {
                bool beaten = false;
                for (int o = 0; o < n_others; ++o)
                    if (load_relaxed(&others[o][v]) < d) { beaten = true; break; }
                if (beaten) continue;
            }
            int64_t lv = lab[v];
            for (csr_id e = indptr[v]; e < indptr[v + 1]; ++e) {
                csr_id w = indices[e];
                double nd = d + weights[e];
                if (beats(nd, lv, mine[w], lab[w]) && nd <= limit) {
                    if (PRUNE) {
                        bool beaten = false;
                        for (int o = 0; o < n_others; ++o)
                            if (load_relaxed(&others[o][w]) < nd) { beaten = true; break; }
                        if (beaten) continue;
                        store_relaxed(&mine[w], nd);
                    } else {
                        mine[w] = nd;
                    }
                    lab[w] = lv;
                    h.push(nd, w);
                }
            }
        }
    }

    // Nearest-seed times and labels per node into dist/label (filled here). With
    // threads > 1 the labels (sources) are ranked by their smallest seed node id and cut
    // into `threads` runs of consecutive ranks; networks number their nodes along a
    // space-filling curve, so each thread grows its searches in its own part of the map
    // and the threads meet only along the borders. Thread 0 writes into dist/label, the
    // others into their own arrays; the node-wise best pair (time, then label) is merged
    // into dist/label, so the answer does not depend on the number of threads. Returns 0, or -1 when memory or a thread could not be had.
    static int nearest_search(
        csr_id n, const csr_id* indptr, const csr_id* indices, const double* weights,
        const int64_t* seed_node, const double* seed_dist, const int64_t* seed_label,
        int64_t n_seeds, int64_t n_labels, double limit, int threads,
        double* dist, int64_t* label)
    {
        std::fill(dist, dist + n, INFINITY);
        std::fill(label, label + n, int64_t(-1));
        int k = static_cast<int>(std::min<int64_t>(threads, n_labels));
        if (k <= 1) {
            try {
                nearest_run<false>(n, indptr, indices, weights, seed_node, seed_dist,
                                   seed_label, nullptr, n_seeds, limit, dist, label,
                                   nullptr, 0);
            } catch (...) { return -1; }
            return 0;
        }
        try {
            std::vector<std::pair<int64_t, int64_t>> first(n_labels);
            for (int64_t l = 0; l < n_labels; ++l) first[l] = {INT64_MAX, l};
            for (int64_t s = 0; s < n_seeds; ++s) {
                auto& f = first[seed_label[s]];
                f.first = std::min(f.first, seed_node[s]);
            }
            std::sort(first.begin(), first.end());
            std::vector<int> part(n_labels);
            for (int64_t r = 0; r < n_labels; ++r) part[first[r].second] = int(r * k / n_labels);
            std::vector<std::vector<int64_t>> sel(k);
            for (int64_t s = 0; s < n_seeds; ++s) sel[part[seed_label[s]]].push_back(s);
            std::vector<std::vector<double>> dist_k(k - 1, std::vector<double>(n, INFINITY));
            std::vector<std::vector<int64_t>> label_k(k - 1, std::vector<int64_t>(n, -1));
            std::vector<double*> rows(k);
            std::vector<int64_t*> labs(k);
            rows[0] = dist; labs[0] = label;
            for (int t = 1; t < k; ++t) { rows[t] = dist_k[t - 1].data(); labs[t] = label_k[t - 1].data(); }
            std::vector<std::vector<double*>> others(k);
            for (int t = 0; t < k; ++t)
                for (int o = 0; o < k; ++o)
                    if (o != t) others[t].push_back(rows[o]);
            std::vector<char> failed(k, 0);
            auto work = [&](int t) {
                try {
                    nearest_run<true>(n, indptr, indices, weights, seed_node, seed_dist,
                                      seed_label, sel[t].data(), int64_t(sel[t].size()), limit,
                                      rows[t], labs[t], others[t].data(), k - 1);
                } catch (...) { failed[t] = 1; }
            };
            std::vector<std::thread> pool;
            for (int t = 1; t < k; ++t) pool.emplace_back(work, t);
            work(0);
            for (auto& th : pool) th.join();
            for (int t = 0; t < k; ++t) if (failed[t]) return -1;
            for (int t = 1; t < k; ++t) {
                const double* dt = rows[t];
                const int64_t* lt = labs[t];
                for (csr_id v = 0; v < n; ++v)
                    if (beats(dt[v], lt[v], dist[v], label[v])) {
                        dist[v] = dt[v]; label[v] = lt[v];
                    }
            }
        } catch (...) { return -1; }
        return 0;
    }
    // Every visit of a target by the bounded searches from sources [a, b) (reach_visits):
    // source s searches to limits[s] from its seeds; a settled node v passes its time to
    // its targets (tgt_ptr/tgt_idx/tgt_cost), each within the limit a visit, appended to
    // out_t/out_d in settle order, then incidence order; counts[s - a] = its visits.
    // dist: n entries of inf, left so; h, touched: scratch kept between searches. Equal
    // times pop by node id (TieHeap), so the visits within L < limit are exactly those
    // of a search bounded at L, in the same order (replay_reach).
    static void visits_run(
        const csr_id* indptr, const csr_id* indices, const double* weights,
        const int64_t* seed_ptr, const int64_t* seed_node, const double* seed_dist,
        const double* limits, const int64_t* tgt_ptr, const int64_t* tgt_idx,
        const double* tgt_cost, int64_t a, int64_t b, double* dist, TieHeap& h,
        std::vector<csr_id>& touched, int64_t* counts,
        std::vector<int32_t>& out_t, std::vector<double>& out_d)
    {
        for (int64_t s = a; s < b; ++s) {
            const double limit = limits[s];
            int64_t cnt = 0;
            for (int64_t k = seed_ptr[s]; k < seed_ptr[s + 1]; ++k) {
                csr_id v = static_cast<csr_id>(seed_node[k]);
                double d = seed_dist[k];
                if (d <= limit && d < dist[v]) {
                    if (dist[v] == INFINITY) touched.push_back(v);
                    dist[v] = d;
                    h.push(d, v);
                }
            }
            while (!h.empty()) {
                double d;
                csr_id v = h.pop(&d);
                if (d > dist[v]) continue;  // stale entry
                for (int64_t j = tgt_ptr[v]; j < tgt_ptr[v + 1]; ++j) {
                    double c = d + tgt_cost[j];
                    if (c <= limit) {
                        out_t.push_back(static_cast<int32_t>(tgt_idx[j]));
                        out_d.push_back(c);
                        ++cnt;
                    }
                }
                for (csr_id e = indptr[v]; e < indptr[v + 1]; ++e) {
                    csr_id w = indices[e];
                    double nd = d + weights[e];
                    if (nd < dist[w] && nd <= limit) {
                        if (dist[w] == INFINITY) touched.push_back(w);
                        dist[w] = nd;
                        h.push(nd, w);
                    }
                }
            }
            counts[s - a] = cnt;
            for (csr_id v : touched) dist[v] = INFINITY;
            touched.clear();
        }
    }

    // The visits of sources [first, last), in chunks of consecutive sources (chunk c holds
    // sources first + c * size onwards), so that threads can make them in any order and
    // the result reads them in source order.
    struct VisitChunks {
        int64_t size = 1;
        std::vector<std::vector<int32_t>> tgt;
        std::vector<std::vector<double>> sec;
    };

    // reach_visits' searches on `threads` threads: each takes the next chunk of sources
    // (an atomic counter: searches of uneven size even out) with its own distance array
    // and heap; counts[s - first] per source. A search's visits do not depend on the
    // thread that makes it. Returns 0, or -1 when memory could not be had (a thread that
    // cannot be started leaves its share to the others).
    static int visits_search(
        csr_id n, const csr_id* indptr, const csr_id* indices, const double* weights,
        const int64_t* seed_ptr, const int64_t* seed_node, const double* seed_dist,
        const double* limits, const int64_t* tgt_ptr, const int64_t* tgt_idx,
        const double* tgt_cost, int64_t first, int64_t last, int threads,
        int64_t* counts, VisitChunks& out)
    {
        try {
            int64_t m = last - first;
            int k = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, m)));
            out.size = k == 1 ? std::max<int64_t>(m, 1)
                              : std::max<int64_t>(1, std::min<int64_t>(64, m / (8 * k)));
            int64_t n_chunks = m > 0 ? (m + out.size - 1) / out.size : 0;
            out.tgt.assign(n_chunks, {});
            out.sec.assign(n_chunks, {});
            std::atomic<int64_t> next(0);
            std::vector<char> failed(k, 0);
            auto work = [&](int t) {
                try {
                    std::vector<double> dist(n, INFINITY);
                    TieHeap h;
                    h.reserve(static_cast<size_t>(n) + 64);
                    std::vector<csr_id> touched;
                    for (;;) {
                        int64_t c = next.fetch_add(1);
                        if (c >= n_chunks) break;
                        int64_t a = first + c * out.size;
                        int64_t b = std::min(last, a + out.size);
                        visits_run(indptr, indices, weights, seed_ptr, seed_node, seed_dist,
                                   limits, tgt_ptr, tgt_idx, tgt_cost, a, b, dist.data(), h,
                                   touched, counts + (a - first), out.tgt[c], out.sec[c]);
                    }
                } catch (...) { failed[t] = 1; }
            };
            std::vector<std::thread> pool;
            for (int t = 1; t < k; ++t) {
                try { pool.emplace_back(work, t); } catch (...) { break; }
            }
            work(0);
            for (auto& th : pool) th.join();
            for (int t = 0; t < k; ++t) if (failed[t]) return -1;
        } catch (...) { return -1; }
        return 0;
    }

    // Number of visits in the chunks.
    static size_t visits_total(const VisitChunks& out) {
        size_t m = 0;
        for (const auto& c : out.tgt) m += c.size();
        return m;
    }

    // Copy the chunks, in order, into tgt/sec (visits_total entries), freeing each chunk.
    static void visits_copy(VisitChunks& out, int32_t* tgt, double* sec) {
        size_t at = 0;
        for (size_t c = 0; c < out.tgt.size(); ++c) {
            std::copy(out.tgt[c].begin(), out.tgt[c].end(), tgt + at);
            std::copy(out.sec[c].begin(), out.sec[c].end(), sec + at);
            at += out.tgt[c].size();
            std::vector<int32_t>().swap(out.tgt[c]);
            std::vector<double>().swap(out.sec[c]);
        }
    }
    """
    ctypedef int32_t csr_id
    cppclass Heap:
        Heap() noexcept nogil
        void reserve(size_t n) except + nogil
        void push(double d, csr_id node) except + nogil
        bint empty() noexcept nogil
        csr_id pop(double* d) noexcept nogil
        void clear() noexcept nogil
    cppclass TieHeap:
        TieHeap() noexcept nogil
        void reserve(size_t n) except + nogil
        void push(double d, csr_id node) except + nogil
        bint empty() noexcept nogil
        csr_id pop(double* d) noexcept nogil
        void clear() noexcept nogil
    int nearest_search(
        csr_id n, const csr_id* indptr, const csr_id* indices, const double* weights,
        const int64_t* seed_node, const double* seed_dist, const int64_t* seed_label,
        int64_t n_seeds, int64_t n_labels, double limit, int threads,
        double* dist, int64_t* label) noexcept nogil
    cppclass VisitChunks:
        VisitChunks() noexcept nogil
    int visits_search(
        csr_id n, const csr_id* indptr, const csr_id* indices, const double* weights,
        const int64_t* seed_ptr, const int64_t* seed_node, const double* seed_dist,
        const double* limits, const int64_t* tgt_ptr, const int64_t* tgt_idx,
        const double* tgt_cost, int64_t first, int64_t last, int threads,
        int64_t* counts, VisitChunks& out) noexcept nogil
    size_t visits_total(const VisitChunks& out) noexcept nogil
    void visits_copy(VisitChunks& out, int32_t* tgt, double* sec) noexcept nogil
    double on_grid(double x) noexcept nogil
    bint beats(double d, int64_t l, double d0, int64_t l0) noexcept nogil
    const double TIME_QUANTUM


cdef int _seeds_into(
    const int64_t[::1] seg, const double[::1] t, const double[::1] access_m,
    const int64_t[::1] seg_u, const int64_t[::1] seg_v, const double[::1] fw,
    const double[::1] bw, double speed, int64_t* node, double* secs,
    const double* offset=NULL,
) noexcept nogil:
    """Fill two seeds per place into ``node``/``secs`` (room for ``2 * len(seg)``): the far
    end ``seg_v`` first, then ``seg_u``, each time rounded to the time grid (``on_grid``);
    -1 if a segment id is not one of this network's. ``offset`` (one per place, or NULL):
    seconds added before the place starts, e.g. an ambulance base's dispatch delay."""
    cdef Py_ssize_t n = seg.shape[0], n_seg = seg_u.shape[0], i
    cdef double leg, ahead, behind
    cdef int64_t s
    for i in range(n):
        s = seg[i]
        if s < 0 or s >= n_seg:
            return -1
        leg = access_m[i] / speed
        if offset != NULL:
            leg += offset[i]
        ahead = (1.0 - t[i]) * fw[s] if t[i] < 1.0 else 0.0
        behind = t[i] * bw[s] if t[i] > 0.0 else 0.0
        node[2 * i] = seg_v[s]
        secs[2 * i] = on_grid(leg + ahead)
        node[2 * i + 1] = seg_u[s]
        secs[2 * i + 1] = on_grid(leg + behind)
    return 0


FOREIGN_SNAP = "a Snap does not belong to this network: snap the points again"
QUANTUM = TIME_QUANTUM  # seconds: the grid every search time lies on (2^-24 s)


def snap_seeds(
    const int64_t[::1] seg,
    const double[::1] t,
    const double[::1] access_m,
    const int64_t[::1] seg_u,
    const int64_t[::1] seg_v,
    const double[::1] fw,
    const double[::1] bw,
    double speed,
):
    """Two seeds per place: (``seg_v``, leg + rest of the segment forwards) and (``seg_u``,
    leg + the part behind it backwards); a part of length 0 costs 0 even one way only.
    Times are rounded to the grid of :data:`QUANTUM` seconds, as the network's segment
    times are, so the searches add exactly. ``ValueError`` when a segment id is not one
    of this network's."""
    cdef Py_ssize_t n = seg.shape[0]
    node_a = np.empty(2 * n, dtype=np.int64)
    secs_a = np.empty(2 * n, dtype=np.float64)
    cdef int64_t[::1] node = node_a
    cdef double[::1] secs = secs_a
    cdef int rc
    with nogil:
        rc = _seeds_into(seg, t, access_m, seg_u, seg_v, fw, bw, speed,
                         &node[0] if n else NULL, &secs[0] if n else NULL)
    if rc != 0:
        raise ValueError(FOREIGN_SNAP)
    return node_a, secs_a


def nearest(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    const int64_t[::1] seed_label,
    int64_t n_labels,
    double limit,
    int threads=1,
):
    """Nearest-seed search from any seeds: seconds to the nearest seed and its label, per node.

    The generic entry (seeds given as node, seconds, label; the tests drive the threaded
    search through it); queries from places use :class:`NearestSearch`. Labels lie in
    ``[0, n_labels)``; at equal times the smallest label wins. Nodes beyond ``limit`` (or
    unreachable) get ``inf`` and label -1. With ``threads`` > 1 the sources are shared out
    between threads that prune each other (exact, ties included; see ``nearest_search``).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, s
    cdef Py_ssize_t m = seed_node.shape[0]
    if seed_dist.shape[0] != m or seed_label.shape[0] != m:
        raise ValueError("seed_node, seed_dist and seed_label differ in length")
    for s in range(m):
        if not (0 <= seed_node[s] < n) or not (0 <= seed_label[s] < n_labels):
            raise ValueError(f"seed {s}: node {seed_node[s]} or label {seed_label[s]} "
                             "out of range")
    dist_a = np.empty(n, dtype=np.float64)
    label_a = np.empty(n, dtype=np.int64)
    cdef double[::1] dist = dist_a
    cdef int64_t[::1] label = label_a
    cdef int rc
    with nogil:
        rc = nearest_search(<csr_id>n, &indptr[0], &indices[0] if indices.shape[0] else NULL,
                            &weights[0] if weights.shape[0] else NULL,
                            &seed_node[0] if m else NULL, &seed_dist[0] if m else NULL,
                            &seed_label[0] if m else NULL, m, n_labels, limit, threads,
                            &dist[0] if n else NULL, &label[0] if n else NULL)
    if rc != 0:
        raise MemoryError("not enough memory for the nearest-facility search")
    return dist_a, label_a


cdef class NearestSearch:
    """A network's search arrays in one direction, held for repeated nearest queries.

    Built once per network and direction (``geo.travel`` keeps it with the network), so a
    query converts only the places' arrays: on a county network the whole query is a few
    tens of microseconds, most of it the search itself.

    Parameters: the CSR arrays of the graph to search, the segment end nodes, and the
    per-segment seconds in the search's direction (``fw``: ``seg_u`` -> ``seg_v``).
    """

    cdef const csr_id[::1] indptr
    cdef const csr_id[::1] indices
    cdef const double[::1] weights
    cdef const int64_t[::1] seg_u
    cdef const int64_t[::1] seg_v
    cdef const double[::1] fw
    cdef const double[::1] bw
    cdef readonly Py_ssize_t n_nodes

    def __init__(self, const csr_id[::1] indptr, const csr_id[::1] indices,
                 const double[::1] weights, const int64_t[::1] seg_u,
                 const int64_t[::1] seg_v, const double[::1] fw, const double[::1] bw):
        cdef Py_ssize_t n = indptr.shape[0] - 1, s
        if n < 0 or indptr[n] != indices.shape[0] or indices.shape[0] != weights.shape[0]:
            raise ValueError("indptr, indices and weights do not form a CSR graph")
        if not (seg_v.shape[0] == fw.shape[0] == bw.shape[0] == seg_u.shape[0]):
            raise ValueError("seg_u, seg_v, fw and bw differ in length")
        for s in range(seg_u.shape[0]):
            if not (0 <= seg_u[s] < n and 0 <= seg_v[s] < n):
                raise ValueError(f"segment {s} ends outside the graph's {n} nodes")
        self.indptr, self.indices, self.weights = indptr, indices, weights
        self.seg_u, self.seg_v, self.fw, self.bw = seg_u, seg_v, fw, bw
        self.n_nodes = n

    def nearest(self, const int64_t[::1] seg, const double[::1] t,
                const double[::1] access_m, double speed, double limit, int threads=1,
                const double[::1] offset=None):
        """Seconds from the nearest place and which one (its position), per node.

        A place joins segment ``seg`` at fraction ``t`` (0 at ``seg_u``) by a straight leg of
        ``access_m`` metres at ``speed`` m/s; it seeds the search at both segment ends.
        ``offset`` (optional, one per place): seconds each place starts late (a dispatch
        delay); its seeds carry it, so the times and the nearest place include it.
        Nodes beyond ``limit`` get ``inf`` and -1. ``ValueError`` when a segment id is not
        one of this network's. With ``threads`` > 1 the places are shared out between
        threads that prune each other (exact).
        """
        cdef Py_ssize_t p = seg.shape[0], i
        if t.shape[0] != p or access_m.shape[0] != p:
            raise ValueError("seg, t and access_m differ in length")
        cdef const double* off = NULL
        if offset is not None:
            if offset.shape[0] != p:
                raise ValueError("offset must hold one number of seconds per place")
            if p:
                off = &offset[0]
        cdef cnp.npy_intp n = self.n_nodes
        cdef cnp.ndarray dist_a = cnp.PyArray_EMPTY(1, &n, cnp.NPY_FLOAT64, 0)
        cdef cnp.ndarray label_a = cnp.PyArray_EMPTY(1, &n, cnp.NPY_INT64, 0)
        cdef vector[int64_t] node, lab
        cdef vector[double] secs
        cdef int bad_seg = 0, rc = 0
        with nogil:
            node.resize(2 * p)
            lab.resize(2 * p)
            secs.resize(2 * p)
            bad_seg = _seeds_into(seg, t, access_m, self.seg_u, self.seg_v, self.fw, self.bw,
                                  speed, node.data(), secs.data(), off)
            if not bad_seg:
                for i in range(2 * p):
                    lab[i] = i // 2
                rc = nearest_search(<csr_id>n, &self.indptr[0],
                                    &self.indices[0] if self.indices.shape[0] else NULL,
                                    &self.weights[0] if self.weights.shape[0] else NULL,
                                    node.data(), secs.data(), lab.data(), 2 * p, p, limit,
                                    threads, <double*>cnp.PyArray_DATA(dist_a),
                                    <int64_t*>cnp.PyArray_DATA(label_a))
        if bad_seg:
            raise ValueError(FOREIGN_SNAP)
        if rc != 0:
            raise MemoryError("not enough memory for the nearest-facility search")
        return dist_a, label_a


ctypedef fused AnyHeap:
    Heap
    TieHeap


cdef inline void _seed(
    AnyHeap* h, double[::1] dist, vector[int64_t]* touched, const int64_t[::1] seed_ptr,
    const int64_t[::1] seed_node, const double[::1] seed_dist, Py_ssize_t s, double limit,
) noexcept nogil:
    cdef Py_ssize_t k
    cdef int64_t v
    cdef double d
    for k in range(seed_ptr[s], seed_ptr[s + 1]):
        v = seed_node[k]
        d = seed_dist[k]
        if d <= limit and d < dist[v]:
            if dist[v] == INFINITY:
                touched.push_back(v)
            dist[v] = d
            h.push(d, v)


cdef inline void _relax(
    AnyHeap* h, double[::1] dist, vector[int64_t]* touched, const csr_id[::1] indptr,
    const csr_id[::1] indices, const double[::1] weights, int64_t v, double limit,
) noexcept nogil:
    cdef Py_ssize_t e
    cdef int64_t w
    cdef double nd
    cdef double d = dist[v]
    for e in range(indptr[v], indptr[v + 1]):
        w = indices[e]
        nd = d + weights[e]
        if nd < dist[w] and nd <= limit:
            if dist[w] == INFINITY:
                touched.push_back(w)
            dist[w] = nd
            h.push(nd, w)


cdef tuple _pair_arrays(vector[int32_t]& out_t, vector[double]& out_d):
    """Copy the (target, seconds) pairs a search gathered into numpy arrays (int32, float64)."""
    cdef Py_ssize_t k, m = out_t.size()
    tgt_a = np.empty(m, dtype=np.int32)
    sec_a = np.empty(m, dtype=np.float64)
    cdef int32_t[::1] tv = tgt_a
    cdef double[::1] dv = sec_a
    with nogil:
        for k in range(m):
            tv[k] = out_t[k]
            dv[k] = out_d[k]
    return tgt_a, sec_a


def bounded_reach(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const int64_t[::1] seed_ptr,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    int64_t first_source,
    int64_t last_source,
    double limit,
    const int64_t[::1] tgt_ptr,
    const int64_t[::1] tgt_idx,
    const double[::1] tgt_cost,
    int64_t n_targets,
    bint nodes_are_targets=False,
):
    """One bounded search per source in ``[first_source, last_source)``.

    Source ``s`` starts from the seeds ``seed_ptr[s]:seed_ptr[s+1]``. Every node reached
    within ``limit`` passes its time to its targets (``tgt_ptr``/``tgt_idx``/``tgt_cost``:
    target ``tgt_idx[j]`` is ``tgt_cost[j]`` seconds beyond the node); a target's time is
    the minimum over its nodes, kept when it is within ``limit``. With
    ``nodes_are_targets`` the nodes themselves are the targets (the incidence arrays are
    not read) and each is reported once, when it is settled.

    Returns ``(counts, target, seconds)``: how many targets each source reached, then
    the reached targets and their times, source after source (CSR rows, in order): a row
    lists its targets in the order the search first reached them within ``limit``. Equal
    times pop by node id (``TieHeap``), so that order is the one :func:`replay_reach` gives
    from the :func:`reach_visits` of a search with a larger limit.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef double[::1] dist = np.full(n, np.inf)
    cdef double[::1] best = np.full(max(n_targets, 1), np.inf)
    cdef TieHeap heap
    cdef TieHeap* h = &heap
    heap.reserve(n + 64)
    cdef vector[int64_t] touched
    cdef vector[int64_t] hit
    counts_a = np.zeros(last_source - first_source, dtype=np.int64)
    cdef int64_t[::1] counts = counts_a
    cdef vector[int32_t] out_t
    cdef vector[double] out_d
    cdef Py_ssize_t s, k, j
    cdef int64_t v, t
    cdef double c, d
    with nogil:
        for s in range(first_source, last_source):
            _seed(h, dist, &touched, seed_ptr, seed_node, seed_dist, s, limit)
            while not h.empty():
                v = h.pop(&d)
                if d > dist[v]:
                    continue
                if nodes_are_targets:
                    out_t.push_back(<int32_t>v)
                    out_d.push_back(d)
                    counts[s - first_source] += 1
                    _relax(h, dist, &touched, indptr, indices, weights, v, limit)
                    continue
                for j in range(tgt_ptr[v], tgt_ptr[v + 1]):
                    c = dist[v] + tgt_cost[j]
                    if c <= limit:
                        t = tgt_idx[j]
                        if best[t] == INFINITY:
                            hit.push_back(t)
                        if c < best[t]:
                            best[t] = c
                _relax(h, dist, &touched, indptr, indices, weights, v, limit)
            counts[s - first_source] += hit.size()
            for k in range(<Py_ssize_t>hit.size()):
                t = hit[k]
                out_t.push_back(<int32_t>t)
                out_d.push_back(best[t])
                best[t] = INFINITY
            hit.clear()
            for k in range(<Py_ssize_t>touched.size()):
                dist[touched[k]] = INFINITY
            touched.clear()
    tgt_a, sec_a = _pair_arrays(out_t, out_d)
    return counts_a, tgt_a, sec_a


def reach_visits(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const int64_t[::1] seed_ptr,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    int64_t first_source,
    int64_t last_source,
    const double[::1] limits,
    const int64_t[::1] tgt_ptr,
    const int64_t[::1] tgt_idx,
    const double[::1] tgt_cost,
    int threads=1,
):
    """The searches of :func:`bounded_reach`, handing back every visit of a target.

    Source ``s`` searches up to its own ``limits[s]``. A visit is a settled node passing its
    time to one of its targets (``c = dist[v] + tgt_cost[j] <= limits[s]``), in the order
    the search makes them (settle order, then incidence order); a target is visited once
    per node it hangs on. Returns ``(counts, target, seconds)``: visits per source, then
    the visits, source after source. :func:`replay_reach` turns them into
    :func:`bounded_reach`'s rows for any limit up to the source's, entry for entry (same
    targets, same order, same seconds).

    With ``threads`` > 1 the searches run on that many C++ threads (the GIL released),
    each taking the next few sources in turn; the result is the same, to the bit and the
    order, whatever the number of threads.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1
    if not 0 <= first_source <= last_source <= seed_ptr.shape[0] - 1:
        raise ValueError("sources must lie within the seed rows")
    if limits.shape[0] < last_source:
        raise ValueError("one limit per source is needed")
    if tgt_ptr.shape[0] != n + 1:
        raise ValueError("one incidence row per node is needed")
    counts_a = np.zeros(last_source - first_source, dtype=np.int64)
    cdef int64_t[::1] counts = counts_a
    cdef int64_t* cp = &counts[0] if counts.shape[0] else NULL
    cdef VisitChunks chunks
    cdef int rc
    cdef size_t m
    with nogil:
        rc = visits_search(
            <csr_id>n, &indptr[0], &indices[0] if indices.shape[0] else NULL,
            &weights[0] if weights.shape[0] else NULL, &seed_ptr[0],
            &seed_node[0] if seed_node.shape[0] else NULL,
            &seed_dist[0] if seed_dist.shape[0] else NULL,
            &limits[0] if limits.shape[0] else NULL, &tgt_ptr[0],
            &tgt_idx[0] if tgt_idx.shape[0] else NULL,
            &tgt_cost[0] if tgt_cost.shape[0] else NULL,
            first_source, last_source, max(threads, 1), cp, chunks)
        m = visits_total(chunks) if rc == 0 else 0
    if rc != 0:
        raise MemoryError("not enough memory for the reach searches")
    tgt_a = np.empty(m, dtype=np.int32)
    sec_a = np.empty(m, dtype=np.float64)
    cdef int32_t[::1] tv = tgt_a
    cdef double[::1] dv = sec_a
    if m:
        with nogil:
            visits_copy(chunks, &tv[0], &dv[0])
    return counts_a, tgt_a, sec_a


def replay_reach(
    const int64_t[::1] visit_ptr,
    const int32_t[::1] visit_tgt,
    const double[::1] visit_sec,
    const int64_t[::1] rows,
    double limit,
    int64_t n_targets,
):
    """Rows of :func:`bounded_reach` at ``limit`` from the visits of :func:`reach_visits`.

    Row ``r`` of ``rows`` reads visits ``visit_ptr[r]:visit_ptr[r+1]`` (made with a limit
    of at least ``limit``): the visits within ``limit`` are exactly the visits a search
    bounded at ``limit`` makes, in the same order (``TieHeap``), so keeping each target's
    first such visit in place and its smallest time gives that search's row. Returns
    ``(counts, target, seconds)`` as :func:`bounded_reach` does, one row per ``rows``:
    :func:`replay_reach_extra` with no extra trips.
    """
    n_src = visit_ptr.shape[0] - 1
    ptr, tgt, sec = replay_reach_extra(
        visit_ptr, visit_tgt, visit_sec, rows, limit, n_targets,
        np.zeros(max(n_src, 0) + 1, dtype=np.int64), np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.float64))
    return np.diff(ptr), tgt, sec


def replay_reach_extra(
    const int64_t[::1] visit_ptr,
    const int32_t[::1] visit_tgt,
    const double[::1] visit_sec,
    const int64_t[::1] rows,
    double limit,
    int64_t n_targets,
    const int64_t[::1] extra_ptr,
    const int64_t[::1] extra_col,
    const double[::1] extra_sec,
):
    """:func:`replay_reach` then :func:`merge_min` of the extra trips within ``limit``, in one pass.

    ``extra_ptr``/``extra_col``/``extra_sec``: the extra trips per source (CSR rows, one
    per pair, columns sorted within a row). Row ``i`` is :func:`replay_reach`'s row of
    ``rows[i]``, each extra trip of that source within ``limit`` then merged as
    :func:`merge_min` merges it: the smaller time where the pair is in the row, else
    appended at the end of the row in column order. Returns ``(indptr, indices, data)``
    (int64, int32, float64): what the two calls give, entry for entry.
    """
    cdef Py_ssize_t n_rows = rows.shape[0], n_src = visit_ptr.shape[0] - 1
    cdef Py_ssize_t i, k, q
    cdef int64_t r, t, total = 0
    cdef double c
    if extra_ptr.shape[0] != n_src + 1:
        raise ValueError("one extra-trip row per source is needed")
    for i in range(n_rows):
        if not 0 <= rows[i] < n_src:
            raise ValueError(f"row {rows[i]} is outside the {n_src} rows of the visits")
        total += visit_ptr[rows[i] + 1] - visit_ptr[rows[i]]
        total += extra_ptr[rows[i] + 1] - extra_ptr[rows[i]]
    for k in range(extra_col.shape[0]):
        if not 0 <= extra_col[k] < n_targets:
            raise ValueError(f"extra trip {k} goes to column {extra_col[k]}, outside the "
                             f"{n_targets} targets")
    if total >= 2**31 - 1 or n_targets >= 2**31 - 1:
        raise ValueError("too many entries for 32-bit indices")
    cdef double[::1] best = np.full(max(n_targets, 1), np.inf)
    cdef int64_t[::1] slot = np.full(max(n_targets, 1), -1, dtype=np.int64)
    ptr_a = np.zeros(n_rows + 1, dtype=np.int64)
    cdef int64_t[::1] ptr = ptr_a
    tgt_a = np.empty(total, dtype=np.int32)
    sec_a = np.empty(total, dtype=np.float64)
    cdef int32_t[::1] tv = tgt_a
    cdef double[::1] dv = sec_a
    cdef Py_ssize_t at = 0, row0
    with nogil:
        for i in range(n_rows):
            r = rows[i]
            row0 = at
            for k in range(visit_ptr[r], visit_ptr[r + 1]):
                c = visit_sec[k]
                if c <= limit:
                    t = visit_tgt[k]
                    if best[t] == INFINITY:
                        tv[at] = <int32_t>t
                        at += 1
                    if c < best[t]:
                        best[t] = c
            for q in range(row0, at):
                dv[q] = best[tv[q]]
                best[tv[q]] = INFINITY
                slot[tv[q]] = q
            for k in range(extra_ptr[r], extra_ptr[r + 1]):
                c = extra_sec[k]
                if c <= limit:
                    t = extra_col[k]
                    if slot[t] >= 0:
                        if c < dv[slot[t]]:
                            dv[slot[t]] = c
                    else:
                        tv[at] = <int32_t>t
                        dv[at] = c
                        at += 1
            for q in range(row0, at):
                slot[tv[q]] = -1
            ptr[i + 1] = at
    return ptr_a, tgt_a[:at].copy(), sec_a[:at].copy()


def od_rows(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const int64_t[::1] seed_ptr,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    int64_t first_source,
    int64_t last_source,
    double limit,
    const int64_t[::1] tgt_ptr,
    const int64_t[::1] tgt_idx,
    const double[::1] tgt_cost,
    double[:, ::1] out,
):
    """Dense origin-destination rows: ``out[s - first_source, t]`` = seconds (min-combined).

    ``out`` must be filled with ``inf`` by the caller. Each search stops as soon as every
    node that carries a target has been settled (or at ``limit``).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef double[::1] dist = np.full(n, np.inf)
    cdef Heap heap
    cdef Heap* h = &heap
    heap.reserve(n + 64)
    cdef vector[int64_t] touched
    cdef Py_ssize_t s, k, j, row
    cdef int64_t v, t, need, settled
    cdef double c, d
    with nogil:
        need = 0
        for v in range(n):
            if tgt_ptr[v + 1] > tgt_ptr[v]:
                need += 1
        for s in range(first_source, last_source):
            row = s - first_source
            settled = 0
            _seed(h, dist, &touched, seed_ptr, seed_node, seed_dist, s, limit)
            while not h.empty() and settled < need:
                v = h.pop(&d)
                if d > dist[v]:
                    continue
                if tgt_ptr[v + 1] > tgt_ptr[v]:
                    settled += 1
                for j in range(tgt_ptr[v], tgt_ptr[v + 1]):
                    c = dist[v] + tgt_cost[j]
                    t = tgt_idx[j]
                    if c <= limit and c < out[row, t]:
                        out[row, t] = c
                _relax(h, dist, &touched, indptr, indices, weights, v, limit)
            h.clear()  # stopped early: drop what is left
            for k in range(<Py_ssize_t>touched.size()):
                dist[touched[k]] = INFINITY
            touched.clear()
    return None


ctypedef fused sparse_id:
    int32_t
    int64_t


def merge_min(
    const sparse_id[::1] indptr,
    const sparse_id[::1] indices,
    double[::1] data,
    const int64_t[::1] extra_row,
    const int64_t[::1] extra_col,
    const double[::1] extra_secs,
    int64_t n_cols,
):
    """Merge (row, col, seconds) entries into a CSR matrix, keeping the smaller time per pair.

    The extra entries must be sorted by row, one per pair. Pairs already in the matrix get
    the minimum time in ``data`` (in place); new pairs are appended to the end of their row.
    Work is proportional to the rows that get extra entries, not to the whole matrix (no
    sorting of the matrix's entries). Returns ``(indptr, indices, data)``: the inputs
    themselves when no pair is new, else new arrays with the same dtypes.
    """
    cdef Py_ssize_t n_rows = indptr.shape[0] - 1, m = extra_row.shape[0]
    cdef Py_ssize_t j = 0, j0, k, r, c, at, n_new = 0
    for k in range(m):
        if not (0 <= extra_row[k] < n_rows) or not (0 <= extra_col[k] < n_cols):
            raise ValueError(f"extra entry {k} ({extra_row[k]}, {extra_col[k]}) is outside "
                             f"the {n_rows} x {n_cols} matrix")
        if k and extra_row[k] < extra_row[k - 1]:
            raise ValueError("extra entries must be sorted by row")
    cdef vector[int64_t] pos
    pos.assign(n_cols, -1)
    is_new_a = np.zeros(m, dtype=np.uint8)
    added_a = np.zeros(n_rows, dtype=np.int64)
    cdef unsigned char[::1] is_new = is_new_a
    cdef int64_t[::1] added = added_a
    with nogil:
        while j < m:
            r = extra_row[j]
            j0 = j
            for k in range(indptr[r], indptr[r + 1]):
                pos[indices[k]] = k
            while j < m and extra_row[j] == r:
                c = extra_col[j]
                if pos[c] >= 0:
                    if extra_secs[j] < data[pos[c]]:
                        data[pos[c]] = extra_secs[j]
                else:
                    is_new[j] = 1
                    added[r] += 1
                    n_new += 1
                j += 1
            for k in range(indptr[r], indptr[r + 1]):
                pos[indices[k]] = -1
    if n_new == 0:
        return np.asarray(indptr), np.asarray(indices), np.asarray(data)
    dtype = np.asarray(indices).dtype
    nnz = indptr[n_rows]
    out_ptr_a = np.empty(n_rows + 1, dtype=dtype)
    out_idx_a = np.empty(nnz + n_new, dtype=dtype)
    out_dat_a = np.empty(nnz + n_new, dtype=np.float64)
    cdef sparse_id[::1] out_ptr = out_ptr_a
    cdef sparse_id[::1] out_idx = out_idx_a
    cdef double[::1] out_dat = out_dat_a
    j = 0
    with nogil:
        at = 0
        for r in range(n_rows):
            out_ptr[r] = at
            for k in range(indptr[r], indptr[r + 1]):
                out_idx[at] = indices[k]
                out_dat[at] = data[k]
                at += 1
            while j < m and extra_row[j] == r:
                if is_new[j]:
                    out_idx[at] = <sparse_id>extra_col[j]
                    out_dat[at] = extra_secs[j]
                    at += 1
                j += 1
        out_ptr[n_rows] = at
    return out_ptr_a, out_idx_a, out_dat_a


# --------------------------------------------------------------------------- incremental
# Node labellings kept up to date while facilities come and go (geo.whatif). Both kernels
# change a labelling ``dist``/``lab`` (time and label per node, as ``nearest`` fills them)
# in place, so that it equals what ``nearest`` gives for the new set of seeds, ties
# included: times on the grid add exactly, so a path's (time, label) pair keeps its
# order when a segment is added to it, and a node's best pair never depends on the order
# of the search.


def _check_labelling(Py_ssize_t n, const csr_id[::1] indices, const double[::1] weights,
                     const int64_t[::1] seed_node, const double[::1] seed_dist,
                     double[::1] dist, int64_t[::1] lab):
    cdef Py_ssize_t k
    if indices.shape[0] != weights.shape[0]:
        raise ValueError("indices and weights differ in length")
    if dist.shape[0] != n or lab.shape[0] != n:
        raise ValueError(f"dist and lab must hold one entry per node ({n})")
    if seed_dist.shape[0] != seed_node.shape[0]:
        raise ValueError("seed_node and seed_dist differ in length")
    for k in range(seed_node.shape[0]):
        if not (0 <= seed_node[k] < n):
            raise ValueError(f"seed {k}: node {seed_node[k]} is not one of the {n} nodes")


def grow(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    int64_t label,
    double[::1] dist,
    int64_t[::1] lab,
):
    """Add one source (``label``, from its seeds) to a labelling, in place.

    A search from the seeds that enters a node only where ``(time, label)`` beats the
    node's current pair (``beats``: smaller time, or equal time and smaller label), so it
    stops at the border of the region the new source wins: its work is that region, not
    the network. Exact: on a best path from the new source to a node it wins, it wins
    every node before (a better pair there would carry on to the node).

    Returns the nodes that took the new label, each once (int64).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, m = seed_node.shape[0], k, e
    _check_labelling(n, indices, weights, seed_node, seed_dist, dist, lab)
    if label < 0:
        raise ValueError(f"labels are non-negative, got {label}")
    cdef Heap heap
    cdef vector[int64_t] changed
    cdef int64_t v, w
    cdef double d, nd
    with nogil:
        for k in range(m):
            v = seed_node[k]
            d = seed_dist[k]
            if beats(d, label, dist[v], lab[v]):
                if lab[v] != label:
                    changed.push_back(v)
                dist[v] = d
                lab[v] = label
                heap.push(d, <csr_id>v)
        while not heap.empty():
            v = heap.pop(&d)
            if d > dist[v]:
                continue
            for e in range(indptr[v], indptr[v + 1]):
                w = indices[e]
                nd = d + weights[e]
                if beats(nd, label, dist[w], lab[w]):
                    if lab[w] != label:
                        changed.push_back(w)
                    dist[w] = nd
                    lab[w] = label
                    heap.push(nd, <csr_id>w)
    out = np.empty(changed.size(), dtype=np.int64)
    cdef int64_t[::1] ov = out
    for k in range(<Py_ssize_t>changed.size()):
        ov[k] = changed[k]
    return out


cdef void _regrow(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const csr_id[::1] t_indptr,
    const csr_id[::1] t_indices,
    const double[::1] t_weights,
    const int64_t* region,
    Py_ssize_t n_region,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    const int64_t[::1] seed_label,
    double[::1] dist,
    int64_t[::1] lab,
    const unsigned char* inside,
) noexcept nogil:
    """Search the cleared ``region`` (``inside`` marks it) again from its border and seeds.

    The one body of :func:`repair` and :func:`repair_region`: each node is seeded from the
    seeds inside the region and from its in-neighbours outside it (their final pairs,
    through the transposed graph ``t_*``), then searched within the region.
    """
    cdef Heap heap
    cdef int64_t v, w, u, l
    cdef double d, nd
    cdef Py_ssize_t r, k, e, m = seed_node.shape[0]
    for k in range(m):
        v = seed_node[k]
        if inside[v] and beats(seed_dist[k], seed_label[k], dist[v], lab[v]):
            dist[v] = seed_dist[k]
            lab[v] = seed_label[k]
    for r in range(n_region):
        v = region[r]
        for e in range(t_indptr[v], t_indptr[v + 1]):
            u = t_indices[e]
            if inside[u] or lab[u] < 0:
                continue
            nd = dist[u] + t_weights[e]
            if beats(nd, lab[u], dist[v], lab[v]):
                dist[v] = nd
                lab[v] = lab[u]
        if lab[v] >= 0:
            heap.push(dist[v], <csr_id>v)
    while not heap.empty():
        v = heap.pop(&d)
        if d > dist[v]:
            continue
        l = lab[v]
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            if not inside[w]:
                continue
            nd = d + weights[e]
            if beats(nd, l, dist[w], lab[w]):
                dist[w] = nd
                lab[w] = l
                heap.push(nd, <csr_id>w)


def repair(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const csr_id[::1] t_indptr,
    const csr_id[::1] t_indices,
    const double[::1] t_weights,
    int64_t closed,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    const int64_t[::1] seed_label,
    double[::1] dist,
    int64_t[::1] lab,
):
    """Take one source (label ``closed``) out of a labelling, in place.

    Only the region it held (the nodes labelled ``closed``) changes: no best path to a
    node outside it passes through it. The region is cleared and searched again from
    its border, each node seeded from its in-neighbours outside the region (their final
    pairs, through the transposed graph ``t_*``: the same edge, so the same seconds), and
    from the remaining sources' seeds inside it (``seed_*``; seeds outside the region
    are skipped). The search stays inside the region.

    Returns the region's nodes (int64), whose pairs were recomputed.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, m = seed_node.shape[0], k
    _check_labelling(n, indices, weights, seed_node, seed_dist, dist, lab)
    if t_indptr.shape[0] != n + 1 or t_indices.shape[0] != indices.shape[0] \
            or t_weights.shape[0] != t_indices.shape[0]:
        raise ValueError("the transposed graph does not match the graph")
    if seed_label.shape[0] != m:
        raise ValueError("seed_node and seed_label differ in length")
    cdef vector[int64_t] region
    cdef vector[unsigned char] inside
    cdef int64_t v
    with nogil:
        inside.assign(n, 0)
        for v in range(n):
            if lab[v] == closed:
                region.push_back(v)
                inside[v] = 1
                dist[v] = INFINITY
                lab[v] = -1
        _regrow(indptr, indices, weights, t_indptr, t_indices, t_weights, region.data(),
                <Py_ssize_t>region.size(), seed_node, seed_dist, seed_label, dist, lab,
                inside.data())
    out = np.empty(region.size(), dtype=np.int64)
    cdef int64_t[::1] ov = out
    for k in range(<Py_ssize_t>region.size()):
        ov[k] = region[k]
    return out


def piece_detours(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const int64_t[::1] cut_ptr,
    const int64_t[::1] cut_edges,
    const int64_t[::1] src,
    const int64_t[::1] dst,
    const unsigned char[::1] skip,
    double limit,
):
    """Seconds of the quickest route ``src[p]`` -> ``dst[p]`` for every piece ``p``.

    Each on the graph without the edges ``cut_edges[cut_ptr[p]:cut_ptr[p + 1]]`` (a road
    piece cut alone; the others are back for the next piece). One search per piece that
    stops when ``dst[p]`` is settled, ``inf`` beyond ``limit`` or where ``skip[p]`` (a
    bridge: no route). What :func:`od_rows` gives one piece at a time, without its set-up
    per call (arrays of the network's size), so the cost is what the searches reach.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, n_p = src.shape[0], p, k
    if dst.shape[0] != n_p or skip.shape[0] != n_p or cut_ptr.shape[0] != n_p + 1:
        raise ValueError("src, dst, skip and cut_ptr must describe the same pieces")
    if weights.shape[0] != indices.shape[0]:
        raise ValueError("indices and weights differ in length")
    out = np.full(n_p, np.inf)
    cdef double[::1] o = out
    cdef double[::1] dist = np.full(n, np.inf)
    cdef double[::1] w = np.array(weights, dtype=np.float64, copy=True)
    cdef Heap heap
    cdef Heap* h = &heap
    heap.reserve(n + 64)
    cdef vector[int64_t] touched
    cdef int64_t v, target
    cdef double d
    with nogil:
        for p in range(n_p):
            if skip[p]:
                continue
            target = dst[p]
            if src[p] == target:
                o[p] = 0.0
                continue
            for k in range(cut_ptr[p], cut_ptr[p + 1]):
                w[cut_edges[k]] = INFINITY
            dist[src[p]] = 0.0
            touched.push_back(src[p])
            h.push(0.0, <csr_id>src[p])
            while not h.empty():
                v = h.pop(&d)
                if d > dist[v]:
                    continue
                if v == target:
                    o[p] = d
                    break
                _relax(h, dist, &touched, indptr, indices, w, v, limit)
            h.clear()
            for k in range(<Py_ssize_t>touched.size()):
                dist[touched[k]] = INFINITY
            touched.clear()
            for k in range(cut_ptr[p], cut_ptr[p + 1]):
                w[cut_edges[k]] = weights[cut_edges[k]]
    return out


def repair_region(
    const csr_id[::1] indptr,
    const csr_id[::1] indices,
    const double[::1] weights,
    const csr_id[::1] t_indptr,
    const csr_id[::1] t_indices,
    const double[::1] t_weights,
    const int64_t[::1] region,
    const int64_t[::1] seed_node,
    const double[::1] seed_dist,
    const int64_t[::1] seed_label,
    double[::1] dist,
    int64_t[::1] lab,
    unsigned char[::1] inside,
):
    """Search the nodes ``region`` again from its border, in place: :func:`repair` of a region given.

    The region's pairs are cleared, each node seeded from its in-neighbours outside the
    region (their final pairs, through the transposed graph ``t_*``) and from the seeds
    inside it, and searched within the region, as :func:`repair` does for the region of a
    closed source; here the caller names the region (the nodes below a cut road piece),
    so nothing scans the whole network. ``inside``: one zero byte per node, given back
    zeroed.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, m = seed_node.shape[0], k
    _check_labelling(n, indices, weights, seed_node, seed_dist, dist, lab)
    if t_indptr.shape[0] != n + 1 or t_indices.shape[0] != indices.shape[0] \
            or t_weights.shape[0] != t_indices.shape[0] or inside.shape[0] != n:
        raise ValueError("the transposed graph or the buffer does not match the graph")
    if seed_label.shape[0] != m:
        raise ValueError("seed_node and seed_label differ in length")
    for k in range(region.shape[0]):
        if not (0 <= region[k] < n):
            raise ValueError(f"region node {region[k]} is not one of the {n} nodes")
    cdef int64_t v
    cdef Py_ssize_t r
    with nogil:
        for r in range(region.shape[0]):
            v = region[r]
            inside[v] = 1
            dist[v] = INFINITY
            lab[v] = -1
        if region.shape[0]:
            _regrow(indptr, indices, weights, t_indptr, t_indices, t_weights, &region[0],
                    region.shape[0], seed_node, seed_dist, seed_label, dist, lab, &inside[0])
        for r in range(region.shape[0]):
            inside[region[r]] = 0
    return None
