"""Safe to share (issue 22 item 2), plain HTTP against a real server: a token off
loopback, checked on every request and never logged; framing and foreign scripts
refused by headers on every answer; ``Origin: null`` refused; request bodies bounded
while read (peak memory bounded while a 200 MB body is refused); export names
sanitised, with no orphan file; deeply nested TOML a 4xx with the CLI's message."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from geo.errors import ServeError
from geo.serve import Session, Workbench
from geo.study.run import ComputedStudy
from tests.conftest import ROOT
from tests.serve.conftest import Client, Served
from tests.serve.test_cli import _cli_error, _url


def _client_for(bench: Workbench) -> Client:
    return Client(f"http://127.0.0.1:{bench.port}/")


def test_off_loopback_every_request_needs_the_token(luzhai: ComputedStudy,
                                                    caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    bench = Workbench(Session.from_study(luzhai), host="0.0.0.0", port=0)
    token = bench.token
    assert token and len(token) >= 20 and f"?token={token}" in bench.url
    try:
        bench.start()
        bare = _client_for(bench)
        # a colleague's request naming the loopback host (what slipped through before)
        for path in ("/", "/api/state", "/api/layers", "/static/workbench.js"):
            r = bare.get(path)
            assert r.status == 403 and "access token" in r.body["error"], path
        r = bare.post("/api/close", {"id": "LZ-T01"})
        assert r.status == 403
        assert bare.get(f"/api/state?token={token}x").status == 403
        assert bare.get("/api/state", headers={"X-Geo-Token": "wrong" * 5}).status == 403
        assert all(f.open for f in bench.session.engine.facilities)
        # the printed address: the page, with the token moved into a cookie
        first = bare.get(f"/?token={token}")
        assert first.status == 303 and first.headers["location"] == "/"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        jar = cookie.split(";")[0]
        assert bare.get("/", headers={"Cookie": jar}).status == 200
        assert bare.post("/api/close", {"id": "LZ-T01"}, headers={"Cookie": jar}).status == 200
        assert bare.get("/api/state", headers={"X-Geo-Token": token}).status == 200
    finally:
        bench.stop()
    assert token not in caplog.text  # never logged, refused or not


def test_geo_serve_prints_the_token_and_logs_it_nowhere_else(
        luzhai_demo: tuple[ComputedStudy, Path], tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "import sys; from geo.cli import main; sys.exit(main())",
           "serve", str(luzhai_demo[1]), "--host", "0.0.0.0", "--port", "0", "--no-open",
           "--out", str(tmp_path / "x")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = _url(proc)
        token = url.split("?token=")[1]
        assert len(token) >= 20
        c = Client(url.split("?")[0])
        assert c.get("/api/state").status == 403
        assert c.get("/api/state", headers={"X-Geo-Token": token}).status == 200
        c.post("/api/close", {"id": "LZ-T01"}, headers={"X-Geo-Token": token + "x"})
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert token not in err and token not in out  # printed once (read above), then never


def test_a_token_is_needed_on_loopback_too_when_given(luzhai: ComputedStudy) -> None:
    with pytest.raises(ServeError, match="16 to 200"):
        Workbench(Session.from_study(luzhai), port=0, token="short")
    bench = Workbench(Session.from_study(luzhai), port=0, token="meeting-room-2026-12")
    try:
        bench.start()
        c = _client_for(bench)
        assert c.get("/api/state").status == 403
        assert c.get("/api/state", headers={"X-Geo-Token": "meeting-room-2026-12"}).status == 200
    finally:
        bench.stop()


def test_every_answer_forbids_framing_and_foreign_scripts(server: Served) -> None:
    c = server.client
    for r in (c.get("/"), c.get("/api/state"), c.get("/static/workbench.js"),
              c.get("/nope"), c.post("/api/close", {"id": "LZ-NOPE"}),
              c.get("/", host="evil.example")):
        assert r.headers["x-frame-options"] == "DENY", r.status
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_origin_null_is_refused(server: Served) -> None:
    r = server.client.post("/api/close", {"id": "LZ-T01"}, origin="null")
    assert r.status == 403 and "'null'" in r.body["error"]
    assert all(f.open for f in server.session.engine.facilities)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _send_big(port: int, size: int, chunked: bool) -> bytes:
    """Send a ``size``-byte body (declared, or chunked without a length); the answer."""
    block = b" " * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        head = (f"POST /api/scenario HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json\r\n")
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else \
            f"Content-Length: {size}\r\n\r\n"
        s.sendall(head.encode())
        sent = 0
        try:
            while sent < size:
                if chunked:
                    s.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                else:
                    s.sendall(block)
                sent += len(block)
        except OSError:  # the server answered and closed: it stopped reading
            pass
        s.settimeout(60)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                got = s.recv(65536)
                if not got:
                    break
                answer += got
        except OSError:
            pass
    return answer


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux peak RSS")
def test_a_200_mb_body_is_refused_while_read_with_memory_bounded(server: Served) -> None:
    port = server.client.port
    for chunked in (False, True):
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM)
        before = _peak_mb()
        answer = _send_big(port, 200 << 20, chunked)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert _peak_mb() - before < 64, (chunked, _peak_mb() - before)  # not 200 MB+
    assert b"larger than 8 MB" in answer
    assert server.client.get("/api/state").status == 200  # still serving
    body = json.dumps({"text": "# " + "鹿" * 1_900_000}, ensure_ascii=False).encode()
    ok = server.client.send("POST", "/api/scenario", raw=body)  # 5.7 MB, as a browser sends
    assert ok.status == 200  # a body under the limit is read as before


def test_export_names_are_sanitised_and_a_failed_export_leaves_nothing(
        server: Served, monkeypatch: Any) -> None:
    c = server.client
    r = c.done("/api/export", {"name": "会议\x00方案\x1b[31m\u202e", "title": "a\nb\tc"})
    text = Path(r["scenario"]).read_text(encoding="utf-8")
    assert 'name = "会议 方案 [31m"' in text and 'title = "a b c"' in text
    assert sorted(p.name for p in server.out.iterdir()) == ["export-001", "export-001.toml"]

    def disk_full(*_: Any) -> None:  # the comparison cannot be written (a full disk)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("geo.serve.export.write_comparison", disk_full)
    st = c.job("/api/export", {"name": "again"})
    assert st["state"] == "failed" and "No space left" in st["error"]
    assert sorted(p.name for p in server.out.iterdir()) == ["export-001", "export-001.toml"]
    r = c.get("/api/scenario.toml?name=a%07b")
    assert r.status == 200 and 'name = "a b"' in r.body


def test_deeply_nested_toml_is_a_4xx_with_the_clis_message(
        server: Served, luzhai_demo: tuple[Any, Path], tmp_path: Path, capsys: Any) -> None:
    body = "x = " + "[" * 900 + "]" * 900 + "\n"
    scenario = tmp_path / "nested.toml"
    scenario.write_text(body, encoding="utf-8")
    cli = _cli_error(["compare", str(luzhai_demo[1]), "--scenario", str(scenario), "--out",
                      str(tmp_path / "c")], capsys)
    r = server.client.post("/api/scenario", {"text": body, "filename": "nested.toml"})
    assert r.status == 400 and "nested too deeply" in cli
    assert r.body["error"] == cli.replace(str(scenario), "nested.toml")
    r = server.client.post("/api/scenario", {"text": "[[actions]\n", "filename": "bad.toml"})
    assert r.status == 400 and "not valid TOML" in r.body["error"]


def test_a_refused_request_is_quick(server: Served) -> None:
    """A declared 200 MB body is refused from its header, without reading it."""
    t0 = time.perf_counter()
    conn = socket.create_connection(("127.0.0.1", server.client.port), timeout=30)
    conn.sendall(f"POST /api/add HTTP/1.1\r\nHost: 127.0.0.1:{server.client.port}\r\n"
                 f"Content-Length: {200 << 20}\r\n\r\n".encode())
    answer = conn.recv(4096)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 413") and time.perf_counter() - t0 < 10
