"""The validation split as a corpus with a question file, so the whole ``ask()`` pipeline is measured off the seeds.

The reader's own validation (training/validate.py) hands it the right window.
The product never does: it retrieves over many articles, in other languages,
and the composer's rules and thresholds decide what is cited and when to
abstain. Those settings were first chosen on the seed questions; this corpus is
where they can be chosen instead, on articles nobody wrote a rule for.

- Articles: every validation article (training/data.py's split by title, held-out
  titles already dropped), cut into parts of ``PARAGRAPHS_PER_ARTICLE``
  paragraphs, about the length of a news article. Each part of a SQuAD article
  is written in one language only (en, es or it, in turn), so a question in the
  other languages must be answered across languages, the product's normal case.
- Answerable questions: asked in the part's own language, or by a translated
  twin (es and it share SQuAD ids; en and es twins are aligned by e5, as in
  training) with the gold span in the part's language. French and Arabic
  articles are asked in their own language.
- Unanswerable questions: SQuAD 2.0's (en, es), whatever language their
  article's parts were written in: the article is there, the answer is not.

Nothing here touches the bench files, XQuAD, MLQA or the held-out titles.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from .data import SOURCES, SQUAD2_DEV_TITLES, Question, align_translations, read_squad, validation_titles

PARAGRAPHS_PER_ARTICLE = 5
# Questions drawn per kind (seeded): answerable in the article's language,
# answerable across languages, unanswerable.
PER_KIND = {"same-language": 200, "cross-lingual": 200, "unanswerable": 200}
ROTATION = ("en", "es", "it")  # languages a SQuAD article's parts are written in, in turn


def _part(q: Question) -> int:
    return q.paragraph // PARAGRAPHS_PER_ARTICLE


def _file_name(title: str, part: int, lang: str) -> str:
    safe = "".join(ch if ch.isalnum() else "_" for ch in title).strip("_")
    return f"{safe}_{part + 1}_{lang}.txt"


def _articles(val: list[Question]) -> dict[tuple[str, str, int], tuple[str, list[int], dict[int, str]]]:
    """``(title, lang, part) -> (heading, paragraph numbers, paragraph texts)`` for every part, every language."""
    paragraphs: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    for q in val:
        paragraphs[(q.title, q.lang)][q.paragraph] = q.context
    out = {}
    for (title, lang), paras in paragraphs.items():
        parts: dict[int, list[int]] = defaultdict(list)
        for p in sorted(paras):
            parts[p // PARAGRAPHS_PER_ARTICLE].append(p)
        for part, ps in parts.items():
            head = f"{title.replace('_', ' ')} ({part + 1})\n\n"
            out[(title, lang, part)] = (head, ps, paras)
    return out


def part_languages(parts: dict[tuple[str, str, int], Any]) -> dict[tuple[str, int], str]:
    """The one language each part is written in: a SQuAD article's parts rotate over those that have it."""
    squad = sorted(SQUAD2_DEV_TITLES)
    written: dict[tuple[str, int], str] = {}
    for title, lang, part in sorted(parts):
        if (title, part) in written:
            continue
        if title in squad:
            have = [lg for lg in ROTATION if (title, lg, part) in parts]
            written[(title, part)] = have[(squad.index(title) + part) % len(have)]
        else:
            written[(title, part)] = lang
    return written


def write_articles(
    parts: dict[tuple[str, str, int], tuple[str, list[int], dict[int, str]]],
    written: dict[tuple[str, int], str],
    articles_dir: Path,
) -> dict[tuple[str, int], tuple[str, dict[int, int]]]:
    """One file per part, in its language; returns each file's name and its paragraphs' offsets."""
    files: dict[tuple[str, int], tuple[str, dict[int, int]]] = {}
    articles_dir.mkdir(parents=True, exist_ok=True)
    for (title, part), lang in sorted(written.items()):
        head, ps, paras = parts[(title, lang, part)]
        text, starts = head, {}
        for p in ps:
            starts[p] = len(text)
            text += paras[p] + "\n\n"
        name = _file_name(title, part, lang)
        (articles_dir / name).write_text(text.rstrip() + "\n", encoding="utf-8")
        files[(title, part)] = (name, starts)
    return files


def gold_spans(
    q: Question, written: dict[tuple[str, int], str], files: dict[tuple[str, int], tuple[str, dict[int, int]]]
) -> list[dict[str, Any]] | None:
    """``q``'s answer spans as offsets of the file holding its paragraph, when that file is in ``q``'s language."""
    if written.get((q.title, _part(q))) != q.lang:
        return None
    name, starts = files[(q.title, _part(q))]
    base = starts[q.paragraph]
    return [{"source": name, "start": base + s, "end": base + e} for s, e in q.answers]


def build(out_dir: Path, seed: int = 17, every_question: bool = False) -> dict[str, Any]:
    """Write ``articles/*.txt`` and ``questions.jsonl`` (bench format, gold as offsets) and return the counts.

    ``every_question``: the whole pools instead of ``PER_KIND`` drawn from each (about 4,200 questions
    on the same articles), for fitting a second-stage model with folds by article (training/fusion.py).
    """
    by_lang = {lang: read_squad(name, lang, titles) for name, lang, titles in SOURCES}
    val_titles = validation_titles(by_lang)
    val = {lang: [q for q in qs if q.title in val_titles] for lang, qs in by_lang.items()}
    every = [q for qs in val.values() for q in qs]
    parts = _articles(every)

    written = part_languages(parts)
    files = write_articles(parts, written, out_dir / "articles")

    # Twins: the same question in two languages (es-it by SQuAD id, en-es by e5 alignment as in training).
    twins: dict[str, list[Question]] = defaultdict(list)
    by_id: dict[str, dict[str, Question]] = defaultdict(dict)
    for lang in ("es", "it"):
        for q in val[lang]:
            by_id[q.qid.split(":", 1)[1]][lang] = q
    for pair in by_id.values():
        if len(pair) == 2:
            twins[pair["es"].qid].append(pair["it"])
            twins[pair["it"].qid].append(pair["es"])
    for en_q, es_q in align_translations(val["en"], val["es"]):
        twins[en_q.qid].append(es_q)
        twins[es_q.qid].append(en_q)
        twins[en_q.qid].extend(t for t in twins[es_q.qid] if t.lang == "it")

    pools: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in every:
        if not q.answers:
            pools["unanswerable"].append(_row(q, "unanswerable", []))
            continue
        own = gold_spans(q, written, files)
        if own:
            pools["same-language"].append(_row(q, "same-language", own))
        for twin in twins.get(q.qid, []):
            g = gold_spans(twin, written, files)
            if g and twin.answers:
                pools["cross-lingual"].append(_row(q, f"cross-lingual:{twin.lang}", g))
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for kind, n in PER_KIND.items():
        pool = sorted(pools[kind], key=lambda r: r["id"])
        rows += pool if every_question else rng.sample(pool, min(n, len(pool)))
    with (out_dir / "questions.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    langs: dict[str, int] = defaultdict(int)
    for lang in written.values():
        langs[lang] += 1
    return {
        "articles": len(files),
        "articles_by_language": dict(sorted(langs.items())),
        "questions": len(rows),
        "pools": {k: len(v) for k, v in pools.items()},
        "questions_by_kind": {k: sum(1 for r in rows if r["kind"] == k) for k in PER_KIND},
        "question_languages": dict(sorted({r["language"]: sum(1 for x in rows if x["language"] == r["language"]) for r in rows}.items())),
    }


def _row(q: Question, kind: str, gold: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"{q.qid}:{kind}",
        "article": q.title,  # the unit of folds when a second-stage model is fitted here (training/fusion.py)
        "question": q.question,
        "language": q.lang,
        "answerable": bool(gold),
        "gold": gold,
        "kind": kind.split(":")[0],
    }
