"""BM25 over spelling-blind name keys, the lexical half of hybrid search.

A plain word BM25 made cross-lingual retrieval *worse* here (a German
article shares few words with an English question). What does cross
languages is names, numbers and places, written differently: so documents
are indexed as folded word keys plus their character trigrams (see fold.py),
and a query contributes only its anchors (names, numbers, place bridges)
plus its longer words as whole keys for same-language matches.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .fold import fold, is_salient, trigrams, words

_MIN_WORD = 4


def doc_tokens(text: str) -> list[str]:
    tokens = []
    for w in words(text):
        key = fold(w)
        if len(key) < 2:
            continue
        tokens.append("w:" + key)
        tokens.extend(trigrams(key))
    return tokens


def query_tokens(question: str, extra_terms: list[str] = ()) -> list[str]:
    """Whole-word keys for longer words; trigrams only for anchors and bridges."""
    tokens = []
    for i, w in enumerate(words(question)):
        key = fold(w)
        if is_salient(w, i):
            tokens.append("w:" + key)
            tokens.extend(trigrams(key))
        elif len(key) >= _MIN_WORD:
            tokens.append("w:" + key)
    # Bridges (a place's names in other languages) as whole words only: their
    # trigrams would let dozens of exonyms outvote the question's own words.
    tokens.extend(dict.fromkeys("w:" + fold(w) for term in extra_terms for w in words(term)))
    return tokens


class LexicalIndex:
    """``fit / search / save / load`` around a bm25s index."""

    def __init__(self, retriever):
        self.retriever = retriever

    @classmethod
    def fit(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([doc_tokens(t) or ["w:"] for t in texts], show_progress=False)
        return cls(retriever)

    def scores(self, tokens: list[str]) -> np.ndarray:
        vocab = self.retriever.vocab_dict
        known = [t for t in tokens if t in vocab]
        n = int(self.retriever.scores["num_docs"])
        if not known:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def search(self, tokens: list[str], k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.top(self.scores(tokens), k, allowed)

    @staticmethod
    def top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best positive scores among ``allowed`` rows, best first."""
        if allowed is not None:
            mask = np.full(scores.shape, -np.inf, dtype=np.float32)
            mask[allowed] = 0.0
            scores = scores + mask
        order = np.argsort(-scores, kind="stable")[:k]
        order = order[scores[order] > 0]
        return scores[order], order.astype(np.int64)

    def save(self, path: Path) -> None:
        self.retriever.save(str(path))
        (path / "qa_lexical.json").write_text(json.dumps({"tokenizer": "fold-trigram-1"}))

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(path)))
