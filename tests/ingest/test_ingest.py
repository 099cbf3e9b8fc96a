"""Adding and removing articles: names and bytes from uploads are untrusted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.errors import CorpusError, UnsafeFileError
from qa.ingest.library import MAX_NAME_CHARS, add_file, remove_file, sanitize_name

ARTICLE = b"Aliyev met Pashinyan in Brussels.\nThe talks lasted three hours and ended without a deal.\n"

HTML = b"""<!doctype html><html><head><title>Peace talks stall</title>
<meta property="article:published_time" content="2024-03-05T10:00:00Z"></head>
<body><nav>Home | World | Sports | Weather</nav>
<article><h1>Peace talks stall</h1>
<p>Armenia and Azerbaijan failed to agree on a venue for the next round of peace talks, officials said on Tuesday.</p>
<p>The foreign ministers had met twice in Washington. A third meeting in Almaty was discussed, but no date was set.</p>
<p>Observers expect the talks to resume after the summer, with border delimitation still the main open question.</p>
</article><footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


def articles(folder: Path) -> list[str]:
    """Visible files only: the lock and temp files are hidden on purpose."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_adds_plain_text(corpus: Path) -> None:
    path = add_file(corpus, "brussels.txt", ARTICLE)
    assert path == corpus.resolve() / "brussels.txt"
    assert path.read_bytes() == ARTICLE
    assert articles(corpus) == ["brussels.txt"]
    assert not [p for p in corpus.iterdir() if p.name.endswith(".tmp")]


def test_markdown_is_accepted(corpus: Path) -> None:
    assert add_file(corpus, "notes.MD", b"# Title\n\nBody text.\n").name == "notes.md"


@pytest.mark.parametrize(
    "name",
    ["../x.txt", "/etc/passwd", "a/../../b.txt", "..\\evil.txt", "..", "sub/dir.txt", "/tmp/x.txt", "a..txt"],
)
def test_traversal_names_are_refused(corpus: Path, name: str) -> None:
    with pytest.raises(UnsafeFileError):
        add_file(corpus, name, ARTICLE)
    assert articles(corpus) == []
    assert not (corpus.parent / "x.txt").exists()
    assert not (corpus.parent / "b.txt").exists()


@pytest.mark.parametrize("name", [".hidden.txt", "bad\x00name.txt", "line\nbreak.txt", "tab\tname.txt", "", "   "])
def test_hidden_control_and_empty_names_are_refused(corpus: Path, name: str) -> None:
    with pytest.raises(UnsafeFileError):
        add_file(corpus, name, ARTICLE)


def test_name_is_sanitized() -> None:
    assert sanitize_name("My Report (final).txt") == "My_Report_final.txt"
    assert sanitize_name("Bericht über Wahl.TXT") == "Bericht_über_Wahl.txt"
    # NFD (macOS) and NFC spellings give the same name.
    assert sanitize_name("Caf\u0065\u0301.txt") == sanitize_name("Caf\u00e9.txt") == "Caf\u00e9.txt"
    assert sanitize_name("a;rm -rf $HOME.md") == "a_rm_-rf_HOME.md"
    long = sanitize_name("x" * 500 + ".txt")
    assert len(long) == MAX_NAME_CHARS and long.endswith(".txt")


def test_symlink_in_corpus_is_not_followed(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n", encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        add_file(corpus, "link.txt", ARTICLE)
    assert outside.read_text(encoding="utf-8") == "secret\n"
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        remove_file(corpus, "link.txt")
    assert outside.exists() and (corpus / "link.txt").is_symlink()


def test_symlinked_directory_entry_is_refused(corpus: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (corpus / "dir.txt").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafeFileError):
        add_file(corpus, "dir.txt", ARTICLE)
    assert list(elsewhere.iterdir()) == []


def test_binary_is_refused(corpus: Path) -> None:
    with pytest.raises(UnsafeFileError, match="binary"):
        add_file(corpus, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_non_utf8_is_refused(corpus: Path) -> None:
    with pytest.raises(UnsafeFileError, match="UTF-8"):
        add_file(corpus, "latin1.txt", "Außenministerium erklärte".encode("latin-1"))


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", "\ufeff \n".encode()])
def test_empty_is_refused(corpus: Path, data: bytes) -> None:
    with pytest.raises(UnsafeFileError):
        add_file(corpus, "empty.txt", data)
    assert articles(corpus) == []


def test_oversize_is_refused(corpus: Path) -> None:
    with pytest.raises(UnsafeFileError, match="too large"):
        add_file(corpus, "big.txt", b"a" * 101, max_bytes=100)
    assert add_file(corpus, "ok.txt", b"a" * 100, max_bytes=100).exists()


@pytest.mark.parametrize("name", ["doc.pdf", "run.sh", "noext", "page.php", "archive.tar.gz"])
def test_unsupported_extension_is_refused(corpus: Path, name: str) -> None:
    with pytest.raises(UnsafeFileError, match="unsupported file type"):
        add_file(corpus, name, ARTICLE)


def test_bom_is_dropped(corpus: Path) -> None:
    path = add_file(corpus, "bom.txt", "\ufeffTitle\nBody.\n".encode())
    assert path.read_text(encoding="utf-8") == "Title\nBody.\n"


def test_html_is_saved_as_extracted_text(corpus: Path) -> None:
    path = add_file(corpus, "Peace Talks.html", HTML)
    assert path.name == "Peace_Talks.txt"
    assert articles(corpus) == ["Peace_Talks.txt"]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "date 2024-03-05"
    assert "Peace talks stall" in lines[:3]
    assert "failed to agree on a venue" in text
    assert "<p>" not in text and "<article>" not in text
    assert "Home | World" not in text and "All rights reserved" not in text


def test_html_title_and_date_are_read_by_the_indexer(corpus: Path) -> None:
    from qa.ingest.metadata import date_of, title_of

    text = add_file(corpus, "talks.htm", HTML).read_text(encoding="utf-8")
    assert date_of(text) == "2024-03-05"
    assert title_of(text, fallback="x") == "Peace talks stall"


def test_html_without_article_is_refused(corpus: Path) -> None:
    with pytest.raises(UnsafeFileError, match="no article text"):
        add_file(corpus, "empty.html", b"<html><head><script>var a = 1;</script></head><body></body></html>")
    assert articles(corpus) == []


def test_same_name_same_bytes_returns_existing(corpus: Path) -> None:
    first = add_file(corpus, "a.txt", ARTICLE)
    mtime = first.stat().st_mtime_ns
    again = add_file(corpus, "a.txt", ARTICLE)
    assert again == first and again.stat().st_mtime_ns == mtime
    assert articles(corpus) == ["a.txt"]


def test_same_name_different_bytes_gets_suffix(corpus: Path) -> None:
    add_file(corpus, "a.txt", ARTICLE)
    second = add_file(corpus, "a.txt", b"Another article.\n")
    third = add_file(corpus, "a.txt", b"A third article.\n")
    assert (second.name, third.name) == ("a-2.txt", "a-3.txt")
    assert (corpus / "a.txt").read_bytes() == ARTICLE
    assert add_file(corpus, "a.txt", b"Another article.\n") == second


def test_missing_corpus(tmp_path: Path) -> None:
    with pytest.raises(CorpusError):
        add_file(tmp_path / "nope", "a.txt", ARTICLE)


def test_remove_file(corpus: Path) -> None:
    add_file(corpus, "a.txt", ARTICLE)
    remove_file(corpus, "a.txt")
    assert articles(corpus) == []
    with pytest.raises(FileNotFoundError):
        remove_file(corpus, "a.txt")


@pytest.mark.parametrize("name", ["../x.txt", "/etc/passwd", "a/../../b.txt", ".ingest.lock", "..", ""])
def test_remove_refuses_unsafe_names(corpus: Path, tmp_path: Path, name: str) -> None:
    victim = tmp_path / "x.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(UnsafeFileError):
        remove_file(corpus, name)
    assert victim.exists()


def test_remove_refuses_directories(corpus: Path) -> None:
    (corpus / "sub").mkdir()
    with pytest.raises(UnsafeFileError):
        remove_file(corpus, "sub")
    assert (corpus / "sub").is_dir()


def test_written_file_is_world_readable(corpus: Path) -> None:
    mode = add_file(corpus, "perm.txt", ARTICLE).stat().st_mode & 0o777
    assert mode & 0o444 == 0o444
    assert os.access(corpus / "perm.txt", os.R_OK)


@pytest.mark.parametrize(
    "text,outlet",
    [
        ("Headline\n\n(Reuters) – Blinken spoke on Sunday.", "Reuters"),
        ("Headline\n\nNews Service Trend\n\nAliyev said.", "Trend"),
        ("Body text here.\n\nMore text.\n\nReferentie: Azertag.az", "Azertag.az"),
        ("Just a sentence about things.", None),
    ],
)
def test_outlet_span_points_at_the_credit(text: str, outlet: str | None) -> None:
    from qa.ingest.metadata import date_span_of, outlet_of, outlet_span_of

    span = outlet_span_of(text)
    assert outlet_of(text) == outlet
    assert (text[span[0] : span[1]] if span else None) == outlet
    dated = " date 2024-08-28 " + text
    start, end = date_span_of(dated)
    assert dated[start:end] == "2024-08-28"


def test_trash_and_restore_undo_a_removal_and_the_trash_is_never_indexed(corpus: Path) -> None:
    from qa.ingest.library import TRASH_DIR, restore_file, trash_file
    from qa.ingest.load import load_corpus

    first = add_file(corpus, "a.txt", ARTICLE)
    assert trash_file(corpus, "a.txt") == "a.txt"
    assert not first.exists() and (corpus / TRASH_DIR / "a.txt").read_bytes() == ARTICLE
    loaded, skipped = load_corpus(corpus)
    assert loaded == [] and skipped == []  # the trash is neither indexed nor reported
    # Removed again after a re-upload: both copies are kept in the trash.
    add_file(corpus, "a.txt", ARTICLE + b"More.\n")
    assert trash_file(corpus, "a.txt") == "a-2.txt"
    assert restore_file(corpus, "a.txt", "a.txt") == corpus / "a.txt"
    assert (corpus / "a.txt").read_bytes() == ARTICLE
    # Undo never overwrites: an article of that name now gets a suffix.
    assert restore_file(corpus, "a-2.txt", "a.txt") == corpus / "a-2.txt"
    assert articles(corpus) == ["a-2.txt", "a.txt"] and not list((corpus / TRASH_DIR).iterdir())
    with pytest.raises(FileNotFoundError):
        restore_file(corpus, "a.txt", "a.txt")
    with pytest.raises(UnsafeFileError):
        trash_file(corpus, "../a.txt")
