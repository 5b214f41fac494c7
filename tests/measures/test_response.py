"""The emergency response model on a tiny network by hand, and against networkx."""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import MeasureError
from geo.network.lines import build_network
from geo.routing.emergency import emergency_network, response_times
from geo.routing.travel import nearest_facility, snap_points
from tests.conftest import UTM49, X0, Y0, lines_gdf
from tests.routing.test_travel import ACCESS, _grid_lines, _reference

SPEEDS = {"primary": 60.0, "secondary": 40.0}


def _road():  # type: ignore[no-untyped-def]
    # x = 0..5 km primary at 60 km/h (60 s per km), 5..10 km secondary at 40 km/h (90 s per km)
    rows = [{"coords": [(0, 0), (5000, 0)], "highway": "primary"},
            {"coords": [(5000, 0), (10000, 0)], "highway": "secondary"}]
    return build_network(lines_gdf(rows), crs=UTM49, speeds_kmh=SPEEDS)


def _xy(xs: list[float]) -> np.ndarray:
    return np.array([(X0 + x, Y0) for x in xs])


def test_response_and_definitive_care_by_hand() -> None:
    net = _road()
    bases = snap_points(net, _xy([0.0, 10000.0]))  # A at x = 0, B at x = 10 km
    hosp = snap_points(net, _xy([10000.0]))  # the hospital at x = 10 km
    scenes = snap_points(net, _xy([5000.0, 8000.0]))
    kw = {"access_speed_kmh": ACCESS}
    # A leaves after 180 s, B after 600 s:
    # x = 5 km: A 180 + 300 = 480; B 600 + 450 = 1,050 -> A, 480 s
    # x = 8 km: A 180 + 300 + 270 = 750; B 600 + 180 = 780 -> A, 750 s
    # to hospital: from 5 km 450 s, from 8 km 180 s; 10 minutes on scene
    t = response_times(net, bases, scenes, hosp, dispatch_s=[180.0, 600.0], scene_s=600.0, **kw)
    np.testing.assert_allclose(t.response_s, [480.0, 750.0], atol=1e-9)
    assert t.base.tolist() == [0, 0]
    np.testing.assert_allclose(t.to_hospital_s, [450.0, 180.0], atol=1e-9)
    np.testing.assert_allclose(t.care_s, [480 + 600 + 450, 750 + 600 + 180], atol=1e-9)
    # B leaving after 300 s instead wins at 8 km (480 s)
    t2 = response_times(net, bases, scenes, hosp, dispatch_s=[180.0, 300.0], **kw)
    np.testing.assert_allclose(t2.response_s, [480.0, 480.0], atol=1e-9)
    assert t2.base.tolist() == [0, 1]
    # ambulances 1.5x as fast on secondary roads: 60 s per km there
    # x = 8 km: A 180 + 300 + 180 = 660, B 600 + 120 = 720 -> 660; hospital 300 s / 120 s
    fast = emergency_network(net, {"secondary": 1.5})
    t3 = response_times(fast, snap_points(fast, _xy([0.0, 10000.0])),
                        snap_points(fast, _xy([5000.0, 8000.0])),
                        snap_points(fast, _xy([10000.0])), dispatch_s=[180.0, 600.0], **kw)
    np.testing.assert_allclose(t3.response_s, [480.0, 660.0], atol=1e-9)
    np.testing.assert_allclose(t3.to_hospital_s, [300.0, 120.0], atol=1e-9)
    # the original network is untouched
    t4 = response_times(net, bases, scenes, hosp, dispatch_s=[180.0, 600.0], **kw)
    np.testing.assert_allclose(t4.response_s, [480.0, 750.0], atol=1e-9)


def _nets(n: int, step: float, factor: dict[str, float]):  # type: ignore[no-untyped-def]
    """A grid at default speeds, the same at emergency speeds (emergency_network), and the
    grid built independently with the speeds multiplied by the factors."""
    lines = lines_gdf(_grid_lines(n, step))
    speeds = {"primary": 60.0, "secondary": 45.0, "tertiary": 35.0, "residential": 25.0}
    net = build_network(lines, crs=UTM49, speeds_kmh=speeds, min_component_share=0)
    scaled = build_network(lines, crs=UTM49, min_component_share=0,
                           speeds_kmh={k: v * factor.get(k, 1.0) for k, v in speeds.items()})
    return net, emergency_network(net, factor), scaled


def test_speed_factors_equal_a_network_built_at_those_speeds() -> None:
    """Scaling seconds per class = building the network with the scaled speeds."""
    net, fast, scaled = _nets(10, 900.0, {"primary": 1.2, "tertiary": 1.5})
    np.testing.assert_allclose(fast.seg_fw_s, scaled.seg_fw_s, rtol=1e-12)
    np.testing.assert_allclose(fast.seg_bw_s, scaled.seg_bw_s, rtol=1e-12)
    def one_way(n):  # type: ignore[no-untyped-def]
        return int(np.isinf(n.seg_fw_s).sum() + np.isinf(n.seg_bw_s).sum())

    assert one_way(fast) == one_way(net) > 0  # one-way segments stay one-way


@pytest.mark.parametrize("seed", [1, 2])
def test_response_times_match_networkx(seed: int) -> None:
    """Dispatch delays and the hospital leg against networkx on an independently built
    network at emergency speeds (super source edges carry the delays)."""
    _, fast, ref_net = _nets(12, 800.0, {"secondary": 1.3, "residential": 1.1})
    rng = np.random.default_rng(seed)
    b_xy = np.column_stack([X0 + rng.uniform(-500, 9300, 6), Y0 + rng.uniform(-500, 9300, 6)])
    h_xy = np.column_stack([X0 + rng.uniform(-500, 9300, 2), Y0 + rng.uniform(-500, 9300, 2)])
    d_xy = np.column_stack([X0 + rng.uniform(-500, 9300, 200),
                            Y0 + rng.uniform(-500, 9300, 200)])
    delay = rng.choice([60.0, 180.0, 300.0], 6)
    t = response_times(fast, snap_points(fast, b_xy), snap_points(fast, d_xy),
                       snap_points(fast, h_xy), access_speed_kmh=ACCESS, dispatch_s=delay,
                       scene_s=120.0)
    rb, rd, rh = (snap_points(ref_net, xy) for xy in (b_xy, d_xy, h_xy))
    resp = _reference(ref_net, rb, rd, b_xy, d_xy, "from_facility", offset=delay)
    back = _reference(ref_net, rh, rd, h_xy, d_xy, "to_facility")
    np.testing.assert_allclose(t.response_s, resp, rtol=0, atol=1e-6)
    np.testing.assert_allclose(t.to_hospital_s, back, rtol=0, atol=1e-6)
    np.testing.assert_allclose(t.care_s, resp + 120.0 + back, rtol=0, atol=1e-6)
    # without delays the bases would serve differently somewhere
    plain, _ = nearest_facility(fast, snap_points(fast, b_xy), snap_points(fast, d_xy),
                                access_speed_kmh=ACCESS)
    assert (t.response_s - plain > 59.0).all()


def test_bad_response_inputs() -> None:
    net = _road()
    s = snap_points(net, _xy([0.0]))
    with pytest.raises(MeasureError, match="unknown road classes \\['primay'\\]"):
        emergency_network(net, {"primay": 1.2})
    with pytest.raises(MeasureError, match="must be a number > 0"):
        emergency_network(net, {"primary": 0.0})
    with pytest.raises(MeasureError, match="dispatch delays"):
        response_times(net, s, s, s, access_speed_kmh=ACCESS, dispatch_s=[-1.0])
