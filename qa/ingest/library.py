"""Add and remove articles in a corpus folder, refusing anything unsafe.

Uploads come from a browser (the app) or a command line, so the file name
and the bytes are both untrusted. Everything that reaches the corpus passes
through here, which is why the checks are strict and every refusal raises
``UnsafeFileError`` with a message the user can act on:

* The name is reduced to one plain file name inside the corpus: a name that
  could climb out of the folder (``..``, separators, absolute paths) or hide
  (leading dot) is refused rather than "repaired", because silently writing
  somewhere other than what the user asked for is worse than saying no.
* The content must be non-empty UTF-8 text; the index reads files with
  ``Path.read_text("utf-8")`` and citation offsets refer to exactly that text,
  so anything else would be skipped later with a less helpful message.
* HTML is converted to plain text here, once, and saved as ``.txt``: the
  index only reads ``.txt``/``.md`` and offsets must point into the file a
  verifier will read, not into markup.
* Existing articles are never overwritten: the same bytes return the existing
  file (an idempotent re-upload), different bytes get a numeric suffix.
* Files are written to a hidden temporary file and moved into place with
  ``os.replace``, so the indexer never sees a half-written article.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import CorpusError, UnsafeFileError

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
ALLOWED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
MAX_NAME_CHARS = 120
DEFAULT_MAX_BYTES = 5_000_000

_UNSAFE_CHARS = re.compile(r"[^\w.-]+")
_REPEATED = re.compile(r"([._-])\1+")
_BOM = "\ufeff"
_LOCK_NAME = ".ingest.lock"  # hidden: the indexer ignores dot files


def _has_control_chars(name: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name)


def _check_plain_name(name: str) -> str:
    """Refuse names that are not a single visible file name.

    Shared by add and remove: both must only ever touch a direct child of
    the corpus folder.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnsafeFileError("the file name is empty")
    if _has_control_chars(name):
        raise UnsafeFileError(f"the file name {name!r} contains control characters")
    if "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        raise UnsafeFileError(f"the file name {name!r} contains a path; give a plain file name without folders")
    if name in (".", "..") or ".." in name:
        raise UnsafeFileError(f"the file name {name!r} contains '..'; rename the file")
    if name.startswith("."):
        raise UnsafeFileError(f"the file name {name!r} starts with a dot (hidden files are not articles)")
    return name


def sanitize_name(filename: str) -> str:
    """A safe, portable file name for an upload, or ``UnsafeFileError``.

    NFC-normalised so that "é" typed on macOS and on Linux is one name; spaces
    and characters outside ``[\\w.-]`` become ``_`` so the name works in
    shells, URLs and every file system; long names are cut to
    ``MAX_NAME_CHARS`` keeping the extension.
    """
    name = unicodedata.normalize("NFC", filename or "")
    _check_plain_name(name)
    name = name.strip().replace(" ", "_")
    name = _UNSAFE_CHARS.sub("_", name)
    name = _REPEATED.sub(r"\1", name)
    stem, suffix = os.path.splitext(name)
    suffix = suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(ALLOWED_SUFFIXES)
        raise UnsafeFileError(f"unsupported file type '{suffix or 'none'}' for {filename!r}; allowed: {allowed}")
    stem = stem.strip("._-") or "article"
    stem = stem[: MAX_NAME_CHARS - len(suffix)]
    return stem + suffix


def _corpus_dir(corpus: Path | str) -> Path:
    path = Path(corpus)
    if not path.is_dir():
        raise CorpusError(f"corpus folder not found: {path}")
    return path.resolve()


def _inside(corpus: Path, name: str) -> Path:
    """``corpus / name``, refusing symlinks and anything resolving elsewhere.

    A symlink placed in the corpus could make a write (or a later read by
    the indexer) reach any file the process can see, so we never follow one.
    """
    target = corpus / name
    if target.is_symlink():
        raise UnsafeFileError(f"{name!r} is a symbolic link in the corpus; refusing to touch it")
    if target.resolve().parent != corpus:
        raise UnsafeFileError(f"{name!r} resolves outside the corpus folder")
    return target


def _decode_text(data: bytes, filename: str, max_bytes: int) -> str:
    """The upload as text, or a refusal saying what is wrong with it."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnsafeFileError(f"{filename!r}: expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise UnsafeFileError(f"{filename!r} is too large ({len(data):,} bytes; the limit is {max_bytes:,})")
    if not data:
        raise UnsafeFileError(f"{filename!r} is empty")
    if b"\x00" in data:
        raise UnsafeFileError(f"{filename!r} looks binary (it contains NUL bytes); upload plain text or HTML")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeFileError(f"{filename!r} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8 text") from exc
    text = text.removeprefix(_BOM)  # a BOM would end up in the title and offsets
    if not text.strip():
        raise UnsafeFileError(f"{filename!r} contains only whitespace")
    return text


def html_to_text(html: str) -> str:
    """Main article text of an HTML page, headed by its date and title.

    The date goes on a first line ``date YYYY-MM-DD`` and the title on the
    next, the layout ``qa.ingest.metadata`` reads, so uploaded pages get the same
    title/date on citation cards and in date filters as plain-text articles.
    Raises ``UnsafeFileError`` when no article text can be found.
    """
    import trafilatura

    body = trafilatura.extract(html, include_comments=False, include_tables=False, with_metadata=False)
    body = (body or "").strip()
    if not body:
        raise UnsafeFileError("no article text found in the HTML page (is it an article, or only navigation?)")
    title = date = None
    try:
        meta = trafilatura.extract_metadata(html)
    except Exception:  # noqa: BLE001 - metadata is optional; the body is what matters
        meta = None
    if meta is not None:
        title = " ".join((getattr(meta, "title", None) or "").split()) or None
        found = getattr(meta, "date", None) or ""
        date = found[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", found) else None
    head = []
    if date:
        head.append(f"date {date}")
    first_line = body.split("\n", 1)[0].strip()
    if title and title != first_line:
        head.append(title)
    return "\n".join(head + ([""] if head else []) + [body]) + "\n"


@contextmanager
def _corpus_lock(corpus: Path) -> Iterator[None]:
    """Serialise check-then-write so two uploads cannot claim the same name."""
    with open(corpus / _LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(target: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _free_name(corpus: Path, name: str, payload: bytes) -> tuple[Path, bool]:
    """Where to store ``payload``: (path, already_there).

    Same bytes under the same name means the article is already in the
    corpus; different bytes get ``stem-2``, ``stem-3`` … so nothing is lost.
    """
    stem, suffix = os.path.splitext(name)
    for i in range(1, 10_000):
        candidate = name if i == 1 else f"{stem[: MAX_NAME_CHARS - len(suffix) - 6]}-{i}{suffix}"
        target = _inside(corpus, candidate)
        if not target.exists():
            return target, False
        if target.is_file() and target.read_bytes() == payload:
            return target, True
    raise UnsafeFileError(f"too many files named like {name!r} in the corpus")


def add_file(corpus: Path | str, filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    """Validate an upload and store it in ``corpus``; return the saved path.

    HTML is saved as ``<stem>.txt`` holding the extracted article text. The
    index is not touched: call ``build_index`` afterwards (it only embeds what
    changed).
    """
    folder = _corpus_dir(corpus)
    name = sanitize_name(filename)
    text = _decode_text(data, filename, max_bytes)
    if name.endswith(HTML_SUFFIXES):
        text = html_to_text(text)
        name = os.path.splitext(name)[0] + ".txt"
    payload = text.encode("utf-8")
    try:
        with _corpus_lock(folder):
            target, exists = _free_name(folder, name, payload)
            if not exists:
                _write_atomic(target, payload)
    except OSError as exc:  # full disk, read-only folder: nothing was added (the write is atomic)
        raise CorpusError(f"could not save {name!r} in {folder}: {exc.strerror or exc}; nothing was added") from exc
    return target


def remove_file(corpus: Path | str, source: str) -> None:
    """Delete one article, named as in citations (a file directly in ``corpus``).

    Raises ``UnsafeFileError`` for names that are not a plain file of the
    corpus (symlinks included: removing one is not this tool's call) and
    ``FileNotFoundError`` when there is no such article.
    """
    folder = _corpus_dir(corpus)
    name = _check_plain_name(source or "")
    with _corpus_lock(folder):
        target = _existing_article(folder, name)
        target.unlink()


def _existing_article(folder: Path, name: str) -> Path:
    """The article file ``name`` of the corpus, refused when missing or not a regular file."""
    target = _inside(folder, name)
    if not target.exists():
        raise FileNotFoundError(f"no article named {name!r} in {folder}")
    if not target.is_file():
        raise UnsafeFileError(f"{name!r} is not a regular file")
    return target


TRASH_DIR = ".trash"  # hidden, and a folder: the loader lists only plain files directly in the corpus


def trash_file(corpus: Path | str, source: str) -> str:
    """Move one article into the corpus's ``.trash/`` folder so that removing it can be undone.

    Returns the name it has in the trash (a numeric suffix when an earlier
    removal left a file of that name there). Same refusals as :func:`remove_file`.
    """
    folder = _corpus_dir(corpus)
    name = _check_plain_name(source or "")
    with _corpus_lock(folder):
        target = _existing_article(folder, name)
        trash = folder / TRASH_DIR
        if trash.is_symlink():
            raise UnsafeFileError(f"{TRASH_DIR!r} in the corpus is a symbolic link; refusing to move files into it")
        trash.mkdir(exist_ok=True)
        kept = _trash_name(trash, name)
        os.replace(target, trash / kept)
    return kept


def _trash_name(trash: Path, name: str) -> str:
    """A name not yet taken in the trash: an article removed twice keeps both copies."""
    stem, suffix = os.path.splitext(name)
    for i in range(1, 10_000):
        candidate = name if i == 1 else f"{stem}-{i}{suffix}"
        if not (trash / candidate).exists():
            return candidate
    raise UnsafeFileError(f"too many removed files named like {name!r} in {TRASH_DIR}; empty it")


def restore_file(corpus: Path | str, trashed: str, source: str) -> Path:
    """Move ``trashed`` back from ``.trash/`` as ``source`` (or a free name next to it); return its path.

    An article re-added since with the same bytes is kept and the trashed
    copy dropped; one with other bytes keeps its name and the restored file
    gets a numeric suffix, so undo never overwrites anything.
    """
    folder = _corpus_dir(corpus)
    trash = folder / TRASH_DIR
    old = trash / _check_plain_name(trashed or "")
    if trash.is_symlink() or old.is_symlink() or not old.is_file():
        raise FileNotFoundError(f"{trashed!r} is not in the corpus's {TRASH_DIR} folder")
    name = _check_plain_name(source or "")
    with _corpus_lock(folder):
        target, exists = _free_name(folder, name, old.read_bytes())
        if exists:
            old.unlink()
        else:
            os.replace(old, target)
    return target
