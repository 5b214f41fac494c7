// Shared by the compiled routing kernels (geo/routing/_dijkstra.pyx, _hierarchy.pyx).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

// Graph arrays use 32-bit node and edge ids (CSRGraph checks the network fits): half
// the memory traffic of int64 CSR arrays on the large networks.
typedef int32_t csr_id;

// Binary min-heap of (seconds, node) with lazy deletion: a node is pushed again when
// its time drops and the stale entries are skipped when popped (the caller compares
// with its distance array). Storage is reserved up front and kept between searches,
// so a search allocates nothing. Pops move the hole down to a leaf along the smaller
// child and then sift the last item up from there ("bottom-up" deletion: one key
// comparison per level instead of two; the last item nearly always belongs near the
// bottom). Measured on the 100k grid: 10-20 % faster than the textbook sift-down; a
// radix heap, an indexed 4-ary heap with decrease-key and a lazy 4-ary heap were not
// faster.
//
// TIES = true breaks equal keys by node id: (seconds, node) items then pop in one order
// whatever else the heap holds, so a search bounded at L settles, in the same order,
// exactly the nodes that a search bounded at L' > L settles within L. The bounded reach
// searches use it (TieHeap): a study's reach structure at its largest catchment replays
// every smaller catchment's rows entry for entry (geo.routing.travel.SharedReach).
// The tie test is branchless: with && and || the bounded reach of 200 sources on the
// 100k grid (equal times everywhere) took 25 % longer than with keys alone, this way 3-8 %.
template <bool TIES>
struct HeapT {
    struct Item { double key; csr_id node; };
    std::vector<Item> items;

    static inline bool less(const Item& a, const Item& b) {
        if (TIES) return (a.key < b.key) | ((a.key == b.key) & (a.node < b.node));
        return a.key < b.key;
    }
    inline void reserve(size_t n) { items.reserve(n); }
    inline bool empty() const { return items.empty(); }
    inline void clear() { items.clear(); }
    inline void push(double d, csr_id node) {
        size_t i = items.size();
        items.push_back(Item{d, node});
        sift_up(i, Item{d, node});
    }
    inline void sift_up(size_t i, Item it) {
        while (i > 0) {
            size_t parent = (i - 1) >> 1;
            if (!less(it, items[parent])) break;
            items[i] = items[parent];
            i = parent;
        }
        items[i] = it;
    }
    // pops the smallest key; returns its node and writes its key to *d
    inline csr_id pop(double* d) {
        Item top = items[0];
        Item last = items.back();
        items.pop_back();
        size_t n = items.size();
        if (n > 0) {
            size_t i = 0;
            while (true) {
                size_t c = 2 * i + 1;
                if (c + 1 >= n) {
                    if (c < n) { items[i] = items[c]; i = c; }
                    break;
                }
                c += less(items[c + 1], items[c]);
                items[i] = items[c];
                i = c;
            }
            sift_up(i, last);
        }
        *d = top.key;
        return top.node;
    }
};
typedef HeapT<false> Heap;
typedef HeapT<true> TieHeap;
