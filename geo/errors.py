"""Exception tree: every error names the problem and the fix, in the caller's words.

All errors subclass :class:`GeoError`, which subclasses :class:`ValueError`
so callers that catch ``ValueError`` keep working (as in r5py).

An error about an argument names it as an :class:`Arg` (the function and the parameter,
with the value given) among the text of its message. ``str(error)`` says it in Python
words (``site(capacity_col='beds')``); whoever fed the value renders it in its own: the
study layer names the study-file key it read (:func:`given_as`, ``[roads]
path``), and the one handler of the ``geo`` command the flag (``--capacity-col beds``),
each from one table (:data:`geo.study.inputs.STUDY_KEYS`, :data:`geo.cli.words.FLAGS`).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = [
    "Arg",
    "BatchError",
    "CensusError",
    "CheckError",
    "ColumnError",
    "CoordinateError",
    "DownloadError",
    "DuplicateIdError",
    "FacilityTypeError",
    "FontError",
    "GeoError",
    "Hint",
    "InputFileError",
    "Key",
    "MeasureError",
    "NetworkError",
    "OfflineError",
    "OutputError",
    "Part",
    "QueryError",
    "ScenarioError",
    "ServeError",
    "SitingError",
    "StaleError",
    "StandardError",
    "StudyError",
    "SupplyError",
    "WhatIfError",
    "given_as",
]


class Hint(str):
    """A placeholder shown as is, not quoted (``PATH`` in ``candidates=PATH``)."""

    __slots__ = ()


_NO_VALUE = object()


@dataclass(frozen=True)
class Arg:
    """A parameter of a public function, named in an error message.

    Attributes
    ----------
    func : str
        The function as the caller calls it (``"site"``, ``"networks_from_source"``).
    name : str
        The parameter (``"capacity_col"``).
    value : object, optional
        The value given (a :class:`Hint` for a placeholder); left out, the parameter
        alone is named.
    """

    func: str
    name: str
    value: object = _NO_VALUE

    @property
    def has_value(self) -> bool:
        """Whether the message shows a value with the parameter."""
        return self.value is not _NO_VALUE

    def python(self) -> str:
        """Return the parameter in Python words: ``site(capacity_col='beds')``, ``site(p=...)``."""
        shown = _python_value(self.value) if self.has_value else "..."
        return f"{self.func}({self.name}={shown})"

    def spelled(self, flag: str) -> str:
        """Return the parameter as the flag (or positional name) ``flag`` that fed it.

        The value follows as a shell takes it: ``--from-type a b``, ``SOURCE roads.pbf``.
        """
        if not self.has_value:
            return flag
        values = self.value if isinstance(self.value, list | tuple) else [self.value]
        shown = " ".join(str(v) if isinstance(v, Hint) else shlex.quote(_plain(v))
                         for v in values)
        return f"{flag} {shown}" if shown else flag


@dataclass(frozen=True)
class Key:
    """A study-file key that fed a parameter.

    It is named the same way in every caller's words (``[roads] path = 'nope.pbf'``).
    """

    section: str
    key: str
    value: object = _NO_VALUE

    def words(self) -> str:
        """Return the key, with its value where the message shows one."""
        if self.value is _NO_VALUE:
            return f"[{self.section}] {self.key}"
        return f"[{self.section}] {self.key} = {_python_value(self.value)}"


def _plain(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _python_value(v: object) -> str:
    if isinstance(v, Hint):
        return str(v)
    return repr(list(v) if isinstance(v, tuple) else v)


Part = str | Arg | Key


class GeoError(ValueError):
    """Base class of all errors raised by :mod:`geo`.

    Made from one message, or from parts: text and :class:`Arg` / :class:`Key` naming the
    inputs the message is about (see module docs). ``str(error)`` is the message in
    Python words; :meth:`words` renders it with the caller's names for the parameters.

    Examples
    --------
    >>> import geo
    >>> try:
    ...     geo.load_study("no_such_study.toml")
    ... except geo.GeoError as e:
    ...     error = e
    >>> print(error)
    load_study(path='no_such_study.toml'): no such study file: give the path of a .toml study file
    >>> error.named[0].name
    'path'
    """

    def __init__(self, *parts: Part) -> None:
        self.parts: tuple[Part, ...] = parts
        super().__init__(self.words())

    @property
    def named(self) -> tuple[Arg, ...]:
        """The parameters the message names."""
        return tuple(p for p in self.parts if isinstance(p, Arg))

    def words(self, name: Callable[[Arg], str | None] | None = None) -> str:
        """Return the message with each :class:`Arg` as ``name`` spells it.

        Where ``name`` gives None, or there is no ``name``, parameters are in Python words.
        """
        out = []
        for p in self.parts:
            if isinstance(p, Arg):
                out.append((name(p) if name else None) or p.python())
            elif isinstance(p, Key):
                out.append(p.words())
            else:
                out.append(str(p))
        return "".join(out)

    def relabel(self, names: Mapping[tuple[str, str], tuple[str, str] | Arg]) -> GeoError:
        """Name parameters by what fed them.

        That is a study-file key, or the parameter of the public function that passed its value on.

        ``names`` maps ``(function, parameter)`` to ``(section, key)`` or to an :class:`Arg`
        (its value is left out: the value given is kept). The error is changed in place
        (its message too) and returned.
        """
        def relabel(p: Part) -> Part:
            if not isinstance(p, Arg) or (p.func, p.name) not in names:
                return p
            to = names[p.func, p.name]
            if isinstance(to, Arg):
                return Arg(to.func, to.name, p.value)
            return Key(*to, p.value)

        self.parts = tuple(relabel(p) for p in self.parts)
        self.args = (self.words(),)
        return self


@contextmanager
def given_as(names: Mapping[tuple[str, str], tuple[str, str] | Arg]) -> Iterator[None]:
    """Make errors raised in the block name the parameters of ``names`` by what fed them.

    See :meth:`GeoError.relabel`.
    """
    try:
        yield
    except GeoError as e:
        e.relabel(names)
        raise


class FontError(GeoError):
    """No font with Chinese characters for the figures."""


class InputFileError(GeoError):
    """An input file is missing, unreadable or empty."""


class ColumnError(GeoError):
    """A required column is missing or ambiguous."""


class CoordinateError(GeoError):
    """Coordinates are invalid, swapped or outside the study area."""


class DuplicateIdError(GeoError):
    """Identifiers that must be unique are not."""


class NetworkError(GeoError):
    """The road network is empty, disconnected or otherwise unusable."""


class StandardError(GeoError):
    """A planning standard is malformed or refers to unknown facility types."""


class StudyError(GeoError):
    """A study file is malformed."""


class SitingError(GeoError):
    """A siting or designation problem is malformed or cannot be solved as asked."""


class ScenarioError(GeoError):
    """A scenario file is malformed or refers to unknown facilities."""


class OfflineError(GeoError):
    """A page would load a script or stylesheet from the network instead of inlining it."""


class OutputError(GeoError):
    """An output folder cannot be written: not writable, too little space, or in use."""


class QueryError(GeoError):
    """A travel-time query is malformed.

    Thresholds, speeds, modes or directions out of range, or points snapped to another network.
    """


class FacilityTypeError(StandardError):
    """Facility types that are unknown, ambiguous or missing, or a malformed type table."""


class CensusError(GeoError):
    """A population table's total row or township codes do not add up or cannot be read."""


class WhatIfError(GeoError):
    """A what-if edit names an unknown facility or type, or cannot be applied."""


class DownloadError(GeoError):
    """An online download (OSM roads through osmnx) cannot be made."""


class CheckError(GeoError):
    """Input checks measured something that would make the answer wrong.

    Every check that stops is listed with its numbers and the fix (or the ``[checks] accept`` key
    that lets the run go on and states it in the outputs).
    """


class ServeError(GeoError):
    """A workbench (``geo serve``) request cannot be served as asked.

    A proposal or action it names does not exist, or it needs what the server was not started with.
    """


class StaleError(ServeError):
    """A workbench edit made on a state that has changed since: the page must reload.

    Another tab or colleague edited the session.
    """


class MeasureError(GeoError):
    """An access measure or emergency-response spec is malformed, or its inputs are."""


class SupplyError(MeasureError):
    """A facility supply column (beds, doctors, ambulances, ...) is missing or has bad values."""


class BatchError(GeoError):
    """A batch of studies (``geo batch``) is malformed, or some of its areas failed."""
