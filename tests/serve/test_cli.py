"""`geo serve` from the command line: it prints its URL, serves the page on localhost,
stops on Ctrl-C with the port released; a busy port is an error naming --port; the
page's errors are the CLI's messages for the same mistake."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from geo.cli import main
from geo.cli.serve import default_out
from geo.errors import ServeError
from geo.serve import Session, Workbench
from geo.study.run import ComputedStudy
from tests.conftest import ROOT
from tests.serve.conftest import Client, Served


def _url(proc: subprocess.Popen[str], timeout_s: float = 180.0) -> str:
    end = time.monotonic() + timeout_s
    assert proc.stdout is not None
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        if "http://" in line:
            return line[line.index("http://"):].strip()
    proc.kill()
    raise AssertionError(f"geo serve printed no URL: {proc.stderr.read() if proc.stderr else ''}")


def test_geo_serve_prints_its_url_and_stops_on_ctrl_c(
        luzhai_demo: tuple[ComputedStudy, Path], tmp_path: Path) -> None:
    run_folder = luzhai_demo[1]  # reloaded, not recomputed
    cmd = [sys.executable, "-c", "import sys; from geo.cli import main; sys.exit(main())",
           "serve", str(run_folder), "--port", "0", "--no-open", "--out", str(tmp_path / "x")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = _url(proc)
        assert url.startswith("http://127.0.0.1:")
        client = Client(url)
        page = client.get("/")
        assert page.status == 200 and "/static/workbench.js" in page.body
        assert client.get("/api/state").body["kind"] == "state"
        assert client.get("/", host="attacker.example").status == 403
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "workbench stopped" in out and "Traceback" not in err
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", client.port))


def test_a_busy_port_is_an_error_naming_the_fix(luzhai: ComputedStudy) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(ServeError, match="--port N"):
            Workbench(Session.from_study(luzhai), port=port)


def test_the_listening_socket_is_tcp_so_answers_are_not_delayed() -> None:
    """asyncio turns Nagle off (TCP_NODELAY) only on connections of a socket made with
    proto IPPROTO_TCP; with proto 0 every answer on a kept-alive connection waited for
    the client's delayed ACK (40 ms: the benchmark showed it)."""
    from geo.serve.server import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        with socket.create_connection(sock.getsockname()):
            conn, _ = sock.accept()
            with conn:
                assert conn.proto == socket.IPPROTO_TCP  # what asyncio checks
    finally:
        sock.close()


def test_exports_go_beside_the_run_folder(tmp_path: Path) -> None:
    assert default_out(tmp_path / "maps" / "luzhai", "luzhai") == tmp_path / "maps" / \
        "luzhai_workbench"
    assert default_out(tmp_path / "run" / "results.gpkg", "x") == tmp_path / "run_workbench"
    assert default_out(Path("analysis/luzhai.toml"), "luzhai") == Path("maps/luzhai_workbench")


def _cli_error(argv: list[str], capsys: Any) -> str:
    assert main(argv) == 2
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error: ")]
    assert len(lines) == 1  # progress lines ("... reload") come before it
    return lines[0].removeprefix("error: ")


def test_the_pages_errors_are_the_clis(server: Served, luzhai_demo: tuple[Any, Path],
                                       tmp_path: Path, capsys: Any) -> None:
    run = str(luzhai_demo[1])
    c = server.client
    cli = _cli_error(["site", run, "--standard", "primary_care_60min", "--out",
                      str(tmp_path / "s")], capsys)
    page = c.post("/api/suggest", {"standard": "primary_care_60min", "k": 1})
    # the same problem and fix; each names the standard as its caller gave it: the
    # command its flag, the page its field
    assert cli.startswith("--standard primary_care_60min is not a standard of this study")
    assert page.status == 400 and page.body["error"] == cli.replace(
        "--standard primary_care_60min", "standard 'primary_care_60min'", 1)
    for body in ('[[actions]]\naction = "close"\nid = "LZ-T99"\n',
                 '[[actions]]\naction = "add"\nid = "A1"\nname = "a"\ntype = "clinic"\n'
                 'lon = 109.7\nlat = 24.5\n',
                 '[[actions]]\naction = "retype"\nid = "LZ-T01"\ntype = "hospital"\n'):
        scenario = tmp_path / "bad.toml"
        scenario.write_text(body, encoding="utf-8")
        cli = _cli_error(["compare", run, "--scenario", str(scenario), "--out",
                          str(tmp_path / "c")], capsys)
        page = c.post("/api/scenario", {"text": body, "filename": "bad.toml"})
        assert page.status == 400 and page.body["error"] == cli
    # an add from the page names a type code (the page offers only codes): the study's
    # check of type codes, as every command checks a --type, with its message
    page = c.post("/api/add", {"type": "clinic", "lon": 109.7, "lat": 24.5})
    assert page.status == 400 and "['clinic'] are not facility type codes" in page.body["error"]
    assert "village_clinic" in page.body["error"]
