"""geo installs anywhere: ``python -m build`` gives an sdist and, from it, a wheel; the wheel
installs into a fresh virtual environment, where ``geo demo`` and ``geo init`` + ``geo check``
run from a folder outside the checkout on the files the package ships (the facility types,
the standards, the embedded Luzhai study and its data).

Offline: the build uses this environment's setuptools, Cython and numpy (``--no-isolation``);
the fresh environment gets geo from the wheel alone (``--no-deps --no-index``) and finds the
other packages where this environment has them (a ``.pth`` line), so nothing is downloaded.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests import synthetic_county as sc
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

#: files of the repository's top level that the wheel must carry under geo/_shipped/
SHIPPED = ["analysis/facility_types.toml", "analysis/standards.toml", "analysis/luzhai.toml",
           "analysis/scenarios/planned_2025.toml", "data/boundaries/luzhai_county.geojson",
           "data/boundaries/luzhai_township_seats.csv", "data/facilities/facilities_luzhai.csv",
           "data/roads/luzhai_backbone.geojson", "data/README.md"]


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
         ok: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == ok, (cmd, done.stdout[-3000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel built from it, as ``python -m build`` makes them."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT], cwd=out)
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed; its ``bin`` folder."""
    env = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", env], cwd=env)
    py = env / "bin" / "python"
    (wheel,) = dist.glob("geo_access-*.whl")
    _run([py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel], cwd=env)
    # the dependencies, from where this environment has them: a .pth line adds the folder
    # to sys.path after the fresh environment's own (the .pth files in it, such as the
    # editable install of this checkout, are not run, so geo comes from the wheel)
    purelib = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=env).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "deps-of-the-test.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    return env / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> dict[str, str]:
    """The environment of a user's shell outside the checkout (no PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    return env


def test_the_sdist_and_the_wheel_carry_what_geo_reads(dist: Path) -> None:
    (sdist,) = dist.glob("geo_access-*.tar.gz")
    with tarfile.open(sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    kernels = {p.relative_to(ROOT).with_suffix("").as_posix() for p in ROOT.glob("geo/**/*.pyx")}
    assert {"setup.py", "pyproject.toml", *(f"{k}.pyx" for k in kernels), *SHIPPED} <= in_sdist
    assert not [n for n in in_sdist if n.endswith(".so")]
    (wheel,) = dist.glob("geo_access-*.whl")
    with zipfile.ZipFile(wheel) as whl:
        in_wheel = set(whl.namelist())
    assert {f"geo/_shipped/{p}" for p in SHIPPED} <= in_wheel
    assert {"geo/serve/static/index.html", "geo/outputs/map/_vendor/leaflet/leaflet.js",
            "geo/py.typed"} <= in_wheel
    compiled = {n.split(".", 1)[0] for n in in_wheel if n.endswith((".so", ".pyd"))}
    assert compiled == kernels


def test_the_installed_geo_is_the_wheel(venv: Path, tmp_path: Path,
                                        elsewhere: dict[str, str]) -> None:
    where = _run([venv / "python", "-c", "import geo, geo.settings as s; "
                  "print(geo.__file__); print(s.shipped_root())"],
                 cwd=tmp_path, env=elsewhere).stdout.split()
    assert all(Path(p).is_relative_to(venv.parent) for p in where), where
    assert Path(where[1]).name == "_shipped"


def test_geo_demo_runs_outside_the_checkout(venv: Path, tmp_path: Path,
                                            elsewhere: dict[str, str],
                                            luzhai_demo: tuple[object, Path]) -> None:
    out = tmp_path / "演示"
    _run([venv / "geo", "demo", "--out", out], cwd=tmp_path, env=elsewhere)
    got = pd.read_csv(out / "coverage_by_township.csv", encoding="utf-8-sig")
    # the same numbers as the checkout's own run of the embedded study
    want = pd.read_csv(luzhai_demo[1] / "coverage_by_township.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(got.drop(columns="basis"), want.drop(columns="basis"))
    for name in ("results.gpkg", "map.html", "report.html", "coverage.xlsx"):
        assert (out / name).is_file(), name
    # without --out: maps/luzhai in the current folder, never inside the installed package
    _run([venv / "geo", "demo"], cwd=tmp_path, env=elsewhere)
    assert (tmp_path / "maps" / "luzhai" / "coverage_by_township.csv").is_file()


def test_geo_init_and_check_run_outside_the_checkout(venv: Path, tmp_path: Path,
                                                     elsewhere: dict[str, str]) -> None:
    county = tmp_path / "示例县"
    county.mkdir()
    sc.write_townships(county)
    sc.write_facilities_xlsx(county)
    sc.write_census(county)
    sc.write_osm(tmp_path / "roads.osm.pbf")
    geo = venv / "geo"
    _run([geo, "network", "build", tmp_path / "roads.osm.pbf", "--out", county / "roads.npz"],
         cwd=tmp_path, env=elsewhere)
    _run([geo, "init", county], cwd=tmp_path, env=elsewhere)
    # the facility types (Chinese names) and the standards are the ones the wheel ships
    printed = _run([geo, "check", county / "study.toml"], cwd=tmp_path, env=elsewhere).stdout
    assert "✗" not in printed
    assert f"{sc.TOTAL:,} people" in printed
    assert "township_health_center 4" in printed
