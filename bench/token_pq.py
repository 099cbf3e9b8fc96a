"""Token states through product quantisation: what 4x smaller states would cost in recall and answers.

    python bench/token_pq.py [--subquantisers 96 48] [--files seeds|corpus2|all]

The index stores every sentence's e5 layer-6 token states for word-by-word
alignment (qa/align.py), as int8 plus a scale: 388 bytes a token, most of the
disk an index takes (docs/scale.md). Product quantisation with M sub-quantisers
of 8 bits stores M bytes a token. This script measures, without changing the
index format, what that would do: it trains a codebook on token states of
training-split SQuAD paragraphs (120 per source language, never bench data,
never the held-out titles: training/data.py drops them), then swaps each bench
index's stored states for their PQ reconstruction in memory and reruns
retrieval (recall@5) and ask() (cited-gold, abstention, false abstention).
Row M=0 is the index as stored. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import random
import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import ask  # noqa: E402
from qa.align import TokenStates, quantise  # noqa: E402
from qa.evaluate import QUESTION_FILES, evaluate_answers, evaluate_retrieval, with_fresh_indexes  # noqa: E402
from qa.retrieve import get_engine, resolve_paths  # noqa: E402
from qa.settings import REPO_ROOT, Settings  # noqa: E402

PARAGRAPHS_PER_SOURCE = 120
SEED = 5


def training_states(cache: Path) -> np.ndarray:
    """Layer-6 token states of training-split SQuAD sentences (cached: encoding takes about a minute)."""
    if cache.is_file():
        return np.load(cache)
    from qa.embed import get_embedder
    from qa.sentences import split_sentences
    from training.data import SOURCES, SQUAD2_DEV_TITLES, read_squad, split_titles

    paragraphs: dict[tuple[str, str, int], str] = {}
    for name, lang, titles in SOURCES:
        questions = read_squad(name, lang, titles)
        others = sorted({q.title for q in questions} - set(SQUAD2_DEV_TITLES))
        validation = split_titles(list(SQUAD2_DEV_TITLES)) | split_titles(others)
        for q in questions:
            if q.title not in validation:
                paragraphs[(lang, q.title, q.paragraph)] = q.context
    keys = sorted(paragraphs)
    random.Random(SEED).shuffle(keys)
    by_lang: dict[str, list[tuple[str, str, int]]] = {}
    for k in keys:
        by_lang.setdefault(k[0], []).append(k)
    sentences = []
    for k in (k for lang in by_lang for k in by_lang[lang][:PARAGRAPHS_PER_SOURCE]):
        text = paragraphs[k]
        sentences += [" ".join(text[s:e].split()) for s, e in split_sentences(text, [(0, len(text))], k[0])]
    settings = Settings()
    _, states = get_embedder(settings.model).passages_with_tokens(sentences, settings.align_layer, 32)
    found = np.vstack(states).astype(np.float32)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, found)
    return found


def through_pq(stored: TokenStates, pq) -> TokenStates:
    """The stored states as PQ would give them back: decoded, made unit again, stored as int8 as now."""
    floats = np.asarray(stored.values, dtype=np.float32) * np.asarray(stored.scales)[:, None]
    floats /= np.maximum(np.linalg.norm(floats, axis=1, keepdims=True), 1e-12)
    back = pq.decode(pq.compute_codes(np.ascontiguousarray(floats)))
    back /= np.maximum(np.linalg.norm(back, axis=1, keepdims=True), 1e-12)
    values, scales = quantise(back)
    return TokenStates(values, scales, np.asarray(stored.offsets))


def main() -> None:
    import faiss

    parser = argparse.ArgumentParser()
    parser.add_argument("--subquantisers", type=int, nargs="*", default=[96, 48])
    parser.add_argument("--files", choices=sorted(QUESTION_FILES), default="all")
    args = parser.parse_args()
    train = training_states(REPO_ROOT / ".cache" / "pq-train-states.npy")
    codebooks = {}
    for m in args.subquantisers:
        codebooks[m] = faiss.ProductQuantizer(train.shape[1], m, 8)
        codebooks[m].train(np.ascontiguousarray(train))
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
        label, size = ("int8 + scale (as stored)", 388) if m == 0 else (f"PQ, {m} sub-quantisers", m)
        print(f"| {label} | {size} | " + " | ".join(results[(n, m)] for n in names) + " |")


if __name__ == "__main__":
    main()
