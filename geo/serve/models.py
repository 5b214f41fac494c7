"""Request bodies of the workbench's API (pydantic).

Every field typed and bounded, no unknown field accepted, so a malformed request is refused before
it reaches the session, with one error shape (:func:`validation_message`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AddRequest", "DesignateRequest", "ExportRequest", "IdRequest", "LoadRequest",
    "MoveRequest", "ProposalRequest", "RetypeRequest", "SuggestRequest", "validation_message",
]

_Id = Field(min_length=1, max_length=200)
_Type = Field(min_length=1, max_length=80)
_Lon = Field(ge=-180.0, le=180.0, allow_inf_nan=False, description="WGS84 longitude")
_Lat = Field(ge=-90.0, le=90.0, allow_inf_nan=False, description="WGS84 latitude")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddRequest(_Strict):
    """Open a new facility: type code, WGS84 position, optional name."""

    type: str = _Type
    lon: float = _Lon
    lat: float = _Lat
    name: str | None = Field(default=None, max_length=200)


class MoveRequest(_Strict):
    """Move facility ``id`` to ``lon``, ``lat`` (WGS84)."""

    id: str = _Id
    lon: float = _Lon
    lat: float = _Lat


class IdRequest(_Strict):
    """Name facility ``id`` (to close it)."""

    id: str = _Id


class RetypeRequest(_Strict):
    """Change facility ``id``'s type to ``type``."""

    id: str = _Id
    type: str = _Type


class DesignateRequest(_Strict):
    """Give facility ``id`` the role ``role`` too."""

    id: str = _Id
    role: str = _Type


class SuggestRequest(_Strict):
    """Propose ``k`` sites for ``standard`` with a location model."""

    standard: str = Field(min_length=1, max_length=80)
    k: int = Field(default=3, ge=1, le=20)
    model: Literal["mclp", "lscp", "pmedian"] = "mclp"
    type: str | None = Field(default=None, min_length=1, max_length=80)


class ProposalRequest(_Strict):
    """Accept or reject the proposal ``key`` of a suggestion."""

    key: str = Field(min_length=1, max_length=80)


class LoadRequest(_Strict):
    """A scenario file's text (uploaded by the page; never a path)."""

    text: str = Field(max_length=2_000_000)
    filename: str = Field(default="scenario.toml", max_length=200)


class ExportRequest(_Strict):
    """Export the present state as scenario ``name`` with ``title``."""

    name: str = Field(default="workbench", min_length=1, max_length=80)
    title: str = Field(default="", max_length=300)


def validation_message(errors: list[Any]) -> str:
    """Write pydantic's errors as one line: ``field: problem``; ``field: problem``."""
    parts = []
    for e in errors:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"
