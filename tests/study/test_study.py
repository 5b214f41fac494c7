"""End to end: the Luzhai study, its outputs, and each bad input stopping cleanly."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo.cli import main
from geo.errors import (
    ColumnError,
    CoordinateError,
    DuplicateIdError,
    GeoError,
    InputFileError,
    NetworkError,
    StandardError,
    StudyError,
)
from geo.outputs.write import write_outputs
from geo.study.run import run_study
from tests.conftest import DATA, ROOT, toml_value

LUZHAI = ROOT / "analysis" / "luzhai.toml"
FACILITIES = DATA / "facilities" / "facilities_luzhai.csv"


@pytest.fixture(scope="module")
def demo(luzhai_demo):  # type: ignore[no-untyped-def]
    return luzhai_demo


def test_demo_writes_every_output(demo) -> None:  # type: ignore[no-untyped-def]
    _, out = demo
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["coverage_by_township.csv", "coverage_summary.csv", "results.gpkg",
                            "map.html", "report.html", "coverage.xlsx", "figures",
                            "travel_time", "run_summary.txt"])
    layers = {name for name, _ in pyogrio.list_layers(out / "results.gpkg")}
    stds = ["emergency_1h", "primary_care_30min", "rescue_2h", "community_15min"]
    assert {"facilities", "townships", "demand", "metadata", "area", "coverage",
            "summary"} <= layers
    # bands and isochrones: one layer per applicable standard; gaps where a standard has any
    applicable = {s for s in stds if s != "community_15min"}
    for kind in ("bands", "isochrones"):
        assert {f"{kind}_{s}" for s in applicable} <= layers, kind
    gaps = {name for name in layers if name.startswith("gaps_")}
    assert gaps and gaps <= {f"gaps_{s}" for s in applicable}
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(
        f"{kind}_{s}.png" for kind in ("coverage", "share") for s in stds
    )


def test_coverage_table_shape_and_totals(demo) -> None:  # type: ignore[no-untyped-def]
    _, out = demo
    table = pd.read_csv(out / "coverage_by_township.csv", encoding="utf-8")
    for col in ("township", "standard", "minutes", "population", "covered_population",
                "covered_share", "target_share", "meets_target", "median_minutes",
                "p90_minutes", "max_minutes"):
        assert col in table.columns
    seats = pd.read_csv(DATA / "boundaries" / "luzhai_township_seats.csv")
    assert set(table["township"]) == set(seats["township"])  # Chinese names intact
    assert len(table) == 9 * 4  # nine townships × four standards
    for std, grp in table.groupby("standard"):
        # the census total is spread over the townships without loss
        assert grp["population"].sum() == pytest.approx(337_298, abs=1.0), std
    na = table[table["standard"] == "community_15min"]
    assert na["covered_share"].isna().all()
    assert na["note"].str.contains("not applicable").all()
    assert table["basis"].str.contains("approximate township areas").all()
    assert table["basis"].str.contains("spread evenly").all()


def test_demand_layer_and_assumptions(demo) -> None:  # type: ignore[no-untyped-def]
    _, out = demo
    demand = gpd.read_file(out / "results.gpkg", layer="demand")
    for std in ("emergency_1h", "primary_care_30min", "rescue_2h"):
        minutes = demand[f"minutes_{std}"]
        assert minutes.notna().all() and (minutes > 0).all()
    # rescue (county hospital only) can never be faster than emergency (county hospitals)
    assert (demand["minutes_rescue_2h"] >= demand["minutes_emergency_1h"] - 1e-9).all()
    summary = (out / "run_summary.txt").read_text(encoding="utf-8")
    assert "approximate township areas" in summary and "337,298" in summary
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "approximate township areas" in html


def test_township_areas_cover_the_county(demo) -> None:  # type: ignore[no-untyped-def]
    result, _ = demo
    metric = 32649
    county = result.area.to_crs(metric).area.sum()
    towns = result.townships.to_crs(metric)
    assert towns.area.sum() == pytest.approx(county, rel=1e-3)
    assert towns.union_all().area == pytest.approx(county, rel=1e-3)  # no overlaps
    # each seat lies in its own area
    seats = pd.read_csv(DATA / "boundaries" / "luzhai_township_seats.csv")
    for _, s in seats.iterrows():
        pt = gpd.GeoSeries(gpd.points_from_xy([s.wgs84_lon], [s.wgs84_lat]), crs=4326)
        own = result.townships[result.townships["township"] == s.township]
        assert own.geometry.iloc[0].buffer(0.003).contains(pt.iloc[0]), s.township


def test_cli_demo_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "emergency_1h" in printed and "approximate township areas" in printed


# ------------------------------------------------------------------ bad inputs


def _study(tmp_path: Path, edit: dict[str, dict[str, object]]) -> Path:
    """A copy of the Luzhai study with absolute paths and some options changed."""
    raw = tomllib.loads(LUZHAI.read_text(encoding="utf-8"))
    lines = []
    for sec, opts in raw.items():
        opts = {**opts, **edit.get(sec, {})}
        lines.append(f"[{sec}]")
        for k, v in opts.items():
            if isinstance(v, str) and (v.startswith("../") or v == "standards.toml"):
                v = str((LUZHAI.parent / v).resolve())
            lines.append(f"{k} = {toml_value(v)}")
    path = tmp_path / "study.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path



def _facilities(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    df = pd.read_csv(FACILITIES, dtype=str)
    df = change(df)
    path = tmp_path / "fac.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    return path


def _fails_cleanly(study: Path, out: Path, exc: type[GeoError], *words: str) -> None:
    (out).mkdir(parents=True, exist_ok=True)
    (out / "map.html").write_text("earlier good map", encoding="utf-8")
    with pytest.raises(exc) as info:
        write_outputs(run_study(study), out)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    # nothing half-written: the earlier output untouched, no staging folder left
    assert sorted(p.name for p in out.iterdir()) == ["map.html"]
    assert (out / "map.html").read_text(encoding="utf-8") == "earlier good map"
    assert not [p for p in out.parent.iterdir() if "staging" in p.name]


def test_missing_file(tmp_path: Path) -> None:
    s = _study(tmp_path, {"facilities": {"path": str(tmp_path / "nope.csv")}})
    _fails_cleanly(s, tmp_path / "out", InputFileError, "nope.csv")


def test_unknown_column(tmp_path: Path) -> None:
    s = _study(tmp_path, {"facilities": {"lon_col": "longitude_gcj"}})
    _fails_cleanly(s, tmp_path / "out", ColumnError, "longitude_gcj")


def test_swapped_lon_lat(tmp_path: Path) -> None:
    def swap(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df["id"] == "LZ-T03", ["lon", "lat"]] = df.loc[
            df["id"] == "LZ-T03", ["lat", "lon"]].to_numpy()
        return df

    s = _study(tmp_path, {"facilities": {"path": str(_facilities(tmp_path, swap))}})
    _fails_cleanly(s, tmp_path / "out", CoordinateError, "LZ-T03", "swapped")


def test_outside_study_area(tmp_path: Path) -> None:
    def move(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df["id"] == "LZ-T09", "lon"] = "110.6"  # ~60 km east, outside the county
        return df

    path = _facilities(tmp_path, move)
    s = _study(tmp_path, {"facilities": {"path": str(path)}})
    _fails_cleanly(s, tmp_path / "out", CoordinateError, "LZ-T09", "outside")
    # continuing is a choice the user makes explicitly
    s2 = _study(tmp_path, {"facilities": {"path": str(path), "outside": "drop"}})
    result = run_study(s2)
    assert "LZ-T09" not in set(result.facilities["id"])
    assert len(result.facilities) == 13


@pytest.mark.parametrize(
    ("fid", "column", "value", "exc", "word"),
    [
        ("LZ-T05", "id", "LZ-T04", DuplicateIdError, "LZ-T04"),  # duplicate ids
        # a facility type that no standard vocabulary knows (a typo)
        ("LZ-T06", "type", "township_clinik", StandardError, "township_clinik"),
    ],
)
def test_bad_facility_value(  # type: ignore[no-untyped-def]
    tmp_path: Path, fid: str, column: str, value: str, exc, word: str
) -> None:
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df["id"] == fid, column] = value
        return df

    s = _study(tmp_path, {"facilities": {"path": str(_facilities(tmp_path, edit))}})
    _fails_cleanly(s, tmp_path / "out", exc, word)


def test_unknown_facility_type_in_standard(tmp_path: Path) -> None:
    std = (ROOT / "analysis" / "standards.toml").read_text(encoding="utf-8")
    bad = tmp_path / "standards.toml"
    bad.write_text(std.replace('facility_types = ["county_general_hospital", "county_tcm',
                               'facility_types = ["county_general_hosptial", "county_tcm', 1),
                   encoding="utf-8")
    s = _study(tmp_path, {"standards": {"file": str(bad)}})
    _fails_cleanly(s, tmp_path / "out", StandardError, "county_general_hosptial",
                   "facility_types.toml")


def test_empty_network(tmp_path: Path) -> None:
    roads = gpd.read_file(DATA / "roads" / "luzhai_backbone.geojson").iloc[:0]
    path = tmp_path / "roads.gpkg"
    roads.to_file(path, driver="GPKG")
    s = _study(tmp_path, {"roads": {"path": str(path)}})
    _fails_cleanly(s, tmp_path / "out", (InputFileError, NetworkError), "empty")  # type: ignore[arg-type]


def test_disconnected_network(tmp_path: Path) -> None:
    s = _study(tmp_path, {"roads": {"node_crossings": False, "snap_tolerance_m": 1}})
    _fails_cleanly(s, tmp_path / "out", NetworkError, "disconnected", "snap_tolerance_m")


def test_typo_in_study_option(tmp_path: Path) -> None:
    s = _study(tmp_path, {"population": {"grid_spacing": 500}})
    _fails_cleanly(s, tmp_path / "out", StudyError, "[population]", "grid_spacing",
                   "did you mean 'grid_spacing_m'")


def test_cli_error_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = _study(tmp_path, {"facilities": {"path": str(tmp_path / "missing.csv")}})
    assert main(["run", str(s), "--out", str(tmp_path / "o")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_demo_copy_is_reproducible(tmp_path: Path) -> None:
    # the study runs from another folder too: paths resolve against the study file
    copy = tmp_path / "analysis"
    shutil.copytree(ROOT / "analysis", copy)
    shutil.copytree(DATA, tmp_path / "data")
    result = run_study(copy / "luzhai.toml")
    assert result.demand["population"].sum() == pytest.approx(337_298)


def test_bands_tile_the_grid_and_gaps_hold_the_uncovered(demo) -> None:  # type: ignore[no-untyped-def]
    result, _ = demo
    cells = len(result.cells)
    area = result.area.to_crs(32649).area.sum()
    table = result.coverage
    for std in ("emergency_1h", "primary_care_30min", "rescue_2h"):
        bands = result.bands[result.bands["standard"] == std]
        assert bands["cells"].sum() == cells, std  # every cell in exactly one band
        assert bands.to_crs(32649).area.sum() == pytest.approx(area, rel=1e-3), std
        rows = table[table["standard"] == std]
        uncovered = (rows["population"] - rows["covered_population"]).sum()
        gaps = result.gaps[result.gaps["standard"] == std]
        assert gaps["population"].sum() == pytest.approx(uncovered, abs=1.0), std
    assert (result.bands["standard"] != "community_15min").all()  # not applicable: no bands


def test_peer_minutes_between_straight_line_bounds(demo) -> None:  # type: ignore[no-untyped-def]
    """By road can't beat the straight line at 120 km/h, nor lose to it at the access speed."""
    result, _ = demo
    fac = result.facilities.set_index("id")
    xy = fac.to_crs(32649).geometry
    checked = 0
    for fid, row in fac.iterrows():
        if pd.isna(row["peer_minutes"]):
            continue
        metres = xy[fid].distance(xy[row["peer_id"]])
        assert fac.loc[row["peer_id"], "tier"] == row["tier"]
        assert metres / (120 / 3.6) / 60 - 0.05 <= row["peer_minutes"], fid
        assert row["peer_minutes"] <= metres / (25 / 3.6) / 60 + 0.05, fid  # direct at 25 km/h
        checked += 1
    assert checked == 14  # every Luzhai facility has a peer in its tier
    assert set(fac["tier"]) == {"county", "township"}


@pytest.mark.parametrize("name", ["luzhai.toml", "liuzhou.toml"])
def test_the_embedded_studies_pass_their_own_input_checks(name: str) -> None:
    """Every study shipped in analysis/ runs as the docs say (`geo run analysis/...`):
    no input check stops it; what it accepts is stated, not silent."""
    from geo.study.checks import stated
    from geo.study.prepare import check_study

    report = check_study(Path(__file__).resolve().parents[2] / "analysis" / name)
    assert report.stops == [], [c.text for c in report.stops]
    # each accepted check is needed (it would stop the run) and said
    accepted = [c for c in report.checks if c.accepted]
    assert {c.key for c in accepted} == set(report.study.checks.accept)
    lines = stated(report.checks)
    assert all(any(c.message in line and "(accepted with [checks] accept)" in line
                   for line in lines) for c in accepted)
