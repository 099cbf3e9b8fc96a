"""Follow-up questions: does the second turn of a conversation cite the right span?

    python bench/followups.py [--file bench/followups.jsonl] [--mode reader|reader-no-fresh|rules-no-context]
    python bench/followups.py --file bench/followups_corpus3.jsonl   # written blind (session 14)
    python bench/followups.py --file bench/followups_news.jsonl      # news p11/p12, written blind (session 39)

Each line of the file is a two-turn conversation (``turns``: first question,
follow-up with a pronoun, an ellipsis or "why?") with the follow-up's gold
quote. The first answer goes into the history as the chat page sends it (its
text and, in ``reader`` mode, its citations); the second answer hits when one
of its citations overlaps the gold span. ``rules-no-context`` is the product
before the reader: the hand-built composer, and a history of texts only;
``reader-no-fresh`` is the reader without the fresh quote a follow-up adds when
it would only repeat the last answer (``ComposerSettings.fresh_quote``).
The table splits the follow-ups by whether the first answer cited its own gold.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import ask  # noqa: E402
from qa.eval.evaluate import Gold, hits_gold  # noqa: E402
from qa.settings import REPO_ROOT  # noqa: E402

CORPORA = {
    "seeds": REPO_ROOT / "seeds",
    "corpus2": REPO_ROOT / "bench" / "corpus2" / "articles",
    "corpus3": REPO_ROOT / "bench" / "corpus3" / "articles",
    # Two news folders the reader never trained on (training/DATA.md): followups_news.jsonl, written blind.
    "news p11": REPO_ROOT / "training" / "newsqa" / "p11" / "articles",
    "news p12": REPO_ROOT / "training" / "newsqa" / "p12" / "articles",
}


def gold_spans(corpus: Path, gold: list[dict]) -> list[Gold]:
    spans = []
    for g in gold:
        text = (corpus / g["source"]).read_text(encoding="utf-8")
        start = text.find(g["quote"])
        if start < 0:
            raise SystemExit(f"gold quote not found in {g['source']}: {g['quote'][:60]}")
        spans.append(Gold(g["source"], start, start + len(g["quote"])))
    return spans


def cites(answer, gold: list[Gold]) -> bool:
    """The answer did not abstain and one of its citations overlaps a gold span."""
    return not answer.abstained and any(hits_gold(c.source, c.start, c.end, gold) for c in answer.citations)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=REPO_ROOT / "bench" / "followups.jsonl")
    parser.add_argument("--mode", choices=["reader", "reader-no-fresh", "rules-no-context"], default="reader")
    args = parser.parse_args()
    if args.mode == "rules-no-context":
        import os

        os.environ["QA_READER"] = "0"
    if args.mode == "reader-no-fresh":
        import qa.answer.ask
        from qa.answer.compose import ComposerSettings, compose

        settings = ComposerSettings(fresh_quote=False)
        qa.answer.ask.compose = lambda retrieval, language, reader=None: compose(retrieval, language, settings, reader=reader)
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    tmp = Path(tempfile.mkdtemp())
    hits: dict[str, list[bool]] = defaultdict(list)
    firsts: list[bool] = []
    try:
        for row in rows:
            corpus = CORPORA[row["corpus"]]
            index = tmp / row["corpus"]
            first, follow = row["turns"]
            a1 = ask(first, corpus=corpus, index=index)
            assistant: dict = {"role": "assistant", "content": a1.text}
            if args.mode != "rules-no-context":
                assistant["citations"] = [{"source": c.source, "start": c.start, "end": c.end} for c in a1.citations]
            history = [{"role": "user", "content": first, "language": a1.language}, assistant]
            a2 = ask(follow, history, corpus=corpus, index=index)
            gold = gold_spans(corpus, row["gold"])
            hit = cites(a2, gold)
            first_hit = cites(a1, gold_spans(corpus, row.get("first_gold") or []))
            slices = ["all", f"corpus {row['corpus']}", f"language {row['language']}", f"kind {row.get('kind', '?')}"]
            slices.append("first turn right" if first_hit else "first turn wrong")
            for key in slices:
                hits[key].append(hit)
            firsts.append(first_hit)
            if not hit:
                print(f"miss {row['id']}: {follow!r} -> {'abstained' if a2.abstained else a2.citations[0].quote[:80]!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nfirst turn cites its gold: {sum(firsts)} of {len(firsts)}")
    print(f"\n| slice ({args.mode}) | conversations | follow-up cites the gold span |\n|---|---:|---:|")
    for key, values in sorted(hits.items(), key=lambda kv: (kv[0] != "all", kv[0])):
        print(f"| {key} | {len(values)} | {sum(values) / len(values):.3f} |")


if __name__ == "__main__":
    main()
