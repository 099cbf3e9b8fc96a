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
