"""Which article each sentence row belongs to, and which rows each chunk holds, as arrays.

Until session 14 these were a list of one string per sentence, a dict keyed by
(source, start, end) and a list of lists per chunk: about 4.2 KB of Python
objects per chunk, 45 MB at 10^5 chunks. As arrays they take about 40 bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

from qa.store.chunk_table import ChunkTable

_SHIFT = np.int64(1 << 32)  # key = source id * 2^32 + start (a file's offsets stay far below 2^32)


class SourceColumn(Sequence[str]):
    """Each sentence row's article name (``column[row]``), stored once per article."""

    def __init__(self, names: list[str], ids: np.ndarray):
        self.names = names
        self.ids = ids  # (n,) int32 into names
        self.index = {name: i for i, name in enumerate(names)}

    @classmethod
    def from_names(cls, sources: Iterable[str]) -> SourceColumn:
        index: dict[str, int] = {}
        ids = [index.setdefault(s, len(index)) for s in sources]
        return cls(list(index), np.asarray(ids, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, row: int) -> str: ...
    @overload
    def __getitem__(self, row: slice) -> list[str]: ...
    def __getitem__(self, row: int | slice) -> str | list[str]:
        if isinstance(row, slice):
            return [self.names[i] for i in self.ids[row]]
        return self.names[self.ids[row]]

    def __iter__(self) -> Iterator[str]:
        names = self.names
        return (names[i] for i in self.ids.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (SourceColumn, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class SentenceRows:
    """``(source, start, end) -> row`` of the sentence tables, by binary search over sorted keys."""

    def __init__(self, sources: SourceColumn, spans: np.ndarray):
        self.sources = sources
        self.spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        keys = sources.ids.astype(np.int64) * _SHIFT + self.spans[:, 0]
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]

    def __len__(self) -> int:
        return len(self._keys)

    def rows(self, source_ids: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The row of each (source id, start, end), or -1 where no sentence has that span."""
        keys = np.asarray(source_ids, dtype=np.int64) * _SHIFT + np.asarray(starts, dtype=np.int64)
        found = np.full(len(keys), -1, dtype=np.int64)
        if not len(self._keys) or not len(keys):
            return found
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        rows = self._order[at]
        hit = (self._keys[at] == keys) & (self.spans[rows, 1] == np.asarray(ends, dtype=np.int64))
        found[hit] = rows[hit]
        return found

    def get(self, key: tuple[str, int, int], default: Any = None) -> Any:
        source, start, end = key
        sid = self.sources.index.get(source)
        if sid is None:
            return default
        (row,) = self.rows(np.asarray([sid]), np.asarray([start]), np.asarray([end]))
        return default if row < 0 else int(row)

    def __getitem__(self, key: tuple[str, int, int]) -> int:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        """The keys in row order, as the dict this replaces gave them."""
        for source, (start, end) in zip(self.sources, self.spans.tolist()):
            yield source, start, end

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 3 and self.get(key) is not None  # type: ignore[arg-type]


class RowLists:
    """Each chunk's sentence rows (``lists[chunk_id]``), as one array with offsets."""

    def __init__(self, rows: np.ndarray, offsets: np.ndarray):
        self._rows = rows
        self._offsets = offsets

    @classmethod
    def of_chunks(cls, chunks: ChunkTable, sentence_rows: SentenceRows) -> RowLists:
        """The rows of every chunk's sentences; a span missing from the sentence tables is left out."""
        spans, offsets = chunks.sentence_spans_all()
        per_span_chunk = np.repeat(np.arange(len(chunks)), np.diff(offsets))
        # Chunk source ids -> sentence source ids (-1: an article without sentence rows).
        to_sentence_ids = np.asarray([sentence_rows.sources.index.get(n, -1) for n in chunks.sources] or [-1])
        source_ids = to_sentence_ids[chunks.source_ids[per_span_chunk]]
        rows = sentence_rows.rows(np.maximum(source_ids, 0), spans[:, 0], spans[:, 1])
        keep = (rows >= 0) & (source_ids >= 0)
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        return cls(rows[keep], kept_before[offsets])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> list[int]:
        return self._rows[self._offsets[i] : self._offsets[i + 1]].tolist()

    def __bool__(self) -> bool:
        return True
