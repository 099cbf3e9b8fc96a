"""The learned fusion: which sentence answers, and whether any does, from the composer's features.

The hand-built composer added its features with weights set by hand on the
seed questions, and decided with rules when to abstain (a weak e5 match, no
number for "how many", the reader's lead). Here both decisions are two small
linear models fitted on the whole pipeline's output over articles nobody wrote
a rule for (the reader's validation split as a corpus: training/fusion.py):

- a listwise sentence scorer: a softmax over each question's candidate
  sentences, trained to put the gold sentence first;
- an abstention model: logistic regression for "unanswerable" over what the
  scorer's winner looks like (how sure the softmax is, the reader's margins,
  the e5 cosine, the question's names the corpus lacks), with the threshold
  set for a chosen false-abstention rate on the same corpus.

The weights live in the reader's card (``fusion``), because they are fitted to
that reader's margins: a retrained reader needs a refit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.question.answertype import DATE, NUMBER

CANDIDATE_FEATURES = (
    "e5", "reader", "anchors", "rank_prior", "passage", "answer_type", "terms", "hinted",
    "margin", "span", "typed_required", "article",
)  # fmt: skip
QUESTION_FEATURES = (
    "top_p", "gap", "max_margin", "top_margin", "top_similarity", "missing", "untyped_required",
    "top_anchors", "top_terms", "top_e5", "spans", "bias",
)  # fmt: skip
REQUIRED = (NUMBER, DATE)  # kinds whose answer is a figure or a date the sentence must hold
MARGIN_RANGE = (-15.0, 10.0)  # reader margins are clipped here, then divided by MARGIN_SCALE
MARGIN_SCALE = 5.0
MAX_GAP = 5.0
MAX_SPANS = 5


def scaled_margin(margin: float) -> float:
    """A reader margin as a feature: clipped to MARGIN_RANGE, divided by MARGIN_SCALE."""
    return float(np.clip(margin, *MARGIN_RANGE)) / MARGIN_SCALE


@dataclass(frozen=True)
class Candidate:
    """What the fusion sees of one candidate sentence (``Scored`` in the composer, a dumped row in training)."""

    features: Mapping[str, float]  # Scored.features
    margin: float | None  # the reader's margin, None when it did not read the sentence
    span: bool  # the reader found an answer span above its threshold
    similarity: float  # raw e5 cosine with the question


def candidate_matrix(candidates: Sequence[Candidate], expected: str | None) -> np.ndarray:
    """One row of CANDIDATE_FEATURES per candidate; an unread sentence gets the weakest read margin."""
    read = [c.margin for c in candidates if c.margin is not None and np.isfinite(c.margin)]
    floor = min(read) if read else MARGIN_RANGE[0]
    required = float(expected in REQUIRED)
    rows = []
    for c in candidates:
        f = c.features
        m = c.margin if c.margin is not None and np.isfinite(c.margin) else floor
        rows.append(
            [f["e5"], f["reader"], f["anchors"], f["rank_prior"], f["passage"], f["answer_type"], f["terms"],
             f["hinted"], scaled_margin(m), float(c.span), f["answer_type"] * required, f["article"]]
        )  # fmt: skip
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(CANDIDATE_FEATURES))


def question_vector(
    candidates: Sequence[Candidate], scores: np.ndarray, expected: str | None, missing: int
) -> tuple[np.ndarray, int]:
    """QUESTION_FEATURES of the question given the scorer's ``scores``, and the winner's index (-1: none)."""
    if len(candidates) == 0:
        floor = scaled_margin(MARGIN_RANGE[0])
        return np.asarray([0, 0, floor, floor, 0, float(missing > 0), 1, 0, 0, 0, 0, 1.0]), -1
    order = np.argsort(-scores, kind="stable")
    top = int(order[0])
    p = np.exp(scores - scores.max())
    p /= p.sum()
    gap = float(scores[order[0]] - scores[order[1]]) if len(scores) > 1 else MAX_GAP
    margins = [c.margin for c in candidates if c.margin is not None and np.isfinite(c.margin)] or [MARGIN_RANGE[0]]
    best = candidates[top]
    best_margin = best.margin if best.margin is not None and np.isfinite(best.margin) else min(margins)
    vector = [
        float(p[top]),
        min(gap, MAX_GAP),
        scaled_margin(max(margins)),
        scaled_margin(best_margin),
        best.similarity,
        float(missing > 0),
        float(expected in REQUIRED and not best.features["answer_type"]),
        best.features["anchors"],
        best.features["terms"],
        best.features["e5"],
        min(sum(c.span for c in candidates), MAX_SPANS) / MAX_SPANS,
        1.0,
    ]
    return np.asarray(vector, dtype=np.float64), top


@dataclass(frozen=True)
class Fusion:
    """The fitted weights (the reader card's ``fusion`` block)."""

    weights: np.ndarray  # over CANDIDATE_FEATURES
    abstain_weights: np.ndarray  # over QUESTION_FEATURES
    abstain_threshold: float  # abstain when the abstention score is above it
    quote_margin: float  # further quotes score at most this much below the best (learned units)

    def scores(self, candidates: Sequence[Candidate], expected: str | None) -> np.ndarray:
        return candidate_matrix(candidates, expected) @ self.weights

    def abstains(self, candidates: Sequence[Candidate], scores: np.ndarray, expected: str | None, missing: int) -> bool:
        vector, top = question_vector(candidates, scores, expected, missing)
        return top < 0 or float(vector @ self.abstain_weights) > self.abstain_threshold

    @staticmethod
    def from_card(block: Mapping[str, Any]) -> Fusion:
        """Read the card's block; a block fitted on other features is refused (KeyError/ValueError)."""
        if tuple(block["candidate_features"]) != CANDIDATE_FEATURES or tuple(block["question_features"]) != QUESTION_FEATURES:
            raise ValueError("the card's fusion was fitted on other features: refit it (python -m training fusion-fit)")
        weights = np.asarray(block["weights"], dtype=np.float64)
        abstain = np.asarray(block["abstain_weights"], dtype=np.float64)
        if weights.shape != (len(CANDIDATE_FEATURES),) or abstain.shape != (len(QUESTION_FEATURES),):
            raise ValueError("the card's fusion weights have the wrong shape")
        if not (np.isfinite(weights).all() and np.isfinite(abstain).all()):
            raise ValueError("the card's fusion weights are not finite")
        return Fusion(weights, abstain, float(block["abstain_threshold"]), float(block["quote_margin"]))

    def to_card(self, **provenance: Any) -> dict[str, Any]:
        return {
            "candidate_features": list(CANDIDATE_FEATURES),
            "weights": [round(float(x), 5) for x in self.weights],
            "question_features": list(QUESTION_FEATURES),
            "abstain_weights": [round(float(x), 5) for x in self.abstain_weights],
            "abstain_threshold": round(self.abstain_threshold, 5),
            "quote_margin": self.quote_margin,
            **provenance,
        }
