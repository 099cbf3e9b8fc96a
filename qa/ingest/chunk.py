"""Sentence windows under a tiktoken budget: the units we embed and rank.

Measured on the seeds, two-sentence windows retrieve better than single
sentences (a sentence often needs its neighbour to be understood) and far
better than long chunks (one topic per vector). Windows slide by one
sentence so every sentence is at the start of some window; a sentence longer
than the budget is cut at word boundaries into budget-sized pieces.
"""

from __future__ import annotations

import re

from qa.settings import ChunkSettings
from qa.text.tokens import count_tokens
from qa.types import Chunk

Span = tuple[int, int]


def _fit(text: str, span: Span, settings: ChunkSettings) -> list[Span]:
    """Split one over-long sentence into word-aligned pieces within the budget."""
    s, e = span
    if count_tokens(text[s:e], settings.encoding) <= settings.max_tokens:
        return [span]
    pieces: list[Span] = []
    piece_start = s
    last_end = s
    for m in re.finditer(r"\S+", text[s:e]):
        w_end = s + m.end()
        if count_tokens(text[piece_start:w_end], settings.encoding) > settings.max_tokens and last_end > piece_start:
            pieces.append((piece_start, last_end))
            piece_start = s + m.start()
        last_end = w_end
    pieces.append((piece_start, last_end))
    return pieces


def windows(text: str, sentences: list[Span], settings: ChunkSettings) -> list[tuple[Span, tuple[Span, ...]]]:
    """``(chunk span, its sentence spans)`` for one article, in order."""
    units = [piece for span in sentences for piece in _fit(text, span, settings)]
    if not units:
        return []
    size = max(1, settings.window_sentences)
    out: list[tuple[Span, tuple[Span, ...]]] = []
    for i in range(len(units)):
        group = units[i : i + size]
        while len(group) > 1 and count_tokens(text[group[0][0] : group[-1][1]], settings.encoding) > settings.max_tokens:
            group = group[:-1]
        if out and group[-1] == out[-1][1][-1]:
            continue  # a tail already inside the previous window
        out.append(((group[0][0], group[-1][1]), tuple(group)))
    return out


def embed_text(text: str, spans: tuple[tuple[int, int], ...], title: str = "") -> str:
    """What the model sees: the window's sentences, without boilerplate between them, after the title if given."""
    body = " ".join(" ".join(text[s:e].split()) for s, e in spans)
    title = " ".join(title.split())
    if not title or body.startswith(title):
        return body
    return f"{title}. {body}" if title[-1:].isalnum() else f"{title} {body}"


def lexical_text(chunk: Chunk) -> str:
    """What the lexical views index: the window's sentences, without the boilerplate between them."""
    return embed_text(chunk.text, tuple((s - chunk.start, e - chunk.start) for s, e in chunk.sentences))
