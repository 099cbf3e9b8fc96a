"""The Streamlit app, driven headlessly with ``streamlit.testing.v1.AppTest``.

Every test runs the real ``app.py`` against a temporary copy of the seeds
(plus a hostile article) through ``QA_CORPUS`` / ``QA_INDEX``. The index is
built once per session; tests that change the corpus work on their own copy
of corpus *and* index (copied with mtimes, so nothing is re-embedded but the
new article).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from qa.page import cards, chat
from qa.page import corpus as page_corpus

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
TIMEOUT = 120

ANSWERABLE = "Why did Aliyev skip the Granada talks?"
UNANSWERABLE = "Who won Eurovision 2024?"
HOSTILE_NAME = "zz_hostile.txt"
HOSTILE = (
    "<script>alert('xss')</script> Lisbon harbour **reopened** after the storm\n\n"
    "The harbour of Lisbon reopened on Monday after a storm had closed it for three days, "
    "the port authority said. <img src=x onerror=alert(1)> [click](javascript:alert(1)) :red[alarm] $x^2$\n"
    "Ferries to Barreiro resumed their normal timetable on Tuesday morning.\n"
)
UPLOAD = (
    b"date 2024-05-02\nTallinn opens a new tram line to the airport\n\n"
    b"The city of Tallinn opened a new tram line to the airport on Thursday, the mayor said.\n"
    b"The new line cost 60 million euros and its trams run every ten minutes.\n"
)


def _copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, copy_function=shutil.copy2)  # keep mtimes: the index stays valid
    return dst


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Seeds + a hostile article, indexed once for the whole session."""
    from qa import build_index

    base = tmp_path_factory.mktemp("app")
    corpus = _copy_tree(ROOT / "seeds", base / "corpus")
    (corpus / HOSTILE_NAME).write_text(HOSTILE, encoding="utf-8")
    index = base / "index"
    summary = build_index(corpus=corpus, index=index)
    assert summary.articles == len(list((ROOT / "seeds").glob("*.txt"))) + 1
    return corpus, index


@pytest.fixture
def workspace(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    corpus, index = built
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_INDEX", str(index))
    for name in ("QA_LLM_URL", "QA_LLM_MODEL", "QA_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return corpus, index


@pytest.fixture
def private_workspace(built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A corpus of this test's own, for tests that add or remove articles."""
    corpus = _copy_tree(built[0], tmp_path / "corpus")
    index = _copy_tree(built[1], tmp_path / "index")
    (index / ".lock").unlink(missing_ok=True)
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_INDEX", str(index))
    return corpus, index


def start() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def last_answer(at: AppTest) -> Any:
    turn = at.session_state["turns"][-1]
    assert "error" not in turn, turn.get("error")
    return turn["answer"]


def htmls(at: AppTest) -> list[str]:
    return [h.value for h in at.html]


def markdowns(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def plain(markdown: str) -> str:
    """What escaped Markdown displays: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def open_card(at: AppTest, key: str) -> AppTest:
    at.session_state[f"open-{key}"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# -- chat ------------------------------------------------------------------------
def test_answer_shows_citation_cards(workspace: tuple[Path, Path]) -> None:
    corpus, _ = workspace
    at = ask(start(), ANSWERABLE)
    ans = last_answer(at)
    assert not ans.abstained and ans.citations
    # The question and the answer are in the chat; [n] markers link to the cards.
    assert any("Granada talks" in m for m in markdowns(at))
    answer_md = next(m for m in markdowns(at) if "(#cite-0-1)" in m)
    assert "[\\[1\\]](#cite-0-1)" in answer_md
    heads = [h for h in htmls(at) if 'class="qa-card-head"' in h]
    assert len(heads) == len(ans.citations)
    for c, head in zip(ans.citations, heads):
        assert f'id="cite-0-{c.n}"' in head
        assert html.escape(c.lang.upper()) in head
        assert html.escape(c.title) in head
        assert (corpus / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
    assert [s.state for s in at.status] == ["complete"]
    assert [e.label for e in at.expander] == ["Show in the full article"] * len(ans.citations)
    # A quote in another language than the question says so.
    foreign = [c for c in ans.citations if c.lang != ans.language]
    notes = [c.value for c in at.caption if c.value.startswith("Quote in")]
    assert len(notes) == len(foreign)


def test_opening_a_card_shows_the_full_article_with_the_quote_marked(workspace: tuple[Path, Path]) -> None:
    corpus, _ = workspace
    at = ask(start(), ANSWERABLE)
    c = last_answer(at).citations[0]
    assert not [h for h in htmls(at) if "qa-article" in h and "<mark" in h]  # closed: nothing rendered
    open_card(at, f"0-{c.n}")
    views = [h for h in htmls(at) if 'data-testid="qa-article"' in h]
    assert len(views) == 1
    text = (corpus / c.source).read_text(encoding="utf-8")
    mark = re.search(r'<mark id="cite-0-1-mark" class="qa-mark">(.*?)</mark>', views[0], re.S)
    assert mark and html.unescape(mark.group(1)) == c.quote
    # The full article is there, escaped, around the mark.
    body = re.sub(r"<script>.*?</script>", "", views[0], flags=re.S)
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == text
    assert "scrollTop" in views[0]


def visible(markup: str) -> str:
    """The text an HTML snippet shows (tags and their attributes, such as tooltips, removed)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_cards_show_outlet_title_and_date_not_jargon(workspace: tuple[Path, Path]) -> None:
    """A card names the outlet, title and date ("date unknown" when none); the score is a plain label with a tooltip.

    Hash file names, raw scores and the composer's name mean nothing to a
    reader; the file name shows once the article is opened.
    """
    at = ask(start(), ANSWERABLE)
    ans = last_answer(at)
    heads = [h for h in htmls(at) if 'class="qa-card-head"' in h]
    assert heads and len(heads) == len(ans.citations)
    assert any(c.date is None for c in ans.citations), "the seeds' undated articles are cited"
    for c, head in zip(ans.citations, heads):
        shown = visible(head)
        assert c.title in shown and (c.date or "date unknown") in shown
        assert not c.outlet or c.outlet in shown
        assert c.source not in head and "score" not in shown
        label = re.search(r'<span class="qa-tag qa-match" title="([^"]*)">([^<]*)</span>', head)
        assert label and label.group(2) in ("strong match", "weak match")
        assert f"{c.score:.2f}" in html.unescape(label.group(1))  # the number, for who wants it, in the tooltip
    assert "strong match" in visible(heads[0])  # the best card of an answer
    assert not [s for s in at.status if re.search(r"\b(reader|rules|extractive)\b", s.label)]
    c = ans.citations[0]
    open_card(at, f"0-{c.n}")
    assert any(c.source in plain(cap.value) for cap in at.caption)


def test_follow_up_passes_history(workspace: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:

    calls: list[dict[str, Any]] = []
    real = chat.ask

    def spy(question: str, history: list[dict] | None = None, **kw: Any) -> Any:
        calls.append({"question": question, "history": list(history or []), **kw})
        return real(question, history, **kw)

    monkeypatch.setattr(chat, "ask", spy)
    at = ask(ask(start(), ANSWERABLE), "Who was supposed to mediate?")
    assert [c["question"] for c in calls] == [ANSWERABLE, "Who was supposed to mediate?"]
    assert calls[0]["history"] == []
    history = calls[1]["history"]
    assert [(h["role"], h["content"]) for h in history] == [
        ("user", ANSWERABLE),
        ("assistant", at.session_state["turns"][0]["answer"].text),
    ]
    assert len(at.chat_message) == 4


def test_progress_stages_reach_the_status(workspace: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """ask() reports its stages; the page passes a hook that relabels the status box."""
    from qa import ask as qa_ask

    corpus, index = workspace
    stages: list[str] = []
    qa_ask(ANSWERABLE, corpus=str(corpus), index=str(index), progress=stages.append)
    assert stages == ["searching", "composing"]

    labels: list[str] = []
    real = chat.ask

    def spy(question: str, history: list[dict] | None = None, **kw: Any) -> Any:
        hook = kw["progress"]

        def record(stage: str) -> None:
            hook(stage)
            labels.append(stage)

        return real(question, history, **{**kw, "progress": record})

    monkeypatch.setattr(chat, "ask", spy)
    at = ask(start(), ANSWERABLE)
    assert labels == ["searching", "composing"]
    assert [s.state for s in at.status] == ["complete"] and "passages" in at.status[0].label


def test_abstention_shows_not_in_articles_and_related(workspace: tuple[Path, Path]) -> None:
    at = ask(start(), UNANSWERABLE)
    ans = last_answer(at)
    assert ans.abstained
    assert any("Not in these articles" in m for m in markdowns(at))
    related = [h for h in htmls(at) if 'class="qa-card-head"' in h]
    assert 1 <= len(related) <= 3
    assert 'id="cite-0-r1"' in related[0]
    assert all("(#cite-" not in m for m in markdowns(at))


def test_an_abstention_speaks_the_questions_language(workspace: tuple[Path, Path]) -> None:
    """A Spanish question that the articles do not answer gets a Spanish heading, caption and card labels."""
    at = ask(start(), "¿Quién ganó el festival de Eurovisión en 2024?")
    ans = last_answer(at)
    assert ans.abstained and ans.language == "es"
    shown = "\n".join(plain(m) for m in markdowns(at))
    assert "No está en estos artículos" in shown and "Not in these articles" not in shown
    captions = [plain(c.value) for c in at.caption]
    assert any(c.startswith("Pasajes más cercanos") for c in captions)
    assert not any("Closest related passages" in c for c in captions)
    heads = [visible(h) for h in htmls(at) if 'class="qa-card-head"' in h]
    assert heads and all(h.startswith(f"Relacionado {i}") for i, h in enumerate(heads, 1))
    assert all("coincidencia débil" in h and "weak match" not in h for h in heads)
    assert {e.label for e in at.expander} == {"Ver en el artículo completo"}


def test_page_phrases_cover_the_languages_and_fall_back_to_english() -> None:
    from qa.page.words import PHRASES, page_text

    for lang in ("en", "de", "nl", "fr", "es", "it", "pl", "pt", "ru"):
        assert set(PHRASES[lang]) == set(PHRASES["en"]), lang
        assert "{n}" in PHRASES[lang]["related"], lang
    assert len({PHRASES[x]["not_in_articles"] for x in PHRASES}) == len(PHRASES)  # none left in English
    assert page_text("nl", "not_in_articles") == "Niet in deze artikelen"
    assert page_text("xx", "related", n=2) == "Related 2" and page_text(None, "date_unknown") == "date unknown"


def test_related_cards_never_repeat_a_sentence(workspace: tuple[Path, Path]) -> None:
    """Overlapping windows and repeated lines are shown once; the next distinct passage takes their place."""
    from qa.types import Passage

    text = "Headline here.\nHeadline here.\nFirst sentence is long. Second sentence follows. Third one ends."

    def span(sentence: str, after: int = 0) -> tuple[int, int]:
        start = text.index(sentence, after)
        return start, start + len(sentence)

    s1, s2, s3 = span("First sentence is long."), span("Second sentence follows."), span("Third one ends.")
    t1, t2 = span("Headline here."), span("Headline here.", 1)

    def passage(*spans: tuple[int, int], score: float) -> Passage:
        start, end = spans[0][0], spans[-1][1]
        return Passage("a.txt", "t", "en", start, end, text[start:end], score, sentences=spans)

    a, b = passage(s1, s2, score=3.0), passage(s2, s3, score=2.0)  # sliding windows: b repeats s2
    h1, h2 = passage(t1, score=1.5), passage(t2, score=1.4)  # the same line written twice
    c = Passage("b.txt", "u", "en", 0, 20, "Another article says", 1.0, sentences=((0, 20),))
    assert cards.distinct_passages([a, b, h1, h2, c]) == [a, h1, c]
    assert cards.distinct_passages([a, b], limit=3) == [a]

    at = ask(start(), UNANSWERABLE)
    shown = [visible(h) for h in htmls(at) if 'class="qa-quote"' in h]
    assert len(shown) >= 2
    sentences = [" ".join(x.split()).casefold() for q in shown for x in re.split(r"(?<=[.!?])\s+|\n+", q) if x.strip()]
    assert len(sentences) == len(set(sentences)), sentences


def test_language_filter_changes_the_result(workspace: tuple[Path, Path]) -> None:
    at = ask(start(), ANSWERABLE)
    unfiltered = last_answer(at)
    assert {p.lang for p in unfiltered.passages} - {"en"}, "the seeds hold non-English passages for this question"
    at.multiselect(key="f_lang").set_value(["en"]).run()
    ask(at, ANSWERABLE)
    filtered = last_answer(at)
    assert at.session_state["turns"][-1]["filters"] == {"lang": ["en"]}
    assert filtered.passages and {p.lang for p in filtered.passages} == {"en"}
    assert all(c.lang == "en" for c in filtered.citations)
    assert [p.source for p in filtered.passages] != [p.source for p in unfiltered.passages]
    assert any("filters: lang=en" in plain(s.label) for s in at.status)


def test_an_outlet_named_in_the_question_shows_in_the_status(workspace: tuple[Path, Path]) -> None:
    at = ask(start(), "What did Reuters report about Blinken?")
    assert last_answer(at).focus == ["Reuters"]
    assert any("favouring Reuters" in plain(s.label) for s in at.status)


def test_rerun_does_not_reembed_or_reload(workspace: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.embed.encoders
    import qa.store.build

    at = ask(start(), ANSWERABLE)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a rerun must not embed passages or rebuild the index")

    monkeypatch.setattr(qa.embed.encoders.Embedder, "passages", forbidden)
    monkeypatch.setattr(qa.store.build, "_assemble", forbidden)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    fresh = AppTest.from_file(str(APP), default_timeout=10).run()  # cached engine: a new session is quick
    assert not fresh.exception, [e.value for e in fresh.exception]


# -- safety ----------------------------------------------------------------------
def test_hostile_article_renders_as_text(workspace: tuple[Path, Path]) -> None:
    at = ask(start(), "When did the harbour of Lisbon reopen?")
    ans = last_answer(at)
    items = ans.passages[:3] if ans.abstained else ans.citations
    keys = [f"r{i}" for i in range(1, len(items) + 1)] if ans.abstained else [str(c.n) for c in items]
    hit = next(k for k, item in zip(keys, items) if item.source == HOSTILE_NAME)
    open_card(at, f"0-{hit}")
    everything = "\n".join(htmls(at) + markdowns(at) + [e.label for e in at.expander] + [c.value for c in at.caption])
    # Our own centring script is the only script; the article's tags arrive as text.
    assert everything.count("<script>") == everything.count("scrollTop")
    assert "alert('xss')" not in everything.replace("&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;", "")
    assert "<img" not in everything and "onerror=alert" not in everything.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in everything
    assert "**reopened**" not in "\n".join(markdowns(at))  # markdown tricks are escaped where markdown renders
    assert "<b>reopened</b>" not in everything and "<strong>" not in everything


def test_hostile_question_renders_as_text(workspace: tuple[Path, Path]) -> None:
    question = "<script>alert(1)</script> **bold** [x](javascript:alert(1)) :red[hi]?"
    at = ask(start(), question)
    user = at.chat_message[0].markdown[0].value
    assert "\\*\\*bold\\*\\*" in user and "\\<script\\>" in user
    for m in markdowns(at):  # the question, and any answer quoting an article
        assert "<script>" not in m.replace("\\<script\\>", "")
        assert "**bold**" not in m and "**reopened**" not in m
        assert "](javascript" not in m


def test_unreadable_question_shows_an_error(workspace: tuple[Path, Path]) -> None:
    at = ask(start(), "\x00\x07\x1b")
    turn = at.session_state["turns"][-1]
    assert "error" in turn and "answer" not in turn
    assert [e.value for e in at.error] and not at.exception


# -- corpus management -------------------------------------------------------------
def test_upload_through_the_sidebar_is_cited_next(private_workspace: tuple[Path, Path]) -> None:
    corpus, _ = private_workspace
    at = start()
    before = len(at.session_state["turns"])
    from qa.ingest.library import DEFAULT_MAX_BYTES

    huge = b"Lisbon harbour news. " * (DEFAULT_MAX_BYTES // 21 + 1)
    at.file_uploader(key="uploader").set_value(
        [
            ("Tallinn tram.txt", UPLOAD, "text/plain"),
            ("photo.txt", b"\x89PNG\x00\x00binary", "text/plain"),
            ("huge.txt", huge, "text/plain"),
        ]
    )
    at.button(key="FormSubmitter:upload-Add and index").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (corpus / "Tallinn_tram.txt").read_bytes() == UPLOAD
    assert not (corpus / "photo.txt").exists()
    assert any("Tallinn_tram.txt" in plain(s.value) for s in at.sidebar.success)
    assert any("photo.txt" in plain(e.value) and "binary" in e.value for e in at.sidebar.error)
    assert any("huge.txt" in plain(e.value) and "too large" in e.value for e in at.sidebar.error)
    assert not (corpus / "huge.txt").exists()
    assert len(at.session_state["turns"]) == before
    ask(at, "How much did the new tram line in Tallinn cost?")
    ans = last_answer(at)
    assert not ans.abstained
    assert ans.citations[0].source == "Tallinn_tram.txt"


def test_add_and_index_explains_unsupported_or_missing_files(private_workspace: tuple[Path, Path]) -> None:
    """A PNG reaches the upload handler and is refused with its reason; pressing the button with nothing says so."""
    corpus, _ = private_workspace
    at = start()
    at.button(key="FormSubmitter:upload-Add and index").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No file to add" in plain(w.value) for w in at.sidebar.warning)
    at.file_uploader(key="uploader").set_value([("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")])
    at.button(key="FormSubmitter:upload-Add and index").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [plain(e.value) for e in at.sidebar.error]
    assert any("photo.png" in e and "unsupported file type '.png'" in e for e in errors), errors
    assert not (corpus / "photo.png").exists()


def test_upload_handler_html_and_refusals(private_workspace: tuple[Path, Path]) -> None:
    corpus, index = private_workspace
    stages: list[str] = []
    page = (
        b"<html><head><title>Porto metro strike</title></head><body><nav>Home | News</nav><article>"
        b"<h1>Porto metro strike</h1><p>Metro workers in Porto went on strike on Friday over pay, "
        b"the union said, and only one train in four was running.</p>"
        b"<p>The strike is set to last until Sunday evening, the company announced.</p></article></body></html>"
    )
    report = page_corpus.ingest_uploads(
        [("porto.html", page), ("../escape.txt", UPLOAD), ("empty.md", b"  \n"), ("x.pdf", b"%PDF")],
        corpus,
        index,
        lambda stage, done, total: stages.append(stage),
    )
    assert report.saved == ["porto.txt"]
    assert [name for name, _ in report.refused] == ["../escape.txt", "empty.md", "x.pdf"]
    assert not (corpus.parent / "escape.txt").exists()
    assert report.summary is not None and report.summary.added == ["porto.txt"] and report.error is None
    assert "embedding" in stages
    from qa import ask as qa_ask

    ans = qa_ask("Why did metro workers in Porto strike?", corpus=str(corpus), index=str(index))
    assert any(p.source == "porto.txt" for p in ans.passages)


def test_remove_asks_for_confirmation_and_can_be_undone(private_workspace: tuple[Path, Path]) -> None:
    """The Remove list names articles by title, removing asks first, moves the file to .trash/ and Undo restores it."""
    corpus, _ = private_workspace
    original = (corpus / HOSTILE_NAME).read_bytes()
    at = start()
    articles = int(next(m.value for m in at.sidebar.metric if m.label == "Articles"))
    choices = at.selectbox(key="remove_choice").options
    assert not [c for c in choices if re.search(r"\b[0-9a-f]{16}\.txt\b", c)], choices  # no hash file names
    assert any("Lisbon harbour" in c and "date unknown" in c for c in choices), choices
    assert any(c.startswith("Putin Calls Aliyev") and "2024-08-28" in c for c in choices), choices

    at.selectbox(key="remove_choice").set_value(HOSTILE_NAME)
    at.button(key="FormSubmitter:remove-Remove").click().run()
    assert (corpus / HOSTILE_NAME).read_bytes() == original  # nothing happens before the confirmation
    assert any("Lisbon harbour" in plain(w.value) for w in at.sidebar.warning)
    at.button(key="remove_no").click().run()
    assert (corpus / HOSTILE_NAME).exists()
    assert not [w for w in at.sidebar.warning if "Lisbon harbour" in plain(w.value)]

    at.selectbox(key="remove_choice").set_value(HOSTILE_NAME)
    at.button(key="FormSubmitter:remove-Remove").click().run()
    at.button(key="remove_yes").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not (corpus / HOSTILE_NAME).exists()
    assert (corpus / ".trash" / HOSTILE_NAME).read_bytes() == original
    assert HOSTILE_NAME not in at.selectbox(key="remove_choice").options
    assert int(next(m.value for m in at.sidebar.metric if m.label == "Articles")) == articles - 1  # trash not indexed
    assert any("Lisbon harbour" in plain(s.value) for s in at.sidebar.success)

    at.button(key="remove_undo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (corpus / HOSTILE_NAME).read_bytes() == original and not (corpus / ".trash" / HOSTILE_NAME).exists()
    assert int(next(m.value for m in at.sidebar.metric if m.label == "Articles")) == articles
    assert any("Lisbon harbour" in c for c in at.selectbox(key="remove_choice").options)


def test_a_date_range_keeps_articles_of_unknown_date(workspace: tuple[Path, Path]) -> None:
    """With the date range on, undated articles are still searched (their cards say "date unknown") unless left out."""
    at = start()
    at.checkbox(key="f_use_dates").check().run()
    assert at.checkbox(key="f_keep_undated").value is True
    ask(at, ANSWERABLE)
    ans = last_answer(at)
    assert not ans.abstained
    assert any(p.date is None for p in ans.passages) and any(p.date for p in ans.passages)
    assert any("date unknown" in visible(h) for h in htmls(at) if 'class="qa-card-head"' in h)
    at.checkbox(key="f_keep_undated").uncheck().run()
    ask(at, ANSWERABLE)
    assert all(p.date for p in last_answer(at).passages)


def test_sidebar_overview(workspace: tuple[Path, Path]) -> None:
    at = start()
    metrics = {m.label: m.value for m in at.sidebar.metric}
    assert metrics["Articles"] == str(len(list((ROOT / "seeds").glob("*.txt"))) + 1)
    assert int(metrics["Chunks"]) > 0
    overview = " ".join(c.value for c in at.sidebar.caption)
    for expected in ("German (de)", "English (en)", "Dutch (nl)", "Model:", "Index built"):
        assert expected in overview
    assert set(at.multiselect(key="f_lang").options) >= {"German (de)", "English (en)", "Dutch (nl)"}


# -- server settings ----------------------------------------------------------------
def test_streamlit_reads_the_file_watcher_settings() -> None:
    """Streamlit, started from the repository root as `make run` does, watches no files.

    Its default watcher recursed into .venv/ and index/ and overflowed the
    inotify queue; the setting must be what Streamlit itself reads, not just
    a line in a file.
    """
    import subprocess

    probe = (
        "import json; from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(json.dumps([config.get_option('server.fileWatcherType'), config.get_option('server.folderWatchBlacklist')]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    watcher, unwatched = json.loads(out.stdout.strip().splitlines()[-1])
    assert watcher == "none"
    assert {".venv", "index"} <= set(unwatched)


