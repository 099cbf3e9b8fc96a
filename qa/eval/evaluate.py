"""``python -m qa eval``: retrieval and answer quality on a question file.

The question file is JSONL: ``question``, ``language``, ``answerable``,
``gold`` (spans given as ``source`` + exact ``quote``, or ``start``/``end``)
and ``key_terms``. Gold quotes are resolved to offsets here, so a file
written by hand stays readable and still checks exact spans.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.settings import REPO_ROOT

DEFAULT_QUESTIONS = REPO_ROOT / "bench" / "questions.jsonl"
_BENCH = REPO_ROOT / "bench"
# Every bench question file: (name, questions, corpus folder).
QUESTION_FILES = {
    "seeds": [
        ("tuned", _BENCH / "questions.jsonl", REPO_ROOT / "seeds"),
        ("held-out 1", _BENCH / "questions_heldout.jsonl", REPO_ROOT / "seeds"),
        ("held-out 2", _BENCH / "questions_heldout2.jsonl", REPO_ROOT / "seeds"),
        ("held-out 3", _BENCH / "questions_heldout3.jsonl", REPO_ROOT / "seeds"),
        ("uk/cs/az", _BENCH / "questions_uk_cs_az.jsonl", REPO_ROOT / "seeds"),
    ],
    "corpus2": [("corpus2 (blind)", _BENCH / "corpus2" / "questions.jsonl", _BENCH / "corpus2" / "articles")],
    # News stories told three times in three languages (one story per three articles, as in the seeds).
    "corpus3": [("corpus3 (blind)", _BENCH / "corpus3" / "questions.jsonl", _BENCH / "corpus3" / "articles")],
}
QUESTION_FILES["all"] = QUESTION_FILES["seeds"] + QUESTION_FILES["corpus2"] + QUESTION_FILES["corpus3"]


@dataclass
class Gold:
    source: str
    start: int
    end: int


@dataclass
class Question:
    id: str
    question: str
    language: str
    answerable: bool
    gold: list[Gold]
    key_terms: list[str] = field(default_factory=list)


def load_questions(path: Path, corpus: Path) -> list[Question]:
    """Parse the file and resolve every gold quote to exact offsets."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        gold = []
        for g in row.get("gold", []):
            if "quote" in g:
                text = (corpus / g["source"]).read_text(encoding="utf-8")
                start = text.find(g["quote"])
                if start < 0:
                    raise ValueError(f"{path}:{n}: quote not found in {g['source']}")
                gold.append(Gold(g["source"], start, start + len(g["quote"])))
            else:
                gold.append(Gold(g["source"], int(g["start"]), int(g["end"])))
        out.append(
            Question(
                id=row.get("id", f"q{n}"),
                question=row["question"],
                language=row.get("language", ""),
                answerable=bool(row.get("answerable", bool(gold))),
                gold=gold,
                key_terms=row.get("key_terms", []),
            )
        )
    return out


def with_fresh_indexes(files: list[tuple[str, Path, Path]]) -> Iterator[tuple[str, list[Question], Path, Path]]:
    """``(name, questions, corpus, index)`` per question file, each corpus indexed once in a temp folder.

    The benchmarks measure the code as it is, not an index left over from an
    earlier build; the folder is removed when the loop ends or breaks.
    """
    from qa.answer.ask import ask  # here, not at the top: qa.answer.ask's own imports must not need this module

    tmp = Path(tempfile.mkdtemp())
    indexes: dict[Path, Path] = {}
    try:
        for name, path, corpus in files:
            index = indexes.setdefault(corpus, tmp / f"index{len(indexes)}")
            questions = load_questions(path, corpus)
            ask(questions[0].question, corpus=corpus, index=index)  # build + warm up
            yield name, questions, corpus, index
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def hits_gold(source: str, start: int, end: int, gold: list[Gold]) -> bool:
    """A span counts when it covers at least half of some gold span."""
    for g in gold:
        if g.source == source:
            overlap = min(end, g.end) - max(start, g.start)
            if overlap >= 0.5 * (g.end - g.start):
                return True
    return False


def first_hit_rank(passages: list[Any], gold: list[Gold]) -> int | None:
    for rank, p in enumerate(passages, 1):
        if hits_gold(p.source, p.start, p.end, gold):
            return rank
    return None


def evaluate_retrieval(questions: list[Question], engine, k: int = 10) -> dict[str, Any]:
    """recall@1/5/10 overall and per language, plus search latency."""
    by_lang: dict[str, list[int | None]] = defaultdict(list)
    ranks: list[int | None] = []
    latencies: list[float] = []
    misses = []
    for q in questions:
        if not q.answerable:
            continue
        t = time.perf_counter()
        passages = engine.search(q.question, k)
        latencies.append(time.perf_counter() - t)
        rank = first_hit_rank(passages, q.gold)
        ranks.append(rank)
        by_lang[q.language].append(rank)
        if rank is None or rank > 5:
            misses.append((q.id, rank, q.question))

    def recall(rs: list[int | None], at: int) -> float:
        return sum(1 for r in rs if r is not None and r <= at) / max(1, len(rs))

    return {
        "questions": len(ranks),
        "recall@1": recall(ranks, 1),
        "recall@5": recall(ranks, 5),
        "recall@10": recall(ranks, 10),
        "per_language": {lang: {"n": len(rs), "recall@5": recall(rs, 5)} for lang, rs in sorted(by_lang.items())},
        "search_ms_p50": 1000 * statistics.median(latencies) if latencies else 0.0,
        "misses": misses,
    }


def check_citations(answer, corpus: Path) -> list[str]:
    """Integrity problems of one answer: spans that don't match, markers without citations."""
    import re

    problems = []
    for c in answer.citations:
        path = corpus / c.source
        if not path.is_file():
            problems.append(f"[{c.n}] cites a missing file {c.source}")
            continue
        if path.read_text(encoding="utf-8")[c.start : c.end] != c.quote:
            problems.append(f"[{c.n}] quote != {c.source}[{c.start}:{c.end}]")
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    numbers = {c.n for c in answer.citations}
    if markers != numbers:
        problems.append(f"markers {sorted(markers)} != citations {sorted(numbers)}")
    return problems


def evaluate_answers(questions: list[Question], ask, corpus: Path) -> dict[str, Any]:
    """Cited-gold, key-term, abstention and integrity rates of ``ask``."""
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    cited = terms = false_abstain = abstain_ok = 0
    integrity: list[str] = []
    latencies = []
    failures = []
    for q in questions:
        t = time.perf_counter()
        ans = ask(q.question)
        latencies.append(time.perf_counter() - t)
        integrity.extend(f"{q.id}: {p}" for p in check_citations(ans, corpus))
        if not q.answerable:
            abstain_ok += ans.abstained
            if not ans.abstained:
                failures.append((q.id, "answered an unanswerable question", q.question))
            continue
        if ans.abstained:
            false_abstain += 1
            failures.append((q.id, "abstained", q.question))
            continue
        hit = any(hits_gold(c.source, c.start, c.end, q.gold) for c in ans.citations)
        cited += hit
        body = " ".join(c.quote for c in ans.citations) + " " + ans.text
        ok_terms = all(t.casefold() in body.casefold() for t in q.key_terms)
        terms += ok_terms
        if not hit:
            failures.append((q.id, "gold not cited", q.question))
    n_a, n_u = max(1, len(answerable)), max(1, len(unanswerable))
    return {
        "questions": len(questions),
        "cited_gold": cited / n_a,
        "key_terms": terms / n_a,
        "abstention_on_unanswerable": abstain_ok / n_u,
        "false_abstention": false_abstain / n_a,
        "citation_integrity_errors": len(integrity),
        "ask_ms_p50": 1000 * statistics.median(latencies) if latencies else 0.0,
        "integrity": integrity,
        "failures": failures,
    }
