"""The public facade: a short list of entry points, loaded on first use, each with examples
that run; every subpackage re-exports its public names."""

from __future__ import annotations

import doctest
import functools
import importlib
import inspect
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import geo
from tests.conftest import ROOT

#: the façade's entry points (and the Network methods that hand a network over), whose
#: docstrings must carry Examples that run
EXAMPLES = sorted(n for n in geo.__all__ if n != "__version__")
METHODS = ["Network.to_gdf", "Network.to_networkx"]


def test_every_public_name_resolves() -> None:
    assert "__version__" in geo.__all__ and len(set(geo.__all__)) == len(geo.__all__)
    for name in EXAMPLES:
        obj = getattr(geo, name)
        assert obj.__name__ == name
    assert set(geo.__all__) - {"__version__"} <= set(dir(geo))


def test_the_facade_stays_small() -> None:
    assert 15 <= len(EXAMPLES) <= 20, EXAMPLES


def test_facade_speaks_frames_and_minutes() -> None:
    """geo.od_matrix and geo.reach_matrix are the frames tier; the Snap-level functions
    stay in geo.routing."""
    from geo.routing import frames, travel

    for name in ("travel_times", "od_matrix", "reach_matrix", "isochrones"):
        assert getattr(geo, name) is getattr(frames, name)
    assert geo.od_matrix is not travel.od_matrix and geo.reach_matrix is not travel.reach_matrix
    for snap_level in ("snap_points", "nearest_facility"):
        assert not hasattr(geo, snap_level)
    routing = importlib.import_module("geo.routing")
    assert routing.od_matrix is travel.od_matrix  # the array tier, for speed


def _subpackages() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(geo.__path__, "geo.") if m.ispkg)


@pytest.mark.parametrize("name", _subpackages())
def test_every_subpackage_reexports_its_public_names(name: str) -> None:
    pkg = importlib.import_module(name)
    names = getattr(pkg, "__all__", None)
    assert names, f"{name} re-exports nothing (__all__)"
    for n in names:
        obj = getattr(pkg, n)
        home = getattr(obj, "__module__", None)
        assert home is None or home.startswith(name), (n, home)
    assert set(names) <= set(dir(pkg))


def test_version_comes_from_the_installed_metadata() -> None:
    assert geo.__version__ == version("geo-access")


@pytest.mark.parametrize("pkg", ["geo", "geo.readers", "geo.routing", "geo.network"])
def test_importing_a_package_stays_light(pkg: str) -> None:
    code = (f"import sys, {pkg}; print('geopandas' in sys.modules, 'folium' in sys.modules, "
            "'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "False"]


# --------------------------------------------------------------------------- examples


def _obj(name: str) -> Any:
    obj: Any = geo
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.fixture(scope="module")
def shared_study() -> Iterator[None]:
    """The examples that start from the embedded study each call geo.run_study on it;
    here they share one computed study (the same call, made once: it takes seconds)."""
    import geo.study.run as run

    real = run.run_study

    @functools.cache
    def once(study: str) -> Any:
        return real(study)

    def run_study(study: Any, progress: Callable[[str], None] | None = None) -> Any:
        return once(str(study)) if isinstance(study, str) and progress is None else real(
            study, progress)

    run.run_study = run_study  # type: ignore[assignment]
    try:
        yield
    finally:
        run.run_study = real  # type: ignore[assignment]


@pytest.mark.parametrize("name", EXAMPLES + METHODS)
def test_examples_run(name: str, shared_study: None, monkeypatch: pytest.MonkeyPatch) -> None:
    obj = _obj(name)
    doc = inspect.getdoc(obj) or ""
    assert "\nExamples\n--------\n" in doc, f"{name} has no Examples section"
    monkeypatch.chdir(ROOT)  # examples name the embedded data relative to the project
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    tests = [t for t in finder.find(obj, name, globs={}) if t.examples]
    assert tests, f"{name}: no runnable examples"
    for t in tests:
        runner.run(t)
    assert runner.failures == 0, f"{name}: {runner.failures} example(s) failed (see output)"


def test_examples_name_no_absolute_paths() -> None:
    for name in EXAMPLES + METHODS:
        doc = inspect.getdoc(_obj(name)) or ""
        assert "/work/" not in doc and str(ROOT) not in doc, name
    assert Path("analysis/luzhai.toml").as_posix() in (inspect.getdoc(geo.run_study) or "")


def test_every_facade_function_has_a_bad_argument_case() -> None:
    """The corpus's Python API cases call each entry point with a bad argument and check
    that the message names the parameter (``name(param=...)``), not a flag."""
    from tests.bad_inputs.cases_api import CASES

    named = {c.problem[0].split("(", 1)[0].split(".", 1)[0] for c in CASES}
    # a computed study and an error are made by other entry points, not called with arguments
    callable_ones = set(EXAMPLES) - {"ComputedStudy", "GeoError"}
    assert callable_ones <= named, sorted(callable_ones - named)
