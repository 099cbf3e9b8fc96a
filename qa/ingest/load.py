"""Read a folder of articles into (Article, text) pairs, skipping bad files.

Every file that is not indexed is reported with a reason instead of raising,
so one broken upload never blocks the rest of the corpus. Text is read with
``Path.read_text(encoding="utf-8")`` exactly as citations are verified, so the
offsets we store are offsets into what a verifier reads.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from qa.ingest.clean import content_spans
from qa.ingest.metadata import date_of, date_span_of, outlet_of, outlet_span_of, title_of
from qa.text.langid import detect
from qa.types import Article, Skipped

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class LoadedArticle:
    article: Article
    text: str
    spans: list[tuple[int, int]]  # content spans chosen by clean.py


def file_digest(path: Path) -> str:
    """sha256 of the bytes; of the link itself for a symlink (never followed), "" if unreadable."""
    try:
        if path.is_symlink():
            return hashlib.sha256(b"symlink:" + os.fsencode(os.readlink(path))).hexdigest()
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # vanished or unreadable: read_article says why


def list_article_files(corpus: Path) -> list[Path]:
    """Candidate files, sorted by name so duplicates resolve deterministically.

    Symbolic links are listed (and then skipped with a reason) but never
    followed: a link in the corpus could otherwise publish any file the
    process can read, e.g. ``secret.txt -> /etc/shadow``.
    """
    if not corpus.is_dir():
        return []
    return sorted(
        p
        for p in corpus.iterdir()
        if (p.is_symlink() or p.is_file()) and not p.name.startswith(".") and not p.name.endswith("~")
    )


def read_article(path: Path, corpus: Path, max_bytes: int) -> LoadedArticle | Skipped:
    """One file to an article, or a Skipped saying why it cannot be indexed."""
    name = path.relative_to(corpus).as_posix()
    if path.is_symlink():
        return Skipped(name, "symbolic link (links are not followed; copy the file into the corpus instead)")
    try:
        return _read_article(path, name, max_bytes)
    except OSError as exc:  # removed while we read, permissions: skip it, keep the rest
        return Skipped(name, f"cannot be read ({type(exc).__name__}: {exc.strerror or exc})")


def _read_article(path: Path, name: str, max_bytes: int) -> LoadedArticle | Skipped:
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        hint = " (import HTML with `python -m qa add FILE`)" if path.suffix.lower() in (".html", ".htm") else ""
        return Skipped(name, f"unsupported file type '{path.suffix or 'none'}'{hint}")
    size = path.stat().st_size
    if size == 0:
        return Skipped(name, "empty file")
    if size > max_bytes:
        return Skipped(name, f"file too large ({size:,} bytes > {max_bytes:,})")
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        return Skipped(name, "binary file (contains NUL bytes)")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(name, f"not valid UTF-8 at byte {exc.start}: re-save the file as UTF-8")
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return Skipped(name, "no text (whitespace only)")
    spans = content_spans(text)
    if not spans:
        return Skipped(name, "no article text left after removing boilerplate")
    body = "\n".join(text[s:e] for s, e in spans)
    digest = hashlib.sha256(raw).hexdigest()
    article = Article(
        id=digest[:16],
        source=name,
        title=title_of(text, fallback=path.stem),
        lang=detect(body, fallback="en"),
        date=date_of(text),
        outlet=outlet_of(text),
        sha256=digest,
        n_chars=len(text),
        date_span=date_span_of(text),
        outlet_span=outlet_span_of(text),
    )
    return LoadedArticle(article, text, spans)


def content_key(loaded: LoadedArticle) -> str:
    """Identity of the article's words, blind to whitespace, case and boilerplate."""
    words = " ".join(loaded.text[s:e] for s, e in loaded.spans).casefold().split()
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def load_corpus(corpus: Path, max_bytes: int = 20_000_000) -> tuple[list[LoadedArticle], list[Skipped]]:
    """All usable articles of ``corpus`` (duplicates once) and the skipped files."""
    loaded: list[LoadedArticle] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for path in list_article_files(corpus):
        result = read_article(path, corpus, max_bytes)
        if isinstance(result, Skipped):
            skipped.append(result)
            continue
        key = content_key(result)
        if key in seen:
            skipped.append(Skipped(result.article.source, f"duplicate of {seen[key]}"))
            continue
        seen[key] = result.article.source
        loaded.append(result)
    for s in skipped:
        log.warning("skipped %s: %s", s.source, s.reason)
    return loaded, skipped
