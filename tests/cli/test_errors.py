"""One error path: every advised option or flag exists; errors are plain text on stderr
with exit 2; Ctrl-C ends with one line, exit 130 and no staging folder."""

from __future__ import annotations

import argparse
import ast
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from geo.cli.main import main, parser
from tests.conftest import DATA, ROOT
from tests.messages import named_flags, named_options, real_flags, study_keys

GEO = ROOT / "geo"


def _texts() -> list[tuple[str, str]]:
    """Every string constant in geo/ (f-string pieces included), with its file."""
    out = []
    for f in GEO.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append((node.value, str(f.relative_to(ROOT))))
    return out


def test_every_flag_a_message_names_exists() -> None:
    named = {(flag, f) for text, f in _texts() for flag in named_flags(text)}
    assert named, "the scan found nothing: the pattern is broken"
    missing = sorted((flag, f) for flag, f in named if flag not in real_flags())
    assert not missing, f"messages advise flags the CLI does not have: {missing}"


def test_every_study_option_a_message_names_exists() -> None:
    named = [(sec, key, f) for text, f in _texts() for sec, key in named_options(text)]
    assert len(named) > 10, "the scan found too little: the pattern is broken"
    missing = sorted((s, k, f) for s, k, f in named if k not in study_keys()[s])
    assert not missing, f"messages advise study options that do not exist: {missing}"


def _facilities_with(tmp_path: Path, fid: str) -> Path:
    df = pd.read_csv(DATA / "facilities" / "facilities_luzhai.csv", dtype=str)
    df.loc[df["id"] == "LZ-T01", "id"] = fid
    df.loc[df["id"] == "LZ-T02", "id"] = fid  # a duplicate: the message quotes the id
    path = tmp_path / "fac.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    return path


def _study(tmp_path: Path, **facilities: str) -> Path:
    text = (ROOT / "analysis" / "luzhai.toml").read_text(encoding="utf-8")
    text = text.replace('"../', f'"{ROOT.as_posix()}/').replace(
        'file = "standards.toml"', f'file = "{(ROOT / "analysis" / "standards.toml").as_posix()}"')
    for k, v in facilities.items():
        text = re.sub(rf"^{k} = .*$", f'{k} = "{v}"', text, flags=re.M)
    p = tmp_path / "study.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("fid", ["[/]", "[bold red]x[/bold red]", "[townships]"])
def test_user_text_is_printed_as_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    fid: str) -> None:
    study = _study(tmp_path, path=str(_facilities_with(tmp_path, fid)))
    assert main(["run", str(study), "--out", str(tmp_path / "o")]) == 2
    got = capsys.readouterr()
    assert got.out == ""  # results only on stdout; errors on stderr
    last = got.err.strip().splitlines()[-1]  # progress lines come before it
    assert last.startswith("error: ") and fid in last
    assert "Traceback" not in got.err
    assert not (tmp_path / "o").exists()


def test_section_names_survive_in_messages(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "s.toml"
    p.write_text("[area]\nboundary = 'a'\n[facilities]\npath = 'f'\n[roads]\npath = 'r'\n"
                 "[standards]\nuse = ['emergency_1h']\n[population]\ntotal = 5\n[townships]\n",
                 encoding="utf-8")
    assert main(["run", str(p), "--out", str(tmp_path / "o")]) == 2
    assert "the [townships] section needs" in capsys.readouterr().err


def test_ctrl_c_removes_staging_and_keeps_the_earlier_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "map.html").write_text("earlier good map", encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "geo.cli.main", "run", str(ROOT / "analysis" / "luzhai.toml"),
         "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    # interrupt while the outputs are being written (the staging folder exists)
    while time.monotonic() < deadline and proc.poll() is None:
        if [p for p in tmp_path.iterdir() if "staging" in p.name]:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout, stderr)
    assert stderr.strip().splitlines()[-1].startswith("interrupted:")
    assert "Traceback" not in stderr
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]
    assert sorted(p.name for p in out.iterdir()) == ["map.html"]
    assert (out / "map.html").read_text(encoding="utf-8") == "earlier good map"


_CTRL_C_IN_THE_FORK = """
import inspect, os, signal, sys
def hit():  # Ctrl-C while the figures' drawing processes fork (inside the fork's own handlers)
    if any(f.function == "start_figures" for f in inspect.stack()):
        os.kill(os.getpid(), signal.SIGINT)
os.register_at_fork(after_in_parent=hit)
from geo.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_while_the_figures_fork_stops_the_run(tmp_path: Path) -> None:
    # a Ctrl-C that lands inside the fork's handlers (logging's lock release) was swallowed
    # there ("Exception ignored") and the run wrote everything with exit 0; held during the
    # fork, it arrives after it and stops the run
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: the figures are drawn without forking")
    out = tmp_path / "out"
    out.mkdir()
    (out / "map.html").write_text("earlier good map", encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", _CTRL_C_IN_THE_FORK, "run",
                          str(ROOT / "analysis" / "luzhai.toml"), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 130, run.stderr[-3000:]
    assert "Exception ignored" not in run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["map.html"]
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]


def test_every_command_has_help_for_every_option() -> None:
    def walk(p: argparse.ArgumentParser, name: str) -> None:
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for sub_name, sub in a.choices.items():
                    walk(sub, f"{name} {sub_name}")
            elif a.dest != "help":
                assert a.help, f"{name}: {a.option_strings or a.dest} has no help text"
    walk(parser(), "geo")


def test_a_second_run_into_a_busy_folder_stops_before_computing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom geo.outputs.folder import output_lock\n"
         "with output_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)\n",
         str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        assert main(["run", str(ROOT / "analysis" / "luzhai.toml"), "--out", str(out)]) == 2
        assert time.monotonic() - t0 < 30  # refused at once, not after the whole study
        err = capsys.readouterr().err
        assert "another geo run is writing" in err and f"pid {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
