"""Public data types of the pipeline.

Plain dataclasses so that callers (the app, tests, outside checks) can build,
compare and serialise them without importing any model code. Offsets are
always Python ``str`` offsets into ``Path(corpus / source).read_text("utf-8")``:
the original file, never a cleaned copy, so every span can be verified.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One source file of the corpus and what we could learn about it."""

    id: str  # first 16 hex digits of the content hash: stable across renames
    source: str  # file name relative to the corpus folder
    title: str
    lang: str  # ISO 639-1
    date: str | None  # ISO date when the text states one
    outlet: str | None  # news outlet / agency when the text names one
    sha256: str
    n_chars: int
    # Where the text states ``date`` (a scraper's "date 2024-08-28" header is not
    # indexed as content, yet it is the evidence a "when" answer can cite).
    date_span: tuple[int, int] | None = None
    outlet_span: tuple[int, int] | None = None  # where the text credits ``outlet``: cited for "which agency"

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Article:
        """An article from its manifest row (JSON: spans come back as lists; older rows lack new fields)."""
        values = {k: row[k] for k in cls.__dataclass_fields__ if k in row}
        for name in ("date_span", "outlet_span"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Chunk:
    """A window of consecutive sentences: the unit that is embedded and ranked."""

    id: int
    source: str
    start: int
    end: int
    text: str  # == original[start:end]
    sentences: tuple[tuple[int, int], ...]  # sentence spans inside [start, end)


@dataclass
class Passage:
    """A ranked search hit, with enough article metadata to cite it."""

    source: str
    title: str
    lang: str
    start: int
    end: int
    text: str
    score: float
    chunk_id: int = -1
    date: str | None = None
    outlet: str | None = None
    sentences: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Citation:
    """A verifiable claim source: ``quote == original[start:end]`` always."""

    n: int
    source: str
    title: str
    lang: str
    start: int
    end: int
    quote: str
    score: float
    date: str | None = None
    outlet: str | None = None
    # The quote in the question's language, when an LLM is configured and the
    # quote is in another language; for reading only (``quote`` is the evidence).
    translation: str | None = None
    # The reader's short answer inside this quote: absolute offsets into the same
    # file, start <= answer_start < answer_end <= end (None when it holds none).
    answer_start: int | None = None
    answer_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What ``ask()`` returns: text with [n] markers and the citations behind them."""

    text: str
    citations: list[Citation]
    abstained: bool
    language: str
    passages: list[Passage] = field(default_factory=list)
    question: str = ""
    composer: str = "reader"  # "reader", "rules" (no reader artefact) or "generative" (LLM)
    seconds: float = 0.0
    # Outlets and months the question named, which retrieval favoured (qa/question/hints.py).
    focus: list[str] = field(default_factory=list)
    # The reader's answer span ("Emmanuel Macron"), an exact substring of the
    # first quote's source at its citation's answer_start:answer_end.
    short_answer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not indexed, and why (shown to the user)."""

    source: str
    reason: str


@dataclass
class BuildSummary:
    """Result of ``build_index()``: what the index now holds and what changed."""

    articles: int
    chunks: int
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    embedded_chunks: int = 0
    rebuilt: bool = False
    reason: str = ""
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)
