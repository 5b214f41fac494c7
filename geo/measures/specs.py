"""Measure and emergency-response specs as data: ``[measures.NAME]`` and ``[response.NAME]``.

They live in the standards file (``analysis/standards.toml``) beside the coverage standards
and name facility types of ``analysis/facility_types.toml``. Every spec cites its document,
section and quoted words. Keys (minutes, not seconds, throughout):

``[measures.NAME]``
    ``label``, ``label_zh``; ``method``: ``2sfca`` | ``e2sfca`` | ``gaussian_2sfca`` |
    ``3sfca`` | ``gravity`` (competition-adjusted: a 2SFCA with a decay) | ``hansen``
    (potential, no target) | ``nearest`` (nearest-facility basins: supply per person served)
    | ``located`` (supply of the facilities located in a township over its residents: the
    plan's own definition); ``supply``: the facility column (``beds``, ``doctors``,
    ``ambulances``, ...), or absent to count facilities (1 each, stated in the outputs);
    ``facility_types``; ``minutes``, ``mode`` (drive | walk), ``direction`` (to_facility |
    from_facility) for every method but ``located`` (``minutes`` is optional for
    ``nearest``: a search limit); ``per`` (1000 | 10000 residents) and ``target`` (the
    plan's ratio) with ``comparison`` (``at_least``, the default, | ``at_most``);
    ``steps`` = ``[[minutes, weight], ...]`` for ``e2sfca`` / ``3sfca`` (upper band edges,
    inclusive, the last one at ``minutes``; default: the published bands scaled to the
    catchment, geo/settings.py); ``gaussian_2sfca`` takes its d0 from ``minutes``;
    ``decay`` (``power`` (default) |
    ``exponential``), ``beta``, ``scale_minutes``, ``min_minutes`` for ``gravity`` and
    ``hansen``; ``source``, ``section``, ``quote``, ``note``.
``[response.NAME]``
    ``label``, ``label_zh``; ``bases`` (facility types dispatching ambulances),
    ``hospitals`` (facility types giving definitive care); ``mode``; ``dispatch_minutes``
    (minutes before an ambulance leaves, for every base) and optionally ``dispatch_column``
    (a facility column of per-base minutes that overrides it); ``dispatch_source``,
    ``dispatch_section``, ``dispatch_quote``; ``scene_minutes`` (on scene, default 0);
    ``speed_factor`` (``{ road class = factor }``: emergency vehicles' speed over the
    default, 1 where not named); ``target_minutes``, ``target_share``,
    ``care_target_minutes`` (optional); ``max_minutes`` (optional search limit);
    ``source``, ``section``, ``quote``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo import settings
from geo._toml import read_toml
from geo.errors import MeasureError
from geo.measures.weights import ExponentialDecay, GaussianCatchment, PowerDecay, Steps, Weight
from geo.readers.facility_types import load_types

__all__ = ["MEASURE_KEYS", "METHODS", "RESPONSE_KEYS", "MeasureSet", "MeasureSpec",
           "ResponseSpec", "load_measure_specs", "parse_measure_specs"]

REACH_METHODS = ("2sfca", "e2sfca", "gaussian_2sfca", "3sfca", "gravity", "hansen")
METHODS = (*REACH_METHODS, "nearest", "located")

_COMMON = {"label", "label_zh", "method", "supply", "facility_types", "per", "target",
           "comparison", "source", "section", "quote", "note"}
_TRAVEL = {"minutes", "mode", "direction"}
_EXTRA = {"e2sfca": {"steps"}, "3sfca": {"steps"},
          "gravity": {"decay", "beta", "scale_minutes", "min_minutes"},
          "hansen": {"decay", "beta", "scale_minutes", "min_minutes"}}
_RESPONSE = {"label", "label_zh", "bases", "hospitals", "mode", "dispatch_minutes",
             "dispatch_column", "dispatch_source", "dispatch_section", "dispatch_quote",
             "scene_minutes", "speed_factor", "target_minutes", "target_share",
             "care_target_minutes", "max_minutes", "source", "section", "quote", "note"}
_ALL_MEASURE_KEYS = _COMMON | _TRAVEL | set().union(*_EXTRA.values())
#: every key a ``[measures.NAME]`` / ``[response.NAME]`` table may hold (a study's
#: ``[measures] overrides`` and ``[response] overrides`` are checked against them)
MEASURE_KEYS: frozenset[str] = frozenset(_ALL_MEASURE_KEYS)
RESPONSE_KEYS: frozenset[str] = frozenset(_RESPONSE)


@dataclass(frozen=True)
class MeasureSpec:
    """One access or ratio measure (see the module docstring for the keys)."""

    name: str
    label: str
    label_zh: str
    method: str
    supply: str | None
    facility_types: tuple[str, ...]
    source: str
    section: str
    quote: str = ""
    note: str = ""
    minutes: float | None = None
    mode: str | None = None
    direction: str | None = None
    per: float = 1000.0
    target: float | None = None
    at_least: bool = True
    steps: tuple[tuple[float, float], ...] = ()
    decay: str | None = None
    beta: float | None = None
    scale_minutes: float = settings.GRAVITY_SCALE_MINUTES
    min_minutes: float = settings.GRAVITY_MIN_MINUTES

    @property
    def citation(self) -> str:
        """Cite the source and section the measure follows."""
        return f"{self.source}, {self.section}"

    @property
    def max_seconds(self) -> float | None:
        """The reach matrix's cutoff (None for ``located``; ``nearest`` without a limit)."""
        return None if self.minutes is None else self.minutes * 60.0

    def weight(self) -> Weight | None:
        """Return the pair weight in seconds (None: every pair within reach weighs 1)."""
        if self.method in ("e2sfca", "3sfca"):
            return Steps(tuple(e * 60.0 for e, _ in self.steps),
                         tuple(w for _, w in self.steps))
        if self.method == "gaussian_2sfca":
            return GaussianCatchment(float(self.minutes or 0) * 60.0)
        if self.method in ("gravity", "hansen"):
            beta = float(self.beta or 0)
            if self.decay == "exponential":
                return ExponentialDecay(beta, self.scale_minutes * 60.0)
            return PowerDecay(beta, self.scale_minutes * 60.0, self.min_minutes * 60.0)
        return None


@dataclass(frozen=True)
class ResponseSpec:
    """The emergency (120) response model (see the module docstring for the keys)."""

    name: str
    label: str
    label_zh: str
    bases: tuple[str, ...]
    hospitals: tuple[str, ...]
    mode: str
    dispatch_minutes: float
    target_minutes: float
    source: str
    section: str
    quote: str = ""
    note: str = ""
    dispatch_column: str | None = None
    dispatch_source: str = ""
    dispatch_section: str = ""
    dispatch_quote: str = ""
    scene_minutes: float = 0.0
    speed_factor: Mapping[str, float] = field(default_factory=dict)
    target_share: float = 1.0
    care_target_minutes: float | None = None
    max_minutes: float | None = None

    @property
    def citation(self) -> str:
        """Cite the source and section the response target follows."""
        return f"{self.source}, {self.section}"


@dataclass(frozen=True)
class MeasureSet:
    """The measures and response specs of a standards file."""

    measures: dict[str, MeasureSpec]
    responses: dict[str, ResponseSpec]
    facility_types: dict[str, str]


def _unknown_keys(kind: str, name: str, raw: Mapping[str, Any], valid: set[str],
                  known_elsewhere: frozenset[str] | set[str] = frozenset()) -> None:
    for key in raw:
        if key in valid:
            continue
        if key in known_elsewhere:
            raise MeasureError(f"{kind} {name!r}: key {key!r} does not apply to method "
                               f"{raw.get('method')!r}: remove it")
        close = difflib.get_close_matches(key, sorted(valid), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {sorted(valid)}"
        raise MeasureError(f"{kind} {name!r}: unknown key {key!r}; {hint}")


def _number(kind: str, name: str, raw: Mapping[str, Any], key: str, *, low: float = 0.0,
            strict: bool = True, default: float | None = None) -> float | None:
    if key not in raw:
        return default
    v = raw[key]
    ok = isinstance(v, int | float) and not isinstance(v, bool)
    if not ok or not (v > low if strict else v >= low) or v != v or v == float("inf"):
        sign = ">" if strict else ">="
        raise MeasureError(f"{kind} {name!r}: {key} must be a number {sign} {low:g}, got {v!r}")
    return float(v)


def _types(kind: str, name: str, raw: Mapping[str, Any], key: str,
           known: Mapping[str, str]) -> tuple[str, ...]:
    vals = raw.get(key)
    if not isinstance(vals, list) or not vals or not all(isinstance(t, str) for t in vals):
        raise MeasureError(f"{kind} {name!r}: {key} must be a non-empty list of facility types")
    unknown = sorted(set(vals) - set(known))
    if unknown:
        raise MeasureError(f"{kind} {name!r} names unknown facility types {unknown}: use "
                           f"type codes of analysis/facility_types.toml ({sorted(known)}) or "
                           "add them there")
    return tuple(vals)


def _required(kind: str, name: str, raw: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in raw]
    if missing:
        raise MeasureError(f"{kind} {name!r} lacks {missing}: add them to the standards file")


def _choice(kind: str, name: str, raw: Mapping[str, Any], key: str,
            allowed: tuple[str, ...]) -> str | None:
    if key not in raw:
        return None
    if raw[key] not in allowed:
        close = difflib.get_close_matches(str(raw[key]), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MeasureError(f"{kind} {name!r}: {key} must be one of {list(allowed)}, "
                           f"got {raw[key]!r}{hint}")
    return str(raw[key])


def _steps(name: str, raw: Mapping[str, Any], method: str,
           minutes: float) -> tuple[tuple[float, float], ...]:
    """Explicit band edges (minutes) and weights of an E2SFCA or 3SFCA measure."""
    if method not in ("e2sfca", "3sfca"):
        return ()
    if "steps" not in raw:
        if method == "e2sfca":
            n = settings.E2SFCA_BANDS
            edges = [minutes * k / n for k in range(1, n + 1)]
            return tuple(zip(edges, settings.E2SFCA_WEIGHTS, strict=True))
        edges = [minutes * k / 6 for k in settings.THREE_SFCA_BAND_EDGES]
        return tuple(zip(edges, settings.THREE_SFCA_WEIGHTS, strict=True))
    st = raw["steps"]
    if not isinstance(st, list) or not all(
            isinstance(b, list) and len(b) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in b)
            for b in st):
        raise MeasureError(f"measure {name!r}: steps must be [[minutes, weight], ...], "
                           f"got {st!r}")
    out = tuple((float(e), float(w)) for e, w in st)
    Steps(tuple(e for e, _ in out), tuple(w for _, w in out))  # checks order and signs
    if not out or out[-1][0] != minutes:
        raise MeasureError(
            f"measure {name!r}: the last step must end at the catchment ({minutes:g} min), "
            f"got {out[-1][0] if out else None}: pairs beyond the catchment are never seen "
            "and pairs between the last step and it would weigh 0; set the last edge to "
            "`minutes`"
        )
    return out


def _measure(name: str, raw: Mapping[str, Any], known: Mapping[str, str]) -> MeasureSpec:
    kind = "measure"
    _required(kind, name, raw, ("label", "method", "facility_types", "source", "section"))
    _choice(kind, name, raw, "method", METHODS)
    method = str(raw["method"])
    valid = set(_COMMON) | _EXTRA.get(method, set())
    if method != "located":
        valid |= _TRAVEL
    _unknown_keys(kind, name, raw, valid, _ALL_MEASURE_KEYS)
    if method != "located":
        _required(kind, name, raw, ("mode", "direction") if method == "nearest"
                  else ("minutes", "mode", "direction"))
    minutes = _number(kind, name, raw, "minutes")
    target = _number(kind, name, raw, "target", strict=False)
    if target is not None and method == "hansen":
        raise MeasureError(f"measure {name!r}: a Hansen potential is not a ratio and takes no "
                           "target; use method = \"gravity\" for a ratio with a decay")
    if target is not None and "per" not in raw:
        raise MeasureError(f"measure {name!r}: a target needs `per` (1000 or 10000 residents)")
    if method in ("gravity", "hansen"):
        _required(kind, name, raw, ("beta",))
    supply = raw.get("supply")
    if supply is not None and (not isinstance(supply, str) or not supply.strip()):
        raise MeasureError(f"measure {name!r}: supply must be a facility column name")
    spec = MeasureSpec(
        name=name, label=str(raw["label"]), label_zh=str(raw.get("label_zh", raw["label"])),
        method=method, supply=supply, facility_types=_types(kind, name, raw,
                                                            "facility_types", known),
        source=str(raw["source"]), section=str(raw["section"]),
        quote=str(raw.get("quote", "")), note=str(raw.get("note", "")), minutes=minutes,
        mode=_choice(kind, name, raw, "mode", ("drive", "walk")),
        direction=_choice(kind, name, raw, "direction", ("to_facility", "from_facility")),
        per=_number(kind, name, raw, "per", default=1000.0) or 1000.0, target=target,
        at_least=_choice(kind, name, raw, "comparison", ("at_least", "at_most")) != "at_most",
        steps=_steps(name, raw, method, minutes or 0.0),
        decay=_choice(kind, name, raw, "decay", ("power", "exponential")) or (
            "power" if method in ("gravity", "hansen") else None),
        beta=_number(kind, name, raw, "beta"),
        scale_minutes=_number(kind, name, raw, "scale_minutes",
                              default=settings.GRAVITY_SCALE_MINUTES) or 1.0,
        min_minutes=_number(kind, name, raw, "min_minutes",
                            default=settings.GRAVITY_MIN_MINUTES) or 1.0,
    )
    spec.weight()  # builds (and so checks) the weight
    return spec


def _speed_factor(name: str, raw: Mapping[str, Any]) -> dict[str, float]:
    table = raw.get("speed_factor", {})
    if not isinstance(table, dict):
        raise MeasureError(f"response {name!r}: speed_factor must be a table "
                           "{ road class = factor }")
    return {str(k): float(_number("response", name, table, k) or 1.0) for k in table}


def _response(name: str, raw: Mapping[str, Any], known: Mapping[str, str]) -> ResponseSpec:
    kind = "response"
    _required(kind, name, raw, ("label", "bases", "hospitals", "mode", "dispatch_minutes",
                                "target_minutes", "source", "section"))
    _unknown_keys(kind, name, raw, _RESPONSE)
    share = _number(kind, name, raw, "target_share", default=1.0) or 1.0
    if share > 1:
        raise MeasureError(f"response {name!r}: target_share must be in (0, 1], got {share}")
    col = raw.get("dispatch_column")
    if col is not None and (not isinstance(col, str) or not col.strip()):
        raise MeasureError(f"response {name!r}: dispatch_column must be a facility column name")
    mode = _choice(kind, name, raw, "mode", ("drive", "walk"))
    return ResponseSpec(
        name=name, label=str(raw["label"]), label_zh=str(raw.get("label_zh", raw["label"])),
        bases=_types(kind, name, raw, "bases", known),
        hospitals=_types(kind, name, raw, "hospitals", known), mode=str(mode),
        dispatch_minutes=float(_number(kind, name, raw, "dispatch_minutes", strict=False) or 0),
        target_minutes=float(_number(kind, name, raw, "target_minutes") or 0),
        source=str(raw["source"]), section=str(raw["section"]),
        quote=str(raw.get("quote", "")), note=str(raw.get("note", "")), dispatch_column=col,
        dispatch_source=str(raw.get("dispatch_source", "")),
        dispatch_section=str(raw.get("dispatch_section", "")),
        dispatch_quote=str(raw.get("dispatch_quote", "")),
        scene_minutes=float(_number(kind, name, raw, "scene_minutes", strict=False) or 0),
        speed_factor=_speed_factor(name, raw), target_share=share,
        care_target_minutes=_number(kind, name, raw, "care_target_minutes"),
        max_minutes=_number(kind, name, raw, "max_minutes"),
    )


def parse_measure_specs(
    data: Mapping[str, Any], overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> MeasureSet:
    """Read the measure and response specs of a parsed standards file.

    They come from its ``measures`` and ``response`` tables; facility types from its
    ``[facility_types]`` if it has one, else :func:`geo.readers.facility_types.load_types`;
    ``overrides`` patch fields by name.
    """
    if "facility_types" in data:  # a file with its own vocabulary (older files, tests)
        known = {str(k): str(v) for k, v in data["facility_types"].items()}
    else:  # the facility-type table (analysis/facility_types.toml)
        known = {code: f"{t.zh} {t.en}" for code, t in load_types().types.items()}
    tables = {"measures": dict(data.get("measures", {})),
              "response": dict(data.get("response", {}))}
    for key, table in tables.items():
        if not all(isinstance(v, dict) for v in table.values()):
            raise MeasureError(f"[{key}] must hold tables: write [{key}.NAME] sections")
    both = sorted(set(tables["measures"]) & set(tables["response"]))
    if both:
        raise MeasureError(f"names used by both a measure and a response spec: {both}")
    for name, patch in (overrides or {}).items():
        where = next((t for t in tables.values() if name in t), None)
        if where is None:
            have = sorted([*tables["measures"], *tables["response"]])
            raise MeasureError(f"study overrides unknown measure {name!r}: have {have}")
        where[name] = {**where[name], **patch}
    return MeasureSet(
        {n: _measure(n, raw, known) for n, raw in tables["measures"].items()},
        {n: _response(n, raw, known) for n, raw in tables["response"].items()}, known,
    )


def load_measure_specs(
    path: str | Path, overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> MeasureSet:
    """Read the measure and response specs of a standards TOML file."""
    return parse_measure_specs(read_toml(path, "standards file", MeasureError), overrides)
