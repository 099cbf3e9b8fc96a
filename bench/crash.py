"""Crash safety: ``kill -9`` a forced rebuild at random points, then search.

On a temporary copy of the seeds plus generated articles (so the build lasts
long enough to be hit anywhere), an "old" index is built, three articles are
added, and ``python -m qa build --force`` is started and killed with SIGKILL
at ``--points`` moments: half uniformly over the build's measured duration,
half inside the save phase (as soon as a ``.tmp-gen-*`` folder appears, or
a random 0-60 ms later). After each kill the index folder is checked:

* ``store.load`` opens it without error, and what ``CURRENT`` names is a
  complete generation: all its files agree (store.load's own checks), every
  chunk is the exact span of its source file, and its article set is exactly
  the old corpus or exactly the new one - never a mix;
* ``search()`` works (bringing the index up to date if it was the old one) and
  returns passages of the new corpus whose text is the exact source span.

The folder is then restored to the old index for the next point.

    .venv/bin/python bench/crash.py [--points 20] [--extra 40] [--seed 7]

Exit status 0 when every point passed. ``tests/test_crash.py`` runs a short
version (opt-in, marked slow).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = ["Why did Aliyev skip the Granada talks?", "Extra report 3 harbour", "Wo treffen sich die Außenminister?"]


def make_corpus(corpus: Path, extra: int, seed: int) -> list[str]:
    """Seeds plus ``extra`` generated articles (seed sentences reshuffled); returns the extra names."""
    shutil.copytree(ROOT / "seeds", corpus)
    rng = random.Random(seed)
    sentences = []
    for path in sorted((ROOT / "seeds").iterdir()):
        text = path.read_text(encoding="utf-8")
        sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 6]
    names = []
    for i in range(extra):
        body = rng.sample(sentences, min(len(sentences), 24))
        name = f"zz_extra_{i:03d}.txt"
        text = f"Extra report {i}: harbour number {i * 7919 % 1000}\n\n" + "\n".join(body) + "\n"
        (corpus / name).write_text(text, encoding="utf-8")
        names.append(name)
    return names


def build_cmd(corpus: Path, index: Path, force: bool) -> list[str]:
    cmd = [sys.executable, "-m", "qa", "build", "--corpus", str(corpus), "--index", str(index)]
    return cmd + (["--force"] if force else [])


def restore(snapshot: Path, index: Path) -> None:
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(snapshot, index, copy_function=shutil.copy2)


def check(corpus: Path, index: Path, old_sources: set[str], new_sources: set[str], old_gen: str) -> tuple[str, list[str]]:
    """('old'|'new', problems) for the index a kill left behind."""
    from qa import search, store
    from qa.retrieve.engine import get_engine

    problems: list[str] = []
    try:
        gen = store.current_generation(index)
        data = store.load(index)
    except Exception as exc:  # noqa: BLE001 - any exception here is a failure to report
        return "broken", [f"store.load raised {type(exc).__name__}: {exc}"]
    if data is None or gen is None:
        return "broken", ["no CURRENT generation"]
    sources = set(data.articles)
    state = "old" if gen.name == old_gen else "new"
    expected = old_sources if state == "old" else new_sources
    if sources != expected or {c.source for c in data.chunks} != expected:
        problems.append(f"{state} generation {gen.name} holds a mix: {len(sources)} articles, expected {len(expected)}")
    texts = {s: (corpus / s).read_text(encoding="utf-8") for s in sources}
    bad = [c.id for c in data.chunks if texts[c.source][c.start : c.end] != c.text]
    if bad:
        problems.append(f"{len(bad)} chunks are not the exact span of their file")
    try:
        get_engine(corpus, index).refresh(force_check=True)
        for q in QUESTIONS:
            hits = search(q, 5, corpus=corpus, index=index)
            if not hits:
                problems.append(f"search({q!r}) returned nothing")
            for h in hits:
                if h.source not in new_sources or texts.get(h.source, (corpus / h.source).read_text("utf-8"))[h.start : h.end] != h.text:
                    problems.append(f"search hit {h.source}:{h.start}-{h.end} is not from a complete index")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"search raised {type(exc).__name__}: {exc}")
    return state, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--extra", type=int, default=40, help="generated articles added to the seeds")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    from qa import build_index, store

    work = Path(tempfile.mkdtemp(prefix="qa-crash-"))
    try:
        corpus, index, snapshot = work / "corpus", work / "index", work / "snapshot"
        extras = make_corpus(corpus, args.extra, args.seed)
        late = extras[-3:]
        moved = work / "late"
        moved.mkdir()
        for name in late:
            shutil.move(corpus / name, moved / name)
        t = time.perf_counter()
        build_index(corpus, index)
        print(f"old index: {len(store.load(index).articles)} articles in {time.perf_counter() - t:.1f} s", flush=True)
        old_sources = set(store.load(index).articles)
        old_gen = store.current_generation(index).name
        (index / ".lock").unlink(missing_ok=True)
        shutil.copytree(index, snapshot, copy_function=shutil.copy2)
        for name in late:
            shutil.move(moved / name, corpus / name)
        new_sources = old_sources | set(late)

        t = time.perf_counter()
        subprocess.run(build_cmd(corpus, index, True), cwd=ROOT, check=True, capture_output=True)
        full = time.perf_counter() - t
        print(f"uninterrupted `qa build --force`: {full:.1f} s (process start included)", flush=True)
        restore(snapshot, index)

        results = []
        for point in range(args.points):
            in_save = point % 2 == 1
            proc = subprocess.Popen(build_cmd(corpus, index, True), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started = time.perf_counter()
            if in_save:
                while proc.poll() is None and not list(index.glob(".tmp-gen-*")):
                    time.sleep(0.002)
                time.sleep(rng.choice([0.0, rng.uniform(0.0, 0.06)]))  # the save itself lasts ~0.1 s
            else:
                time.sleep(rng.uniform(0.05, full))
            at = time.perf_counter() - started
            finished = proc.poll() is not None
            if not finished:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            leftovers = len(list(index.glob(".tmp-gen-*")))
            state, problems = check(corpus, index, old_sources, new_sources, old_gen)
            kind = "save phase" if in_save else "uniform"
            how = "build finished first" if finished else "killed"
            print(
                f"point {point + 1:2d}: {how} at {at:5.2f} s ({kind}); index after kill: {state}"
                f" (+{leftovers} temp folder); " + ("ok" if not problems else "FAIL: " + "; ".join(problems)),
                flush=True,
            )
            results.append((finished, state, problems))
            restore(snapshot, index)
        killed = sum(1 for f, _, _ in results if not f)
        failures = sum(1 for _, _, p in results if p)
        states = [s for _, s, _ in results]
        print(
            f"{len(results)} points, {killed} killed mid-build, index old after {states.count('old')}, "
            f"new after {states.count('new')}, {failures} failures"
        )
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
