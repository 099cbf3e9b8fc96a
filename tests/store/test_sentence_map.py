"""The sentence tables as arrays: the same answers the dicts and lists gave."""

from __future__ import annotations

import numpy as np
import pytest

from qa.store.chunk_table import ChunkTable
from qa.store.sentence_map import RowLists, SentenceRows, SourceColumn
from qa.types import Chunk

SOURCES = ["a.txt", "a.txt", "b.txt", "a.txt"]
SPANS = np.asarray([(0, 5), (6, 11), (0, 7), (13, 24)], dtype=np.int64)


def test_source_column_reads_like_the_list_it_replaces() -> None:
    column = SourceColumn.from_names(SOURCES)
    assert list(column) == SOURCES and len(column) == 4
    assert column[2] == "b.txt" and column[-1] == "a.txt" and column[1:3] == ["a.txt", "b.txt"]
    assert column.names == ["a.txt", "b.txt"]


def test_sentence_rows_finds_each_span_and_nothing_else() -> None:
    rows = SentenceRows(SourceColumn.from_names(SOURCES), SPANS)
    for i, (source, (s, e)) in enumerate(zip(SOURCES, SPANS.tolist())):
        assert rows[(source, s, e)] == i and (source, s, e) in rows
    assert list(rows) == [(s, a, b) for s, (a, b) in zip(SOURCES, SPANS.tolist())]
    assert rows.get(("a.txt", 0, 6)) is None  # same start, other end
    assert rows.get(("c.txt", 0, 5)) is None and ("b.txt", 6, 11) not in rows
    with pytest.raises(KeyError):
        rows[("a.txt", 1, 5)]


def test_row_lists_hold_each_chunks_known_sentences() -> None:
    chunks = ChunkTable.from_chunks(
        [
            Chunk(0, "a.txt", 0, 11, "x" * 11, ((0, 5), (6, 11))),
            Chunk(1, "b.txt", 0, 7, "y" * 7, ((0, 7),)),
            Chunk(2, "a.txt", 6, 24, "z" * 18, ((6, 11), (12, 24))),  # (12, 24) is not a sentence row
            Chunk(3, "c.txt", 0, 3, "abc", ((0, 3),)),  # an article without sentence rows
        ]
    )
    lists = RowLists.of_chunks(chunks, SentenceRows(SourceColumn.from_names(SOURCES), SPANS))
    assert [lists[i] for i in range(len(lists))] == [[0, 1], [2], [1], []]


def test_an_empty_index_has_empty_tables() -> None:
    rows = SentenceRows(SourceColumn.from_names([]), np.zeros((0, 2), dtype=np.int64))
    assert len(rows) == 0 and rows.get(("a.txt", 0, 1)) is None
    assert len(RowLists.of_chunks(ChunkTable.from_chunks([]), rows)) == 0
