"""Chat with the news corpus: ``streamlit run app.py``.

This file only renders. Retrieval and answering live in ``qa`` (``ask``,
``build_index``), file handling in ``qa.ingest``, so the app, the command
line and the tests share one implementation.

Two rules shape everything below:

* Nothing from an article, a citation or a question reaches the page as
  markup. Text goes through ``md_escape`` (Markdown) or ``html.escape``
  (HTML) first, so an article containing ``<script>`` or ``**bold**`` shows
  exactly those characters.
* Loading the model and the index costs seconds; a rerun must not. The engine
  is created once per process (``st.cache_resource``), answers are kept in
  ``st.session_state``, and the index only changes when the corpus does.
  The models load in a background thread started by the first page view, so
  the page and its chat box appear as soon as the index is read; a question
  asked before the models are ready waits for them.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import streamlit as st

from qa import Answer, BuildSummary, ask, build_index
from qa.answer import ask as warm_ask
from qa.embed import get_embedder
from qa.errors import CorpusError, InvalidQuestionError, QAError, UnsafeFileError
from qa.expand import expansions
from qa.ingest import ALLOWED_SUFFIXES, DEFAULT_MAX_BYTES, add_file, restore_file, trash_file
from qa.langid import detect
from qa.page_text import page_text
from qa.retrieve import get_engine, resolve_paths
from qa.settings import Settings

Progress = Callable[[str, int, int], None]
log = logging.getLogger("qa.app")

LANG_NAMES = {
    "de": "German", "en": "English", "nl": "Dutch", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "hy": "Armenian",
    "az": "Azerbaijani", "ka": "Georgian", "sv": "Swedish", "da": "Danish", "cs": "Czech", "ar": "Arabic",
    "zh": "Chinese", "ja": "Japanese",
}  # fmt: skip
EXAMPLES = ("Why did Aliyev skip the Granada talks?", "Wer hat mit Aliyev telefoniert?")
STAGES = {
    "loading": "Loading the language models…",
    "searching": "Searching the articles…",
    "composing": "Composing the answer…",
}

# Every ASCII punctuation character may be backslash-escaped in CommonMark;
# escaping all of them also disarms Streamlit's extras (:red[...], $math$).
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_MARKER = re.compile(r"\\\[(\d+(?:\\?,\s*\d+)*)\\\]")


# -- pure helpers (tested without a browser) ---------------------------------
def md_escape(text: str) -> str:
    """Text that Markdown renders literally, line breaks kept."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return "  \n".join(escaped.splitlines())


def lang_name(code: str | None) -> str:
    if not code:
        return "an unknown language"
    if code in LANG_NAMES:
        return LANG_NAMES[code]
    try:
        import pycountry

        found = pycountry.languages.get(alpha_2=code)
        return found.name if found else code
    except Exception:  # noqa: BLE001 - a name is a nicety, the code will do
        return code


def answer_markdown(text: str, turn: int, numbers: Iterable[int]) -> str:
    """Escaped answer text whose ``[n]`` markers link to citation card n."""
    known = set(numbers)

    def link(match: re.Match[str]) -> str:
        nums = [int(n) for n in re.findall(r"\d+", match.group(1))]
        if not nums or any(n not in known for n in nums):
            return match.group(0)
        return "".join(f"[\\[{n}\\]](#cite-{turn}-{n})" for n in nums)

    return _MARKER.sub(link, md_escape(text))


def language_note(quote_lang: str | None, question_lang: str | None) -> str | None:
    """Say so when the evidence is in another language than the question."""
    if not quote_lang or not question_lang or quote_lang == question_lang:
        return None
    return f"Quote in {lang_name(quote_lang)}; the question was in {lang_name(question_lang)}."


# No "<" in the script: Streamlit's sanitiser drops scripts whose text looks like markup.
_CENTER_SCRIPT = (
    "<script>(function(){var n=0;function go(){var m=document.getElementById(MARK_ID);"
    "var b=m&&m.closest('.qa-article');if(!b||!b.clientHeight){if(80>n++)setTimeout(go,100);return;}"
    "b.scrollTop=Math.max(0,m.offsetTop-b.clientHeight/3);}go();})();</script>"
)


def bold_span(text: str, offset: int, answer: tuple[int | None, int | None] | None) -> str:
    """``text`` (which starts at file offset ``offset``) escaped, with the reader's answer span in bold."""
    a0, a1 = answer or (None, None)
    if a0 is None or a1 is None or not (0 <= a0 - offset < a1 - offset <= len(text)):
        return html.escape(text)
    i, j = a0 - offset, a1 - offset
    return f'{html.escape(text[:i])}<b class="qa-answer">{html.escape(text[i:j])}</b>{html.escape(text[j:])}'


def article_html(
    text: str, start: int, end: int, mark_id: str, answer: tuple[int | None, int | None] | None = None
) -> str:
    """The whole article, escaped, with the span marked (its answer in bold) and scrolled into view.

    The script only moves the article's own scroll box (never the page), so
    reruns do not make the page jump; Streamlit runs it again only when this
    HTML changes.
    """
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    body = (
        html.escape(text[:start])
        + f'<mark id="{mark_id}" class="qa-mark">{bold_span(text[start:end], start, answer)}</mark>'
        + html.escape(text[end:])
    )
    script = _CENTER_SCRIPT.replace("MARK_ID", json.dumps(mark_id))
    return f'<div class="qa-article" data-testid="qa-article">{body}</div>{script}'


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


def build_filters(langs: list[str], sources: list[str], dates: tuple[date, ...] | None) -> dict[str, Any] | None:
    """The ``filters`` dict ``ask()`` takes, or None when nothing is selected."""
    filters: dict[str, Any] = {}
    if langs:
        filters["lang"] = list(langs)
    if sources:
        filters["source"] = list(sources)
    if dates:
        filters["date_from"] = dates[0].isoformat()
        if len(dates) > 1:
            filters["date_to"] = dates[1].isoformat()
    return filters or None


def date_scope(articles: Iterable[Any], dates: tuple[date, ...], keep_undated: bool) -> list[str] | None:
    """The articles a date range keeps, as a source list; None when it cannot be one.

    ``ask()``'s date filter drops every article without a known date, and
    most articles state none, so a date range would silently hide them. The
    page turns the range into the articles it keeps: those dated inside it
    and, unless the user says otherwise, those whose date is unknown (their
    cards say "date unknown").
    """
    lo = dates[0].isoformat() if dates else None
    hi = dates[-1].isoformat() if len(dates) > 1 else None
    kept = [
        a.source
        for a in articles
        if (a.date and (lo is None or a.date >= lo) and (hi is None or a.date <= hi)) or (not a.date and keep_undated)
    ]
    return sorted(kept) or None


def scoped_filters(
    langs: list[str], sources: list[str], dates: tuple[date, ...] | None, articles: list[Any], keep_undated: bool
) -> dict[str, Any] | None:
    """``build_filters`` with a date range applied as the articles it keeps (undated ones included on request)."""
    if not dates or not keep_undated:
        return build_filters(langs, sources, dates)
    scope = date_scope(articles, dates, keep_undated)
    if scope is None:  # nothing is in range: let ask() say so
        return build_filters(langs, sources, dates)
    chosen = [s for s in scope if not sources or s in sources] or None
    if chosen is None:
        return build_filters(langs, sources, dates)
    return build_filters(langs, chosen, None)


def match_label(score: float, best: float, answered: bool) -> str:
    """A plain-words label for a card's score: the raw number is a sum of z-scores nobody can read.

    Related passages of an abstention are weak by definition (they did not
    answer); a citation is strong when it scores within ``MATCH_MARGIN`` (one
    standard deviation) of the answer's best card.
    """
    return "strong_match" if answered and score >= best - MATCH_MARGIN else "weak_match"


MATCH_MARGIN = 1.0
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def _sentence_keys(item: Any) -> set[str]:
    """The passage's sentences, case and spacing folded, to spot one shown twice."""
    text, start = item.text, item.start
    pieces = [text[max(0, s - start) : max(0, e - start)] for s, e in getattr(item, "sentences", ()) or ()]
    if not any(p.strip() for p in pieces):
        pieces = _SENTENCE_END.split(text)
    return {" ".join(p.casefold().split()) for p in pieces if p.strip()}


def distinct_passages(passages: Iterable[Any], limit: int = 3) -> list[Any]:
    """Up to ``limit`` passages of which none repeats a sentence of an earlier one.

    Retrieval windows overlap (two-sentence windows slide by one) and some
    articles repeat a line (a headline above its own lead), so the top hits
    often show one sentence twice; the next distinct passage is shown instead.
    """
    shown: list[Any] = []
    seen: set[str] = set()
    for p in passages:
        keys = _sentence_keys(p)
        overlaps = any(q.source == p.source and p.start < q.end and q.start < p.end for q in shown)
        if overlaps or not keys or keys & seen:
            continue
        shown.append(p)
        seen |= keys
        if len(shown) >= limit:
            break
    return shown


def article_choice(article: Any, width: int = 60) -> str:
    """How the Remove list names an article: its title (shortened at a word) with outlet and date."""
    title = " ".join((article.title or article.source).split())
    if len(title) > width:
        title = title[: width - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-") + "…"
    details = [x for x in (article.outlet, article.date or "date unknown") if x]
    return f"{title} ({' · '.join(details)})"


def corpus_paths() -> tuple[Path, Path | str]:
    """Corpus and index from ``QA_CORPUS`` / ``QA_INDEX`` (tests point these at temp folders); a database URL as is."""
    corpus, index = resolve_paths(None, None)
    return corpus.resolve(), index if isinstance(index, str) else index.resolve()


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
    """Store each upload through ``qa.ingest`` and update the index once.

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


# -- cached resources ----------------------------------------------------------
class Warmup:
    """Opens the index and loads the models in background threads.

    The index opens first (under a second when it is built), so the page and
    its chat box appear at once; then the models, the language detector and
    the place tables load, each in its own thread so their waits overlap on
    two cores. ``index_ready`` is set once the engine exists, ``models_ready``
    once a throw-away question has gone through every step of ``ask``.
    """

    def __init__(self, corpus: str, index: str):
        self.corpus, self.index = corpus, index
        self.engine: Any = None
        self.error: str | None = None
        self.index_ready = threading.Event()
        self.models_ready = threading.Event()
        threading.Thread(target=self._run, name="qa-warm-up", daemon=True).start()

    def _run(self) -> None:
        models = Settings.from_env(corpus=self.corpus, index=self.index).models
        loaders = [threading.Thread(target=_quietly, args=(_load_model, m), daemon=True) for m in models]
        loaders.append(threading.Thread(target=_quietly, args=(detect, EXAMPLES[0]), daemon=True))
        # The place tables behind cross-language name bridges: seconds of parsing on first use.
        loaders.append(threading.Thread(target=_quietly, args=(expansions, ["Granada"], {"en"}), daemon=True))
        try:
            self.engine = get_engine(self.corpus, self.index)
        except QAError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the page instead of a dead thread
            log.exception("loading the index failed")
            self.error = f"Could not load the index: {exc}"
        self.index_ready.set()
        for loader in loaders:
            loader.start()
        for loader in loaders:
            loader.join()
        if self.engine is not None:
            try:
                warm_ask(EXAMPLES[0], k=1, corpus=self.corpus, index=self.index)
            except Exception:  # noqa: BLE001 - the first real question will report it
                log.exception("warming the models failed")
        self.models_ready.set()


def _load_model(name: str) -> None:
    get_embedder(name).query("warm-up")  # the first query builds lazy state too


def _quietly(work: Callable[..., Any], *args: Any) -> None:
    try:
        work(*args)
    except Exception:  # noqa: BLE001 - warming is best effort; a question reports real errors
        log.exception("warming up %s failed", getattr(work, "__name__", work))


@st.cache_resource(show_spinner=False)
def start_warmup(corpus: str, index: str) -> Warmup:
    """One warm-up per process and corpus; the first page view starts it."""
    return Warmup(corpus, index)


def load_engine(corpus: str, index: str) -> Any:
    """The engine once its index is open (models may still be loading); raises QAError."""
    warm = start_warmup(corpus, index)
    if not warm.index_ready.is_set():
        with st.spinner("Opening the index (the first run builds it)…"):
            warm.index_ready.wait()
    if warm.engine is None:
        start_warmup.clear()  # try again on the next rerun, e.g. after an upload
        raise QAError(warm.error or "The index could not be loaded.")
    return warm.engine


def wait_for_models(corpus: Path, index: Path, on_stage: Callable[[str], None]) -> None:
    warm = start_warmup(str(corpus), str(index))
    if not warm.models_ready.is_set():
        on_stage("loading")
        warm.models_ready.wait()


# -- rendering -----------------------------------------------------------------
CSS = """<style>
.qa-card-head{font-size:0.95rem;line-height:1.4;scroll-margin-top:4rem}
.qa-card-head:target{outline:2px solid #f2c94c;border-radius:4px}
.qa-num{font-weight:700;margin-right:0.35rem}
.qa-tag{display:inline-block;font-size:0.75rem;padding:0 0.35rem;border-radius:4px;background:rgba(128,128,128,0.18);margin-left:0.3rem}
.qa-quote{border-left:3px solid #f2c94c;padding:0.1rem 0.6rem;margin:0.35rem 0;white-space:pre-wrap}
.qa-article{position:relative;max-height:20rem;overflow-y:auto;white-space:pre-wrap;line-height:1.55;
 padding:0.6rem 0.8rem;border:1px solid rgba(128,128,128,0.35);border-radius:6px;font-size:0.92rem}
.qa-mark{background:#ffe066;color:#000;padding:0 1px;border-radius:2px}
</style>"""


def card_head(anchor: str, label: str, item: Any, lang: str = "en", match: str = "weak_match") -> str:
    """Outlet, title and date (or "date unknown"), the language and a plain match label.

    What a reader needs to judge a source; the file name (a hash for most
    articles) shows only in the article view, the raw score only in the
    label's tooltip.
    """
    parts = [f'<span class="qa-num">{html.escape(label)}</span>']
    if item.outlet:
        parts.append(f"<b>{html.escape(item.outlet)}</b> · ")
    parts.append(html.escape(item.title or item.source))
    when = item.date or page_text(lang, "date_unknown")
    parts.append(f' · <span class="qa-date">{html.escape(when)}</span>')
    parts.append(f'<span class="qa-tag">{html.escape((item.lang or "?").upper())}</span>')
    tip = html.escape(f"{page_text(lang, match)} (score {item.score:.2f})", quote=True)
    parts.append(f'<span class="qa-tag qa-match" title="{tip}">{html.escape(page_text(lang, match))}</span>')
    return f'<div class="qa-card-head" id="{anchor}">{"".join(parts)}</div>'


def render_card(
    corpus: Path, turn: int, key: str, label: str, item: Any, quote: str, question_lang: str, match: str
) -> None:
    """A citation (or related passage) card; opening it shows the full article."""
    anchor = f"cite-{turn}-{key}"
    with st.container(border=True):
        st.html(card_head(anchor, label, item, question_lang, match))
        answer = (getattr(item, "answer_start", None), getattr(item, "answer_end", None))
        st.html(f'<div class="qa-quote">{bold_span(quote, item.start, answer)}</div>')
        translation = getattr(item, "translation", None)
        if translation:  # from the configured LLM; the quote above stays the evidence
            st.caption(f"Translation (machine, {md_escape(question_lang)}): {md_escape(translation)}")
        note = language_note(item.lang, question_lang)
        if note:
            st.caption(note)
        box = st.expander(page_text(question_lang, "open_article"), key=f"open-{turn}-{key}", on_change="rerun")
        if box.open:
            with box:
                render_article(corpus, item, quote, f"{anchor}-mark")


def render_article(corpus: Path, item: Any, quote: str, mark_id: str) -> None:
    try:
        text = (corpus / item.source).read_text(encoding="utf-8")
    except OSError:
        st.warning(f"The article {md_escape(item.source)} is no longer in the corpus.")
        return
    start, end = item.start, item.end
    answer = (getattr(item, "answer_start", None), getattr(item, "answer_end", None))
    if text[start:end] != quote:  # the file changed since the answer: find the quote again
        found = text.find(quote)
        if found < 0:
            st.warning("The article changed since this answer; the quote is no longer in it.")
            start = end = 0
        else:
            shift = found - start
            start, end = found, found + len(quote)
            answer = tuple(a + shift if a is not None else None for a in answer)  # type: ignore[assignment]
    st.html(article_html(text, start, end, mark_id, answer), unsafe_allow_javascript=True)
    st.caption(f"Characters {start}–{end} of {len(text)} in {md_escape(item.source)}")


def render_turn(corpus: Path, turn: dict[str, Any]) -> None:
    tid = turn["id"]
    with st.chat_message("user"):
        st.markdown(md_escape(turn["question"]))
    with st.chat_message("assistant"):
        if turn.get("error"):
            st.error(md_escape(turn["error"]))
            return
        ans: Answer = turn["answer"]
        st.status(md_escape(turn["status"]), state="complete", expanded=False)
        lang = ans.language
        if ans.abstained:
            st.markdown(f"#### {md_escape(page_text(lang, 'not_in_articles'))}")
            if ans.text:
                st.markdown(md_escape(ans.text))
            related = distinct_passages(ans.passages)
            if related:
                st.caption(md_escape(page_text(lang, "related_caption")))
            for i, p in enumerate(related, 1):
                render_card(corpus, tid, f"r{i}", page_text(lang, "related", n=i), p, p.text, lang, "weak_match")
            return
        text = ans.text
        if ans.short_answer and text.startswith("**"):
            # The reader's answer span first, in bold, as the article writes it.
            head, _, text = text.partition("\n\n")
            st.markdown(f"**{md_escape(' '.join(ans.short_answer.split()))}**")
        st.markdown(answer_markdown(text, tid, [c.n for c in ans.citations]))
        best = max((c.score for c in ans.citations), default=0.0)
        for c in ans.citations:
            render_card(corpus, tid, str(c.n), f"[{c.n}]", c, c.quote, lang, match_label(c.score, best, True))


def history_for_ask(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = []
    for t in turns:
        if t.get("answer") is not None:
            # "language" lets ask() keep the conversation's language for short follow-ups.
            history.append({"role": "user", "content": t["question"], "language": t["answer"].language})
            cited = [{"source": c.source, "start": c.start, "end": c.end} for c in t["answer"].citations]
            history.append({"role": "assistant", "content": t["answer"].text, "citations": cited})
    return history


def answer_question(question: str, corpus: Path, index: Path, k: int, filters: dict[str, Any] | None) -> None:
    turns = st.session_state.turns
    turn: dict[str, Any] = {"id": st.session_state.next_turn, "question": question, "filters": filters}
    st.session_state.next_turn += 1
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"), st.status(STAGES["searching"], expanded=False) as status:

        def on_stage(stage: str) -> None:
            status.update(label=STAGES.get(stage, stage))

        started = time.perf_counter()
        try:
            wait_for_models(corpus, index, on_stage)
            ans = ask(
                question,
                history_for_ask(turns),
                k=k,
                filters=filters,
                corpus=str(corpus),
                index=str(index),
                progress=on_stage,
            )
        except InvalidQuestionError as exc:
            turn["error"] = f"Please rephrase: {exc}"
        except QAError as exc:
            turn["error"] = str(exc)
        else:
            took = time.perf_counter() - started
            turn["answer"] = ans
            sources = len({p.source for p in ans.passages})
            scope = f" · filters: {_describe(filters)}" if filters else ""
            if ans.focus:  # inferred from the question, applied as a preference
                scope += f" · favouring {', '.join(ans.focus)}"
            written = " · written by the language model" if ans.composer == "generative" else ""
            turn["status"] = f"Read {len(ans.passages)} passages from {sources} articles{written} · {took:.1f} s{scope}"
        status.update(label="Done", state="error" if "error" in turn else "complete")
    turns.append(turn)
    st.rerun()


def _describe(filters: dict[str, Any]) -> str:
    """The filters in a status line; a long article list (a date range's scope) is counted, not listed."""

    def value(v: Any) -> str:
        if isinstance(v, list):
            return ", ".join(v) if len(v) <= 3 else f"{len(v)} articles"
        return str(v)

    return "; ".join(f"{k}={value(v)}" for k, v in filters.items())


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
            # Every file reaches qa.ingest, which says why it refuses one.
            accept_multiple_files=True,
            max_upload_size=max(1, DEFAULT_MAX_BYTES // 1_000_000),
            key="uploader",
        )
        if st.form_submit_button("Add and index"):
            if not files:
                st.warning(NO_FILES)
            else:
                bar = st.progress(0.0, text="Saving…")
                report = ingest_uploads(((f.name, f.getvalue()) for f in files), corpus, index, _progress(bar))
                bar.empty()
                st.session_state.upload_report = report
                st.rerun()  # so the overview and filters above show the new articles
    show_report(st.session_state.pop("upload_report", None))

    if articles:
        remove_controls(corpus, index, by_source)
    if st.sidebar.button("Rebuild the index", help="Re-read and re-embed every article from scratch."):
        bar = st.sidebar.progress(0.0, text="Rebuilding…")
        summary, error = rebuild(corpus, index, _progress(bar), force=True)
        bar.empty()
        st.session_state.upload_report = UploadReport(summary=summary, error=error)
        st.rerun()
    if st.sidebar.button("Clear the conversation"):
        st.session_state.turns = []
        st.rerun()
    return k, scoped_filters(lang_sel, source_sel, dates, articles, keep_undated)


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


def _progress(bar: Any) -> Progress:
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


def main() -> None:
    st.set_page_config(page_title="News Q&A", page_icon="📰", layout="wide")
    st.html(CSS)
    st.session_state.setdefault("turns", [])
    st.session_state.setdefault("next_turn", 0)
    corpus, index = corpus_paths()
    engine, load_error = None, None
    try:
        engine = load_engine(str(corpus), str(index))
        engine.refresh()
    except QAError as exc:
        load_error = str(exc)
    k, filters = sidebar(corpus, index, engine)

    st.title("Ask the news articles")
    if load_error:
        st.error(f"{md_escape(load_error)}  \nAdd articles in the sidebar to start.")
    if not st.session_state.turns:
        st.caption(
            "Answers quote the articles, whatever their language, and say when the articles do not answer. "
            "Try: " + " · ".join(f"*{md_escape(q)}*" for q in EXAMPLES)
        )
    for turn in st.session_state.turns:
        render_turn(corpus, turn)
    question = st.chat_input("Ask a question about the articles…", disabled=engine is None)
    if question and question.strip():
        answer_question(question, corpus, index, k, filters)


if __name__ == "__main__":
    main()
