"""Outlets and months named in a question steer retrieval (as a boost, never a filter)."""

from __future__ import annotations

import pytest

from qa.question.hints import (
    NAMED_STRENGTH,
    Hints,
    month_keys,
    month_of,
    outlet_index,
    outlet_keys,
    question_hints,
    question_months,
)
from qa.types import Article


def _article(source: str, outlet: str | None = None, date: str | None = None) -> Article:
    return Article(id=source, source=source, title="t", lang="en", date=date, outlet=outlet, sha256="", n_chars=1)


@pytest.mark.parametrize(
    "question,lang,months",
    [
        ("What happened on 28 August 2024?", "en", {"2024-08"}),
        ("Any news from Sept. 2023 or 2024-07-01?", "en", {"2023-09", "2024-07"}),
        ("Was geschah im März 2024?", "de", {"2024-03"}),
        ("Что случилось в августе 2024 года?", "ru", {"2024-08"}),
        ("Co się stało w sierpniu 2024?", "pl", {"2024-08"}),
        ("Qu'a dit Aliev le 3 octobre 2023 ?", "fr", {"2023-10"}),
        ("Where did the 2020 war end?", "en", set()),  # a year alone names an event, not a month to look in
        ("What happened in August?", "en", set()),
        ("What did the mayor say in 2024?", "en", set()),  # "mayor" is not May
    ],
)
def test_question_months(question: str, lang: str, months: set[str]) -> None:
    assert question_months(question, lang) == months


def test_outlet_keys_and_matching() -> None:
    assert outlet_keys("Azertag.az") == {"azertag az", "azertag"}
    articles = [_article("a.txt", "Reuters"), _article("b.txt", "Azertag.az"), _article("c.txt", None, "2024-08-28")]
    outlets = outlet_index(articles)
    assert question_hints("Was schrieb Azertag über Lachin?", "de", outlets).sources == {"b.txt"}
    assert question_hints("Was steht in der Reuters-Meldung?", "de", outlets).sources == {"a.txt"}
    assert question_hints("What did Reuters and AZERTAG.AZ say?", "en", outlets).sources == {"a.txt", "b.txt"}
    assert not question_hints("Who reported it first?", "en", outlets)  # "reported" is not "Reuters"
    hints = question_hints("What did Putin say in August 2024?", "en", outlets)
    assert [hints.boost(a) for a in articles] == [0.0, 0.0, NAMED_STRENGTH]
    assert Hints().boost(articles[0]) == 0.0


def test_a_named_outlet_lifts_its_article(seed_index) -> None:
    from qa import search

    corpus, index = seed_index
    hits = search("What did Reuters report about Blinken?", 5, corpus=corpus, index=index)
    assert hits[0].outlet == "Reuters"
    from qa import ask

    assert ask("Was berichtete Reuters im August 2024?", corpus=corpus, index=index).focus == ["Reuters", "2024-08"]
    trend = search("Was meldete Trend über die Friedensgespräche?", 10, corpus=corpus, index=index)
    assert any(p.outlet == "Trend" for p in trend[:3])


@pytest.mark.parametrize(
    "word,langs,month",
    [("July", {"en"}, 7), ("juillet", {"fr"}, 7), ("Juli", {"de"}, 7), ("июля", {"ru"}, 7), ("August", {"de"}, 8)],
)
def test_month_of_reads_whole_month_names(word: str, langs: set[str], month: int) -> None:
    assert month_of(word, langs) == month


@pytest.mark.parametrize("word", ["Marco", "Mayor", "Augsburg", "Junker", "Granada", "Jan", "Aug."])
def test_month_of_ignores_words_that_only_start_like_a_month(word: str) -> None:
    assert month_of(word, {"en", "de", "fr"}) is None


def test_a_month_is_an_anchor_in_every_corpus_language_and_never_a_place() -> None:
    from qa.question.expand import expansions
    from qa.retrieve.engine import question_anchors
    from qa.text.fold import fold

    assert {fold("juli"), fold("juillet"), fold("lipca")} <= month_keys(7, ("de", "fr", "nl", "pl"))
    assert "sie" not in month_keys(8, ("pl",))  # the abbreviation would match German "sie"
    # GeoNames lists towns called "August" and "June": a month brings no country names.
    assert expansions(["August", "June"], {"de", "en", "nl"}) == []
    anchors = question_anchors("Which checkpoint came up in the July call?", {"en", "nl"}, "en")
    assert fold("juli") in anchors[0] and len(anchors) == 1


def test_a_question_that_names_only_a_date_leans_on_it_harder() -> None:
    from qa.question.hints import SOLE_DATE_STRENGTH, only_dates

    assert only_dates(["28", "August", "2024"], "de") and only_dates(["2024-08-28"], "en")
    assert not only_dates(["Putin", "August", "2024"], "en") and not only_dates(["2025²"], "en")
    # A topic in lower case is a topic too: "the pope" is not a date.
    assert question_hints("What did the pope say about climate change in August 2024?", "en", {}).strength == NAMED_STRENGTH
    assert question_hints("Что произошло в августе 2024 года?", "ru", {}).strength == SOLE_DATE_STRENGTH
    assert question_hints("What happened on 2024-08-28?", "en", {}).strength == SOLE_DATE_STRENGTH
    assert question_hints("What did Putin say in August 2024?", "en", {}).strength == NAMED_STRENGTH
    dated = _article("a.txt", date="2024-08-28")
    assert question_hints("Was geschah am 28. August 2024?", "de", {}).boost(dated) == SOLE_DATE_STRENGTH


def test_a_german_noun_is_no_anchor_a_name_is() -> None:
    """German capitalises every noun: "Wasserstoff-Terminal" was an anchor no Spanish article could cover."""
    from qa.retrieve.engine import question_anchors
    from qa.text.fold import fold
    from qa.text.terms import is_common_word

    assert is_common_word("Wasserstoff-Terminal", "de") and is_common_word("Kinomuseum", "de")  # compounds
    assert not is_common_word("Valencia", "de") and not is_common_word("Aserbaidschan", "de")
    anchors = question_anchors("Wie viel hat das Wasserstoff-Terminal in Valencia gekostet?", {"es"}, "de")
    assert len(anchors) == 1 and fold("Valencia") in anchors[0]
    # An English question keeps its capitalised words; a German one keeps a noun the corpus writes as a name.
    assert len(question_anchors("Who runs the Terminal in Valencia?", {"es"}, "en")) == 2
    assert len(question_anchors("Was sagte Fischer?", {"en"}, "de", frozenset({fold("Fischer")}))) == 1
    assert question_anchors("Was sagte Fischer?", {"en"}, "de") == []
