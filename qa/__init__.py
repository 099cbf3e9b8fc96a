"""Question answering over a multilingual news corpus, with verifiable citations.

Pipeline, one module per step: load -> clean -> sentences -> chunk -> embed
-> vectors/store (index) -> retrieve -> answer -> cite.
"""

from .answer import ask
from .build import build_index
from .retrieve import search
from .types import Answer, Article, BuildSummary, Chunk, Citation, Passage, Skipped

__all__ = ["ask", "Answer", "Article", "BuildSummary", "Chunk", "Citation", "Passage", "Skipped", "build_index", "search"]
