"""A real workbench server on a free port, per test, on the Luzhai study (computed once
per test session), and a small HTTP client that sends what a browser would."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest

from geo.serve import Session, Workbench
from geo.study.run import ComputedStudy

STUDY_ARG = "analysis/luzhai.toml"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Client:
    """HTTP to the server as a browser on it sends it (``Host`` = the server's address);
    ``host`` / ``origin`` override the headers (DNS rebinding, other sites)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", int(parts.port or 80)

    def send(self, method: str, path: str, body: Any = None, *, host: str | None = None,
             origin: str | None = None, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {"Host": host or f"{self.host}:{self.port}", **(headers or {})}
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        if data is not None:
            headers["Content-Type"] = "application/json"
        if origin:
            headers["Origin"] = origin
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        kind = resp.getheader("content-type", "")
        value: Any = payload
        if "json" in kind:
            value = json.loads(payload)
        elif kind.startswith(("text/", "application/toml")):
            value = payload.decode("utf-8")
        return Reply(resp.status, value, {k.lower(): v for k, v in resp.getheaders()})

    def get(self, path: str, **kw: Any) -> Reply:
        return self.send("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.send("POST", path, {} if body is None else body, **kw)

    def ok(self, path: str, body: Any = None) -> Any:
        """POST that must succeed; its JSON."""
        r = self.post(path, body)
        assert r.status == 200, (path, body, r.status, r.body)
        return r.body

    def job(self, path: str, body: Any = None, timeout_s: float = 300.0) -> dict[str, Any]:
        """Start a background job (suggest, export) and poll it as the page does; its
        last status (``result`` when done, ``error`` when failed)."""
        st = self.ok(path, body)
        assert st["kind"] == "job" and st["state"] == "running", st
        end = time.monotonic() + timeout_s
        while st["state"] == "running" and time.monotonic() < end:
            time.sleep(0.02)
            r = self.get(f"/api/job?id={st['id']}")
            assert r.status == 200, r.body
            st = r.body
        return dict(st)

    def done(self, path: str, body: Any = None) -> Any:
        """A job that must succeed; its result."""
        st = self.job(path, body)
        assert st["state"] == "done", st
        return st["result"]


@dataclass
class Served:
    url: str
    session: Session
    bench: Workbench
    client: Client
    out: Path


@pytest.fixture(scope="session")
def luzhai(luzhai_demo: tuple[ComputedStudy, Path]) -> ComputedStudy:
    return luzhai_demo[0]


@pytest.fixture
def serve(luzhai: ComputedStudy, tmp_path: Path) -> Iterator[Callable[[], Served]]:
    """Start servers (each a fresh session on the study, on a free port); all stopped
    at the end of the test."""
    started: list[Workbench] = []

    def start() -> Served:
        out = tmp_path / f"exports{len(started)}"
        bench = Workbench(Session.from_study(luzhai), port=0, out_dir=out, source=STUDY_ARG)
        started.append(bench)
        url = bench.start()
        return Served(url, bench.session, bench, Client(url), out)

    yield start
    for bench in started:
        bench.stop()


@pytest.fixture
def server(serve: Callable[[], Served]) -> Served:
    return serve()


def assert_exact(session: Session) -> None:
    """Every standard's minutes and nearest facility equal a full rerun (the engine's
    nearest_facility afresh on the open facilities)."""
    engine = session.engine
    for name, state in engine.states.items():
        secs, slot = engine.full_rerun(name)
        np.testing.assert_array_equal(state.seconds, secs, err_msg=name)
        np.testing.assert_array_equal(state.nearest, slot, err_msg=name)
