"""Token states through product quantisation: what M bytes a token cost in recall and answers.

    python bench/token_pq.py [--subquantisers 96 48] [--files seeds|corpus2|all]

The index stores every sentence's e5 layer-6 token states for word-by-word
alignment (qa/embed/align.py). As int8 plus a scale they took 388 bytes a token, most
of the disk an index takes (docs/scale.md); the product now stores 96 bytes of
product-quantisation codes (qa/models/token_pq/). This script measures what a
codebook of M sub-quantisers costs: it builds each bench corpus with int8 states
(``QA_TOKEN_PQ=0``), trains codebooks on token states of training-split SQuAD
paragraphs (training/token_pq.py: never bench data, never the held-out titles),
swaps the stored states for their PQ reconstruction in memory and reruns
retrieval (recall@5) and ask() (cited-gold, abstention, false abstention).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["QA_TOKEN_PQ"] = "0"  # the baseline: states stored as int8, the nearest to the float ones

from qa import ask  # noqa: E402
from qa.embed.align import TokenStates, quantise, unscaled  # noqa: E402
from qa.eval.evaluate import QUESTION_FILES, evaluate_answers, evaluate_retrieval, with_fresh_indexes  # noqa: E402
from qa.retrieve.engine import get_engine, resolve_paths  # noqa: E402
from qa.settings import REPO_ROOT  # noqa: E402
from training.token_pq import train_codebook, training_states  # noqa: E402


def through_pq(stored: TokenStates, pq) -> TokenStates:
    """The stored states as PQ would give them back: decoded, made unit again, stored as int8 as now."""
    floats = unscaled(np.asarray(stored.values)) * np.asarray(stored.scales)[:, None]
    floats /= np.maximum(np.linalg.norm(floats, axis=1, keepdims=True), 1e-12)
    back = pq.decode(pq.compute_codes(np.ascontiguousarray(floats)))
    back /= np.maximum(np.linalg.norm(back, axis=1, keepdims=True), 1e-12)
    values, scales = quantise(back)
    return TokenStates(values, scales, np.asarray(stored.offsets))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subquantisers", type=int, nargs="*", default=[96, 48])
    parser.add_argument("--files", choices=sorted(QUESTION_FILES), default="all")
    args = parser.parse_args()
    train = training_states(REPO_ROOT / ".cache" / "pq-train-states.npy")
    codebooks = {m: train_codebook(train, m) for m in args.subquantisers}
    rows = [0, *args.subquantisers]
    results: dict[tuple[str, int], str] = {}
    for name, questions, corpus, index in with_fresh_indexes(QUESTION_FILES[args.files]):
        engine = get_engine(*resolve_paths(corpus, index))
        data = engine.refresh()
        stored = data.tokens
        if stored is None:
            raise SystemExit("the index holds no token states (QA_ALIGN_LAYER=0?)")
        try:
            for m in rows:
                data.tokens = stored if m == 0 else through_pq(stored, codebooks[m])
                r = evaluate_retrieval([q for q in questions if q.answerable], engine)
                a = evaluate_answers(questions, partial(ask, corpus=corpus, index=index), corpus)
                results[(name, m)] = (
                    f"{r['recall@5']:.3f} / {a['cited_gold']:.3f} / {a['abstention_on_unanswerable']:.2f}"
                    f" / {a['false_abstention']:.3f}"
                )
        finally:
            data.tokens = stored
    names = [n for n, _, _ in QUESTION_FILES[args.files]]
    print(f"codebooks trained on {len(train):,} token states of training-split SQuAD sentences\n")
    print("| token states | bytes a token | " + " | ".join(f"{n}: recall@5 / cited-gold / abst. / false abst." for n in names) + " |")
    print("|---" * (len(names) + 2) + "|")
    for m in rows:
        label, size = ("int8 + scale (QA_TOKEN_PQ=0)", 388) if m == 0 else (f"PQ, {m} sub-quantisers", m)
        print(f"| {label} | {size} | " + " | ".join(results[(n, m)] for n in names) + " |")


if __name__ == "__main__":
    main()
