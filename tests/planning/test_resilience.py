"""``geo resilience``: every road piece of the synthetic county cut alone, against the study
rerun on the network with that piece closed (the study's own joins and search, afresh)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo.cli import main
from geo.network.closures import changed_network
from geo.planning.resilience import criticality
from geo.study.run import ComputedStudy, run_study
from tests.bad_inputs.county import build_county, study_options
from tests.conftest import toml_sections

STD = "primary_care_30min"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> ComputedStudy:
    folder = build_county(tmp_path_factory.mktemp("resil") / "示例县")
    opts = study_options()
    opts["roads"]["path"] = "roads.geojson"
    (folder / "study.toml").write_text(toml_sections(opts), encoding="utf-8")
    return run_study(folder / "study.toml")


def test_every_piece_equals_the_study_rerun_without_it(county: ComputedStudy) -> None:
    run = criticality(county, STD, minutes=12.0)  # a tight circle, so that cuts cost people
    net = county.networks["drive"]
    pop = county.demand["population"].to_numpy(dtype=float)
    before = county.travel.minutes[STD]
    order, ptr = run.pieces.segments()  # type: ignore[union-attr]
    by_piece = run.table.set_index("piece")
    for p in range(run.pieces.n):  # type: ignore[union-attr]
        closed = np.zeros(len(net.seg_u), dtype=bool)
        closed[order[ptr[p]:ptr[p + 1]]] = True
        after = county.travel_to(county.facilities, {"drive": changed_network(net, closed)}
                                 ).minutes[STD]
        lost = (before <= 12.0) & ~(after <= 12.0)
        row = by_piece.loc[p]
        assert row["people_lost"] == pytest.approx(round(pop[lost].sum(), 1), abs=0.051), p
        fin = np.isfinite(after)
        pm = (pop[fin] * (after[fin] - before[fin])).sum()
        assert row["person_minutes_added"] == pytest.approx(pm, abs=0.51), p
        towns = set(county.demand["township"].to_numpy()[lost])
        assert set(filter(None, str(row["townships_losing"]).split("、"))) == towns, p
    assert run.table["people_lost"].iloc[0] > 0
    assert list(run.table["rank"]) == list(range(1, len(run.table) + 1))
    assert run.table["people_lost"].is_monotonic_decreasing


def test_cli_writes_the_ranking(county: ComputedStudy, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["resilience", str(county.study.path), "--standard", STD, "--minutes", "12",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out / "criticality.csv", encoding="utf-8-sig")
    assert list(table.columns[:3]) == ["rank", "piece", "road"]
    assert table["road"].str.contains("G323 国道323").any()
    layer = gpd.read_file(out / "criticality.gpkg", layer="criticality")
    assert len(layer) == len(table) and layer.geometry.notna().all()
    assert (layer["people_lost"].to_numpy() == table["people_lost"].to_numpy()).all()
    wb = openpyxl.load_workbook(out / "criticality.xlsx")
    assert wb.sheetnames[0] == "道路关键性"  # the study's language
    summary = (out / "criticality_summary.txt").read_text(encoding="utf-8")
    assert "each cut alone" in summary
    assert "道路关键性" in (out / "criticality_map.html").read_text(encoding="utf-8")
