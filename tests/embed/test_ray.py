"""Embedding on a local Ray cluster with two workers builds the same index as one process."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa import build_index, store

pytestmark = pytest.mark.slow


def test_ray_build_equals_the_single_process_build(seed_index: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, single = seed_index
    from qa.embed.ray_pool import RayPool

    # Two workers on a 2-core machine; small batches so each worker gets several shards.
    with RayPool(workers=2) as pool:
        assert pool.workers == 2
        index = tmp_path / "ray-index"
        from qa.settings import Settings
        from qa.store.build import _update  # the build itself, with the pool's embedders

        settings = Settings.from_env(corpus=corpus, index=index)
        with store.lock(index):
            summary = _update(corpus, index, settings, None, None, lambda m: pool.embedder(m, settings.align_layer))
        assert len(pool.actors) == 2 and set(pool._embedders) == set(settings.models)
    a, b = store.load(single), store.load(index)
    assert summary.embedded_chunks == len(b.chunks) == len(a.chunks)
    assert [(c.source, c.start, c.end) for c in a.chunks] == [(c.source, c.start, c.end) for c in b.chunks]
    assert a.sentence_sources == b.sentence_sources and np.array_equal(a.sentences, b.sentences)
    for v in range(len(a.chunk_vectors)):
        np.testing.assert_allclose(b.chunk_vectors[v], a.chunk_vectors[v], atol=1e-5)
    assert len(a.sentence_vectors) == len(b.sentence_vectors) == 1  # the primary view's only
    np.testing.assert_allclose(b.sentence_vectors[0], a.sentence_vectors[0], atol=1e-5)
    np.testing.assert_array_equal(b.tokens.offsets, a.tokens.offsets)
    assert np.abs(b.tokens.values.astype(int) - a.tokens.values.astype(int)).max() <= 1


def test_cli_build_with_ray_starts_and_stops_a_local_cluster(seed_index: tuple[Path, Path], tmp_path: Path) -> None:
    import ray

    corpus = tmp_path / "corpus"
    shutil.copytree(seed_index[0], corpus)
    summary = build_index(corpus, tmp_path / "index", ray="local")
    assert summary.articles == 5 and summary.embedded_chunks == summary.chunks
    assert not ray.is_initialized()
    # nothing new to embed: no cluster is started at all
    again = build_index(corpus, tmp_path / "index", ray="local")
    assert again.embedded_chunks == 0
