"""The command line's reports: `add` with bad files among good ones, `search` as a table (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import qa.cli
import qa.retrieve.engine
from qa.cli import main
from qa.types import Passage

GOOD = "Porto metro strike\n\nMetro workers in Porto went on strike on Friday over pay, the union said.\n"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Index builds `add` asks for, recorded instead of run (building is tested elsewhere)."""
    calls: list[Any] = []
    monkeypatch.setattr(qa.cli, "cmd_build", lambda args: calls.append(args) or 0)
    return calls


def _files(folder: Path, **contents: bytes) -> list[str]:
    folder.mkdir(exist_ok=True)
    for name, data in contents.items():
        (folder / name.replace("_", ".", 1)).write_bytes(data)
    return [str(folder / name.replace("_", ".", 1)) for name in contents]


def test_add_adds_what_it_can_and_reports_every_skipped_file(
    tmp_path: Path, builds: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = _files(tmp_path / "in", empty_txt=b"", binary_txt=b"\x89PNG\r\n\x00\x00", good_txt=GOOD.encode())
    missing = str(tmp_path / "in" / "missing.txt")
    code = main(["add", *files, missing, "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    out, err = capsys.readouterr()
    assert code == 0
    assert [p.name for p in corpus.iterdir() if not p.name.startswith(".")] == ["good.txt"]
    assert "added good.txt" in out
    skipped = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 3
    assert any("empty.txt" in line and "empty" in line.split(":", 1)[1] for line in skipped)
    assert any("binary.txt" in line and "binary" in line.split(":", 1)[1] for line in skipped)
    assert any("missing.txt" in line and "cannot be read" in line for line in skipped)
    assert len(builds) == 1


def test_add_fails_only_when_nothing_was_added(
    tmp_path: Path, builds: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = _files(tmp_path / "in", empty_txt=b"", photo_png=b"\x89PNG\r\n")
    code = main(["add", *files, "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert code != 0
    assert "empty.txt" in err and "photo.png" in err and "nothing was added" in err
    assert builds == [] and not [p for p in corpus.iterdir() if not p.name.startswith(".")]


HITS = [
    Passage("000_a188032d522a8897.txt", "Aliyev ready for talks with Armenia", "de", 120, 310,
            "Aliyev sagte, Aserbaidschan sei bereit.", 4.0412, outlet="Reuters", date="2024-08-28"),
    Passage("003_acc803eeaf1aa10d.txt", "Blinken belt met Aliyev", "nl", 0, 95, "Blinken belde Aliyev.", 1.2345),
]  # fmt: skip


def test_search_prints_a_readable_table_and_json_for_scripts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(qa.retrieve.engine, "search", lambda *args, **kwargs: list(HITS))
    assert main(["search", "Who called Aliyev?"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header[:5] == ["#", "outlet", "title", "lang", "date"]
    first = next(line for line in lines if line.split()[:1] == ["1"])
    second = next(line for line in lines if line.split()[:1] == ["2"])
    for part in ("Reuters", "Aliyev ready for talks with Armenia", " de ", "2024-08-28", "000_a188032d522a8897.txt:120-310"):
        assert part in first, part
    for part in ("Blinken belt met Aliyev", " nl ", "unknown", "003_acc803eeaf1aa10d.txt:0-95"):
        assert part in second, part
    assert "4.04" not in "\n".join(lines)  # no raw fusion scores
    assert first.index("Reuters") < first.index("Aliyev ready") < first.index(" de ")

    assert main(["search", "Who called Aliyev?", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["source"], r["score"], r["start"], r["end"]) for r in rows] == [
        (h.source, h.score, h.start, h.end) for h in HITS
    ]


def test_add_indexes_what_it_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end, with the real build: `add` passed build a namespace without build's options and crashed."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    files = _files(tmp_path / "in", porto_txt=GOOD.encode())
    assert main(["add", *files, "--corpus", str(corpus), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "added porto.txt" in out and "1 articles" in out
    assert (index / "CURRENT").is_file()
