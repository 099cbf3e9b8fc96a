"""No-answer rows made from answer rows: the window with its answering sentence cut out.

    python -m training removed-evidence --rows .cache/reader-news/train-news.jsonl --out .cache/reader-news/removed.jsonl

The unanswerable questions users ask, and the bench's, name the story's people
and places but ask for something the articles do not say. The reader refuses
too few of them (validation abstention 0.35 at false abstention 0.08; reader
runs 6 and 7, training/validation.md), and more steps on the same rows did not
help. A window whose answering sentence is cut out is the hardest such case:
the same story, the same names, the same neighbouring sentences, and no
answer. So each answer row of a training file yields one no-answer row, unless
the answer's words still stand in what is left (the article says it twice).

Rows come from a training file (``python -m training data`` or ``news-data``),
so they keep their title and stay on the training side of the split by article.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KIND = "evidence-removed"


def without_evidence(row: dict[str, Any]) -> dict[str, Any] | None:
    """``row``'s window without the sentences its answer touches, labelled "no answer"; None when none can be made.

    None for a row with no answer, for a window that is nothing but the
    answering sentences, and where the answer's text still occurs in what is left.
    """
    answer, sentences, window = row.get("answer"), row.get("sentences") or [], row["window"]
    if answer is None or len(sentences) < 2:
        return None
    start, end = answer
    kept = [(s, e) for s, e in sentences if e <= start or s >= end]
    if not kept or len(kept) == len(sentences):
        return None
    text, spans = "", []
    for s, e in kept:
        if text:
            text += " "
        spans.append((len(text), len(text) + (e - s)))
        text += window[s:e]
    said = window[start:end].strip().casefold()
    if not said or said in text.casefold():
        return None
    return {**row, "qid": f"{row['qid']}:{KIND}", "window": text, "answer": None, "sentences": spans, "kind": KIND}


def build(rows_path: Path, out: Path) -> dict[str, Any]:
    """Write one no-answer row for each answer row of ``rows_path`` that allows one; return the counts."""
    made, answers = [], 0
    with open(rows_path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            answers += row.get("answer") is not None
            if (new := without_evidence(row)) is not None:
                made.append(new)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for row in made:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"rows": str(rows_path.name), "answer_rows": answers, "made": len(made), "out": str(out.name)}
