"""The ``ask()`` contract: markers <-> citations, exact quotes, abstention, language, history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa import Answer, Citation, ask
from qa.errors import InvalidQuestionError
from qa.eval.evaluate import check_citations


def _ask(seed_index, question: str, **kw) -> Answer:
    corpus, index = seed_index
    return ask(question, corpus=corpus, index=index, **kw)


def _assert_contract(ans: Answer, corpus: Path) -> None:
    assert check_citations(ans, corpus) == []
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", ans.text)]
    assert sorted(set(markers)) == [c.n for c in ans.citations]
    for c in ans.citations:
        assert isinstance(c, Citation)
        assert c.quote == (corpus / c.source).read_text(encoding="utf-8")[c.start : c.end]


def framed(ans: Answer) -> str:
    """The answer text after the reader's bold short answer (the framed quotes)."""
    if ans.short_answer:
        head, _, rest = ans.text.partition("\n\n")
        assert head == f"**{' '.join(ans.short_answer.split())}**"
        return rest
    return ans.text


def test_user_example_cites_the_spanien_sentence(seed_index) -> None:
    corpus, _ = seed_index
    ans = _ask(seed_index, "Why did Aliyev skip the Granada talks?")
    assert not ans.abstained and ans.language == "en"
    _assert_contract(ans, corpus)
    assert any("in Spanien teilzunehmen" in c.quote and c.lang == "de" for c in ans.citations)
    assert "(German)" in ans.text  # the quote is tagged with its language, named in English


@pytest.mark.parametrize(
    "question", ["Who won Eurovision 2024?", "What did Erdogan say about the treaty?", "Wer gewann den Eurovision Song Contest 2024?"]
)
def test_abstains_when_articles_do_not_say(seed_index, question: str) -> None:
    ans = _ask(seed_index, question)
    assert ans.abstained and ans.citations == [] and "[" not in ans.text
    assert ans.passages, "related passages are still returned"


def test_frame_in_question_language(seed_index) -> None:
    corpus, _ = seed_index
    de = _ask(seed_index, "Wo wollen sich die Außenminister von Aserbaidschan und Armenien treffen?")
    assert de.language == "de" and not de.abstained
    assert framed(de).startswith("Laut ")
    _assert_contract(de, corpus)
    nl = _ask(seed_index, "Welke wegen stelde Azerbeidzjan voor om de Armeense inwoners te bevoorraden?")
    assert nl.language == "nl"
    assert framed(nl).startswith(("Volgens", "De artikelen"))


def test_abstention_message_in_question_language(seed_index) -> None:
    ans = _ask(seed_index, "Qui a gagné l'Eurovision 2024 ?")
    assert ans.abstained and ans.language == "fr" and "articles ne le disent pas" in ans.text


def test_history_resolves_follow_up(seed_index) -> None:
    history = [{"role": "user", "content": "Did Aliyev take part in the EU-mediated talks in Spain?"}]
    follow = _ask(seed_index, "Why not?", history=history)
    alone = _ask(seed_index, "Why not?")
    assert not follow.abstained
    assert any("Voreingenommenheit Frankreichs" in c.quote for c in follow.citations)
    assert not any("Voreingenommenheit Frankreichs" in c.quote for c in alone.citations)
    assert alone.abstained and "What about?" in alone.text  # nothing to search for without the history


@pytest.mark.parametrize("question,lang", [("Warum?", "de"), ("¿Cuándo?", "es"), ("Pourquoi ?", "fr"), ("How many?", "en")])
def test_a_question_about_nothing_asks_for_a_topic(seed_index, question: str, lang: str) -> None:
    ans = _ask(seed_index, question, history=[{"role": "user", "content": "x", "language": lang}])
    assert ans.abstained and not ans.citations and ans.language == lang


@pytest.mark.parametrize(
    "question,lang,frame",
    [
        ("アリエフはなぜスペインでのパシニャンとの会談に出席しなかったのですか、その理由として何を挙げたのですか", "ja", "によると"),
        ("为什么阿利耶夫没有参加在西班牙与帕希尼扬的会谈？", "zh", "据"),
    ],
)
def test_languages_written_without_spaces(seed_index, question: str, lang: str, frame: str) -> None:
    """A Japanese clause is one regex "word" longer than any noise limit; it is still a question."""
    corpus, _ = seed_index
    ans = _ask(seed_index, question)
    assert ans.language == lang and not ans.abstained
    _assert_contract(ans, corpus)
    assert frame in framed(ans).splitlines()[0]  # framed in the question's language


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x07\x1b", "\u202e\u200b"])
def test_empty_questions_raise(seed_index, bad: str) -> None:
    with pytest.raises(InvalidQuestionError):
        _ask(seed_index, bad)


def test_huge_and_control_character_questions_are_answered_safely(seed_index) -> None:
    corpus, _ = seed_index
    ans = _ask(seed_index, "Putin Aliyev " * 90_000)  # ~1 MB
    _assert_contract(ans, corpus)
    assert len(ans.question) <= 2000
    ans = _ask(seed_index, "Where\x00 will\x1b the foreign ministers\u202e meet?")
    _assert_contract(ans, corpus)
    assert "\x00" not in ans.question and "\u202e" not in ans.question


@pytest.mark.parametrize("noise", ["a" * 1_000_000, "x" * 60 + " " + "y" * 60, "🙂 " + "z" * 50])
def test_questions_without_words_abstain(seed_index, noise: str) -> None:
    corpus, index = seed_index
    ans = ask(noise, corpus=corpus, index=index)
    assert ans.abstained and not ans.citations


def test_a_quote_that_points_back_brings_its_antecedent(seed_index) -> None:
    """ "He said that is the only obstacle…" alone does not say what the obstacle is."""
    from qa.answer.compose import refers_back

    assert refers_back("He said that is the only obstacle.", "en") and refers_back("Dies sei wichtig.", "de")
    assert not refers_back("The telephone conversation came later.", "en")
    assert not refers_back("Das Gespräch kam später.", "de")  # an article, not a pronoun
    corpus, _ = seed_index
    ans = _ask(seed_index, "What did Bayramov call the only obstacle to signing a peace treaty?")
    _assert_contract(ans, corpus)
    quotes = [c.quote for c in ans.citations]
    # The answer (the constitution) and the sentence that ties it to the question (the only obstacle) come as one
    # quote, whichever of the two the reader chose: the antecedent takes its sequel, the sequel its antecedent.
    assert any(
        q.startswith("During a visit to Ankara") and "change its constitution" in q and "the only obstacle" in q
        for q in quotes
    ), quotes
    assert not any(q.startswith("He said that is the only obstacle") for q in quotes), quotes
    assert sum("During a visit to Ankara" in q for q in quotes) == 1


def test_an_antecedent_quoted_alone_merges_into_the_quote_that_points_back(seed_index) -> None:
    """Two chosen quotes, the antecedent first: one quote at the antecedent's place, never two that overlap."""
    from qa.answer.compose import Scored, with_antecedents
    from qa.retrieve.engine import get_engine

    corpus, _ = seed_index
    retrieval = get_engine(*seed_index).retrieve("What did Bayramov call the only obstacle to signing a peace treaty?", 10, None, "en")
    data = retrieval.data
    texts = {a: (corpus / a).read_text(encoding="utf-8") for a in data.articles}
    pointing = next(k for k in data.sentence_rows if texts[k[0]][k[1] : k[2]].startswith("He said that is the only obstacle"))
    row = data.sentence_rows[pointing]
    antecedent = (pointing[0], int(data.sentences[row - 1][0]), int(data.sentences[row - 1][1]))
    passage = next(p for p in retrieval.passages if p.source == pointing[0] and p.start <= pointing[1] < p.end)

    def scored(k):
        return Scored(k[0], k[1], k[2], 0.0, 0.0, passage)

    merged = with_antecedents([scored(antecedent), scored(pointing)], retrieval)
    assert [(m.start, m.end) for m in merged] == [(antecedent[1], pointing[2])]
    alone = with_antecedents([scored(pointing)], retrieval)
    assert [(m.start, m.end) for m in alone] == [(antecedent[1], pointing[2])]
    # The antecedent alone takes the sentence that points back to it, since that one names the asked obstacle...
    forward = with_antecedents([scored(antecedent)], retrieval, "en")
    assert [(m.start, m.end) for m in forward] == [(antecedent[1], pointing[2])]
    # ...but not for a question the antecedent answers by itself: the sequel would add no asked word.
    other = get_engine(*seed_index).retrieve("What must Armenia change, according to Bayramov?", 10, None, "en")
    assert [(m.start, m.end) for m in with_antecedents([scored(antecedent)], other, "en")] == [antecedent[1:]]


def test_a_number_written_into_a_word_is_not_a_missing_anchor(seed_index) -> None:
    """The articles say "44-day conflict": a question about "the 44-day war" names nothing unknown."""
    ans = _ask(seed_index, "Hoeveel nederzettingen heeft Azerbeidzjan tijdens de oorlog van 44 dagen heroverd?")
    assert not ans.abstained and any("300 settlements" in c.quote for c in ans.citations)


def test_an_article_without_outlet_or_headline_is_named_generically(seed_index) -> None:
    """Article 000 opens with a sentence, not a headline: the frame must not quote that sentence as a name."""
    from qa.answer.compose import is_headline

    assert is_headline("Putin Calls Aliyev to Discuss Armenia-Azerbaijan Peace Process")
    assert not is_headline("Aliyev sagte, Aserbaidschan habe kürzlich seine Vorschläge für…")
    ans = _ask(seed_index, "Warum hat Alijew die Gespräche in Granada abgesagt?")
    assert framed(ans).startswith("Laut einem Artikel (Deutsch):")
    assert len(ans.citations) == 1  # further quotes without a reason are not added to a "why" answer


def test_a_when_answer_cites_the_articles_own_date_for_a_relative_date(seed_index) -> None:
    """ "On Wednesday" answers "when" only with the article's date, which a header states ("date 2024-08-28")."""
    corpus, _ = seed_index
    ans = _ask(seed_index, "When did Putin call Aliyev?")
    _assert_contract(ans, corpus)
    first = ans.citations[0]
    assert first.quote == "2024-08-28" and first.date == "2024-08-28" and "(English, 2024-08-28 [1])" in ans.text
    assert any("Wednesday" in c.quote or "a week after" in c.quote for c in ans.citations[1:])
    # Not for other kinds of question, and not when the quote names its year itself.
    assert all(c.quote != "2024-08-28" for c in _ask(seed_index, "Why did Putin call Aliyev?").citations)
    from types import SimpleNamespace

    from qa.answer.compose import date_evidence
    from qa.retrieve.engine import get_engine

    data = get_engine(*seed_index).refresh()
    source = next(a.source for a in data.articles.values() if a.date)
    retrieval = SimpleNamespace(data=data)
    relative = SimpleNamespace(source=source, text="They met on Wednesday.")
    assert date_evidence(retrieval, [relative]) == data.articles[source].date_span
    with_year = SimpleNamespace(source=source, text="The war ended in November 2020.")
    assert date_evidence(retrieval, [relative, with_year]) is None


def test_article_date_span_is_recorded_and_survives_the_manifest(seed_index) -> None:
    from qa.retrieve.engine import get_engine
    from qa.types import Article

    corpus, index = seed_index
    articles = get_engine(corpus, index).refresh().articles
    dated = [a for a in articles.values() if a.date]
    assert dated and all(
        (corpus / a.source).read_text(encoding="utf-8")[a.date_span[0] : a.date_span[1]] == a.date for a in dated
    )
    assert all(a.date_span is None for a in articles.values() if not a.date)
    row = {"id": "x", "source": "a.txt", "title": "t", "lang": "en", "date": None, "outlet": None, "sha256": "", "n_chars": 1}
    assert Article.from_dict(row).outlet_span is None
    assert Article.from_dict(row).date_span is None  # a manifest written before the field existed
    assert Article.from_dict({**row, "date_span": [3, 13]}).date_span == (3, 13)


@pytest.mark.parametrize(
    "question",
    ["Which news agency reported that Aliyev is ready for peace talks?", "Welche Nachrichtenagentur meldete, Alijew sei zu Friedensgesprächen bereit?"],
)
def test_a_which_agency_answer_cites_the_credit_line(seed_index, question: str) -> None:
    corpus, _ = seed_index
    ans = _ask(seed_index, question)
    _assert_contract(ans, corpus)
    credit = ans.citations[0]
    assert credit.quote == credit.outlet and f"{credit.outlet} [1]" in ans.text
    assert len(ans.citations) >= 2 and ans.citations[1].source == credit.source  # and the passage it reported


def test_other_questions_do_not_cite_the_credit_line(seed_index) -> None:
    ans = _ask(seed_index, "Why did Aliyev skip the Granada talks?")
    assert all(c.quote != c.outlet for c in ans.citations)


@pytest.mark.parametrize(
    "question,missing",
    [
        ("Bakıda Putin nə dedi?", []),  # "in Baku": the corpus names Baku
        ("Əliyev Ermənistanın təklifləri barədə nə dedi?", []),  # "Armenia's"
        ("Bakıda Erdoğanın nə dediyini bilirsinizmi?", ["Erdoğanın"]),  # a name no article has, with or without "-ın"
        ("Ermənistan haqqında Bakunin nə dedi?", ["Bakunin"]),  # not "Baku" + "-nin": too much of the word cut off
    ],
)
def test_case_endings_of_names_in_suffixing_languages(seed_index, question: str, missing: list[str]) -> None:
    from qa.answer.compose import ComposerSettings, missing_anchors
    from qa.retrieve.engine import get_engine

    retrieval = get_engine(*seed_index).retrieve(question, language="az")
    assert missing_anchors(retrieval, ComposerSettings(), "az") == missing


@pytest.mark.parametrize("question", ["What happened on 2024-08-28?", "Was geschah am 28. August 2024?"])
def test_a_question_about_a_date_is_answered_from_the_article_of_that_date(seed_index, question: str) -> None:
    corpus, _ = seed_index
    ans = _ask(seed_index, question)
    _assert_contract(ans, corpus)
    assert not ans.abstained and ans.focus == ["2024-08"]
    assert ans.citations[0].date == "2024-08-28"


def test_a_year_no_article_has_is_missing_not_a_spelling_variant(seed_index) -> None:
    """2025 is not a misspelt 2024: a question about August 2025 is not answered from August 2024."""
    assert _ask(seed_index, "What happened in August 2025?").abstained


@pytest.mark.parametrize(
    "question",
    ["Why did Aliyev refuse to attend the Granada meeting?", "¿Por qué Aliyev no fue a Granada?", "Waarom ging Alijev niet naar Granada?"],
)
def test_a_why_answer_prefers_a_close_sentence_that_gives_a_reason(seed_index, question: str) -> None:
    """The Almaty sentence names Aliyev and a meeting too; the Spanien one says why ("verwies auf…")."""
    ans = _ask(seed_index, question)
    assert "in Spanien teilzunehmen" in ans.citations[0].quote


@pytest.mark.parametrize(
    "question,opening",
    [
        ("Varför vägrade Alijev att delta i samtalen i Granada?", "Enligt "),
        ("De ce a refuzat Aliev să participe la discuțiile de la Granada?", "Potrivit "),
        ("Miért nem vett részt Aliyev a granadai tárgyalásokon?", "Egy cikk"),
    ],
)
def test_answers_are_framed_in_more_languages(seed_index, question: str, opening: str) -> None:
    ans = _ask(seed_index, question)
    assert not ans.abstained and framed(ans).startswith(opening)


@pytest.mark.parametrize(
    "question", ["Why did Azerbaijan release 28 detainees?", "What happened in August 2024 and 2025²?"]
)
def test_a_day_number_alone_is_not_an_articles_date(seed_index, question: str) -> None:
    """Article 004 is dated 2024-08-28: "28 detainees" is still a number no article has."""
    assert _ask(seed_index, question).abstained


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Which agency will monitor the border?", None),
        ("What source of energy does Armenia use?", None),
        ("Which website did Aliyev launch?", None),
        ("Quelle agence de presse a rapporté qu'Aliev était prêt à négocier ?", "source"),
        ("According to which agency did Aliyev say he was ready?", "source"),
    ],
)
def test_the_source_type_needs_a_question_about_reporting(question: str, kind: str | None) -> None:
    from qa.question.answertype import expected_type
    from qa.text.langid import detect

    assert expected_type(question, detect(question, fallback="en")) == kind
