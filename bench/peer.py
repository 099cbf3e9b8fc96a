"""Side-by-side with a mainstream pipeline: LangChain's FAISS vector store vs ``qa``.

    python -m venv /tmp/peervenv && /tmp/peervenv/bin/pip install torch==2.13.0 \
        && /tmp/peervenv/bin/pip install -r bench/requirements-peer.txt
    python bench/peer.py --peer-python /tmp/peervenv/bin/python --rounds 3

Same corpus (``seeds/``), same chunks (our chunker's windows, exactly the text
our e5 view embeds), same converted e5 folder with the same ``passage: `` /
``query: `` prompts, same k. The peer is what a user would write with
LangChain: ``HuggingFaceEmbeddings`` (sentence-transformers on torch, default
threads) + ``FAISS.from_texts`` + ``similarity_search``. Ours is measured two
ways: ``qa.search()`` (the product: e5 + USE + BM25 fused) and the e5 view
alone through ``VectorIndex`` (the like-for-like pipeline difference).

Each side runs in its own fresh process per round (so peak RSS is its own);
rounds alternate ours / peer so machine load hits both alike. Reported: medians
over rounds of each figure, and the median over rounds of the per-round ratio.
recall@5 uses ``qa.eval.evaluate``'s gold-span rule (a passage counts when it
covers half a gold span) on the answerable questions of bench/questions.jsonl.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import peak_rss_mb  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def questions() -> list[str]:
    from qa.eval.evaluate import DEFAULT_QUESTIONS

    return [json.loads(line)["question"] for line in DEFAULT_QUESTIONS.read_text("utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------ children ---


def child_ours(work: Path, k: int, repeat: int) -> dict:
    """Build our index from scratch, then time warm ``search`` (hybrid) and the e5 view alone."""
    t0 = time.perf_counter()
    from qa.embed.encoders import get_embedder
    from qa.ingest.chunk import lexical_text
    from qa.retrieve.engine import Engine
    from qa.settings import Settings
    from qa.store.build import build_index

    settings = Settings.from_env(corpus=REPO / "seeds", index=work / "ours-index")
    t = time.perf_counter()
    build_index(settings=settings, force=True)
    build_s = time.perf_counter() - t
    engine = Engine(settings)
    data = engine.data
    chunks = [
        {
            "text": lexical_text(c),
            "source": c.source,
            "start": c.start,
            "end": c.end,
        }
        for c in data.chunks
    ]
    (work / "chunks.json").write_text(json.dumps(chunks, ensure_ascii=False), encoding="utf-8")
    qs = questions()
    e5 = get_embedder(settings.model)
    dense = data.dense[0]

    def dense_only(q: str) -> list[int]:
        return dense.search(e5.query(q), k)[1].tolist()

    engine.search(qs[0], k)  # warm: models, caches
    dense_only(qs[0])
    hybrid_t, dense_t, hybrid_cpu, dense_cpu = [], [], [], []
    hybrid_ranked, dense_ranked = [], []
    for r in range(repeat):
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            passages = engine.search(q, k)
            hybrid_t.append(time.perf_counter() - t)
            hybrid_cpu.append(time.process_time() - c)
            t, c = time.perf_counter(), time.process_time()
            ids = dense_only(q)
            dense_t.append(time.perf_counter() - t)
            dense_cpu.append(time.process_time() - c)
            if r == 0:
                hybrid_ranked.append([(p.source, p.start, p.end) for p in passages])
                dense_ranked.append([(chunks[i]["source"], chunks[i]["start"], chunks[i]["end"]) for i in ids])
    return {
        "build_s": build_s,
        "process_s": time.perf_counter() - t0,
        "chunks": len(chunks),
        "hybrid_ms": [1000 * x for x in hybrid_t],
        "dense_ms": [1000 * x for x in dense_t],
        "hybrid_cpu_ms": [1000 * x for x in hybrid_cpu],
        "dense_cpu_ms": [1000 * x for x in dense_cpu],
        "hybrid_ranked": hybrid_ranked,
        "dense_ranked": dense_ranked,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_peer(work: Path, model: str, k: int, repeat: int, threads: int) -> dict:
    """LangChain: HuggingFaceEmbeddings + FAISS.from_texts + similarity_search (runs in the peer venv).

    ``threads`` > 0 pins torch to that many threads (a user would not; the
    default, all cores, is what the main comparison measures).
    """
    t0 = time.perf_counter()
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings

    chunks = json.loads((work / "chunks.json").read_text(encoding="utf-8"))
    t = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(
        model_name=model,
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"prompt": "passage: ", "normalize_embeddings": True},
        query_encode_kwargs={"prompt": "query: ", "normalize_embeddings": True},
    )
    store = FAISS.from_texts(
        [c["text"] for c in chunks],
        embeddings,
        metadatas=[{"source": c["source"], "start": c["start"], "end": c["end"]} for c in chunks],
    )
    build_s = time.perf_counter() - t
    qs = questions()
    store.similarity_search(qs[0], k=k)  # warm
    times, cpu, ranked = [], [], []
    for r in range(repeat):
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            docs = store.similarity_search(q, k=k)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            if r == 0:
                ranked.append([(d.metadata["source"], d.metadata["start"], d.metadata["end"]) for d in docs])
    return {
        "build_s": build_s,
        "process_s": time.perf_counter() - t0,
        "ms": [1000 * x for x in times],
        "cpu_ms": [1000 * x for x in cpu],
        "ranked": ranked,
        "peak_rss_mb": peak_rss_mb(),
    }


# -------------------------------------------------------------- orchestrator ---


def run(python: str, *args: str) -> dict:
    out = subprocess.run([python, __file__, *args], capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(f"{python} {args} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def recall_at(ranked: list[list[tuple[str, int, int]]], at: int) -> float:
    """recall@``at`` over the answerable questions, with qa.eval.evaluate's gold-span rule."""
    from qa.eval.evaluate import DEFAULT_QUESTIONS, hits_gold, load_questions

    qs = load_questions(DEFAULT_QUESTIONS, REPO / "seeds")
    assert len(qs) == len(ranked)
    hits = [
        any(hits_gold(src, s, e, q.gold) for src, s, e in passages[:at])
        for q, passages in zip(qs, ranked)
        if q.answerable
    ]
    return sum(hits) / max(1, len(hits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peer-python", default="/tmp/peervenv/bin/python", help="interpreter of the peer venv")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2, help="passes over the question file per round")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--peer-threads", type=int, default=0, help="pin the peer's torch threads (0: its default)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from qa.embed.e5convert import convert

    model = str(convert())
    rounds = []
    for r in range(args.rounds):
        work = Path(tempfile.mkdtemp(prefix="qa-peer-"))
        try:
            ours = run(sys.executable, "_ours", str(work), str(args.k), str(args.repeat))
            peer = run(args.peer_python, "_peer", str(work), model, str(args.k), str(args.repeat), str(args.peer_threads))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rounds.append({"ours": ours, "peer": peer})
        print(
            f"# round {r + 1}: ours p50 {statistics.median(ours['hybrid_ms']):.1f} ms "
            f"(e5-only {statistics.median(ours['dense_ms']):.1f}), peer p50 {statistics.median(peer['ms']):.1f} ms",
            file=sys.stderr,
        )
    print(report(rounds, args.k, args.peer_threads))
    if args.json:
        args.json.write_text(json.dumps(rounds))


def report(rounds: list[dict], k: int, peer_threads: int = 0) -> str:
    med = statistics.median
    rows = []

    def figures(side: str, key: str) -> list[dict]:
        out = []
        for rd in rounds:
            d = rd[side]
            ms = d[key]
            cpu = d.get(key.replace("ms", "cpu_ms"), [float("nan")])
            out.append(
                {
                    "build": d["build_s"],
                    "p50": med(ms),
                    "p95": pct(ms, 95),
                    "cpu": med(cpu),
                    "rss": d["peak_rss_mb"],
                    "proc": d["process_s"],
                }
            )
        return out

    peer = figures("peer", "ms")
    variants = [("qa.search() hybrid (e5 + USE + BM25)", "hybrid_ms", "hybrid_ranked"), ("ours, e5 view only", "dense_ms", "dense_ranked")]
    recall_peer = recall_at(rounds[0]["peer"]["ranked"], k)
    n = len(rounds)
    threads = f"torch pinned to {peer_threads} thread(s)" if peer_threads else "torch default threads"
    rows.append(
        f"Peer: LangChain FAISS + HuggingFaceEmbeddings (same e5 folder, prompts, chunks, k={k}; {threads}); "
        f"{n} rounds, medians."
    )
    rows.append("")
    rows.append("| pipeline | build s | query p50 ms | query p95 ms | CPU ms/query (median) | peak RSS MB | recall@5 |")
    rows.append("|---|---:|---:|---:|---:|---:|---:|")
    rows.append(
        f"| LangChain FAISS (peer) | {med([f['build'] for f in peer]):.1f} | {med([f['p50'] for f in peer]):.1f} | "
        f"{med([f['p95'] for f in peer]):.1f} | {med([f['cpu'] for f in peer]):.1f} | "
        f"{med([f['rss'] for f in peer]):.0f} | {recall_peer:.3f} |"
    )
    ratio_rows = []
    for label, key, ranked in variants:
        ours = figures("ours", key)
        recall = recall_at(rounds[0]["ours"][ranked], k)
        rows.append(
            f"| {label} | {med([f['build'] for f in ours]):.1f} | {med([f['p50'] for f in ours]):.1f} | "
            f"{med([f['p95'] for f in ours]):.1f} | {med([f['cpu'] for f in ours]):.1f} | "
            f"{med([f['rss'] for f in ours]):.0f} | {recall:.3f} |"
        )
        p50_ratios = [p["p50"] / o["p50"] for p, o in zip(peer, ours)]
        ratio_rows.append(
            f"| {label} | {med(p50_ratios):.2f}x ({min(p50_ratios):.2f}-{max(p50_ratios):.2f}) | "
            f"{med([p['p95'] / o['p95'] for p, o in zip(peer, ours)]):.2f}x | "
            f"{med([p['cpu'] / o['cpu'] for p, o in zip(peer, ours)]):.2f}x | "
            f"{med([p['build'] / o['build'] for p, o in zip(peer, ours)]):.2f}x | "
            f"{med([p['rss'] / o['rss'] for p, o in zip(peer, ours)]):.2f}x | {recall - recall_peer:+.3f} |"
        )
    rows += ["", "Ratios (peer / ours, per round, median; > 1 means ours is faster or smaller):", ""]
    rows.append(
        "| ours | p50 speed-up (range over rounds) | p95 speed-up | CPU per query ratio | build speed-up "
        "| peak RSS ratio | recall@5 delta |"
    )
    rows.append("|---|---:|---:|---:|---:|---:|---:|")
    rows += ratio_rows
    rows.append("")
    rows.append(
        "Build time of ours includes both dense views (e5 and USE) over chunks *and* sentences plus BM25; "
        "the peer embeds the chunks once with e5. Both include loading their models."
    )
    return "\n".join(rows)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_ours":
        print(json.dumps(child_ours(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_peer":
        print(json.dumps(child_peer(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))))
    else:
        main()
