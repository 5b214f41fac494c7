# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled passes of the access measures over a CSR facility × demand matrix of seconds.

Why compiled: a pass of the floating-catchment family is two sums per stored pair (a
facility's weighted catchment, then its ratio shared out to the demand points it reaches).
With numpy each pass needs a weight array and products as large as the block it works on,
and it runs on one core; here the weight of each pair is computed once, inline, into a
buffer the size of one row, and the rows are shared between threads (each with its own
demand-side sums, added up at the end), so memory beyond the matrix is a few arrays of
the demand points' size, and a 100-million-pair matrix takes seconds.

Weights (``kind``; ``p``: parameters), exactly as :mod:`geo.measures.weights`:

* 0 — 1 per pair; 1 — steps: ``p = [edge_0..edge_n-1, value_0..value_n-1]``, the value of
  the first edge >= d (0 beyond the last); 2 — Gaussian catchment ``p = [d0]``:
  ``max(0, (exp(-(d/d0)^2/2) - exp(-1/2)) / (1 - exp(-1/2)))``; 3 — power decay
  ``p = [beta, scale, min]``: ``(max(d, min) / scale) ** -beta``; 4 — exponential
  ``p = [beta, scale]``: ``exp(-beta d / scale)``.

Every pair with ``d > cutoff`` weighs 0 (``cutoff = inf``: none). A stored 0 s pair is a
pair like any other.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()


cdef extern from *:
    """
    #include <algorithm>
    #include <cmath>
    #include <cstdint>
    #include <exception>
    #include <thread>
    #include <vector>

    struct FcaWeight {
        int kind; const double* p; int64_t np; double cutoff; double eh;
        inline double operator()(double d) const {
            if (d > cutoff) return 0.0;
            switch (kind) {
            case 0: return 1.0;
            case 1: {
                int64_t n = np / 2;
                for (int64_t k = 0; k < n; ++k) if (d <= p[k]) return p[n + k];
                return 0.0;
            }
            case 2: {
                double r = d / p[0];
                r *= r; r *= -0.5;
                double g = (std::exp(r) - eh) / (1.0 - eh);
                return g > 0.0 ? g : 0.0;
            }
            case 3: return std::pow(std::max(d, p[2]) / p[1], -p[0]);
            default: return std::exp(d * (-p[0] / p[1]));
            }
        }
    };

    // Row ranges of about equal numbers of entries, one per thread.
    template <typename I>
    static std::vector<int64_t> fca_split(const I* indptr, int64_t n_rows, int threads) {
        std::vector<int64_t> cut(threads + 1, n_rows);
        cut[0] = 0;
        int64_t nnz = indptr[n_rows];
        for (int t = 1; t < threads; ++t) {
            int64_t goal = nnz * t / threads;
            cut[t] = std::upper_bound(indptr, indptr + n_rows + 1, (I)goal) - indptr - 1;
            cut[t] = std::max(cut[t], cut[t - 1]);
        }
        return cut;
    }

    // The passes below with every weight 1 (plain 2SFCA, Hansen counts, FCA ratio).
    template <typename I>
    static void fca_rows_ones(int mode, const I* indptr, const I* indices, const double* S,
                              const double* P, int64_t r0, int64_t r1, double* out_rows,
                              double* out_cols) {
        for (int64_t j = r0; j < r1; ++j) {
            int64_t a = indptr[j], b = indptr[j + 1];
            if (mode == 1) {
                double s = S[j];
                for (int64_t k = a; k < b; ++k) out_cols[indices[k]] += s;
                continue;
            }
            double c = 0.0;
            for (int64_t k = a; k < b; ++k) c += P[indices[k]];
            out_rows[j] = c;
            if (mode == 2 || !(c > 0.0)) continue;
            double r = S[j] / c;
            for (int64_t k = a; k < b; ++k) out_cols[indices[k]] += r;
        }
    }

    // mode 0 (two step): per row j, c_j = sum w(d)^e P[i]; out_rows[j] = c_j; then
    //   out_cols[i] += w(d)^e * S[j] / c_j for c_j > 0   (e = 2 when squared, else 1)
    // mode 1 (column sums): out_cols[i] += w(d) * S[j]
    // mode 2 (row sums): out_rows[j] = sum w(d) * P[i]
    template <typename I>
    static void fca_rows(int mode, const I* indptr, const I* indices, const double* data,
                         const FcaWeight& w, bool squared, const double* S, const double* P,
                         int64_t r0, int64_t r1, double* out_rows, double* out_cols) {
        if (w.kind == 0 && std::isinf(w.cutoff)) {  // 1 per pair: the seconds are not read
            fca_rows_ones<I>(mode, indptr, indices, S, P, r0, r1, out_rows, out_cols);
            return;
        }
        std::vector<double> buf;
        for (int64_t j = r0; j < r1; ++j) {
            int64_t a = indptr[j], b = indptr[j + 1];
            if ((int64_t)buf.size() < b - a) buf.resize(b - a);
            for (int64_t k = a; k < b; ++k) {
                double x = w(data[k]);
                buf[k - a] = squared ? x * x : x;
            }
            if (mode == 1) {
                double s = S[j];
                for (int64_t k = a; k < b; ++k) out_cols[indices[k]] += buf[k - a] * s;
                continue;
            }
            double c = 0.0;
            for (int64_t k = a; k < b; ++k) c += buf[k - a] * P[indices[k]];
            out_rows[j] = c;
            if (mode == 2 || !(c > 0.0)) continue;
            double r = S[j] / c;
            for (int64_t k = a; k < b; ++k) out_cols[indices[k]] += buf[k - a] * r;
        }
    }

    // One pass in `threads` parts of rows; part 0 adds into out_cols, the others into their
    // own arrays, summed into out_cols at the end. The parts run on their own threads, or
    // one after another on the calling thread when `serial` (small matrices: starting
    // threads costs more than the pass): the same sums, added in the same order, either
    // way. Returns 0, or -1 without memory/threads.
    template <typename I>
    static int fca_pass_t(int mode, const I* indptr, const I* indices, const double* data,
                          int64_t n_rows, int64_t n_cols, int kind, const double* p,
                          int64_t np, double cutoff, bool squared, const double* S,
                          const double* P, int threads, bool serial, double* out_rows,
                          double* out_cols) {
        FcaWeight w{kind, p, np, cutoff, std::exp(-0.5)};
        try {
            threads = (int)std::max<int64_t>(1, std::min<int64_t>(threads, n_rows));
            std::vector<int64_t> cut = fca_split(indptr, n_rows, threads);
            std::vector<std::vector<double>> mine(threads - 1);
            if (mode != 2)
                for (auto& v : mine) v.assign(n_cols, 0.0);
            std::vector<char> failed(threads, 0);
            auto work = [&](int t) {
                try {
                    double* cols = t == 0 ? out_cols : mine[t - 1].data();
                    fca_rows<I>(mode, indptr, indices, data, w, squared, S, P, cut[t],
                                cut[t + 1], out_rows, cols);
                } catch (...) { failed[t] = 1; }
            };
            if (serial) {
                for (int t = 0; t < threads; ++t) work(t);
            } else {
                std::vector<std::thread> pool;
                for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
                work(0);
                for (auto& th : pool) th.join();
            }
            for (int t = 0; t < threads; ++t) if (failed[t]) return -1;
            if (mode != 2)
                for (auto& v : mine)
                    for (int64_t i = 0; i < n_cols; ++i) out_cols[i] += v[i];
        } catch (...) { return -1; }
        return 0;
    }

    static int fca_pass(int mode, bool wide, const void* indptr, const void* indices,
                        const double* data, int64_t n_rows, int64_t n_cols, int kind,
                        const double* p, int64_t np, double cutoff, bool squared,
                        const double* S, const double* P, int threads, bool serial,
                        double* out_rows, double* out_cols) {
        if (wide)
            return fca_pass_t<int64_t>(mode, (const int64_t*)indptr, (const int64_t*)indices,
                                       data, n_rows, n_cols, kind, p, np, cutoff, squared, S,
                                       P, threads, serial, out_rows, out_cols);
        return fca_pass_t<int32_t>(mode, (const int32_t*)indptr, (const int32_t*)indices,
                                   data, n_rows, n_cols, kind, p, np, cutoff, squared, S, P,
                                   threads, serial, out_rows, out_cols);
    }
    """
    int fca_pass(int mode, bint wide, const void* indptr, const void* indices,
                 const double* data, int64_t n_rows, int64_t n_cols, int kind,
                 const double* p, int64_t n_p, double cutoff, bint squared, const double* S,
                 const double* P, int threads, bint serial, double* out_rows,
                 double* out_cols) noexcept nogil


TWO_STEP, COL_SUMS, ROW_SUMS = 0, 1, 2


def fca(int mode, indptr, indices, const double[::1] data, Py_ssize_t n_cols, int kind,
        const double[::1] params, double cutoff, bint squared, const double[::1] supply,
        const double[::1] population, int threads=1, bint serial=False):
    """One pass over a CSR matrix (``indptr``/``indices`` both int32 or both int64).

    ``mode`` TWO_STEP: returns ``(catchment per row, index per column)`` with ``supply`` per
    row and ``population`` per column; COL_SUMS: ``(None, sum over rows of w * supply)``;
    ROW_SUMS: ``(sum over columns of w * population, None)``. Sums do not depend on
    ``threads`` beyond rounding; ``serial`` runs the ``threads`` parts one after another on
    the calling thread, with the same sums to the last bit.
    """
    ip = np.ascontiguousarray(indptr)
    ix = np.ascontiguousarray(indices)
    if ip.dtype != ix.dtype or ip.dtype not in (np.int32, np.int64):
        raise ValueError("indptr and indices must both be int32 or both int64")
    cdef Py_ssize_t n_rows = ip.shape[0] - 1
    if ix.shape[0] != data.shape[0] or n_rows < 0 or ip[n_rows] != data.shape[0]:
        raise ValueError("indptr, indices and data do not form a CSR matrix")
    if mode != ROW_SUMS and supply.shape[0] != n_rows:
        raise ValueError("one supply value per row is needed")
    if mode != COL_SUMS and population.shape[0] != n_cols:
        raise ValueError("one population value per column is needed")
    rows_a = np.zeros(max(n_rows, 1))
    cols_a = np.zeros(max(n_cols, 1))
    cdef double[::1] rows = rows_a
    cdef double[::1] cols = cols_a
    cdef const void* pp = cnp.PyArray_DATA(ip)
    cdef const void* px = cnp.PyArray_DATA(ix)
    cdef bint wide = ip.dtype == np.int64
    cdef const double* d = &data[0] if data.shape[0] else NULL
    cdef const double* par = &params[0] if params.shape[0] else NULL
    cdef const double* s = &supply[0] if supply.shape[0] else NULL
    cdef const double* pop = &population[0] if population.shape[0] else NULL
    cdef int rc = 0
    cdef int64_t np_ = params.shape[0]
    with nogil:
        rc = fca_pass(mode, wide, pp, px, d, n_rows, n_cols, kind, par, np_, cutoff,
                      squared, s, pop, threads, serial, &rows[0], &cols[0])
    if rc != 0:
        raise MemoryError("not enough memory for the access-measure pass")
    return (rows_a[:n_rows] if mode != COL_SUMS else None,
            cols_a[:n_cols] if mode != ROW_SUMS else None)
