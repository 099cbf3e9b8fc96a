"""The article view: the whole article, the cited span highlighted and scrolled into view."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import streamlit as st

from qa.page.markup import md_escape

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
