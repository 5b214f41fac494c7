"""Request bodies of the workbench's API (pydantic).

Every field typed and bounded, no unknown field accepted, so a malformed request is refused before
it reaches the session, with one error shape (:func:`validation_message`).

Every edit may carry ``version``: the session version the page made it on (a stale one
is refused, see :mod:`geo.serve.session`); scripts may leave it out. Names and titles
that end up in files have control characters removed and spaces trimmed
(:func:`clean_text`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "AddRequest", "CompareRequest", "DesignateRequest", "ExportRequest", "IdRequest",
    "JobRequest", "LoadRequest", "MoveRequest", "ProposalRequest", "RetypeRequest",
    "SuggestRequest", "UndoToRequest", "VersionRequest", "clean_text", "validation_message",
]


def clean_text(text: str) -> str:
    """``text`` without control or format characters (newlines, NUL, bidi overrides).

    Runs of spaces made one, trimmed.
    """
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                   for c in text)
    return re.sub(r"\s+", " ", kept).strip()


Clean = Annotated[str, AfterValidator(clean_text)]

_Id = Field(min_length=1, max_length=200)
_Type = Field(min_length=1, max_length=80)
_Lon = Field(ge=-180.0, le=180.0, allow_inf_nan=False, description="WGS84 longitude")
_Lat = Field(ge=-90.0, le=90.0, allow_inf_nan=False, description="WGS84 latitude")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VersionRequest(_Strict):
    """An edit's version (see module docs)."""

    version: int | None = Field(default=None, ge=0)


class AddRequest(VersionRequest):
    """Open a new facility: type code, WGS84 position, optional name.

    ``outside``: keep it even outside the study area.
    """

    type: str = _Type
    lon: float = _Lon
    lat: float = _Lat
    name: Clean | None = Field(default=None, max_length=200)
    outside: bool = False


class MoveRequest(VersionRequest):
    """Move facility ``id`` to ``lon``, ``lat``."""

    id: str = _Id
    lon: float = _Lon
    lat: float = _Lat
    outside: bool = False


class RoadRequest(VersionRequest):
    """Close the stretch of road nearest WGS84 ``lon``, ``lat`` (a road clicked on the map)."""

    lon: float = _Lon
    lat: float = _Lat


class IdRequest(VersionRequest):
    """The facility ``id`` a request acts on."""

    id: str = _Id


class RetypeRequest(VersionRequest):
    """Give facility ``id`` the facility type ``type``."""

    id: str = _Id
    type: str = _Type


class DesignateRequest(VersionRequest):
    """Give facility ``id`` the role ``role`` too."""

    id: str = _Id
    role: str = _Type


class UndoToRequest(VersionRequest):
    """Undo or redo to the point where ``steps`` steps of the history are done."""

    steps: int = Field(ge=0, le=100_000)


class JobRequest(_Strict):
    """The background job ``id`` a request asks about."""

    id: int = Field(ge=1)


class SuggestRequest(_Strict):
    """Propose ``k`` sites for ``standard`` with a location model."""

    standard: str = Field(min_length=1, max_length=80)
    k: int = Field(default=3, ge=1, le=20)
    model: Literal["mclp", "lscp", "pmedian"] = "mclp"
    type: str | None = Field(default=None, min_length=1, max_length=80)


class ProposalRequest(VersionRequest):
    """The proposal ``key`` a request takes."""

    key: str = Field(min_length=1, max_length=80)


class LoadRequest(VersionRequest):
    """A scenario file's text (uploaded by the page; never a path)."""

    text: str = Field(max_length=2_000_000)
    filename: Clean = Field(default="scenario.toml", max_length=200)


class CompareRequest(_Strict):
    """Two scenario files' texts to put side by side (nothing of the session changes).

    An empty text stands for the workbench's present state.
    """

    a: str = Field(default="", max_length=2_000_000)
    b: str = Field(default="", max_length=2_000_000)
    a_name: Clean = Field(default="A", max_length=200)
    b_name: Clean = Field(default="B", max_length=200)


class ExportRequest(_Strict):
    """The name and title of an export."""

    name: Clean = Field(default="workbench", min_length=1, max_length=80)
    title: Clean = Field(default="", max_length=300)


def validation_message(errors: list[Any]) -> str:
    """Write pydantic's errors as one line: ``field: problem``; ``field: problem``."""
    parts = []
    for e in errors:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"
