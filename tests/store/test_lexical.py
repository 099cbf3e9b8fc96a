"""The lexical views: spelling-blind name keys, and content stems across languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.store.lexical import LexicalIndex
from qa.text.dictionary import default as dictionaries
from qa.text.terms import content_words, stem_tokens, term_groups, translated_tokens

needs_dictionaries = pytest.mark.skipif(
    not dictionaries().available(), reason="FreeDict dictionaries not set up (python -m qa.text.dictionary --setup)"
)


def test_stems_are_language_tagged_and_skip_function_words() -> None:
    assert stem_tokens("Die Verhandlungen über die Grenze", "de") == ["de:verhandl", "de:grenz"]
    assert "the" not in content_words("the border talks", "en")


def test_stem_index_roundtrip(tmp_path: Path) -> None:
    texts = ["Die Grenze ist noch nicht festgelegt.", "The talks were cancelled.", "De grens is dicht."]
    index = LexicalIndex.fit(texts, ["de", "en", "nl"])
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    scores = loaded.stem_scores(stem_tokens("Grenzen", "de"))
    assert scores is not None and int(scores.argmax()) == 0


def test_index_without_stems_still_loads(tmp_path: Path) -> None:
    index = LexicalIndex.fit(["Alijew sagte ab."])
    index.save(tmp_path / "lexical")
    assert LexicalIndex.load(tmp_path / "lexical").stem_scores(["de:sagt"]) is None


@needs_dictionaries
def test_question_words_reach_other_languages() -> None:
    tokens = translated_tokens("Où passe la frontière ?", "fr", {"de", "en"})
    assert "de:grenz" in tokens and "en:border" in tokens
    assert all(t.split(":")[0] in {"de", "en"} for t in tokens)


@needs_dictionaries
def test_names_are_not_translated() -> None:
    groups = term_groups("Why did Aliyev skip the talks?", "en", {"de"})
    assert not any("alij" in t for g in groups for t in g)


@needs_dictionaries
def test_german_nouns_are_words_not_names() -> None:
    """German capitalises every noun: "Bewohnern" must still reach Dutch "inwoner", while names stay out."""
    groups = term_groups("Was will Aserbaidschan laut Alijew mit den armenischen Bewohnern erreichen?", "de", {"nl"})
    tokens = {t for g in groups for t in g}
    assert "nl:inwoner" in tokens or "nl:bewoner" in tokens
    assert not any("alij" in t or "aserbaid" in t for t in tokens)


@needs_dictionaries
def test_a_name_the_corpus_capitalises_is_not_translated_from_german() -> None:
    """ "Blinken" is also the German verb "to flash": the English articles' capital says it is a name."""
    from qa.text.terms import corpus_names

    names = corpus_names([("US Secretary of State Antony Blinken spoke to Aliyev.", "en")])
    assert "blinken" in names and "spoke" not in names
    question = "Was sagte Blinken über die Grenze?"
    with_names = {t for g in term_groups(question, "de", {"en"}, names) for t in g}
    assert not any("flash" in t or "blink" in t for t in with_names) and "en:border" in with_names


@needs_dictionaries
@pytest.mark.parametrize(
    "word,forms",
    [("l'accord", ["accord"]), ("sull'accordo", ["accordo"]), ("affirme-t-il", ["affirme"]), ("aliyev's", ["aliyev"]),
     ("aujourd'hui", ["aujourd'hui"]), ("trend-meldung", ["trend", "meldung"])],
)
def test_lookup_forms_drop_elisions_clitics_and_possessives(word: str, forms: list[str]) -> None:
    from qa.text.terms import lookup_forms

    assert lookup_forms(word) == forms


@needs_dictionaries
def test_elided_words_are_translated_and_elided_names_are_not() -> None:
    tokens = {t for g in term_groups("Qu'a dit l'Arménie sur l'accord ?", "fr", {"en"}) for t in g}
    assert "en:agreement" in tokens or "en:accord" in tokens
    assert not any(t.startswith("en:armenia") for t in tokens)  # "l'Arménie" is a name: the name keys match it


@needs_dictionaries
def test_a_compound_no_dictionary_lists_is_translated_through_its_parts() -> None:
    tokens = {t for g in term_groups("Wie leidde het vredesproces?", "nl", {"de", "en"}) for t in g}
    assert "de:fried" in tokens and "en:peac" in tokens


@needs_dictionaries
def test_cross_lingual_lexical_match() -> None:
    texts = ["Die Grenze zwischen beiden Ländern ist noch nicht festgelegt.", "Der Präsident reiste nach Moskau."]
    index = LexicalIndex.fit(texts, ["de", "de"])
    scores = index.stem_scores(translated_tokens("¿Dónde está la frontera?", "es", {"de"}))
    assert scores is not None and int(scores.argmax()) == 0 and scores[0] > 0


@needs_dictionaries
def test_compounds_contribute_their_parts() -> None:
    from qa.text.terms import compound_parts

    assert compound_parts("grenspost", "nl") == ("grens", "post")
    assert compound_parts("friedensvertrag", "de")[-1] == "vertrag"
    assert compound_parts("verhandlungen", "de") == ()  # not a compound
    assert compound_parts("grenspost", "en") == ()  # English writes compounds apart
    assert "nl:post" in stem_tokens("bij de grenspost", "nl")


def test_fold_keeps_numbers_whole() -> None:
    """Doubled letters merge spellings (Paschinjan ~ Pashinyan); doubled digits are a different number."""
    from qa.text.fold import fold

    assert fold("300") == "300" and fold("1.000") == fold("1,000") == "1000"
    assert fold("44-day") == "44dai" and fold("Paschinjan") == fold("Pashinyan")


def test_each_name_of_a_hyphenated_pair_is_indexed() -> None:
    """ "the Aghdam-Khankendi road": a question about Aghdam must find it by name."""
    from qa.text.fold import fold
    from qa.text.terms import doc_tokens

    tokens = doc_tokens("Baku proposed the Aghdam-Khankendi road.")
    assert "w:" + fold("Aghdam") in tokens and "w:" + fold("Khankendi") in tokens



def test_corpus_names_are_words_capitalised_wherever_they_stand() -> None:
    from qa.text.fold import fold
    from qa.text.terms import corpus_names

    sentences = [
        ("Prime Minister Nikol Pashinyan spoke to Blinken.", "en"),
        ("The foreign minister met Blinken in Almaty.", "en"),
        ("During the talks the minister said nothing.", "en"),
        ("Die Minister trafen sich.", "de"),  # German capitals say nothing
    ]
    names = corpus_names(sentences)
    assert {fold("Blinken"), fold("Pashinyan"), fold("Almaty")} <= names
    assert "minister" not in names and "during" not in names and "the" not in names
