"""Retrieval ablation: each ranker on and off, recall@5 per language and latency.

    python bench/ablation.py [--index DIR] [--questions FILE]

Every row reuses one built index (all views are built; a weight of 0 turns a
view off at query time), so the rows differ only in how the question is
scored. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.eval.evaluate import DEFAULT_QUESTIONS, evaluate_retrieval, load_questions  # noqa: E402
from qa.retrieve.engine import Engine  # noqa: E402
from qa.settings import REPO_ROOT, Settings  # noqa: E402

# (label, dense e5, dense USE, name keys, content stems, word alignment, outlet/month hints, anchor coverage,
#  counted noun)
ROWS = [
    ("e5 only (z per article language)", 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("USE only", 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("e5 + USE", 1.0, 0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("e5 + USE + name keys (fold, trigrams, place bridges)", 1.0, 0.4, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("e5 + USE + content stems (dictionaries, compounds)", 1.0, 0.4, 0.0, 0.3, 0.0, 0.0, 0.0, 0.0),
    ("e5 + USE + word alignment (e5 layer-6 tokens)", 1.0, 0.4, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
    ("all but word alignment", 1.0, 0.4, 0.2, 0.3, 0.0, 1.0, 0.25, 0.5),
    ("all but outlet/month hints", 1.0, 0.4, 0.2, 0.3, 1.0, 0.0, 0.25, 0.5),
    ("all but anchor coverage", 1.0, 0.4, 0.2, 0.3, 1.0, 1.0, 0.0, 0.5),
    ('all but "how many X" counting', 1.0, 0.4, 0.2, 0.3, 1.0, 1.0, 0.25, 0.0),
    ("all (default)", 1.0, 0.4, 0.2, 0.3, 1.0, 1.0, 0.25, 0.5),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "seeds")
    parser.add_argument("--index", type=Path, default=None, help="default: a fresh temp folder")
    args = parser.parse_args()
    index = args.index or Path(tempfile.mkdtemp()) / "index"
    questions = load_questions(args.questions, args.corpus)
    engine = Engine(Settings.from_env(corpus=args.corpus, index=index))
    base = engine.settings
    engine.search(questions[0].question)  # warm-up: models, dictionaries
    langs = sorted({q.language for q in questions if q.answerable})
    print(f"| setup | r@1 | r@5 | r@10 | {' | '.join(f'r@5 {lang}' for lang in langs)} | p50 ms |")
    print("|---" * (5 + len(langs)) + "|")
    for label, e5, use, names, stems, align, hints, anchors, count in ROWS:
        engine.settings = replace(
            base,
            fusion_weights=(e5, use, names),
            stem_weight=stems,
            align_weight=align,
            hint_weight=hints,
            anchor_weight=anchors,
            count_weight=count,
        )
        r = evaluate_retrieval(questions, engine)
        per = " | ".join(f"{r['per_language'][lang]['recall@5']:.2f}" for lang in langs)
        print(
            f"| {label} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['recall@10']:.3f} | {per} "
            f"| {r['search_ms_p50']:.1f} |"
        )
    if args.index is None:
        shutil.rmtree(index.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
