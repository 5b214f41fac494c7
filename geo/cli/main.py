"""The ``geo`` command: the parser, the study commands and the one error handler.

Every command returns an exit code; :func:`main` is the only place that turns errors
into messages: a :class:`~geo.errors.GeoError` (anything a user can cause) prints
``error: ...`` as plain text on stderr, the parameters it names spelled as the flags
that fed them (:mod:`geo.cli.words`), and exits 2; Ctrl-C prints one line and exits
130, SIGTERM the same line and 143 (a run being written removes its staging folder, so
earlier outputs stay as they were). Library code logs; this package prints.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from geo import __version__
from geo.cli import batch, checks, network, planning, serve
from geo.cli.args import add_pdf, output_path, path
from geo.cli.text import out, output_file, output_folder, progress, table
from geo.cli.words import cli_words
from geo.errors import GeoError
from geo.settings import shipped

__all__ = ["DEMO_OUT", "DEMO_STUDY", "Formatter", "main", "parser"]

#: the embedded study, shipped with geo (``analysis/luzhai.toml`` in the repository)
DEMO_STUDY = shipped("analysis/luzhai.toml")
#: where ``geo demo`` writes without --out: relative to the current folder (``make demo``
#: runs in the checkout), never inside the installed package
DEMO_OUT = Path("maps", "luzhai")


class Formatter(argparse.HelpFormatter):
    """Help with every default shown.

    Descriptions wrapped line by line, so option lists keep their layout.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (action.default not in (None, argparse.SUPPRESS, False) and "(default" not in text
                and action.option_strings):
            text += " (default: %(default)s)"
        return text

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for line in text.splitlines():
            lead = line[: len(line) - len(line.lstrip())]
            hang = "    " if lead or line.startswith("[") else ""  # option lists hang
            out.append(textwrap.fill(line.strip(), width, initial_indent=indent + lead,
                                     subsequent_indent=indent + lead + hang) or indent)
        return "\n".join(out)


def _relative(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _study_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from geo.outputs.write import OUTPUT_FILES
    from geo.study.schema import options_text

    run = sub.add_parser(
        "run", help="run a study file", formatter_class=Formatter,
        description=f"Run STUDY (a TOML file) and write {', '.join(OUTPUT_FILES)} to --out, "
        "all or nothing: on any error an earlier output in --out stays as it was.",
        epilog="Study file options (section, key: meaning; defaults from geo/settings.py):\n\n"
        + options_text(markdown=False),
    )
    run.add_argument("study", type=path, help="study file (TOML), e.g. analysis/luzhai.toml")
    run.add_argument("--out", type=path, required=True, metavar="DIR", help="output folder")
    add_pdf(run)
    demo = sub.add_parser(
        "demo", help="run the embedded Luzhai County study", formatter_class=Formatter,
        description=f"Run {_relative(DEMO_STUDY)} (embedded data, offline).",
    )
    demo.add_argument("--out", type=path, default=DEMO_OUT, metavar="DIR", help="output folder")
    add_pdf(demo)
    redraw = sub.add_parser(
        "map", help="redraw the map from a saved results.gpkg (no recomputing)",
        formatter_class=Formatter,
        description="Draw the interactive map of one standard from the results.gpkg of an "
        "earlier run, without recomputing anything. The file is written atomically: on error "
        "an existing map stays as it was.",
    )
    redraw.add_argument("results", type=path, help="results.gpkg written by `geo run`")
    redraw.add_argument("--standard", metavar="NAME",
                        help="standard whose coverage colours the townships "
                        "(default: the study's map_standard)")
    redraw.add_argument("--out", type=output_path(".html", ".htm"), required=True, metavar="FILE",
                        help="map file to write (.html)")
    redraw.add_argument("--language", choices=("zh", "en"),
                        help="label language (default: the study's)")


def parser() -> argparse.ArgumentParser:
    """Return the ``geo`` argument parser (all subcommands)."""
    p = argparse.ArgumentParser(
        prog="geo", formatter_class=Formatter,
        description="Travel-time coverage of health facilities against planning standards.",
    )
    p.add_argument("--version", action="version", version=f"geo {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _study_parsers(sub)
    checks.add_parsers(sub, Formatter)
    network.add_parsers(sub, Formatter)
    planning.add_parsers(sub, Formatter)
    serve.add_parsers(sub, Formatter)
    batch.add_parsers(sub, Formatter)
    return p


def _summary_rows(summary: object) -> list[list[object]]:
    import pandas as pd

    from geo.coverage.tables import worst_served
    from geo.numbers import minutes_text, share_text, target_text

    assert isinstance(summary, pd.DataFrame)
    rows: list[list[object]] = []
    for _, r in summary.iterrows():
        if r["note"]:
            rows.append([r["standard"], f"{r['minutes']:g}", "n/a", "", "", "",
                         "not applicable", ""])
            continue
        rows.append([
            r["standard"], f"{r['minutes']:g}", share_text(r["covered_share"], r["target_share"]),
            target_text(r["target_share"]), minutes_text(r["median_minutes"]),
            minutes_text(r["max_minutes"]),
            worst_served(r),
            str(r["townships_failing"]),
        ])
    return rows


def _run(args: argparse.Namespace) -> int:
    from geo.outputs.write import OUTPUT_FILES, write_outputs
    from geo.study.run import run_study
    from geo.study.schema import load_study

    study = DEMO_STUDY if args.command == "demo" else args.study
    if args.pdf:
        from geo.outputs.pdf import check_printer

        check_printer()  # before any computing
    with output_folder(args.out, (*OUTPUT_FILES, *(("report.pdf",) if args.pdf else ())),
                       load_study(study).input_files()):
        result = run_study(study, progress=progress)
        progress("write outputs")
        started = time.perf_counter()
        write_outputs(result, args.out, pdf=args.pdf)
        written = time.perf_counter() - started
    out(result.study.title)
    for fact in result.facts:
        out(f"  {fact}")
    out("Assumptions")
    for a in result.assumptions:
        out(f"  - {a}")
    out(table(_summary_rows(result.summary),
              ["standard", "minutes", "covered", "target", "median min", "max min",
               "worst township", "failing"], "Coverage by standard (study area)"))
    _resources(result.resources)
    out("Timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in
                                 {**result.timings, "write outputs": written}.items()))
    out(f"Wrote {', '.join(OUTPUT_FILES)} to {args.out}")
    return 0


def _resources(res: object) -> None:
    """Print the measures and the response distribution, as `geo run` does."""
    from geo.outputs import measure_tables
    from geo.study.resources import Resources

    assert isinstance(res, Resources)
    if res.measure_names:
        out(table(measure_tables.cli_measure_rows(res),
                  ["measure", "per", "whole area", "lowest township", "highest township",
                   "target", "below"], "Resource ratios and access measures"))
    if res.response_names:
        out(table(measure_tables.cli_response_rows(res),
                  ["response", "median min", "p90 min", "max min", "within", "target",
                   "below", "longest median"], "Emergency response (whole area)"))
    missing = [n.split(" (", 1)[0].removeprefix("not computed: ") for n in res.notes
               if n.startswith("not computed: ")]
    if missing:
        out(f"Not computed (run_summary.txt says what data would enable each): "
            f"{', '.join(missing)}")
    for note in res.notes:
        if not note.startswith("not computed: "):
            out(f"  - {note}")


def _redraw(args: argparse.Namespace) -> int:
    from geo.outputs.write import redraw_map

    output_file(args.out, {"results": args.results})
    path = redraw_map(args.results, args.out, args.standard, args.language)
    out(f"Wrote {path}")
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _run, "demo": _run, "map": _redraw, "network": network.run_network,
    "isochrones": network.run_isochrones, "site": planning.run_site,
    "designate": planning.run_designate, "compare": planning.run_compare,
    "resilience": planning.run_resilience,
    "check": checks.run_check, "init": checks.run_init, "serve": serve.run_serve,
    "batch": batch.run_batch,
}


class _Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a service manager stopping the program), raised where the program is.

    The program then unwinds as on Ctrl-C: staging folders removed, lock released.
    """


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Make SIGTERM raise :class:`_Terminated` for the block (main thread only).

    The previous handler is put back: tests call :func:`main` in process.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geo`` console script (see module docs)."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        with _sigterm_unwinds():
            return _COMMANDS[args.command](args)
    except GeoError as e:
        print(f"error: {cli_words(e)}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt as e:
        kept = getattr(e, "__notes__", None)  # what a command kept (a batch's finished areas)
        said = kept[-1] if kept else "nothing new was written (earlier outputs are as they were)"
        print(f"interrupted: {said}", file=sys.stderr, flush=True)
        return 143 if isinstance(e, _Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())
