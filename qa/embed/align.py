"""Word-by-word alignment of a question with sentences, across languages.

A sentence vector squeezes a sentence into one point, so "skip the talks" and
"weigerte sich … teilzunehmen" only meet if the whole sentences do. The
encoder's *token* states do better at that: in the middle layers of a
multilingual encoder, a word and its translation sit close together whatever
the language (SimAlign aligns words across languages with exactly these
states; BERTScore scores sentence pairs with them). The alignment score of a
sentence is the mean, over the question's tokens, of each token's best
cosine with any token of the sentence.

Measured on our question files (e5-small, layer 6 of 12): as one more ranker
in retrieval recall@10 went 0.96 -> 0.987; in the composer the right sentence
came first 0.56 -> 0.61 (tuned file) and 0.57 -> 0.60 (held-out file). Layers
4, 8, 10 and 12 were worse.

Stored per sentence at build time, memory-mapped, and read only for the
candidates of one question. A token is 96 bytes of product-quantisation codes
(a committed codebook, ``qa/models/token_pq/``, trained on SQuAD sentences by
``python -m training token-pq``) plus a 4-byte scale: 100 bytes against 388 as
int8, with recall@5 and cited-gold held on every bench file (docs/scale.md).
States of a width the codebook was not trained for are stored as int8 with a
scale per token, as before.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

_FILES = ("sentence_tokens.npy", "sentence_token_scales.npy", "sentence_token_offsets.npy")
CODEBOOK = Path(__file__).resolve().parents[1] / "models" / "token_pq" / "codebook.npy"
_pq: dict[str, Any] = {}
_pq_lock = threading.Lock()


def _quantiser() -> Any:
    """The committed codebook as a faiss ProductQuantizer (loaded once), or None without one."""
    if os.environ.get("QA_TOKEN_PQ", "1") == "0":  # int8 states: 4x the disk, ~3 ms less per search
        return None
    with _pq_lock:
        if "pq" not in _pq:
            _pq["pq"] = None
            if CODEBOOK.is_file():
                import faiss

                centroids = np.load(CODEBOOK).astype(np.float32)
                m, ksub, dsub = centroids.shape
                pq = faiss.ProductQuantizer(m * dsub, m, int(np.log2(ksub)))
                faiss.copy_array_to_vector(centroids.ravel(), pq.centroids)
                _pq["pq"] = pq
                _pq["digest"] = hashlib.sha256(CODEBOOK.read_bytes()).hexdigest()[:12]
        return _pq["pq"]


def token_encoding() -> str:
    """How a new build stores token states: ``pq<M>-<codebook digest>``, or ``int8`` without a codebook.

    Part of the index signature, so an index whose codes another codebook wrote is rebuilt, never misread.
    """
    pq = _quantiser()
    if pq is None:
        return "int8"
    return f"pq{pq.M}-{_pq['digest']}"


def quantise(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One sentence's unit token vectors as stored: codes (or int8 values) and one scale per token.

    With the codebook (states of its width): uint8 codes ``(tokens, M)``, and the scale
    that makes each decoded vector unit again. Otherwise int8 values with value * scale = entry.
    """
    flat = np.asarray(state, dtype=np.float32)
    if not flat.size:
        return np.zeros((0, flat.shape[-1] if flat.ndim == 2 else 0), np.int8), np.zeros(0, np.float32)
    pq = _quantiser()
    if pq is not None and flat.shape[1] == pq.d:
        codes = pq.compute_codes(np.ascontiguousarray(flat))
        decoded = pq.decode(codes)
        return codes, (1.0 / np.maximum(np.linalg.norm(decoded, axis=1), 1e-12)).astype(np.float32)
    return int8_rows(flat)


def int8_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and a float32 scale per row, ``values * scale`` = the row.

    The row's largest entry maps to ±127, so quantising a dequantised row gives it back.
    Token states without a codebook and the index's stored vectors (qa/store/data.py) use it.
    """
    flat = np.asarray(matrix, dtype=np.float32).reshape(len(matrix), -1)
    scales = np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0 if flat.size else np.zeros(len(flat), np.float32)
    return np.round(flat / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def unscaled(values: np.ndarray) -> np.ndarray:
    """Stored token rows as float32 before their scales: int8 values as they are, uint8 codes decoded."""
    if values.dtype == np.uint8:
        pq = _quantiser()
        if pq is None or values.shape[1] != pq.M:
            raise ValueError(f"token states hold {values.shape[1]}-byte codes and no codebook of that size is installed")
        return pq.decode(np.ascontiguousarray(values))
    return np.asarray(values, dtype=np.float32)


class TokenStates:
    """Unit token vectors of every indexed sentence, row ``i`` = sentence ``i``."""

    def __init__(self, values: np.ndarray, scales: np.ndarray, offsets: np.ndarray):
        self.values = values  # (tokens, M) uint8 codes, or (tokens, dim) int8 (see quantise())
        self.scales = scales  # (tokens,) float32: unscaled(value) * scale = the unit vector
        self.offsets = offsets  # (sentences + 1,) int64: sentence i is values[offsets[i]:offsets[i+1]]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def fit(cls, states: list[np.ndarray], dim: int) -> TokenStates:
        """Quantise unit token vectors (one array per sentence) as a build stores them."""
        return cls.from_parts([quantise(s) for s in states], dim)

    @classmethod
    def from_parts(cls, parts: list[tuple[np.ndarray, np.ndarray]], dim: int) -> TokenStates:
        """Join sentences already quantised by :func:`quantise` (a build keeps no float states)."""
        lengths = np.asarray([len(v) for v, _ in parts], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if not parts or not lengths.sum():
            return cls(np.zeros((0, dim), np.int8), np.zeros(0, np.float32), offsets)
        values = np.concatenate([np.asarray(v).reshape(len(v), -1) for v, _ in parts if len(v)])
        scales = np.concatenate([np.asarray(sc, dtype=np.float32) for _, sc in parts])
        return cls(values, scales, offsets)

    def quantised_rows(self, rows: list[int] | np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Some sentences as stored (codes or int8 values, scales), for carrying them into a new build unchanged."""
        out = []
        for r in rows:
            lo, hi = int(self.offsets[r]), int(self.offsets[r + 1])
            out.append((np.asarray(self.values[lo:hi]), np.asarray(self.scales[lo:hi])))
        return out

    def rows(self, rows: list[int] | np.ndarray) -> list[np.ndarray]:
        """The float token vectors of some sentences (a build carries rows over with :meth:`quantised_rows`)."""
        out = []
        for r in rows:
            lo, hi = int(self.offsets[r]), int(self.offsets[r + 1])
            out.append(unscaled(np.asarray(self.values[lo:hi])) * self.scales[lo:hi, None])
        return out

    def alignment(self, query: np.ndarray, rows: list[int] | np.ndarray) -> np.ndarray:
        """For each sentence row: mean over the query's tokens of the best cosine with one of its tokens."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float64)
        if len(rows) == 0 or len(query) == 0:
            return out
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        keep = ends > starts
        if not keep.any():
            return out
        lengths = (ends - starts)[keep]
        bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        index = np.repeat(starts[keep] - bounds, lengths) + np.arange(int(lengths.sum()))
        # Only the candidates' rows are gathered (stored files read them on demand), and the
        # scales applied to the products rather than to every stored entry: 2.3 ms instead of
        # 8.3 for 200 sentences (5.5 k tokens).
        values = unscaled(np.asarray(self.values[index]))
        sims = query.astype(np.float32) @ values.T  # (query tokens, all candidate tokens)
        sims *= np.asarray(self.scales[index])
        best = np.maximum.reduceat(sims, bounds, axis=1)  # (query tokens, kept rows)
        out[keep] = best.mean(axis=0)
        return out

    def save(self, folder: Path, save_npy: Callable[[Path, np.ndarray], None]) -> None:
        """Three ``.npy`` files, written by the store's own (fsyncing) writer."""
        for name, array in zip(_FILES, (self.values, self.scales, self.offsets)):
            save_npy(folder / name, array)

    @classmethod
    def load(cls, folder: Path, load_matrix: Callable[[Path], np.ndarray]) -> TokenStates | None:
        """The stored states (memory-mapped by the store's reader), or None for an index built without them."""
        if not all((folder / name).exists() for name in _FILES):
            return None
        values, scales, offsets = (load_matrix(folder / name) for name in _FILES)
        return cls(values, scales, np.asarray(offsets, dtype=np.int64))
