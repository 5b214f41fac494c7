"""Benchmark: the workbench (geo serve) per edit, over HTTP and in the browser.

``make bench`` runs this. Three cases, each with the load average (``uptime``) at its
start and end:

* ``luzhai-http``: the embedded study in a real server (geo.serve.Workbench on a free
  port, the session of ``geo serve analysis/luzhai.toml``); ``--edits`` random edits
  sent as the page sends them (JSON over one keep-alive HTTP connection): add 30 %, move
  25 %, close 15 %, retype 15 %, designate 5 %, undo 5 %, redo 5 %. Timed per request
  from sending it to having decoded the answer (every standard updated, the township
  tables and the changed cells in it). Target (issue 14): under 50 ms.
* ``grid1m-http``: the same on the synthetic 1,000 x 1,000-node road grid of
  bench_whatif.py (200,000 demand points, 1,000 facilities, three standards) behind the
  same server (a session without a study: no page layers, same edits). Target: under 1 s.
* ``luzhai-jobs``: what a meeting waits for (issue 22), over HTTP as the page asks:
  site suggestions (MCLP, LSCP, p-median; k = 1, 3, 5; the page's two first standards),
  each from the request to the background job's answer polled every 20 ms (targets:
  under 1 s for MCLP and LSCP, under 2 s for p-median), after the session's candidates
  and reach matrices were made once (timed apart: the server makes them in the
  background when it starts); a scenario load (planned_2025.toml; target under 300 ms);
  an export (the request's answer, the page free again, and the job's end; target under
  1 s, or in the background). Baselines, measured in the same run: the suggestions on
  ``main``'s code (``--baseline-ref``: its ``geo/`` from ``git archive``, with the
  compiled kernels of this checkout, in a subprocess on the same machine: the same
  session, candidates and matrices made once, each suggestion through
  ``Session.suggest``, i.e. without HTTP), and round one's paths for the rest: a load as
  a fresh engine (``from_study``) with the actions applied, and the export's work done
  in the foreground (``write_export``).
* ``luzhai-browser``: the page in Debian's Chromium (Playwright, as the tests): a click
  on the map in "add" mode, then a click on "undo", repeated; timed in the page from the
  click event to the task after the frame that draws the updated table, and from
  Playwright (the click sent to the update seen). Target: under 300 ms.

After the HTTP cases the state is compared with a full rerun of every standard (exact).
Results: benchmarks/results/serve.json and serve.md.

    python benchmarks/bench_serve.py                         # all four
    python benchmarks/bench_serve.py --cases luzhai-http --edits 100
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_whatif import draw_edit, rerun_all  # noqa: E402  (the same edits as the engine's)

CHROMIUM = Path(os.environ.get("GEO_CHROMIUM", "/usr/bin/chromium"))


class Http:
    """One keep-alive connection to the server, as a browser holds one."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].rstrip("/").split(":")
        self.host = f"{host}:{port}"
        self.connect()

    def connect(self) -> None:
        host, port = self.host.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=600)
        self.conn.connect()
        # http.client sends the headers and the body in two writes: without TCP_NODELAY
        # (which browsers set) the body waits for the server's delayed ACK, 40 ms
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        """Send one request; a connection the server closed after 5 s idle (uvicorn's
        keep-alive) is opened again, as a browser does."""
        for again in (False, True):
            try:
                self.conn.request(method, path, body=body,
                                  headers={"Host": self.host, **(headers or {})})
                return self.conn.getresponse()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                if again:
                    raise
                self.conn.close()
                self.connect()
        raise AssertionError("unreachable")

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        r = self.request("POST", path, json.dumps(body).encode("utf-8"),
                         {"Content-Type": "application/json"})
        return r.status, json.loads(r.read())

    def get(self, path: str) -> dict[str, Any]:
        r = self.request("GET", path)
        body = json.loads(r.read())
        if r.status != 200:
            raise SystemExit(f"GET {path}: {r.status} {body}")
        return dict(body)

    def job(self, path: str, body: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
        """Start a background job; seconds to the request's answer and to the job's end
        (polled every 20 ms, as the page polls), and its last status."""
        t0 = time.perf_counter()
        status, st = self.post(path, body)
        answered = time.perf_counter() - t0
        if status != 200:
            raise SystemExit(f"{path} {body}: {status} {st}")
        while st["state"] == "running":
            time.sleep(0.02)
            st = self.get(f"/api/job?id={st['id']}")
        if st["state"] != "done":
            raise SystemExit(f"{path} {body}: the job {st['state']}: {st.get('error')}")
        return answered, time.perf_counter() - t0, st


def _stats(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    return {"n": len(v), "median_ms": statistics.median(v),
            "p90_ms": v[min(len(v) - 1, int(0.9 * len(v)))], "max_ms": v[-1]}


def http_case(name: str, edits: int) -> dict[str, Any]:
    from geo.serve import Session, Workbench

    load0 = os.getloadavg()
    t0 = time.perf_counter()
    if name == "luzhai-http":
        from geo.study.run import run_study

        result = run_study(ROOT / "analysis" / "luzhai.toml")
        session = Session.from_study(result)
        types, place = _luzhai_sampler(result)
        move_deg = 0.02
    else:
        from bench_whatif import grid_case

        engine, types, place = grid_case()
        session = Session(engine, np.full(len(engine.code), 50.0), area_name="grid")
        move_deg = 0.03
    bench = Workbench(session, port=0)
    url = bench.start()
    build_s = time.perf_counter() - t0
    client = Http(url)
    rng = np.random.default_rng(14)
    wall: dict[str, list[float]] = {}
    server: list[float] = []
    changed: list[int] = []
    for _ in range(edits):
        kind, body = draw_edit(session.engine, rng, types, place, move_deg)
        path = f"/api/{kind}"
        t1 = time.perf_counter()
        status, reply = client.post(path, body)
        dt = 1e3 * (time.perf_counter() - t1)
        if status != 200:
            raise SystemExit(f"{path} {body}: {status} {reply}")
        wall.setdefault(kind, []).append(dt)
        server.append(reply["server_ms"])
        changed.append(sum(len(c["idx"]) for c in reply["cells"].values()))
    exact = rerun_all(session.engine)[1]
    bench.stop()
    every = [t for v in wall.values() for t in v]
    return {"case": name, "demand_points": len(session.engine.code),
            "nodes": {m: n.n_nodes for m, n in session.engine.networks.items()},
            "facilities_at_start": len(session.start), "standards": list(session.engine.states),
            "build_s": build_s, "per_kind": {k: _stats(v) for k, v in sorted(wall.items())},
            "all": _stats(every), "server_side": _stats(server),
            "changed_points_median": float(statistics.median(changed)),
            "equal_to_full_rerun": exact, "load_start": load0, "load_end": os.getloadavg()}


#: what the subprocess of :func:`main_baseline` runs, with ``main``'s geo on its path
_BASELINE = """
import json, statistics, sys, time
from pathlib import Path
from geo.serve import Session
from geo.study.run import run_study
repeats = int(sys.argv[1])
result = run_study(Path("analysis/luzhai.toml"))
session = Session.from_study(result)
t0 = time.perf_counter()
session.suggester.warm(("mclp", "pmedian")).join()
rows = {"matrices_once_s": time.perf_counter() - t0, "suggest": []}
for std in [s.name for s in result.standards[:2]]:
    for model in ("mclp", "lscp", "pmedian"):
        for k in (1, 3, 5):
            times = []
            for _ in range(repeats):
                t1 = time.perf_counter()
                r = session.suggest(std, k, model)
                times.append(time.perf_counter() - t1)
            n = r["suggest_notes"]
            rows["suggest"].append({"standard": std, "model": model, "k": k,
                                    "median_s": statistics.median(times),
                                    "status": n["status"], "gap": n["gap"]})
print(json.dumps(rows))
"""


def main_baseline(ref: str, repeats: int) -> dict[str, Any]:
    """Time the suggestions on ``ref``'s code, in a subprocess (see the module docs)."""
    import shutil
    import subprocess
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-base-"))
    try:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "geo", "analysis",
                              "data"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=tar, check=True)
        for so in (ROOT / "geo").rglob("*.so"):  # the kernels, as built here
            shutil.copy2(so, tmp / so.relative_to(ROOT))
        (tmp / "baseline.py").write_text(_BASELINE, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(tmp)}
        out = subprocess.run([sys.executable, "baseline.py", str(repeats)], cwd=tmp, env=env,
                             check=True, capture_output=True, text=True).stdout
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", ref],
                             check=True, capture_output=True, text=True).stdout.strip()
        return {"ref": ref, "commit": rev, **json.loads(out.strip().splitlines()[-1])}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def jobs_case(repeats: int, baseline_ref: str | None = "main") -> dict[str, Any]:
    import tempfile

    from geo.planning.scenario import apply_scenario, load_scenario
    from geo.serve import Session, Workbench
    from geo.serve.changes import apply_actions
    from geo.serve.export import write_export
    from geo.study.run import run_study
    from geo.whatif import from_study

    load0 = os.getloadavg()
    result = run_study(ROOT / "analysis" / "luzhai.toml")
    session = Session.from_study(result)
    out_dir = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    bench = Workbench(session, port=0, out_dir=out_dir, source="analysis/luzhai.toml")
    url = bench.start()
    client = Http(url)
    t0 = time.perf_counter()
    session.suggester.warm(("mclp", "pmedian")).join()
    warm_s = time.perf_counter() - t0
    standards = [s.name for s in result.standards[:2]]
    rows: list[dict[str, Any]] = []
    for std in standards:
        for model in ("mclp", "lscp", "pmedian"):
            for k in (1, 3, 5):
                times: list[float] = []
                st: dict[str, Any] = {}
                for _ in range(repeats):
                    _, done, st = client.job("/api/suggest", {"standard": std, "k": k,
                                                              "model": model})
                    times.append(done)
                notes = st["result"]["suggest_notes"]
                rows.append({"standard": std, "model": model, "k": k,
                             "median_s": statistics.median(times), "max_s": max(times),
                             "sites": notes["sites"], "status": notes["status"],
                             "gap": notes["gap"]})
    scen_path = ROOT / "analysis" / "scenarios" / "planned_2025.toml"
    text = scen_path.read_text(encoding="utf-8")
    loads = []
    for _ in range(3 * repeats):
        t1 = time.perf_counter()
        status, reply = client.post("/api/scenario", {"text": text,
                                                      "filename": scen_path.name})
        loads.append(time.perf_counter() - t1)
        if status != 200:
            raise SystemExit(f"load: {status} {reply}")
    base_loads = []
    for _ in range(repeats):  # round one: parse, check, a fresh engine, the actions
        t1 = time.perf_counter()
        scen = load_scenario(scen_path)
        apply_scenario(scen, result.facilities, result.standard_set, session.area,
                       result.study.facilities.outside)
        apply_actions(from_study(result), scen.actions, {})
        base_loads.append(time.perf_counter() - t1)
    exact = rerun_all(session.engine)[1]
    answers, ends = [], []
    for _ in range(repeats):
        answered, done, _ = client.job("/api/export", {"name": "bench"})
        answers.append(answered)
        ends.append(done)
    base_exports = []
    for i in range(repeats):  # the export's work in the foreground, as round one did it
        text_now = session.scenario_text(f"base{i}", "", "analysis/luzhai.toml")
        t1 = time.perf_counter()
        write_export(result, out_dir / "base", text_now, session.tables(),
                     "analysis/luzhai.toml")
        base_exports.append(time.perf_counter() - t1)
    bench.stop()
    base = main_baseline(baseline_ref, repeats) if baseline_ref else None
    if base is not None:
        theirs = {(b["standard"], b["model"], b["k"]): b for b in base["suggest"]}
        for row in rows:
            row["baseline"] = theirs.get((row["standard"], row["model"], row["k"]))
    return {"case": "luzhai-jobs", "repeats": repeats, "matrices_once_s": warm_s,
            "suggest": rows, "baseline": None if base is None else
            {k: v for k, v in base.items() if k != "suggest"},
            "load": {"scenario": scen_path.name, "median_s": statistics.median(loads),
                     "max_s": max(loads), "baseline_median_s": statistics.median(base_loads)},
            "export": {"answer_median_s": statistics.median(answers),
                       "done_median_s": statistics.median(ends), "max_s": max(ends),
                       "baseline_median_s": statistics.median(base_exports)},
            "equal_to_full_rerun": exact, "load_start": load0, "load_end": os.getloadavg()}


def _luzhai_sampler(result: Any) -> tuple[list[str], Callable[[np.random.Generator],
                                                               tuple[float, float]]]:
    pts = result.demand.geometry
    lonlat = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    types = sorted({t for s in result.standards for t in s.facility_types})

    def place(rng: np.random.Generator) -> tuple[float, float]:
        x, y = lonlat[rng.integers(len(lonlat))]
        return float(x), float(y)

    return types, place


def browser_case(rounds: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from geo.serve import Session, Workbench
    from geo.study.run import run_study

    if not CHROMIUM.is_file():
        return {"case": "luzhai-browser", "skipped": f"{CHROMIUM} missing"}
    load0 = os.getloadavg()
    result = run_study(ROOT / "analysis" / "luzhai.toml")
    bench = Workbench(Session.from_study(result), port=0)
    url = bench.start()
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    rng = np.random.default_rng(14)
    pts = result.demand.geometry
    page_ms: dict[str, list[float]] = {"add (map click)": [], "undo (button)": []}
    wall_ms: dict[str, list[float]] = {"add (map click)": [], "undo (button)": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        ctx = browser.new_context(viewport={"width": 1366, "height": 768})
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url.rstrip("/"))
                  else r.abort("internetdisconnected"))
        page = ctx.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", state="attached")
        page.wait_for_timeout(500)
        box = page.locator("#map").bounding_box()
        assert box is not None

        def timed(kind: str, click: Callable[[], None]) -> None:
            v = int(page.evaluate("document.body.dataset.version"))
            t1 = time.perf_counter()
            click()
            # polled from here: wait_for_function evals in the page, which its CSP refuses
            while int(page.evaluate("document.body.dataset.version")) <= v:
                time.sleep(0.001)
            wall_ms[kind].append(1e3 * (time.perf_counter() - t1))
            page_ms[kind].append(float(page.evaluate("window.wbClickToTable")))

        for _ in range(rounds + 3):  # the first three warm up
            i = int(rng.integers(len(pts)))
            xy = page.evaluate("([lat, lon]) => { var q = window.geoWorkbench.map."
                               "latLngToContainerPoint([lat, lon]); return [q.x, q.y]; }",
                               [float(pts.y.iloc[i]), float(pts.x.iloc[i])])
            x, y = box["x"] + xy[0], box["y"] + xy[1]
            hit = page.evaluate(f"(() => {{ var e = document.elementFromPoint({x}, {y}); "
                                "return !!e && !!e.closest('#map') && !e.closest("
                                "'.leaflet-marker-icon, .leaflet-control'); })()")
            if not hit:  # outside the map, or on a marker or a control: not a map click
                continue
            page.click("#add-btn")
            timed("add (map click)", lambda: page.mouse.click(x, y))  # noqa: B023
            timed("undo (button)", lambda: page.click("#undo"))
        browser.close()
    bench.stop()
    return {"case": "luzhai-browser", "in_page": {k: _stats(v[3:]) for k, v in page_ms.items()},
            "playwright_wall": {k: _stats(v[3:]) for k, v in wall_ms.items()},
            "load_start": load0, "load_end": os.getloadavg()}


def _load(r: dict[str, Any]) -> str:
    a, b = r["load_start"], r["load_end"]
    return (f"{r.get('date', '')}, load average {a[0]:.2f} at start, {b[0]:.2f} at end "
            f"({os.cpu_count()} cores)")


def _jobs_markdown(r: dict[str, Any]) -> list[str]:
    def ok(s: float, target: float) -> str:
        return f"**{s:.2f}**" + ("" if s < target else " (over)")

    bl = r.get("baseline")
    base_name = (f"{bl['ref']} ({bl['commit']}; matrices made in {bl['matrices_once_s']:.1f} s)"
                 if bl else "none")
    lines = [f"**{r['case']}** ({_load(r)}; median of {r['repeats']} per question): the "
             f"session's candidates and reach matrices made once in {r['matrices_once_s']:.1f}"
             " s (in the background at start)", "",
             "| standard | model | k | sites | answer s | max s | target s | status, gap | "
             f"baseline s: {base_name} | its status, gap |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for x in r["suggest"]:
        target = 2.0 if x["model"] == "pmedian" else 1.0
        b = x.get("baseline")
        base = ("| |" if not b else
                f"| {b['median_s']:.2f} | {b['status']}, {100 * b['gap']:.2f} % |")
        lines.append(f"| {x['standard']} | {x['model']} | {x['k']} | {x['sites']} | "
                     f"{ok(x['median_s'], target)} | {x['max_s']:.2f} | {target:g} | "
                     f"{x['status']}, {100 * x['gap']:.2f} % {base}")
    ld, ex = r["load"], r["export"]
    lines += ["", "| step | median s | max s | target s | baseline s (round one) |",
              "|---|---|---|---|---|",
              f"| load {ld['scenario']} | {ok(ld['median_s'], 0.3)} | {ld['max_s']:.2f} | 0.3 |"
              f" {ld['baseline_median_s']:.2f} |",
              f"| export: the request answered (page free) | "
              f"{ok(ex['answer_median_s'], 1.0)} | | 1 | |",
              f"| export: the job done (in the background, with progress) | "
              f"{ex['done_median_s']:.2f} | {ex['max_s']:.2f} | (background) | "
              f"{ex['baseline_median_s']:.2f} (in the foreground) |", "",
              "State equal to a full rerun after the loads: "
              f"{'yes' if r['equal_to_full_rerun'] else 'NO'}", ""]
    return lines


def markdown(records: list[dict[str, Any]]) -> str:
    lines = []
    for r in records:
        if r["case"] == "luzhai-jobs":
            lines += _jobs_markdown(r)
            continue
        if "skipped" in r:
            lines += [f"**{r['case']}**: skipped ({r['skipped']})", ""]
            continue
        if r["case"] == "luzhai-browser":
            lines += [f"**{r['case']}** ({_load(r)}): click to updated table", "",
                      "| action | n | in page median ms | p90 | max | Playwright median ms |",
                      "|---|---|---|---|---|---|"]
            for k, v in r["in_page"].items():
                w = r["playwright_wall"][k]
                lines.append(f"| {k} | {v['n']} | **{v['median_ms']:.1f}** | "
                             f"{v['p90_ms']:.1f} | {v['max_ms']:.1f} | {w['median_ms']:.1f} |")
            lines.append("")
            continue
        nodes = ", ".join(f"{m} {n:,}" for m, n in r["nodes"].items())
        lines += [f"**{r['case']}** ({_load(r)}): network nodes {nodes}; "
                  f"{r['demand_points']:,} demand points, {r['facilities_at_start']:,} "
                  f"facilities, standards {', '.join(r['standards'])}; server up in "
                  f"{r['build_s']:.1f} s", "",
                  "| edit | n | median ms | p90 ms | max ms |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {v['n']} | {v['median_ms']:.1f} | {v['p90_ms']:.1f} | "
                  f"{v['max_ms']:.1f} |" for k, v in r["per_kind"].items()]
        a, s = r["all"], r["server_side"]
        lines += [f"| **every edit (HTTP round trip)** | {a['n']} | **{a['median_ms']:.1f}** | "
                  f"{a['p90_ms']:.1f} | **{a['max_ms']:.1f}** |",
                  f"| inside the server | {s['n']} | {s['median_ms']:.1f} | {s['p90_ms']:.1f} "
                  f"| {s['max_ms']:.1f} |", "",
                  f"Median changed demand points per answer (all standards): "
                  f"{r['changed_points_median']:,.0f}; state equal to a full rerun after the "
                  f"edits: {'yes' if r['equal_to_full_rerun'] else 'NO'}", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cases = ["luzhai-http", "grid1m-http", "luzhai-jobs", "luzhai-browser"]
    ap.add_argument("--cases", nargs="+", default=cases, choices=cases)
    ap.add_argument("--edits", type=int, default=None,
                    help="edits per HTTP case (300 on luzhai, 100 on grid1m)")
    ap.add_argument("--rounds", type=int, default=30, help="add + undo rounds in the browser")
    ap.add_argument("--baseline-ref", default="main",
                    help="git ref whose suggestions are timed as the baseline (luzhai-jobs); "
                    "'' for none")
    ap.add_argument("--repeats", type=int, default=3,
                    help="times each suggestion, load and export is asked (luzhai-jobs)")
    args = ap.parse_args()
    records = []
    for case in args.cases:
        if case == "luzhai-browser":
            records.append(browser_case(args.rounds))
        elif case == "luzhai-jobs":
            records.append(jobs_case(args.repeats, args.baseline_ref or None))
        else:
            records.append(http_case(case, args.edits or (300 if case == "luzhai-http"
                                                          else 100)))
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in records:
        r["date"] = r.get("date", now)
    # the cases not run this time keep their last results (each with its date and load)
    old = RESULTS / "serve.json"
    kept = []
    if old.is_file():
        before = json.loads(old.read_text(encoding="utf-8"))
        ran = {r["case"] for r in records}
        kept = [{**r, "date": r.get("date", before.get("date"))} for r in before["cases"]
                if r["case"] not in ran]
    records = [r for c in cases for r in [*kept, *records] if r["case"] == c]
    out = {"python": sys.version.split()[0], "machine": platform.machine(),
           "cores": os.cpu_count(), "date": now, "peak_rss_mb": peak, "cases": records}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serve.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    md = markdown(records) + f"Peak resident memory of the last run {peak:,.0f} MB.\n"
    (RESULTS / "serve.md").write_text(md, encoding="utf-8")
    print(md)
    if not all(r.get("equal_to_full_rerun", True) for r in records):
        sys.exit("the workbench's state differed from a full rerun")


if __name__ == "__main__":
    main()
