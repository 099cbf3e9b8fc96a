"""Crash safety, short version of ``bench/crash.py``: kill -9 a rebuild at 5 points.

Opt-in (a few minutes on 2 cores): ``.venv/bin/python -m pytest -m slow tests/test_crash.py``
or ``QA_RUN_SLOW=1``. The full run is ``.venv/bin/python bench/crash.py`` (20 points).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _opted_in(config: pytest.Config) -> bool:
    expr = config.getoption("markexpr") or ""
    return bool(os.environ.get("QA_RUN_SLOW")) or ("slow" in expr and "not slow" not in expr)


def test_kill_9_during_build_leaves_a_complete_index(request: pytest.FixtureRequest) -> None:
    if not _opted_in(request.config):
        pytest.skip("slow: run with `-m slow` or QA_RUN_SLOW=1")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "crash.py"), "--points", "5", "--extra", "4", "--seed", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = re.search(r"(\d+) points, (\d+) killed mid-build, .* (\d+) failures", proc.stdout)
    assert summary and summary.group(1) == "5" and summary.group(3) == "0"
    assert int(summary.group(2)) >= 3, "most points must actually interrupt the build"
