"""Shared fixtures: the model loads once and the seed index is built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real headless Chromium (needs apt chromium)")
    config.addinivalue_line("markers", "llm: talks to a local OpenAI-compatible LLM server (opt-in)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the seeds, so tests never touch the repo's corpus."""
    corpus = tmp_path_factory.mktemp("corpus") / "seeds"
    shutil.copytree(SEEDS, corpus)
    return corpus


@pytest.fixture(scope="session")
def seed_index(seed_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index) with the seed index built once for the whole session."""
    from qa import build_index

    index = tmp_path_factory.mktemp("index") / "index"
    summary = build_index(seed_corpus, index)
    assert summary.articles == 5
    return seed_corpus, index


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    """An empty corpus folder a test fills with its own articles."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return corpus


def write_article(corpus: Path, name: str, text: str | bytes) -> Path:
    path = corpus / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory):
    """A real PostgreSQL 16 + pgvector (the pgserver wheel) in a temp folder, stopped at the end of the session."""
    from qa.store import pgserver_local

    server = pgserver_local.start(tmp_path_factory.mktemp("pg"))
    yield server
    server.cleanup()


@pytest.fixture()
def postgres_url(postgres_server, request: pytest.FixtureRequest) -> str:
    """An empty database of its own for each test (named after the test)."""
    import re

    from qa.store import pgserver_local, postgres

    name = "t_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50]
    url = pgserver_local.database_url(postgres_server, name)
    postgres.drop_all(url)
    return url
