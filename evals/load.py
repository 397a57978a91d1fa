"""Many interview sessions at once against one app, or several replicas, in headless Chromium.

    python -m evals.load --sessions 10 [--answers 2] [--time-limit-s 900]
    python -m evals.load --replicas 2 --sessions 20 [--answers 3] [--no-kill]

With --replicas N (2 or more) the replicas share a throwaway PostgreSQL
cluster and a `chroma run` server (evals/services.py), every profile is an
account with a passphrase, sessions are spread over the replicas, and halfway
through (as soon as one of its sessions has half its answers graded) the first
replica is killed with SIGKILL.
Its sessions then reload on another replica, as a proxy would send them, and
carry on: the report says how many moved, whether each found its interview
and answers there, and whether anything was lost.

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


def start_app(data_dir: Path, log_path: Path,
              extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free loopback port; returns it once healthy."""
    port = free_port()
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(data_dir), **(extra_env or {}))
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


PASSPHRASE = "load test passphrase"
# Seconds a moved session waits for its last answer to be regraded on the new
# replica before concluding it never arrived (a regrade takes 1-3 s here).
RESEND_AFTER_S = 15
# Longest single browser step (typing, pressing Enter) before the session checks
# again whether its replica is still alive.
STEP_MS = 5000


class Failover:
    """The replicas, and which one was killed (set once, halfway)."""

    def __init__(self, urls: list[str], kill=None, answers: int = 0):
        self.urls = urls
        self.victim: int | None = None
        self.interrupted: list[int] = []
        self.killed = asyncio.Event()
        self.kill = kill
        # The first replica dies as soon as one of its sessions has this many
        # answers graded and more to give.
        self.kill_after = max(1, answers // 2)
        self.armed = False  # set once the warm-up sessions are done

    def graded(self, url: str, graded: int, answers: int, results: dict) -> None:
        """Called the moment a session's answer is graded: maybe kill the first replica.

        It runs before that session sends its next answer, so the session is
        surely mid-interview when its replica dies. A killer polling the count
        of graded answers instead could fire just after a session's last answer
        was graded and before the session noticed: counted interrupted, it had
        nothing left to resume (seen once on a slow machine).
        """
        if not self.armed or self.kill is None or self.killed.is_set() \
                or url != self.urls[0] or not self.kill_after <= graded < answers:
            return
        self.interrupted = [sid for sid, rec in results.items() if isinstance(sid, int)
                            and rec.get("replica") == url and not rec.get("done")]
        self.kill(0)
        self.victim = 0
        self.killed.set()

    def live_after(self, url: str) -> str:
        """Where a proxy sends a candidate whose replica died: the next live one."""
        i = self.urls.index(url)
        return self.urls[(i + 1) % len(self.urls)]

    def dead(self, url: str) -> bool:
        """Whether this replica was killed."""
        return self.killed.is_set() and self.victim is not None and \
            self.urls[self.victim] == url


async def sign_in(page, profile_name: str, accounts: bool, timeout_ms: int) -> None:
    """Type the profile name; on a shared deployment, create it with a passphrase."""
    profile = page.get_by_role("textbox", name="Profile")
    await profile.fill(profile_name, timeout=timeout_ms)
    await profile.press("Enter")
    if accounts:
        await page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE, timeout=timeout_ms)
        await page.get_by_label("Passphrase again").fill(PASSPHRASE, timeout=timeout_ms)
        await page.get_by_role("button", name="Create profile").click(timeout=timeout_ms)


async def run_session(browser, url: str, sid: int, answers: int, results: dict,
                      timeout_ms: int, profile_name: str | None = None,
                      failover: Failover | None = None) -> None:
    """One user: own profile, one interview, `answers` answers, each timed to its feedback.

    With `failover`, a session whose replica is killed reloads its page (same
    URL path and sign-in token) on the next replica and goes on there.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context = await browser.new_context(viewport={"width": 1200, "height": 1600})
    page = await context.new_page()
    rec = results.setdefault(sid, {"latencies": [], "submitted": [], "errors": [],
                                   "replica": url})
    scores = page.get_by_test_id("stMetric")
    box = page.get_by_test_id("stChatInputTextArea")

    async def move() -> None:
        nonlocal url
        target = failover.live_after(url)
        await page.goto(target + page.url[len(url):], timeout=timeout_ms)
        url = target
        rec["moved_to"] = target
        await box.wait_for(timeout=timeout_ms)

    async def wait_for(condition, what: str, resend: str | None = None) -> None:
        deadline = time.monotonic() + timeout_ms / 1000
        moved_at = None
        while not await condition():
            if failover and failover.dead(url):
                await move()
                moved_at = time.monotonic()
                continue
            # An answer sent just as its replica died may never have reached it:
            # then the page on the new replica neither shows it nor grades it, and
            # the candidate sends it again (counted: nothing was stored, or shown).
            if resend and moved_at and time.monotonic() - moved_at > RESEND_AFTER_S \
                    and await enabled() and resend.split()[0] not in await page.inner_text(
                        "body"):
                await send(resend)
                rec["resent"] = rec.get("resent", 0) + 1
                moved_at = time.monotonic()
                continue
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} after {timeout_ms} ms")
            await asyncio.sleep(0.05)

    async def enabled() -> bool:
        return await box.count() > 0 and await box.is_enabled()

    async def send(text: str) -> float:
        # In short steps: a page whose replica has just died keeps its answer box
        # but never lets it be typed into, and only wait_for notices the death.
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            await wait_for(enabled, "the answer box stayed disabled")
            try:
                await box.fill(text, timeout=STEP_MS)
                pressed = time.monotonic()
                await box.press("Enter", timeout=STEP_MS)
                return pressed
            except PlaywrightTimeout:
                if time.monotonic() > deadline:
                    raise

    try:
        await page.goto(url, timeout=timeout_ms)
        await sign_in(page, profile_name or f"load-{sid:02d}", failover is not None, timeout_ms)
        await page.get_by_role("button", name="Start new interview").click(timeout=timeout_ms)
        await page.get_by_text("Question 1 of").wait_for(timeout=timeout_ms)
        k = 0
        while k < answers:
            tag = marker(sid, k)
            start = await send(f"{tag} {ANSWER}")  # timed from pressing Enter
            if tag not in rec["submitted"]:
                rec["submitted"].append(tag)
            shown = k + 1

            async def graded() -> bool:
                return await scores.count() >= shown

            moved_before = "moved_to" in rec
            await wait_for(graded, f"no feedback for answer {k + 1}", f"{tag} {ANSWER}")
            if "moved_to" in rec and not moved_before:
                rec["resumed_latency"] = time.monotonic() - start
            else:
                rec["latencies"].append(time.monotonic() - start)
            k += 1
            if failover:
                failover.graded(url, k, answers, results)
        rec["done"] = True
        text = await page.inner_text("body")
        rec["foreign_in_page"] = sorted(
            {w for w in text.split() if w.startswith("LOADTAG-")
             and not w.startswith(f"LOADTAG-{sid:02d}-")})
        # Every answer of this session, the ones given on a replica that died too.
        rec["own_in_page"] = sorted({w for w in text.split()
                                     if w.startswith(f"LOADTAG-{sid:02d}-")})
        rec["exceptions_in_page"] = await page.get_by_test_id("stException").count()
    except Exception as exc:  # noqa: BLE001 - every session's failure is reported
        rec["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await context.close()


async def drive(urls: list[str], sessions: int, answers: int, timeout_ms: int,
                kill=None) -> dict:
    """A warm-up session per replica (not counted), then all sessions at once, spread
    over the replicas; `kill(i)` kills replica i once one of its sessions has half its
    answers graded (`Failover.graded`)."""
    from playwright.async_api import async_playwright

    results: dict = {}
    failover = Failover(urls, kill, answers) if len(urls) > 1 else None
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                           headless=True)
        for r, url in enumerate(urls):
            warm: dict = {}
            await run_session(browser, url, 90 + r, 1, warm, timeout_ms,
                              profile_name=f"warm-up-{r}", failover=failover)
            results[f"warm_up_{r}"] = warm[90 + r]

        tasks = [run_session(browser, urls[i % len(urls)], i, answers, results, timeout_ms,
                             failover=failover) for i in range(sessions)]
        if failover:
            failover.armed = True
        await asyncio.gather(*tasks)
        if failover and failover.killed.is_set():
            results["interrupted"] = failover.interrupted
        await browser.close()
    return results


def stored_answers(location: Path | str) -> dict[str, list[str]]:
    """Answers stored per profile, as markers (a SQLite file or a PostgreSQL URL)."""
    sql = ("SELECT i.profile, t.answer FROM turns t JOIN interviews i "
           "ON i.id = t.interview_id WHERE t.answer IS NOT NULL")
    if str(location).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(location)) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        conn = sqlite3.connect(location)
        try:
            rows = conn.execute(sql).fetchall()
        finally:
            conn.close()
    out: dict[str, list[str]] = {}
    for profile, answer in rows:
        out.setdefault(profile, []).append(answer.split()[0])
    return out


def shared_backend(tmp: Path) -> tuple[dict, list]:
    """A throwaway PostgreSQL database and Chroma server holding the index; returns the
    replicas' environment and the services to stop."""
    from evals.services import start_chroma, start_postgres

    pg = start_postgres(tempfile.mkdtemp(prefix="interviewer-load-pg-"))
    services: list = [pg]
    try:
        chroma = start_chroma(tmp / "chroma")
        services.append(chroma)
        env = {"INTERVIEWER_DATABASE_URL": pg.create_database("interviewer"),
               "INTERVIEWER_CHROMA_URL": chroma.url}
        # The server index is seeded from the repository's own (vectors copied,
        # nothing embedded when it is current), then brought up to date.
        seed = REPO / ".interviewer" / "index"
        cmd = [sys.executable, "-m", "interviewer.cli", "index"]
        if (seed / "chroma.sqlite3").exists():
            cmd += ["--seed-from", str(seed)]
        subprocess.run(cmd, cwd=REPO, env=dict(os.environ, **env,
                                               INTERVIEWER_DATA_DIR=str(tmp / "seed")),
                       check=True, stdout=subprocess.DEVNULL, timeout=1800)
    except BaseException:
        for service in services:
            service.stop()
        raise
    return env, services


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print its JSON report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--answers", type=int, help="answers per session (default 2; 3 with "
                   "--replicas)")
    p.add_argument("--replicas", type=int, default=1,
                   help="app processes; 2 or more share PostgreSQL and a Chroma server")
    p.add_argument("--no-kill", action="store_true",
                   help="with --replicas: do not kill a replica halfway")
    p.add_argument("--answer-timeout-s", type=float, default=180,
                   help="longest wait for one feedback before the session counts an error")
    p.add_argument("--time-limit-s", type=float, default=1200,
                   help="the whole run, app start and index check included")
    p.add_argument("--profile", metavar="PATH",
                   help="also sample the app with py-spy (if installed) into PATH, as "
                   "collapsed stacks: where its CPU time goes under this load")
    args = p.parse_args(argv)
    answers = args.answers or (3 if args.replicas > 1 else 2)
    if args.sessions < 1 or answers < 1 or args.replicas < 1:
        p.error("--sessions, --answers and --replicas must be at least 1")
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    started = time.monotonic()
    load_before = os.getloadavg()
    services: list = []
    with tempfile.TemporaryDirectory(prefix="interviewer-load-") as tmp_name:
        tmp = Path(tmp_name)
        if args.replicas > 1:
            env, services = shared_backend(tmp)
            where = env["INTERVIEWER_DATABASE_URL"]
        else:
            env = {}
            (tmp / "data").mkdir()
            prepare_data(tmp / "data")
            where = tmp / "data" / "interviewer.db"
        procs, urls, samplers, killed = [], [], [], []
        try:
            for r in range(args.replicas):
                data = tmp / "data" if args.replicas == 1 else tmp / f"replica-{r}"
                proc, url = start_app(data, tmp / f"streamlit-{r}.log", env)
                procs.append(proc)
                urls.append(url)
                samplers.append(RssSampler(proc.pid))
                samplers[-1].start()
            spy = start_profiler(procs[0].pid, args.profile) if args.profile else None
            cpu0 = [process_cpu_s(pr.pid) for pr in procs]
            busy0, total0 = machine_cpu_s()

            def kill(i: int) -> None:
                cpu0[i] = process_cpu_s(procs[i].pid) - cpu0[i]  # what it used until killed
                procs[i].kill()
                killed.append(i)

            try:
                left = args.time_limit_s - (time.monotonic() - started)
                results = asyncio.run(asyncio.wait_for(
                    drive(urls, args.sessions, answers, int(args.answer_timeout_s * 1000),
                          kill=None if args.replicas == 1 or args.no_kill else kill),
                    timeout=max(left, 1)))
            finally:
                app_cpu = [cpu0[i] if i in killed else process_cpu_s(pr.pid) - cpu0[i]
                           for i, pr in enumerate(procs)]
                busy, total = (a - b for a, b in zip(machine_cpu_s(), (busy0, total0)))
                if spy is not None:
                    spy.send_signal(2)  # SIGINT: py-spy writes what it has and exits
                    spy.wait(timeout=60)
        finally:
            for sampler in samplers:
                sampler.stop.set()
                sampler.join()
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            log_text = "".join((tmp / f"streamlit-{r}.log").read_text(errors="replace")
                               for r in range(len(procs)))
            try:
                stored = stored_answers(where)
            finally:
                for service in services:
                    service.stop()
    interrupted = results.pop("interrupted", [])
    warm = [results.pop(k) for k in sorted(results, key=str) if str(k).startswith("warm_up")]
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
        "sessions": args.sessions, "answers_per_session": answers, "replicas": args.replicas,
        "store": "PostgreSQL + Chroma server" if args.replicas > 1 else "SQLite + local Chroma",
        "submit_to_feedback_s": {
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "max": round(max(latencies), 2) if latencies else None,
            "mean": round(statistics.fmean(latencies), 2) if latencies else None,
            "n": len(latencies)},
        "warm_up_answer_s": [round(x, 2) for w in warm for x in w["latencies"]],
        "errors": errors, "tracebacks_in_app_log": log_text.count("Traceback"),
        "answers_submitted": submitted, "answers_stored": stored_count,
        "stored_equals_submitted": submitted == stored_count,
        "cross_talk": cross_db + cross_page,
        "app_peak_rss_mb": [round(sm.peak_kb / 1024, 1) for sm in samplers],
        # Where the CPU went while the browsers ran: the apps, or everything else
        # (the browsers themselves and whatever else the machine was doing).
        "cpu_s": {"apps": [round(c, 1) for c in app_cpu], "machine_busy": round(busy, 1),
                  "machine_capacity": round(total, 1)},
        "cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        "wall_s": round(time.monotonic() - started, 1),
    }
    if killed:
        moved = {sid: r for sid, r in results.items() if "moved_to" in r}
        on_victim = [sid for sid, r in results.items() if r["replica"] == urls[killed[0]]]
        report["failover"] = {
            "killed_replica": killed[0], "sessions_on_it": len(on_victim),
            # Those still mid-interview when it died; each must finish elsewhere.
            "sessions_interrupted": len(interrupted),
            "sessions_moved": len(moved),
            # Answers sent in the instant the replica died, never received, sent again.
            "answers_resent": sum(r.get("resent", 0) for r in results.values()),
            # A moved session finished its interview on the other replica, and its
            # page there shows every answer it gave, on either replica.
            "moved_and_complete": sum(
                1 for r in moved.values() if not r["errors"]
                and r.get("own_in_page") == sorted(r["submitted"])),
            "resume_to_feedback_s": {
                "p50": percentile([r["resumed_latency"] for r in moved.values()
                                   if "resumed_latency" in r], 50),
                "max": round(max([r["resumed_latency"] for r in moved.values()
                                  if "resumed_latency" in r] or [0]), 2)},
        }
    print(json.dumps(report, indent=2))
    ok = not errors and submitted == stored_count and report["cross_talk"] == 0
    if killed:
        ok = ok and report["failover"]["moved_and_complete"] == report["failover"][
            "sessions_interrupted"] == report["failover"]["sessions_moved"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
