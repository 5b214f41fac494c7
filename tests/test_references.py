"""Every cross-reference in geo's docstrings (``:mod:``, ``:func:``, ``:class:``, ``:meth:``,
``:data:``, ``:attr:``, ``:exc:``) names an object that exists, so none goes stale when code
moves."""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

#: a Sphinx role: :role:`target`, :role:`~target` or :role:`title <target>`
ROLE = re.compile(r":(mod|func|class|meth|data|attr|exc|obj):`([^`]+)`")
_MISSING = object()


def _docstrings(path: Path) -> list[tuple[str, list[str], int]]:
    """(docstring, names of the enclosing classes, line) of the module and every class
    and function in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, list[str], int]] = []

    def walk(node: ast.AST, classes: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(child, clean=False)
                inner = [*classes, child.name] if isinstance(child, ast.ClassDef) else classes
                if doc:
                    out.append((doc, inner, child.lineno))
                walk(child, inner)

    doc = ast.get_docstring(tree, clean=False)
    if doc:
        out.append((doc, [], 1))
    walk(tree, [])
    return out


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _lookup(dotted: str) -> Any:
    """The object a fully dotted name names: a module, then attributes along it."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = _attr(obj, p)
            if obj is _MISSING:
                return _MISSING
        return obj
    return _MISSING


def _attr(obj: Any, name: str) -> Any:
    """An attribute, a dataclass field or an annotated class attribute."""
    got = getattr(obj, name, _MISSING)
    if got is _MISSING and isinstance(obj, type):
        fields = getattr(obj, "__dataclass_fields__", {})
        annotations = {k for c in obj.__mro__ for k in getattr(c, "__annotations__", {})}
        if name in fields or name in annotations:
            return name
    if got is _MISSING and getattr(obj, "__name__", "").startswith("geo"):
        try:  # a submodule not imported yet
            return importlib.import_module(f"{obj.__name__}.{name}")
        except ImportError:
            return _MISSING
    return got


def _resolves(target: str, module: str, classes: list[str]) -> bool:
    target = target.lstrip("~.")
    if target.startswith("geo.") or target == "geo":
        return _lookup(target) is not _MISSING
    mod = importlib.import_module(module)
    # relative to the enclosing classes, the module, its package, then outside geo
    scopes: list[Any] = []
    owner: Any = mod
    for c in classes:
        owner = _attr(owner, c)
        if owner is not _MISSING:
            scopes.insert(0, owner)
    scopes += [mod, importlib.import_module(module.rsplit(".", 1)[0]) if "." in module
               else mod]
    for scope in scopes:
        obj = scope
        for p in target.split("."):
            obj = _attr(obj, p)
            if obj is _MISSING:
                break
        if obj is not _MISSING:
            return True
    return _lookup(target) is not _MISSING or hasattr(builtins, target)


def _compiled_docstrings(path: Path) -> list[tuple[str, list[str], int]]:
    """Docstrings of a compiled module (Cython: read from the module it builds)."""
    mod = importlib.import_module(_module_name(path))
    out = [(mod.__doc__ or "", [], 1)]
    for name, obj in vars(mod).items():
        if getattr(obj, "__module__", None) == mod.__name__ and obj.__doc__:
            out.append((obj.__doc__, [name] if isinstance(obj, type) else [], 0))
            if isinstance(obj, type):
                out += [(m.__doc__, [name], 0) for m in vars(obj).values()
                        if getattr(m, "__doc__", None) and callable(m)]
    return out


def _references() -> list[tuple[str, str, str, list[str]]]:
    out = []
    sources = sorted((ROOT / "geo").rglob("*.py")) + sorted((ROOT / "geo").rglob("*.pyx"))
    for path in sources:
        module = _module_name(path)
        found = _compiled_docstrings(path) if path.suffix == ".pyx" else _docstrings(path)
        for doc, classes, line in found:
            for _, text in ROLE.findall(doc):
                target = text.rsplit("<", 1)[1].rstrip(">").strip() if "<" in text else text
                out.append((f"{path.relative_to(ROOT)}:{line}", module, target, classes))
    return out


REFERENCES = _references()


def test_the_scan_finds_references() -> None:
    assert len(REFERENCES) > 100


def test_every_docstring_reference_resolves() -> None:
    stale = [f"{where}: {target}" for where, module, target, classes in REFERENCES
             if not _resolves(target, module, classes)]
    assert not stale, "docstring references to nothing:\n" + "\n".join(stale)


@pytest.mark.parametrize("target", ["geo.outputs.results.load_computed", "geo._dijkstra",
                                    "geo.network.Network.segments_gdf", "nope"])
def test_a_stale_reference_is_caught(target: str) -> None:
    assert not _resolves(target, "geo.routing.travel", [])


def test_every_quoted_geo_name_in_the_code_resolves() -> None:
    """``geo.x.y`` written as literal text in docstrings and comments names a real object."""
    literal = re.compile(r"``(geo(?:\.[A-Za-z_]\w*)+)``")
    stale = [f"{path.relative_to(ROOT)}: {m.group(1)}"
             for path in sorted((ROOT / "geo").rglob("*.py"))
             for m in literal.finditer(path.read_text(encoding="utf-8"))
             if _lookup(m.group(1)) is _MISSING]
    assert not stale, "names of nothing:\n" + "\n".join(stale)
