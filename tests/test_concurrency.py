"""One loaded engine under concurrent load: 8 threads x 50 mixed questions.

Every thread asks all 50 questions (each thread in a different order, so
different questions overlap in time) through ``ask()`` against the same
process-wide engine. Each outcome must be exactly what a single-threaded
run gave: the answer text, the citation offsets and quotes, the passages and
their scores, or the same clear error for an invalid question.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qa import ask
from qa.errors import QAError
from qa.eval.evaluate import check_citations

ROOT = Path(__file__).resolve().parents[1]
THREADS = 8
N_QUESTIONS = 50


def _questions() -> list[tuple[str, dict]]:
    """50 mixed asks: the bench file's languages, follow-ups, filters, k, hostile and invalid input."""
    rows = [json.loads(line) for line in (ROOT / "bench" / "questions.jsonl").read_text("utf-8").splitlines() if line.strip()]
    asks: list[tuple[str, dict]] = [(r["question"], {}) for r in rows[::2][:38]]
    follow = [{"role": "user", "content": "Did Aliyev take part in the EU-mediated talks in Spain?"}]
    asks += [
        ("Why not?", {"history": follow}),
        ("Und wer vermittelte?", {"history": follow + [{"role": "assistant", "content": "No.", "language": "de"}]}),
        ("Where will the foreign ministers meet?", {"filters": {"lang": ["de"]}}),
        ("Where will the foreign ministers meet?", {"filters": {"date_from": "2024-01-01"}}),
        ("Why did Aliyev skip the Granada talks?", {"k": 3}),
        ("Who won Eurovision 2024?", {}),
        ("لماذا لم يحضر علييف محادثات غرناطة؟", {}),  # right-to-left
        ("Where\x00 will\x1b the ministers\u202e meet?", {}),  # control and bidi characters
        ("Putin Aliyev Almaty " * 300, {}),  # long, truncated
        ("", {}),  # invalid: the same clear error every time
        ("🙂🙂🙂", {}),
        ("   \t\n", {}),
    ]
    assert len(asks) == N_QUESTIONS
    return asks


def _outcome(question: str, kw: dict, corpus: Path, index: Path) -> tuple:
    """Everything observable about one ask, comparable with ``==``."""
    try:
        ans = ask(question, corpus=corpus, index=index, **kw)
    except QAError as exc:
        return ("error", type(exc).__name__, str(exc))
    assert check_citations(ans, corpus) == [], ans.text
    return (
        ans.text,
        ans.abstained,
        ans.language,
        ans.composer,
        tuple((c.n, c.source, c.start, c.end, c.quote, c.score) for c in ans.citations),
        tuple((p.source, p.start, p.end, p.chunk_id, p.score) for p in ans.passages),
    )


def test_eight_threads_give_the_single_threaded_answers(seed_index, monkeypatch) -> None:
    corpus, index = seed_index
    for name in ("QA_LLM_URL", "QA_LLM_MODEL", "QA_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    asks = _questions()
    expected = [_outcome(q, kw, corpus, index) for q, kw in asks]
    assert sum(1 for e in expected if e[0] == "error") == 3
    assert sum(1 for e in expected if e[0] != "error" and not e[1]) >= 20, "most questions should be answered"

    results: list[list[tuple | None]] = [[None] * N_QUESTIONS for _ in range(THREADS)]
    errors: list[str] = []
    barrier = threading.Barrier(THREADS)

    def worker(t: int) -> None:
        try:
            barrier.wait()
            for j in range(N_QUESTIONS):
                i = (j + t * 7) % N_QUESTIONS  # a different order per thread
                results[t][i] = _outcome(*asks[i], corpus, index)
        except BaseException as exc:  # noqa: BLE001 - every failure is reported below
            errors.append(f"thread {t}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    assert not any(th.is_alive() for th in threads), "a thread hung"
    assert errors == []
    mismatches = [
        (t, i, asks[i][0][:40]) for t in range(THREADS) for i in range(N_QUESTIONS) if results[t][i] != expected[i]
    ]
    assert mismatches == [], f"{len(mismatches)} of {THREADS * N_QUESTIONS} answers differ from the single-threaded run"


COLD_START = r"""
import sys, threading
import qa.embed.encoders
from qa import ask

loads = []
for cls in (qa.embed.encoders.Embedder, qa.embed.encoders.UseEmbedder):
    def counted(self, *a, _init=cls.__init__, **kw):
        loads.append(type(self).__name__)
        _init(self, *a, **kw)
    cls.__init__ = counted
corpus, index = sys.argv[1], sys.argv[2]
barrier = threading.Barrier(8)
out, errors = [None] * 8, []
def work(t):
    try:
        barrier.wait()
        a = ask("Why did Aliyev skip the Granada talks?", corpus=corpus, index=index)
        out[t] = (a.text, [(c.source, c.start, c.end) for c in a.citations])
    except BaseException as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print("errors", errors)
print("distinct", len(set(map(repr, out))))
print("loads", len(loads))
"""


@pytest.mark.slow
def test_cold_start_under_concurrency_loads_each_model_once(seed_index) -> None:
    """Eight first questions at once in a fresh process: one model load each, one answer."""
    corpus, index = seed_index
    proc = subprocess.run(
        [sys.executable, "-c", COLD_START, str(corpus), str(index)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    assert lines["errors"] == "[]"
    assert lines["distinct"] == "1"
    assert lines["loads"] == "2", f"each of the two models should load once, got {lines['loads']} loads"
