"""What a loaded index holds, whichever backend stores it.

The matrices are anything that gathers rows with ``m[rows]``: numpy arrays
(memory-mapped) from the file backend, or row fetchers from a database, so
retrieval and answering read candidates the same way from either.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from qa.embed.align import TokenStates, int8_rows
from qa.store.chunk_table import ChunkTable
from qa.store.filters import Filters
from qa.store.sentence_map import RowLists, SentenceRows, SourceColumn
from qa.text.fold import fold, words
from qa.types import Article

# Vectors are stored as int8 with one scale per row (a quarter of float32's disk, half of
# float16's), and the build rounds every vector to exactly what that stores first, so that the
# FAISS index, PostgreSQL (float32 columns) and the files all hold the same values. Retrieval
# gathers a few dozen rows and multiplies them by a float32 query, in float32.
# bench/vector_dtype.py measures float32 and float16 instead (docs/scale.md).
VECTOR_DTYPE: Any = np.int8


def at_stored_precision(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` as float32 holding exactly the values VECTOR_DTYPE can store."""
    if VECTOR_DTYPE == np.int8:
        values, scales = int8_rows(matrix)
        return values.astype(np.float32) * scales[:, None]
    return np.asarray(matrix).astype(VECTOR_DTYPE).astype(np.float32)


class ScaledRows:
    """int8 rows and their scales, read as float32 rows with ``m[rows]`` like any stored matrix."""

    def __init__(self, values: np.ndarray, scales: np.ndarray):
        self.values = values  # (n, dim) int8, memory-mapped by the file backend
        self.scales = scales  # (n,) float32

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    @property
    def ndim(self) -> int:
        return 2

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, rows: Any) -> np.ndarray:
        return np.asarray(self.values[rows], dtype=np.float32) * np.asarray(self.scales[rows], dtype=np.float32)[..., None]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[slice(None)]
        return out if dtype is None else out.astype(dtype)


T = TypeVar("T")

ARTICLE_KEYS_KEPT = 1024  # articles whose word keys stay cached (IndexData.article_keys)
CHUNK_KEYS_KEPT = 8192  # chunks whose word keys stay cached (IndexData.chunk_keys): about 21 MB


class BoundedCache:
    """The ``size`` most recently used entries of a table, for threads sharing one index."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: T) -> T:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


class DenseSearch(Protocol):
    """Nearest chunks to a query vector in one view.

    ``allowed`` holds the chunk ids the filters allow, for an index that
    filters by id; ``filters`` the same restriction as language, source and
    dates, for a database that filters in SQL.
    """

    kind: str

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


class LexicalScores(Protocol):
    """One query's lexical scores: its best rows, and the score of any row."""

    def top(
        self, k: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def at(self, rows: np.ndarray) -> np.ndarray: ...


class LexicalSearch(Protocol):
    """The two lexical views: name keys and language stems (``has_stems`` False when built without them)."""

    has_stems: bool

    def keys(self, tokens: list[str]) -> LexicalScores: ...

    def stems(self, tokens: list[str]) -> LexicalScores: ...

    def vocabulary(self) -> set[str]: ...


@dataclass
class IndexData:
    """Everything a generation holds, in memory."""

    manifest: dict[str, Any]
    articles: dict[str, Article]  # by source
    chunks: ChunkTable  # a list of Chunk is turned into one
    chunk_vectors: list[Any]  # one matrix per dense view (model), rows = chunks; gathered with m[rows]
    sentences: np.ndarray  # (n, 2) int64 spans; row order matches sentence_vectors
    sentence_sources: SourceColumn  # each sentence row's article; a list of names is turned into one
    # The primary view's matrix only (a one-item list), rows = sentences: the composer scores
    # sentences with the primary model; the second view's sentence vectors were never read.
    sentence_vectors: list[Any]
    dense: list[DenseSearch]  # one nearest-neighbour search per view
    lexical: LexicalSearch
    path: Path | str | None = None  # the generation: a folder, or a database generation's name
    tokens: TokenStates | None = None  # primary model's token states per sentence (qa/embed/align.py)
    sentence_rows: SentenceRows = None  # type: ignore[assignment]  # (source, start, end) -> row; built here
    chunk_sentences: RowLists = None  # type: ignore[assignment]  # sentence rows of each chunk; built here
    # Derived tables built on first use (lives and dies with this index).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def derived(self, name: str, build: Callable[[], T]) -> T:
        """``build()``'s table, computed on first use and kept with this index.

        Two threads may both build it once; the first one stored is the one
        every caller gets from then on.
        """
        found = self.cache.get(name)
        if found is None:
            found = self.cache.setdefault(name, build())
        return found

    def chunk_keys(self, chunk_id: int) -> frozenset[str]:
        """Spelling-folded keys of a chunk's words (computed on first use: only candidates need them).

        Kept for the most recently used chunks only. Unbounded, the table grew with
        every query a server answered, towards all chunks (about 2.6 KB each: 250 MB
        at 10^5 chunks); a key set takes about 0.1 ms to rebuild.
        """
        table: BoundedCache = self.derived("chunk_keys", lambda: BoundedCache(CHUNK_KEYS_KEPT))
        keys = table.get(chunk_id)
        if keys is None:
            keys = table.put(chunk_id, frozenset(fold(w) for w in words(self.chunks.text(chunk_id))))
        return keys

    def article_keys(self, source: str) -> frozenset[str]:
        """Spelling-folded keys of every word of one article (computed on first use, recent ones kept).

        A table of all articles' keys, built at the first question, held 79 MB
        at 10^5 chunks (10^4 articles) for the few articles a question reaches.
        """
        table: BoundedCache = self.derived("article_keys", lambda: BoundedCache(ARTICLE_KEYS_KEPT))
        keys = table.get(source)
        if keys is None:
            found: set[str] = set()
            for i in self.chunks.ids_of_sources({source}):
                found |= self.chunk_keys(int(i))
            keys = table.put(source, frozenset(found))
        return keys

    def names(self) -> frozenset[str]:
        """Folded words the articles capitalise where nouns are not capitalised (computed once per index)."""
        from qa.text.terms import corpus_names

        def build() -> frozenset[str]:
            sentences = {
                (c.source, s, e): (c.text[s - c.start : e - c.start], self.articles[c.source].lang)
                for c in self.chunks
                for s, e in c.sentences
            }
            return corpus_names(sentences.values())

        return self.derived("names", build)

    def __post_init__(self) -> None:
        if not isinstance(self.chunks, ChunkTable):
            self.chunks = ChunkTable.from_chunks(self.chunks)
        if not isinstance(self.sentence_sources, SourceColumn):
            self.sentence_sources = SourceColumn.from_names(self.sentence_sources)
        if not isinstance(self.sentence_rows, SentenceRows):
            self.sentence_rows = SentenceRows(self.sentence_sources, self.sentences)
        if not isinstance(self.chunk_sentences, RowLists):
            self.chunk_sentences = RowLists.of_chunks(self.chunks, self.sentence_rows)
