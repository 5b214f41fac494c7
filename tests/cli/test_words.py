"""Errors in the caller's words: one error names the Python parameter; the CLI's one handler
prints the flag that fed it, the study layer the study-file key (geo.errors.Arg)."""

from __future__ import annotations

import inspect
import pickle
import re
from pathlib import Path

import pytest

import geo
from geo.cli.main import main
from geo.cli.words import FLAGS, cli_words
from geo.errors import Arg, GeoError, Hint, Key, SitingError, given_as
from geo.study.inputs import STUDY_KEYS
from geo.study.schema import SECTIONS
from tests.conftest import ROOT
from tests.messages import real_flags

#: where the functions the tables name live (the façade's, and the writers' helpers)
_HOMES = ["geo", "geo.network.sources", "geo.outputs.folder", "geo._atomic",
          "geo.outputs.write", "geo.outputs.planning", "geo.outputs.results",
          "geo.routing.travel", "geo.planning.scenario"]


def _function(name: str) -> object:
    import importlib

    for home in _HOMES:
        obj: object = importlib.import_module(home)
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is not None:
            return obj
    raise AssertionError(f"no function {name!r}")


def _parameters(name: str) -> set[str]:
    obj = _function(name)
    return set(inspect.signature(obj).parameters)  # type: ignore[arg-type]


@pytest.mark.parametrize(("func", "param"), sorted(FLAGS))
def test_every_flag_of_the_table_feeds_a_real_parameter(func: str, param: str) -> None:
    flag = FLAGS[func, param]
    assert param in _parameters(func), f"{func} has no parameter {param}"
    if flag.startswith("--"):
        assert flag in real_flags(), f"{flag} is no flag of geo"
    else:
        assert re.fullmatch(r"[A-Z]+", flag), flag  # a positional argument's name


@pytest.mark.parametrize(("func", "param"), sorted(STUDY_KEYS))
def test_every_study_key_of_the_table_exists(func: str, param: str) -> None:
    from dataclasses import fields

    section, key = STUDY_KEYS[func, param]
    assert param in _parameters(func)
    assert key in {f.name for f in fields(SECTIONS[section])}


def test_one_error_carries_both_words() -> None:
    e = SitingError(Arg("site", "capacity_col", "beds"), ": capacities come from a column "
                    "of a candidate file (", Arg("site", "candidates", Hint("PATH")), ")")
    assert str(e) == ("site(capacity_col='beds'): capacities come from a column of a "
                      "candidate file (site(candidates=PATH))")
    assert cli_words(e) == ("--capacity-col beds: capacities come from a column of a "
                            "candidate file (--candidates PATH)")
    assert [a.name for a in e.named] == ["capacity_col", "candidates"]
    # lists as a shell takes them, a positional argument as its value
    many = GeoError(Arg("designate", "from_types", ["a", "b c"]), " / ",
                    Arg("networks_from_source", "path", "道路.shp"))
    assert cli_words(many) == "--from-type a 'b c' / '道路.shp'"
    # an error that crosses processes (Dask) keeps its parts
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is SitingError and cli_words(again) == cli_words(e)


def test_the_study_layer_names_its_keys() -> None:
    with pytest.raises(GeoError) as info, given_as(STUDY_KEYS):
        geo.networks_from_source("nope.pbf", ["drive"])
    assert str(info.value).startswith("[roads] path = 'nope.pbf': no such file")
    assert cli_words(info.value) == str(info.value)  # a study key reads the same everywhere
    assert isinstance(info.value.parts[0], Key)


def test_python_callers_get_parameters(tmp_path: Path) -> None:
    with pytest.raises(GeoError, match=r"^networks_from_source\(path='nope.pbf'\): no such "
                       r"file: give a road source"):
        geo.networks_from_source("nope.pbf", ["drive"])


def test_geo_run_names_the_study_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "analysis" / "luzhai.toml").read_text(encoding="utf-8")
    text = text.replace('"../', f'"{ROOT.as_posix()}/').replace(
        "luzhai_backbone.geojson", "no_such_roads.geojson").replace(
        'file = "standards.toml"', f'file = "{(ROOT / "analysis" / "standards.toml").as_posix()}"')
    study = tmp_path / "study.toml"
    study.write_text(text, encoding="utf-8")
    assert main(["run", str(study), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "error: [roads] path = '" in err and "no_such_roads.geojson': no such file" in err
    assert "networks_from_source" not in err


def test_geo_site_names_the_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  luzhai_demo: tuple[object, Path]) -> None:
    _, run = luzhai_demo
    assert main(["site", str(run), "--standard", "primary_care_30min", "--capacity-col",
                 "beds", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "error: --capacity-col beds: capacities come from a column of a candidate file " \
           "(--candidates PATH), not from 'grid' candidates" in err
    assert "site(" not in err
    assert main(["designate", str(run), "--from-type", "no_such_type", "--role",
                 "ems_station", "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "error: --from-type no_such_type: 'no_such_type' is not a facility type" in err
    assert "designate(" not in err
