"""Answer-type checks and place bridges: the evidence the composer weighs."""

from __future__ import annotations

import pytest

from qa.question.answertype import DATE, NUMBER, PERSON, PLACE, expected_type, has_answer
from qa.question.expand import expansions


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [
        ("How many days did the war last?", "en", NUMBER),
        ("Wie viele Menschen kamen ums Leben?", "de", NUMBER),
        ("Combien de journalistes ont été arrêtés ?", "fr", NUMBER),
        ("Ilu żołnierzy stacjonowało tam?", "pl", NUMBER),
        ("Сколько человек погибло?", "ru", NUMBER),
        ("When did Putin call Aliyev?", "en", DATE),
        ("Seit welchem Jahr sind die Beziehungen angespannt?", "de", DATE),
        ("¿En qué fecha estallaron los combates?", "es", DATE),
        ("Когда Путин посещал Ереван?", "ru", DATE),
        ("In quale città era previsto l'incontro?", "it", PLACE),
        ("Gdzie odbyło się spotkanie?", "pl", PLACE),
        ("Who mediated the talks?", "en", PERSON),
        ("Why did Aliyev skip the Granada talks?", "en", "reason"),
        ("What did Aliyev say about the talks?", "en", None),
        # A conjunction later in the question is not the question's interrogative.
        ("¿A quién acusó Alíyev de parcialidad cuando plantó a Pashinián en la cumbre?", "es", PERSON),
        ("Was sagte Michel, nachdem Alijew abgesagt hatte?", "de", None),
        ("Скільки коштував новий міст?", "uk", NUMBER),
        ("كم مسافرا سيستقبل المطار؟", "ar", NUMBER),
        ("東京の新しい路線の利用者数は？", "ja", NUMBER),
        ("为什么阿利耶夫没有参加会谈？", "zh", "reason"),
        ("その会談はいつ行われましたか？", "ja", DATE),
    ],
)
def test_expected_type(question: str, lang: str, kind: str | None) -> None:
    assert expected_type(question, lang) == kind


def test_number_must_be_new() -> None:
    question = "How many people died in the 2020 war?"
    assert not has_answer("The 2020 war ended in a ceasefire.", NUMBER, "en", question)
    assert has_answer("The 2020 war lasted 44 days.", NUMBER, "en", question)
    assert has_answer("Tausende Menschen flohen.", NUMBER, "de", question)


@pytest.mark.parametrize(
    "question",
    [
        "How long after his visit did Putin call?",
        "Wie lange nach seinem Besuch rief Putin an?",
        "Jak długo trwały rozmowy?",
        "Hoeveel tijd zat er tussen het bezoek en het telefoongesprek?",
        "How much time passed between the visit and the call?",
    ],
)
def test_a_duration_answers_how_long(question: str) -> None:
    assert has_answer("The call came a little more than a week after the visit.", NUMBER, "en", question)
    assert has_answer("Das Gespräch kam wenige Wochen später.", NUMBER, "de", question)
    assert not has_answer("The call came after the visit.", NUMBER, "en", question)
    assert not has_answer("The war lasted weeks.", NUMBER, "en", "How many soldiers died?")  # not a duration question


def test_dates_in_the_article_language() -> None:
    question = "When did they talk?"
    assert has_answer("Am Dienstag telefonierten sie.", DATE, "de", question)
    assert has_answer("Op 29 juli belde Blinken.", DATE, "nl", question)
    assert has_answer("Doch letzten Monat weigerte sich Alijew.", DATE, "de", question)
    assert not has_answer("Sie sprachen über den Frieden.", DATE, "de", question)


def test_place_other_than_asked() -> None:
    question = "Where will the ministers of Armenia and Azerbaijan meet?"
    assert has_answer("The ministers of Armenia and Azerbaijan will meet in Almaty.", PLACE, "en", question)
    assert not has_answer("The ministers of Armenia and Azerbaijan will meet soon.", PLACE, "en", question)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Granada", "Spanien"),  # a city brings its country, in the corpus language
        ("Гранаде", "Spanien"),  # Russian locative
        ("Grenadzie", "Spanien"),  # Polish locative
        ("Bruxelles", "Brüssel"),  # a city brings its own names in other languages
        ("Moskwy", "Moskau"),  # Polish genitive
        ("России", "Russland"),  # CLDR's everyday name, declined
    ],
)
def test_place_bridges(word: str, expected: str) -> None:
    assert expected in expansions([word], {"de", "en", "nl"})


@pytest.mark.parametrize("word", ["Erdogan", "Macron", "Eurovision", "Department"])
def test_no_false_bridges(word: str) -> None:
    assert expansions([word], {"de", "en", "nl"}) == []


def test_reason_markers() -> None:
    question = "Why did Aliyev skip the talks?"
    assert expected_type(question, "en") == "reason"
    assert has_answer("Er sagte ab und verwies auf die Voreingenommenheit Frankreichs.", "reason", "de", question)
    assert has_answer("Hij kwam niet omdat Frankrijk partijdig was.", "reason", "nl", question)
    assert not has_answer("Die Außenminister treffen sich in Almaty.", "reason", "de", question)


def test_numbers_in_other_scripts() -> None:
    """Kanji numerals count; a language with no numeral list is not taken to have no numbers."""
    question = "利用者数は？"
    assert has_answer("一日あたり十万人の利用が見込まれている。", NUMBER, "ja", question)
    assert not has_answer("東京で新しい鉄道路線が開業した。", NUMBER, "ja", question)
    assert has_answer("سيستقبل عشرين مليون مسافر سنويا", NUMBER, "ar", "كم مسافرا؟")
    assert has_answer("Yeni köprü açıldı.", NUMBER, "xx", "How many?")  # unknown language: not ruled out
    assert has_answer("会談は3月に行われた。", DATE, "ja", "いつ？")


def test_a_number_that_counts_the_asked_thing() -> None:
    """ "How many days…" is answered by "the 44-day conflict", not by "in 2020"."""
    from qa.question.answertype import counted_noun, counts_asked_thing
    from qa.text.terms import term_groups

    assert counted_noun("How many days did the war last?", "en") == "days"
    assert counted_noun("Combien de localités Bakou a-t-il reprises ?", "fr") == "localités"
    assert counted_noun("Wie viele Menschen kamen ums Leben?", "de") == "menschen"
    assert counted_noun("When did the war end?", "en") is None
    asked = set().union(*term_groups("days", "en", {"en", "de"}))
    assert counts_asked_thing("During the 44-day conflict, Azerbaijan liberated cities.", "en", asked)
    assert not counts_asked_thing("In 2020 the war ended in a ceasefire.", "en", asked)
    assert counts_asked_thing("Die Kämpfe dauerten 44 Tage.", "de", asked)  # through the dictionaries


def test_cjk_false_friends() -> None:
    """日 (Sunday) is in 日本 (Japan), 一 in 一方 ("on the other hand"): neither is a date or a number."""
    assert not has_answer("日本政府は声明を発表した。", DATE, "ja", "いつ？")
    assert not has_answer("一方、政府は統一した声明を発表した。", NUMBER, "ja", "何人？")
    assert has_answer("会談は月曜日に行われた。", DATE, "ja", "いつ？")


@pytest.mark.parametrize("question", ["Почему?", "Wer?", "Pourquoi ?", "¿Por qué?", "Чому?", "Waarom?", "When and where?"])
def test_a_question_about_nothing_in_any_language(question: str) -> None:
    from qa.question.answertype import has_topic

    assert not has_topic(question, "en")  # too short to detect: the fallback language must not matter
    assert has_topic("Warum sagte er ab?", "en") and has_topic("Почему Алиев отказался?", "en")
