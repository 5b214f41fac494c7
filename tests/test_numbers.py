"""One rounding rule and the share display rule (geo.numbers), checked against values
worked out by hand and against Python's decimal module with ROUND_HALF_UP."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from geo.numbers import (
    minutes_text,
    number_text,
    people_text,
    round_half_up,
    share_text,
    shown_share,
    target_text,
)


@pytest.mark.parametrize(("value", "decimals", "want"), [
    (34_418.5, 0, 34_419.0),  # the 四排镇: Python's round() gives 34,418
    (0.5, 0, 1.0), (1.5, 0, 2.0), (2.5, 0, 3.0), (-2.5, 0, -3.0),
    (2.675, 2, 2.68),  # binary 2.67499999...: as written, and as a spreadsheet shows it
    (1.005, 2, 1.01), (0.125, 2, 0.13), (12_345.65, 1, 12_345.7), (1_234.5, -1, 1_230.0),
])
def test_round_half_up_by_hand(value: float, decimals: int, want: float) -> None:
    assert round_half_up(value, decimals) == want
    expected = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    assert round_half_up(value, decimals) == float(expected)


def test_nan_and_missing() -> None:
    assert round_half_up(float("nan"), 1) != round_half_up(float("nan"), 1)
    for text in (share_text(None), people_text(float("nan")), minutes_text(None),
                 number_text(float("nan")), target_text(None)):
        assert text == "–"


def test_share_below_its_target_is_never_shown_as_the_target() -> None:
    # the issue: 99.96 % printed "100.0% · 目标 100% · 未达标"
    assert share_text(0.9996, 1.0) == "99.96%"
    # figure labels at no decimals: 99.57 % was "100%" inside a red outline
    assert share_text(0.9957, 1.0, 0) == "99.6%"
    assert share_text(0.94996, 0.95) == "94.996%"
    assert share_text(0.9999999, 1.0) == "99.9999%"  # four extra decimals at most: rounded down
    assert shown_share(0.9999999, 1.0) < 1.0
    # at or above the target: the plain rule
    assert share_text(0.95, 0.95) == "95.0%" and share_text(0.96, 0.95) == "96.0%"
    assert share_text(1.0, 1.0) == "100.0%"
    assert share_text(0.63049) == "63.0%" and share_text(0.63051) == "63.1%"
    assert share_text(0.12345) == "12.3%" and share_text(0.1235) == "12.4%"  # half up


def test_share_below_one_is_never_100_percent() -> None:
    # `geo site` printed "100.00%" with 12 of 337,298 people uncovered
    share = (337_298 - 12) / 337_298
    assert share_text(share, None, 2) == "99.996%"
    assert share_text(share) == "99.996%"


def test_people_minutes_ratios_targets() -> None:
    assert people_text(34_418.5) == "34,419"
    assert people_text(1_234_567.49) == "1,234,567"
    assert minutes_text(23.45) == "23.5" and minutes_text(23.449) == "23.4"
    assert number_text(5.2245) == "5.225" and number_text(0.26685) == "0.2669"
    assert number_text(9.99996) == "10"
    assert target_text(1.0) == "100%" and target_text(0.95) == "95%"
    assert target_text(0.955) == "95.5%"
