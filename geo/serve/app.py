"""The workbench's web app (FastAPI): one page, its scripts, and a JSON API on a session.

Safe by default:

* **Host header checked** (DNS rebinding): a request whose ``Host`` is not the address the
  server is bound to (``127.0.0.1:PORT``, ``localhost:PORT`` when bound to a loopback
  address, else the bound host and any ``--allowed-host``) is refused with 403, and so is
  one whose ``Origin`` is another site's;
* **no file path from the browser**: scenarios are uploaded as text and downloaded as
  text; exports go to the output folder fixed when the server started; static files are
  a fixed list;
* **every request validated**: bodies by pydantic models (422), edits by the engine and
  the study with the CLI's messages (400, the :class:`~geo.errors.GeoError` text); the
  page shows the message, and a refused request leaves the session as it was.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from geo.errors import GeoError, ServeError
from geo.outputs import i18n
from geo.outputs.map.offline import VENDOR
from geo.planning.scenario import apply_scenario, parse_scenario, with_type_codes
from geo.serve.layers import static_layers
from geo.serve.models import (
    AddRequest,
    DesignateRequest,
    ExportRequest,
    IdRequest,
    LoadRequest,
    MoveRequest,
    ProposalRequest,
    RetypeRequest,
    SuggestRequest,
    validation_message,
)
from geo.serve.session import Session

__all__ = ["HostCheck", "allowed_hosts", "create_app"]

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")
#: the only files served besides the page: name -> (package file, media type)
_STATIC = {"workbench.js": "application/javascript", "workbench.css": "text/css"}
_VENDOR = {
    "leaflet.js": ("leaflet/leaflet.js", "application/javascript"),
    "leaflet.css": ("leaflet/leaflet.css", "text/css"),
    **{f"images/{n}": (f"leaflet/images/{n}", "image/png")
       for n in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png",
                 "marker-shadow.png")},
}


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> set[str]:
    """Return the ``Host`` header values the server answers.

    They are ``name:port`` for the bound host (all loopback names when it is a loopback or wildcard
    address) and each of ``extra``.
    """
    local = host in LOOPBACK or host in WILDCARD  # a browser on this computer
    names = {"127.0.0.1", "localhost", "[::1]"} if local else set()
    names |= {f"[{h}]" if ":" in h else h for h in [host, *extra]
              if h not in LOOPBACK and h not in WILDCARD}
    out = {f"{n.lower()}:{port}" for n in names}
    if port == 80:
        out |= {n.lower() for n in names}
    return out


class HostCheck:
    """ASGI middleware refusing requests for another host or from another site (403)."""

    def __init__(self, app: ASGIApp, allowed: set[str]) -> None:
        self.app, self.allowed = app, allowed
        self.origins = {f"http://{h}" for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 403 to a request for another host or from another site, else pass it on."""
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            host = headers.get(b"host", b"").decode("latin-1").lower()
            origin = headers.get(b"origin", b"").decode("latin-1").lower()
            problem = None
            if host not in self.allowed:
                problem = (f"host {host!r} is not this server's ({', '.join(sorted(self.allowed))})"
                           ": open the address geo serve printed, or start it with "
                           "--allowed-host NAME")
            elif origin and origin != "null" and origin not in self.origins:
                problem = f"requests from {origin!r} are refused: use the workbench's own page"
            if problem:
                log.warning("refused %s %s: %s", scope.get("method"), scope.get("path"), problem)
                await JSONResponse({"error": problem}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _file(rel: str) -> bytes:
    return resources.files("geo.serve").joinpath("static", rel).read_bytes()


def _timed(fn: Callable[[], dict[str, Any]]) -> JSONResponse:
    t0 = time.perf_counter()
    body = fn()
    body["server_ms"] = 1e3 * (time.perf_counter() - t0)
    return JSONResponse(body)


def _download_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"
    return f"{stem[:60]}.toml"


def create_app(session: Session, *, allowed: set[str], out_dir: Path | None = None,
               source: str = "STUDY") -> FastAPI:
    """Return the app serving ``session``.

    ``allowed``: ``Host`` values accepted (:func:`allowed_hosts`); ``out_dir``: where exports go;
    ``source``: the study as the user named it (shown in the commands the page prints).
    """
    app = FastAPI(title="geo workbench", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(HostCheck, allowed=allowed)

    @app.exception_handler(GeoError)
    async def _geo_error(_: Request, exc: GeoError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "kind": type(exc).__name__}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": validation_message(list(exc.errors())),
                             "kind": "ValidationError"}, status_code=422)

    _page_routes(app, session, export=out_dir is not None)
    _edit_routes(app, session)
    _file_routes(app, session, out_dir, source)
    return app


def _labels(lang: str) -> dict[str, str]:
    """Return the page's words in ``lang``: the workbench's own and those it shares with maps."""
    shared = ("township", "population", "covered_population", "meets", "fails", "minutes",
              "bands_layer", "townships_layer", "names_layer", "facilities_layer",
              "no_basemap", "assumptions", "target", "legend", "people")
    return {**i18n.texts("wb_", lang), **{k: i18n.text(k, lang) for k in shared}}


def _page_routes(app: FastAPI, session: Session, export: bool) -> None:
    """Serve the page, its fixed list of files, and what it draws once."""
    study, lang = session.study, session.language
    layers = static_layers(study, lang) if study is not None else {}
    labels = _labels(lang)

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(_file("index.html").decode("utf-8"))

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in _STATIC:
            return JSONResponse({"error": f"no file {name!r}"}, status_code=404)
        return Response(_file(name), media_type=_STATIC[name])

    @app.get("/vendor/{name:path}")
    def vendor(name: str) -> Response:
        if name not in _VENDOR:
            return JSONResponse({"error": f"no file {name!r}"}, status_code=404)
        rel, media = _VENDOR[name]
        return Response((VENDOR / rel).read_bytes(), media_type=media)

    @app.get("/api/layers")
    def get_layers() -> JSONResponse:
        return JSONResponse({**layers, "labels": labels, "language": lang,
                             "export": export and study is not None})

    @app.get("/api/state")
    def get_state() -> JSONResponse:
        return _timed(session.state)


def _edit_routes(app: FastAPI, s: Session) -> None:
    """Add the routes of edits, undo and redo, suggestions: each answers with what changed."""

    @app.post("/api/add")
    def add(r: AddRequest) -> JSONResponse:
        return _timed(lambda: s.add(r.type, r.lon, r.lat, r.name))

    @app.post("/api/move")
    def move(r: MoveRequest) -> JSONResponse:
        return _timed(lambda: s.move(r.id, r.lon, r.lat))

    @app.post("/api/close")
    def close(r: IdRequest) -> JSONResponse:
        return _timed(lambda: s.close(r.id))

    @app.post("/api/retype")
    def retype(r: RetypeRequest) -> JSONResponse:
        return _timed(lambda: s.retype(r.id, r.type))

    @app.post("/api/designate")
    def designate(r: DesignateRequest) -> JSONResponse:
        return _timed(lambda: s.designate(r.id, r.role))

    @app.post("/api/undo")
    def undo() -> JSONResponse:
        return _timed(s.undo)

    @app.post("/api/redo")
    def redo() -> JSONResponse:
        return _timed(s.redo)

    @app.post("/api/suggest")
    def suggest(r: SuggestRequest) -> JSONResponse:
        return _timed(lambda: s.suggest(r.standard, r.k, r.model, r.type))

    @app.post("/api/accept")
    def accept(r: ProposalRequest) -> JSONResponse:
        return _timed(lambda: s.accept(r.key))

    @app.post("/api/reject")
    def reject(r: ProposalRequest) -> JSONResponse:
        return _timed(lambda: s.reject(r.key))


def _file_routes(app: FastAPI, session: Session, out_dir: Path | None, source: str) -> None:
    """Add the routes of scenario files as text (download, upload) and of exports to ``out_dir``."""

    @app.get("/api/scenario.toml")
    def save(name: str = "workbench", title: str = "") -> Response:
        if not 0 < len(name) <= 80 or len(title) > 300:
            raise ServeError("give a scenario name of 1 to 80 characters and a title of at "
                             "most 300")
        text = session.scenario_text(name, title, source)
        disposition = f'attachment; filename="{_download_name(name)}"'
        return Response(text, media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition": disposition})

    @app.post("/api/scenario")
    def load(r: LoadRequest) -> JSONResponse:
        def run() -> dict[str, Any]:
            res = session.need_study("loading a scenario")
            scen = with_type_codes(parse_scenario(r.text, Path(r.filename).name or
                                                  "scenario.toml"),
                                   res.study.facilities.type_map)  # 乡镇卫生院 as in files
            apply_scenario(scen, res.facilities, res.standard_set, res.area,  # the CLI's
                           res.study.facilities.outside)  # checks
            head = {"name": scen.name, "title": scen.title,
                    "description": scen.description, "left_out": scen.left_out}
            return session.load(scen.actions, head)
        return _timed(run)

    @app.post("/api/export")
    def export(r: ExportRequest) -> JSONResponse:
        if out_dir is None:
            raise ServeError("this server has no output folder: start it with "
                             "`geo serve STUDY --out DIR`")
        return _timed(lambda: session.export(out_dir, r.name, r.title, source))
