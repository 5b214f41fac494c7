"""Measure and emergency-response specs as data: ``[measures.NAME]`` and ``[response.NAME]``.

They live in the standards file (``analysis/standards.toml``) beside the coverage standards
and name facility types of ``analysis/facility_types.toml``. Every spec cites its document,
section and quoted words. Their keys (minutes, not seconds, throughout) are the fields of
:class:`MeasureSpec` and :class:`ResponseSpec`, each with its type, default, allowed values
and a line of documentation, read with the one mechanism of every TOML file of geo
(:func:`geo.options.parse_section`: an unknown key stops with the table, the key and the
closest valid key) and listed in the docs from the same declaration
(:func:`specs_options_text`). Beyond types and ranges, a measure's keys depend on its
method: ``minutes``, ``mode``, ``direction`` for every method but ``located`` (``minutes``
optional for ``nearest``); ``steps`` for ``e2sfca`` / ``3sfca`` (default: the published
bands scaled to the catchment, geo/settings.py; ``gaussian_2sfca`` takes its d0 from
``minutes``); ``decay``, ``beta``, ``scale_minutes``, ``min_minutes`` for ``gravity``
(competition-adjusted: a 2SFCA with a decay) and ``hansen`` (potential, no target);
``target`` needs ``per``. ``nearest``: nearest-facility basins (supply per person
served); ``located``: the supply of the facilities located in a township over its
residents (the plan's own definition).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from geo import settings
from geo.errors import MeasureError
from geo.measures.weights import ExponentialDecay, GaussianCatchment, PowerDecay, Steps, Weight
from geo.options import opt, parse_section, read_toml, section_text
from geo.readers.facility_types import load_types

__all__ = ["METHODS", "MeasureSet", "MeasureSpec", "ResponseSpec", "load_measure_specs",
           "parse_measure_specs", "specs_options_text"]

REACH_METHODS = ("2sfca", "e2sfca", "gaussian_2sfca", "3sfca", "gravity", "hansen")
METHODS = (*REACH_METHODS, "nearest", "located")

_TRAVEL = {"minutes", "mode", "direction"}
_EXTRA = {"e2sfca": {"steps"}, "3sfca": {"steps"},
          "gravity": {"decay", "beta", "scale_minutes", "min_minutes"},
          "hansen": {"decay", "beta", "scale_minutes", "min_minutes"}}
_MODES = ("drive", "walk")
_DIRECTIONS = ("to_facility", "from_facility")


@dataclass(frozen=True)
class MeasureSpec:
    """``[measures.NAME]``: a resource ratio or access measure, with the document it comes from.

    NAME is how a study's ``[measures] use`` names it.
    """

    name: str = opt(None, "the table's name", required=True)
    label: str = opt(None, "name in the outputs (English)", required=True)
    label_zh: str = opt("", "name in the outputs in Chinese (default: label)")
    method: str = opt(None, "2sfca, e2sfca, gaussian_2sfca, 3sfca, gravity, hansen, nearest "
                      "or located (see the table above)", required=True, choices=METHODS)
    supply: str | None = opt(None, "the facility column of supply (beds, doctors, "
                             "ambulances, ...); absent: facilities are counted, 1 each "
                             "(stated in the outputs)")
    facility_types: tuple[str, ...] = opt(None, "facility types that supply it: codes of "
                                          "analysis/facility_types.toml", required=True)
    source: str = opt(None, "the planning document it comes from", required=True)
    section: str = opt(None, "the section of that document", required=True)
    quote: str = opt("", "the document's own words", blank=True)
    note: str = opt("", "a note shown with the measure", blank=True)
    population_group: str = opt("", "the population group that is its demand (a name of "
                                "the study's [population] groups, e.g. elderly_65 for beds "
                                "per 1,000 elderly; default: everyone)", blank=True)
    minutes: float | None = opt(None, "catchment in minutes (every method but located, "
                                "which takes none; optional for nearest: a search limit)",
                                lo=0.0, lo_open=True)
    mode: str | None = opt(None, "network travelled (every method but located)",
                           choices=_MODES)
    direction: str | None = opt(None, "to_facility or from_facility (every method but "
                                "located)", choices=_DIRECTIONS)
    per: float = opt(1000.0, "residents the ratio is given per (1000 or 10000)", lo=0.0,
                     lo_open=True)
    target: float | None = opt(None, "the plan's ratio per `per` residents (needs per; "
                               "hansen takes none)", lo=0.0)
    comparison: str = opt("at_least", "whether the ratio must reach the target (at_least) "
                          "or stay under it (at_most)", choices=("at_least", "at_most"))
    steps: tuple[tuple[float, float], ...] = opt((), "[[minutes, weight], ...] of e2sfca and "
                                                 "3sfca: upper band edges, inclusive, the last "
                                                 "at minutes (default: the published bands "
                                                 "scaled to the catchment, geo/settings.py)")
    decay: str | None = opt(None, "distance decay of gravity and hansen (default power)",
                            choices=("power", "exponential"))
    beta: float | None = opt(None, "decay exponent (power) or rate (exponential) of gravity "
                             "and hansen (required there)", lo=0.0, lo_open=True)
    scale_minutes: float = opt(settings.GRAVITY_SCALE_MINUTES, "minutes the decay is "
                               "measured in (gravity, hansen)", lo=0.0, lo_open=True)
    min_minutes: float = opt(settings.GRAVITY_MIN_MINUTES, "minutes below which a power "
                             "decay stays flat (gravity, hansen)", lo=0.0, lo_open=True)

    @property
    def at_least(self) -> bool:
        """The ratio must reach the target (``comparison = "at_least"``)."""
        return self.comparison != "at_most"

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
    """``[response.NAME]``: the emergency (120) response model and its delays' documents.

    NAME is how a study's ``[response] use`` names it.
    """

    name: str = opt(None, "the table's name", required=True)
    label: str = opt(None, "name in the outputs (English)", required=True)
    label_zh: str = opt("", "name in the outputs in Chinese (default: label)")
    bases: tuple[str, ...] = opt(None, "facility types that dispatch ambulances: codes of "
                                 "analysis/facility_types.toml", required=True)
    hospitals: tuple[str, ...] = opt(None, "facility types that give definitive care",
                                     required=True)
    mode: str = opt(None, "network driven", required=True, choices=_MODES)
    dispatch_minutes: float = opt(None, "minutes from the call until an ambulance leaves, "
                                  "for every base", required=True, lo=0.0)
    target_minutes: float = opt(None, "the plan's response time in minutes", required=True,
                                lo=0.0, lo_open=True)
    source: str = opt(None, "the planning document of the target", required=True)
    section: str = opt(None, "the section of that document", required=True)
    quote: str = opt("", "the document's own words", blank=True)
    note: str = opt("", "a note shown with the response", blank=True)
    population_group: str = opt("", "the population group whose people it counts (a name "
                                "of the study's [population] groups; default: everyone)",
                                blank=True)
    dispatch_column: str | None = opt(None, "a facility column of per-base dispatch minutes "
                                      "that overrides dispatch_minutes (a blank cell takes "
                                      "it)")
    dispatch_source: str = opt("", "where dispatch_minutes comes from", blank=True)
    dispatch_section: str = opt("", "the section of that source", blank=True)
    dispatch_quote: str = opt("", "that source's own words", blank=True)
    scene_minutes: float = opt(0.0, "minutes on scene before leaving for a hospital", lo=0.0)
    speed_factor: dict[str, float] = opt({}, "{ road class = factor }: emergency "
                                            "vehicles' speed over the default, 1 where not "
                                            "named", lo=0.0, lo_open=True)
    target_share: float = opt(1.0, "share of people that must be within target_minutes",
                              lo=0.0, lo_open=True, hi=1.0)
    care_target_minutes: float | None = opt(None, "a target for the time to definitive "
                                            "care (call to hospital)", lo=0.0, lo_open=True)
    max_minutes: float | None = opt(None, "search limit in minutes (default none)", lo=0.0,
                                    lo_open=True)

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


def _parse(cls: type, kind: str, name: str, raw: object) -> Any:
    """Return ``[kind.name]`` read into ``cls`` by the one mechanism (geo.options.parse_section)."""
    return parse_section(cls, f"{kind}.{name}", raw, given={"name": name}, error=MeasureError)


def _types(label: str, key: str, vals: tuple[str, ...], known: Mapping[str, str]) -> None:
    if not vals:
        raise MeasureError(f"{label} {key} is empty: name at least one facility type")
    unknown = sorted(set(vals) - set(known))
    if unknown:
        raise MeasureError(f"{label} {key} names unknown facility types {unknown}: use "
                           f"type codes of analysis/facility_types.toml ({sorted(known)}) or "
                           "add them there")


def _required(label: str, spec: Any, keys: tuple[str, ...], why: str) -> None:
    missing = [k for k in keys if getattr(spec, k) is None]
    if missing:
        raise MeasureError(f"{label} lacks {missing} ({why}): add them to the standards file")


def _steps(label: str, method: str, given: tuple[tuple[float, float], ...],
           minutes: float) -> tuple[tuple[float, float], ...]:
    """Return the band edges (minutes) and weights of an E2SFCA or 3SFCA measure.

    These are ``steps`` as given (checked), else the published bands scaled to the catchment.
    """
    if method not in ("e2sfca", "3sfca"):
        return ()
    if not given:
        if method == "e2sfca":
            n = settings.E2SFCA_BANDS
            edges = [minutes * k / n for k in range(1, n + 1)]
            return tuple(zip(edges, settings.E2SFCA_WEIGHTS, strict=True))
        edges = [minutes * k / 6 for k in settings.THREE_SFCA_BAND_EDGES]
        return tuple(zip(edges, settings.THREE_SFCA_WEIGHTS, strict=True))
    Steps(tuple(e for e, _ in given), tuple(w for _, w in given))  # checks order and signs
    if given[-1][0] != minutes:
        raise MeasureError(
            f"{label} steps: the last step must end at the catchment ({minutes:g} min), "
            f"got {given[-1][0]:g}: pairs beyond the catchment are never seen and pairs "
            "between the last step and it would weigh 0; set the last edge to `minutes`"
        )
    return given


def _measure(name: str, raw: object, known: Mapping[str, str]) -> MeasureSpec:
    spec: MeasureSpec = _parse(MeasureSpec, "measures", name, raw)
    keys = list(raw) if isinstance(raw, dict) else []  # a table: parse_section checked
    label, method = f"[measures.{name}]", spec.method
    valid = {f.name for f in fields(MeasureSpec)} - _TRAVEL - set().union(*_EXTRA.values())
    valid |= _EXTRA.get(method, set()) | (_TRAVEL if method != "located" else set())
    for key in keys:  # in the file's order
        if key not in valid:
            raise MeasureError(f"{label} {key} does not apply to method {method!r}: remove it")
    if method != "located":
        _required(label, spec, ("mode", "direction") if method == "nearest"
                  else ("minutes", "mode", "direction"), f"method {method!r}")
    if spec.target is not None and method == "hansen":
        raise MeasureError(f"{label}: a Hansen potential is not a ratio and takes no "
                           "target; use method = \"gravity\" for a ratio with a decay")
    if spec.target is not None and "per" not in keys:
        raise MeasureError(f"{label}: a target needs `per` (1000 or 10000 residents)")
    if "steps" in keys and not spec.steps:
        raise MeasureError(f"{label} steps is empty: give [[minutes, weight], ...] or leave "
                           "steps out for the published bands")
    if method in ("gravity", "hansen"):
        _required(label, spec, ("beta",), f"method {method!r}")
    _types(label, "facility_types", spec.facility_types, known)
    spec = replace(spec, label_zh=spec.label_zh or spec.label,
                   steps=_steps(label, method, spec.steps, spec.minutes or 0.0),
                   decay=spec.decay or ("power" if method in ("gravity", "hansen") else None))
    spec.weight()  # builds (and so checks) the weight
    return spec


def _response(name: str, raw: object, known: Mapping[str, str]) -> ResponseSpec:
    spec: ResponseSpec = _parse(ResponseSpec, "response", name, raw)
    label = f"[response.{name}]"
    _types(label, "bases", spec.bases, known)
    _types(label, "hospitals", spec.hospitals, known)
    return replace(spec, label_zh=spec.label_zh or spec.label)


def specs_options_text(markdown: bool = True) -> str:
    """Return the keys of a measure and of a response spec, one line each.

    The docs' list is this text.
    """
    lines = [*section_text("measures.NAME", MeasureSpec, markdown, skip=("name",)),
             *section_text("response.NAME", ResponseSpec, markdown, skip=("name",))]
    return "\n".join(lines) + "\n"


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
