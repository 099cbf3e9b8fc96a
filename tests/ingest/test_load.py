"""Loading, cleaning, metadata and bad files (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS, write_article

from qa.ingest.clean import content_spans
from qa.ingest.load import load_corpus
from qa.text.langid import detect


def _by_source(corpus: Path):
    loaded, skipped = load_corpus(corpus)
    return {x.article.source: x for x in loaded}, skipped


def test_seed_metadata() -> None:
    arts, skipped = _by_source(SEEDS)
    assert skipped == []
    assert {s: a.article.lang for s, a in arts.items()} == {
        "000_a188032d522a8897.txt": "de",
        "001_06f901e48db8709c.txt": "en",
        "002_5d9d8f054d7f16f1.txt": "de",
        "003_acc803eeaf1aa10d.txt": "nl",
        "004_7b9f7186373ab6fd.txt": "en",
    }
    assert arts["004_7b9f7186373ab6fd.txt"].article.date == "2024-08-28"
    assert arts["004_7b9f7186373ab6fd.txt"].article.title.startswith("Putin Calls Aliyev")
    assert arts["002_5d9d8f054d7f16f1.txt"].article.outlet == "Reuters"
    assert not arts["002_5d9d8f054d7f16f1.txt"].article.title.endswith("Reuters")
    assert arts["003_acc803eeaf1aa10d.txt"].article.outlet == "Azertag.az"
    assert arts["001_06f901e48db8709c.txt"].article.outlet == "Trend"
    assert len({a.article.id for a in arts.values()}) == 5


def test_boilerplate_is_not_content_but_offsets_are_original() -> None:
    for path in SEEDS.iterdir():
        text = path.read_text(encoding="utf-8")
        kept = " ".join(text[s:e] for s, e in content_spans(text))
        for junk in ("Cookies are used", "Anzeige eines Drittanbieters", "Anzeigen entfernen", "source site-20", "Referentie:"):
            assert junk not in kept, (path.name, junk)
        for s, e in content_spans(text):
            assert text[s:e] == text[s:e].strip() and e > s


def test_repeated_title_line_indexed_once() -> None:
    text = (SEEDS / "001_06f901e48db8709c.txt").read_text(encoding="utf-8")
    lines = [text[s:e] for s, e in content_spans(text)]
    assert lines.count("Azerbaijan's president says ready for Armenia peace talks") == 1


def test_date_prefix_is_metadata_not_content() -> None:
    text = (SEEDS / "004_7b9f7186373ab6fd.txt").read_text(encoding="utf-8")
    first = content_spans(text)[0]
    assert text[first[0] : first[1]].startswith("Putin Calls Aliyev")


def test_bad_files_are_skipped_with_reasons(small_corpus: Path) -> None:
    write_article(small_corpus, "good.txt", "Der Vertrag wurde am Montag in Berlin unterzeichnet. Beide Seiten zeigten sich zufrieden.")
    write_article(small_corpus, "empty.txt", "")
    write_article(small_corpus, "blank.md", "   \n\n  ")
    write_article(small_corpus, "binary.txt", b"\x00\x01\x02PNG\x00" * 20)
    write_article(small_corpus, "latin1.txt", "Gespräche über Verträge".encode("latin-1"))
    write_article(small_corpus, "copy.txt", "Der Vertrag wurde am Montag in Berlin unterzeichnet.  Beide Seiten zeigten sich zufrieden.\n")
    write_article(small_corpus, "photo.jpg", b"\xff\xd8\xff")
    arts, skipped = _by_source(small_corpus)
    assert list(arts) == ["copy.txt"]  # sorted first; good.txt is its duplicate
    reasons = {s.source: s.reason for s in skipped}
    assert reasons["good.txt"] == "duplicate of copy.txt"
    assert reasons["empty.txt"] == "empty file"
    assert "whitespace" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "unsupported" in reasons["photo.jpg"]


def test_bom_and_crlf_keep_offsets_of_read_text(small_corpus: Path) -> None:
    path = write_article(small_corpus, "bom.txt", "\ufeffTitel der Meldung\r\n\r\nDer erste Satz steht hier. Der zweite folgt.\r\n".encode())
    arts, _ = _by_source(small_corpus)
    loaded = arts["bom.txt"]
    text = path.read_text(encoding="utf-8")
    assert loaded.text == text
    for s, e in loaded.spans:
        assert text[s:e].strip() == text[s:e]


def test_question_language_detection() -> None:
    assert detect("Why did Aliyev skip the Granada talks?") == "en"
    assert detect("Warum hat Alijew die Gespräche in Spanien abgesagt?") == "de"
    assert detect("Waarom belde Blinken met president Aliyev?") == "nl"
    assert detect("Pourquoi Aliyev a-t-il refusé de venir à Grenade ?") == "fr"
    assert detect("Aliyev Granada?", fallback="en") == "en"  # too short to tell


# Datelines and credits of many outlets: (dateline, ISO date or None, the date as written, outlet).
DATELINES = [
    ("BERLIN, 3. März (dpa) – Die Regierung hat", None, None, "dpa"),
    ("PARIS, le 3 mars (AFP) – Le gouvernement a", None, None, "AFP"),
    ("14 de marzo de 2025 (EFE)", "2025-03-14", "14 de marzo de 2025", "EFE"),
    ("Amsterdam, 3 maart – De gemeente heeft", None, None, None),
    ("ROMA, 5 marzo (ANSA) – Il governo ha", None, None, "ANSA"),
    ("Warszawa, 4 marca (PAP) – Rząd przyjął", None, None, "PAP"),
    ("LONDON, March 3 (Reuters) - The government", None, None, "Reuters"),
    ("Sevilla, 14 de marzo de 2025 (EFE). El puerto", "2025-03-14", "14 de marzo de 2025", "EFE"),
    ("14 de marzo de 2025 (Agencia Levante)", "2025-03-14", "14 de marzo de 2025", "Agencia Levante"),
    ("LONDON, March 3, 2025 (Reuters) - The government", "2025-03-03", "March 3, 2025", "Reuters"),
    ("BERLIN, 3. März 2025 (dpa) – Die Regierung", "2025-03-03", "3. März 2025", "dpa"),
    ("Amsterdam, 3 maart 2025 – De gemeente", "2025-03-03", "3 maart 2025", None),
    ("Warszawa, 4 listopada 2024 (PAP) – Rząd", "2024-11-04", "4 listopada 2024", "PAP"),
    ("Москва, 3 марта 2025 (ТАСС) – Правительство", "2025-03-03", "3 марта 2025", "ТАСС"),
    ("Lisboa, 3 de março de 2025 (Lusa) – O governo", "2025-03-03", "3 de março de 2025", "Lusa"),
    ("Wien, 03.03.2025 (APA) – Die Regierung", "2025-03-03", "03.03.2025", "APA"),
    ("Wien, 31. Februar 2025 (APA) – Die Regierung", None, None, "APA"),  # no such day
    ("Op 29 juli heeft de minister gebeld.", None, None, None),  # running text, not a dateline
    ("the talks, 3 March 2025 - were held", None, None, None),  # lower case: running text
]


@pytest.mark.parametrize(("dateline", "iso", "written", "outlet"), DATELINES)
def test_datelines_of_many_languages(dateline: str, iso: str | None, written: str | None, outlet: str | None) -> None:
    """Date and outlet come from the dateline, and their spans point at exactly what the text writes."""
    from qa.ingest.metadata import date_of, date_span_of, outlet_of, outlet_span_of, title_of

    text = f"A headline about the port\n\n{dateline} more text.\nA second sentence.\n"
    assert date_of(text) == iso
    span = date_span_of(text)
    assert (text[span[0] : span[1]] if span else None) == written
    assert outlet_of(text) == outlet
    span = outlet_span_of(text)
    assert (text[span[0] : span[1]] if span else None) == outlet
    assert title_of(text, fallback="x") == "A headline about the port"


def test_a_dateline_line_is_not_the_title(small_corpus: Path) -> None:
    """An article that opens with its dateline is titled by its first real line and loads date and outlet."""
    text = "14 de marzo de 2025 (Agencia Levante)\nEl puerto de Valencia estrena su terminal de hidrógeno\n"
    write_article(small_corpus, "valencia.txt", text + "La terminal costó 30 millones de euros, dijo el puerto.\n")
    article = _by_source(small_corpus)[0]["valencia.txt"].article
    assert article.title == "El puerto de Valencia estrena su terminal de hidrógeno"
    assert (article.date, article.outlet) == ("2025-03-14", "Agencia Levante")
    assert text[article.date_span[0] : article.date_span[1]] == "14 de marzo de 2025"
