"""Stored vectors in float32, float16 (session 12) and int8 with a scale per row (the default since session 13), on every question file.

    python bench/vector_dtype.py [--files seeds|corpus2|corpus3|all]

Each corpus is built twice in fresh temp folders, once per dtype of the
chunk and sentence vectors on disk (``qa.store.data.VECTOR_DTYPE``: what the files hold and what the build rounds to), and
every question is retrieved and answered from each. Prints recall@5,
cited-gold, abstention, false abstention and the index size per chunk.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import ask  # noqa: E402
from qa.eval.evaluate import QUESTION_FILES, evaluate_answers, evaluate_retrieval, load_questions  # noqa: E402
from qa.retrieve.engine import _ENGINES, get_engine  # noqa: E402
from qa.store import data as store_data  # noqa: E402
from qa.store.build import build_index  # noqa: E402

DTYPES = {"float32": np.float32, "float16": np.float16, "int8": np.int8}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", choices=sorted(QUESTION_FILES), default="all")
    parser.add_argument("--dtypes", nargs="+", choices=sorted(DTYPES), default=sorted(DTYPES))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    shipped = store_data.VECTOR_DTYPE
    rows: dict[tuple[str, str], dict] = {}
    try:
        for label, dtype in ((d, DTYPES[d]) for d in args.dtypes):
            store_data.VECTOR_DTYPE = dtype
            _ENGINES.clear()
            indexes: dict[Path, Path] = {}
            for name, path, corpus in QUESTION_FILES[args.files]:
                if corpus not in indexes:
                    indexes[corpus] = tmp / f"{label}-{len(indexes)}"
                    build_index(corpus, indexes[corpus], force=True)
                index = indexes[corpus]
                questions = load_questions(path, corpus)
                engine = get_engine(corpus, index)
                chunks = len(engine.refresh().chunks)
                size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
                retrieval = evaluate_retrieval(questions, engine)
                answers = evaluate_answers(questions, partial(ask, corpus=corpus, index=index), corpus)
                rows[(label, name)] = {**retrieval, **answers, "kb_per_chunk": size / 1024 / max(1, chunks)}
                r = rows[(label, name)]
                print(f"{label} {name}: r@5 {r['recall@5']:.3f} cited {r['cited_gold']:.3f}", file=sys.stderr)
    finally:
        store_data.VECTOR_DTYPE = shipped
        shutil.rmtree(tmp, ignore_errors=True)
    print("| file | stored vectors | recall@5 | cited-gold | abst. | false abst. | integrity | index KB a chunk |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _, _ in QUESTION_FILES[args.files]:
        for label in args.dtypes:
            r = rows[(label, name)]
            print(
                f"| {name} | {label} | {r['recall@5']:.3f} | {r['cited_gold']:.3f} | {r['abstention_on_unanswerable']:.2f}"
                f" | {r['false_abstention']:.3f} | {r['citation_integrity_errors']} | {r['kb_per_chunk']:.1f} |"
            )


if __name__ == "__main__":
    main()
