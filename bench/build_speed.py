"""Build throughput, side by side in one run: our full build (int8 and exact fp32) against a plain peer.

    python bench/build_speed.py                          # bench/corpus2/articles
    python bench/build_speed.py --chunks 10000           # seed sentences recombined (bench/scale.py's corpus)

The peer is what a LangChain or LlamaIndex FAISS user gets: sentence-transformers
on torch (default threads) embedding each chunk once with the same converted e5
folder and ``passage: `` prompt, then ``faiss.IndexFlatIP.add``. It embeds the
very chunk texts our build produced. Ours is ``build_index(force=True)``: read,
clean, chunk, embed every view (e5 windows and sentences with token states,
USE), BM25, write. Each side runs in a fresh process, model load included;
the order alternates per round so machine load hits all alike. Prints a
markdown table of medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parent.parent


def child_ours(corpus: Path, index: Path) -> dict:
    from qa.settings import Settings
    from qa.store.build import build_index

    t = time.perf_counter()
    summary = build_index(settings=Settings.from_env(corpus=corpus, index=index), force=True)
    return {"chunks": summary.chunks, "seconds": time.perf_counter() - t}


def child_peer(index: Path) -> dict:
    import faiss
    from sentence_transformers import SentenceTransformer

    from qa import store
    from qa.embed.e5convert import convert

    texts = [c.text for c in store.load(index).chunks]
    t = time.perf_counter()
    model = SentenceTransformer(str(convert()), device="cpu", local_files_only=True)
    vectors = model.encode(["passage: " + x for x in texts], batch_size=32, normalize_embeddings=True)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return {"chunks": len(texts), "seconds": time.perf_counter() - t}


def run(args: list[str], env: dict[str, str] | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=REPO, env={**os.environ, **(env or {})}
    )
    if out.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=REPO / "bench" / "corpus2" / "articles")
    parser.add_argument("--chunks", type=int, default=0, help="a synthetic corpus of about this many chunks instead")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-fp32", action="store_true", help="skip the exact fp32 build (the slow one)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    corpus = args.corpus
    if args.chunks:
        from scale import write_corpus

        corpus = work / "corpus"
        write_corpus(corpus, args.chunks)
    sides = {"ours, int8 (default)": {"QA_INT8": "1"}, "peer: sentence-transformers + FAISS": None}
    if not args.no_fp32:
        sides["ours, exact fp32 (QA_INT8=0)"] = {"QA_INT8": "0"}
    results: dict[str, list[dict]] = {name: [] for name in sides}
    index = work / "index"
    for r in range(args.rounds):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            env = sides[name]
            if env is None:
                if not index.exists():
                    run(["_ours", str(corpus), str(index)], {"QA_INT8": "1"})
                results[name].append(run(["_peer", str(index)]))
            else:
                results[name].append(run(["_ours", str(corpus), str(index)], env))
    peer = statistics.median(x["chunks"] / x["seconds"] for x in results["peer: sentence-transformers + FAISS"])
    print(f"corpus: {'synthetic' if args.chunks else corpus.name}, rounds: {args.rounds}\n")
    print("| side | chunks | seconds | chunks/s | vs peer |\n|---|---|---|---|---|")
    for name, rows in results.items():
        secs = statistics.median(x["seconds"] for x in rows)
        rate = statistics.median(x["chunks"] / x["seconds"] for x in rows)
        print(f"| {name} | {rows[0]['chunks']} | {secs:.1f} | {rate:.1f} | {rate / peer:.2f}x |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_ours":
        print(json.dumps(child_ours(Path(sys.argv[2]), Path(sys.argv[3]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_peer":
        print(json.dumps(child_peer(Path(sys.argv[2]))))
    else:
        main()
