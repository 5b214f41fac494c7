"""What four population groups add to a study's compute time (issue 25: less than 20 %).

The synthetic county of the tests (示例县, tests/synthetic_county.py: six townships, eight
facilities, a road grid, the census age table as a workbook with a two-row header) is run
as one study twice: its population table with no groups, and with four groups (0—14岁,
15—59岁, 60岁及以上, 65岁及以上, a partition checked), each on a fine demand grid
(``--spacing`` metres, default 100: some 54,000 demand points) and four standards.
``run_study`` runs once untimed per study (warm-up), then ``--runs`` times alternately;
the table gives the median total and the median of the stages that differ. Results:
benchmarks/results/groups.json and .md, with the load of the machine.

    python benchmarks/bench_groups.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))  # tests.synthetic_county builds the county in code

GROUPS = {"0—14岁（人）": "children", "15—59岁（人）": "working_age",
          "60岁及以上（人）": "elderly_60", "65岁及以上（人）": "elderly_65"}
STANDARDS = ["emergency_1h", "primary_care_30min", "rescue_2h", "community_15min"]


def write_studies(folder: Path, spacing: float) -> tuple[Path, Path]:
    """The county's files and the two study files (no groups, four groups)."""
    from tests.bad_inputs.county import build_county, study_options
    from tests.conftest import toml_value
    from tests.synthetic_county import write_census_ages

    county = build_county(folder / "county")
    write_census_ages(county / "分年龄人口.xlsx")
    out = []
    for name, more in (("plain", {}), ("groups", {
            "groups": GROUPS, "partition": ["children", "working_age", "elderly_60"]})):
        options = study_options()
        options["population"] = {"method": "table", "path": "分年龄人口.xlsx",
                                 "table_key": "乡镇名称", "count_col": "常住人口（人）",
                                 "grid_spacing_m": spacing, **more}
        options["standards"] = {"use": STANDARDS}
        lines = []
        for sec, opts in options.items():
            lines.append(f"[{sec}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in opts.items()]
        path = county / f"{name}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out.append(path)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--spacing", type=float, default=100.0)
    args = parser.parse_args()
    from geo.study.run import run_study

    with tempfile.TemporaryDirectory() as tmp:
        plain, groups = write_studies(Path(tmp), args.spacing)
        points = len(run_study(plain).demand)  # warm-up
        run_study(groups)
        totals: dict[str, list[float]] = {"plain": [], "groups": []}
        stages: dict[str, dict[str, list[float]]] = {"plain": {}, "groups": {}}
        for _ in range(args.runs):
            for name, study in (("plain", plain), ("groups", groups)):
                t0 = time.perf_counter()
                done = run_study(study)
                totals[name].append(time.perf_counter() - t0)
                for stage, sec in done.timings.items():
                    stages[name].setdefault(stage, []).append(sec)
    med = {k: statistics.median(v) for k, v in totals.items()}
    added = med["groups"] / med["plain"] - 1.0
    per_stage = {name: {s: statistics.median(v) for s, v in st.items()}
                 for name, st in stages.items()}
    result: dict[str, Any] = {
        "demand_points": points, "groups": len(GROUPS), "standards": len(STANDARDS),
        "runs": args.runs, "median_s": med, "added_share": added,
        "stages_s": per_stage, "load_average": os.getloadavg(), "cpus": os.cpu_count(),
        "target": "groups add less than 20 % (issue 25)",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "groups.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    differ = sorted({s for st in per_stage.values() for s in st
                     if abs(per_stage["groups"].get(s, 0.0) - per_stage["plain"].get(s, 0.0))
                     > 0.005})
    lines = [
        "# Population groups: what four groups add to a study",
        "",
        f"Synthetic county (6 townships), {points:,} demand points "
        f"({args.spacing:g} m grid), {len(STANDARDS)} standards, {len(GROUPS)} groups; "
        f"median of {args.runs} runs each; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs.",
        "",
        "| study | total (s) |", "|---|---|",
        f"| no groups | {med['plain']:.2f} |",
        f"| four groups | {med['groups']:.2f} |",
        "",
        f"Groups add **{added * 100:.1f} %** (target: less than 20 %).",
        "",
        "| stage | no groups (s) | four groups (s) |", "|---|---|---|",
        *(f"| {s} | {per_stage['plain'].get(s, 0.0):.3f} | "
          f"{per_stage['groups'].get(s, 0.0):.3f} |" for s in differ),
        "",
    ]
    (RESULTS / "groups.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
