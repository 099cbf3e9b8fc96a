"""The chunks of a loaded index as columns, not as one Python object per chunk.

A ``Chunk`` with its text and sentence tuples costs about 1.9 KB of Python
objects; at 10^5 chunks that was 190 MB of the serving process (docs/scale.md).
Here the texts are one UTF-8 buffer with offsets and the numbers are numpy
columns (about 0.55 KB a chunk, nearly all of it the text itself); a ``Chunk``
is built only when one is asked for, and searches ask for a few dozen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import overload

import numpy as np

from qa.types import Chunk


class ChunkTable:
    """A read-only sequence of ``Chunk`` (``table[i]``, ``len``, iteration) stored as columns."""

    def __init__(
        self,
        sources: list[str],
        source_ids: np.ndarray,
        spans: np.ndarray,
        text: bytes,
        text_offsets: np.ndarray,
        sentences: np.ndarray,
        sentence_offsets: np.ndarray,
    ):
        self.sources = sources  # each article's name once
        self._source_numbers: dict[str, int] | None = None  # name -> index into sources, on first use
        self.source_ids = source_ids  # (n,) int32 into sources
        self.spans = spans  # (n, 2) int64 character start, end in the article
        self._text = text  # every chunk's text, UTF-8, one after another
        self._text_offsets = text_offsets  # (n + 1,) int64 byte offsets into _text
        self._sentences = sentences  # (m, 2) int64 sentence spans of all chunks, in chunk order
        self._sentence_offsets = sentence_offsets  # (n + 1,) int64 rows of _sentences per chunk

    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk]) -> ChunkTable:
        """The table of ``chunks``, whose ids must be 0, 1, 2, … in order."""
        builder = _Builder()
        for c in chunks:
            builder.add(c.id, c.source, c.start, c.end, c.text, c.sentences)
        return builder.table()

    @classmethod
    def from_jsonl(cls, path: Path) -> ChunkTable:
        """The table of a ``chunks.jsonl`` file, read line by line (never the whole file as one string)."""
        builder = _Builder()
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    builder.add(row["id"], row["source"], row["start"], row["end"], row["text"], row["sentences"])
        return builder.table()

    def __len__(self) -> int:
        return len(self.source_ids)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        j = int(i) + n if int(i) < 0 else int(i)
        if not 0 <= j < n:
            raise IndexError(f"chunk {i} of {n}")
        lo, hi = self._sentence_offsets[j], self._sentence_offsets[j + 1]
        return Chunk(
            id=j,
            source=self.sources[self.source_ids[j]],
            start=int(self.spans[j, 0]),
            end=int(self.spans[j, 1]),
            text=self.text(j),
            sentences=tuple((int(s), int(e)) for s, e in self._sentences[lo:hi]),
        )

    def __iter__(self) -> Iterator[Chunk]:
        for j in range(len(self)):
            yield self[j]

    def text(self, i: int) -> str:
        """Chunk ``i``'s text, without building the rest of the chunk."""
        return self._text[self._text_offsets[i] : self._text_offsets[i + 1]].decode("utf-8")

    def texts(self) -> Iterator[str]:
        """Every chunk's text in id order, without building the chunks."""
        return map(self.text, range(len(self)))

    def source(self, i: int) -> str:
        return self.sources[self.source_ids[i]]

    def sentence_spans_all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk's sentence spans ``(m, 2)``, and where each chunk's begin (``(n + 1,)`` offsets)."""
        return self._sentences, self._sentence_offsets

    def ids_of_sources(self, sources: set[str]) -> np.ndarray:
        """The ids of every chunk of these articles, ascending (a filter's allowed rows; one article's chunks)."""
        if self._source_numbers is None:  # name -> index into sources: scanning all 10^4 names took 0.58 ms a call
            self._source_numbers = {s: k for k, s in enumerate(self.sources)}
        wanted = np.asarray([self._source_numbers[s] for s in sources if s in self._source_numbers], dtype=np.int32)
        return np.flatnonzero(np.isin(self.source_ids, wanted)).astype(np.int64)

    @property
    def nbytes(self) -> int:
        """The columns' own memory (what the table costs besides its sources' names)."""
        arrays = (self.source_ids, self.spans, self._text_offsets, self._sentences, self._sentence_offsets)
        return len(self._text) + sum(a.nbytes for a in arrays)


class _Builder:
    """Columns grown chunk by chunk, frozen into numpy arrays once."""

    def __init__(self) -> None:
        self.source_index: dict[str, int] = {}
        self.source_ids: list[int] = []
        self.spans: list[int] = []
        self.text = bytearray()
        self.text_offsets = [0]
        self.sentences: list[int] = []
        self.sentence_offsets = [0]

    def add(self, cid: int, source: str, start: int, end: int, text: str, sentences: Iterable) -> None:
        if cid != len(self.source_ids):
            raise ValueError(f"chunk ids must run 0, 1, 2, …: got {cid} at row {len(self.source_ids)}")
        self.source_ids.append(self.source_index.setdefault(source, len(self.source_index)))
        self.spans += (start, end)
        self.text += text.encode("utf-8")
        self.text_offsets.append(len(self.text))
        for s, e in sentences:
            self.sentences += (s, e)
        self.sentence_offsets.append(len(self.sentences) // 2)

    def table(self) -> ChunkTable:
        return ChunkTable(
            sources=list(self.source_index),
            source_ids=np.asarray(self.source_ids, dtype=np.int32),
            spans=np.asarray(self.spans, dtype=np.int64).reshape(-1, 2),
            text=bytes(self.text),
            text_offsets=np.asarray(self.text_offsets, dtype=np.int64),
            sentences=np.asarray(self.sentences, dtype=np.int64).reshape(-1, 2),
            sentence_offsets=np.asarray(self.sentence_offsets, dtype=np.int64),
        )
