"""Cold start: a fresh process's first answer from an already built index.

    python bench/coldstart.py --runs 3                  # ask() and the app's first answer
    python bench/coldstart.py --runs 3 --compare-torch  # also with QA_EMBED_BACKEND=torch (the old e5 path)
    python bench/coldstart.py --profile                 # + a pyinstrument profile of one cold ask()

Measured, each in a fresh interpreter (median over ``--runs``):

* ``python -c "import qa; qa.ask(...)"``: wall time from outside, so the
  interpreter's own start-up is included;
* the same first ask split into its phases, called in the order ``ask()``
  meets them (import, index load, language id, place bridges, e5 load +
  first query, USE load + first query, the rest of retrieval + composing);
* the Streamlit app's first answer: ``AppTest`` runs ``app.py`` and submits
  one question (process start to answer).

The index is built once beforehand into a temp folder and is not timed; the
converted model and the place table are in the cache (a machine's very first
run also converts the model, ~5 s, and folds the city table, ~3 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "Why did Aliyev skip the Granada talks?"

ASK = """
import sys
import qa
a = qa.ask(sys.argv[1], corpus=sys.argv[2], index=sys.argv[3])
assert a.text
"""

PHASES = r"""
import json, sys, time
T = {}
t = time.perf_counter()
import qa
from qa.answer.ask import ask
T["import qa + qa.answer.ask"] = time.perf_counter() - t
question, corpus, index = sys.argv[1:4]
from qa.retrieve.engine import get_engine, resolve_paths
t = time.perf_counter(); engine = get_engine(*resolve_paths(corpus, index)); T["index load (get_engine)"] = time.perf_counter() - t
from qa.text.langid import detect
t = time.perf_counter(); detect(question); T["language id (py3langid)"] = time.perf_counter() - t
from qa.question.expand import expansions
from qa.text.fold import salient_words
t = time.perf_counter(); expansions(salient_words(question), {"en"}); T["place bridges (expand)"] = time.perf_counter() - t
from qa.embed.encoders import get_embedder
m1, *rest = engine.settings.models
t = time.perf_counter(); e5 = get_embedder(m1); T["e5 load"] = time.perf_counter() - t
t = time.perf_counter(); e5.query(question); T["e5 first query"] = time.perf_counter() - t
for m in rest:
    t = time.perf_counter(); get_embedder(m).query(question); T[f"{m} load + first query"] = time.perf_counter() - t
t = time.perf_counter(); a = ask(question, corpus=corpus, index=index); T["rest of ask (retrieve + compose)"] = time.perf_counter() - t
T["backend"] = getattr(e5, "backend", "?")
print(json.dumps(T))
"""

APP = r"""
import sys, time
t = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300).run()
assert not at.exception, [e.value for e in at.exception]
at.chat_input[0].set_value(sys.argv[2]).run()
assert not at.exception, [e.value for e in at.exception]
turn = at.session_state["turns"][-1]
assert "answer" in turn, turn
print(time.perf_counter() - t)
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[float, str, float]:
    """Wall seconds, last stdout line, and the CPU seconds the child used.

    CPU time is reported beside wall time because this machine is shared:
    under a load of 6-8 on 2 cores a cold ask got ~20% of a core, so its wall
    time says more about the neighbours than about the code.
    """
    t, cpu = time.perf_counter(), _children_cpu()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, env=env)
    wall, cpu = time.perf_counter() - t, _children_cpu() - cpu
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return wall, out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "", cpu


def measure(runs: int, corpus: Path, index: Path, env: dict[str, str]) -> dict:
    ask_walls, ask_cpu, app_walls, app_cpu, phases = [], [], [], [], []
    for _ in range(runs):
        wall, _, cpu = timed(ASK, QUESTION, str(corpus), str(index), env=env)
        ask_walls.append(wall)
        ask_cpu.append(cpu)
        phases.append(json.loads(timed(PHASES, QUESTION, str(corpus), str(index), env=env)[1]))
        app_env = {**env, "QA_CORPUS": str(corpus), "QA_INDEX": str(index)}
        _, line, cpu = timed(APP, str(REPO / "app.py"), QUESTION, env=app_env)
        app_walls.append(float(line))
        app_cpu.append(cpu)
    keys = [k for k in phases[0] if k != "backend"]
    return {
        "backend": phases[0]["backend"],
        "ask_wall_s": statistics.median(ask_walls),
        "ask_cpu_s": statistics.median(ask_cpu),
        "app_first_answer_s": statistics.median(app_walls),
        "app_cpu_s": statistics.median(app_cpu),
        "phases": {k: statistics.median(p[k] for p in phases) for k in keys},
        "raw": {"ask": ask_walls, "app": app_walls},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare-torch", action="store_true", help="also measure QA_EMBED_BACKEND=torch")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one cold ask()")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qa-cold-"))
    corpus, index = REPO / "seeds", work / "index"
    try:
        timed("import sys, qa; qa.build_index(sys.argv[1], sys.argv[2])", str(corpus), str(index))
        timed(ASK, QUESTION, str(corpus), str(index))  # fills the place cache if this machine never did
        env = {k: v for k, v in os.environ.items() if k != "QA_EMBED_BACKEND"}
        results = [measure(args.runs, corpus, index, env)]
        if args.compare_torch:
            results.append(measure(args.runs, corpus, index, {**env, "QA_EMBED_BACKEND": "torch"}))
        print(table(results, args.runs))
        if args.profile:
            out = subprocess.run(
                [sys.executable, "-m", "pyinstrument", "-c", ASK, QUESTION, str(corpus), str(index)],
                capture_output=True, text=True, cwd=REPO,
            )
            print("```\n" + (out.stdout or out.stderr)[-6000:] + "\n```")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(results: list[dict], runs: int) -> str:
    head = " | ".join(f"e5 backend: {r['backend']}" for r in results)
    lines = [f"Cold start, median of {runs} fresh processes each (seconds)", "", f"| | {head} |", "|---|" + "---:|" * len(results)]
    lines.append("| `python -c \"import qa; qa.ask(...)\"` (wall, from outside) | " + " | ".join(f"{r['ask_wall_s']:.2f}" for r in results) + " |")
    lines.append("| same, CPU seconds of that process | " + " | ".join(f"{r['ask_cpu_s']:.2f}" for r in results) + " |")
    lines.append("| app first answer (AppTest: start app + one question) | " + " | ".join(f"{r['app_first_answer_s']:.2f}" for r in results) + " |")
    lines.append("| same, CPU seconds of that process | " + " | ".join(f"{r['app_cpu_s']:.2f}" for r in results) + " |")
    lines.append("| **first ask, by phase (wall):** |" + " |" * len(results))
    for key in results[0]["phases"]:
        lines.append(f"| {key} | " + " | ".join(f"{r['phases'].get(key, float('nan')):.2f}" for r in results) + " |")
    lines.append("| sum of phases | " + " | ".join(f"{sum(r['phases'].values()):.2f}" for r in results) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
