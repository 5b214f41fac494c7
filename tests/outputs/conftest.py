"""Planning outputs of the Luzhai study, written once per session by the real writers
(`geo site`, `geo designate`, `geo compare` write the same through the same functions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

STUDY = ROOT / "analysis" / "luzhai.toml"
#: names a spreadsheet would run as formulas (OWASP CSV injection), and a lost facility
HOSTILE = {"name": '=HYPERLINK("http://x","y")', "id": "+1", "project": "-2+3",
           "note": "@SUM(A1)"}
HOSTILE_SCENARIO = f"""
[scenario]
name = "hostile"
title = '{HOSTILE['name']}'
description = "a facility with names that look like formulas; 拉沟乡卫生院 closed"

[[actions]]
project = "{HOSTILE['project']}"
action = "add"
id = "{HOSTILE['id']}"
name = '{HOSTILE['name']}'
type = "township_health_center"
lon = 109.80
lat = 24.60
note = "{HOSTILE['note']}"

[[actions]]
project = "P-close"
action = "close"
id = "LZ-T09"
note = "closed to make a loss"
"""


@pytest.fixture(scope="session")
def planning(luzhai_demo: tuple[Any, Path], tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Any]:
    """Folders of a siting, a designation, the planned_2025 comparison and a hostile one,
    with the runs that made them."""
    from geo.outputs.planning import write_comparison, write_designation, write_siting
    from geo.planning.compare import compare
    from geo.planning.sites import designate, site

    result = luzhai_demo[0]
    base = tmp_path_factory.mktemp("planning")
    runs: dict[str, Any] = {
        "site": site(result, standard="primary_care_30min", p=3, model="mclp",
                     candidates="grid"),
        "ems": designate(result, from_types=["township_health_center"], role="ems_station",
                         k=3, minutes=30),
        "planned": compare(result, "planned_2025"),
    }
    scenario = base / "hostile.toml"
    scenario.write_text(HOSTILE_SCENARIO, encoding="utf-8")
    runs["hostile"] = compare(result, str(scenario))
    write_siting(runs["site"], base / "site")
    write_designation(runs["ems"], base / "ems")
    write_comparison(runs["planned"], base / "planned")
    write_comparison(runs["hostile"], base / "hostile")
    return {"dir": base, "runs": runs}
