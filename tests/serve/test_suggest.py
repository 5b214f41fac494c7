"""Workbench suggestions from the structures made once equal ``geo site`` made afresh."""

from __future__ import annotations

import numpy as np
import pytest

from geo import settings
from geo.planning.sites import site
from geo.serve.suggest import Suggester
from geo.study.run import ComputedStudy

STD = "primary_care_30min"  # the smallest matrices of the study's standards


@pytest.fixture(scope="module")
def sug(luzhai: ComputedStudy) -> Suggester:
    return Suggester(luzhai)


@pytest.mark.parametrize("k", [1, 3])
def test_suggestions_equal_geo_site_afresh(luzhai: ComputedStudy, sug: Suggester,
                                           k: int) -> None:
    existing = luzhai.demand[f"minutes_{STD}"].to_numpy(dtype=float) * 60.0
    # p-median: one site only (more are time-limited swaps: a loaded machine may cut them
    # at different points)
    for model in ("mclp", "lscp", "pmedian") if k == 1 else ("mclp", "lscp"):
        ours = sug.solve(STD, k, model, existing).result
        method = "heuristic" if model == "pmedian" else "exact"  # as the workbench
        fresh = site(luzhai, standard=STD, p=k, model=model, existing_s=existing,
                     method=method,
                     time_limit_s=1.0 if model == "pmedian" else settings.SOLVER_TIME_LIMIT_S
                     ).result
        assert ours.chosen.tolist() == fresh.chosen.tolist(), model
        np.testing.assert_allclose(ours.newly_covered, fresh.newly_covered, rtol=1e-12)
        assert ours.objective == pytest.approx(fresh.objective, rel=1e-12)


def test_pmedian_and_mclp_share_one_cover(luzhai: ComputedStudy, sug: Suggester) -> None:
    """p-median's wider matrix holds the same pairs within the threshold: kept once."""
    minutes = float(luzhai.standard(STD).minutes)
    one, two = sug.shared(STD, minutes), sug.shared(STD, 2 * minutes)
    assert two is one
    wide = sug.reach(STD, 2 * minutes)
    assert one.cover.nnz == int((wide.data <= 60 * minutes).sum()) < wide.nnz
