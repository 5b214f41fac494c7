"""The Python API: every façade function called with a bad argument on the synthetic county.

Each case calls ``geo.<function>`` as a script would and asserts what the corpus asserts
of a command (the problem and the fix named, no traceback), and that the message names
the Python parameter (``travel_times(demand=...)``), never a ``--flag``.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

import geo
from geo.errors import GeoError
from geo.siting.models import coverage
from tests.bad_inputs.harness import Case, Result, Workspace, message_of
from tests.messages import named_flags

CAT = "Python API"
#: the corpus runs commands; these cases run a Python call instead (see _api)
CALL = ("<python>",)


def _api(call: Callable[[Workspace], object]) -> Callable[[Workspace, list[str]], Result]:
    """A runner calling ``call`` in this process: a GeoError is the message (exit 2 as
    the command would), anything else escaping is a traceback."""
    def runner(ws: Workspace, argv: list[str]) -> Result:
        try:
            call(ws)
        except GeoError as e:
            return Result(2, "", f"error: {e}\n")
        except BaseException:
            return Result(1, "", traceback.format_exc())
        return Result(0, "", "")
    return runner


def _python_words(ws: Workspace, r: Result) -> None:
    """``then``: the message names Python parameters, not the command's flags."""
    msg = message_of(r)
    assert not named_flags(msg), f"a Python caller is told about flags: {msg}"


def _case(id: str, what: str, call: Callable[[Workspace], object], problem: tuple[str, ...],
          fix: tuple[str, ...]) -> Case:
    return Case(id, CAT, what, CALL, code=2, problem=problem, fix=fix, writes=False,
                runner=_api(call), then=_python_words)


def _fac(ws: Workspace, crs: object = 4326) -> gpd.GeoDataFrame:
    """The county's facilities as a GeoDataFrame of points (lon/lat in ``crs``)."""
    df = pd.read_csv(ws.path("facilities.csv"))
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=crs)


def _net(ws: Workspace) -> str:
    return str(ws.path("roads.npz"))


@functools.cache
def _reloaded(run: Path) -> geo.ComputedStudy:
    return geo.load_computed(run)


def _computed(ws: Workspace) -> geo.ComputedStudy:
    return _reloaded(ws.run)


def _problem() -> geo.SitingProblem:
    reach = sp.csr_matrix((np.array([60.0, 90.0]), (np.array([0, 1]), np.array([0, 1]))),
                          shape=(2, 2))
    return geo.SitingProblem(reach, np.array([10.0, 20.0]), threshold_s=120)


def _townships(ws: Workspace) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(ws.path("乡镇界线.shp"), encoding="gbk")
    return gdf.assign(id=range(len(gdf)))


def _call(fn: str, *args: Any, **kw: Any) -> Callable[[Workspace], object]:
    """``geo.<fn>`` with arguments; a callable argument is called with the workspace."""
    def call(ws: Workspace) -> object:
        a = [x(ws) if callable(x) else x for x in args]
        k = {n: (x(ws) if callable(x) else x) for n, x in kw.items()}
        return getattr(geo, fn)(*a, **k)
    return call


def _to_gdf(crs: object) -> Callable[[Workspace], object]:
    def call(ws: Workspace) -> object:
        return geo.networks_from_source(_net(ws), ["drive"])["drive"].to_gdf(crs)
    return call


CASES = [
    _case("api_travel_times_no_crs", "travel_times: facilities without a coordinate system",
          _call("travel_times", _net, lambda ws: _fac(ws, crs=None), _fac),
          ("travel_times(facilities=...)", "no coordinate system"), ("set_crs(4326)",)),
    _case("api_travel_times_no_id", "travel_times: demand points without an id column",
          _call("travel_times", _net, _fac, lambda ws: _fac(ws).drop(columns="id")),
          ("travel_times(demand=...)", "no 'id' column"), ("unique id",)),
    _case("api_travel_times_duplicate_ids", "travel_times: two facilities with the id F01",
          _call("travel_times", _net, lambda ws: _fac(ws).iloc[[0, 0, 1]], _fac),
          ("travel_times(facilities=...)", "'F01'"), ("must be unique",)),
    _case("api_travel_times_polygons", "travel_times: township polygons as demand points",
          _call("travel_times", _net, _fac, _townships),
          ("travel_times(demand=...)", "Polygon, not points"), ("representative_point",)),
    _case("api_travel_times_unknown_mode", "travel_times: mode='car'",
          _call("travel_times", _net, _fac, _fac, mode="car"),
          ("travel_times(mode='car')", "not a travel mode"), ("'drive' or 'walk'",)),
    _case("api_travel_times_unknown_direction", "travel_times: direction='inbound'",
          _call("travel_times", _net, _fac, _fac, direction="inbound"),
          ("travel_times(direction='inbound')",), ("'from_facility' or 'to_facility'",)),
    _case("api_travel_times_max_minutes_zero", "travel_times: max_minutes=0",
          _call("travel_times", _net, _fac, _fac, max_minutes=0),
          ("travel_times(max_minutes=0)",), ("above 0",)),
    _case("api_travel_times_network_of_another_mode", "travel_times: a walk network asked "
          "for driving",
          _call("travel_times",
                lambda ws: geo.networks_from_source(_net(ws), ["walk"])["walk"], _fac, _fac),
          ("travel_times(network=...)", "'walk' network"), ("mode='walk'",)),
    _case("api_od_matrix_missing_network", "od_matrix: a road source that does not exist",
          _call("od_matrix", "no_roads.npz", _fac, _fac),
          ("od_matrix(network='no_roads.npz')", "no such file"), ("OSM extract",)),
    _case("api_reach_matrix_not_a_network", "reach_matrix: a number as the network",
          _call("reach_matrix", 42, _fac, _fac, max_minutes=30),
          ("reach_matrix(network=int)", "not a road network"), ("networkx graph",)),
    _case("api_reach_matrix_no_limit", "reach_matrix: max_minutes=None",
          _call("reach_matrix", _net, _fac, _fac, max_minutes=None),
          ("reach_matrix(max_minutes=None)",), ("above 0",)),
    _case("api_isochrones_no_minutes", "isochrones: no thresholds",
          _call("isochrones", _net, _fac, []),
          ("isochrones(minutes=[])",), ("e.g. [15, 30, 60]",)),
    _case("api_isochrones_dict_without_mode", "isochrones: a study's networks without walking",
          _call("isochrones", lambda ws: geo.networks_from_source(_net(ws), ["drive"]), _fac,
                [15], mode="walk"),
          ("isochrones(network=...)", "no 'walk' network"), ("isochrones(mode='drive')",)),
    _case("api_networks_from_source_missing", "networks_from_source: no such file",
          _call("networks_from_source", "nope.pbf", ["drive"]),
          ("networks_from_source(path='nope.pbf')", "no such file"), ("road line layer",)),
    _case("api_networks_from_source_mode", "networks_from_source: modes=['bike']",
          _call("networks_from_source", _net, ["bike"]),
          ("networks_from_source(modes=['bike'])", "not a travel mode"), ("drive and/or walk",)),
    _case("api_network_to_gdf_crs", "Network.to_gdf: crs='WGS 1984'",
          _to_gdf("no such crs"),
          ("Network.to_gdf(crs='no such crs')", "not a coordinate system"), ("EPSG code",)),
    _case("api_load_study_missing", "load_study: no such file",
          _call("load_study", "no_study.toml"),
          ("load_study(path='no_study.toml')", "no such study file"), (".toml study file",)),
    _case("api_run_study_missing", "run_study: no such file",
          _call("run_study", "no_study.toml"),
          ("run_study(study='no_study.toml')", "no such study file"), (".toml study file",)),
    _case("api_write_outputs_not_a_study", "write_outputs: a study file instead of a "
          "computed study",
          _call("write_outputs", "study.toml", lambda ws: ws.root / "x"),
          ("write_outputs(result=str)",), ("geo.run_study",)),
    _case("api_write_outputs_to_a_file", "write_outputs: out_dir names a file",
          _call("write_outputs", _computed, lambda ws: ws.path("facilities.csv")),
          ("write_outputs(out_dir=", "a file, not a folder"), ("name a folder",)),
    _case("api_load_computed_missing", "load_computed: no results.gpkg there",
          _call("load_computed", lambda ws: ws.root / "no_run"),
          ("load_computed(path=", "no such file"), ("results.gpkg",)),
    _case("api_site_capacity_without_file", "site: capacity_col with grid candidates",
          _call("site", _computed, standard="primary_care_30min", capacity_col="beds"),
          ("site(capacity_col='beds')", "not from 'grid' candidates"),
          ("site(candidates=PATH)",)),
    _case("api_site_unknown_model", "site: model='mlcp'",
          _call("site", _computed, standard="primary_care_30min", model="mlcp"),
          ("site(model='mlcp')", "did you mean 'mclp'"), ("lscp",)),
    _case("api_site_unknown_standard", "site: a standard the study does not use",
          _call("site", _computed, standard="emergency_1h"),
          ("site(standard='emergency_1h')", "not a standard of this study"),
          ("primary_care_30min",)),
    _case("api_designate_unknown_type", "designate: from_types names no facility type",
          _call("designate", _computed, from_types=["no_such_type"], role="ems_station"),
          ("designate(from_types=['no_such_type'])", "is not a facility type"),
          ("the study's types are",)),
    _case("api_designate_role_without_standard", "designate: a role no standard counts",
          _call("designate", _computed, from_types=["township_health_center"],
                role="ems_station"),
          ("designate(role='ems_station')", "no standard of this study counts"),
          ("designate(standard=...)",)),
    _case("api_compare_unknown_scenario", "compare: a scenario that does not exist",
          _call("compare", _computed, "no_such_scenario"),
          ("compare(scenario=", "no such scenario file"), ("scenarios/",)),
    _case("api_sitingproblem_weights", "SitingProblem: negative populations",
          lambda ws: geo.SitingProblem(_problem().reach, np.array([-1.0, 2.0]), 120),
          ("SitingProblem(weights=",), ("non-negative populations",)),
    _case("api_sitingproblem_shared", "SitingProblem: a shared cover made for another "
          "threshold", lambda ws: geo.SitingProblem(
              _problem().reach, np.array([10.0, 20.0]), 120,
              shared=coverage(_problem().reach, 60)),
          ("SitingProblem(shared=",), ("coverage(reach, threshold_s)",)),
    _case("api_mclp_p_zero", "mclp: p=0", lambda ws: geo.mclp(_problem(), 0),
          ("mclp(p=0)",), ("1 or more",)),
    _case("api_lscp_target", "lscp: target_share=95 (a percentage)",
          lambda ws: geo.lscp(_problem(), 95),
          ("lscp(target_share=95)",), ("0.95 for 95 %",)),
    _case("api_pmedian_method", "pmedian: method='fast'",
          lambda ws: geo.pmedian(_problem(), 1, penalty_s=600, method="fast"),
          ("pmedian(method='fast')",), ("'exact' or 'heuristic'",)),
]
