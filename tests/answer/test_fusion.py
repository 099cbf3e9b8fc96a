"""The learned fusion (qa/answer/fusion.py): its card block, its features, and its place in ask()."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from helpers import ask_with_fresh_engine

from qa.answer.fusion import CANDIDATE_FEATURES, QUESTION_FEATURES, Candidate, Fusion, candidate_matrix, question_vector
from qa.answer.read import READER_DIR

FEATURES = {"e5": 1.0, "reader": 0.5, "anchors": 1.0, "rank_prior": 1.0, "passage": 0.2, "answer_type": 1.0, "terms": 0.5, "hinted": 0.0, "article": 1.0}


def fusion(**changes: float) -> Fusion:
    weights = np.zeros(len(CANDIDATE_FEATURES))
    weights[CANDIDATE_FEATURES.index("margin")] = 1.0
    abstain = np.zeros(len(QUESTION_FEATURES))
    abstain[QUESTION_FEATURES.index("max_margin")] = -1.0
    return Fusion(weights, abstain, float(changes.get("threshold", 0.0)), 1.5)


def test_the_shipped_card_carries_a_usable_fusion() -> None:
    card = json.loads((READER_DIR / "reader.json").read_text(encoding="utf-8"))
    shipped = Fusion.from_card(card["fusion"])
    assert shipped.quote_margin > 0 and np.isfinite(shipped.abstain_threshold)
    assert "valcorpus" in card["fusion"]["fitted"]  # where it was fitted, and by which command
    again = Fusion.from_card(shipped.to_card())
    assert np.allclose(again.weights, shipped.weights) and np.allclose(again.abstain_weights, shipped.abstain_weights)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b.update(candidate_features=["e5"]),  # fitted on other features
        lambda b: b.update(weights=b["weights"][:-1]),  # wrong shape
        lambda b: b.update(abstain_weights=[float("nan")] * len(QUESTION_FEATURES)),
        lambda b: b.pop("abstain_threshold"),
    ],
)
def test_a_block_that_does_not_fit_is_refused(damage) -> None:
    block = fusion().to_card()
    damage(block)
    with pytest.raises((KeyError, ValueError)):
        Fusion.from_card(block)


def test_an_unread_sentence_gets_the_weakest_read_margin() -> None:
    read = Candidate(FEATURES, 2.0, True, 0.8)
    weak = Candidate(FEATURES, -4.0, False, 0.8)
    unread = Candidate(FEATURES, None, False, 0.8)
    x = candidate_matrix([read, weak, unread], "number")
    m = CANDIDATE_FEATURES.index("margin")
    assert x[2, m] == x[1, m] < x[0, m]
    assert x[0, CANDIDATE_FEATURES.index("typed_required")] == 1.0  # "how many" asks for the number it holds
    assert candidate_matrix([read], None)[0, CANDIDATE_FEATURES.index("typed_required")] == 0.0


def test_the_model_answers_by_the_margin_and_abstains_without_candidates() -> None:
    f = fusion(threshold=0.0)
    sure, unsure = Candidate(FEATURES, 3.0, True, 0.9), Candidate(FEATURES, -3.0, False, 0.9)
    scores = f.scores([unsure, sure], None)
    assert int(np.argmax(scores)) == 1
    assert not f.abstains([unsure, sure], scores, None, 0)  # max margin 3 / 5: score -0.6 <= 0
    assert f.abstains([unsure], f.scores([unsure], None), None, 0)  # -(-3 / 5) = 0.6 > 0
    vector, top = question_vector([], np.zeros(0), None, 0)
    assert top == -1 and f.abstains([], np.zeros(0), None, 0) and vector.shape == (len(QUESTION_FEATURES),)


def test_a_card_with_a_broken_fusion_answers_with_the_hand_weights(seed_index, tmp_path, monkeypatch, caplog) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    card = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    card["fusion"]["weights"] = card["fusion"]["weights"][:3]
    (folder / "reader.json").write_text(json.dumps(card), encoding="utf-8")
    monkeypatch.setenv("QA_READER_DIR", str(folder))
    corpus, index = seed_index
    with caplog.at_level("WARNING"):
        ans = ask_with_fresh_engine("Why did Aliyev skip the Granada talks?", corpus, index)
    assert ans.composer == "reader" and not ans.abstained and ans.citations  # the reader still reads
    assert "fusion" in caplog.text and "hand-weighted composer" in caplog.text


def test_learned_and_hand_modes_both_answer_and_cite_exact_spans(seed_index, monkeypatch) -> None:
    """The learned choice reorders the same candidates; abstention stays with the hand rules by default."""
    from functools import partial

    import qa.answer.ask
    from qa import ask
    from qa.answer.compose import ComposerSettings, compose

    corpus, index = seed_index
    texts = {p.name: p.read_text(encoding="utf-8") for p in corpus.iterdir() if p.suffix == ".txt"}
    for mode in ("learned", "fusion"):
        monkeypatch.setattr(qa.answer.ask, "compose", partial(compose, settings=ComposerSettings(reader_mode=mode)))
        ans = ask("Who was supposed to mediate the talks in Spain?", corpus=corpus, index=index)
        assert not ans.abstained and ans.citations
        for c in ans.citations:
            assert texts[c.source][c.start : c.end] == c.quote
        unknown = ask("What did Erdogan say about the peace talks?", corpus=corpus, index=index)
        assert unknown.abstained  # a name the corpus never mentions abstains in both modes
