"""Search latency: each question seen for the first time, then again (warm caches).

    python bench/latency.py [--index DIR] [--questions F ...]

Every question of the bench files is searched once in file order, then once
more. The first pass pays what a new question pays (dictionary lookups, a
language's dictionary file read on first use); the second is the warm path.
Run it for two commits one after the other (each with its own index) to
compare them on a VM whose speed drifts: absolute numbers move by several ms
between runs, the difference between commits run back to back does not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.eval.evaluate import load_questions  # noqa: E402
from qa.retrieve.engine import Engine  # noqa: E402
from qa.settings import REPO_ROOT, Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, nargs="*", default=sorted((REPO_ROOT / "bench").glob("questions*.jsonl")))
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "seeds")
    parser.add_argument("--index", type=Path, default=REPO_ROOT / "index")
    args = parser.parse_args()
    engine = Engine(Settings.from_env(corpus=args.corpus, index=args.index))
    questions = [q.question for f in args.questions for q in load_questions(f, args.corpus)]
    engine.search("Why did Aliyev skip the Granada talks?")  # load models, tables, dictionaries
    passes = []
    for _ in range(2):
        times = []
        for q in questions:
            start = time.perf_counter()
            engine.search(q)
            times.append(1000 * (time.perf_counter() - start))
        passes.append(times)
    first, repeat = passes
    print(
        f"{len(questions)} questions: first p50 {statistics.median(first):.1f} ms, "
        f"p95 {sorted(first)[int(0.95 * len(first))]:.1f} ms; repeat p50 {statistics.median(repeat):.1f} ms"
    )


if __name__ == "__main__":
    main()
