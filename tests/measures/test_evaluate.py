"""evaluate(): each method of a spec on the tiny instance of test_fca_by_hand."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from geo.errors import MeasureError
from geo.measures import FALLBACK, evaluate, parse_measure_specs, unit_supply
from tests.measures.test_fca_by_hand import POP, SUPPLY, _reach

TYPES = {"h": "hospital"}
LABELS = ["A", "A", "B"]


def _spec(**kw: Any) -> Any:
    raw = {"label": "m", "method": "2sfca", "supply": "beds", "minutes": 20, "mode": "drive",
           "direction": "to_facility", "facility_types": ["h"], "per": 1000, "target": 50,
           "source": "p", "section": "s", **kw}
    raw = {k: v for k, v in raw.items() if v is not None}
    return parse_measure_specs({"facility_types": TYPES, "measures": {"m": raw}}).measures["m"]


def test_2sfca_per_township() -> None:
    r = evaluate(_spec(), supply=SUPPLY, population=POP, labels=LABELS, reach=_reach())
    # indices 1/30, 1/30 + 1/25, 1/25 (test_fca_by_hand); A: (100/30 + 200 * 11/150) / 300
    # = 18/300 beds per person = 60 per 1,000; B: 1/25 = 40 per 1,000; county 30/600 = 50
    np.testing.assert_allclose(r.table.ratio, [60.0, 40.0])
    assert r.table.meets == [True, False]
    assert r.table.total_ratio == pytest.approx(50.0) and r.table.total_meets is True
    assert r.access is not None and r.access.method == "2sfca"
    assert "pairs over 20 min left out" in r.notes


def test_the_fallback_counts_facilities_per_10000() -> None:
    r = evaluate(_spec(per=10000, target=0.5, supply=None), supply=unit_supply(2),
                 population=POP, labels=LABELS, reach=_reach(), supply_note=FALLBACK)
    # R0 = 1/300, R1 = 1/500 facilities per person; county: 2 facilities / 600 people
    assert r.table.total_ratio == pytest.approx(2 / 600 * 10000)
    assert FALLBACK in r.notes


def test_hansen_has_no_target() -> None:
    r = evaluate(_spec(method="hansen", beta=1, target=None, per=None, scale_minutes=1,
                       min_minutes=1), supply=SUPPLY, population=POP, labels=LABELS,
                 reach=_reach())
    # H = 10, 5, 1 (test_fca_by_hand); A: (100*10 + 200*5) / 300; B: 1
    np.testing.assert_allclose(r.table.ratio, [2000 / 300, 1.0])
    assert r.table.target is None and r.table.meets == [None, None]


def test_nearest_and_located() -> None:
    near = evaluate(_spec(method="nearest", minutes=None), supply=SUPPLY, population=POP,
                    labels=LABELS, nearest=[0, 1, 1])
    # basins: F0 serves 100 (10 beds: 100 per 1,000), F1 serves 500 (20 beds: 40 per 1,000)
    assert near.basins is not None
    np.testing.assert_allclose(near.basins.per(1000), [100.0, 40.0])
    # A: (100 * 0.1 + 200 * 0.04) / 300 = 60 per 1,000; B: 40
    np.testing.assert_allclose(near.table.ratio, [60.0, 40.0])
    loc = evaluate(_spec(method="located", minutes=None, mode=None, direction=None),
                   supply=SUPPLY, population=POP, labels=LABELS, facility_labels=["A", "A"])
    np.testing.assert_allclose(loc.table.ratio, [100.0, 0.0])  # 30 beds / 300 in A
    assert loc.per_person is None


def test_idle_supply_is_stated_and_missing_inputs_stop() -> None:
    r = evaluate(_spec(), supply=[10.0, 20.0], population=[100.0, 200.0, 0.0], labels=LABELS,
                 reach=_reach())
    # nobody at D2, but F1 still has the 200 people of D1: no facility is idle
    assert not any("nobody within" in n for n in r.notes)
    # nobody at D1 or D2: F1 (20 beds) serves nobody
    r2 = evaluate(_spec(), supply=[10.0, 20.0], population=[100.0, 0.0, 0.0], labels=LABELS,
                  reach=_reach())
    assert any("1 facilities with supply have nobody within 20 min" in n for n in r2.notes)
    assert math.isnan(r2.access.ratio[1])  # type: ignore[union-attr]
    with pytest.raises(MeasureError, match="needs a reach matrix"):
        evaluate(_spec(), supply=SUPPLY, population=POP, labels=LABELS)
    with pytest.raises(MeasureError, match="nearest facility"):
        evaluate(_spec(method="nearest"), supply=SUPPLY, population=POP, labels=LABELS)
