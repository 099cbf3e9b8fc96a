"""Citations translated into the question's language, when an LLM is configured.

The evidence is always the verbatim quote in the article's language; a
translation sits beside it so a reader of the question's language can follow.
The model is untrusted: its reply is kept only if it is non-empty, of a
plausible length, free of links/markup/echoed instructions, and (where the
detector can tell) in the target language. Otherwise the citation simply has
no translation. Nothing here can change an answer or a citation span.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from qa.llm.client import chat, unsafe
from qa.llm.prompts import TRANSLATE_SYSTEM, TRANSLATE_USER, language_name
from qa.settings import Settings
from qa.text.langid import MAJOR_LANGUAGES, detect
from qa.types import Citation

log = logging.getLogger(__name__)

TIMEOUT = 15.0  # seconds per quote; translations must not stall an answer for long
_MAX_WORKERS = 3
_MIN_WORDS_TO_CHECK = 4  # below this the language detector is a guess


def accept_translation(reply: str, quote: str, target: str) -> str | None:
    """The reply if it can stand as the quote's translation, else None."""
    text = " ".join(reply.strip().strip("\"'“”„«»").split())
    if not text or "<<<" in text or ">>>" in text or unsafe(text):
        return None
    if not 0.3 * len(quote) <= len(text) <= 3 * len(quote) + 40:
        return None  # a summary, a refusal or a rambling reply, not a translation
    if target in MAJOR_LANGUAGES and len(text.split()) >= _MIN_WORDS_TO_CHECK and detect(text, fallback=target) != target:
        return None
    return text


@lru_cache(maxsize=1024)
def _translate(quote: str, source: str, target: str, settings: Settings) -> str | None:
    messages = [
        {
            "role": "system",
            "content": TRANSLATE_SYSTEM.format(source=language_name(source, "en"), target=language_name(target, "en")),
        },
        {"role": "user", "content": TRANSLATE_USER.format(quote=quote.replace("<<<", "«").replace(">>>", "»"))},
    ]
    try:
        reply = chat(messages, settings, max_tokens=min(800, 40 + 2 * len(quote)), timeout=min(settings.llm_timeout, TIMEOUT))
    except Exception as exc:  # noqa: BLE001 - translation is optional; any failure means "none"
        log.warning("quote translation skipped: %s", exc)
        return None
    return accept_translation(reply, quote, target)


def translate_citations(citations: list[Citation], language: str, settings: Settings) -> None:
    """Fill ``translation`` for citations in another language than ``language`` (in place)."""
    todo = [c for c in citations if c.lang and c.lang != language and c.quote.strip()]
    if not settings.llm_url or not todo:
        return
    with ThreadPoolExecutor(max_workers=_MAX_WORKERS) as pool:
        results = list(pool.map(lambda c: _translate(c.quote, c.lang, language, settings), todo))
    for citation, text in zip(todo, results):
        citation.translation = text
