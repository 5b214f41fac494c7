"""A workbench session as scenario actions, and scenario actions as workbench edits.

:func:`net_actions` writes the net change from the study to the present state in the
``analysis/scenarios`` format: moves and upgrades of the study's facilities first, then
the new facilities in the order they were made (``add``, or ``designate`` for a role twin
still at its facility's place), then closures. That order matters: the engine breaks
ties between equal times by the order facilities were made in, and ``geo compare``
applies a scenario's rows in order (closed rows dropped, new ones appended), so the
scenario reproduces the state exactly (tests: same minutes, same nearest facility, same
table). :func:`apply_actions` makes a scenario's actions as engine edits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from geo.errors import ScenarioError
from geo.planning.scenario import action_position
from geo.whatif import Edit, Facility, WhatIf

__all__ = ["apply_actions", "net_actions", "twin_name"]


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
                outside: Callable[[float, float], bool] | None = None) -> list[dict[str, Any]]:
    """Return the scenario actions taking the study's facilities ``start`` to ``now``.

    ``now`` holds the engine's facilities in slot order; ``start`` is their first
    ``len(start)``. An add or move to a place ``outside`` says is outside the study area gets
    ``outside = true`` (the workbench only keeps such a place when the planner chose to).
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
    return changed + closed


def apply_actions(engine: WhatIf, actions: Sequence[Mapping[str, Any]],
                  names: dict[str, str]) -> list[Edit]:
    """Make a scenario's actions as edits of ``engine`` (in order).

    New facilities' names go into ``names``. ``add_road`` is refused: the network would have to be
    rebuilt.
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
        else:
            raise ScenarioError(
                f"the workbench cannot apply {kind} actions (a new, closed or slowed road "
                "changes the network, which the workbench does not redo yet): compare this "
                "scenario with "
                f"`geo compare STUDY --scenario FILE --out DIR`, or remove its {kind} "
                "actions to work on the rest")
    return edits
