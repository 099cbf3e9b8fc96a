"""Adding, removing and restoring articles from the page, and the index update after each.

File handling itself lives in :mod:`qa.ingest.library`, shared with the
command line; this module only collects its verdicts for the sidebar.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from qa.errors import CorpusError, QAError, UnsafeFileError
from qa.ingest.library import add_file, restore_file, trash_file
from qa.page.markup import md_escape
from qa.retrieve.engine import get_engine, resolve_paths
from qa.store.build import Progress, build_index
from qa.types import BuildSummary


def corpus_paths() -> tuple[Path, Path | str]:
    """Corpus and index from ``QA_CORPUS`` / ``QA_INDEX`` (tests point these at temp folders); a database URL as is."""
    corpus, index = resolve_paths(None, None)
    return corpus.resolve(), index if isinstance(index, str) else index.resolve()


def article_choice(article: Any, width: int = 60) -> str:
    """How the Remove list names an article: its title (shortened at a word) with outlet and date."""
    title = " ".join((article.title or article.source).split())
    if len(title) > width:
        title = title[: width - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-") + "…"
    details = [x for x in (article.outlet, article.date or "date unknown") if x]
    return f"{title} ({' · '.join(details)})"


@dataclass
class UploadReport:
    """What happened to a batch of uploads, for the sidebar to show."""

    saved: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    summary: BuildSummary | None = None
    error: str | None = None


def ingest_uploads(
    files: Iterable[tuple[str, bytes]], corpus: Path, index: Path | str, progress: Progress | None = None
) -> UploadReport:
    """Store each upload through ``qa.ingest.library`` and update the index once.

    One bad file must not block the others, so refusals are collected rather
    than raised. The index update is incremental: only new articles are embedded.
    """
    report = UploadReport()
    for name, data in files:
        try:
            report.saved.append(add_file(corpus, name, data).name)
        except (UnsafeFileError, CorpusError) as exc:
            report.refused.append((name, str(exc)))
    if report.saved:
        report.summary, report.error = rebuild(corpus, index, progress)
    return report


def rebuild(
    corpus: Path, index: Path | str, progress: Progress | None = None, force: bool = False
) -> tuple[BuildSummary | None, str | None]:
    """``build_index`` then make the cached engine pick the new generation up now."""
    try:
        summary = build_index(corpus=corpus, index=index, progress=progress, force=force)
    except QAError as exc:
        return None, str(exc)
    try:
        get_engine(corpus, index).refresh(force_check=True)
    except QAError:
        pass  # the next question reports it
    return summary, None


NO_FILES = (
    "No file to add: choose .txt, .md or .html files first. "
    "Files of other types (images, PDFs, Word documents) are not accepted; save the article as text or HTML."
)


def remove_controls(corpus: Path, index: Path, by_source: dict[str, Any]) -> None:
    """Pick an article by title, confirm, move it to the trash; the last removal can be undone.

    The file goes to the corpus's ``.trash/`` folder (which the index never
    reads) rather than being deleted, so a slip of the mouse costs nothing.
    """
    with st.sidebar.form("remove"):
        victim = st.selectbox(
            "Remove an article",
            sorted(by_source, key=lambda s: article_choice(by_source[s]).casefold()),
            index=None,
            key="remove_choice",
            format_func=lambda s: article_choice(by_source[s]),
        )
        if st.form_submit_button("Remove") and victim:
            st.session_state.confirm_remove = victim
    pending = st.session_state.get("confirm_remove")
    if pending in by_source:
        st.sidebar.warning(f"Remove “{md_escape(article_choice(by_source[pending]))}” from the corpus?")
        yes, no = st.sidebar.columns(2)
        if yes.button("Yes, remove", key="remove_yes", type="primary"):
            st.session_state.pop("confirm_remove", None)
            remove_article(corpus, index, pending, article_choice(by_source[pending]))
        if no.button("Cancel", key="remove_no"):
            st.session_state.pop("confirm_remove", None)
            st.rerun()
    removed = st.session_state.get("removed")
    if removed:
        st.sidebar.success(f"Removed {md_escape(removed['label'])}")
        if st.sidebar.button("Undo", key="remove_undo", help="Put the article back and index it again."):
            undo_remove(corpus, index, removed)


def remove_article(corpus: Path, index: Path, source: str, label: str) -> None:
    """Move ``source`` to the trash, update the index and remember it for Undo."""
    try:
        trashed = trash_file(corpus, source)
    except (UnsafeFileError, FileNotFoundError, CorpusError) as exc:
        st.sidebar.error(md_escape(str(exc)))
        return
    summary, error = rebuild(corpus, index)
    st.session_state.upload_report = UploadReport(summary=summary, error=error)
    st.session_state.removed = {"source": source, "trashed": trashed, "label": label}
    st.rerun()


def undo_remove(corpus: Path, index: Path, removed: dict[str, str]) -> None:
    """Bring the last removed article back from the trash and index it again."""
    st.session_state.pop("removed", None)
    try:
        restored = restore_file(corpus, removed["trashed"], removed["source"])
    except (UnsafeFileError, FileNotFoundError, CorpusError) as exc:
        st.sidebar.error(md_escape(str(exc)))
        return
    summary, error = rebuild(corpus, index)
    st.session_state.upload_report = UploadReport(saved=[restored.name], summary=summary, error=error)
    st.rerun()


def progress_bar(bar: Any) -> Progress:
    started: dict[str, tuple[float, int]] = {}

    def update(stage: str, done: int, total: int) -> None:
        text = f"{stage.capitalize()} {done}/{total}"
        now = time.perf_counter()
        t0, d0 = started.setdefault(stage, (now, done))
        elapsed = now - t0
        if stage == "embedding" and elapsed > 2 and done > d0:  # the rate and time left, once there is one
            rate = (done - d0) / elapsed
            text += f" chunks · {rate:.0f}/s · about {max(0, total - done) / rate:.0f} s left"
        bar.progress(min(1.0, done / total) if total else 1.0, text=text)

    return update


def show_report(report: UploadReport | None) -> None:
    if report is None:
        return
    if report.saved:
        st.sidebar.success("Added " + ", ".join(md_escape(n) for n in report.saved))
    for name, reason in report.refused:
        st.sidebar.error(f"{md_escape(name)}: {md_escape(reason)}")
    if report.error:
        st.sidebar.error(md_escape(report.error))
    s = report.summary
    if s is not None:
        st.sidebar.info(
            f"Index: {s.articles} articles, {s.chunks} chunks; embedded {s.embedded_chunks} new chunks "
            f"in {s.seconds:.1f} s"
        )
        for skipped in s.skipped:
            st.sidebar.warning(f"Skipped {md_escape(skipped.source)}: {md_escape(skipped.reason)}")
