"""Scenarios: planned changes (``geo compare``) that cannot be applied as written."""

from __future__ import annotations

import re

from tests.bad_inputs.harness import Case, Result, Workspace

CAT = "scenarios"
COMPARE = ("compare", "{run}", "--scenario", "{county}/scenario.toml", "--out", "{out}")
HEAD = '[scenario]\nname = "test"\ntitle = "测试方案"\n'
F03 = (109.865, 24.517)  # near facility F03 (东山镇中心卫生院)


def _scenario(*actions: str, head: str = HEAD):  # type: ignore[no-untyped-def]
    """A scenario file of ``actions`` (each the body of an [[actions]] table)."""
    text = head + "".join(f"\n[[actions]]\n{a.strip()}\n" for a in actions)

    def edit(ws: Workspace) -> None:
        ws.scenario(text)
    return edit


def _add(lon: object, lat: object, fid: str = "NEW-1", kind: str = "township_health_center",
         extra: str = "") -> str:
    return (f'action = "add"\nid = "{fid}"\nname = "新卫生院"\ntype = "{kind}"\n'
            f"lon = {lon}\nlat = {lat}\n{extra}")


def _outside_kept(ws: Workspace) -> None:
    """A study whose facilities may lie outside: a site 3 km east of the county's edge."""
    ws.set("facilities", "outside", "keep")
    _scenario(_add(110.135, 24.5))(ws)


def _then_outside_kept(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    m = re.search(r"add 'NEW-1' puts it at lon 110\.135000, lat 24\.500000, ([\d.]+) km outside "
                  r'the study area \(kept: \[facilities\] outside = "keep"\)', summary)
    assert m, summary
    assert 2.0 < float(m.group(1)) < 4.0  # the county's eastern edge is near 110.105


def _then_outside_on_purpose(ws: Workspace, r: Result) -> None:
    summary = (ws.out / "comparison_summary.txt").read_text(encoding="utf-8")
    m = re.search(r"add 'NEW-1' puts it at lon 110\.135000, lat 24\.500000, ([\d.]+) km outside "
                  r"the study area \(kept: the action says outside = true\)", summary)
    assert m, summary
    assert 2.0 < float(m.group(1)) < 4.0


def _line(ws: Workspace) -> None:
    """The study's roads as a line layer (so new roads can be noded in)."""
    ws.set("roads", "path", "roads.geojson")


CASES = [
    Case("scen_file_missing", CAT, "--scenario naming a file that does not exist",
         ("compare", "{run}", "--scenario", "{county}/无.toml", "--out", "{out}"),
         problem=("--scenario", "无.toml", "no such scenario file"), fix=("scenarios/",)),
    Case("scen_name_unknown", CAT, "--scenario naming no scenario beside the study",
         ("compare", "{run}", "--scenario", "planned_2030", "--out", "{out}"),
         problem=("--scenario", "planned_2030", "no such scenario file")),
    Case("scen_invalid_toml", CAT, "a scenario file that is not TOML", COMPARE,
         lambda ws: ws.scenario("[scenario\n"), problem=("not valid TOML",)),
    Case("scen_unknown_table", CAT, "a misspelt table ([[action]])", COMPARE,
         lambda ws: ws.scenario(HEAD + '\n[[action]]\naction = "close"\nid = "F03"\n'),
         problem=("unknown section [[action]]",), fix=("did you mean 'actions'", "[[actions]]")),
    Case("scen_unknown_action", CAT, "action = \"remove\" (close is meant)", COMPARE,
         _scenario('action = "remove"\nid = "F03"'), problem=("'remove'",), fix=("'close'",)),
    Case("scen_unknown_key", CAT, "an add with lng for lon", COMPARE,
         _scenario(_add(109.9, 24.5).replace("lon =", "lng =")),
         problem=("unknown option 'lng' in [[actions]] 1 (add NEW-1)",),
         fix=("did you mean 'lon'",)),
    Case("scen_move_both_ways", CAT, "a move with both lon/lat and offset_m/bearing",
         COMPARE, _scenario('action = "move"\nid = "F03"\nlon = 109.9\nlat = 24.5\n'
                            "offset_m = 500\nbearing = 90"),
         problem=("move F03",), fix=("either lon + lat or offset_m + bearing",)),
    Case("scen_unknown_id", CAT, "closing a facility id the study lacks", COMPARE,
         _scenario('action = "close"\nid = "F99"'), problem=("'F99'",), fix=("F01",)),
    Case("scen_close_twice", CAT, "the same facility closed twice", COMPARE,
         _scenario('action = "close"\nid = "F03"', 'action = "close"\nid = "F03"'),
         problem=("'F03'",)),
    Case("scen_add_existing_id", CAT, "adding a facility with an id that exists", COMPARE,
         _scenario(_add(109.9, 24.5, fid="F03")), problem=("'F03'", "already exists"),
         fix=("new id",)),
    Case("scen_add_unknown_type", CAT, "adding a facility of an unknown type", COMPARE,
         _scenario(_add(109.9, 24.5, kind="health_post")), problem=("health_post",),
         fix=("facility_types.toml",)),
    Case("scen_retype_unknown_type", CAT, "an upgrade to a type that does not exist",
         COMPARE, _scenario('action = "retype"\nid = "F03"\ntype = "grade3_hospital"'),
         problem=("grade3_hospital",), fix=("facility_types.toml",)),
    Case("scen_designate_unknown_role", CAT, "designating a role that is no type", COMPARE,
         _scenario('action = "designate"\nids = ["F04"]\nrole = "ambulance"'),
         problem=("ambulance",), fix=("facility_types.toml",)),
    Case("scen_add_far_outside", CAT, "a facility added at lon 0, lat 0 (far outside the "
         "area)", COMPARE, _scenario(_add(0.0, 0.0)),
         problem=("'NEW-1'", "km outside the study area"),
         fix=("check its lon/lat", '[facilities] outside = "keep"')),
    Case("scen_move_far_outside", CAT, "a facility moved 500 km away", COMPARE,
         _scenario('action = "move"\nid = "F03"\noffset_m = 500000\nbearing = 90'),
         problem=("'F03'", "km outside the study area"), fix=("offset_m/bearing",)),
    Case("scen_add_lon_text", CAT, "lon = \"东经109.9\" (text)", COMPARE,
         _scenario(_add('"东经109.9"', 24.5)), problem=("lon must be a number, got '东经109.9'",),
         fix=("give a number at least -180 and at most 180",)),
    Case("scen_add_lon_nan", CAT, "lon = nan", COMPARE, _scenario(_add("nan", 24.5)),
         problem=("lon = nan",), fix=("give a number at least -180 and at most 180",)),
    Case("scen_road_text_coords", CAT, "add_road with a vertex written as text", COMPARE,
         _scenario('action = "add_road"\nhighway = "tertiary"\n'
                   'coords = [[109.9, 24.5], ["109.95", "24.5"]]'),
         problem=("coords = [[109.9, 24.5], ['109.95', '24.5']]",),
         fix=("[number, number] pairs",)),
    Case("scen_add_outside_kept", CAT, "a facility added just outside the area with "
         "[facilities] outside = \"keep\": allowed, and the comparison says so",
         ("compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         lambda ws: _outside_kept(ws), code=0, then=lambda ws, r: _then_outside_kept(ws, r)),
    Case("scen_add_outside_on_purpose", CAT, "a facility added just outside the area with "
         "outside = true on the action (as the workbench saves one kept outside the county): "
         "allowed, and the comparison says so", COMPARE,
         _scenario(_add(110.135, 24.5, extra="outside = true")), code=0,
         then=_then_outside_on_purpose),
    Case("scen_outside_not_true", CAT, "outside = \"yes\" on an add (text, not true)",
         COMPARE, _scenario(_add(110.135, 24.5, extra='outside = "yes"')),
         problem=("NEW-1", "outside", "wrong type (str)"), fix=("give true or false",)),
    Case("scen_bad_crs", CAT, "crs = \"amap\" on an add", COMPARE,
         _scenario(_add(F03[0], F03[1], extra='crs = "amap"')), problem=("'amap'",),
         fix=("gcj02",)),
    Case("scen_road_one_point", CAT, "add_road with one vertex", COMPARE,
         _scenario('action = "add_road"\nhighway = "tertiary"\ncoords = [[109.9, 24.5]]'),
         problem=("add_road",), fix=("at least two",)),
    Case("scen_road_on_cache", CAT, "add_road on a study whose roads are a network cache",
         COMPARE, _scenario('action = "add_road"\nhighway = "tertiary"\n'
                            "coords = [[109.9, 24.5], [109.95, 24.5]]"),
         problem=("roads.npz",), fix=("[roads] path",)),
    Case("scen_road_unknown_class", CAT, "add_road of a class without a speed", (
         "compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         lambda ws: (_line(ws), _scenario('action = "add_road"\nhighway = "机耕路"\n'
                                          "coords = [[109.9, 24.5], [109.95, 24.5]]")(ws))[-1],
         problem=("机耕路",), fix=("[roads] speeds_kmh",)),
    Case("scen_left_out_without_reason", CAT, "a [[left_out]] project without a reason",
         COMPARE, lambda ws: ws.scenario(HEAD + '\n[[left_out]]\nproject = "P09"\n'),
         problem=("[[left_out]]",), fix=("reason",)),
]
