"""Citation cards: outlet, title, date, language and a plain match label over the quote."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import streamlit as st

from qa.page.article import bold_span, render_article
from qa.page.markup import language_note, md_escape
from qa.page.words import page_text

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


MATCH_MARGIN = 1.0


def match_label(score: float, best: float, answered: bool) -> str:
    """A plain-words label for a card's score: the raw number is a sum of z-scores nobody can read.

    Related passages of an abstention are weak by definition (they did not
    answer); a citation is strong when it scores within ``MATCH_MARGIN`` (one
    standard deviation) of the answer's best card.
    """
    return "strong_match" if answered and score >= best - MATCH_MARGIN else "weak_match"


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
