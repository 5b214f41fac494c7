"""Every access measure on a tiny instance worked out by hand (the arithmetic is in the
comments; the asserted numbers are those hand results, written as fractions)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from geo.errors import MeasureError
from geo.measures import (
    ExponentialDecay,
    GaussianCatchment,
    PowerDecay,
    Steps,
    e2sfca,
    fca_ratio,
    gaussian_2sfca,
    gravity,
    hansen,
    three_step,
    two_step,
)

# Facilities F0 (10 beds) and F1 (20 beds); demand points D0 (100 people), D1 (200),
# D2 (300). Stored pairs (seconds): F0-D0 0 s (F0 stands on D0: an explicit zero),
# F0-D1 600 s, F1-D1 300 s, F1-D2 1,200 s.
SUPPLY = np.array([10.0, 20.0])
POP = np.array([100.0, 200.0, 300.0])


def _reach() -> sp.csr_matrix:
    return sp.csr_matrix((np.array([0.0, 600.0, 300.0, 1200.0]), np.array([0, 1, 1, 2]),
                          np.array([0, 2, 4])), shape=(2, 3))


def test_2sfca() -> None:
    r = two_step(_reach(), SUPPLY, POP)
    # C0 = 100 + 200 = 300, R0 = 10/300; C1 = 200 + 300 = 500, R1 = 20/500
    np.testing.assert_allclose(r.catchment, [300, 500])
    np.testing.assert_allclose(r.ratio, [1 / 30, 1 / 25])
    # A0 = R0, A1 = R0 + R1, A2 = R1
    np.testing.assert_allclose(r.index, [1 / 30, 1 / 30 + 1 / 25, 1 / 25], rtol=1e-12)
    # the index shares out the supply: 100/30 + 200 * 11/150 + 300/25 = 30 beds
    assert float(POP @ r.index) == pytest.approx(30.0, rel=1e-12)


def test_the_zero_second_pair_counts() -> None:
    # were the 0 s entry dropped (data > 0), C0 would be 200 and A0 = 0
    m = _reach()
    assert m.data[0] == 0.0 and m.nnz == 4
    r = two_step(m, SUPPLY, POP)
    assert r.catchment[0] == 300.0 and r.index[0] == pytest.approx(1 / 30)


def test_2sfca_with_a_cutoff() -> None:
    # 900 s leaves F1-D2 (1,200 s) out: C1 = 200, R1 = 0.1; A2 = 0
    r = two_step(_reach(), SUPPLY, POP, max_seconds=900.0)
    np.testing.assert_allclose(r.index, [1 / 30, 1 / 30 + 0.1, 0.0], rtol=1e-12)
    # a cutoff exactly on a pair keeps it (<=, as PySAL access's max_cost)
    r2 = two_step(_reach(), SUPPLY, POP, max_seconds=1200.0)
    np.testing.assert_allclose(r2.index, [1 / 30, 1 / 30 + 1 / 25, 1 / 25], rtol=1e-12)


def test_e2sfca_band_edges_are_inclusive() -> None:
    # bands (0, 300] x 1, (300, 600] x 0.68, (600, 1200] x 0.22; 0 s is in the first.
    # W: F0-D0 1, F0-D1 0.68 (600 is on an edge: lower band), F1-D1 1, F1-D2 0.22
    steps = Steps((300.0, 600.0, 1200.0), (1.0, 0.68, 0.22))
    np.testing.assert_allclose(steps(np.array([0.0, 300.0, 300.5, 600.0, 1200.0, 1200.5])),
                               [1, 1, 0.68, 0.68, 0.22, 0])
    r = e2sfca(_reach(), SUPPLY, POP, steps)
    # C0 = 100 + 0.68 * 200 = 236; C1 = 200 + 0.22 * 300 = 266
    np.testing.assert_allclose(r.catchment, [236, 266])
    r0, r1 = 10 / 236, 20 / 266
    np.testing.assert_allclose(r.index, [r0, 0.68 * r0 + r1, 0.22 * r1], rtol=1e-12)
    assert r.method == "e2sfca"
    assert "0-5 min x 1, 5-10 min x 0.68, 10-20 min x 0.22" in r.notes[0]


def test_gaussian_2sfca_by_hand() -> None:
    # G(d) = (exp(-(d/d0)^2 / 2) - exp(-1/2)) / (1 - exp(-1/2)), d0 = 1,200 s:
    # G(0) = 1; G(300) = (exp(-1/32) - e) / (1 - e) with e = exp(-1/2) = 0.6065307
    #      = (0.9692332 - 0.6065307) / 0.3934693 = 0.921806;
    # G(600) = (exp(-1/8) - e) / (1 - e) = (0.8824969 - 0.6065307) / 0.3934693 = 0.701366;
    # G(1200) = 0 (the catchment edge).
    g = GaussianCatchment(1200.0)
    np.testing.assert_allclose(g(np.array([0.0, 300.0, 600.0, 1200.0, 1500.0])),
                               [1.0, 0.921806, 0.701366, 0.0, 0.0], atol=2e-6)
    assert g(np.array([1200.0]))[0] == 0.0  # exactly
    r = gaussian_2sfca(_reach(), SUPPLY, POP, 1200.0)
    # C0 = 100 + 200 G600 = 240.2732, R0 = 10 / 240.2732 = 0.0416193
    # C1 = 200 G300 + 300 * 0 = 184.3612, R1 = 20 / 184.3612 = 0.108483
    # A0 = R0; A1 = G600 R0 + G300 R1 = 0.029190 + 0.1 (G300 cancels: 20 / 200) = 0.129190
    # A2 = 0 (its only pair is on the catchment edge)
    np.testing.assert_allclose(r.catchment, [240.2732, 184.3612], atol=1e-3)
    np.testing.assert_allclose(r.index, [0.0416193, 0.129190, 0.0], atol=2e-6)
    # F1's supply still counts in full (D1 reaches it): sum P A = 30
    assert float(POP @ r.index) == pytest.approx(30.0, rel=1e-12)


def test_3sfca_by_hand() -> None:
    # W as in the E2SFCA case: F0-D0 1, F0-D1 0.68, F1-D1 1, F1-D2 0.22.
    # T (sum of W per demand point): D0 1, D1 1.68, D2 0.22; G = W / T:
    # F0-D0 1, F0-D1 0.68/1.68, F1-D1 1/1.68, F1-D2 1.
    steps = Steps((300.0, 600.0, 1200.0), (1.0, 0.68, 0.22))
    r = three_step(_reach(), SUPPLY, POP, steps)
    c0 = 1 * 1 * 100 + (0.68 / 1.68) * 0.68 * 200  # = 155.047619
    c1 = (1 / 1.68) * 1 * 200 + 1 * 0.22 * 300  # = 185.047619
    np.testing.assert_allclose(r.catchment, [c0, c1], rtol=1e-12)
    r0, r1 = 10 / c0, 20 / c1
    expected = [r0, (0.68 / 1.68) * 0.68 * r0 + (1 / 1.68) * r1, 0.22 * r1]
    np.testing.assert_allclose(r.index, expected, rtol=1e-12)
    np.testing.assert_allclose(r.index, [0.0644963, 0.0820853, 0.0237777], atol=1e-7)
    assert float(POP @ r.index) == pytest.approx(30.0, rel=1e-12)


def test_gravity_and_hansen_by_hand() -> None:
    # power decay beta 1, scale 60 s, trips under 60 s count as 60 s:
    # w(0) = (60/60)^-1 = 1, w(300) = 1/5, w(600) = 1/10, w(1200) = 1/20
    decay = PowerDecay(1.0, 60.0, 60.0)
    r = gravity(_reach(), SUPPLY, POP, decay)
    # C0 = 100 + 200/10 = 120, R0 = 1/12; C1 = 200/5 + 300/20 = 55, R1 = 4/11
    np.testing.assert_allclose(r.catchment, [120, 55])
    np.testing.assert_allclose(r.index, [1 / 12, 0.1 / 12 + 0.2 * 4 / 11, 0.05 * 4 / 11],
                               rtol=1e-12)
    # Hansen: H0 = 10, H1 = 10/10 + 20/5 = 5, H2 = 20/20 = 1
    np.testing.assert_allclose(hansen(_reach(), SUPPLY, decay, n_demand=3), [10, 5, 1])
    # exponential decay exp(-t / 600 s): H2 = 20 exp(-2)
    h = hansen(_reach(), SUPPLY, ExponentialDecay(1.0, 600.0), n_demand=3)
    assert h[2] == pytest.approx(20 * math.exp(-2), rel=1e-12)


def test_fca_ratio_by_hand() -> None:
    # neighbours (demand x demand, seconds): D0 sees D0, D1; D1 sees D0, D1, D2; D2 sees D2
    nb = sp.csr_matrix((np.array([0.0, 500, 500, 0, 700, 0]), np.array([0, 1, 0, 1, 2, 2]),
                        np.array([0, 2, 5, 6])), shape=(3, 3))
    # supply within reach: D0 10, D1 30, D2 20; people within reach: 300, 600, 300
    np.testing.assert_allclose(fca_ratio(_reach(), nb, SUPPLY, POP), [1 / 30, 0.05, 1 / 15])


def test_a_facility_nobody_reaches_is_idle_not_infinite() -> None:
    # F2 (5 beds) reaches only D3, where nobody lives
    m = sp.csr_matrix((np.array([0.0, 600, 300, 1200, 60]), np.array([0, 1, 1, 2, 3]),
                       np.array([0, 2, 4, 5])), shape=(3, 4))
    r = two_step(m, [10.0, 20.0, 5.0], [100.0, 200.0, 300.0, 0.0])
    assert math.isnan(r.ratio[2]) and r.catchment[2] == 0.0
    assert r.idle.tolist() == [2]
    assert r.index[3] == 0.0 and np.isfinite(r.index).all()
    assert r.reached_supply == 30.0


def test_threads_give_the_same_sums() -> None:
    rng = np.random.default_rng(4)
    dense = np.where(rng.random((40, 300)) < 0.2, rng.uniform(0, 1800, (40, 300)), np.nan)
    dense[3, :5] = 0.0  # explicit zeros
    dense[7] = np.nan  # a facility with no pair
    rows, cols = np.nonzero(~np.isnan(dense))
    m = sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)
    s, p = rng.integers(1, 50, 40).astype(float), rng.uniform(0, 100, 300)
    steps = Steps((600.0, 1200.0, 1800.0), (1.0, 0.68, 0.22))
    one = (two_step(m, s, p, steps, threads=1).index,
           three_step(m, s, p, steps, threads=1).index,
           hansen(m, s, steps, n_demand=300))
    for k in (2, 5, 64):
        more = (two_step(m, s, p, steps, threads=k).index,
                three_step(m, s, p, steps, threads=k).index,
                hansen(m, s, steps, n_demand=300))
        for a, b in zip(one, more, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    # the same matrix with 64-bit indices
    wide = m.copy()  # scipy narrows int64 indices that fit: set them after construction
    wide.indices, wide.indptr = m.indices.astype(np.int64), m.indptr.astype(np.int64)
    assert wide.indices.dtype == np.int64 and wide.indptr.dtype == np.int64
    np.testing.assert_allclose(two_step(wide, s, p, steps).index, one[0], rtol=1e-12)


@pytest.mark.parametrize("weight", [
    Steps((300.0, 600.0, 1200.0), (1.0, 0.68, 0.22)), GaussianCatchment(1000.0),
    PowerDecay(1.3, 60.0, 30.0), ExponentialDecay(0.7, 300.0)])
def test_the_compiled_weights_equal_the_numpy_ones(weight: object) -> None:
    """One facility row holding many times: its column sums are the weights themselves."""
    d = np.concatenate([[0.0, 300.0, 600.0, 1000.0, 1200.0], np.linspace(0, 1500, 301)])
    m = sp.csr_matrix((d, np.arange(len(d)), [0, len(d)]), shape=(1, len(d)))
    kernel = hansen(m, [1.0], weight, n_demand=len(d))  # type: ignore[arg-type]
    np.testing.assert_allclose(kernel, weight(d), rtol=1e-13, atol=1e-15)  # type: ignore[operator]
    cut = hansen(m, [1.0], weight, n_demand=len(d), max_seconds=600.0)  # type: ignore[arg-type]
    np.testing.assert_allclose(cut, np.where(d <= 600.0, weight(d), 0.0),  # type: ignore[operator]
                               rtol=1e-13, atol=1e-15)


def test_bad_inputs_stop() -> None:
    with pytest.raises(MeasureError, match="2 facilities x 3 demand points"):
        two_step(_reach(), [1.0, 2.0, 3.0], POP)
    with pytest.raises(MeasureError, match="population"):
        two_step(_reach(), SUPPLY, [1.0, -2.0, 3.0])
    with pytest.raises(MeasureError, match="supply"):
        two_step(_reach(), [1.0, np.nan], POP)
    bad = _reach()
    bad.data[1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        two_step(bad, SUPPLY, POP)
    with pytest.raises(ValueError, match="CSR"):
        two_step(_reach().tocoo(), SUPPLY, POP)
    with pytest.raises(MeasureError, match="increasing"):
        Steps((600.0, 300.0), (1.0, 0.5))
    with pytest.raises(MeasureError, match="infinitely"):
        PowerDecay(1.0, 60.0, 0.0)


def test_parts_run_serially_give_the_threads_sums_to_the_last_bit() -> None:
    """A small matrix's parts run one after another on the calling thread (no threads
    started) and add exactly what threads add: the same parts, in the same order."""
    from geo.measures import _kernels

    rng = np.random.default_rng(9)
    dense = np.where(rng.random((60, 500)) < 0.3, rng.uniform(0, 1800, (60, 500)), np.nan)
    rows, cols = np.nonzero(~np.isnan(dense))
    m = sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)
    s, p = rng.uniform(1, 50, 60), rng.uniform(0, 100, 500)
    params = np.array([600.0, 1200.0, 1800.0, 1.0, 0.68, 0.22])
    for mode in (_kernels.TWO_STEP, _kernels.COL_SUMS, _kernels.ROW_SUMS):
        for parts in (1, 2, 3, 8):
            args = (mode, m.indptr, m.indices, m.data, 500, 1, params, np.inf, False, s, p,
                    parts)
            threaded = _kernels.fca(*args, serial=False)
            serial = _kernels.fca(*args, serial=True)
            for a, b in zip(threaded, serial, strict=True):
                if a is None:
                    assert b is None
                else:
                    np.testing.assert_array_equal(a, b)
        # the parts change the order of the additions: some sum differs in the last bits
        # between one part and eight, which is why the serial run keeps the parts
    one = _kernels.fca(_kernels.COL_SUMS, m.indptr, m.indices, m.data, 500, 1, params,
                       np.inf, False, s, p, 1)[1]
    eight = _kernels.fca(_kernels.COL_SUMS, m.indptr, m.indices, m.data, 500, 1, params,
                         np.inf, False, s, p, 8)[1]
    assert one is not None and eight is not None
    assert not np.array_equal(one, eight)
    np.testing.assert_allclose(one, eight, rtol=1e-12)
