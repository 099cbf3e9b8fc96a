"""Answer quality with the trained reader against the hand-built composer, on every question file.

    python bench/reader.py [--rows all|default|learned|...] [--files seeds|corpus2|validation|all] [--reader DIR ...]

One row per composer variant (the ablation of the rules the reader replaced,
and of the reader's own settings), one column group per question file:
cited-gold (a citation overlaps a gold span), abstention on unanswerable
questions, false abstention, citation-integrity errors and ask() p50.
Each corpus gets its own fresh index in a temp folder (built once, shared
by the rows). ``--reader DIR`` adds rows read by another reader artefact
(a candidate run: default, reader alone, default + veto), on the same indexes. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa.answer.ask  # noqa: E402
from qa import ask  # noqa: E402
from qa.answer.compose import ComposerSettings, compose  # noqa: E402
from qa.answer.read import get_reader, reader_for  # noqa: E402
from qa.eval.evaluate import QUESTION_FILES, evaluate_answers, with_fresh_indexes  # noqa: E402
from qa.retrieve.engine import get_engine, resolve_paths  # noqa: E402

# The validation corpus (python -m training valcorpus) is where the composer's settings are chosen, so it
# is measured here on request only, beside the bench files that are never tuned on.
VALCORPUS = Path(__file__).resolve().parent.parent / ".cache" / "valcorpus"
# The four news folders the reader never trained on (training/DATA.md): more text that is not the seeds.
NEWS = Path(__file__).resolve().parent.parent / "training" / "newsqa"
FILES = {
    **QUESTION_FILES,
    "validation": [("validation corpus", VALCORPUS / "questions.jsonl", VALCORPUS / "articles")],
    "news": [(f"news {p}", NEWS / p / "questions.jsonl", NEWS / p / "articles") for p in ("p11", "p12", "p20", "p21")],
}

# (label, use the reader, composer settings)
HAND = ComposerSettings(reader_mode="fusion")  # the hand-weighted composer with the reader's margin (before session 12)
ROWS = [
    ("rules only (the composer before the reader)", False, ComposerSettings()),
    ("reader alone: its span decides, its no-answer abstains", True, ComposerSettings(reader_mode="reader")),
    ("learned fusion: fitted sentence choice, hand abstention rules, the first article read further when unsure (default)", True, ComposerSettings()),
    ("hand fusion: rules + reader margin (weight 1) + the reader's lead (before session 12)", True, HAND),
    ("hand fusion + the reader's confident no-answer veto", True, replace(HAND, reader_veto=True)),
    ("hand fusion + the veto, without the lead", True, replace(HAND, reader_veto=True, reader_lead=False)),
    ("hand fusion with reader weight 2", True, replace(HAND, reader_weight=2.0)),
    ("learned fusion + its learned abstention (instead of the hand rules)", True, ComposerSettings(learned_abstention=True)),
    ("hand fusion + the word-alignment feature beside the reader (before session 11)", True, replace(HAND, align_with_reader=True)),
    ("reader alone + names-unknown-to-corpus veto", True, ComposerSettings(reader_mode="reader", anchor_veto=True)),
    ("reader alone, one quote", True, ComposerSettings(reader_mode="reader", reader_quotes=1)),
    ("reader alone, no date-line / credit-line citations", True, ComposerSettings(reader_mode="reader", metadata_citations=False)),
    ("reader alone, no pronoun antecedents", True, ComposerSettings(reader_mode="reader", antecedents=False)),
    ("reader alone, top 3 passages read", True, ComposerSettings(reader_mode="reader", passages=3)),
    ("reader alone, top 8 passages read", True, ComposerSettings(reader_mode="reader", passages=8)),
    ("learned fusion, top 10 read when the top 5 give no answer", True, ComposerSettings(retry_passages=10)),
    ("learned fusion without the reader's floor under the first quote (before session 38)", True, ComposerSettings(first_quote_floor=None)),
    ("learned fusion, the floor, without the e5 similarity floor (min_similarity)", True, ComposerSettings(min_similarity=0.0)),
    ("learned fusion without the first article's further windows (QA_READ_FURTHER=0, before session 41)", True, ComposerSettings(top_article_rest=0)),
]


def run_row(
    use_reader: bool, settings: ComposerSettings, questions, corpus: Path, index: Path, reader_dir: Path | None = None
) -> dict:
    engine = get_engine(*resolve_paths(corpus, index))
    reader = reader_for(engine) if use_reader else None
    if use_reader and reader is not None and reader_dir is not None:
        reader = get_reader(reader.base, reader_dir)
    if use_reader and reader is None:
        raise SystemExit("the reader artefact could not be loaded (see the warning above)")

    def composer(retrieval, language, reader_=None, **_):
        return compose(retrieval, language, settings, reader=reader)

    original = qa.answer.ask.compose
    qa.answer.ask.compose = composer  # the same ask(), with this row's composer
    try:
        return evaluate_answers(questions, partial(ask, corpus=corpus, index=index), corpus)
    finally:
        qa.answer.ask.compose = original


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", choices=sorted(FILES), default="all")
    parser.add_argument("--rows", choices=["all", "default", "fusion", "quick", "alignment", "learned", "shipped", "retry", "floor", "rest", "no-further"], default="all")
    parser.add_argument("--reader", type=Path, action="append", default=[], help="another reader artefact to compare")
    parser.add_argument("--passages", type=int, default=None, help="top passages whose sentences compete, in every row")
    parser.add_argument(
        "--floors", default="", help="comma-separated first-quote floors, one more row each (how the default was chosen: --files validation, --files news)"
    )
    args = parser.parse_args()
    rows = {"all": ROWS, "default": ROWS[:4], "fusion": ROWS[:6] + [ROWS[7]], "quick": [ROWS[0], ROWS[2], ROWS[3], ROWS[4]],
            "alignment": [ROWS[0], ROWS[3], ROWS[8]], "learned": [ROWS[2], ROWS[3], ROWS[7]], "shipped": [ROWS[2]], "retry": [ROWS[2], ROWS[15]], "floor": [ROWS[2], ROWS[16], ROWS[17]],
            "rest": [ROWS[2], ROWS[18]], "no-further": [ROWS[18]]}[args.rows]
    rows = [(label, use, settings, None) for label, use, settings in rows]
    for d in args.reader:  # the candidate in the default row, and with the abstention its card's fusion learned
        rows += [
            (f"default, reader {d.name}", True, ComposerSettings(), d),
            (f"learned fusion + learned abstention, reader {d.name}", True, ComposerSettings(learned_abstention=True), d),
        ]
    rows += [(f"the reader's floor under the first quote at {f}", True, ComposerSettings(first_quote_floor=float(f)), None)
             for f in args.floors.split(",") if f]  # fmt: skip
    results: dict[tuple[str, str], dict] = {}
    if args.files == "validation" and not (VALCORPUS / "questions.jsonl").is_file():
        raise SystemExit(f"{VALCORPUS.name}/ is missing: run `python -m training valcorpus` first")
    for name, questions, corpus, index in with_fresh_indexes(FILES[args.files]):
        for label, use_reader, settings, reader_dir in rows:
            if args.passages is not None:
                settings = replace(settings, passages=args.passages)
            results[(label, name)] = run_row(use_reader, replace(settings), questions, corpus, index, reader_dir)
    names = [n for n, _, _ in FILES[args.files]]
    print("| composer | " + " | ".join(f"{n}: cited-gold / abst. / false abst. / integrity / p50 ms" for n in names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for label, *_ in rows:
        cells = []
        for n in names:
            r = results[(label, n)]
            cells.append(
                f"{r['cited_gold']:.3f} / {r['abstention_on_unanswerable']:.2f} / {r['false_abstention']:.3f}"
                f" / {r['citation_integrity_errors']} / {r['ask_ms_p50']:.0f}"
            )
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
