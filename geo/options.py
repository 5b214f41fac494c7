"""Typed options: a frozen dataclass per TOML section, each field with its type, default,
checks and one-line description, parsed and documented by one mechanism.

:func:`opt` makes a field (default, doc, allowed values, range, path or coordinate-system
checks); :func:`parse_section` reads a raw TOML table into such a dataclass: an unknown
key stops with the closest valid key, a wrong type or a value out of range with what is
allowed; :func:`section_text` renders a section's option list. The study file
(:mod:`geo.study.schema`) and the batch file (:mod:`geo.batch.config`) are made of these.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, field, fields
from pathlib import Path
from typing import Any

from geo.crs import input_system
from geo.errors import CoordinateError, StudyError

__all__ = ["CRS_NAMES", "check_value", "closest", "opt", "parse_section", "section_text"]

#: coordinate-system names a ``crs`` option takes besides EPSG codes
CRS_NAMES = ("wgs84", "gcj02", "bd09", "cgcs2000")

_REQUIRED = object()  # marks a key without a default


def opt(
    default: Any, doc: str, *, choices: tuple[str, ...] | None = None,
    lo: float | None = None, hi: float | None = None, lo_open: bool = False,
    path: bool = False, required: bool = False, crs: bool = False,
    local_keys: bool = False,
) -> Any:
    """A schema field: ``default`` (or ``required``), a one-line ``doc``, and checks.

    ``choices`` are the allowed values (for a list, of each item; for a table, of each
    key); ``lo``/``hi`` bound numbers (``lo_open``: strictly above ``lo``); ``path``
    marks a file path, made absolute relative to the study file; ``crs`` a coordinate
    system name or EPSG code; ``local_keys``: table keys that are not ASCII (local names
    in Chinese, such as a road class 机耕路) are allowed besides ``choices``.
    """
    meta = {"doc": doc, "choices": choices, "lo": lo, "hi": hi, "lo_open": lo_open,
            "path": path, "required": required, "crs": crs, "local_keys": local_keys}
    if isinstance(default, (list, dict, tuple)):
        frozen = tuple(default) if isinstance(default, (list, tuple)) else dict(default)
        return field(default_factory=lambda: frozen, metadata=meta)
    return field(default=default, metadata=meta)


def closest(word: str, valid: typing.Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest valid word, or ``""``."""
    near = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.5)
    return f" (did you mean {near[0]!r}?)" if near else ""


# --------------------------------------------------------------------------- checking


def _type_name(hint: Any) -> str:
    if hint in (float, int):
        return "a number"
    if hint is bool:
        return "true or false"
    if hint is Path:
        return "a file path (text)"
    if hint is str:
        return "text"
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "a list of text, e.g. [\"a\", \"b\"]"
    if origin is dict:
        return "a table, e.g. { key = value }"
    return str(hint)


def _base(hint: Any) -> Any:
    """``X`` for ``X | None``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return args[0]
    return hint


def _where(section: str, key: str) -> str:
    return f"[{section}] {key}"


def _number(value: object, where: str, meta: Mapping[str, Any], integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            integer and not isinstance(value, int)):
        raise StudyError(f"{where} must be {'a whole number' if integer else 'a number'}, "
                         f"got {value!r}")
    v = float(value)
    lo, hi = meta.get("lo"), meta.get("hi")
    if not math.isfinite(v) or (lo is not None and (v < lo or (meta.get("lo_open") and v == lo))
                                ) or (hi is not None and v > hi):
        rng = f"{'above' if meta.get('lo_open') else 'at least'} {lo:g}" if lo is not None else ""
        if hi is not None:
            rng += f"{' and ' if rng else ''}at most {hi:g}"
        raise StudyError(f"{where} = {value!r} is out of range: give a number {rng}")
    return int(value) if integer else v


def _choice(value: str, where: str, choices: tuple[str, ...] | None) -> str:
    if choices is not None and value not in choices:
        raise StudyError(f"{where} = {value!r} is not allowed{closest(value, choices)}. "
                         f"Use one of: {', '.join(choices)}")
    return value


def _crs(value: str, where: str) -> str:
    try:
        return input_system(value).name
    except CoordinateError as e:
        raise StudyError(f"{where} = {value!r}{closest(value.lower(), CRS_NAMES)}: {e}") from None


def check_value(value: object, hint: Any, where: str, meta: Mapping[str, Any], base: Path) -> Any:
    """``value`` checked against the field's type and constraints, converted."""
    hint = _base(hint)
    origin = typing.get_origin(hint)
    wrong = StudyError(f"{where} has the wrong type ({type(value).__name__}): give "
                       f"{_type_name(hint)}")
    if hint is float:
        return _number(value, where, meta)
    if hint is int:
        return _number(value, where, meta, integer=True)
    if hint is bool:
        if not isinstance(value, bool):
            raise wrong
        return value
    if hint in (str, Path):
        if not isinstance(value, str) or not value.strip():
            raise wrong if not isinstance(value, str) else StudyError(f"{where} is empty")
        if hint is Path:
            return (base / value).resolve()
        if meta.get("crs"):
            return _crs(value, where)
        return _choice(value, where, meta.get("choices"))
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong
        return tuple(_choice(v, f"{where} item", meta.get("choices")) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise wrong
        if typing.get_args(hint)[1] is float:
            local = bool(meta.get("local_keys"))
            return {(k if local and not k.isascii() else
                     _choice(k, f"{where} key", meta.get("choices"))):
                    _number(v, f"{where} {k}", meta) for k, v in value.items()}
        if typing.get_args(hint)[1] is str:
            bad = {k: v for k, v in value.items() if not isinstance(v, str) or not v.strip()}
            if bad:
                raise StudyError(f"{where}: every value must be text (a type code), got {bad}")
        return dict(value)
    raise wrong


def parse_section(cls: type, name: str, raw: object, base: Path) -> Any:
    """A schema dataclass ``cls`` (fields made with :func:`opt`) from the raw TOML table of
    section ``[name]``, checked as study sections are; relative paths against ``base``.
    Other TOML files of the same style (``geo batch``) use it too."""
    if not isinstance(raw, dict):
        raise StudyError(f"[{name}] must be a table (a [{name}] header with key = value lines)")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise StudyError(f"unknown option {key!r} in [{name}]{closest(key, known)}. "
                             f"Options of [{name}]: {', '.join(known)}")
    kwargs = {}
    for key, f in known.items():
        if key in raw:
            kwargs[key] = check_value(raw[key], hints[key], _where(name, key), f.metadata, base)
        elif f.metadata.get("required"):
            raise StudyError(f"[{name}] needs {key!r}: {f.metadata['doc']}")
    return cls(**kwargs)



# --------------------------------------------------------------------------- documenting


def _default_text(f: Any) -> str:
    if f.metadata.get("required"):
        return "required"
    value = f.default_factory() if f.default is MISSING else f.default
    if value is None or value == {} or value == ():
        return ""
    if isinstance(value, bool):
        return f"default {str(value).lower()}"
    if isinstance(value, float):
        return f"default {value:g}"
    if isinstance(value, tuple):
        return "default [" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'default "{value}"' if isinstance(value, str) else f"default {value}"


def section_text(name: str, cls: type, markdown: bool = True) -> list[str]:
    """The option lines of one schema section ``[name]``.

    See :func:`geo.study.schema.options_text`.
    """
    head, what = f"[{name}]", (cls.__doc__ or ":").split(":", 1)[1].strip()
    lines = [f"- `{head}` {what}" if markdown else f"{head}  {what}"]
    for f in fields(cls):
        extra = [_default_text(f)]
        if f.metadata.get("choices") and len(f.metadata["choices"]) <= 6:
            extra.append("one of " + " | ".join(f.metadata["choices"]))
        tail = "; ".join(e for e in extra if e)
        doc = f.metadata["doc"] + (f" ({tail})" if tail else "")
        lines.append(f"  - `{f.name}`: {doc}" if markdown else f"    {f.name}: {doc}")
    return lines
