"""LLM query rewriting: the question as a search query in each corpus language.

Cross-lingual retrieval is the weak spot of small multilingual embedders: a
German question finds German passages more easily than Dutch ones. With an
LLM configured (``QA_LLM_URL``), ``rewrite_query`` asks it for the question
in each corpus language so retrieval can search with those as well.

The LLM is treated as untrusted and optional. Its reply is parsed line by
line (``code: text``); only lines for a requested language, of a sane length,
in (as far as the detector can tell) that language and different from the
question are kept. Any failure -- no endpoint, a timeout, an HTTP error, a
malformed reply -- gives ``[]``, which means "search with the question only".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from qa.llm.client import chat
from qa.llm.prompts import REWRITE_SYSTEM, REWRITE_USER
from qa.settings import Settings
from qa.text.langid import MAJOR_LANGUAGES, detect

log = logging.getLogger(__name__)

MAX_LANGUAGES = 8  # more would not fit a short reply; the caller picks the corpus' main ones
MAX_QUESTION_CHARS = 500
MAX_REWRITE_CHARS = 300
DEFAULT_TIMEOUT = 10.0  # seconds; rewriting must never stall a question for long
_LINE = re.compile(r"^[\s\-*•\d.)]*\(?([A-Za-z]{2})\)?\s*[:=–-]\s*(.+?)\s*$")
_QUOTES = "\"'“”„«»‘’`"


def _codes(languages: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for code in languages:
        code = str(code).strip().lower()
        if re.fullmatch(r"[a-z]{2}", code) and code not in seen:
            seen.append(code)
    return seen[:MAX_LANGUAGES]


def parse_rewrites(reply: str, question: str, languages: list[str]) -> list[str]:
    """The acceptable rewrites in ``reply``, in the order of ``languages``."""
    limit = min(MAX_REWRITE_CHARS, max(60, 3 * len(question)))
    found: dict[str, str] = {}
    for line in reply.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        code, text = match.group(1).lower(), match.group(2).strip().strip(_QUOTES).strip()
        if code not in languages or code in found:
            continue
        if not text or len(text) > limit or "<<<" in text or ">>>" in text:
            continue
        if text.casefold() == question.strip().casefold():
            continue
        if code in MAJOR_LANGUAGES and detect(text, fallback=code) != code:
            continue  # said to be German, reads as something else
        found[code] = text
    rewrites: list[str] = []
    for code in languages:
        text = found.get(code)
        if text and text not in rewrites:
            rewrites.append(text)
    return rewrites


def rewrite_query(
    question: str, languages: Iterable[str], llm_settings: Settings, *, timeout: float | None = None
) -> list[str]:
    """The question rewritten into ``languages`` by the configured LLM, or ``[]``.

    Never raises: without ``llm_settings.llm_url``, or on any error, the
    result is ``[]`` and retrieval goes on with the question alone.
    """
    codes = _codes(languages)
    text = " ".join(str(question).split())[:MAX_QUESTION_CHARS]
    if not llm_settings.llm_url or not codes or not text:
        return []
    messages = [
        {"role": "system", "content": REWRITE_SYSTEM},
        {"role": "user", "content": REWRITE_USER.format(languages=", ".join(codes), question=text)},
    ]
    wait = timeout if timeout is not None else min(llm_settings.llm_timeout, DEFAULT_TIMEOUT)
    try:
        reply = chat(messages, llm_settings, max_tokens=40 + 60 * len(codes), timeout=wait)
        return parse_rewrites(reply, text, codes)
    except Exception as exc:  # noqa: BLE001 - rewriting is optional; any failure means "no rewrites"
        log.warning("query rewriting skipped: %s", exc)
        return []
