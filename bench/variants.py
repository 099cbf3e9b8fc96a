"""The same question files through indexes built under different settings, side by side.

    python bench/variants.py QA_LATE=0 QA_LATE=1 [--files seeds|corpus2|all]

Each argument is a variant: ``NAME=VALUE`` environment settings joined by
commas (``QA_LATE=0,QA_ALIGN_LAYER=0``). Every variant runs in its own
process, builds a fresh index per corpus in a temp folder and measures
build time, retrieval recall@1/5/10, and ask()'s cited-gold, abstention,
false abstention, integrity errors and p50. Prints one markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def child(files: str) -> None:
    from backends import measure

    from qa.eval.evaluate import QUESTION_FILES

    tmp = Path(tempfile.mkdtemp())
    corpora = sorted({str(c) for _, _, c in QUESTION_FILES[files]})
    built: dict = {}
    out = {}
    for name, path, corpus in QUESTION_FILES[files]:
        out[name] = measure(name, path, corpus, tmp / f"index{corpora.index(str(corpus))}", built)
        r = out[name]
        print(f"{name:16s} r@5 {r['recall@5']:.3f} cited {r['cited_gold']:.3f}", file=sys.stderr)
    print(json.dumps({k: {m: v for m, v in r.items() if isinstance(v, (int, float))} for k, r in out.items()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variants", nargs="+", help="NAME=VALUE[,NAME=VALUE…] per variant")
    parser.add_argument("--files", default="all")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.files)
        return
    results = {}
    for variant in args.variants:
        env = dict(os.environ)
        for pair in filter(None, variant.split(",")):
            key, _, value = pair.partition("=")
            env[key] = value
        print(f"--- {variant}", file=sys.stderr)
        run = subprocess.run(
            [sys.executable, __file__, "--child", "--files", args.files, "x"],
            env=env, stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        results[variant] = json.loads(run.stdout.strip().splitlines()[-1])
    print(
        "| file | variant | build s | recall@1 | recall@5 | recall@10 | cited-gold | abst. | false abst. | integrity | ask p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in next(iter(results.values())):
        for variant, by_file in results.items():
            r = by_file[name]
            print(
                f"| {name} | {variant} | {r['build_s']:.1f} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['recall@10']:.3f}"
                f" | {r['cited_gold']:.3f} | {r['abstention_on_unanswerable']:.2f} | {r['false_abstention']:.3f}"
                f" | {r['citation_integrity_errors']} | {r['ask_ms_p50']:.0f} |"
            )


if __name__ == "__main__":
    main()
