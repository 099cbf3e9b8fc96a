"""Question answering over a multilingual news corpus, with verifiable citations.

Pipeline, one sub-package per step (docs/architecture.md):
ingest (load, clean, metadata, sentences, chunk) -> embed -> store (the index)
-> question -> retrieve -> answer (read, compose, cite); ``text`` holds the
language tools they share, ``llm`` the optional generative parts, ``eval`` the
measurements and ``page`` the chat page's parts.

The public names are imported on first use (PEP 562 ``__getattr__``), so
``import qa`` costs milliseconds and a tool that only needs one light module
(``qa.eval.evaluate``, ``qa.settings``) never loads FAISS, numpy models or the
retrieval stack.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

# OpenMP threads (FAISS's libgomp) sleep between parallel regions instead of spinning.
# Spinning, they took the cores the next numpy product of a query needed: decoding the
# token states' PQ codes (qa/embed/align.py) made search() p50 31 ms against 23 with this set.
# It must be set before libgomp loads, so here, where every qa import starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if TYPE_CHECKING:  # for type checkers and IDEs; at run time these load lazily
    from qa.answer.ask import ask
    from qa.retrieve.engine import search
    from qa.store.build import build_index
    from qa.types import Answer, Article, BuildSummary, Chunk, Citation, Passage, Skipped

_WHERE = {
    "ask": "qa.answer.ask",
    "build_index": "qa.store.build",
    "search": "qa.retrieve.engine",
    **{name: "qa.types" for name in ("Answer", "Article", "BuildSummary", "Chunk", "Citation", "Passage", "Skipped")},
}

__all__ = ["ask", "Answer", "Article", "BuildSummary", "Chunk", "Citation", "Passage", "Skipped", "build_index", "search"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
