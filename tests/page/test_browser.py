"""End to end in a real browser: ``streamlit run app.py`` driven by Playwright.

AppTest (tests/page/test_app.py) runs the script without a browser, so it cannot
see what only a browser does: the chat input, the expander opening, the
``<mark>`` being scrolled into view, scripts in article text staying inert.
This test checks those on a temporary copy of the corpus and saves a
screenshot to ``tests/artifacts/browser_answer.png``. The index is built
before the server starts, so the time it prints ("streamlit run -> first
answer") is the one a user sees on a later start; set ``QA_FIRST_ANSWER_BUDGET``
(seconds) to make it a failing check (the target is 10 s on an idle 2-core
machine; shared CI machines vary too much for a fixed default).

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the ``playwright``
Python package; it skips cleanly without them. Never ``playwright install``:
the browser download does not work offline.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import stop_process

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
QUESTION = "Why did Aliyev skip the Granada talks?"
FOLLOW_UP = "Who was supposed to mediate them?"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = (
    "<script>alert('xss')</script> Hostile test article\n\n"
    '<img src=x onerror="alert(1)"> The harbour of Lisbon reopened on Monday after a storm.\n'
)


def _require_browser() -> None:
    if not CHROMIUM.exists():
        pytest.skip("browser test needs /usr/bin/chromium (apt-get install chromium chromium-driver)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser test needs the playwright package (pip install playwright==1.65.2)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, url: str, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit not healthy after {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    _require_browser()
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "seeds", corpus)
    (corpus / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    # Built in another process, as `make run` does before starting the page.
    subprocess.run(
        [sys.executable, "-m", "qa", "build", "--corpus", str(corpus), "--index", str(index)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    yield corpus, index


def test_answer_and_open_citation_in_browser(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    corpus, index = workspace
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_LLM")}
    env |= {"QA_CORPUS": str(corpus), "QA_INDEX": str(index), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    dialogs: list[str] = []
    try:
        _wait_healthy(proc, url, log)
        healthy = time.monotonic() - started
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1000},
            )
            try:
                page = context.new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(url)
                chat = page.get_by_test_id("stChatInputTextArea")
                expect(chat).to_be_enabled(timeout=180_000)  # disabled until model and index are loaded
                chat.fill(QUESTION)
                chat.press("Enter")
                card = page.locator("#cite-0-1")
                expect(card).to_be_visible(timeout=180_000)
                first_answer = time.monotonic() - started
                print(f"\nstreamlit run -> healthy {healthy:.1f} s, -> first answer {first_answer:.1f} s")
                budget = os.environ.get("QA_FIRST_ANSWER_BUDGET")
                if budget:
                    assert first_answer <= float(budget), f"first answer after {first_answer:.1f} s > {budget} s"

                # [1] in the answer text links to card 1.
                page.locator('a[href="#cite-0-1"]').first.click()
                expect(page).to_have_url(f"{url}/#cite-0-1")

                # Open card 1: the full article with the quote marked and scrolled into view.
                page.locator(".st-key-open-0-1 summary").click()
                mark = page.locator("mark#cite-0-1-mark")
                expect(mark).to_be_visible(timeout=30_000)
                shown = mark.text_content()
                # The mark is inside the article's box, with room for the neighbouring
                # sentences above and below it (unless it starts or ends the article).
                page.wait_for_function(
                    """() => { const m = document.getElementById('cite-0-1-mark');
                               const b = m && m.closest('.qa-article');
                               if (!b) return false;
                               const mr = m.getBoundingClientRect(), br = b.getBoundingClientRect();
                               const room = 18, above = mr.top - br.top, below = br.bottom - mr.bottom;
                               const atStart = m.offsetTop < room * 2;
                               const atEnd = b.scrollHeight - (m.offsetTop + m.offsetHeight) < room * 2;
                               return mr.top >= br.top - 1 && mr.top < br.bottom
                                      && (atStart || above >= room) && (atEnd || below >= room); }""",
                    timeout=10_000,
                )
                article = page.locator("[data-testid='qa-article']").first
                assert len(article.text_content() or "") > len(shown or "")  # the whole article, not just the quote
                # A tall window so the answer, card 1 and the marked article share one picture.
                page.set_viewport_size({"width": 1400, "height": 1800})
                page.get_by_test_id("stChatMessage").nth(1).scroll_into_view_if_needed()
                page.evaluate("document.querySelector('[data-testid=stChatMessage]:nth-of-type(2)')?.scrollIntoView()")
                expect(mark).to_be_in_viewport()
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "browser_answer.png"))
                bold_count = page.locator(".qa-quote b.qa-answer").count()  # the short answer, bold in the quote

                # A follow-up with a pronoun is read next to the first answer's quote.
                chat.fill(FOLLOW_UP)
                chat.press("Enter")
                follow_card = page.locator("#cite-1-1")
                expect(follow_card).to_be_visible(timeout=180_000)
                page.get_by_test_id("stChatMessage").nth(3).scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / "browser_followup.png"))
                follow_quote = page.get_by_test_id("stChatMessage").nth(3).locator(".qa-quote").first.inner_text()
            finally:
                context.close()
    finally:
        stop_process(proc)

    # The same question in this process gives the quote the mark must show.
    from qa import ask

    expected = ask(QUESTION, corpus=str(corpus), index=str(index))
    assert not expected.abstained and expected.citations
    assert shown == expected.citations[0].quote
    assert not dialogs, f"a script from an article ran in the page: {dialogs}"
    assert (bold_count >= 1) == bool(expected.short_answer)  # bold exactly when the reader gave a short answer
    assert "Macron" in follow_quote and "Scholz" in follow_quote, follow_quote  # "them" = the talks: the mediators
