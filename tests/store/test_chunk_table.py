"""The chunk table: columns that read back as the same Chunk objects."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

from qa.store.chunk_table import ChunkTable
from qa.types import Chunk

CHUNKS = [
    Chunk(0, "a.txt", 0, 11, "Hello there", ((0, 5), (6, 11))),
    Chunk(1, "a.txt", 6, 24, "there. Grüße, Ålesund", ((6, 12), (13, 24))),
    Chunk(2, "b.txt", 0, 7, "Москва.", ((0, 7),)),
    Chunk(3, "a.txt", 25, 25, "", ()),
]


def test_reads_back_every_field_of_every_chunk() -> None:
    table = ChunkTable.from_chunks(CHUNKS)
    assert len(table) == 4
    assert list(table) == CHUNKS
    assert table[-1] == CHUNKS[-1] and table[1:3] == CHUNKS[1:3]
    assert [table.text(i) for i in range(4)] == [c.text for c in CHUNKS]
    assert [table.source(i) for i in range(4)] == [c.source for c in CHUNKS]
    with pytest.raises(IndexError):
        table[4]


def test_reads_a_chunks_file_line_by_line(tmp_path) -> None:
    path = tmp_path / "chunks.jsonl"
    rows = [json.dumps({**asdict(c), "sentences": [list(s) for s in c.sentences]}, ensure_ascii=False) for c in CHUNKS]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert list(ChunkTable.from_jsonl(path)) == CHUNKS


def test_chunk_ids_must_run_in_order() -> None:
    with pytest.raises(ValueError, match="chunk ids"):
        ChunkTable.from_chunks([CHUNKS[1]])


def test_ids_of_sources_is_what_a_filter_allows() -> None:
    table = ChunkTable.from_chunks(CHUNKS)
    assert table.ids_of_sources({"a.txt"}).tolist() == [0, 1, 3]
    assert table.ids_of_sources({"b.txt", "gone.txt"}).tolist() == [2]
    assert table.ids_of_sources(set()).dtype == np.int64 and len(table.ids_of_sources(set())) == 0


def test_a_loaded_index_holds_its_chunks_as_a_table(seed_index) -> None:
    from qa.store import files

    corpus, index = seed_index
    data = files.load(index)
    assert isinstance(data.chunks, ChunkTable)
    for c in data.chunks:  # every chunk is its file's characters
        assert (corpus / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.text
    assert data.chunks.nbytes < sum(len(c.text.encode()) for c in data.chunks) + 200 * len(data.chunks)


def test_the_chunk_word_keys_stay_bounded(seed_index, monkeypatch) -> None:
    """A long-running server must not keep the word keys of every chunk it ever looked at."""
    from qa.store import data as data_module
    from qa.store import files
    from qa.text.fold import fold, words

    monkeypatch.setattr(data_module, "CHUNK_KEYS_KEPT", 5)
    corpus, index = seed_index
    data = files.load(index)
    first = data.chunk_keys(0)
    assert first == frozenset(fold(w) for w in words(data.chunks.text(0))) and len(first) > 5
    for i in range(len(data.chunks)):
        data.chunk_keys(i)
    assert len(data.cache["chunk_keys"]) == 5
    assert data.chunk_keys(0) == first  # rebuilt the same after eviction


def test_the_article_word_keys_are_per_article_and_bounded(seed_index, monkeypatch) -> None:
    """Only the articles a question reaches get a key set: a table of all of them held 79 MB at 10^5 chunks."""
    from qa.store import data as data_module
    from qa.store import files

    monkeypatch.setattr(data_module, "ARTICLE_KEYS_KEPT", 2)
    corpus, index = seed_index
    data = files.load(index)
    sources = sorted({data.chunks.source(i) for i in range(len(data.chunks))})
    expected = {
        s: frozenset().union(*(data.chunk_keys(i) for i in range(len(data.chunks)) if data.chunks.source(i) == s))
        for s in sources
    }
    for s in sources:
        assert data.article_keys(s) == expected[s]
    assert len(data.cache["article_keys"]) == 2
    assert data.article_keys(sources[0]) == expected[sources[0]]  # rebuilt the same after eviction
    assert data.article_keys("not-in-the-index.txt") == frozenset()
