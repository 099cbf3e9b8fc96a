"""``ask()``: a short answer whose every claim carries a verifiable citation."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from qa.answer.compose import compose, context_passages
from qa.answer.read import reader_for
from qa.llm.client import generative_answer
from qa.llm.prompts import reader_hint
from qa.llm.translate import translate_citations
from qa.question.normalise import normalise_question
from qa.retrieve.engine import Filters, Retrieval, get_engine, resolve_paths, unit
from qa.text.fold import salient_words, words
from qa.text.langid import detect
from qa.text.terms import content_words
from qa.types import Answer

History = list[dict[str, Any]] | None
_SHORT_FOLLOW_UP = 6  # words; shorter questions lean on the previous turn
_OWN_PREDICATE = 2  # content words from which a follow-up asks something of its own (see reader_question)


def previous_questions(history: History) -> list[str]:
    """The user's earlier questions, oldest first."""
    return [t.get("content", "") for t in (history or []) if t.get("role") == "user" and t.get("content")]


def contextual_query(question: str, history: History) -> str:
    """The retrieval query for a follow-up: "Why?" means why about the last topic.

    A follow-up that is short or names nothing of its own is searched together
    with the previous user question; a self-contained question is searched alone.
    """
    previous = previous_questions(history)
    if not previous:
        return question
    if len(words(question)) <= _SHORT_FOLLOW_UP or not salient_words(question):
        return f"{question} {previous[-1]}"
    return question


def reader_question(question: str, history: History, language: str) -> str | None:
    """How the reader reads a follow-up, when not as the retrieval query (the follow-up plus the last question).

    A follow-up with a predicate of its own ("Who was supposed to mediate them?")
    borrows only the referents of the last question: read together with the whole
    last question, the reader answers that one again (it quoted why Aliyev stayed
    away, not who mediated). So it is read with the last question's names and
    numbers alone. A fragment ("Why?", "And Putin?") borrows the predicate too,
    and is read with the whole last question (None: the retrieval query).
    bench/followups.py, with the context passages scored as the first retrieved one
    (``ask``): own file 0.625 -> 0.625 (pronouns 0.462 -> 0.615, ellipses 0.615 ->
    0.462), the blind corpus3 file 0.233 -> 0.267; the ablation is in docs/followups.md.
    """
    previous = previous_questions(history)
    if not previous or len(content_words(question, language)) < _OWN_PREDICATE:
        return None
    return f"{question} {' '.join(salient_words(previous[-1]))}".strip()


def cited_before(history: History) -> list[tuple[str, int, int]]:
    """The spans the last answer cited (``"citations"`` of the last assistant turn: Citation objects or dicts)."""
    for turn in reversed(history or []):
        if turn.get("role") != "assistant":
            continue
        spans = []
        for c in turn.get("citations") or []:
            get = c.get if isinstance(c, dict) else lambda k, c=c: getattr(c, k, None)
            if isinstance(get("source"), str) and isinstance(get("start"), int) and isinstance(get("end"), int):
                spans.append((get("source"), get("start"), get("end")))
        return spans
    return []


def ask(
    question: str,
    history: History = None,
    *,
    k: int = 10,
    filters: Filters | None = None,
    corpus: Path | str | None = None,
    index: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Answer:
    """Answer ``question`` from the corpus, citing exact spans, or abstain.

    ``history`` is the previous turns as ``{"role": "user"|"assistant",
    "content": str}``; an assistant turn may carry ``"citations"`` (its
    Citation objects, or dicts with source/start/end), around which a
    follow-up is read first. The trained reader answers (the hand-built
    composer when its artefact cannot be loaded); with an LLM configured
    (``QA_LLM_URL``), a guarded generative answer is tried with the reader's
    verdict as a hint, and the reader's answer is the fallback.
    ``progress`` (optional) is called with "searching", then "composing".
    """
    started = time.perf_counter()
    engine = get_engine(*resolve_paths(corpus, index))
    text = normalise_question(question, engine.settings.max_question_chars)
    previous_lang = next((t.get("language") for t in reversed(history or []) if t.get("language")), None)
    language = detect(text, fallback=previous_lang or "en")
    query = contextual_query(text, history)
    if progress:
        progress("searching")
    retrieval = engine.retrieve(query, k, filters, language)
    if query != text:
        # Passages come from the whole context; the sentence that answers is
        # chosen mostly by what is asked now ("Who mediated?"), not the last turn.
        own = engine.encode_query(text)
        retrieval.query_vectors = [unit(0.7 * a + 0.3 * b) for a, b in zip(own, retrieval.query_vectors)]
    if progress:
        progress("composing")
    reader = reader_for(engine)
    if query != text:
        # A follow-up is read first around what the last answer quoted, then in what retrieval found.
        found = [p for p in retrieval.passages if p.chunk_id >= 0]
        # Read first, so scored as the first: with no retrieval score of their own they lost the
        # fusion's passage term (weight 0.30 x ~3.7) to any retrieved sentence, even a weak one.
        top = max((p.score for p in found), default=0.0)
        spans = cited_before(history)
        around = [replace(p, score=top) for p in context_passages(retrieval.data, spans)]
        retrieval.passages = around + found
        retrieval.read_as = reader_question(text, history, language)
        retrieval.cited_before = spans
    composed = compose(retrieval, language, reader=reader)
    composer = "reader" if reader is not None else "rules"
    answer_text, citations, abstained = composed.text, composed.citations, composed.abstained
    if engine.settings.llm_url and retrieval.passages:
        # The reader's verdict is the LLM's hint and its fallback.
        generated = generative_answer(
            text, language, retrieval.passages, engine.settings, hint=reader_hint(composed.short_answer, composed.abstained)
        )
        if generated is not None:
            answer_text, citations, abstained = generated
            composer = "generative"
    if engine.settings.llm_url:
        translate_citations(citations, language, engine.settings)
    return Answer(
        text=answer_text,
        citations=citations,
        abstained=abstained,
        language=language,
        passages=retrieval.passages,
        question=text,
        composer=composer,
        seconds=time.perf_counter() - started,
        focus=focus_of(retrieval),
        short_answer=composed.short_answer if composer != "generative" else None,
    )


def focus_of(retrieval: Retrieval) -> list[str]:
    """The outlets and months the question named, as the user would write them ("Reuters", "2024-08")."""
    articles = retrieval.data.articles
    outlets = sorted({articles[s].outlet or s for s in retrieval.hints.sources if s in articles})
    return outlets + sorted(retrieval.hints.months)
