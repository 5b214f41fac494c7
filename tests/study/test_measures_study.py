"""Resource ratios, access measures and the emergency response model inside a study run
(``[measures] use``, ``[response] use``): the Luzhai demo's numbers against independent
computations, a facility file with beds, doctors and ambulances against hand computations,
and every bad input stopping with its fix.

Expected values come from the study's own inputs worked by hand with numpy (the census
total, the facility file, the coverage table and demand layer of the same run, a dense
origin-destination matrix from :func:`geo.routing.travel.od_matrix` instead of the sparse
reach matrix the measures use), never from the measures' outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.cli import main
from geo.errors import MeasureError, StudyError, SupplyError
from geo.outputs.write import write_outputs
from geo.routing.travel import nearest_facility, od_matrix
from geo.study.prepare import check_study
from geo.study.run import run_study
from tests.study.test_study import _facilities, _fails_cleanly, _study

PEOPLE = 337_298  # the 2020 census total of 鹿寨县 (luzhai.toml)
PRIMARY = ("central_township_health_center", "township_health_center")
BASES = ("county_general_hospital", "county_tcm_hospital")


@pytest.fixture(scope="module")
def demo(luzhai_demo: tuple[Any, Path]) -> Any:
    return luzhai_demo[0]


def _lower_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches q of the total (by hand)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.nonzero(cum >= q * cum[-1] - 1e-9)[0][0]])


# --------------------------------------------------------------------------- the demo


def test_primary_care_facilities_per_10000_by_hand(demo: Any) -> None:
    """The fallback measure (1 per facility, 2SFCA within 30 min, per 10,000) recomputed
    from a dense origin-destination matrix."""
    fac = demo.facilities[demo.facilities["type"].isin(PRIMARY)]
    assert len(fac) == 9
    net = demo.networks["drive"]
    secs = od_matrix(net, demo.demand_snap("drive"), demo.snap(fac, "drive"),
                     access_speed_kmh=demo.study.access_kmh("drive"))  # demand -> facility
    pop = demo.population
    within = secs <= 30 * 60
    catchment = (within * pop[:, None]).sum(axis=0)
    assert (catchment > 0).all()
    index = (within / catchment[None, :]).sum(axis=1)  # facilities per person within reach
    table = demo.resources.measures.set_index("township")
    towns = demo.demand["township"].to_numpy()
    for town in demo.township_order:
        sel = towns == town
        expected = (pop[sel] * index[sel]).sum() / pop[sel].sum() * 10_000
        assert table.loc[town, "ratio"] == pytest.approx(expected, rel=1e-9), town
    area = table[table["level"] == "area"].iloc[0]
    assert area["ratio"] == pytest.approx(9 / PEOPLE * 10_000, rel=1e-12)  # 0.267
    assert area["supply_column"] == "" and "supply = 1 per facility" in area["notes"]
    # the lowest and highest townships of the demo (docs/measures.md)
    ratios = table[table["level"] == "township"]["ratio"]
    assert ratios.idxmin() == "黄冕镇" and round(ratios.min(), 3) == 0.179
    assert ratios.idxmax() == "江口乡" and round(ratios.max(), 3) == 0.488
    # a place has a facility within reach exactly when the 30-minute standard covers it
    access = demo.demand["access_primary_care_facilities_per_10000"].to_numpy()
    covered = demo.demand["minutes_primary_care_30min"].to_numpy() <= 30
    np.testing.assert_array_equal(access > 0, covered)
    # each place's catchment (basin) is its nearest primary-care facility, as coverage says
    np.testing.assert_array_equal(
        demo.demand["basin_primary_care_facilities_per_10000"].to_numpy(dtype=str),
        np.where(covered, demo.demand["nearest_primary_care_30min"].to_numpy(dtype=str), ""))


def test_response_is_the_emergency_minutes_plus_the_dispatch_delay(demo: Any) -> None:
    """Both county hospitals leave after 3 minutes: every place's response is its 1-hour
    standard's minutes + 3, from the same base (to float rounding: a straight access leg's
    seconds are not on the engine's 2^-24 s grid, so offset + leg may round by 1 ulp)."""
    bases = demo.facilities[demo.facilities["type"].isin(BASES)]
    net, snap = demo.networks["drive"], demo.snap(bases, "drive")
    place = demo.demand_snap("drive")
    kw = {"access_speed_kmh": demo.study.access_kmh("drive"), "direction": "from_facility"}
    plain, first = nearest_facility(net, snap, place, **kw)
    delayed, base = nearest_facility(net, snap, place, offset_s=np.full(len(bases), 180.0),
                                     **kw)
    np.testing.assert_allclose(delayed, plain + 180.0, rtol=0, atol=1e-9)  # seconds
    np.testing.assert_array_equal(base, first)
    minutes = demo.demand["minutes_emergency_1h"].to_numpy()
    response = demo.demand["response_min_emergency_response_1h"].to_numpy()
    np.testing.assert_allclose(response, minutes + 3.0, rtol=0, atol=1e-11)
    ids = bases["id"].to_numpy()[first]
    np.testing.assert_array_equal(demo.demand["base_emergency_response_1h"].to_numpy(dtype=str),
                                  ids.astype(str))
    np.testing.assert_array_equal(ids.astype(str),
                                  demo.demand["nearest_emergency_1h"].to_numpy(dtype=str))
    # the distribution per township, worked by hand from those minutes
    pop = demo.population
    towns = demo.demand["township"].to_numpy()
    rows = demo.resources.response
    rows = rows[rows["kind"] == "response"].set_index("township")
    for town in [*demo.township_order, "鹿寨县"]:
        sel = towns == town if town != "鹿寨县" else np.ones(len(pop), dtype=bool)
        m, p = minutes[sel] + 3.0, pop[sel]
        r = rows.loc[town]
        assert r["median_minutes"] == pytest.approx(_lower_quantile(m, p, 0.5), abs=1e-9)
        assert r["p90_minutes"] == pytest.approx(_lower_quantile(m, p, 0.9), abs=1e-9)
        assert r["max_minutes"] == pytest.approx(m.max(), abs=1e-9)
        assert r["share_within"] == pytest.approx(p[m <= 60].sum() / p.sum(), abs=1e-12)
        assert r["meets_target"] is bool(p[m <= 60].sum() >= p.sum() - 1e-9)
    county = rows.loc["鹿寨县"]  # the demo's figures (docs/measures.md)
    assert (round(county["median_minutes"], 1), round(county["p90_minutes"], 1)) == (37.1, 62.2)
    assert round(county["share_within"] * 100, 1) == 88.2
    worst = rows[rows["level"] == "township"]["median_minutes"].idxmax()
    assert worst == "拉沟乡" and round(rows.loc[worst, "median_minutes"], 1) == 55.9


def test_what_the_demo_states(demo: Any, luzhai_demo: tuple[Any, Path]) -> None:
    """The demo says which measures it could not compute and what data would, the stated
    county bed figure against the plan, the dispatch delay with its source and scene 0."""
    notes = demo.resources.notes
    missing = {n.split(" (")[0].removeprefix("not computed: ") for n in notes
               if n.startswith("not computed: ")}
    assert {"beds_per_1000_2025", "icu_beds_per_1000_2025", "ambulances_per_10000_2025",
            "doctors_per_1000_2025"} <= missing
    beds = next(n for n in notes if n.startswith("not computed: beds_per_1000_2025"))
    assert "no column 'beds'" in beds and "卫生健康统计年报" in beds and "target ≥ 7" in beds
    stated = next(n for n in notes if n.startswith("stated figure, not computed here: "
                                                   "beds_per_1000_2025"))
    ratio = 1761 / PEOPLE * 1000  # the plan's 1,761 beds over the census residents
    assert f"= {ratio:.2f} per 1,000, below the target ≥ 7" in stated and "1761张" in stated
    summary = (luzhai_demo[1] / "run_summary.txt").read_text(encoding="utf-8")
    for text in ("## Resource ratios and access measures", "## Emergency response",
                 "dispatch delay 3 min", "国卫医发〔2020〕19号", "0 min on scene",
                 "supply = 1 per facility", "not computed: doctors_per_1000_2025",
                 "access measures:", "emergency response:"):
        assert text in summary, text


def test_geo_run_prints_the_measures_and_the_response(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(_study(tmp_path, {})), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "Resource ratios and access measures" in printed
    # the whole area's ratio as the report and the workbook write it (4 digits)
    assert "primary_care_facilities_per_10000" in printed and "0.2668" in printed
    assert "Emergency response" in printed and "37.1" in printed and "88.2%" in printed
    assert "拉沟乡 55.9" in printed and "Not computed" in printed and "5.22 per 1,000" in printed


# --------------------------------------------------------------------------- supply columns

BEDS = {"LZ-H01": 300, "LZ-H02": 150, "LZ-H03": 80, "LZ-H04": 40, "LZ-T01": 60, "LZ-T02": 50,
        "LZ-T03": 40, "LZ-T04": 45, "LZ-T05": 20, "LZ-T06": 25, "LZ-T07": 15, "LZ-T08": 20,
        "LZ-T09": 30}  # LZ-P01 (the CDC, no bed type) left blank: no measure counts it
DOCTORS = {"LZ-T01": 20, "LZ-T02": 18, "LZ-T03": 12, "LZ-T04": 15, "LZ-T05": 8, "LZ-T06": 9,
           "LZ-T07": 5, "LZ-T08": 7, "LZ-T09": 10, "LZ-H01": 120, "LZ-H02": 60}
AMBULANCES = {"LZ-H01": 5, "LZ-H02": 3}


def _with_supply(tmp_path: Path, **bad: tuple[str, str]) -> Path:
    def add(df: pd.DataFrame) -> pd.DataFrame:
        for col, values in (("beds", BEDS), ("doctors", DOCTORS), ("ambulances", AMBULANCES)):
            df[col] = df["id"].map(lambda i, v=values: str(v[i]) if i in v else "")
        for fid, (col, value) in bad.items():
            df.loc[df["id"] == fid.replace("_", "-"), col] = value
        return df

    return _facilities(tmp_path, add)


def _supply_study(tmp_path: Path, fac: Path) -> Path:
    return _study(tmp_path, {"facilities": {"path": str(fac)}, "measures": {
        "use": ["beds_per_1000_liuzhou", "ambulances_per_10000_2025",
                "doctors_per_1000_liuzhou", "primary_care_facilities_per_10000"],
        "overrides": {"doctors_per_1000_liuzhou": {"facility_types": list(PRIMARY)},
                      # a Hansen potential through every output (no target, no ratio)
                      "primary_care_facilities_per_10000": {"method": "hansen", "beta": 1}}}})


def test_supply_columns_give_the_plan_ratios_by_township(tmp_path: Path) -> None:
    run = run_study(_supply_study(tmp_path, _with_supply(tmp_path)))
    table = run.resources.measures.set_index(["measure", "township"])
    fac = pd.read_csv(_with_supply(tmp_path), dtype=str).set_index("id")
    d = run.demand
    pops = d.groupby("township")["population"].sum().to_dict()
    # beds of the facilities located in each township (the file's township column) per 1,000
    for town, people in pops.items():
        beds = sum(v for i, v in BEDS.items() if fac.loc[i, "township"] == town)
        assert table.loc[("beds_per_1000_liuzhou", town), "ratio"] == pytest.approx(
            beds / people * 1000, rel=1e-9), town
    assert table.loc[("beds_per_1000_liuzhou", "鹿寨县"), "ratio"] == pytest.approx(
        sum(BEDS.values()) / PEOPLE * 1000, rel=1e-12)
    # 8 ambulances at the county seat share one 60-minute catchment: the people the
    # 1-hour standard covers (same bases, direction and minutes)
    inside = d[d["minutes_emergency_1h"] <= 60]
    covered = inside.groupby("township")["population"].sum()
    total = covered.sum()
    for town, people in pops.items():
        assert table.loc[("ambulances_per_10000_2025", town), "ratio"] == pytest.approx(
            8 / total * covered.get(town, 0.0) / people * 10_000, rel=1e-9), town
    assert table.loc[("ambulances_per_10000_2025", "鹿寨县"), "meets_target"] is False  # 0.24
    # doctors per 1,000 served: each place at its nearest township centre (coverage's)
    d = d.assign(doctors=d["nearest_primary_care_30min"].map(DOCTORS))
    served = d.groupby("nearest_primary_care_30min")["population"].sum()
    d["per_person"] = d["doctors"] / d["nearest_primary_care_30min"].map(served)
    for town, grp in d.groupby("township"):
        expected = (grp["population"] * grp["per_person"]).sum() / grp["population"].sum()
        assert table.loc[("doctors_per_1000_liuzhou", town), "ratio"] == pytest.approx(
            expected * 1000, rel=1e-9), town
    workload = run.resources.facilities
    workload = workload[workload["measure"] == "doctors_per_1000_liuzhou"].set_index("id")
    for fid, people in served.items():
        assert workload.loc[fid, "served_population"] == pytest.approx(people, rel=1e-12)
        assert workload.loc[fid, "served_ratio"] == pytest.approx(
            DOCTORS[fid] / people * 1000, rel=1e-12)
    cols = run.resources.measures.groupby("measure")["supply_column"].first()
    assert cols.to_dict() == {"beds_per_1000_liuzhou": "beds", "ambulances_per_10000_2025":
                              "ambulances", "doctors_per_1000_liuzhou": "doctors",
                              "primary_care_facilities_per_10000": ""}
    # every method through every output (map, report, workbook, results.gpkg)
    write_outputs(run, tmp_path / "out")
    page = (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    for key in cols.index:
        assert f'value=\\"{key}\\"' in page or f'value="{key}"' in page, key
        assert key in report, key
    assert "潜力值（无单位）" in report  # the Hansen potential has no population unit
    located = run.resources.areas
    located = located[(located["name"] == "beds_per_1000_liuzhou")]
    assert len(located) and located.geometry.isna().all()  # classes for the townships only


def test_geo_run_stops_on_bad_supply_values(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fac = _with_supply(tmp_path, LZ_T03=("beds", "-5"), LZ_T05=("beds", "twenty"),
                       LZ_T07=("beds", ""))
    out = tmp_path / "o"
    assert main(["run", str(_supply_study(tmp_path, fac)), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    for text in ("supply column 'beds'", "negative for 1 facilities (LZ-T03)",
                 "not a number for 1 facilities (LZ-T05)", "missing for 1 facilities (LZ-T07)",
                 "remove `supply`"):
        assert text in err, text
    assert not out.exists()
    report = check_study(_supply_study(tmp_path, fac))  # geo check names it too
    stop = next(c for c in report.checks if c.key == "measure_checks")
    assert stop.status == "stop" and "LZ-T03" in stop.message


# --------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(("edit", "exc", "words"), [
    ({"measures": {"use": "primary_care_facilities_per_10000"}}, StudyError,
     ["[measures] use", "list of text"]),
    ({"measures": {"use": ["primary_care_facility_per_10000"]}}, StudyError,
     ["did you mean 'primary_care_facilities_per_10000'"]),
    ({"measures": {"use": ["emergency_response_1h"]}}, StudyError,
     ["list it under [response] use"]),
    ({"response": {"use": ["emergency_response_2h"]}}, StudyError,
     ["did you mean 'emergency_response_1h'"]),
    ({"measures": {"overrides": {"primary_care_facilities_per_10000": {"minuts": 20}}}},
     StudyError, ["unknown option 'minuts'", "did you mean 'minutes'"]),
    ({"measures": {"overrides": {"beds_per_1000_2025": {"minutes": 20}}}}, StudyError,
     ["not in [measures] use"]),
    ({"measures": {"overrides": {"primary_care_facilities_per_10000": {"minutes": -5}}}},
     StudyError, ["[measures] overrides primary_care_facilities_per_10000.minutes = -5 is "
                  "out of range: give a number above 0"]),
    ({"response": {"overrides": {"emergency_response_1h": {"dispach_minutes": 5}}}},
     StudyError, ["did you mean 'dispatch_minutes'"]),
    ({"measures": {"use": ["beds_per_1000_2025"]}}, SupplyError,
     ["column 'beds'", "lacks", "remove `supply`"]),
    ({"response": {"overrides": {"emergency_response_1h": {"dispatch_column": "dispatch"}}}},
     MeasureError, ["column 'dispatch'", "lacks"]),
    ({"measures": {"stated_source": "x", "stated_totals": {"bed": 1761}}}, StudyError,
     ["did you mean 'beds'"]),
    ({"measures": {"stated_totals": {"beds": -1}}}, StudyError, ["stated_totals", "at least 0"]),
    ({"measures": {"stated_totals": {"beds": 1761}, "stated_source": None}}, StudyError,
     ["needs [measures] stated_source"]),
])
def test_bad_measure_options_stop_with_the_fix(tmp_path: Path, edit: dict[str, Any],
                                               exc: type[Exception], words: list[str]) -> None:
    if edit.get("measures", {}).get("stated_source", "") is None:  # drop the key
        edit = {"measures": {"stated_totals": {"beds": 1761}}}
        study = _study(tmp_path, edit)
        text = study.read_text(encoding="utf-8").splitlines()
        study.write_text("\n".join(x for x in text if not x.startswith("stated_source")),
                         encoding="utf-8")
    else:
        study = _study(tmp_path, edit)
    _fails_cleanly(study, tmp_path / "out", exc, *words)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- one reach structure

SHARED = ["beds_per_1000_2025", "doctors_per_1000_2025", "ambulances_per_10000_2025",
          "primary_care_facilities_per_10000", "doctors_per_1000_liuzhou"]


def _measures_run(tmp_path: Path, fac: Path, names: list[str], sub: str) -> Any:
    folder = tmp_path / sub
    folder.mkdir()
    measures: dict[str, Any] = {"use": names}
    if "beds_per_1000_2025" in names:  # beds of the hospitals only: the township centres
        measures["overrides"] = {"beds_per_1000_2025": {"facility_types": list(BASES)}}
    return run_study(_study(folder, {"facilities": {"path": str(fac)},
                                     "measures": measures}))


def test_measures_of_one_study_give_each_measure_alone_numbers(tmp_path: Path) -> None:
    """Five measures computed together (sharing one reach structure per mode and direction,
    searched at 60 minutes) give every number each gives computed alone, to the last bit."""
    from geo.coverage.surfaces import cell_index
    from geo.study import inputs, resources

    fac = _with_supply(tmp_path)
    table = pd.read_csv(fac, dtype=str)
    for col in ("beds", "doctors"):  # the measures of 2025 count the other hospitals too
        table[col] = table[col].fillna(pd.Series(range(3, 3 + len(table))).astype(str))
    table.to_csv(fac, index=False, encoding="utf-8")
    together = _measures_run(tmp_path, fac, SHARED, "all")
    t_rows = together.resources.measures.set_index("measure")
    t_fac = together.resources.facilities.set_index("measure")
    for name in SHARED:
        alone = _measures_run(tmp_path, fac, [name], name)
        pd.testing.assert_frame_equal(t_rows.loc[[name]], alone.resources.measures
                                      .set_index("measure"), check_exact=True)
        pd.testing.assert_frame_equal(t_fac.loc[[name]], alone.resources.facilities
                                      .set_index("measure"), check_exact=True)
        for col in (f"access_{name}", f"basin_{name}"):
            np.testing.assert_array_equal(together.demand[col].to_numpy(),
                                          alone.demand[col].to_numpy())
    # the structure is built once per mode and direction, for the union of the measures'
    # facilities at their largest catchment (a measure that rebuilt it would leave its own)
    _, used, _ = inputs.measures(together.study)
    assert [s.name for s in used] == SHARED
    assert used[0].facility_types == BASES
    inp = resources.Inputs(
        study=together.study, facilities=together.facilities, demand=together.demand,
        polygons=together.townships, area_name=together.area_name,
        networks=together.networks, cells=together.cells,
        cell_of=cell_index(together.demand, together.cells, False),
        snap=lambda places, mode: together.snap(places, mode), demand_snaps={})
    res, _ = resources.compute_resources(inp, used, [])
    pd.testing.assert_frame_equal(res.measures, together.resources.measures, check_exact=True)
    types = together.facilities["type"]
    assert sorted(inp.reaches) == [("drive", "from_facility"), ("drive", "to_facility")]
    reach_specs = [s for s in used if s.method != "nearest"]
    for (mode, direction), shared in inp.reaches.items():
        mine = [s for s in reach_specs if (s.mode, s.direction) == (mode, direction)]
        union = np.flatnonzero(types.isin([t for s in mine for t in s.facility_types]))
        np.testing.assert_array_equal(shared.rows, union)
        # each facility searched to the largest catchment of the measures that count it
        bound = [max(s.max_seconds for s in mine if t in s.facility_types)
                 for t in types.iloc[union]]
        np.testing.assert_array_equal(shared.reach.max_seconds, bound)
        assert shared.reach.shape == (len(union), len(together.demand))
    to = inp.reaches["drive", "to_facility"].reach.max_seconds
    assert set(to) == {1800.0, 3600.0}  # township centres to 30 min, hospitals to 60
