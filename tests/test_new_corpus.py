"""A corpus the seeds know nothing about (es, fr, it, pl): a new article must be answered from.

The first-use report (issue 14): an uploaded Spanish article about a port was
not answered from ("Not in these articles" with the right sentence shown as
related). Behaviour tuned on the seeds must not stop answering elsewhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.eval.evaluate import check_citations

NEW_CORPUS = Path(__file__).resolve().parent / "data" / "newcorpus"

# (question, article, a phrase the cited sentence must hold) -- cross-lingual for the most part.
# The ones the default composer still misses are marked: a strict xfail turns red once they pass.
ANSWERABLE = [
    ("Who supplied the electrolysers for the Valencia terminal?", "valencia_puerto.txt", "Ibertrónica"),
    ("¿Quién suministró los electrolizadores de la terminal de Valencia?", "valencia_puerto.txt", "Ibertrónica"),
    pytest.param(
        "Wie viel hat das Wasserstoff-Terminal in Valencia gekostet?", "valencia_puerto.txt", "48 millones",
        marks=pytest.mark.xfail(strict=True, reason=(
            "issue 14 item 2, open since the fused int8 encoder (session 8): the Lyon article's cost sentence "
            "(reader margin -2.2) now outscores Valencia's (-2.8), which names no place, and its e5 cosine "
            "(0.772) is under min_similarity; the fusion's article feature (weight 0.30, fitted on the validation "
            "corpus) adds 0.15 for Valencia's half of the question's names, short of the 0.67 gap"
        )),
    ),
    pytest.param(
        "How much did the hydrogen terminal in Valencia cost?", "valencia_puerto.txt", "48 millones",
        marks=pytest.mark.xfail(strict=True, reason=(
            "found in session 39: retrieval ranks the Lyon article's lead and cost windows first (e5 is z-scored "
            "per article language, and each language here has one article, so e5 cannot tell the articles apart); "
            "the fusion then quotes Lyon's cost sentence (2.37 against Valencia's 2.04) and its cosine 0.761 is "
            "under min_similarity, so the answer abstains. The remedies measured that session did not carry over "
            "(training/validation.md)"
        )),
    ),
    # Its window ranks 8th; it is read as a further passage of the one article naming Lyon and T10 (read_passages).
    ("Who built the trams of the new T10 line in Lyon?", "lyon_tram.txt", "Alstom"),
    ("Quanti passeggeri al giorno dovrebbe trasportare la linea T10?", "lyon_tram.txt", "25 000"),
    ("Why did the Turin cinema museum have to close?", "torino_museo.txt", "antincendio"),
    # The cost sentence names no place; the fusion's ``article`` feature (its article names Turin) puts it first.
    ("Ile kosztował remont muzeum kina w Turynie?", "torino_museo.txt", "12 milioni"),
    ("For which company will the Gdańsk shipyard build the ferries?", "gdansk_stocznia.txt", "Fjordline"),
    ("Wanneer wordt de eerste veerboot uit Gdańsk opgeleverd?", "gdansk_stocznia.txt", "2027"),
    ("When was the hydrogen terminal in Valencia inaugurated?", "valencia_puerto.txt", "inauguró"),
]
UNANSWERABLE = [
    "How old is Joan Calabuig?",
    "Who won the football match between Lyon and Marseille?",
    "What is the capital of Kazakhstan?",
]


@pytest.fixture(scope="module")
def new_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from qa import build_index

    corpus = tmp_path_factory.mktemp("newcorpus") / "corpus"
    shutil.copytree(NEW_CORPUS, corpus)
    index = tmp_path_factory.mktemp("newindex") / "index"
    assert build_index(corpus, index).articles == 4
    return corpus, index


def test_articles_get_their_dateline_language(new_index) -> None:
    from qa.retrieve.engine import get_engine, resolve_paths

    data = get_engine(*resolve_paths(*new_index)).refresh()
    langs = {a.source: a.lang for a in data.articles.values()}
    assert langs == {
        "valencia_puerto.txt": "es",
        "lyon_tram.txt": "fr",
        "torino_museo.txt": "it",
        "gdansk_stocznia.txt": "pl",
    }


@pytest.mark.parametrize(("question", "source", "phrase"), ANSWERABLE)
def test_new_articles_are_answered_from(new_index, question: str, source: str, phrase: str) -> None:
    from qa import ask

    corpus, index = new_index
    ans = ask(question, corpus=corpus, index=index)
    assert check_citations(ans, corpus) == []  # a dateline cited for "when" is quoted as the file writes it
    assert not ans.abstained, ans.text
    first = ans.citations[0] if ans.citations[0].answer_start is not None else ans.citations[-1]
    assert any(c.source == source and phrase in c.quote for c in ans.citations), [c.quote for c in ans.citations]
    assert first.source == source


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_questions_the_new_articles_do_not_answer_are_refused(new_index, question: str) -> None:
    from qa import ask

    corpus, index = new_index
    assert ask(question, corpus=corpus, index=index).abstained


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("Why did the Turin cinema museum have to close?", "antincendio"),
        ("Ile kosztował remont muzeum kina w Turynie?", "12 milioni"),
        ("Wie viel hat das Wasserstoff-Terminal in Valencia gekostet?", "48 millones"),
    ],
)
def test_a_window_deep_in_an_article_is_found(new_index, question: str, phrase: str) -> None:
    """The answer sits in the third or fourth sentence, which does not name the museum or the port.

    Each window is embedded after its article's title; without it the lead
    windows, which name what the question names, outranked the answer (rank 12
    for the first question here).
    """
    from qa import search

    corpus, index = new_index
    assert any(phrase in p.text for p in search(question, 5, corpus=corpus, index=index))


def test_sentences_of_the_article_the_question_names_say_so(new_index) -> None:
    """A cost sentence that names no place still belongs to the one article that names Valencia.

    The fusion sees that as the candidate feature ``article`` (the share of the
    question's names its article mentions), beside ``anchors`` (the sentence's own).
    """
    from qa.answer.compose import ComposerSettings, candidate_sentences
    from qa.retrieve.engine import get_engine, resolve_paths

    engine = get_engine(*resolve_paths(*new_index))
    retrieval = engine.retrieve("Wie viel hat das Wasserstoff-Terminal in Valencia gekostet?", 10, None, "de")
    candidates = candidate_sentences(retrieval, ComposerSettings(), "de")
    by_source = {c.source: c.features["article"] for c in candidates}
    assert by_source["valencia_puerto.txt"] > 0
    assert {s: v for s, v in by_source.items() if s != "valencia_puerto.txt"} == dict.fromkeys(set(by_source) - {"valencia_puerto.txt"}, 0.0)
    cost = next(c for c in candidates if "48 millones" in c.text)
    assert cost.features["anchors"] == 0 and cost.features["article"] > 0


def test_the_named_articles_further_passages_are_read_and_nothing_else(new_index) -> None:
    """Lyon and T10 are named by one article only: its passages below the top 5 are read too."""
    from qa.answer.compose import read_passages
    from qa.retrieve.engine import get_engine, resolve_paths

    engine = get_engine(*resolve_paths(*new_index))
    retrieval = engine.retrieve("Who built the trams of the new T10 line in Lyon?", 10, None, "en")
    top = read_passages(retrieval, 5)
    wider = read_passages(retrieval, 5, named=True)
    assert [r for r, _ in top] == [0, 1, 2, 3, 4]
    extra = wider[len(top) :]
    assert extra and all(p.source == "lyon_tram.txt" and r >= 5 for r, p in extra)
    assert any("Alstom" in p.text for _, p in extra)
    # No name that singles out an article: nothing further is read.
    plain = engine.retrieve("What did it cost?", 10, None, "en")
    assert read_passages(plain, 5, named=True) == read_passages(plain, 5)


@pytest.mark.parametrize(
    ("first", "follow_up"),
    [
        ("Who supplied the electrolysers for the Valencia terminal?", "Why?"),
        ("How many passengers a day should the T10 line carry?", "Why?"),
    ],
)
def test_a_follow_up_quotes_something_the_last_answer_did_not(new_index, first: str, follow_up: str) -> None:
    """ "Why?" re-quoted the last answer's sentence and nothing else; the answer then adds the best
    sentence of the same article that was not shown yet, and never one from another article."""
    from qa import ask

    corpus, index = new_index
    a1 = ask(first, corpus=corpus, index=index)
    assert not a1.abstained, a1.text
    history = [
        {"role": "user", "content": first, "language": a1.language},
        {"role": "assistant", "content": a1.text, "citations": a1.citations},
    ]
    a2 = ask(follow_up, history, corpus=corpus, index=index)
    assert not a2.abstained, a2.text
    assert check_citations(a2, corpus) == []
    shown = {(c.source, c.start, c.end) for c in a1.citations}
    fresh = [c for c in a2.citations if (c.source, c.start, c.end) not in shown]
    assert fresh, [c.quote for c in a2.citations]
    assert {c.source for c in fresh} <= {c.source for c in a1.citations}


def test_a_same_language_offset_tells_apart_languages_with_one_article(new_index, monkeypatch) -> None:
    """Opt-in (``QA_SAME_LANGUAGE_OFFSET``): e5 z-scored per article language cannot rank one article of a
    language above another language's only article, so the Lyon lead outranked the Valencia article for a
    question about Valencia; a fixed offset for the question's own language, then one z, does not."""
    from qa.retrieve.engine import Engine
    from qa.settings import Settings

    corpus, index = new_index
    monkeypatch.setenv("QA_SAME_LANGUAGE_OFFSET", "0.06")
    settings = Settings.from_env(corpus=corpus, index=index)
    assert settings.same_language_offset == 0.06
    top = Engine(settings).retrieve("How much did the hydrogen terminal in Valencia cost?", 5).passages
    assert [p.source for p in top[:3]] == ["valencia_puerto.txt"] * 3
    monkeypatch.setenv("QA_SAME_LANGUAGE_OFFSET", "a lot")
    with pytest.raises(ValueError, match="QA_SAME_LANGUAGE_OFFSET must be a number"):
        Settings.from_env()


def test_the_first_ranked_article_is_read_further(new_index) -> None:
    """Windows of the article ranked first that retrieval left out are read after the retrieved ones.

    Retrieval often finds the article but not the window that answers (a fare
    sentence ranked 6th behind the article's own lead and the windows that
    repeat the question's words). Those windows come last, in file order, and
    quote the file exactly.
    """
    from qa.answer.compose import read_passages
    from qa.retrieve.engine import get_engine, resolve_paths

    corpus, index = new_index
    engine = get_engine(*resolve_paths(corpus, index))
    retrieval = engine.retrieve("¿Quién suministró los electrolizadores de la terminal de Valencia?", 3, None, "es")
    top = retrieval.passages[0].source
    plain = read_passages(retrieval, 2, True)
    wider = read_passages(retrieval, 2, True, 6)
    extra = wider[len(plain) :]
    assert wider[: len(plain)] == plain
    assert extra, "the first article has windows that were not retrieved"
    assert {p.source for _, p in extra} == {top}
    assert all(rank == len(retrieval.passages) for rank, _ in extra)
    read_before = {p.chunk_id for _, p in plain}
    assert not read_before & {p.chunk_id for _, p in extra}
    assert [p.start for _, p in extra] == sorted(p.start for _, p in extra)
    text = (corpus / top).read_text(encoding="utf-8")
    assert all(text[p.start : p.end] == p.text for _, p in extra)
    assert len(read_passages(retrieval, 2, True, 1)) == len(plain) + 1


def test_reading_further_is_a_strict_setting_and_its_sentences_compete(new_index, monkeypatch) -> None:
    """``QA_READ_FURTHER`` (4 by default, 0 turns it off): the first article's other sentences become candidates."""
    from qa.answer.compose import ComposerSettings, candidate_sentences
    from qa.retrieve.engine import get_engine, resolve_paths

    monkeypatch.delenv("QA_READ_FURTHER", raising=False)
    assert ComposerSettings().top_article_rest == 4
    monkeypatch.setenv("QA_READ_FURTHER", "0")
    assert ComposerSettings().top_article_rest == 0
    monkeypatch.setenv("QA_READ_FURTHER", "many")
    with pytest.raises(ValueError, match="QA_READ_FURTHER must be a whole number"):
        ComposerSettings()
    monkeypatch.delenv("QA_READ_FURTHER")

    engine = get_engine(*resolve_paths(*new_index))
    retrieval = engine.retrieve("¿Quién suministró los electrolizadores de la terminal de Valencia?", 3, None, "es")
    top = retrieval.passages[0].source
    plain = candidate_sentences(retrieval, ComposerSettings(passages=1, top_article_rest=0), "es", named=True)
    wider = candidate_sentences(retrieval, ComposerSettings(passages=1, top_article_rest=6), "es", named=True)
    added = {(c.source, c.start, c.end) for c in wider} - {(c.source, c.start, c.end) for c in plain}
    assert added and {source for source, _, _ in added} == {top}
