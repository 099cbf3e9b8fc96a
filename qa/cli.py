"""``python -m qa build | search | ask | verify | eval | add``: the command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from qa.errors import QAError


def _progress_bar() -> Callable[[str, int, int], None]:
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            # tqdm shows the rate and the time left: chunks/s and an ETA while embedding.
            unit = " chunks" if stage == "embedding" else " files"
            bar = bars[stage] = tqdm(total=total, desc=stage, unit=unit, file=sys.stderr, leave=True)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _paths(args: argparse.Namespace) -> dict:
    from qa.retrieve.engine import resolve_paths

    corpus, index = resolve_paths(args.corpus, args.index)
    return {"corpus": corpus, "index": index}


def cmd_build(args: argparse.Namespace) -> int:
    from qa.store.build import build_index

    summary = build_index(**_paths(args), force=args.force, progress=_progress_bar(), ray=args.ray, reuse=args.reuse)
    print(
        f"{summary.articles} articles, {summary.chunks} chunks "
        f"({summary.embedded_chunks} embedded now; added {len(summary.added)}, updated {len(summary.updated)}, "
        f"removed {len(summary.removed)}) in {summary.seconds:.1f} s"
        + (f" - full rebuild: {summary.reason}" if summary.rebuilt else "")
    )
    for s in summary.skipped:
        print(f"skipped {s.source}: {s.reason}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from qa.retrieve.engine import search

    hits = search(args.question, args.k, filters=_filters(args), **_paths(args))
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return 0
    print(format_hits(hits))
    return 0


_TITLE_WIDTH = 48
_OUTLET_WIDTH = 16


def _cut(text: str, width: int) -> str:
    """``text`` on one line, shortened with an ellipsis to fit a table column."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def format_hits(hits: list) -> str:
    """Search hits as a table a person reads: rank, outlet, title, language, date, file and offsets.

    Raw fusion scores mean nothing to a reader (they are z-score sums), so the
    rank stands for them; ``--json`` keeps every field for scripts.
    """
    if not hits:
        return "no passages found"
    header = f"{'#':>3}  {'outlet':<{_OUTLET_WIDTH}}  {'title':<{_TITLE_WIDTH}}  lang  {'date':<10}  file:offsets"
    rows = [header, "-" * len(header)]
    for rank, p in enumerate(hits, 1):
        outlet = _cut(p.outlet or "-", _OUTLET_WIDTH)
        title = _cut(p.title or p.source, _TITLE_WIDTH)
        rows.append(
            f"{rank:>3}  {outlet:<{_OUTLET_WIDTH}}  {title:<{_TITLE_WIDTH}}  {p.lang or '?':<4}  "
            f"{p.date or 'unknown':<10}  {p.source}:{p.start}-{p.end}"
        )
        rows.append(f"     {_cut(p.text, 200)}")
    return "\n".join(rows)


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.answer.ask import ask

    ans = ask(args.question, k=args.k, filters=_filters(args), **_paths(args))
    if args.json:
        print(json.dumps(ans.to_dict(), ensure_ascii=False))
        return 0
    print(ans.text)
    if ans.citations:
        print()
    for c in ans.citations:
        print(f"[{c.n}] {c.source} ({c.lang}) {c.start}-{c.end}: {' '.join(c.quote.split())}")
    if ans.abstained:
        for p in ans.passages[:3]:
            print(f"related: {p.source} ({p.lang}) {p.start}-{p.end}: {' '.join(p.text.split())[:200]}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check saved answers (JSON lines from `ask --json`), or a fresh run of the question file."""
    from types import SimpleNamespace

    from qa.eval.evaluate import DEFAULT_QUESTIONS, check_citations, load_questions
    from qa.types import Citation

    corpus = _paths(args)["corpus"]
    answers = []
    if args.file:
        for line in Path(args.file).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                cits = [Citation(**c) for c in row["citations"]]
                answers.append(SimpleNamespace(text=row["text"], citations=cits, question=row.get("question", "")))
    else:
        from qa.answer.ask import ask

        for q in load_questions(DEFAULT_QUESTIONS, corpus):
            answers.append(ask(q.question, **_paths(args)))
    problems = [f"{a.question[:60]!r}: {p}" for a in answers for p in check_citations(a, corpus)]
    n = sum(len(a.citations) for a in answers)
    for p in problems:
        print(p)
    print(f"{len(answers)} answers, {n} citations, {len(problems)} mismatches")
    return 1 if problems else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from functools import partial

    from qa.answer.ask import ask
    from qa.eval.evaluate import evaluate_answers, evaluate_retrieval, load_questions
    from qa.retrieve.engine import get_engine

    paths = _paths(args)
    questions = load_questions(Path(args.questions), paths["corpus"])
    engine = get_engine(paths["corpus"], paths["index"])
    retrieval = evaluate_retrieval(questions, engine)
    answers = evaluate_answers(questions, partial(ask, **paths), paths["corpus"])
    report = {k: v for k, v in {**retrieval, **answers}.items() if k not in ("misses", "failures", "integrity")}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if args.verbose:
        for row in retrieval["misses"] + answers["failures"]:
            print(row)
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add every file it can, report each one skipped with its reason; fail only when none was added.

    One unreadable or binary file in a batch must not cost the user the rest
    of it, and a script must still learn (by the exit status) when the whole
    batch was refused.
    """
    from qa.errors import CorpusError, UnsafeFileError
    from qa.ingest.library import add_file

    corpus = _paths(args)["corpus"]
    added, skipped = [], []
    for name in args.files:
        path = Path(name)
        try:
            saved = add_file(corpus, path.name, path.read_bytes())
        except OSError as exc:
            skipped.append((name, f"cannot be read ({exc.strerror or exc})"))
        except (UnsafeFileError, CorpusError) as exc:
            skipped.append((name, str(exc)))
        else:
            added.append(saved.name)
            print(f"added {saved.name}")
    for name, reason in skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    if not added:
        print(f"error: nothing was added ({len(skipped)} file(s) skipped)", file=sys.stderr)
        return 1
    # `add` has none of build's own options: an update in this process, from this index.
    return cmd_build(argparse.Namespace(**{**vars(args), "force": False, "ray": None, "reuse": None}))


def _filters(args: argparse.Namespace) -> dict | None:
    filters = {}
    if getattr(args, "lang", None):
        filters["lang"] = args.lang
    if getattr(args, "source", None):
        filters["source"] = args.source
    if getattr(args, "date_from", None):
        filters["date_from"] = args.date_from
    if getattr(args, "date_to", None):
        filters["date_to"] = args.date_to
    return filters or None


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", default=None, help="folder of articles (default: $QA_CORPUS, else seeds)")
    p.add_argument(
        "--index", default=None, help="index folder or postgresql:// URL (default: $QA_INDEX, else index)"
    )


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=10, help="passages to retrieve")
    p.add_argument("--lang", action="append", help="only articles in this language (repeatable)")
    p.add_argument("--source", action="append", help="only this file or outlet (repeatable)")
    p.add_argument("--date-from", help="ISO date lower bound")
    p.add_argument("--date-to", help="ISO date upper bound")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build or update the index")
    _add_common(p)
    p.add_argument("--force", action="store_true", help="rebuild from scratch")
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="embed on a Ray cluster at ADDRESS (without one, a local cluster with one worker per core)",
    )
    p.add_argument(
        "--from",
        dest="reuse",
        metavar="INDEX",
        help="start from another index of this corpus (a folder or postgresql:// URL): copy its vectors, embed only what changed",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("search", help="ranked passages for a question")
    p.add_argument("question")
    _add_common(p)
    _add_filters(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    _add_common(p)
    _add_filters(p)
    p.add_argument("--json", action="store_true", help="one JSON line (feed it to `verify`)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("verify", help="re-read sources and check every citation span")
    p.add_argument("file", nargs="?", help="JSON lines from `ask --json`; default: ask the question file")
    _add_common(p)
    p.set_defaults(func=cmd_verify)

    from qa.eval.evaluate import DEFAULT_QUESTIONS

    p = sub.add_parser("eval", help="retrieval and answer quality on a question file")
    p.add_argument("--questions", default=str(DEFAULT_QUESTIONS))
    _add_common(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("add", help="import articles (.txt, .md, .html) into the corpus and index them")
    p.add_argument("files", nargs="+")
    _add_common(p)
    p.set_defaults(func=cmd_add)
    return parser




def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.func(args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
