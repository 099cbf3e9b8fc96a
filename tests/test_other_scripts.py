"""Corpora beyond the seeds: Ukrainian, Arabic, Japanese, French and Spanish articles, questions in several languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_article

from qa import ask, build_index
from qa.eval.evaluate import check_citations

ARTICLES = {
    "ja.txt": "東京で新しい鉄道路線が開業した。\n\n国土交通省によると、総工費は約六百億円で、一日あたり十万人の利用が見込まれている。開業式典には首相も出席した。\n",
    "uk.txt": "Київ відкрив новий міст через Дніпро\n\nМіська рада повідомила в понеділок, що будівництво тривало чотири роки "
    "і коштувало 2,3 мільярда гривень. Міст з'єднає Оболонь і Троєщину.\n",
    "ar.txt": "افتتاح مطار جديد في الدوحة\n\nأعلنت وزارة النقل يوم الأحد أن المطار الجديد سيستقبل عشرين مليون مسافر سنويا. "
    "وبلغت تكلفة المشروع ثلاثة مليارات دولار.\n",
}


@pytest.fixture(scope="module")
def other_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("scripts")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        write_article(corpus, name, text)
    build_index(corpus, root / "index")
    return corpus, root / "index"


@pytest.mark.parametrize(
    "question,lang,expected",
    [
        ("Скільки коштував новий міст у Києві?", "uk", "2,3 мільярда"),
        ("كم مسافرا سيستقبل مطار الدوحة الجديد؟", "ar", "عشرين مليون"),
        ("Who attended the opening ceremony of the railway?", "en", "首相"),
    ],
)
def test_answers_from_the_sentence_that_says_it(other_index, question: str, lang: str, expected: str) -> None:
    corpus, index = other_index
    ans = ask(question, corpus=corpus, index=index)
    assert ans.language == lang and not ans.abstained
    assert check_citations(ans, corpus) == []
    assert expected in ans.citations[0].quote


def test_a_latin_name_is_not_missing_from_a_corpus_written_in_kanji(other_index) -> None:
    """"Tokyo" is written 東京 in the article: the corpus cannot be said not to name it."""
    from qa.answer.compose import ComposerSettings, missing_anchors
    from qa.retrieve.engine import get_engine

    corpus, index = other_index
    retrieval = get_engine(corpus, index).retrieve("Who opened the new line in Tokyo?", 10, language="en")
    assert missing_anchors(retrieval, ComposerSettings(), "en") == []
    assert ask("Who won Eurovision 2024?", corpus=corpus, index=index).abstained


FRENCH = (
    "Le gouvernement annonce un plan pour le rail\n\nParis (AFP) – Le ministre des Transports a présenté mardi un plan "
    "de 100 milliards d'euros pour moderniser le réseau ferroviaire d'ici 2040. Les syndicats ont salué l'annonce.\n"
)


def test_a_country_named_through_its_capital(tmp_path: Path) -> None:
    """The article never says "France", only "Paris (AFP)": the question about France is answered, not refused."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_article(corpus, "fr.txt", FRENCH)
    ans = ask("How much money will France invest in its railways?", corpus=corpus, index=tmp_path / "index")
    assert not ans.abstained and "100 milliards" in ans.citations[0].quote
    assert ask("What did Erdogan say about the railways?", corpus=corpus, index=tmp_path / "index").abstained


def test_one_japanese_article_does_not_excuse_every_unknown_name(tmp_path: Path) -> None:
    """Names unknown to a mostly European corpus still mean "the articles do not say"."""
    import shutil

    from conftest import SEEDS

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    write_article(corpus, "ja.txt", ARTICLES["ja.txt"])
    ans = ask("What did Erdogan say about the peace treaty?", corpus=corpus, index=tmp_path / "index")
    assert ans.abstained and not ans.citations
