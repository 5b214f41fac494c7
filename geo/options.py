"""Typed options: a frozen dataclass per TOML section, each field with its type, default,
checks and one-line description, parsed and documented by one mechanism.

:func:`opt` makes a field (default, doc, allowed values, range, path or coordinate-system
checks); :func:`parse_section` reads a raw TOML table into such a dataclass: an unknown
key stops with the closest valid key, a wrong type or a value out of range with what is
allowed (:func:`unknown_key` is that one message); :func:`check_patch` checks a study's
overrides of such a table; :func:`section_text` renders a section's option list, and
:func:`write_doc_block` puts it into a docs page. Every TOML file geo reads is made of
these: the study file (:mod:`geo.study.schema`), the batch file (:mod:`geo.batch.config`),
the standards file (:mod:`geo.coverage.standards`) with its measure and response specs
(:mod:`geo.measures.specs`), the facility-type table (:mod:`geo.readers.facility_types`)
and scenario files (:mod:`geo.planning.scenario`). :func:`closest` is the one "did you
mean" of geo.

The files themselves are read by :func:`read_toml` (:func:`toml_text`, then
:func:`parse_toml`): UTF-8, with or without the byte-order mark Windows Notepad writes; a
file saved as "Unicode" (UTF-16 with its byte-order mark) is read too. Anything else that
is not UTF-8 stops, as do invalid TOML and tables nested too deeply for the parser, with
errors that name the file and the fix.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import math
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, field, fields
from pathlib import Path
from typing import Any

from geo._files import input_file, real_path
from geo.crs import input_system
from geo.errors import CoordinateError, GeoError, StudyError

__all__ = ["CLOSE_CUTOFF", "CRS_NAMES", "MAX_TOML_BYTES", "check_patch", "check_value",
           "close_words", "closest", "doc_block", "opt", "parse_section", "parse_toml",
           "read_toml", "section_text", "toml_text", "unknown_key", "write_doc_block"]

#: no study, standards, batch or scenario file is bigger (Luzhai's standards file: 14 kB)
MAX_TOML_BYTES = 20_000_000


def toml_text(path: str | Path, what: str, error: type[GeoError],
              fix: str = "check the path in the study file") -> str:
    """The text of a TOML file (see :mod:`geo.options`); a missing or unreadable file raises
    :class:`~geo.errors.InputFileError` (with ``fix``), text that is not UTF-8 ``error``."""
    p = input_file(path, what, fix, max_bytes=MAX_TOML_BYTES)
    data = p.read_bytes()
    # the UTF-8 byte-order mark Notepad writes is no part of the text
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    codec = "utf-16" if utf16 else "utf-8-sig"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        raise error(f"{what} {p} is not valid TOML (UTF-8): {e}: save it as UTF-8") from e


def parse_toml(text: str, what: str, where: str | Path, error: type[GeoError]) -> dict[str, Any]:
    """``text`` parsed; invalid TOML raises ``error`` naming ``what`` and ``where``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{what} {where} is not valid TOML (UTF-8): {e}") from e
    except RecursionError:
        raise error(f"{what} {where} is not valid TOML: its tables or lists are nested too "
                    "deeply to read (hundreds of brackets inside one another): look for "
                    "brackets that are never closed") from None


def read_toml(path: str | Path, what: str, error: type[GeoError],
              fix: str = "check the path in the study file") -> dict[str, Any]:
    """The parsed file (see :func:`toml_text` and :func:`parse_toml`)."""
    return parse_toml(toml_text(path, what, error, fix), what, Path(path), error)


#: coordinate-system names a ``crs`` option takes besides EPSG codes
CRS_NAMES = ("wgs84", "gcj02", "bd09", "cgcs2000")

_REQUIRED = object()  # marks a key without a default


def opt(
    default: Any, doc: str, *, choices: tuple[str, ...] | None = None,
    lo: float | None = None, hi: float | None = None, lo_open: bool = False,
    path: bool = False, required: bool = False, crs: bool = False,
    local_keys: bool = False, blank: bool = False,
) -> Any:
    """A schema field: ``default`` (or ``required``), a one-line ``doc``, and checks.

    ``choices`` are the allowed values (for a list, of each item; for a table, of each
    key); ``lo``/``hi`` bound numbers (``lo_open``: strictly above ``lo``); ``path``
    marks a file path, made absolute relative to the study file; ``crs`` a coordinate
    system name or EPSG code; ``local_keys``: table keys that are not ASCII (local names
    in Chinese, such as a road class 机耕路) are allowed besides ``choices``; ``blank``:
    free text that may be empty (a note, a quote).
    """
    meta = {"doc": doc, "choices": choices, "lo": lo, "hi": hi, "lo_open": lo_open,
            "path": path, "required": required, "crs": crs, "local_keys": local_keys,
            "blank": blank}
    if isinstance(default, (list, dict, tuple)):
        frozen = tuple(default) if isinstance(default, (list, tuple)) else dict(default)
        return field(default_factory=lambda: frozen, metadata=meta)
    return field(default=default, metadata=meta)


#: how alike a word must be to a valid one to be suggested (``difflib.SequenceMatcher``
#: ratio: twice the matching characters over both lengths). 0.5 suggests 鹿寨镇 for 鹿寨 or
#: 鹿寨乡 and ``minutes`` for ``minute``, but not 中渡镇 for 鹿寨镇 (one shared character)
CLOSE_CUTOFF = 0.5


def close_words(word: str, valid: typing.Iterable[str], n: int = 1) -> list[str]:
    """The up to ``n`` valid words closest to ``word`` (closest first), by one rule.

    Every "did you mean" of geo comes from here (:func:`closest` words it), so a
    misspelt key, standard, facility type, township or zone is matched the same way;
    case does not count.

    Parameters
    ----------
    word : str
        What the user wrote.
    valid : iterable of str
        What it could have been.
    n : int
        How many to give at most.

    Returns
    -------
    list of str
        Those at least :data:`CLOSE_CUTOFF` alike, closest first; empty if none is.

    Examples
    --------
    >>> close_words("minute", ["minutes", "mode", "label"])
    ['minutes']
    """
    words = {str(v).casefold(): str(v) for v in valid}  # case aside: GCJ02 is gcj02
    near = difflib.get_close_matches(str(word).casefold(), list(words), n=n,
                                     cutoff=CLOSE_CUTOFF)
    return [words[w] for w in near]


def closest(word: str, valid: typing.Iterable[str], n: int = 1) -> str:
    """Say `` (did you mean 'x'?)`` for the closest valid words, or ``""`` for none.

    The words are :func:`close_words` ``(word, valid, n)``, joined with "or"; the phrase
    starts with a space, to append to a message.

    Examples
    --------
    >>> closest("drve", ["drive", "walk"])
    " (did you mean 'drive'?)"
    """
    near = close_words(word, valid, n)
    return f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""


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
    if _is_pairs(hint):
        return "a list of [number, number] pairs"
    if origin is tuple:
        return "a list of text, e.g. [\"a\", \"b\"]"
    if origin is dict:
        return "a table, e.g. { key = value }"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    return str(hint)


def _is_pairs(hint: Any) -> bool:
    """``tuple[tuple[float, float], ...]``: a list of [number, number] pairs."""
    args = typing.get_args(hint) if typing.get_origin(hint) is tuple else ()
    return bool(args) and typing.get_origin(args[0]) is tuple


def _pairs(value: object, where: str, hint: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                for x in p) for p in value):
        raise StudyError(f"{where} = {value!r} has the wrong form: give {_type_name(hint)}")
    return tuple((float(a), float(b)) for a, b in value)


def _base(hint: Any) -> Any:
    """``X`` for ``X | None`` (``X | Y`` stays a union of both)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
    return hint


def _number(value: object, where: str, meta: Mapping[str, Any], integer: bool = False) -> float:
    lo, hi = meta.get("lo"), meta.get("hi")
    rng = f"{'above' if meta.get('lo_open') else 'at least'} {lo:g}" if lo is not None else ""
    if hi is not None:
        rng += f"{' and ' if rng else ''}at most {hi:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            integer and not isinstance(value, int)):
        kind = "a whole number" if integer else "a number"
        raise StudyError(f"{where} must be {kind}, got {value!r}"
                         + (f": give {kind} {rng}" if rng else ""))
    v = float(value)
    if not math.isfinite(v) or (lo is not None and (v < lo or (meta.get("lo_open") and v == lo))
                                ) or (hi is not None and v > hi):
        raise StudyError(f"{where} = {value!r} is out of range: give a number {rng}")
    return int(value) if integer else v


def _choice(value: str, where: str, choices: tuple[str, ...] | None) -> str:
    """``value`` if it is one of ``choices`` (case aside: the choice as written there)."""
    if choices is None or value in choices:
        return value
    same = [c for c in choices if c.casefold() == value.casefold()]
    if same:
        return same[0]
    raise StudyError(f"{where} = {value!r} is not allowed{closest(value, choices)}. "
                     f"Use one of: {', '.join(choices)}")


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
    if origin in (typing.Union, types.UnionType):  # the first type the value has
        for arm in typing.get_args(hint):
            if isinstance(value, bool) == (arm is bool):
                with contextlib.suppress(StudyError):
                    return check_value(value, arm, where, meta, base)
        raise wrong
    if _is_pairs(hint):
        return _pairs(value, where, hint)
    if hint is float:
        return _number(value, where, meta)
    if hint is int:
        return _number(value, where, meta, integer=True)
    if hint is bool:
        if not isinstance(value, bool):
            raise wrong
        return value
    if hint in (str, Path):
        if not isinstance(value, str) or not (value.strip() or meta.get("blank")):
            raise wrong if not isinstance(value, str) else StudyError(f"{where} is empty")
        if hint is Path:
            return real_path(base / value)
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
                raise StudyError(f"{where}: every value must be text, got {bad}")
        return dict(value)
    raise wrong


def unknown_key(key: str, label: str, valid: typing.Iterable[str]) -> str:
    """The one message for a key a table does not have: the table, the key, the closest
    valid key and every valid key.

    Parameters
    ----------
    key : str
        The key as written.
    label : str
        The table as the file writes it (``[roads]``, ``[measures.beds_per_1000]``,
        ``[[actions]] 2 (add)``).
    valid : iterable of str
        The keys it has.

    Returns
    -------
    str
        The message.

    Examples
    --------
    >>> print(unknown_key("minuts", "[rescue_2h]", ["minutes", "mode"]))  # doctest: +ELLIPSIS
    unknown option 'minuts' in [rescue_2h] (did you mean 'minutes'?). Options of [rescue_2h]: ...
    """
    names = list(valid)
    return (f"unknown option {key!r} in {label}{closest(key, names)}. Options of {label}: "
            f"{', '.join(names)}")


def parse_section(cls: type, name: str, raw: object, base: Path = Path(), *,
                  given: Mapping[str, Any] | None = None, label: str | None = None,
                  error: type[GeoError] = StudyError) -> Any:
    """A schema dataclass ``cls`` (fields made with :func:`opt`) from the raw TOML table of
    section ``[name]``, checked as study sections are; relative paths against ``base``.

    Every TOML file of geo is read with it: the study file, the batch file, the standards
    file (a standard, a measure or response spec), the facility-type table and the
    actions of a scenario file.

    Parameters
    ----------
    cls : dataclass class
        The schema dataclass.
    name : str
        The table's name, as the file writes it between brackets.
    raw : object
        The TOML table.
    base : Path
        Folder that relative paths are relative to.
    given : mapping, optional
        Fields the caller fills (a standard's ``name`` is its table's name): not keys of
        the table.
    label : str, optional
        How messages name the table (default ``[name]``).
    error : GeoError subclass
        The error raised (default :class:`geo.errors.StudyError`).

    Returns
    -------
    object
        An instance of ``cls``.
    """
    label = label or f"[{name}]"
    given = dict(given or {})
    if not isinstance(raw, dict):
        raise error(f"{label} must be a table (a {label} header with key = value lines)")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.name not in given}
    try:
        for key in raw:
            if key not in known:
                raise StudyError(unknown_key(key, label, known))
        kwargs = {}
        for key, f in known.items():
            if key in raw:
                kwargs[key] = check_value(raw[key], hints[key], f"{label} {key}", f.metadata,
                                          base)
            elif f.metadata.get("required"):
                raise StudyError(f"{label} needs {key!r}: {f.metadata['doc']}")
    except StudyError as e:
        if error is StudyError:
            raise
        raise error(str(e)) from None
    return cls(**given, **kwargs)


def check_patch(cls: type, label: str, raw: Mapping[str, Any], *,
                skip: typing.Collection[str] = ()) -> None:
    """Check a partial table of ``cls`` (a study's overrides of a standard or a spec) as
    :func:`parse_section` checks a whole one: every key known, every value of its type
    and range; keys may be absent.

    Parameters
    ----------
    cls : dataclass class
        The schema dataclass the patch changes.
    label : str
        How messages name the patch (``[standards] overrides emergency_1h``); a value is
        named ``label.key``.
    raw : mapping
        The patch.
    skip : collection of str
        Fields that are not keys (a standard's ``name``).
    """
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.name not in skip}
    for key, value in raw.items():
        if key not in known:
            raise StudyError(unknown_key(key, label, known))
        check_value(value, hints[key], f"{label}.{key}", known[key].metadata, Path())


# --------------------------------------------------------------------------- documenting


def _default_text(f: Any) -> str:
    if f.metadata.get("required"):
        return "required"
    value = f.default_factory() if f.default is MISSING else f.default
    if value is None or value == {} or value == () or value == "":
        return ""
    if isinstance(value, bool):
        return f"default {str(value).lower()}"
    if isinstance(value, float):
        return f"default {value:g}"
    if isinstance(value, tuple):
        return "default [" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'default "{value}"' if isinstance(value, str) else f"default {value}"


def section_text(name: str, cls: type, markdown: bool = True, *,
                 skip: typing.Collection[str] = (), header: str | None = None) -> list[str]:
    """The option lines of one schema section ``[name]``.

    What the class docstring says after its first colon, then a line per field but
    ``skip`` (fields the caller fills, such as a standard's name); ``header`` replaces
    ``[name]`` (``[[actions]] action = "add"``). See
    :func:`geo.study.schema.options_text`.
    """
    head = header or f"[{name}]"
    what = " ".join((cls.__doc__ or ":").split(":", 1)[1].split())  # one line
    what = what.replace("``", "`" if markdown else "")  # reST literals as Markdown code
    lines = [f"- `{head}` {what}" if markdown else f"{head}  {what}"]
    for f in fields(cls):
        if f.name in skip:
            continue
        extra = [_default_text(f)]
        if f.metadata.get("choices") and len(f.metadata["choices"]) <= 6:
            extra.append("one of " + " | ".join(f.metadata["choices"]))
        tail = "; ".join(e for e in extra if e)
        doc = f.metadata["doc"] + (f" ({tail})" if tail else "")
        lines.append(f"  - `{f.name}`: {doc}" if markdown else f"    {f.name}: {doc}")
    return lines


def _marker(key: str, source: str = "") -> str:
    return (f"<!-- {key}:start (generated by `make options-doc` from {source}) -->\n"
            if source else f"<!-- {key}:start")


def doc_block(page: str, key: str) -> str:
    """The generated list between the ``key`` markers of a docs page's text (what is there
    now; see :func:`write_doc_block`)."""
    start = page.index(_marker(key))
    a = page.index("-->\n", start) + len("-->\n")
    return page[a:page.index(f"<!-- {key}:end -->", a)]


def write_doc_block(page: str | Path, key: str, source: str, text: str) -> None:
    """Put ``text`` between the ``key`` markers of the Markdown ``page``.

    Parameters
    ----------
    page : str or Path
        The docs page; it holds ``<!-- KEY:start ... -->`` and ``<!-- KEY:end -->``.
    key : str
        Which list.
    source : str
        The module the list is generated from, named in the start marker.
    text : str
        The list (a ``*_options_text()`` of that module).
    """
    p = Path(page)
    old = p.read_text(encoding="utf-8")
    start = old.index(_marker(key))
    end = old.index(f"<!-- {key}:end -->", start)
    p.write_text(old[:start] + _marker(key, source) + text + old[end:], encoding="utf-8")

