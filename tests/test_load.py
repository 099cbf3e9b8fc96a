"""Loading, cleaning, metadata and bad files (no model needed)."""

from __future__ import annotations

from pathlib import Path

from conftest import SEEDS, write_article

from qa.clean import content_spans
from qa.langid import detect
from qa.load import load_corpus


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
