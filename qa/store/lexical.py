"""BM25 over spelling-blind name keys, the lexical half of hybrid search.

A plain word BM25 made cross-lingual retrieval *worse* here (a German
article shares few words with an English question). What does cross
languages is names, numbers and places, written differently: so documents
are indexed as folded word keys plus their character trigrams (qa/text/terms.py),
and a query contributes only its anchors (names, numbers, place bridges)
plus its longer words as whole keys for same-language matches.

A second, content-word view indexes every chunk as Snowball stems in its
article's language ("de:verhandl"). A question reaches it in its own
language and, through bilingual dictionaries (qa/text/dictionary.py), in the
other corpus languages: "frontière" asks for "de:grenz" and "en:border".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qa.text.terms import doc_tokens, stem_tokens


def _bm25s():
    """bm25s, with its logger (which it sets to DEBUG) quieted to warnings."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class ArrayScores:
    """One query's scores over every row (bm25s scores all documents at once)."""

    def __init__(self, scores: np.ndarray):
        self.scores = scores

    def top(self, k: int, allowed: np.ndarray | None = None, filters: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best positive scores among ``allowed`` rows (``filters`` is what ``allowed`` came from)."""
        return LexicalIndex.top(self.scores, k, allowed)

    def at(self, rows: np.ndarray) -> np.ndarray:
        return self.scores[rows]


class LexicalIndex:
    """``fit / search / save / load`` around two bm25s indexes: name keys, and content stems."""

    def __init__(self, retriever, stem_index=None):
        self.retriever = retriever
        self.stem_index = stem_index

    @property
    def has_stems(self) -> bool:
        return self.stem_index is not None

    @classmethod
    def fit(cls, texts: list[str], langs: list[str] | None = None) -> LexicalIndex:
        bm25s = _bm25s()

        retriever = bm25s.BM25()
        retriever.index([doc_tokens(t) or ["w:"] for t in texts], show_progress=False)
        stems = None
        if langs is not None:
            stems = bm25s.BM25()
            stems.index([stem_tokens(t, lang) or ["-"] for t, lang in zip(texts, langs)], show_progress=False)
        return cls(retriever, stems)

    @staticmethod
    def _scores(retriever, tokens: list[str]) -> np.ndarray:
        vocab = retriever.vocab_dict
        known = [t for t in tokens if t in vocab]
        n = int(retriever.scores["num_docs"])
        if not known:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(retriever.get_scores(known), dtype=np.float32)

    def scores(self, tokens: list[str]) -> np.ndarray:
        return self._scores(self.retriever, tokens)

    def stem_scores(self, tokens: list[str]) -> np.ndarray | None:
        """BM25 of content stems (None for an index built without them)."""
        return None if self.stem_index is None else self._scores(self.stem_index, tokens)

    def keys(self, tokens: list[str]) -> ArrayScores:
        """Name-key scores of a query (:func:`query_tokens`)."""
        return ArrayScores(self.scores(tokens))

    def stems(self, tokens: list[str]) -> ArrayScores:
        """Stem scores of a query (:func:`translated_tokens`); zeros for an index built without them."""
        found = self.stem_scores(tokens)
        return ArrayScores(self.scores([]) if found is None else found)

    def vocabulary(self) -> set[str]:
        """Every folded word key of the indexed texts."""
        return {t[2:] for t in self.retriever.vocab_dict if t.startswith("w:")}

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
        if self.stem_index is not None:
            self.stem_index.save(str(path / "stems"))
        (path / "qa_lexical.json").write_text(json.dumps({"tokenizer": "fold-trigram-1", "stems": "snowball-1"}))

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        bm25s = _bm25s()

        # Memory-mapped: a query reads only its terms' columns, so the matrices (210 MB at
        # 10^5 chunks) stay on disk instead of in every serving process (docs/scale.md).
        stems = bm25s.BM25.load(str(path / "stems"), mmap=True) if (path / "stems").is_dir() else None
        return cls(bm25s.BM25.load(str(path), mmap=True), stems)
