"""The product-quantisation codebook for the index's token states (qa/embed/align.py), trained offline.

    python -m training token-pq     # -> qa/models/token_pq/codebook.npy + token_pq.json

The index keeps every sentence's e5 layer-6 token states for word-by-word
alignment; as int8 they were most of an index's disk (388 bytes a token). A
codebook of 96 sub-quantisers x 256 centroids stores a token in 96 bytes (+ a
4-byte scale), and on every bench question file recall@5 and cited-gold held
(docs/scale.md, ``python bench/token_pq.py``). It is trained here, on token
states of training-split SQuAD sentences (120 paragraphs per source and
language, held-out titles dropped by training/data.py), never on bench data,
so one committed codebook serves every corpus and an index's codes do not
depend on which articles it holds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

PARAGRAPHS_PER_SOURCE = 120
SEED = 5
SUBQUANTISERS = 96
ROOT = Path(__file__).resolve().parent.parent


def training_states(cache: Path | None = None) -> np.ndarray:
    """Layer-6 token states of training-split SQuAD sentences (cached: encoding takes about a minute)."""
    if cache is not None and cache.is_file():
        return np.load(cache)
    from qa.embed.encoders import get_embedder
    from qa.ingest.sentences import split_sentences
    from qa.settings import Settings

    from .data import SOURCES, read_squad, validation_titles

    by_lang = {lang: read_squad(name, lang, titles) for name, lang, titles in SOURCES}
    validation = validation_titles(by_lang)  # the reader's validation articles stay out of the codebook too
    paragraphs: dict[tuple[str, str, int], str] = {
        (lang, q.title, q.paragraph): q.context for lang, qs in by_lang.items() for q in qs if q.title not in validation
    }
    keys = sorted(paragraphs)
    random.Random(SEED).shuffle(keys)
    by_lang: dict[str, list[tuple[str, str, int]]] = {}
    for k in keys:
        by_lang.setdefault(k[0], []).append(k)
    sentences = []
    for k in (k for lang in by_lang for k in by_lang[lang][:PARAGRAPHS_PER_SOURCE]):
        text = paragraphs[k]
        sentences += [" ".join(text[s:e].split()) for s, e in split_sentences(text, [(0, len(text))], k[0])]
    settings = Settings()
    _, states = get_embedder(settings.model).passages_with_tokens(sentences, settings.align_layer, 32)
    found = np.vstack(states).astype(np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, found)
    return found


def train_codebook(states: np.ndarray, subquantisers: int = SUBQUANTISERS):
    """A faiss ProductQuantizer (8 bits per sub-quantiser) fitted to unit token states."""
    import faiss

    unit = states / np.maximum(np.linalg.norm(states, axis=1, keepdims=True), 1e-12)
    pq = faiss.ProductQuantizer(states.shape[1], subquantisers, 8)
    pq.train(np.ascontiguousarray(unit, dtype=np.float32))
    return pq


def write_codebook(out: Path, cache: Path | None = ROOT / ".cache" / "pq-train-states.npy") -> dict:
    """Train and store the codebook (centroids as ``(M, 256, dim / M)`` float32) with its card."""
    import faiss

    states = training_states(cache)
    pq = train_codebook(states)
    centroids = faiss.vector_to_array(pq.centroids).reshape(pq.M, pq.ksub, pq.dsub).astype(np.float32)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "codebook.npy", centroids)
    card = {
        "format": 1,
        "subquantisers": int(pq.M),
        "bits": 8,
        "dim": int(pq.d),
        "trained_on": f"{len(states):,} e5 layer-6 token states of training-split SQuAD sentences "
        f"({PARAGRAPHS_PER_SOURCE} paragraphs per source, seed {SEED}; training/DATA.md)",
        "command": "python -m training token-pq",
    }
    (out / "token_pq.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card
