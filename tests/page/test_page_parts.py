"""The page's parts on their own, without Streamlit running: escaping, the article view, filters, progress."""

from __future__ import annotations

import pytest

from qa.page import article, corpus, markup, scope, sidebar


def test_md_escape_and_links() -> None:
    esc = markup.md_escape
    assert esc("**a** _b_ <i>") == "\\*\\*a\\*\\* \\_b\\_ \\<i\\>"
    assert esc("line1\nline2") == "line1  \nline2"
    md = markup.answer_markdown("A [1], B [2] and [9].", 3, [1, 2])
    assert "[\\[1\\]](#cite-3-1)" in md and "[\\[2\\]](#cite-3-2)" in md
    assert "\\[9\\]" in md and "#cite-3-9" not in md  # unknown numbers stay text
    assert markup.language_note("de", "en") == "Quote in German; the question was in English."
    assert markup.language_note("en", "en") is None
    page = article.article_html("a <b> c", 2, 5, "cite-1-1-mark")
    assert '<mark id="cite-1-1-mark" class="qa-mark">&lt;b&gt;</mark>' in page
    script = page[page.index("<script>") + len("<script>") : page.index("</script>")]
    assert "<" not in script  # Streamlit's sanitiser drops scripts whose text looks like markup


def test_date_scope_helper() -> None:
    from datetime import date
    from types import SimpleNamespace as A

    arts = [A(source="a", date="2024-01-05"), A(source="b", date="2024-03-01"), A(source="c", date=None)]
    span = (date(2024, 1, 1), date(2024, 1, 31))
    assert scope.date_scope(arts, span, keep_undated=True) == ["a", "c"]
    assert scope.date_scope(arts, span, keep_undated=False) == ["a"]
    assert scope.scoped_filters(["en"], [], span, arts, True) == {"lang": ["en"], "source": ["a", "c"]}
    assert scope.scoped_filters([], ["b", "c"], span, arts, True) == {"source": ["c"]}
    assert scope.scoped_filters([], [], span, arts, False) == {"date_from": "2024-01-01", "date_to": "2024-01-31"}


def test_filters_and_overview_helpers() -> None:
    from datetime import UTC, date, datetime

    assert scope.build_filters([], [], None) is None
    assert scope.build_filters(
        ["de", "en"], ["000_a188032d522a8897.txt"], (date(2024, 1, 1), date(2024, 12, 31))
    ) == {
        "lang": ["de", "en"],
        "source": ["000_a188032d522a8897.txt"],
        "date_from": "2024-01-01",
        "date_to": "2024-12-31",
    }
    assert scope.build_filters([], [], (date(2024, 3, 1),)) == {"date_from": "2024-03-01"}
    now = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
    assert sidebar.index_age("2024-05-02T11:00:00+0000", now) == "1 h ago"
    assert sidebar.index_age(None) == "unknown"
    assert sidebar.model_name({"models": ["a", "b"]}) == "a + b"
    assert sidebar.model_name({"model": "e5"}) == "e5"


def test_the_answer_span_is_bold_inside_the_quote_and_the_article() -> None:
    """The reader's short answer is bolded where it stands; markup in the text stays text."""
    bold = article.bold_span
    assert bold("Macron und <Scholz>", 100, (100, 106)) == '<b class="qa-answer">Macron</b> und &lt;Scholz&gt;'
    assert bold("Macron und <Scholz>", 100, (111, 119)) == 'Macron und <b class="qa-answer">&lt;Scholz&gt;</b>'
    assert bold("a <b>", 0, None) == bold("a <b>", 0, (None, None)) == "a &lt;b&gt;"
    assert bold("abc", 10, (5, 12)) == "abc"  # a span outside the quote is ignored, never misplaced
    page = article.article_html("Intro. Macron und Scholz. Outro.", 7, 25, "m", (7, 13))
    assert '<mark id="m" class="qa-mark"><b class="qa-answer">Macron</b> und Scholz.</mark>' in page


def test_build_progress_shows_chunks_per_second_and_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    texts: list[str] = []

    class Bar:  # the two calls the page makes on st.progress's element
        def progress(self, value: float, text: str) -> None:
            texts.append(text)

    clock = iter([100.0, 101.0, 110.0])
    monkeypatch.setattr(corpus.time, "perf_counter", lambda: next(clock))
    update = corpus.progress_bar(Bar())
    update("embedding", 0, 1000)
    update("embedding", 50, 1000)  # one second in: too early for a rate
    update("embedding", 200, 1000)
    assert texts == ["Embedding 0/1000", "Embedding 50/1000", "Embedding 200/1000 chunks · 20/s · about 40 s left"]
