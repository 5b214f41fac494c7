# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Contraction hierarchy and many-to-many queries on it (RPHAST), exact on the time grid.

Why our own and not a library's: the peers that install (RoutingKit through ch-router,
pandana) and OSRM keep weights as 32-bit integers (RoutingKit, OSRM) or scale them to
integers (pandana), so they cannot hold our times, which are multiples of 2^-24 s up to
hours (2^-24 s steps overflow 32 bits after 256 s): their answers differ from the Dijkstra
kernels' (:mod:`geo.routing._dijkstra`) in the last digits, and ties flip. Here every
weight is a float64 on the same 2^-24 s grid, so a shortcut's weight is the exact sum of
the segments it stands for, and every distance the hierarchy gives is the same float64
number Dijkstra gives, to the last bit (sums below 2^29 s of grid multiples are exact, so
the order in which a path's parts are added does not matter).

**Contraction** (:func:`contract`): nodes are taken out least important first (priority: level + added arcs / removed arcs + added hops / removed hops, as in
RoutingKit). Taking ``v`` out adds a shortcut ``u -> w`` of weight ``w(u,v) + w(v,w)`` for
each in-neighbour ``u`` and out-neighbour ``w``, unless a *witness* search from ``u`` that
avoids ``v`` finds a path of at most that weight (an arc ``u -> w`` no longer than the
shortcut witnesses it at once; for the out-neighbours left, a Dijkstra that stops once each
is settled or out of reach, or after ``max_pops`` settled nodes, and pushes nothing beyond
the farthest one's bound: a search cut short adds the shortcut, which is never wrong, only
more work). Priorities are
updated lazily: a node is rated again, with the witness searches that decide its
shortcuts, when it comes to the top of the queue, and contracted then if it is still the
least important (else put back); its neighbours' levels rise when it is contracted.
Re-rating every neighbour after each contraction made the same hierarchy (as fast to
query) at 1.6x the cost on the 100k grid. The result,
in *rank space* (node ``r`` is the ``r``-th contracted): ``up`` arcs go from a node to
higher-ranked ones (as driven), ``down`` arcs list for a node the arcs that *reach* it
from higher-ranked ones.

**Queries** (:class:`Hierarchy`): restricted PHAST (Delling, Goldberg & Werneck 2011).
The targets' nodes and every node that reaches them down the hierarchy (the closure of
the ``down`` arcs) form a *restricted set*, sorted by rank from the top. Each origin runs
an upward search from its seeds (with stall-on-demand: a node reached more cheaply from
above is neither scanned nor used), then one linear sweep over the restricted set from
the top down pulls each node's time from its higher neighbours. Origins go through the
sweep eight at a time (eight lanes per node, one per origin: the inner loop is a
vectorised minimum), blocks of eight shared out between threads, the GIL released. A
node's time is the minimum over up-down paths, which is the shortest-path time, and
each candidate is an exact sum: bit-equal to the Dijkstra search.
"""

import numpy as np
cimport numpy as cnp
from libc.math cimport INFINITY
from libc.stdint cimport int64_t, int32_t
from libcpp.vector cimport vector

ctypedef vector[int32_t] vector_i32

cnp.import_array()


cdef extern from *:
    """
    #include <algorithm>
    #include <atomic>
    #include <cmath>
    #include <cstdint>
    #include <exception>
    #include <functional>
    #include <queue>
    #include <condition_variable>
    #include <mutex>
    #include <thread>
    #include <utility>
    #include <vector>
    #include "_heap.hpp"

    namespace chx {

    struct Arc { int32_t to; int32_t hops; double w; };

    struct Shortcut { int32_t u, x, hops; double w; };

    // One thread's witness-search state.
    struct Local {
        std::vector<double> wd;
        std::vector<int32_t> touched;
        std::vector<int64_t> target_mark;         // == stamp: a target of this search
        std::vector<int64_t> settled_mark;        // == search: settled by this search
        std::vector<std::pair<double, int32_t>> by_w, open;
        std::vector<double> direct;               // w(u, x) for the current u's targets x
        std::vector<Shortcut> cuts;
        int64_t stamp = 0, search = 0;
        Heap heap;
        explicit Local(int32_t n)
            : wd(n, INFINITY), target_mark(n, -1), settled_mark(n, -1), direct(n, INFINITY) {
            heap.reserve(1024);
        }
    };

    // Runs a job on `k` threads (the caller's and k - 1 kept waiting between jobs).
    class Pool {
      public:
        explicit Pool(int k) : k_(k) {
            for (int t = 1; t < k; ++t) threads_.emplace_back([this, t] { loop(t); });
        }
        ~Pool() {
            { std::lock_guard<std::mutex> g(m_); stop_ = true; }
            cv_.notify_all();
            for (auto& th : threads_) th.join();
        }
        int size() const { return k_; }
        void run(const std::function<void(int)>& job) {
            if (k_ == 1) { job(0); return; }
            {
                std::lock_guard<std::mutex> g(m_);
                job_ = &job; pending_ = k_ - 1; ++gen_;
            }
            cv_.notify_all();
            job(0);
            std::unique_lock<std::mutex> lk(m_);
            done_.wait(lk, [this] { return pending_ == 0; });
        }
      private:
        void loop(int t) {
            int64_t seen = 0;
            for (;;) {
                std::unique_lock<std::mutex> lk(m_);
                cv_.wait(lk, [&] { return stop_ || gen_ != seen; });
                if (stop_) return;
                seen = gen_;
                const std::function<void(int)>* job = job_;
                lk.unlock();
                (*job)(t);
                lk.lock();
                if (--pending_ == 0) done_.notify_one();
            }
        }
        int k_;
        std::vector<std::thread> threads_;
        std::mutex m_;
        std::condition_variable cv_, done_;
        const std::function<void(int)>* job_ = nullptr;
        int64_t gen_ = 0;
        int pending_ = 0;
        bool stop_ = false;
    };

    // Greedy contraction on a dynamic graph (see the module docstring).
    class Contractor {
      public:
        int32_t n;
        std::vector<std::vector<Arc>> out, in;  // arcs between uncontracted nodes
        std::vector<std::vector<Arc>> up, down;  // a node's arcs when it was contracted
        std::vector<int32_t> level, rank;
        std::vector<char> blocked;  // the batch being rated: witness searches avoid it

        Contractor(int32_t n_, const int32_t* indptr, const int32_t* indices, const double* w)
            : n(n_), out(n_), in(n_), up(n_), down(n_), level(n_, 0), rank(n_, -1),
              blocked(n_, 0) {
            for (int32_t v = 0; v < n; ++v)
                for (int32_t e = indptr[v]; e < indptr[v + 1]; ++e)
                    if (indices[e] != v && std::isfinite(w[e])) add_arc(v, indices[e], w[e], 1);
        }

        // arc u -> x: added, or its weight lowered to w when w is smaller
        void add_arc(int32_t u, int32_t x, double w, int32_t hops) {
            for (Arc& a : out[u]) {
                if (a.to != x) continue;
                if (w < a.w) {
                    a.w = w; a.hops = hops;
                    for (Arc& b : in[x]) if (b.to == u) { b.w = w; b.hops = hops; break; }
                }
                return;
            }
            out[u].push_back(Arc{x, hops, w});
            in[x].push_back(Arc{u, hops, w});
        }

        // Dijkstra from s avoiding `skip` and the blocked nodes, until every target
        // (L.by_w: (seconds from skip, node), farthest first; s itself excluded) is settled
        // or can no longer be witnessed (popped time > base + its seconds), or after
        // `max_pops` settled nodes. L.wd then holds the length of a real path (avoiding
        // skip and the blocked nodes) to each node reached.
        void witness(Local& L, int32_t s, int32_t skip, double base, int max_pops) const {
            const std::vector<std::pair<double, int32_t>>& by_w = L.open;
            for (int32_t x : L.touched) L.wd[x] = INFINITY;
            L.touched.clear();
            L.heap.clear();
            ++L.search;
            L.settled_mark[s] = L.search;  // not a target of its own search
            size_t k = 0;
            while (k < by_w.size() && L.settled_mark[by_w[k].second] == L.search) ++k;
            if (k == by_w.size()) return;
            double bound = base + by_w[k].first;
            L.wd[s] = 0.0; L.touched.push_back(s); L.heap.push(0.0, s);
            int pops = 0;
            while (!L.heap.empty()) {
                double d;
                int32_t x = L.heap.pop(&d);
                if (d > L.wd[x]) continue;
                if (d > bound || ++pops > max_pops) break;
                if (L.target_mark[x] == L.stamp) {
                    L.settled_mark[x] = L.search;
                    while (k < by_w.size() && L.settled_mark[by_w[k].second] == L.search) ++k;
                    if (k == by_w.size()) break;
                    bound = base + by_w[k].first;
                }
                for (const Arc& a : out[x]) {
                    double nd = d + a.w;
                    if (nd > bound || nd >= L.wd[a.to] || a.to == skip || blocked[a.to]) continue;
                    {
                        if (L.wd[a.to] == INFINITY) L.touched.push_back(a.to);
                        L.wd[a.to] = nd;
                        L.heap.push(nd, a.to);
                    }
                }
            }
        }

        // level + added arcs / removed arcs + added hops / removed hops (RoutingKit's
        // rating) of contracting v; its shortcuts go to L.cuts when `keep`
        double priority(Local& L, int32_t v, int max_pops, bool keep) const {
            int64_t added = 0, added_hops = 0, removed = 0, removed_hops = 0;
            L.cuts.clear();
            const std::vector<Arc>& ins = in[v];
            const std::vector<Arc>& outs = out[v];
            if (!ins.empty() && !outs.empty()) {
                ++L.stamp;
                L.by_w.clear();
                for (const Arc& b : outs) { L.by_w.push_back({b.w, b.to}); L.target_mark[b.to] = L.stamp; }
                std::sort(L.by_w.begin(), L.by_w.end(), std::greater<std::pair<double, int32_t>>());
                for (const Arc& a : ins) {
                    // an arc u -> x no longer than the shortcut witnesses it at once; the
                    // search looks only for the targets left (none left: no search)
                    const std::vector<Arc>& u_out = out[a.to];
                    for (const Arc& c : u_out)
                        if (L.target_mark[c.to] == L.stamp) L.direct[c.to] = c.w;
                    L.open.clear();
                    for (const auto& t : L.by_w)
                        if (t.second != a.to && L.direct[t.second] > a.w + t.first) L.open.push_back(t);
                    if (!L.open.empty()) witness(L, a.to, v, a.w, max_pops);
                    for (const Arc& b : outs) {
                        if (b.to == a.to) continue;
                        double sc = a.w + b.w;
                        if (L.direct[b.to] > sc && L.wd[b.to] > sc) {
                            ++added; added_hops += a.hops + b.hops;
                            if (keep) L.cuts.push_back(Shortcut{a.to, b.to, a.hops + b.hops, sc});
                        }
                    }
                    for (const Arc& c : u_out) L.direct[c.to] = INFINITY;
                }
            }
            for (const Arc& a : ins) { ++removed; removed_hops += a.hops; }
            for (const Arc& a : outs) { ++removed; removed_hops += a.hops; }
            double p = level[v];
            if (removed > 0)
                p += double(added) / double(removed) + double(added_hops) / double(removed_hops);
            return p;
        }

        static void drop(std::vector<Arc>& list, int32_t v) {
            for (size_t i = 0; i < list.size(); ++i)
                if (list[i].to == v) { list[i] = list.back(); list.pop_back(); return; }
        }

        void contract(int32_t v, int32_t r, const std::vector<Shortcut>& cuts,
                      std::vector<int32_t>& nbrs) {
            rank[v] = r;
            up[v] = out[v];
            down[v] = in[v];
            for (const Shortcut& c : cuts) add_arc(c.u, c.x, c.w, c.hops);
            nbrs.clear();
            for (const Arc& a : out[v]) { nbrs.push_back(a.to); drop(in[a.to], v); }
            for (const Arc& a : in[v]) { nbrs.push_back(a.to); drop(out[a.to], v); }
            std::vector<Arc>().swap(out[v]);
            std::vector<Arc>().swap(in[v]);
            std::sort(nbrs.begin(), nbrs.end());
            nbrs.erase(std::unique(nbrs.begin(), nbrs.end()), nbrs.end());
        }

        // Batches of up to `batch` nodes from the top of the queue, no two adjacent, are
        // rated on `threads` threads (each witness search avoids every node of the batch,
        // so the shortcuts of one stay valid when another is contracted: a witness path
        // never passes through a node taken out in the same batch), then contracted in
        // order while each is still the least important (else put back).
        void run(int max_pops, int rate_pops, int threads, int batch) {
            typedef std::pair<double, int32_t> Entry;
            Pool pool(std::max(1, threads));
            std::vector<Local> locals;
            for (int t = 0; t < pool.size(); ++t) locals.emplace_back(n);
            std::vector<double> prio(n);
            {
                std::atomic<int32_t> next_v(0);
                std::function<void(int)> job = [&](int t) {
                    for (int32_t v0 = next_v.fetch_add(1024); v0 < n; v0 = next_v.fetch_add(1024))
                        for (int32_t v = v0; v < std::min(n, v0 + 1024); ++v)
                            prio[v] = priority(locals[t], v, rate_pops, false);
                };
                pool.run(job);
            }
            std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> pq;
            for (int32_t v = 0; v < n; ++v) pq.push({prio[v], v});
            int32_t next = 0;
            std::vector<int32_t> nbrs, chosen, near(n, -1);
            std::vector<Entry> skipped;
            std::vector<double> rated;
            std::vector<std::vector<Shortcut>> cuts;
            int32_t round = 0;
            while (!pq.empty()) {
                // a batch: valid entries from the top, none next to an earlier one
                ++round;
                chosen.clear();
                skipped.clear();
                while (!pq.empty() && int(chosen.size()) < batch && int(skipped.size()) < batch) {
                    Entry top = pq.top();
                    pq.pop();
                    int32_t v = top.second;
                    if (rank[v] >= 0 || top.first != prio[v]) continue;  // stale entry
                    if (near[v] == round) { skipped.push_back(top); continue; }
                    chosen.push_back(v);
                    near[v] = round;
                    for (const Arc& a : out[v]) near[a.to] = round;
                    for (const Arc& a : in[v]) near[a.to] = round;
                }
                for (const Entry& e : skipped) pq.push(e);
                if (chosen.empty()) continue;
                for (int32_t v : chosen) blocked[v] = 1;
                rated.assign(chosen.size(), 0.0);
                if (cuts.size() < chosen.size()) cuts.resize(chosen.size());
                std::atomic<size_t> next_i(0);
                std::function<void(int)> job = [&](int t) {
                    for (size_t i = next_i++; i < chosen.size(); i = next_i++) {
                        rated[i] = priority(locals[t], chosen[i], max_pops, true);
                        cuts[i].swap(locals[t].cuts);
                    }
                };
                if (chosen.size() == 1) job(0); else pool.run(job);
                for (int32_t v : chosen) blocked[v] = 0;
                for (size_t i = 0; i < chosen.size(); ++i) {
                    int32_t v = chosen[i];
                    double p = rated[i];
                    if (p > prio[v] && !pq.empty() && p > pq.top().first) {
                        prio[v] = p; pq.push({p, v}); continue;  // lazy update: rated again
                    }
                    contract(v, next++, cuts[i], nbrs);
                    for (int32_t x : nbrs) {
                        int32_t grown = std::max(0, level[v] + 1 - level[x]);
                        level[x] += grown;
                        if (grown == 0) continue;
                        prio[x] += grown;  // rated again when popped (lazy update)
                        pq.push({prio[x], x});
                    }
                }
            }
        }
    };

    // The hierarchy in rank space. `up` (as driven): arcs from a node to higher nodes;
    // `down`: for a node, the arcs that reach it from higher nodes (their tails).
    struct View {
        int32_t n;
        const int64_t* up_ptr; const int32_t* up_head; const double* up_w;
        const int64_t* dn_ptr; const int32_t* dn_head; const double* dn_w;
    };

    // Per-thread state of the upward searches.
    struct Upward {
        std::vector<double> dist;
        std::vector<int32_t> touched;
        Heap heap;
        explicit Upward(int32_t n) : dist(n, INFINITY) { heap.reserve(1024); }

        // Upward search from seeds (rank, seconds) over the arcs (ptr, head, w), stalling
        // on (sptr, shead, sw); calls visit(node, seconds) for every node it settles and
        // does not stall. Nodes beyond `limit` are not entered.
        template <class F>
        void run(const int64_t* ptr, const int32_t* head, const double* w,
                 const int64_t* sptr, const int32_t* shead, const double* sw,
                 const int32_t* seed, const double* secs, int64_t n_seeds, double limit,
                 F visit) {
            for (int64_t k = 0; k < n_seeds; ++k) {
                int32_t x = seed[k];
                double d = secs[k];
                if (d <= limit && d < dist[x]) {
                    if (dist[x] == INFINITY) touched.push_back(x);
                    dist[x] = d;
                    heap.push(d, x);
                }
            }
            while (!heap.empty()) {
                double d;
                int32_t x = heap.pop(&d);
                if (d > dist[x]) continue;
                bool stalled = false;
                for (int64_t e = sptr[x]; e < sptr[x + 1]; ++e)
                    if (dist[shead[e]] + sw[e] < d) { stalled = true; break; }
                if (stalled) continue;
                visit(x, d);
                for (int64_t e = ptr[x]; e < ptr[x + 1]; ++e) {
                    int32_t y = head[e];
                    double nd = d + w[e];
                    if (nd < dist[y] && nd <= limit) {
                        if (dist[y] == INFINITY) touched.push_back(y);
                        dist[y] = nd;
                        heap.push(nd, y);
                    }
                }
            }
            for (int32_t x : touched) dist[x] = INFINITY;
            touched.clear();
        }
    };

    const int LANES = 8;  // origins per sweep

    // Restricted PHAST: times from each source (its seeds: seed_ptr/seed_rank/seed_secs)
    // to each target node j (index tn_local[j] in the restricted set, whose pull arcs
    // are rptr/rhead/rw in local indices), then out[s, t] = min over target t's entries
    // (tn_ptr/tn_tgt/tn_cost: node j carries target t at cost seconds) of
    // time(node) + cost, kept when <= limit. `out` (n_sources x n_targets) is filled with
    // inf by the caller. reverse: search the hierarchy against the arcs' direction.
    static int sweep(const View& g, bool reverse, int64_t n_sources, const int64_t* seed_ptr,
                     const int32_t* seed_rank, const double* seed_secs,
                     const int32_t* local, int64_t n_sel, const int64_t* rptr,
                     const int32_t* rhead, const double* rw,
                     int64_t n_tn, const int32_t* tn_local, const int64_t* tn_ptr,
                     const int64_t* tn_tgt, const double* tn_cost, int64_t n_targets,
                     double limit, int threads, double* out) {
        const int64_t* ptr = reverse ? g.dn_ptr : g.up_ptr;
        const int32_t* head = reverse ? g.dn_head : g.up_head;
        const double* w = reverse ? g.dn_w : g.up_w;
        const int64_t* sptr = reverse ? g.up_ptr : g.dn_ptr;
        const int32_t* shead = reverse ? g.up_head : g.dn_head;
        const double* sw = reverse ? g.up_w : g.dn_w;
        int64_t n_blocks = (n_sources + LANES - 1) / LANES;
        std::atomic<int64_t> next(0);
        std::atomic<int> failed(0);
        auto work = [&]() {
            try {
                Upward up(g.n);
                std::vector<double> d(static_cast<size_t>(n_sel) * LANES);
                for (int64_t b = next++; b < n_blocks; b = next++) {
                    std::fill(d.begin(), d.end(), INFINITY);
                    int64_t s0 = b * LANES, s1 = std::min(n_sources, s0 + LANES);
                    for (int64_t s = s0; s < s1; ++s) {
                        int lane = int(s - s0);
                        up.run(ptr, head, w, sptr, shead, sw, seed_rank + seed_ptr[s],
                               seed_secs + seed_ptr[s], seed_ptr[s + 1] - seed_ptr[s], limit,
                               [&](int32_t x, double t) {
                                   int32_t i = local[x];
                                   if (i >= 0) d[size_t(i) * LANES + lane] = t;
                               });
                    }
                    for (int64_t i = 0; i < n_sel; ++i) {
                        double* di = &d[size_t(i) * LANES];
                        for (int64_t e = rptr[i]; e < rptr[i + 1]; ++e) {
                            const double* dj = &d[size_t(rhead[e]) * LANES];
                            const double we = rw[e];
                            for (int k = 0; k < LANES; ++k) {
                                double c = dj[k] + we;
                                di[k] = c < di[k] ? c : di[k];
                            }
                        }
                    }
                    for (int64_t s = s0; s < s1; ++s) {
                        int lane = int(s - s0);
                        double* row = out + s * n_targets;
                        for (int64_t j = 0; j < n_tn; ++j) {
                            double dj = d[size_t(tn_local[j]) * LANES + lane];
                            if (dj == INFINITY) continue;
                            for (int64_t e = tn_ptr[j]; e < tn_ptr[j + 1]; ++e) {
                                double c = dj + tn_cost[e];
                                int64_t t = tn_tgt[e];
                                if (c <= limit && c < row[t]) row[t] = c;
                            }
                        }
                    }
                }
            } catch (...) { failed = 1; }
        };
        int k = int(std::max<int64_t>(1, std::min<int64_t>(threads, n_blocks)));
        try {
            std::vector<std::thread> pool;
            for (int t = 1; t < k; ++t) pool.emplace_back(work);
            work();
            for (auto& th : pool) th.join();
        } catch (...) { return -1; }
        return failed ? -1 : 0;
    }

    }  // namespace chx
    """
    cdef cppclass Contractor "chx::Contractor":
        Contractor(int32_t n, const int32_t* indptr, const int32_t* indices,
                   const double* w) except + nogil
        void run(int max_pops, int rate_pops, int threads, int batch) except + nogil
    cdef cppclass View "chx::View":
        int32_t n
        const int64_t* up_ptr
        const int32_t* up_head
        const double* up_w
        const int64_t* dn_ptr
        const int32_t* dn_head
        const double* dn_w
    int sweep "chx::sweep"(
        const View& g, bint reverse, int64_t n_sources, const int64_t* seed_ptr,
        const int32_t* seed_rank, const double* seed_secs, const int32_t* local, int64_t n_sel,
        const int64_t* rptr, const int32_t* rhead, const double* rw, int64_t n_tn,
        const int32_t* tn_local, const int64_t* tn_ptr, const int64_t* tn_tgt,
        const double* tn_cost, int64_t n_targets, double limit, int threads,
        double* out) noexcept nogil


cdef extern from *:
    """
    #include <vector>
    // the contractor's per-node arc lists, flattened in rank order into (ptr, head, w)
    static void chx_flatten(chx::Contractor& c, bool up, int64_t* ptr, int32_t* head,
                            double* w) {
        std::vector<int32_t> order(c.n);
        for (int32_t v = 0; v < c.n; ++v) order[c.rank[v]] = v;
        int64_t at = 0;
        ptr[0] = 0;
        for (int32_t r = 0; r < c.n; ++r) {
            const std::vector<chx::Arc>& list = up ? c.up[order[r]] : c.down[order[r]];
            for (const chx::Arc& a : list) { head[at] = c.rank[a.to]; w[at] = a.w; ++at; }
            ptr[r + 1] = at;
        }
    }
    static int64_t chx_count(chx::Contractor& c, bool up) {
        int64_t m = 0;
        for (int32_t v = 0; v < c.n; ++v) m += int64_t(up ? c.up[v].size() : c.down[v].size());
        return m;
    }
    static int32_t chx_rank(chx::Contractor& c, int32_t v) { return c.rank[v]; }
    """
    void chx_flatten(Contractor& c, bint up, int64_t* ptr, int32_t* head, double* w) nogil
    int64_t chx_count(Contractor& c, bint up) nogil
    int32_t chx_rank(Contractor& c, int32_t v) nogil


ARRAYS = ("rank", "up_ptr", "up_head", "up_w", "dn_ptr", "dn_head", "dn_w")


def contract(const int32_t[::1] indptr, const int32_t[::1] indices, const double[::1] weights,
             int max_pops=500, int rate_pops=5, int threads=1, int batch=16):
    """Contract a graph (CSR, seconds on the time grid) into a hierarchy.

    ``max_pops`` bounds the witness searches that decide shortcuts, ``rate_pops`` those
    that give every node its first rating (only the order and the number of shortcuts,
    never the times, depend on them; 500 and 5 were the fastest to build and query on the
    100k grid of benchmarks/bench_engine.py among 50-2000 and 5-100). Nodes are rated on
    ``threads`` threads, ``batch`` at a time (up to that many from the top of the queue,
    no two adjacent, every witness search avoiding all of them): 16 made 0.6 % more arcs
    than one at a time on the 100k grid, for the same CPU time.
    Returns a dict of arrays (:data:`ARRAYS`): ``rank`` (node -> rank), and in rank space
    the ``up`` arcs (``up_ptr`` int64, ``up_head`` int32, ``up_w`` seconds) and the
    ``down`` arcs (``dn_*``: for each node, the higher nodes with an arc into it).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, v
    if n < 0 or indptr[n] != indices.shape[0] or indices.shape[0] != weights.shape[0]:
        raise ValueError("indptr, indices and weights do not form a CSR graph")
    for v in range(indices.shape[0]):
        if not (0 <= indices[v] < n):
            raise ValueError(f"edge {v} ends at node {indices[v]}, outside the {n} nodes")
    cdef Contractor* c
    cdef const int32_t* ip = &indices[0] if indices.shape[0] else NULL
    cdef const double* wp = &weights[0] if weights.shape[0] else NULL
    with nogil:
        c = new Contractor(<int32_t>n, &indptr[0], ip, wp)
    try:
        with nogil:
            c.run(max_pops, rate_pops, threads, batch)
        out = {}
        rank_a = np.empty(n, dtype=np.int32)
        for v in range(n):
            rank_a[v] = chx_rank(c[0], <int32_t>v)
        out["rank"] = rank_a
        for up, key in ((True, "up"), (False, "dn")):
            m = chx_count(c[0], up)
            ptr = np.empty(n + 1, dtype=np.int64)
            head = np.empty(m, dtype=np.int32)
            w = np.empty(m, dtype=np.float64)
            _flatten(c, up, ptr, head, w)
            out[key + "_ptr"], out[key + "_head"], out[key + "_w"] = ptr, head, w
        return out
    finally:
        del c


cdef void _flatten(Contractor* c, bint up, int64_t[::1] ptr, int32_t[::1] head,
                   double[::1] w) noexcept:
    with nogil:
        chx_flatten(c[0], up, &ptr[0], &head[0] if head.shape[0] else NULL,
                    &w[0] if w.shape[0] else NULL)


cdef class Hierarchy:
    """A contracted network held for queries (the arrays of :func:`contract`).

    ``check`` verifies the arrays fit together (ranks a permutation, heads in range, up
    arcs rising, down arcs from above, times finite and non-negative) so a damaged cache
    cannot send a search outside its arrays.
    """

    cdef const int32_t[::1] rank
    cdef const int64_t[::1] up_ptr
    cdef const int32_t[::1] up_head
    cdef const double[::1] up_w
    cdef const int64_t[::1] dn_ptr
    cdef const int32_t[::1] dn_head
    cdef const double[::1] dn_w
    cdef readonly Py_ssize_t n_nodes
    cdef readonly Py_ssize_t n_arcs
    cdef View view

    def __init__(self, const int32_t[::1] rank, const int64_t[::1] up_ptr,
                 const int32_t[::1] up_head, const double[::1] up_w,
                 const int64_t[::1] dn_ptr, const int32_t[::1] dn_head,
                 const double[::1] dn_w):
        cdef Py_ssize_t n = rank.shape[0], r, e
        if up_ptr.shape[0] != n + 1 or dn_ptr.shape[0] != n + 1:
            raise ValueError("the hierarchy's arrays do not fit together")
        if up_ptr[0] != 0 or dn_ptr[0] != 0 or up_ptr[n] != up_head.shape[0] \
                or dn_ptr[n] != dn_head.shape[0] or up_w.shape[0] != up_head.shape[0] \
                or dn_w.shape[0] != dn_head.shape[0]:
            raise ValueError("the hierarchy's arrays do not fit together")
        seen = np.zeros(n, dtype=np.uint8)
        cdef unsigned char[::1] sv = seen
        cdef bint bad = False
        with nogil:
            for r in range(n):
                if rank[r] < 0 or rank[r] >= n or sv[rank[r]]:
                    bad = True
                    break
                sv[rank[r]] = 1
                if up_ptr[r + 1] < up_ptr[r] or dn_ptr[r + 1] < dn_ptr[r]:
                    bad = True
                    break
                for e in range(up_ptr[r], up_ptr[r + 1]):
                    if up_head[e] <= r or up_head[e] >= n or not (up_w[e] >= 0) \
                            or up_w[e] == INFINITY:
                        bad = True
                for e in range(dn_ptr[r], dn_ptr[r + 1]):
                    if dn_head[e] <= r or dn_head[e] >= n or not (dn_w[e] >= 0) \
                            or dn_w[e] == INFINITY:
                        bad = True
                if bad:
                    break
        if bad:
            raise ValueError("the hierarchy's arrays do not fit together")
        self.rank, self.up_ptr, self.up_head, self.up_w = rank, up_ptr, up_head, up_w
        self.dn_ptr, self.dn_head, self.dn_w = dn_ptr, dn_head, dn_w
        self.n_nodes = n
        self.n_arcs = up_head.shape[0] + dn_head.shape[0]
        self.view.n = <int32_t>n
        self.view.up_ptr = &up_ptr[0]
        self.view.dn_ptr = &dn_ptr[0]
        self.view.up_head = &up_head[0] if up_head.shape[0] else NULL
        self.view.up_w = &up_w[0] if up_w.shape[0] else NULL
        self.view.dn_head = &dn_head[0] if dn_head.shape[0] else NULL
        self.view.dn_w = &dn_w[0] if dn_w.shape[0] else NULL

    def select(self, const int64_t[::1] nodes, bint reverse=False):
        """The restricted set of target ``nodes`` (network node ids): the nodes and every
        node that reaches one of them down the hierarchy (against it with ``reverse``).

        Returns ``(local, rptr, rhead, rw, tn_local)``: ``local`` (rank -> index in the set,
        -1 outside), the set's pull arcs in local indices (CSR, from the top rank down:
        every arc's head comes before its tail), and each given node's local index.
        """
        cdef Py_ssize_t n = self.n_nodes, i, e, k, m = nodes.shape[0]
        for i in range(m):
            if not (0 <= nodes[i] < n):
                raise ValueError(f"node {nodes[i]} is not one of the {n} nodes")
        cdef const int64_t* ptr = self.view.up_ptr if reverse else self.view.dn_ptr
        cdef const int32_t* head = self.view.up_head if reverse else self.view.dn_head
        cdef const double* w = self.view.up_w if reverse else self.view.dn_w
        local_a = np.full(n, -1, dtype=np.int32)
        cdef int32_t[::1] local = local_a
        mark_a = np.zeros(n, dtype=np.uint8)
        cdef unsigned char[::1] mark = mark_a
        cdef vector_i32 stack
        cdef int32_t x, y
        cdef int64_t count = 0, arcs = 0
        with nogil:
            for i in range(m):
                x = self.rank[nodes[i]]
                if not mark[x]:
                    mark[x] = 1
                    stack.push_back(x)
            while stack.size():
                x = stack.back()
                stack.pop_back()
                count += 1
                arcs += ptr[x + 1] - ptr[x]
                for e in range(ptr[x], ptr[x + 1]):
                    y = head[e]
                    if not mark[y]:
                        mark[y] = 1
                        stack.push_back(y)
            k = 0
            i = n - 1
            while i >= 0:  # from the top rank down
                if mark[i]:
                    local[i] = <int32_t>k
                    k += 1
                i -= 1
        rptr_a = np.empty(count + 1, dtype=np.int64)
        rhead_a = np.empty(arcs, dtype=np.int32)
        rw_a = np.empty(arcs, dtype=np.float64)
        cdef int64_t[::1] rptr = rptr_a
        cdef int32_t[::1] rhead = rhead_a
        cdef double[::1] rw = rw_a
        tn_a = np.empty(m, dtype=np.int32)
        cdef int32_t[::1] tn = tn_a
        cdef int64_t at = 0
        with nogil:
            k = 0
            rptr[0] = 0
            i = n - 1
            while i >= 0:
                if mark[i]:
                    for e in range(ptr[i], ptr[i + 1]):
                        rhead[at] = local[head[e]]
                        rw[at] = w[e]
                        at += 1
                    k += 1
                    rptr[k] = at
                i -= 1
            for i in range(m):
                tn[i] = local[self.rank[nodes[i]]]
        return local_a, rptr_a, rhead_a, rw_a, tn_a

    def many_to_many(self, const int64_t[::1] seed_ptr, const int64_t[::1] seed_node,
                     const double[::1] seed_secs, const int32_t[::1] local,
                     const int64_t[::1] rptr, const int32_t[::1] rhead, const double[::1] rw,
                     const int32_t[::1] tn_local, const int64_t[::1] tn_ptr,
                     const int64_t[::1] tn_tgt,
                     const double[::1] tn_cost, double limit, double[:, ::1] out,
                     bint reverse=False, int threads=1):
        """Times from every source (seeds ``seed_ptr``/``seed_node``/``seed_secs``, as the
        Dijkstra kernels take them) to every target, min-combined into ``out`` (sources x
        targets, filled with ``inf`` by the caller): target node ``j`` (``tn_local[j]`` in
        the restricted set, see :meth:`select`) carries targets
        ``tn_tgt[tn_ptr[j]:tn_ptr[j+1]]`` at ``tn_cost`` seconds beyond it; entries above
        ``limit`` are left out.
        """
        cdef Py_ssize_t n = self.n_nodes, i
        cdef int64_t n_src = seed_ptr.shape[0] - 1, n_sel = rptr.shape[0] - 1
        cdef int64_t n_tn = tn_ptr.shape[0] - 1, n_tgt = out.shape[1], m = seed_node.shape[0]
        if n_src < 0 or out.shape[0] != n_src or seed_secs.shape[0] != m \
                or seed_ptr[0] != 0 or seed_ptr[n_src] != m:
            raise ValueError("seeds and the output do not fit together")
        if local.shape[0] != n or tn_local.shape[0] != n_tn or n_sel < 0 \
                or rptr[n_sel] != rhead.shape[0] \
                or rw.shape[0] != rhead.shape[0] or tn_tgt.shape[0] != tn_cost.shape[0] \
                or tn_ptr[n_tn] != tn_tgt.shape[0]:
            raise ValueError("the restricted set does not fit the hierarchy")
        for i in range(m):
            if not (0 <= seed_node[i] < n):
                raise ValueError(f"seed {i}: node {seed_node[i]} is not one of the {n} nodes")
        for i in range(n_tn):
            if not (0 <= tn_local[i] < n_sel):
                raise ValueError(f"target node {i} is outside the restricted set")
        for i in range(tn_tgt.shape[0]):
            if not (0 <= tn_tgt[i] < n_tgt):
                raise ValueError(f"target {tn_tgt[i]} is outside the output's columns")
        seed_rank_a = np.empty(m, dtype=np.int32)
        cdef int32_t[::1] seed_rank = seed_rank_a
        for i in range(m):
            seed_rank[i] = self.rank[seed_node[i]]
        cdef int rc
        with nogil:
            rc = sweep(self.view, reverse, n_src, &seed_ptr[0],
                       &seed_rank[0] if m else NULL, &seed_secs[0] if m else NULL,
                       &local[0], n_sel, &rptr[0], &rhead[0] if rhead.shape[0] else NULL,
                       &rw[0] if rw.shape[0] else NULL, n_tn,
                       &tn_local[0] if n_tn else NULL, &tn_ptr[0],
                       &tn_tgt[0] if tn_tgt.shape[0] else NULL,
                       &tn_cost[0] if tn_cost.shape[0] else NULL, n_tgt, limit, threads,
                       &out[0, 0] if out.shape[0] and out.shape[1] else NULL)
        if rc != 0:
            raise MemoryError("not enough memory for the many-to-many query")

