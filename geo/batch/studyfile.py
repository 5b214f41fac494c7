"""A typed :class:`~geo.study.schema.Study` written back as a study file (TOML).

Each area of a batch gets a real study file, so that ``geo run AREA/study.toml`` reproduces
what the batch computed for it. :func:`study_toml` writes every option that differs from
its default, section by section in the schema's order; paths inside the study file's
folder are written relative to it, others absolute. :func:`geo.study.schema.load_study` of the
text gives the same :class:`Study` back (tested).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from geo.study.schema import SECTIONS, Study

__all__ = ["study_toml"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any, base: Path) -> str:
    """Return one TOML value: JSON string escapes are valid TOML basic-string escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, Path):
        return _value(_path_text(value, base), base)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, base) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(str(k))} = {_value(v, base)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _path_text(path: Path, base: Path) -> str:
    """Return ``path`` relative to ``base`` when inside it (forward slashes), else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return os.fspath(path.resolve())


def _default(f: Any) -> Any:
    return f.default_factory() if f.default is MISSING else f.default


def study_toml(study: Study, comment: str = "") -> str:
    """Return the study file text of ``study`` (written to ``study.path``; see module docs)."""
    base = study.path.parent
    lines = [f"# {line}" for line in comment.splitlines()]
    for name in SECTIONS:
        section = getattr(study, name)
        body = []
        for f in fields(section):
            value = getattr(section, f.name)
            if value is None or value == _default(f):
                continue
            body.append(f"{_key(f.name)} = {_value(value, base)}")
        if body:
            lines += ["", f"[{name}]", *body]
    return "\n".join(lines).lstrip("\n") + "\n"
