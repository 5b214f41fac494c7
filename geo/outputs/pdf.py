"""``report.pdf``: a report printed to PDF by headless Chromium, as a planner's Ctrl+P would.

The page sets its own A4 size, margins, running title and page numbers (CSS paged media,
:mod:`geo.outputs.document`); Chromium prints it through Playwright's Python API with
``prefer_css_page_size`` and no browser header or footer. Playwright drives the system's
Chromium (Debian's ``/usr/bin/chromium``, or ``$GEO_CHROMIUM``): nothing is downloaded.
Where either is missing, :func:`check_printer` stops before any computing with a message
naming the install command.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from geo.errors import OutputError

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_SWITCHES", "check_printer", "chromium_path", "print_pdf"]

log = logging.getLogger(__name__)

#: switches of a headless Chromium that reaches no network and keeps no profile state
#: (Chromium's, not geo's: written without their leading dashes)
CHROMIUM_SWITCHES = ("headless", "no-sandbox", "disable-gpu", "disable-background-networking",
                     "disable-component-update", "disable-sync", "no-first-run")
CHROMIUM_ARGS = tuple(f"--{s}" for s in CHROMIUM_SWITCHES)
_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
               "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
               "C:/Program Files/Google/Chrome/Application/chrome.exe")


def chromium_path() -> Path | None:
    """``$GEO_CHROMIUM``, else the first Chromium or Chrome found (``None``: none)."""
    env = os.environ.get("GEO_CHROMIUM")
    if env:
        return Path(env) if Path(env).is_file() else None
    for name in (*_CANDIDATES, shutil.which("chromium") or "", shutil.which("chrome") or ""):
        if name and Path(name).is_file():
            return Path(name)
    return None


def check_printer() -> Path:
    """The Chromium that ``--pdf`` will print with.

    Raises
    ------
    geo.errors.OutputError
        Playwright or Chromium is missing (the message says how to install them).
    """
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise OutputError(
            "--pdf prints the report with Chromium through Playwright, which is not "
            "installed: pip install playwright (it drives the system's Chromium; no browser "
            "download is needed), or leave out --pdf and print report.html from a browser"
        ) from None
    path = chromium_path()
    if path is None:
        where = os.environ.get("GEO_CHROMIUM")
        raise OutputError(
            (f"GEO_CHROMIUM={where} is not a file: " if where else "no Chromium found for "
             "--pdf: ") + "install it (Debian/Ubuntu: apt-get install chromium) or set "
            "GEO_CHROMIUM=/path/to/chromium, or leave out --pdf and print report.html from "
            "a browser"
        )
    return path


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print ``html_path`` (a report written beside it) to ``pdf_path`` and return it."""
    chromium = check_printer()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.pdf(path=str(pdf_path), prefer_css_page_size=True, print_background=True,
                     display_header_footer=False)
        finally:
            browser.close()
    log.info("report printed to %s", pdf_path)
    return pdf_path
