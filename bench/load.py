"""The chat page under load: 4 browser sessions asking at the same time.

Starts ``streamlit run app.py`` on a temporary copy of the seeds (index built
first), opens one headless Chromium with 4 separate contexts (4 Streamlit
sessions, like 4 users), and has each ask the same ``--questions`` answerable
questions one after another, all sessions at once. Meanwhile the server's
``/_stcore/health`` endpoint is polled every 100 ms to see whether the server
stays responsive while answering. A single session asking alone gives the
baseline.

    .venv/bin/python bench/load.py [--sessions 4] [--questions 3]

Needs Debian's chromium (/usr/bin/chromium) and the playwright package.
Exit status 0 when every session got every answer (its first citation card
rendered) within ``--timeout`` seconds and the health probe never failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
QUESTIONS = [
    "Why did Aliyev skip the Granada talks?",
    "Wo wollen sich die Außenminister von Aserbaidschan und Armenien treffen?",
    "When did Putin last host Aliyev?",
    "Why did Blinken call Aliyev?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(url: str, timeout: float = 5.0) -> float | None:
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            return time.perf_counter() - t if r.status == 200 else None
    except OSError:
        return None


async def session(browser, url: str, questions: list[str], timeout: float, name: str) -> list[float]:
    """One user: open the page, ask each question, time question -> first citation card."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    try:
        t = time.perf_counter()
        await page.goto(url)
        chat = page.get_by_test_id("stChatInputTextArea")
        await chat.wait_for(state="visible", timeout=timeout * 1000)
        await page.wait_for_function(
            "() => { const c = document.querySelector('[data-testid=stChatInputTextArea]'); return c && !c.disabled; }",
            timeout=timeout * 1000,
        )
        print(f"  {name}: page ready in {time.perf_counter() - t:.1f} s", flush=True)
        times = []
        for turn, question in enumerate(questions):
            await chat.fill(question)
            t = time.perf_counter()
            await chat.press("Enter")
            await page.locator(f"#cite-{turn}-1").wait_for(state="visible", timeout=timeout * 1000)
            times.append(time.perf_counter() - t)
            print(f"  {name}: answer {turn + 1} in {times[-1]:.2f} s", flush=True)
        return times
    finally:
        await context.close()


async def run_sessions(url: str, n: int, questions: list[str], timeout: float) -> tuple[list[list[float]], list[float | None]]:
    from playwright.async_api import async_playwright

    probes: list[float | None] = []
    stop = asyncio.Event()

    async def probe() -> None:
        while not stop.is_set():
            probes.append(await asyncio.to_thread(health, url))
            await asyncio.sleep(0.1)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            prober = asyncio.create_task(probe())
            results = await asyncio.gather(
                *(session(browser, url, questions, timeout, f"session {i + 1}") for i in range(n)), return_exceptions=True
            )
            stop.set()
            await prober
        finally:
            await browser.close()
    out = []
    for r in results:
        if isinstance(r, BaseException):
            print(f"  session failed: {type(r).__name__}: {r}", flush=True)
            out.append([])
        else:
            out.append(r)
    return out, probes


def summary(label: str, times: list[list[float]], probes: list[float | None], expected: int) -> bool:
    flat = [t for s in times for t in s]
    ok_probes = [p for p in probes if p is not None]
    failed = len(probes) - len(ok_probes)
    got = sum(len(s) for s in times)
    p95 = sorted(ok_probes)[int(0.95 * (len(ok_probes) - 1))] if ok_probes else float("nan")
    print(
        f"{label}: {got}/{expected} answers; answer s median {statistics.median(flat) if flat else float('nan'):.2f}"
        f" max {max(flat) if flat else float('nan'):.2f}; health probe {len(probes)} polls, {failed} failed,"
        f" median {1000 * statistics.median(ok_probes) if ok_probes else float('nan'):.0f} ms,"
        f" p95 {1000 * p95:.0f} ms, max {1000 * max(ok_probes) if ok_probes else float('nan'):.0f} ms",
        flush=True,
    )
    return got == expected and failed == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed for one answer")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"needs {CHROMIUM} (apt-get install chromium)")
        return 2
    questions = QUESTIONS[: args.questions]
    work = Path(tempfile.mkdtemp(prefix="qa-load-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = None
    try:
        corpus, index = work / "corpus", work / "index"
        shutil.copytree(ROOT / "seeds", corpus)
        subprocess.run([sys.executable, "-m", "qa", "build", "--corpus", str(corpus), "--index", str(index)], cwd=ROOT, check=True, capture_output=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_LLM")}
        env |= {"QA_CORPUS": str(corpus), "QA_INDEX": str(index), "PYTHONUNBUFFERED": "1"}
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        ]  # fmt: skip
        log = open(work / "streamlit.log", "wb")  # noqa: SIM115 - closed with the server
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while health(url, 2) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                print((work / "streamlit.log").read_text(errors="replace")[-3000:])
                return 2
            time.sleep(0.25)
        print("warm-up (one session, loads model and index):", flush=True)
        asyncio.run(run_sessions(url, 1, questions[:1], args.timeout))
        print("baseline, one session alone:", flush=True)
        times, probes = asyncio.run(run_sessions(url, 1, questions, args.timeout))
        base_ok = summary("1 session", times, probes, len(questions))
        print(f"{args.sessions} sessions at once:", flush=True)
        times, probes = asyncio.run(run_sessions(url, args.sessions, questions, args.timeout))
        ok = summary(f"{args.sessions} sessions", times, probes, args.sessions * len(questions))
        return 0 if ok and base_ok else 1
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
