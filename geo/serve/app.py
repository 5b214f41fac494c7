"""The workbench's web app (FastAPI): one page, its scripts, and a JSON API on a session.

Safe to share (:class:`Guard`, one ASGI middleware in front of every request):

* **Host header checked** (DNS rebinding): a request whose ``Host`` is not the address the
  server is bound to (``127.0.0.1:PORT``, ``localhost:PORT`` when bound to a loopback
  or wildcard address, else the bound host and any ``--allowed-host``) is refused with
  403, and so is one whose ``Origin`` is another site's or ``null`` (a sandboxed frame, a
  local file);
* **an access token** when the server listens beyond this computer (``--host`` other than
  loopback; or ``--token`` on loopback): every request must carry it (the address
  ``geo serve`` prints ends in ``?token=...``; opening it sets a cookie for the page's
  requests, and the token leaves the address bar), compared in constant time, and never
  written to a log;
* **no framing, scripts from this server only**: ``X-Frame-Options: DENY`` and a
  ``Content-Security-Policy`` with ``frame-ancestors 'none'`` and ``script-src 'self'``
  on every answer (a decoy page cannot press the page's buttons through a frame);
* **bodies bounded while read**: a body larger than :data:`MAX_BODY` is refused (413) as
  soon as its ``Content-Length`` or its bytes so far pass the limit, never read whole;
* **no file path from the browser**: scenarios are uploaded as text and downloaded as
  text; exports go to the output folder fixed when the server started; static files are
  a fixed list;
* **every request validated**: bodies by pydantic models (422), edits by the engine and
  the study with the CLI's messages (400; 409 when the page's version is stale), each
  with the message in the page's language beside the CLI's words; a refused request
  leaves the session as it was.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.errors import GeoError, ServeError, StaleError
from geo.outputs import i18n
from geo.outputs.map.offline import VENDOR
from geo.planning.scenario import apply_scenario, parse_scenario, with_type_codes
from geo.serve.layers import static_layers
from geo.serve.models import (
    AddRequest,
    CompareRequest,
    DesignateRequest,
    ExportRequest,
    IdRequest,
    JobRequest,
    LoadRequest,
    MoveRequest,
    ProposalRequest,
    RetypeRequest,
    RoadRequest,
    SuggestRequest,
    UndoToRequest,
    VersionRequest,
    validation_message,
)
from geo.serve.session import Session

__all__ = ["MAX_BODY", "Guard", "allowed_hosts", "create_app", "is_loopback"]

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")
#: the largest request body read (a scenario file of 2 million characters, as UTF-8)
MAX_BODY = 8 * 1024 * 1024
#: the cookie the page's requests carry the token in
TOKEN_COOKIE = "geo_workbench_token"
#: what every answer says about framing and scripts
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data: blob: https://tile.openstreetmap.org; connect-src 'self'; "
     b"font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; "
     b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
#: the only files served besides the page: name -> (package file, media type)
_STATIC = {"workbench.js": "application/javascript", "workbench.css": "text/css"}
_VENDOR = {
    "leaflet.js": ("leaflet/leaflet.js", "application/javascript"),
    "leaflet.css": ("leaflet/leaflet.css", "text/css"),
    "html-to-image.js": ("html-to-image/html-to-image.js", "application/javascript"),
    **{f"images/{n}": (f"leaflet/images/{n}", "image/png")
       for n in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png",
                 "marker-shadow.png")},
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer only."""
    return host in LOOPBACK


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


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int,
                  problem: str) -> None:
    log.warning("refused %s %s: %s", scope.get("method"), scope.get("path"), problem)
    await JSONResponse({"error": problem, "kind": "Refused"}, status_code=status,
                       headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS}
                       )(scope, receive, send)


class Guard:
    """ASGI middleware in front of the app (see module docs): host, origin, token, body size.

    Security headers on every answer.

    Parameters
    ----------
    app : ASGI app
    allowed : set of str
        ``Host`` values accepted (:func:`allowed_hosts`).
    token : str, optional
        The access token every request must carry; ``None``: none needed.
    max_body : int
        Bytes of a request body read at most.
    """

    def __init__(self, app: ASGIApp, allowed: set[str], token: str | None = None,
                 max_body: int = MAX_BODY) -> None:
        self.app, self.allowed, self.token, self.max_body = app, allowed, token, max_body
        self.origins = {f"http://{h}" for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a request's host, origin, token and body size, then pass it on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        origin = headers.get(b"origin", b"").decode("latin-1").lower()
        if host not in self.allowed:
            await _refuse(scope, receive, send, 403, (
                f"host {host!r} is not this server's ({', '.join(sorted(self.allowed))}): "
                "open the address geo serve printed, or start it with --allowed-host NAME"))
            return
        if origin and origin not in self.origins:
            await _refuse(scope, receive, send, 403, (
                f"requests from {origin!r} are refused: use the workbench's own page"))
            return
        if self.token is not None:
            given, in_query = self._token_of(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                await _refuse(scope, receive, send, 403, (
                    "this workbench needs its access token: open the address geo serve "
                    "printed (it ends in ?token=...), or ask whoever started it for it"))
                return
            if in_query and scope.get("method") == "GET" and scope.get("path") == "/":
                # the token goes into a cookie and out of the address bar and history
                cookie = (f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; "
                          "SameSite=Strict")
                await RedirectResponse("/", status_code=303, headers={
                    "set-cookie": cookie, **{k.decode(): v.decode()
                                             for k, v in SECURITY_HEADERS}})(
                    scope, receive, send)
                return
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _refuse(scope, receive, send, 413, self._too_large())
            return
        body = await self._read(receive)
        if body is None:
            await _refuse(scope, receive, send, 413, self._too_large())
            return

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                chunk, body = body, None
                return {"type": "http.request", "body": chunk, "more_body": False}
            return await receive()

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, replay, send_secure)

    def _too_large(self) -> str:
        return (f"the request is larger than {self.max_body // (1024 * 1024)} MB: a scenario "
                "file that large is not one the workbench can load; compare it with "
                "`geo compare STUDY --scenario FILE --out DIR`")

    @staticmethod
    def _token_of(scope: Scope, headers: dict[bytes, bytes]) -> tuple[str | None, bool]:
        """Return the token a request carries and whether it came in the address.

        The token comes in a header, a cookie or ``?token=``.
        """
        if b"x-geo-token" in headers:
            return headers[b"x-geo-token"].decode("latin-1"), False
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed cookie header carries no token
            cookie = SimpleCookie()
        if TOKEN_COOKIE in cookie:
            return cookie[TOKEN_COOKIE].value, False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return query["token"][0], True
        return None, False

    async def _read(self, receive: Receive) -> bytes | None:
        """Return the body, read chunk by chunk; ``None`` as soon as it passes the limit."""
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b""
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


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


def error_body(exc: GeoError, language: str) -> dict[str, Any]:
    """Return an error as the page shows it.

    The CLI's words (``error``), the message in the page's language (``message``) and its kind.
    """
    return {"error": str(exc), "message": i18n.error(str(exc), language),
            "kind": type(exc).__name__}


def create_app(session: Session, *, allowed: set[str], out_dir: Path | None = None,
               source: str = "STUDY", token: str | None = None) -> FastAPI:
    """Return the app serving ``session``.

    ``allowed``: ``Host`` values accepted (:func:`allowed_hosts`); ``out_dir``: where exports go;
    ``source``: the study as the user named it (shown in the commands the page prints); ``token``:
    the access token every request must carry (``None``: none).
    """
    app = FastAPI(title="geo workbench", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(Guard, allowed=allowed, token=token)
    lang = session.language

    @app.exception_handler(GeoError)
    async def _geo_error(_: Request, exc: GeoError) -> JSONResponse:
        return JSONResponse(error_body(exc, lang),
                            status_code=409 if isinstance(exc, StaleError) else 400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        text = validation_message(list(exc.errors()))
        return JSONResponse({"error": text, "message": i18n.error(text, lang),
                             "kind": "ValidationError"}, status_code=422)

    _page_routes(app, session, export=out_dir is not None)
    _edit_routes(app, session)
    _job_routes(app, session)
    _file_routes(app, session, out_dir, source)
    return app


def _labels(lang: str) -> dict[str, str]:
    """Return the page's words in ``lang``: the workbench's own and those it shares with maps."""
    shared = ("township", "population", "covered_population", "meets", "fails", "minutes",
              "bands_layer", "townships_layer", "names_layer", "facilities_layer",
              "no_basemap", "assumptions", "target", "legend", "people", "group")
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

    @app.get("/api/spot")
    def spot(lon: float, lat: float) -> JSONResponse:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ServeError(f"give a WGS84 place: lon -180 to 180, lat -90 to 90, got "
                             f"({lon}, {lat})")
        return _timed(lambda: session.spot(lon, lat))


def _edit_routes(app: FastAPI, s: Session) -> None:
    """Edits, undo and redo: each answers with what changed."""

    @app.post("/api/add")
    def add(r: AddRequest) -> JSONResponse:
        return _timed(lambda: s.add(r.type, r.lon, r.lat, r.name or None, outside=r.outside,
                                    version=r.version))

    @app.post("/api/move")
    def move(r: MoveRequest) -> JSONResponse:
        return _timed(lambda: s.move(r.id, r.lon, r.lat, outside=r.outside,
                                     version=r.version))

    @app.post("/api/close")
    def close(r: IdRequest) -> JSONResponse:
        return _timed(lambda: s.close(r.id, version=r.version))

    @app.post("/api/close_road")
    def close_road(r: RoadRequest) -> JSONResponse:
        return _timed(lambda: s.close_road(r.lon, r.lat, version=r.version))

    @app.post("/api/retype")
    def retype(r: RetypeRequest) -> JSONResponse:
        return _timed(lambda: s.retype(r.id, r.type, version=r.version))

    @app.post("/api/designate")
    def designate(r: DesignateRequest) -> JSONResponse:
        return _timed(lambda: s.designate(r.id, r.role, version=r.version))

    @app.post("/api/undo")
    def undo(r: VersionRequest | None = None) -> JSONResponse:
        return _timed(lambda: s.undo(version=r.version if r else None))

    @app.post("/api/redo")
    def redo(r: VersionRequest | None = None) -> JSONResponse:
        return _timed(lambda: s.redo(version=r.version if r else None))

    @app.post("/api/undo_to")
    def undo_to(r: UndoToRequest) -> JSONResponse:
        return _timed(lambda: s.undo_to(r.steps, version=r.version))

    @app.post("/api/accept")
    def accept(r: ProposalRequest) -> JSONResponse:
        return _timed(lambda: s.accept(r.key, version=r.version))

    @app.post("/api/reject")
    def reject(r: ProposalRequest) -> JSONResponse:
        return _timed(lambda: s.reject(r.key, version=r.version))


def _job_routes(app: FastAPI, s: Session) -> None:
    """Suggestions in the background: start, poll, cancel."""

    @app.post("/api/suggest")
    def suggest(r: SuggestRequest) -> JSONResponse:
        return _timed(lambda: s.start_suggest(r.standard, r.k, r.model, r.type))

    @app.get("/api/job")
    def job(id: int | None = None) -> JSONResponse:
        st = s.jobs.status(id)
        if st.get("error"):
            st["message"] = i18n.error(st["error"], s.language)
        return JSONResponse(st)

    @app.post("/api/job/cancel")
    def cancel(r: JobRequest) -> JSONResponse:
        return JSONResponse(s.jobs.cancel(r.id))


def _file_routes(app: FastAPI, session: Session, out_dir: Path | None, source: str) -> None:
    """Scenario files as text (download, upload, side by side) and exports into ``out_dir``."""

    def parsed(text: str, filename: str) -> Any:
        res = session.need_study("loading a scenario")
        scen = with_type_codes(parse_scenario(text, Path(filename).name or "scenario.toml"),
                               res.study.facilities.type_map)  # 乡镇卫生院 as in files
        apply_scenario(scen, res.facilities, res.standard_set, session.area,  # the CLI's
                       res.study.facilities.outside)  # checks
        return scen

    @app.get("/api/scenario.toml")
    def save(name: str = "workbench", title: str = "") -> Response:
        if not 0 < len(name) <= 80 or len(title) > 300:
            raise ServeError("give a scenario name of 1 to 80 characters and a title of at "
                             "most 300")
        from geo.serve.models import clean_text

        text = session.scenario_text(clean_text(name) or "workbench", clean_text(title),
                                     source)
        disposition = f'attachment; filename="{_download_name(name)}"'
        return Response(text, media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition": disposition})

    @app.post("/api/scenario")
    def load(r: LoadRequest) -> JSONResponse:
        def run() -> dict[str, Any]:
            scen = parsed(r.text, r.filename)
            head = {"name": scen.name, "title": scen.title,
                    "description": scen.description, "left_out": scen.left_out}
            return session.load(scen.actions, head, version=r.version)
        return _timed(run)

    @app.post("/api/compare")
    def side_by_side(r: CompareRequest) -> JSONResponse:
        def run() -> dict[str, Any]:
            out: dict[str, Any] = {"kind": "compare"}
            for key, text, name in (("a", r.a, r.a_name), ("b", r.b, r.b_name)):
                if not text.strip():
                    out[key] = {**session.present(), "name": name}
                    continue
                scen = parsed(text, name)
                out[key] = {**session.tables_of(scen.actions), "name": scen.name,
                            "title": scen.title}
            return out
        return _timed(run)

    @app.post("/api/export")
    def export(r: ExportRequest) -> JSONResponse:
        if out_dir is None:
            raise ServeError("this server has no output folder: start it with "
                             "`geo serve STUDY --out DIR`")
        return _timed(lambda: session.start_export(out_dir, r.name or "workbench", r.title,
                                                   source))
