"""Validate bench/questions.jsonl against the seed corpus.

Checks: well-formed JSON per line, required keys and types, unique ids,
every gold quote occurs exactly once in its article, every key term occurs
(case-insensitively) in at least one gold quote, unanswerable questions have
no gold spans and no key terms. Prints counts per language and
answerable/unanswerable. Exits non-zero on any problem.

Usage: python3 bench/check_questions.py [--corpus DIR] [--questions FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "id": str,
    "question": str,
    "language": str,
    "answerable": bool,
    "gold": list,
    "key_terms": list,
}
MIN_TOTAL = 64
MIN_ANSWERABLE = 50
MIN_UNANSWERABLE = 14
MIN_PER_LANGUAGE = 6
REQUIRED_LANGUAGES = ("en", "de", "nl", "fr", "es")
ONE_OF_LANGUAGES = ("ru", "it", "pl")


def default_corpus() -> Path:
    primary = REPO_ROOT / "seeds"
    if primary.is_dir():
        return primary
    return REPO_ROOT.parent / "shared" / "seeds"


def check_gold(qid: str, gold: list, articles: dict[str, str]) -> list[str]:
    problems = []
    for i, span in enumerate(gold):
        if not isinstance(span, dict) or set(span) != {"source", "quote"}:
            problems.append(f"{qid}: gold[{i}] must have exactly keys source, quote")
            continue
        source, quote = span["source"], span["quote"]
        if (
            not isinstance(source, str)
            or not isinstance(quote, str)
            or not quote.strip()
        ):
            problems.append(f"{qid}: gold[{i}] source/quote must be non-empty strings")
            continue
        if source not in articles:
            problems.append(f"{qid}: gold[{i}] unknown source {source!r}")
            continue
        n = articles[source].count(quote)
        if n != 1:
            problems.append(
                f"{qid}: gold[{i}] quote occurs {n} times in {source}: {quote!r}"
            )
    return problems


def check_record(rec: object, articles: dict[str, str]) -> list[str]:
    if not isinstance(rec, dict):
        return ["record is not a JSON object"]
    qid = rec.get("id", "<no id>")
    problems = []
    for key, typ in REQUIRED.items():
        if key not in rec:
            problems.append(f"{qid}: missing key {key!r}")
        elif not isinstance(rec[key], typ):
            problems.append(f"{qid}: key {key!r} must be {typ.__name__}")
    extra = set(rec) - set(REQUIRED)
    if extra:
        problems.append(f"{qid}: unexpected keys {sorted(extra)}")
    if problems:
        return problems
    if not rec["question"].strip():
        problems.append(f"{qid}: empty question")
    gold, terms = rec["gold"], rec["key_terms"]
    if not all(isinstance(t, str) and t.strip() for t in terms):
        problems.append(f"{qid}: key_terms must be non-empty strings")
        return problems
    if rec["answerable"]:
        if not gold:
            problems.append(f"{qid}: answerable question without gold spans")
        if not 1 <= len(terms) <= 3:
            problems.append(f"{qid}: answerable question needs 1-3 key terms")
        problems += check_gold(qid, gold, articles)
        quotes = [
            g["quote"].lower()
            for g in gold
            if isinstance(g, dict) and isinstance(g.get("quote"), str)
        ]
        for term in terms:
            if not any(term.lower() in q for q in quotes):
                problems.append(f"{qid}: key term {term!r} not in any gold quote")
            elif not all(term.lower() in q for q in quotes):
                print(f"warning: {qid}: key term {term!r} not in every gold quote")
    else:
        if gold:
            problems.append(f"{qid}: unanswerable question must have empty gold")
        if terms:
            problems.append(f"{qid}: unanswerable question must have empty key_terms")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=None, help="folder with the article .txt files"
    )
    parser.add_argument(
        "--questions", type=Path, default=REPO_ROOT / "bench" / "questions.jsonl"
    )
    args = parser.parse_args()

    corpus = args.corpus or default_corpus()
    if not corpus.is_dir():
        print(f"corpus folder not found: {corpus}", file=sys.stderr)
        return 2
    articles = {
        p.name: p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))
    }
    if not articles:
        print(f"no .txt articles in {corpus}", file=sys.stderr)
        return 2

    problems: list[str] = []
    records = []
    for lineno, line in enumerate(
        args.questions.read_text(encoding="utf-8").splitlines(), 1
    ):
        if not line.strip():
            problems.append(f"line {lineno}: blank line")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: invalid JSON: {exc}")
            continue
        records.append(rec)
        problems += [f"line {lineno}: {p}" for p in check_record(rec, articles)]

    ids = Counter(r.get("id") for r in records if isinstance(r, dict))
    problems += [f"duplicate id {i!r}" for i, n in ids.items() if n > 1]
    questions = Counter(r.get("question") for r in records if isinstance(r, dict))
    problems += [f"duplicate question {q!r}" for q, n in questions.items() if n > 1]

    valid = [
        r
        for r in records
        if isinstance(r, dict) and isinstance(r.get("answerable"), bool)
    ]
    by_lang: dict[str, Counter] = {}
    for r in valid:
        by_lang.setdefault(str(r.get("language")), Counter())[r["answerable"]] += 1
    sources = Counter(
        g["source"]
        for r in valid
        for g in r.get("gold", [])
        if isinstance(g, dict) and "source" in g
    )

    n_ans = sum(c[True] for c in by_lang.values())
    n_unans = sum(c[False] for c in by_lang.values())
    print(f"{'lang':<6}{'answerable':>12}{'unanswerable':>14}{'total':>8}")
    for lang in sorted(by_lang):
        c = by_lang[lang]
        print(f"{lang:<6}{c[True]:>12}{c[False]:>14}{c[True] + c[False]:>8}")
    print(f"{'all':<6}{n_ans:>12}{n_unans:>14}{n_ans + n_unans:>8}")
    print("gold spans per article:")
    for name in articles:
        print(f"  {name}: {sources[name]}")

    if len(records) < MIN_TOTAL:
        problems.append(f"only {len(records)} questions (< {MIN_TOTAL})")
    if n_ans < MIN_ANSWERABLE:
        problems.append(f"only {n_ans} answerable questions (< {MIN_ANSWERABLE})")
    if n_unans < MIN_UNANSWERABLE:
        problems.append(f"only {n_unans} unanswerable questions (< {MIN_UNANSWERABLE})")
    for lang in REQUIRED_LANGUAGES:
        n = sum(by_lang.get(lang, Counter()).values())
        if n < MIN_PER_LANGUAGE:
            problems.append(
                f"language {lang}: only {n} questions (< {MIN_PER_LANGUAGE})"
            )
    if not any(
        sum(by_lang.get(lang, Counter()).values()) >= MIN_PER_LANGUAGE
        for lang in ONE_OF_LANGUAGES
    ):
        problems.append(
            f"need >= {MIN_PER_LANGUAGE} questions in one of {ONE_OF_LANGUAGES}"
        )
    problems += [
        f"article {name} has no gold span" for name in articles if not sources[name]
    ]

    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"\nOK: {len(records)} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
