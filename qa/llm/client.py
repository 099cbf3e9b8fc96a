"""Optional generative composer over any OpenAI-compatible chat endpoint.

For users who run an LLM (Ollama, llama.cpp's server, vLLM, OpenAI). Its
output is accepted only if every [n] marker points at a passage we gave it
and it is in the question's language; anything else (an invented source, a
reply in the article's language, a server error) falls back to the
extractive composer, so a weak or misbehaving model can't break citations.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request

from qa.llm.prompts import LLM_SYSTEM, LLM_USER, abstain_message
from qa.settings import Settings
from qa.text.langid import detect
from qa.types import Citation, Passage

log = logging.getLogger(__name__)

_MARKER = re.compile(r"\[(\d+)\]")
_MAX_PASSAGES = 5
_MIN_PROSE_WORDS = 3  # below this the language cannot be checked (and nothing is said)
_WORD = re.compile(r"\w+", re.UNICODE)
NOT_IN_ARTICLES = "NOT_IN_ARTICLES"
# What an article's prompt injection makes a model write: links to follow, markup
# for the page to render, or the instructions themselves echoed back.
_UNSAFE_REPLY = re.compile(
    r"https?://|\bwww\.|javascript:|data:text|<\s*/?\s*[a-z!][^>]*>|\]\(|"
    r"\b(ignore|disregard|forget)\b.{0,30}\b(instructions|rules|prompt)\b|system (prompt|override)",
    re.IGNORECASE,
)


def unsafe(text: str) -> bool:
    """Links, markup or echoed instructions: what an injected reply looks like."""
    return bool(_UNSAFE_REPLY.search(text))


def chat(
    messages: list[dict[str, str]], settings: Settings, *, max_tokens: int = 400, timeout: float | None = None
) -> str:
    """One chat completion; raises on transport or protocol errors."""
    url = settings.llm_url.rstrip("/")
    if not url.endswith("/chat/completions"):
        url += "/chat/completions"
    body = json.dumps(
        {"model": settings.llm_model or "default", "messages": messages, "temperature": 0, "max_tokens": max_tokens}
    ).encode()
    headers = {"Content-Type": "application/json"}
    if settings.llm_api_key:
        headers["Authorization"] = f"Bearer {settings.llm_api_key}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout or settings.llm_timeout) as response:
        payload = json.loads(response.read().decode("utf-8"))
    return str(payload["choices"][0]["message"]["content"]).strip()


def build_messages(
    question: str, language: str, passages: list[Passage], hint: str | None = None
) -> list[dict[str, str]]:
    """Passages are fenced as data; the rules live only in the system message; the reader's hint follows them."""
    blocks = []
    for n, p in enumerate(passages, 1):
        text = " ".join(p.text.split()).replace("<<<", "«").replace(">>>", "»")
        blocks.append(f"[{n}] ({p.lang}, {p.outlet or p.title})\n<<<\n{text}\n>>>")
    return [
        {"role": "system", "content": LLM_SYSTEM.format(language=language)},
        {
            "role": "user",
            "content": LLM_USER.format(question=question, passages="\n\n".join(blocks)) + (f"\n\n{hint}" if hint else ""),
        },
    ]


def accept(reply: str, language: str, passages: list[Passage]) -> tuple[str, list[Citation], bool] | None:
    """Validate a reply and renumber its markers; None when it must be rejected."""
    if reply.strip().strip(".").upper() == NOT_IN_ARTICLES:
        return abstain_message(language), [], True
    used = [int(m) for m in _MARKER.findall(reply)]
    if not used or any(n < 1 or n > len(passages) for n in used):
        return None  # no citation, or one that points at nothing we gave it
    prose = _MARKER.sub(" ", reply)
    if unsafe(prose):
        return None  # links, markup or obeyed instructions: an injected reply, never a news answer
    if len(_WORD.findall(prose)) < _MIN_PROSE_WORDS:
        return None  # "PWNED [1]": too short to say anything, or to check its language
    if detect(prose, fallback=language) != language:
        return None
    order: list[int] = []
    for n in used:
        if n not in order:
            order.append(n)
    renumber = {old: new for new, old in enumerate(order, 1)}
    text = _MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", reply)
    citations = []
    for old in order:
        p = passages[old - 1]
        citations.append(
            Citation(renumber[old], p.source, p.title, p.lang, p.start, p.end, p.text, p.score, p.date, p.outlet)
        )
    return text, citations, False


def generative_answer(
    question: str, language: str, passages: list[Passage], settings: Settings, hint: str | None = None
) -> tuple[str, list[Citation], bool] | None:
    """A guarded LLM answer, or None to fall back to the reader's (extractive) answer."""
    top = passages[:_MAX_PASSAGES]
    try:
        reply = chat(build_messages(question, language, top, hint), settings)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError) as exc:
        log.warning("LLM unavailable, using the extractive composer: %s", exc)
        return None
    result = accept(reply, language, top)
    if result is None:
        log.info("LLM reply rejected by the citation/language guard; using the extractive composer")
    return result
