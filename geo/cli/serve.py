"""``geo serve``: the planner's workbench in the browser (see :mod:`geo.serve`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import webbrowser
from pathlib import Path
from typing import Any

from geo.cli.args import path
from geo.cli.planning import computed_study
from geo.cli.text import out, progress

__all__ = ["add_parsers", "default_out", "run_serve"]

_STUDY_HELP = ("study file (TOML), computed once at start; or the output folder (or "
               "results.gpkg) of an earlier `geo run` of it, reloaded without recomputing")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], fmt: Any) -> None:
    """Add ``geo serve`` to the ``geo`` parser."""
    s = sub.add_parser(
        "serve", help="the planner's workbench: what-if siting in the browser",
        formatter_class=fmt,
        description="Load STUDY once and serve the workbench page: add, move, close, "
        "upgrade and designate facilities on the map, ask for suggested sites, and see "
        "every standard's township table change at once; save the session as a scenario "
        "file, or export it as a `geo compare` folder into --out. Listens on this "
        "computer only unless --host is given; Ctrl-C stops it.",
    )
    s.add_argument("study", type=path, help=_STUDY_HELP)
    s.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on; anything but 127.0.0.1/localhost lets other "
                   "computers reach the workbench, and then every request needs the access "
                   "token (the printed address carries it)")
    s.add_argument("--token", default=None, metavar="TOKEN",
                   help="access token every request must carry (16 to 200 letters, digits, - "
                   "and _); default: a random one when --host is not a loopback address, "
                   "none on 127.0.0.1")
    s.add_argument("--port", type=int, default=8765, metavar="PORT",
                   help="port to listen on (0: any free)")
    s.add_argument("--allowed-host", action="append", default=None, metavar="NAME",
                   help="further host name the page may be opened as (e.g. this computer's "
                   "name on the network, with --host 0.0.0.0); repeatable")
    s.add_argument("--out", type=path, default=None, metavar="DIR",
                   help="folder the page's exports are written to (default: beside the "
                   "study's run folder, or maps/NAME_workbench for a study file)")
    s.add_argument("--open", action=argparse.BooleanOptionalAction, default=True,
                   help="open the page in the default browser")


def default_out(study: Path, name: str) -> Path:
    """Return where exports go without --out.

    That is ``<run folder>_workbench`` beside a run folder, else ``maps/<study name>_workbench``.
    """
    if study.suffix.lower() == ".toml":
        return Path("maps") / f"{name}_workbench"
    folder = study.parent if study.suffix.lower() == ".gpkg" else study
    return folder.parent / f"{folder.name}_workbench"


def _has_display() -> bool:
    """Tell whether a graphical browser can open.

    Without a display Python's webbrowser would start a text browser (lynx, w3m) in this terminal,
    over the server's messages.
    """
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_serve(args: argparse.Namespace) -> int:
    """Run ``geo serve``."""
    from geo.serve import Session, Workbench
    from geo.serve.server import check_token

    if not 0 <= args.port <= 65535:
        from geo.errors import ServeError

        raise ServeError(f"--port must be 0 to 65535, got {args.port}")
    check_token(args.token)  # before the study is computed
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        from geo.errors import OutputError

        raise OutputError(f"--out {args.out} is a file: the workbench writes its exports into "
                          "a folder; name a folder with --out")
    computed = computed_study(args.study)
    out_dir = args.out or default_out(args.study, computed.study.name)
    progress("start the workbench")
    session = Session.from_study(computed)
    bench = Workbench(session, args.host, args.port, out_dir=out_dir,
                      extra_hosts=args.allowed_host or (), source=str(args.study),
                      token=args.token, warm=True)
    out(f"geo workbench for {computed.study.title}: {bench.url}")
    if bench.token:
        out("every request needs the token in this address: give it only to colleagues "
            "who may edit this session")
    out(f"exports go to {out_dir}; Ctrl-C stops the server")
    if args.open and _has_display():
        webbrowser.open(bench.url)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn finishes open requests first
        bench.run()
    out("workbench stopped")
    return 0
