"""Answer quality of ``ask()`` on the question file (see qa/eval/evaluate.py).

    python bench/answers.py [--index DIR] [--failures]
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import ask  # noqa: E402
from qa.eval.evaluate import DEFAULT_QUESTIONS, evaluate_answers, load_questions  # noqa: E402
from qa.settings import REPO_ROOT  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "seeds")
    parser.add_argument("--index", type=Path, default=REPO_ROOT / "index")
    parser.add_argument("--failures", action="store_true")
    args = parser.parse_args()
    questions = load_questions(args.questions, args.corpus)
    ask(questions[0].question, corpus=args.corpus, index=args.index)  # warm-up: load models
    report = evaluate_answers(questions, partial(ask, corpus=args.corpus, index=args.index), args.corpus)
    if not args.failures:
        report.pop("failures")
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
