"""Errors in the words of the ``geo`` command: the flag that feeds each library parameter.

A library error names the Python parameter it is about (:class:`geo.errors.Arg`); the one
error handler (:func:`geo.cli.main.main`) prints it with the flag, or the positional
argument, that the command passed to that parameter: ``site(capacity_col='beds')`` reads
``--capacity-col beds`` after ``geo site``. Parameters whose values came from a study file
are named by their keys before they get here (:data:`geo.study.inputs.STUDY_KEYS`).
"""

from __future__ import annotations

from geo.errors import Arg, GeoError

__all__ = ["FLAGS", "cli_words"]

#: (function, parameter) -> the flag, or the positional argument (upper case), that the
#: ``geo`` command passes to it; tests/cli/test_words.py checks both sides exist
FLAGS: dict[tuple[str, str], str] = {
    ("site", "standard"): "--standard",
    ("site", "p"): "--add",
    ("site", "model"): "--model",
    ("site", "candidates"): "--candidates",
    ("site", "spacing_m"): "--spacing",
    ("site", "max_road_m"): "--max-road-m",
    ("site", "minutes"): "--minutes",
    ("site", "target_share"): "--target",
    ("site", "method"): "--method",
    ("site", "time_limit_s"): "--time-limit",
    ("site", "capacity_col"): "--capacity-col",
    ("site", "people_per_unit"): "--people-per-unit",
    ("designate", "from_types"): "--from-type",
    ("designate", "role"): "--role",
    ("designate", "k"): "--k",
    ("designate", "minutes"): "--minutes",
    ("designate", "standard"): "--standard",
    ("designate", "time_limit_s"): "--time-limit",
    ("compare", "scenario"): "--scenario",
    ("load_study", "path"): "STUDY",
    ("run_study", "study"): "STUDY",
    ("load_computed", "path"): "STUDY",
    ("write_atomically", "out_dir"): "--out",
    ("write_outputs", "out_dir"): "--out",
    ("write_siting", "out_dir"): "--out",
    ("write_designation", "out_dir"): "--out",
    ("write_comparison", "out_dir"): "--out",
    ("atomic_path", "target"): "--out",
    ("networks_from_source", "path"): "SOURCE",
    ("networks_from_source", "modes"): "--modes",
    ("RoadOptions", "class_col"): "--class-col",
    ("RoadOptions", "min_component_share"): "--min-component-share",
    ("isochrones", "minutes"): "--minutes",
    ("isochrones", "mode"): "--mode",
    ("isochrones", "direction"): "--direction",
    ("isochrones", "max_leg_m"): "--max-leg-m",
    ("redraw_map", "gpkg"): "RESULTS",
    ("redraw_map", "out"): "--out",
    ("redraw_map", "standard"): "--standard",
}


def _spelled(arg: Arg) -> str | None:
    flag = FLAGS.get((arg.func, arg.name))
    if flag is None:
        return None  # a parameter the command does not feed: Python words
    if flag.startswith("--"):
        return arg.spelled(flag)
    return arg.spelled("").strip() or flag  # a positional argument: its value


def cli_words(error: GeoError) -> str:
    """The message of ``error`` with every parameter named by its flag (see module docs)."""
    return error.words(_spelled)
