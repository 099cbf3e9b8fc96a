"""Reader examples from the news-style question folders (training/newsqa/), cut the way ``ask()`` reads.

    python -m training news-data --parts p1 p2 p3 p4 [--out .cache/reader-news/train.jsonl]

SQuAD's windows are cut from one Wikipedia paragraph. The product's reader
reads something else: the windows ``reader_windows()`` makes from what
retrieval found in a folder of news articles, where the same story is told
again in other languages. So each question of a folder is retrieved exactly
as ``ask()`` retrieves it, and every window the product would read becomes
an example:

- the window that holds the gold sentence, with its answer span: the first
  key term found inside the gold quote ("answer");
- for an unanswerable question, every window read ("unanswerable-news"): the
  question names the story's people and places, so these are the near
  misses a news reader must learn to refuse;
- for an answerable question, the windows of a gold article that touch no
  gold sentence ("other-window"). Windows of the story's other versions are
  left out: another outlet may state the same fact, and the older question
  files (p1-p8) mark only one sentence. Where a question lists several gold
  sentences (p9 on), each window holding one is an "answer" row.

Retrieval is ``training.composer_grid.retrievals()``, which intercepts
``ask()`` itself: the language it detects, its filters and its rewriting.

Nothing here reads a bench file, XQuAD, MLQA or the held-out titles.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa.answer.compose import ComposerSettings, reader_windows
from qa.eval.evaluate import Gold, Question, load_questions
from qa.retrieve.engine import Retrieval
from qa.types import Passage

from .data import Example

NEWS_DIR = Path(__file__).resolve().parent / "newsqa"
STORY = re.compile(r"^(\d+)_")


def story_of(source: str) -> str:
    """``03_nl_staking.txt`` -> ``03``: the versions of one story share the number."""
    m = STORY.match(source)
    return m.group(1) if m else source


def answer_span(q: Question, text: str, g: Gold) -> tuple[int, int] | None:
    """The first key term inside the gold quote ``g``, as absolute offsets in the article."""
    quote = text[g.start : g.end]
    for term in q.key_terms:
        at = quote.find(term)
        if term and at >= 0:
            return g.start + at, g.start + at + len(term)
    return None


def _example(part: Path, q: Question, w: Passage, retrieval: Retrieval, answer: tuple[int, int] | None, kind: str) -> Example:
    """One window as a training row; the title (the unit of any split) is the folder's story."""
    return Example(
        qid=f"news:{q.id}",
        title=f"news:{part.name}:{story_of(w.source)}",
        q_lang=q.language,
        w_lang=retrieval.data.articles[w.source].lang,
        question=q.question,
        window=w.text,
        answer=answer,
        sentences=[(s - w.start, e - w.start) for s, e in w.sentences],
        kind=kind,
    )


def examples_for_part(part: Path, index: Path, passages: int = ComposerSettings.passages) -> list[Example]:
    """Every window ``ask()`` would read for each question of one folder, labelled."""
    from .composer_grid import retrievals

    corpus = part / "articles"
    questions = load_questions(part / "questions.jsonl", corpus)
    texts = {p.name: p.read_text(encoding="utf-8") for p in corpus.iterdir() if p.is_file()}
    out: list[Example] = []
    for item in retrievals(questions, {}, corpus, index):
        q, retrieval = item.question, item.retrieval
        spans = [(g, answer_span(q, texts[g.source], g)) for g in q.gold]
        for w in reader_windows(retrieval, passages):
            if not q.answerable:
                out.append(_example(part, q, w, retrieval, None, "unanswerable-news"))
                continue
            mine = [(g, sp) for g, sp in spans if g.source == w.source]
            if not mine:
                continue  # another article: it may state the same fact
            inside = [sp for g, sp in mine if sp is not None and w.start <= sp[0] and sp[1] <= w.end]
            if inside:
                out.append(_example(part, q, w, retrieval, (inside[0][0] - w.start, inside[0][1] - w.start), "answer"))
            elif all(w.end <= g.start or w.start >= g.end for g, _ in mine):
                out.append(_example(part, q, w, retrieval, None, "other-window"))
    return out


def build(parts: list[str], out: Path, index_root: Path) -> dict[str, Any]:
    """Write the examples of ``parts`` to ``out`` (JSON lines, training/data.py's Example rows)."""
    rows: list[Example] = []
    for name in parts:
        rows += examples_for_part(NEWS_DIR / name, index_root / name)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for e in rows:
            fh.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
    kinds = ("answer", "other-window", "unanswerable-news")
    return {
        "parts": parts,
        "examples": len(rows),
        "questions": len({e.qid for e in rows}),
        "by_kind": {k: sum(e.kind == k for e in rows) for k in kinds},
        "cross_lingual": sum(e.q_lang != e.w_lang for e in rows),
    }
