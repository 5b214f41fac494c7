"""Coordinates written in degrees, as planners copy them from maps and GPS units."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.readers.coordinates import degree_numbers


@pytest.mark.parametrize(("text", "axis", "value"), [
    ("109°30′12″", "lon", 109 + 30 / 60 + 12 / 3600),
    ("109°30'12\"E", "lon", 109 + 30 / 60 + 12 / 3600),
    ("东经109度30分12秒", "lon", 109 + 30 / 60 + 12 / 3600),
    ("109° 30' 12''", "lon", 109 + 30 / 60 + 12 / 3600),
    ("109°30′12.5″", "lon", 109 + 30 / 60 + 12.5 / 3600),
    ("N24°28.5′", "lat", 24 + 28.5 / 60),
    ("24°28.5'N", "lat", 24 + 28.5 / 60),
    ("S24°30′", "lat", -24.5),
    ("-24°30′", "lat", -24.5),
    ("109.86527°", "lon", 109.86527),
    ("109.8E", "lon", 109.8),
    ("东经109.8", "lon", 109.8),
    ("１０９°３０′", "lon", 109.5),
    ("１０９．８６５２７", "lon", 109.86527),
])
def test_degree_text_read(text: str, axis: str, value: float) -> None:
    got, read = degree_numbers(pd.Series([text, "109.5", 24.25]), axis)
    assert got[0] == pytest.approx(value, abs=1e-12)
    assert list(read) == [True, False, False]
    assert list(got[1:]) == [109.5, 24.25]


@pytest.mark.parametrize(("text", "axis"), [
    ("109.8N", "lon"),            # a latitude's hemisphere in the longitude column
    ("24°61′", "lat"),            # minutes under 60
    ("24°30′61″", "lat"),         # seconds under 60
    ("109°30.5′12″", "lon"),      # decimal minutes and seconds
    ("109 30", "lon"),            # no mark: not guessed
    ("N109°E", "lon"),            # two hemispheres
    ("-24°30′S", "lat"),          # a sign and a hemisphere
    ("约109.8", "lon"),
])
def test_degree_text_refused(text: str, axis: str) -> None:
    got, read = degree_numbers(pd.Series([text]), axis)
    assert got.isna().all() and not read.any()
