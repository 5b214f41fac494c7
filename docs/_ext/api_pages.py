"""The API reference of ``geo``: one page per module, written before Sphinx reads the sources.

Every module of the package gets a page (``docs/api/MODULE.rst``, generated, not in git) that
documents, with autodoc, the names the module itself defines: its ``__all__`` where it has one,
else every public name it defines. Each object is documented once, where it is defined; a
package page lists what it re-exports with a link to that place.

References in docstrings are resolved as Python resolves the name: ``:func:`load_study``` in
:mod:`geo`, or ``:data:`settings.BATCH_TILE_KM``` in a module that imported ``settings``, lead
to the object's own entry. A reference Python cannot resolve stays broken, and the strict build
(``make docs``: ``-W -n``) fails on it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer

PACKAGE = "geo"
FOLDER = "api"
#: values with a longer repr are left out of the page (tables of speeds, colours)
_LONGEST_VALUE = 100


def _modules() -> list[str]:
    """Every module of the package, the package first, in dotted-name order."""
    root = importlib.import_module(PACKAGE)
    names = [PACKAGE] + [m.name for m in pkgutil.walk_packages(root.__path__, PACKAGE + ".")]
    return sorted(names)


def _defined(module: ModuleType) -> list[str]:
    """Public names the module defines at top level: those of ``__all__`` first, in its order."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):  # a compiled module: what it holds is what it defines
        return [n for n in dir(module) if not n.startswith("_")]
    here: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            here.append(node.name)
        elif isinstance(node, ast.Assign):
            here += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            here.append(node.target.id)
    first = [n for n in getattr(module, "__all__", []) if n in here]
    return first + [n for n in dict.fromkeys(here) if not n.startswith("_") and n not in first]


def _reexported(module: ModuleType) -> list[tuple[str, str, str]]:
    """(name, role, target) for each name of ``__all__`` defined in another module."""
    out = []
    defined = set(_defined(module))
    for name in getattr(module, "__all__", []):
        if name in defined or name.startswith("__"):
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            out.append((name, "mod", obj.__name__))
        elif inspect.isclass(obj):
            out.append((name, "class", f"{obj.__module__}.{obj.__qualname__}"))
        elif callable(obj) and hasattr(obj, "__module__"):
            out.append((name, "func", f"{obj.__module__}.{obj.__qualname__}"))
    return out


def _doc_comments(name: str) -> dict[str, list[str]]:
    """The ``#:`` comment (or docstring below) of each module-level name that has one."""
    try:
        docs = ModuleAnalyzer.for_module(name).find_attr_docs()
    except PycodeError:  # a compiled module
        return {}
    return {attr: list(lines) for (scope, attr), lines in docs.items() if scope == ""}


def _is_code(obj: object) -> bool:
    return inspect.isclass(obj) or inspect.isroutine(obj)


def _page(name: str, names: list[str]) -> str:
    module = importlib.import_module(name)
    lines = [name, "=" * len(name), "", f".. automodule:: {name}"]
    defined = _defined(module)
    code = [n for n in defined if _is_code(getattr(module, n, None))]
    if code:
        lines += ["   :members: " + ", ".join(code), "   :undoc-members:",
                  "   :show-inheritance:"]
    lines.append("")
    comments = _doc_comments(name)
    for n in defined:  # constants, with their value and their #: comment as written (not
        if n in code:  # napoleon's: it reads "words: more words" as a type and a text)
            continue
        value = repr(getattr(module, n, None))
        lines += [f".. py:data:: {n}", f"   :module: {name}"]
        if len(value) <= _LONGEST_VALUE:
            lines.append(f"   :value: {value}")
        lines.append("")
        lines += [f"   {line}".rstrip() for line in comments.get(n, [])]
        lines.append("")
    again = _reexported(module)
    if again:
        lines += ["Also importable from here:", ""]
        lines += [f"- :{role}:`{name}.{n} <{target}>`" for n, role, target in again]
        lines.append("")
    children = [m for m in names if m.rpartition(".")[0] == name]
    if children:
        lines += [".. toctree::", "   :maxdepth: 1", ""] + [f"   {c}" for c in children]
        lines.append("")
    return "\n".join(lines)


def write_pages(app: Sphinx) -> None:
    """Write ``docs/api/*.rst`` (only the pages whose text changed, so rebuilds stay quick)."""
    folder = Path(app.srcdir) / FOLDER
    folder.mkdir(exist_ok=True)
    names = _modules()
    wanted = {f"{n}.rst": _page(n, names) for n in names}
    for stale in folder.glob("*.rst"):
        if stale.name not in wanted:
            stale.unlink()
    for file, text in wanted.items():
        path = folder / file
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def _resolve(context: str | None, target: str) -> str | None:
    """The documented (defining) name of ``target`` as Python resolves it from ``context``."""
    starts = [context, PACKAGE] if context else [PACKAGE]
    for start in starts:
        base = target if target.startswith(PACKAGE + ".") else f"{start}.{target}"
        found = _lookup(base)
        if found is not None:
            return found
    return None


def _lookup(dotted: str) -> str | None:
    parts = dotted.split(".")
    obj: Any = None
    owner = ""
    for i in range(len(parts), 0, -1):  # the longest importable module prefix
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        owner, rest = obj.__name__, parts[i:]
        break
    else:
        return None
    for j, attr in enumerate(rest):
        if not hasattr(obj, attr):
            return None
        obj = getattr(obj, attr)
        if inspect.ismodule(obj):
            owner = obj.__name__
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            owner = f"{obj.__module__}.{obj.__qualname__}"
            tail = rest[j + 1:]
            if tail:
                return ".".join([owner, *tail]) if _has(obj, tail) else None
            return owner
    if inspect.ismodule(obj):
        return obj.__name__
    return f"{owner}.{rest[-1]}" if rest else owner


def _has(obj: Any, tail: list[str]) -> bool:
    """Whether ``obj.a.b`` exists, counting fields declared only by annotation."""
    for attr in tail:
        if hasattr(obj, attr):
            obj = getattr(obj, attr)
        elif inspect.isclass(obj) and any(attr in getattr(k, "__annotations__", {})
                                          for k in obj.__mro__):
            return attr == tail[-1]
        else:
            return False
    return True


def _only_match(env: BuildEnvironment, node: pending_xref, target: str) -> str | None:
    """The one documented object of this name, if only one has it."""
    domain: Any = env.get_domain("py")
    for role in (node["reftype"], "data"):
        matches = domain.find_obj(env, node.get("py:module"), node.get("py:class"), target,
                                  role, 1)
        names = {name for name, obj in matches if not obj.aliased}
        if len(names) == 1:
            return names.pop()
    return None


def _missing(app: Sphinx, env: BuildEnvironment, node: pending_xref,
             contnode: nodes.TextElement) -> nodes.Element | None:
    """Resolve a Python reference the domain did not find, as Python would resolve it."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    if not (target.startswith(PACKAGE + ".") or node.get("py:module", "").startswith(PACKAGE)):
        return None
    domain = env.get_domain("py")
    # as Python resolves it; else (a name imported only for type checking, or a constant
    # imported from where it is defined) the one documented object of that name
    found = [_resolve(node.get("py:module"), target)]
    if "." not in target:
        found.append(_only_match(env, node, target))
    for name in found:
        if name is None or name == target:
            continue
        for role in (node["reftype"], "obj"):
            ref = domain.resolve_xref(env, node["refdoc"], app.builder, role,
                                      name, node.copy(), contnode)
            if ref is not None:
                return ref
    return None


def _exact_annotations(app: Sphinx, doctree: nodes.document) -> None:
    """Look the names of signatures up exactly, as written.

    Sphinx 9 marks each annotation's reference ``refspecific=False``, and the Python domain
    takes the mere presence of the flag for a loose search: ``cls: type`` then matched every
    attribute named ``type``. Dropping the false flag restores the exact look-up.
    """
    for node in doctree.findall(pending_xref):
        if node.get("refdomain") == "py" and node.get("refspecific") is False:
            del node["refspecific"]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", write_pages)
    app.connect("doctree-read", _exact_annotations)
    app.connect("missing-reference", _missing)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
