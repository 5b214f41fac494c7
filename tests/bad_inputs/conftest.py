"""Fixtures of the corpus: the county and an earlier run of it, made once per session;
a working copy of both per case."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.cli.main import main
from tests.bad_inputs.county import build_county, study_options
from tests.bad_inputs.harness import Workspace


@pytest.fixture(scope="session")
def county_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = build_county(tmp_path_factory.mktemp("corpus") / "county")
    ws = Workspace(folder.parent, folder, folder.parent / "unused", folder.parent / "unused",
                   study_options())
    ws.write_study()
    return folder


@pytest.fixture(scope="session")
def earlier_run(county_template: Path) -> Path:
    """A real run of the county: the earlier output every writing case must leave as it was."""
    out = county_template.parent / "run"
    assert main(["run", str(county_template / "study.toml"), "--out", str(out)]) == 0
    return out


@pytest.fixture
def ws(tmp_path: Path, county_template: Path, earlier_run: Path) -> Iterator[Workspace]:
    county, out = tmp_path / "county", tmp_path / "out"
    shutil.copytree(county_template, county)
    shutil.copytree(earlier_run, out)
    space = Workspace(tmp_path, county, out, earlier_run, study_options())
    yield space
    for cmd in reversed(space.undo):
        subprocess.run(cmd, check=True, capture_output=True)
