"""Many interview sessions at once against one app, in headless Chromium.

    python -m evals.load --sessions 10 [--answers 2] [--time-limit-s 900]

Starts its own app (`streamlit run app.py`) on a free port of 127.0.0.1 with a
data folder in a temporary directory, opens one browser context per session
(each its own Streamlit session and profile), answers questions in all of
them at once, and stops everything. Prints JSON: submit-to-feedback p50/p95,
errors, answers submitted vs stored, cross-talk (an answer or grade of one
session seen in another, in its page or its stored turns) and the app's peak
resident memory. Nothing is downloaded: the browser is Debian's chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Streamlit settings for a server under load, as flags (the repository's
# .streamlit/config.toml is left alone): no file watcher polling the tree.
STREAMLIT_FLAGS = ["--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--server.fileWatcherType", "none"]
ANSWER = ("Retrieval finds the most relevant chunks with embeddings in a vector index, and the "
          "model answers from them, which grounds the answer and reduces hallucination; the "
          "trade-off is extra latency and the cost of keeping the index fresh.")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))  # ceil without floats drifting
    return round(ordered[min(rank, len(ordered)) - 1], 2)


class RssSampler(threading.Thread):
    """Peak resident memory of a process and its children, from /proc."""

    def __init__(self, pid: int, every_s: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.every_s, self.peak_kb = pid, every_s, 0
        self.stop = threading.Event()

    def _tree_rss_kb(self) -> int:
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/status") as fh:
                    total += next(int(line.split()[1]) for line in fh
                                  if line.startswith("VmRSS:"))
                with open(f"/proc/{pid}/task/{pid}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
            except (OSError, StopIteration, ValueError):
                continue  # the process ended meanwhile
        return total

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, self._tree_rss_kb())
            self.stop.wait(self.every_s)


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def prepare_data(data_dir: Path) -> None:
    """An index in the temporary data folder: a copy of the repository's, brought up to date."""
    own = REPO / ".interviewer" / "index"
    if own.exists():
        shutil.copytree(own, data_dir / "index")
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(data_dir))
    subprocess.run([sys.executable, "-m", "interviewer.cli", "index"], cwd=REPO, env=env,
                   check=True, stdout=subprocess.DEVNULL, timeout=1800)


def start_app(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free loopback port; returns it once healthy."""
    port = free_port()
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(data_dir))
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port",
         str(port), "--server.address", "127.0.0.1", *STREAMLIT_FLAGS],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app did not become healthy:\n" + log_path.read_text()[-3000:])


def start_profiler(pid: int, path: str) -> subprocess.Popen | None:
    """py-spy sampling the app into `path` (collapsed stacks), or None without py-spy."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed: no profile", file=sys.stderr)
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "50",
                             "--threads", "--nonblocking", "--output", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def marker(session: int, answer: int) -> str:
    """A tag that makes each submitted answer unique and traceable to its session."""
    return f"LOADTAG-{session:02d}-{answer:02d}"


async def run_session(browser, url: str, sid: int, answers: int, results: dict,
                      timeout_ms: int, profile_name: str | None = None) -> None:
    """One user: own profile, one interview, `answers` answers, each timed to its feedback."""
    context = await browser.new_context(viewport={"width": 1200, "height": 1600})
    page = await context.new_page()
    rec = results.setdefault(sid, {"latencies": [], "submitted": [], "errors": []})
    try:
        await page.goto(url, timeout=timeout_ms)
        profile = page.get_by_role("textbox", name="Profile")
        await profile.fill(profile_name or f"load-{sid:02d}", timeout=timeout_ms)
        await profile.press("Enter")
        await page.get_by_role("button", name="Start new interview").click(timeout=timeout_ms)
        await page.get_by_text("Question 1 of").wait_for(timeout=timeout_ms)
        scores = page.get_by_test_id("stMetric")
        for k in range(answers):
            box = page.get_by_test_id("stChatInputTextArea")
            await box.fill(f"{marker(sid, k)} {ANSWER}", timeout=timeout_ms)
            start = time.monotonic()
            await box.press("Enter")
            rec["submitted"].append(marker(sid, k))
            deadline = start + timeout_ms / 1000
            while await scores.count() < k + 1:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no feedback for answer {k + 1} in {timeout_ms} ms")
                await asyncio.sleep(0.05)
            rec["latencies"].append(time.monotonic() - start)
            # The next answer goes in once the input is enabled again (turn stored).
            await page.wait_for_function(
                "() => { const b = document.querySelector("
                "'[data-testid=stChatInputTextArea]'); return b && !b.disabled; }",
                timeout=timeout_ms)
        text = await page.inner_text("body")
        rec["foreign_in_page"] = sorted(
            {w for w in text.split() if w.startswith("LOADTAG-")
             and not w.startswith(f"LOADTAG-{sid:02d}-")})
        rec["exceptions_in_page"] = await page.get_by_test_id("stException").count()
    except Exception as exc:  # noqa: BLE001 - every session's failure is reported
        rec["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await context.close()


async def drive(url: str, sessions: int, answers: int, timeout_ms: int) -> dict:
    """A warm-up session (not counted), then all sessions at once."""
    from playwright.async_api import async_playwright

    results: dict = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                           headless=True)
        warm: dict = {}
        await run_session(browser, url, 99, 1, warm, timeout_ms, profile_name="warm-up")
        results["warm_up"] = warm[99]
        await asyncio.gather(*(run_session(browser, url, i, answers, results, timeout_ms)
                               for i in range(sessions)))
        await browser.close()
    return results


def stored_answers(db_path: Path) -> dict[str, list[str]]:
    """Answers stored per profile, as markers."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT i.profile, t.answer FROM turns t JOIN interviews i "
                            "ON i.id = t.interview_id WHERE t.answer IS NOT NULL").fetchall()
    finally:
        conn.close()
    out: dict[str, list[str]] = {}
    for profile, answer in rows:
        out.setdefault(profile, []).append(answer.split()[0])
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print its JSON report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--answers", type=int, default=2, help="answers per session")
    p.add_argument("--answer-timeout-s", type=float, default=180,
                   help="longest wait for one feedback before the session counts an error")
    p.add_argument("--time-limit-s", type=float, default=1200,
                   help="the whole run, app start and index check included")
    p.add_argument("--profile", metavar="PATH",
                   help="also sample the app with py-spy (if installed) into PATH, as "
                   "collapsed stacks: where its CPU time goes under this load")
    args = p.parse_args(argv)
    if args.sessions < 1 or args.answers < 1:
        p.error("--sessions and --answers must be at least 1")
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    started = time.monotonic()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="interviewer-load-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        prepare_data(data)
        proc, url = start_app(data, Path(tmp) / "streamlit.log")
        sampler = RssSampler(proc.pid)
        sampler.start()
        spy = start_profiler(proc.pid, args.profile) if args.profile else None
        app_cpu0, (busy0, total0) = process_cpu_s(proc.pid), machine_cpu_s()
        try:
            left = args.time_limit_s - (time.monotonic() - started)
            results = asyncio.run(asyncio.wait_for(
                drive(url, args.sessions, args.answers, int(args.answer_timeout_s * 1000)),
                timeout=max(left, 1)))
        finally:
            app_cpu = process_cpu_s(proc.pid) - app_cpu0
            busy, total = (a - b for a, b in zip(machine_cpu_s(), (busy0, total0)))
            if spy is not None:
                spy.send_signal(2)  # SIGINT: py-spy writes what it has and exits
                spy.wait(timeout=60)
            sampler.stop.set()
            sampler.join()
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log_text = (Path(tmp) / "streamlit.log").read_text(errors="replace")
        stored = stored_answers(data / "interviewer.db")
    warm = results.pop("warm_up")
    latencies = [x for r in results.values() for x in r["latencies"]]
    submitted = sum(len(r["submitted"]) for r in results.values())
    stored_count = sum(len(v) for k, v in stored.items() if k.startswith("load-"))
    cross_db = sum(1 for profile, tags in stored.items() if profile.startswith("load-")
                   for tag in tags if not tag.startswith(f"LOADTAG-{profile[5:]}-"))
    cross_page = sum(len(r.get("foreign_in_page", [])) for r in results.values())
    errors = [f"session {sid}: {e}" for sid, r in sorted(results.items()) for e in r["errors"]]
    errors += [f"session {sid}: {r['exceptions_in_page']} exception(s) shown"
               for sid, r in sorted(results.items()) if r.get("exceptions_in_page")]
    report = {
        "sessions": args.sessions, "answers_per_session": args.answers,
        "submit_to_feedback_s": {
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "max": round(max(latencies), 2) if latencies else None,
            "mean": round(statistics.fmean(latencies), 2) if latencies else None,
            "n": len(latencies)},
        "warm_up_answer_s": [round(x, 2) for x in warm["latencies"]],
        "errors": errors, "tracebacks_in_app_log": log_text.count("Traceback"),
        "answers_submitted": submitted, "answers_stored": stored_count,
        "stored_equals_submitted": submitted == stored_count,
        "cross_talk": cross_db + cross_page,
        "app_peak_rss_mb": round(sampler.peak_kb / 1024, 1),
        # Where the CPU went while the browsers ran: the app, or everything else
        # (the browsers themselves and whatever else the machine was doing).
        "cpu_s": {"app": round(app_cpu, 1), "machine_busy": round(busy, 1),
                  "machine_capacity": round(total, 1)},
        "cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        "wall_s": round(time.monotonic() - started, 1),
    }
    print(json.dumps(report, indent=2))
    ok = not errors and submitted == stored_count and report["cross_talk"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
