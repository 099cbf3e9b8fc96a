"""Sentence splitting and token-budgeted windows keep exact offsets."""

from __future__ import annotations

from conftest import SEEDS

from qa.ingest.chunk import windows
from qa.ingest.clean import content_spans
from qa.ingest.sentences import split_sentences
from qa.settings import ChunkSettings
from qa.text.tokens import count_tokens, encoding


def test_tiktoken_works_offline(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tk"))
    encoding.cache_clear()
    try:
        assert count_tokens("Aserbaidschan und Armenien", "cl100k_base") > 3
        assert any((tmp_path / "tk").iterdir())
    finally:
        encoding.cache_clear()


def test_sentences_are_exact_and_split_abbreviations_correctly() -> None:
    text = (SEEDS / "001_06f901e48db8709c.txt").read_text(encoding="utf-8")
    sents = split_sentences(text, content_spans(text), "en")
    spans = [text[s:e] for s, e in sents]
    assert any(s.startswith("When new clashes erupted on Sept. 27, 2020") for s in spans)  # "Sept." is no boundary
    assert "We are ready to start immediately the process of delimitation of our borders." in spans  # inside a quote


def test_windows_cover_every_sentence_within_budget() -> None:
    settings = ChunkSettings(max_tokens=80, window_sentences=2)
    for path in SEEDS.iterdir():
        text = path.read_text(encoding="utf-8")
        sents = split_sentences(text, content_spans(text), "de")
        wins = windows(text, sents, settings)
        covered = {span for _, spans in wins for span in spans}
        for (s, e), spans in wins:
            assert s == spans[0][0] and e == spans[-1][1]
            if len(spans) > 1:
                assert count_tokens(text[s:e]) <= settings.max_tokens
        for s, e in sents:  # whole, or cut into pieces that start and end on it
            pieces = sorted(p for p in covered if s <= p[0] and p[1] <= e)
            assert pieces and pieces[0][0] == s and pieces[-1][1] == e


def test_overlong_sentence_is_cut_at_words() -> None:
    text = "wort " * 500
    wins = windows(text, [(0, len(text) - 1)], ChunkSettings(max_tokens=50))
    assert len(wins) > 5
    for (s, e), _ in wins:
        assert count_tokens(text[s:e]) <= 50
        assert not text[s:e].startswith(" ") and not text[s:e].endswith(" ")


def test_pysbd_with_each_pattern_compiled_once_splits_as_with_plain_re(monkeypatch) -> None:
    """The compiled-pattern cache under pysbd (a build's speed) must not move a sentence boundary."""
    import re
    import sys

    import pysbd

    from qa.ingest import sentences

    texts = {
        "en": "Dr. Smith met Prof. Jones at 10 a.m. on Jan. 5. They spoke of the U.S. talks. He left.",
        "de": "Dr. Müller kam um 10 Uhr an. Er sprach mit Prof. Schmidt u. a. über die Gespräche. Dann ging er.",
        "nl": "Dhr. Jansen zei o.a. dat de grens dicht blijft. De minister, mr. De Vries, was het eens.",
        "fr": "M. Dupont a vu Mme Martin à 10 h. Ils ont parlé des négociations. Puis il est parti.",
    }
    cached = {lang: sentences.split_span(t, 0, len(t), lang) for lang, t in texts.items()}
    assert all(len(spans) >= 2 for spans in cached.values()), cached
    shimmed = [m for n, m in sys.modules.items() if n.startswith("pysbd") and isinstance(getattr(m, "re", None), sentences._CompiledOnce)]
    assert shimmed, "pysbd still calls the plain re module"
    for module in shimmed:
        monkeypatch.setattr(module, "re", re)
    for lang, text in texts.items():
        plain = [(s.start, s.end) for s in pysbd.Segmenter(language=lang, clean=False, char_span=True).segment(text)]
        # pysbd's char spans keep trailing spaces; ours are trimmed
        assert [(a, a + len(text[a:b].rstrip())) for a, b in plain] == cached[lang], lang
