"""The same questions through both index backends: files (FAISS + bm25s) and PostgreSQL (pgvector + full-text search).

    python bench/backends.py [--files seeds|corpus2|all] [--database URL]

Without ``--database`` a private PostgreSQL (the ``pgserver`` wheel) runs in a
temp folder. Each corpus gets a fresh index per backend. Prints, per question
file: build seconds, retrieval recall@1/5/10, and ask()'s cited-gold,
abstention, false abstention, integrity errors and p50.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import ask  # noqa: E402
from qa.eval.evaluate import QUESTION_FILES, evaluate_answers, evaluate_retrieval, load_questions  # noqa: E402
from qa.retrieve.engine import get_engine  # noqa: E402
from qa.store import pgserver_local, postgres  # noqa: E402
from qa.store.build import build_index  # noqa: E402


def measure(name: str, questions_path: Path, corpus: Path, index, built: dict) -> dict:
    if corpus not in built:
        t = time.perf_counter()
        build_index(corpus, index, force=True)
        built[corpus] = time.perf_counter() - t
    questions = load_questions(questions_path, corpus)
    engine = get_engine(corpus, index)
    retrieval = evaluate_retrieval(questions, engine)
    ask(questions[0].question, corpus=corpus, index=index)  # warm
    answers = evaluate_answers(questions, partial(ask, corpus=corpus, index=index), corpus)
    return {"build_s": built[corpus], **retrieval, **answers}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", choices=sorted(QUESTION_FILES), default="all")
    parser.add_argument(
        "--database", default=None, help="a postgresql:// URL (default: a private server in a temp folder)"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    server = None
    results: dict[tuple[str, str], dict] = {}
    try:
        if args.database is None:
            server = pgserver_local.start(tmp / "pg")
        corpora = sorted({str(c) for _, _, c in QUESTION_FILES[args.files]})
        for backend in ("files", "postgresql"):
            built: dict[Path, float] = {}
            for name, path, corpus in QUESTION_FILES[args.files]:
                n = corpora.index(str(corpus))
                if backend == "files":
                    index = tmp / f"index{n}"
                else:
                    index = args.database or pgserver_local.database_url(server, f"qa_bench_{n}")
                    if corpus not in built:
                        postgres.drop_all(index)
                results[(backend, name)] = measure(name, path, corpus, index, built)
                r = results[(backend, name)]
                print(f"{backend:10s} {name:16s} r@5 {r['recall@5']:.3f} cited {r['cited_gold']:.3f}", file=sys.stderr)
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        "| file | backend | build s | recall@1 | recall@5 | recall@10 | cited-gold | abst. | false abst. | integrity | ask p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, _, _ in QUESTION_FILES[args.files]:
        for backend in ("files", "postgresql"):
            r = results[(backend, name)]
            print(
                f"| {name} | {backend} | {r['build_s']:.1f} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['recall@10']:.3f}"
                f" | {r['cited_gold']:.3f} | {r['abstention_on_unanswerable']:.2f} | {r['false_abstention']:.3f}"
                f" | {r['citation_integrity_errors']} | {r['ask_ms_p50']:.0f} |"
            )


if __name__ == "__main__":
    main()
