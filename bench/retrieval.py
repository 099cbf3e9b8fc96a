"""Retrieval recall on the question file, with optional setting overrides.

    python bench/retrieval.py                      # current defaults
    python bench/retrieval.py --weights 1,1,0      # ablate the lexical ranker
    python bench/retrieval.py --no-title-context   # windows embedded without their article's title
    QA_INT8=0 python bench/retrieval.py            # the exact fp32 e5 encoder
    QA_SAME_LANGUAGE_OFFSET=0.06 python bench/retrieval.py   # e5 offset for the question's language, not z per language
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.eval.evaluate import DEFAULT_QUESTIONS, evaluate_retrieval, load_questions  # noqa: E402
from qa.retrieve.engine import Engine  # noqa: E402
from qa.settings import REPO_ROOT, Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "seeds")
    parser.add_argument("--index", type=Path, default=None, help="default: a fresh temp folder")
    parser.add_argument("--weights", default=None, help="comma-separated fusion weights")
    parser.add_argument("--second-model", default=None, help="'' to disable the second dense view")
    parser.add_argument("--no-title-context", action="store_true")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    index = args.index or Path(tempfile.mkdtemp()) / "index"
    settings = Settings.from_env(corpus=args.corpus, index=index)
    if args.weights:
        settings = replace(settings, fusion_weights=tuple(float(w) for w in args.weights.split(",")))
    if args.no_title_context:
        settings = replace(settings, chunking=replace(settings.chunking, title_context=False))
    if args.second_model is not None:
        settings = replace(settings, second_model=args.second_model)
    engine = Engine(settings)
    report = evaluate_retrieval(load_questions(args.questions, args.corpus), engine)
    if not args.misses:
        report.pop("misses")
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if args.index is None:
        shutil.rmtree(index.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
