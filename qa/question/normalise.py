"""Make a user's question safe to embed: clean, bounded, and non-empty."""

from __future__ import annotations

import re
import unicodedata

from qa.errors import InvalidQuestionError

# Lone surrogates (a "\ud800" escape in JSON) are here too: the tokenizer raised TypeError on them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def normalise_question(question: object, max_chars: int) -> str:
    """The question as one clean line, truncated to ``max_chars``.

    Control and bidi-override characters are removed (they can hide text in
    the UI); overly long input is truncated rather than refused so a pasted
    article still gets an answer - the model only reads ~512 tokens anyway.
    """
    if not isinstance(question, str):
        raise InvalidQuestionError(f"the question must be text, not {type(question).__name__}")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", question))
    text = " ".join(text.split())
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
    if not any(ch.isalnum() for ch in text):
        raise InvalidQuestionError("the question is empty: type a question with at least one word")
    return text
