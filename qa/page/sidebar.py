"""The sidebar: what the index holds, the filters, and the corpus controls."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import streamlit as st

from qa.ingest.library import ALLOWED_SUFFIXES, DEFAULT_MAX_BYTES
from qa.page.corpus import NO_FILES, UploadReport, ingest_uploads, progress_bar, rebuild, remove_controls, show_report
from qa.page.markup import lang_name
from qa.page.scope import scoped_filters


def index_age(created: str | None, now: datetime | None = None) -> str:
    if not created:
        return "unknown"
    try:
        then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return created
    seconds = max(0, int(((now or datetime.now(then.tzinfo)) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def model_name(manifest: dict[str, Any]) -> str:
    models = manifest.get("models") or manifest.get("model") or "?"
    return " + ".join(models) if isinstance(models, list) else str(models)


def sidebar(corpus: Path, index: Path, engine: Any) -> tuple[int, dict[str, Any] | None]:
    """Overview, filters and corpus management; returns (k, filters) for ``ask``."""
    st.sidebar.title("News Q&A")
    data = engine.data if engine is not None else None
    articles = list(data.articles.values()) if data else []
    if data:
        manifest = data.manifest or {}
        langs = sorted({a.lang for a in articles})
        c1, c2 = st.sidebar.columns(2)
        c1.metric("Articles", len(articles))
        c2.metric("Chunks", len(data.chunks))
        st.sidebar.caption(
            f"Languages: {', '.join(f'{lang_name(x)} ({x})' for x in langs)}  \n"
            f"Model: `{model_name(manifest)}`  \n"
            f"Index built {index_age(manifest.get('created'))}  \n"
            f"Corpus: `{corpus.name}`"
        )
    st.sidebar.subheader("Filters")
    langs = sorted({a.lang for a in articles})
    lang_sel = st.sidebar.multiselect("Languages", langs, format_func=lambda x: f"{lang_name(x)} ({x})", key="f_lang")
    by_source = {a.source: a for a in articles}
    source_sel = st.sidebar.multiselect(
        "Articles",
        sorted(by_source),
        format_func=lambda s: (
            f"{(by_source[s].outlet + ' · ') if by_source[s].outlet else ''}{by_source[s].title[:60]}"
        ),
        key="f_source",
    )
    dated = sorted(a.date for a in articles if a.date)
    dates, keep_undated = None, True
    undated = len(articles) - len(dated)
    if dated and st.sidebar.checkbox(
        "Only articles published between…",
        key="f_use_dates",
        help=f"{undated} of {len(articles)} articles state no date; they stay in unless you leave them out below.",
    ):
        lo, hi = date.fromisoformat(dated[0]), date.fromisoformat(dated[-1])
        picked = st.sidebar.date_input("Published", (lo, hi), key="f_dates")
        dates = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
        if undated:
            keep_undated = st.sidebar.checkbox(
                f"Keep the {undated} articles with no known date", value=True, key="f_keep_undated"
            )
    k = st.sidebar.slider("Passages to read", 1, 30, 10, key="k")

    st.sidebar.subheader("Articles")
    with st.sidebar.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            f"Add articles ({', '.join(ALLOWED_SUFFIXES[:3])})",
            # No type= list: a browser-side refusal of a PNG left "Add and index" silent.
            # Every file reaches qa.ingest.library, which says why it refuses one.
            accept_multiple_files=True,
            max_upload_size=max(1, DEFAULT_MAX_BYTES // 1_000_000),
            key="uploader",
        )
        if st.form_submit_button("Add and index"):
            if not files:
                st.warning(NO_FILES)
            else:
                bar = st.progress(0.0, text="Saving…")
                report = ingest_uploads(((f.name, f.getvalue()) for f in files), corpus, index, progress_bar(bar))
                bar.empty()
                st.session_state.upload_report = report
                st.rerun()  # so the overview and filters above show the new articles
    show_report(st.session_state.pop("upload_report", None))

    if articles:
        remove_controls(corpus, index, by_source)
    if st.sidebar.button("Rebuild the index", help="Re-read and re-embed every article from scratch."):
        bar = st.sidebar.progress(0.0, text="Rebuilding…")
        summary, error = rebuild(corpus, index, progress_bar(bar), force=True)
        bar.empty()
        st.session_state.upload_report = UploadReport(summary=summary, error=error)
        st.rerun()
    if st.sidebar.button("Clear the conversation"):
        st.session_state.turns = []
        st.rerun()
    return k, scoped_filters(lang_sel, source_sel, dates, articles, keep_undated)
