"""The reader's encoder as an int8 ONNX Runtime model, built once from the base model and the artefact.

Why: reading five windows is ~30 GFLOP of fp32 matrix products, about half a
second on 2 cores; this CPU has AVX-512 VNNI, so int8 products (ONNX Runtime
dynamic quantisation) are several times cheaper. The graph is the reader's
12 encoder layers and span head only (~21 M weights, ~22 MB int8), fused the
way the embedder's is; the word-embedding lookup stays in numpy
(qa/embed/encoders.py), so the file is small and loads in well under a second.

Built into the cache folder (``python -m qa.answer.read``, run by ``make
setup``), keyed by the artefact's hash; torch is used for the export only.
When onnxruntime or the built file is missing, the reader runs in numpy.
"""

from __future__ import annotations

import hashlib
import logging
import queue
from pathlib import Path
from typing import Any

import numpy as np

from qa.embed import int8
from qa.embed.encoders import read_safetensors
from qa.settings import cache_dir, query_threads

log = logging.getLogger(__name__)


def model_path(artefact: Path) -> Path:
    """Where the int8 model of this artefact lives (a new artefact gets a new file)."""
    digest = hashlib.sha256((artefact / "reader.safetensors").read_bytes()).hexdigest()[:16]
    return cache_dir() / "models" / f"reader-int8f-{digest}.onnx"


def build(reader: Any, artefact: Path, target: Path) -> Path:
    """The base model with the artefact's trained layers, and the span head, as a fused int8 graph.

    Fused with per-channel weight scales (:func:`qa.embed.int8.build_encoder`), the
    int8 reader is nearer the exact numpy one than the plain per-tensor graph
    was: on the bench questions' windows it picks the same best window for 0.77
    of questions against 0.63, and its margins differ by 0.95 at the median
    against 1.8, for about the same time per window.
    """
    trained = {k: v for k, v in read_safetensors(artefact / "reader.safetensors").items() if k.startswith("encoder.")}
    # 8-bit weights on every CPU: with 7 bits on an AVX2-only EPYC its margins were nearer the exact reader's
    # (median |diff| 0.59 against 0.63), yet a clean-clone CI changed two answers (training/validation.md, session 16).
    return int8.build_encoder(target, reader.base.folder, replace=trained, head=(reader.head, reader.head_b))


class ReaderSession:
    """The reader's int8 encoder as one single-threaded session per query thread; ``logits(ids)`` as
    the numpy path computes them, callable from that many threads at once.

    Why one thread per session: a window is ~115 tokens, too small for ONNX
    Runtime to split one run over two cores well. Two single-threaded runs side
    by side read 300 news windows at 8.5 ms a window, against 13.6 ms for one
    run at a time on two threads, with logits identical to the bit (2 cores,
    session 41). Each window is still its own run, so its reading never depends
    on what is read beside it.
    """

    def __init__(self, sessions: list[int8.Int8Session], reader: Any):
        self.workers = len(sessions)
        self._free: queue.Queue[int8.Int8Session] = queue.Queue()
        for session in sessions:
            self._free.put(session)
        self.base = reader.base

    def logits(self, batch: list[list[int]]) -> np.ndarray:
        ids, mask = self.base.pad(batch)
        inputs = {"words": self.base.words(ids), "mask": mask.astype(np.int64)}
        session = self._free.get()
        try:
            return session.feed(inputs)["logits"]
        finally:
            self._free.put(session)


def load_session(reader: Any, artefact: Path, build_if_missing: bool = False) -> ReaderSession | None:
    """The int8 sessions for this artefact, or None (numpy reads) without onnxruntime or a built file."""
    if not int8.available():
        return None
    try:
        path = model_path(artefact)
        first = int8.open_session(path, lambda target: build(reader, artefact, target), build_if_missing, threads=1)
        if first is None:
            return None
        more = [int8.Int8Session(path, threads=1) for _ in range(query_threads() - 1)]
        return ReaderSession([first, *more], reader)
    except Exception as exc:  # noqa: BLE001 - any failure here leaves the exact numpy path in charge
        log.warning("int8 reader unavailable (%s); reading with numpy", exc)
        return None
