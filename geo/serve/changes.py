"""A workbench session as scenario actions, and scenario actions as workbench edits.

:func:`net_actions` writes the net change from the study to the present state in the
``analysis/scenarios`` format: moves and upgrades of the study's facilities first, then
the new facilities in the order they were made (``add``, or ``designate`` for a role twin
still at its facility's place), then closures. That order matters: the engine breaks
ties between equal times by the order facilities were made in, and ``geo compare``
applies a scenario's rows in order (closed rows dropped, new ones appended), so the
scenario reproduces the state exactly (tests: same minutes, same nearest facility, same
table). The roads closed or slowed come last, in the order they were made (``geo compare``
applies them to the networks whatever their place). :func:`apply_actions` makes a scenario's
actions as engine edits; :func:`set_roads` one ``close_road``/``slow_road`` (the networks worked
out by :func:`geo.planning.road_changes.change_roads` from the study's, as ``geo compare``
does); :func:`road_lines` and :func:`road_notes` say what the roads in force are and do, for
the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

from geo.errors import ScenarioError, WhatIfError
from geo.planning.road_changes import change_roads, resnap_notes, selected_segments
from geo.planning.scenario import action_position
from geo.whatif import Edit, Facility, Roads, WhatIf

__all__ = ["apply_actions", "net_actions", "road_lines", "road_notes", "set_roads", "twin_name"]


def twin_name(name: str, role: str) -> str:
    """Name of a facility's role twin, as ``apply_scenario`` names it."""
    return f"{name} ({role})"


def _is_twin(f: Facility, by_id: Mapping[str, Facility], names: Mapping[str, str]) -> bool:
    """Tell whether ``f`` is what a ``designate`` of its base at its base's place would make.

    Such a facility has id ``<base>#<role>``, type ``role``, and the same place and name.
    """
    base_id, sep, role = f.id.partition("#")
    base = by_id.get(base_id)
    return bool(sep) and base is not None and base.open and f.type == role and (
        (f.lon, f.lat) == (base.lon, base.lat)
        and names.get(f.id) == twin_name(names.get(base_id, base_id), role))


def net_actions(start: Sequence[Facility], now: Sequence[Facility],
                names: Mapping[str, str],
                outside: Callable[[float, float], bool] | None = None,
                roads: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """Return the scenario actions taking the study's facilities ``start`` to ``now``.

    ``now`` holds the engine's facilities in slot order; ``start`` is their first
    ``len(start)``; ``roads`` the close_road/slow_road actions in force (written last). An
    add or move to a place ``outside`` says is outside the study area gets ``outside = true``
    (the workbench only keeps such a place when the planner chose to).
    """
    def place(a: dict[str, Any]) -> dict[str, Any]:
        if outside is not None and outside(a["lon"], a["lat"]):
            a["outside"] = True
        return a

    n0 = len(start)
    by_id = {f.id: f for f in now}
    changed: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    for s, f in zip(start, now[:n0], strict=True):
        if not f.open:
            closed.append({"action": "close", "id": f.id})
            continue
        if (f.lon, f.lat) != (s.lon, s.lat):
            changed.append(place({"action": "move", "id": f.id, "lon": f.lon, "lat": f.lat}))
        if f.type != s.type:
            changed.append({"action": "retype", "id": f.id, "type": f.type})
    for f in now[n0:]:
        if not f.open:
            continue
        if _is_twin(f, by_id, names):
            base_id, _, role = f.id.partition("#")
            changed.append({"action": "designate", "ids": [base_id], "role": role})
        else:
            changed.append(place({"action": "add", "id": f.id, "name": names.get(f.id, f.id),
                                  "type": f.type, "lon": f.lon, "lat": f.lat}))
    return changed + closed + [dict(a) for a in roads]


def set_roads(engine: WhatIf, action: Mapping[str, Any],
              refuse_closed: bool = False) -> tuple[Edit, str]:
    """Close or slow roads by one more ``close_road``/``slow_road`` action; the edit and its detail.

    The networks are the study's with every action in force applied in order
    (:func:`~geo.planning.road_changes.change_roads`, as ``geo compare`` applies them).
    ``refuse_closed``: a closure that closes no segment not closed already is refused (a click
    on a closed road).
    """
    actions = [*engine.roads.actions, dict(action)]
    changed = change_roads(actions, engine.base_networks)
    if refuse_closed and action["action"] == "close_road" and not any(
            (changed.closed[m] & ~engine.roads.closed[m]).any() for m in changed.closed):
        raise WhatIfError(f"{changed.details[-1]}: this road is closed already; undo its "
                          "closure to open it again")
    roads = Roads(tuple(actions), {m: changed.networks[m] for m in engine.networks},
                  {m: changed.closed[m] for m in engine.networks})
    return engine.set_roads(roads, str(action["action"])), changed.details[-1]


def _lines(net: Any, seg: npt.NDArray[np.bool_]) -> list[list[list[float]]]:
    """Return the segments ``seg`` of ``net`` as WGS84 [[lon, lat], [lon, lat]] lines."""
    idx = np.flatnonzero(seg)
    tr = Transformer.from_crs(net.crs, 4326, always_xy=True)
    out = []
    for end in (net.seg_u[idx], net.seg_v[idx]):
        x, y = tr.transform(net.node_xy[end, 0], net.node_xy[end, 1])
        out.append(np.column_stack([x, y]))
    return [[[float(a[0]), float(a[1])], [float(b[0]), float(b[1])]]
            for a, b in zip(out[0], out[1], strict=True)]


def road_lines(engine: WhatIf) -> list[dict[str, Any]]:
    """Return the road actions in force, for the page to draw.

    Per action its kind, what it did (road names, km) and its segments as WGS84 lines (of the
    drive network where there is one).
    """
    actions = engine.roads.actions
    if not actions:
        return []
    base = engine.base_networks
    mode = "drive" if "drive" in base else sorted(base)[0]
    details = change_roads(list(actions), base).details
    return [{"action": str(a["action"]), "detail": d,
             "lines": _lines(base[mode], selected_segments(base[mode], a))}
            for a, d in zip(actions, details, strict=True)]


def road_notes(engine: WhatIf, names: Mapping[str, str],
               population: npt.NDArray[np.float64]) -> list[str]:
    """Say which places the closures in force moved or cut off.

    The facilities and demand points that stood on a closed road and joined another one, and
    those the closures cut off, per mode (:func:`~geo.planning.road_changes.resnap_notes`, as
    ``geo compare``'s notes say).
    """
    notes: list[str] = []
    for m in sorted(engine.networks):
        closed = engine.roads.closed[m]
        if not closed.any():
            continue
        ids, before = engine.facility_snaps(m, base=True)
        _, after = engine.facility_snaps(m)
        label = [f"{names.get(i, i)} ({i})" for i in ids]
        notes += [f"{m}: {line}" for line in resnap_notes(
            engine.networks[m], closed, "facilities", before, after, label)]
        notes += [f"{m}: {line}" for line in resnap_notes(
            engine.networks[m], closed, "demand points", engine.base_demand[m],
            engine.demand[m], [""] * len(population), population.tolist())]
    return notes


def apply_actions(engine: WhatIf, actions: Sequence[Mapping[str, Any]],
                  names: dict[str, str]) -> list[Edit]:
    """Make a scenario's actions as edits of ``engine`` (in order).

    New facilities' names go into ``names``. ``close_road`` and ``slow_road`` change the roads
    (:func:`set_roads`); ``add_road`` is refused: the network would have to be rebuilt.
    """
    edits = []
    for a in actions:
        kind = a["action"]
        if kind == "add":
            lon, lat = action_position(a)
            edits.append(engine.add(str(a["id"]), str(a["type"]), lon, lat))
            names[str(a["id"])] = str(a["name"])
        elif kind == "move":
            f = next((x for x in engine.facilities if x.id == str(a["id"])), None)
            before = None if f is None else (f.lon, f.lat)
            edits.append(engine.move(str(a["id"]), *action_position(a, before)))
        elif kind == "close":
            edits.append(engine.close(str(a["id"])))
        elif kind == "retype":
            edits.append(engine.retype(str(a["id"]), str(a["type"])))
        elif kind == "designate":
            for fid in a["ids"]:
                edits.append(engine.designate(str(fid), str(a["role"])))
                names[f"{fid}#{a['role']}"] = twin_name(names.get(str(fid), str(fid)),
                                                         str(a["role"]))
        elif kind in ("close_road", "slow_road"):
            edits.append(set_roads(engine, a)[0])
        else:
            raise ScenarioError(
                f"the workbench cannot apply {kind} actions (a new road is a new network, "
                "which the workbench does not build): compare this scenario with "
                f"`geo compare STUDY --scenario FILE --out DIR`, or remove its {kind} "
                "actions to work on the rest")
    return edits
