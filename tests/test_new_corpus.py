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
_MISSED = pytest.mark.xfail(strict=True, reason="issue 14 item 2, open: the answer's window ranks 8th, below the 5 the reader reads")
ANSWERABLE = [
    ("Who supplied the electrolysers for the Valencia terminal?", "valencia_puerto.txt", "Ibertrónica"),
    ("¿Quién suministró los electrolizadores de la terminal de Valencia?", "valencia_puerto.txt", "Ibertrónica"),
    pytest.param(
        "Wie viel hat das Wasserstoff-Terminal in Valencia gekostet?", "valencia_puerto.txt", "48 millones",
        marks=pytest.mark.xfail(strict=True, reason=(
            "issue 14 item 2, open since the fused int8 encoder (session 8): the Lyon article's cost sentence "
            "(reader margin -2.2) now outscores Valencia's (-2.8), which names no place, and its e5 cosine "
            "(0.772) is under min_similarity; nothing ties a sentence to the article the question names"
        )),
    ),
    pytest.param("Who built the trams of the new T10 line in Lyon?", "lyon_tram.txt", "Alstom", marks=_MISSED),
    ("Quanti passeggeri al giorno dovrebbe trasportare la linea T10?", "lyon_tram.txt", "25 000"),
    ("Why did the Turin cinema museum have to close?", "torino_museo.txt", "antincendio"),
    pytest.param(
        "Ile kosztował remont muzeum kina w Turynie?", "torino_museo.txt", "12 milioni",
        marks=pytest.mark.xfail(strict=True, reason=(
            "issue 14 item 2, open since reader run 6 (session 18): Turin's cost sentence is cited second, after "
            "Lyon's, for the same reason as the German Valencia question: the cost sentence names no place"
        )),
    ),
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
