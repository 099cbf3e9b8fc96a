"""The composer's candidate sentences and their features, dumped from the whole pipeline, for fitting a fusion.

    python -m training fusion-dump [--corpus .cache/valcorpus-all] [--out .cache/fusion/valcorpus-all.json]

Each question of the corpus is retrieved once, exactly as ``ask()`` does; the
default composer's candidates are then scored with the reader, and every
candidate's named features (``Scored.features``), its reader margin, whether
the reader found a span, its e5 cosine and whether it holds the gold answer are
written out, with question-level facts (answerable, kind, the article of the
gold, what the default composer did). The reader never trained on these
articles (the validation split), so its margins here are what it gives on
unseen text: the right input for a second-stage model (stacking).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.compose import ComposerSettings, candidate_sentences, compose, missing_anchors
from qa.answer.fusion import CANDIDATE_FEATURES, Candidate, Fusion, candidate_matrix, question_vector
from qa.answer.read import get_reader, reader_for
from qa.eval.evaluate import hits_gold, with_fresh_indexes
from qa.question.answertype import expected_type
from qa.retrieve.engine import get_engine, resolve_paths

from .composer_grid import CachedReader, question_field, retrievals, update_card

L2 = 0.01  # on both models' weights (the abstention model's standardised)
FALSE_RATE = 0.05  # the abstention threshold keeps false abstention on the corpus at most this
QUOTE_MARGIN = 1.5  # further quotes within this of the best score (about 1.6 quotes per answer)


def dump(corpora: list[Path], out: Path, passages: int | None = None, model: Path | None = None) -> dict[str, Any]:
    """Write one JSON line per question of each corpus (``articles/`` and ``questions.jsonl``) to ``out``.

    Each corpus is indexed and retrieved on its own, as a user's folder would be.
    """
    return dump_files([(c.name, c / "questions.jsonl", c / "articles") for c in corpora], out, passages, model)


def dump_files(
    files: list[tuple[str, Path, Path]], out: Path, passages: int | None = None, model: Path | None = None
) -> dict[str, Any]:
    """The same for ``(name, questions file, articles folder)`` triples (the bench files: qa.eval.evaluate.QUESTION_FILES).

    ``model``: a reader artefact other than the shipped one (a candidate run).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        paths = {name: path for name, path, _ in files}
        for name, questions, articles, index in with_fresh_indexes(files):
            items = retrievals(questions, question_field(paths[name], "kind"), articles, index)
            engine_reader = reader_for(get_engine(*resolve_paths(articles, index)))
            if engine_reader is None:
                raise SystemExit("the reader artefact could not be loaded")
            if model is not None:
                engine_reader = get_reader(engine_reader.base, model)
            reader = CachedReader(engine_reader)
            settings = ComposerSettings(reader_mode="fusion")  # the dumped "default" is the hand fusion
            if passages is not None:
                settings = replace(settings, passages=passages)
            for it in items:
                q = it.question
                composed = compose(it.retrieval, it.language, settings, reader=reader)
                rules = compose(it.retrieval, it.language, settings, reader=None)
                candidates = candidate_sentences(it.retrieval, settings, it.language, reader)
                row = {
                    "file": name,
                    "id": q.id,
                    "kind": it.kind,
                    "language": it.language,
                    "answerable": q.answerable,
                    "gold_sources": sorted({g.source for g in q.gold}),
                    "expected": expected_type(it.retrieval.question, it.language),
                    "missing_anchors": len(missing_anchors(it.retrieval, settings, it.language)),
                    "default": _outcome(composed, q),
                    "rules": _outcome(rules, q),
                    "candidates": [
                        {
                            "source": c.source,
                            "lang": c.passage.lang,
                            "features": c.features,
                            "margin": c.margin,
                            "span": c.answer is not None,
                            "similarity": c.similarity,
                            "gold": hits_gold(c.source, c.start, c.end, q.gold),
                        }
                        for c in candidates
                    ],
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    return {"questions": n, "out": str(out)}


def _outcome(composed: Any, q: Any) -> dict[str, Any]:
    return {
        "abstained": composed.abstained,
        "cited": (not composed.abstained) and any(hits_gold(x.source, x.start, x.end, q.gold) for x in composed.citations),
        "first": bool(composed.citations) and hits_gold(composed.citations[0].source, composed.citations[0].start, composed.citations[0].end, q.gold),
    }


def load_rows(dump_paths: list[Path], questions_paths: list[Path]) -> list[dict[str, Any]]:
    """The dumped rows, each with the unit its fold is drawn by.

    That unit is the question's article title where its file names one (the
    validation corpus), else its corpus: a news corpus's stories share names
    and facts across its articles, so one corpus goes to one fold whole.
    """
    articles: dict[str, str] = {}
    for path in questions_paths:
        articles.update(question_field(path, "article"))
    rows = []
    for dump_path in dump_paths:
        rows += [json.loads(line) for line in dump_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["article"] = articles.get(row["id"]) or row["file"]
    return rows


def candidates_of(row: dict[str, Any]) -> list[Candidate]:
    return [Candidate(c["features"], c["margin"], c["span"], c["similarity"]) for c in row["candidates"]]


def fit_scorer(rows: list[dict[str, Any]], l2: float = L2) -> np.ndarray:
    """Weights maximising the softmax probability of the gold sentences among each question's candidates."""
    from scipy.optimize import minimize

    data = []
    for r in rows:
        if r["answerable"] and len(r["candidates"]) > 1:
            gold = np.asarray([c["gold"] for c in r["candidates"]], dtype=bool)
            if gold.any():
                data.append((candidate_matrix(candidates_of(r), r["expected"]), gold))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, gold in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            pg = p[gold].sum()
            total -= np.log(pg + 1e-12)
            grad += p @ x - (p[gold] @ x[gold]) / (pg + 1e-12)  # d(-log sum_gold p)/dw
        return total / len(data) + l2 * (w @ w), grad / len(data) + 2 * l2 * w

    w0 = np.zeros(len(CANDIDATE_FEATURES))
    w0[CANDIDATE_FEATURES.index("e5")] = 1.0
    return minimize(loss, w0, jac=True, method="L-BFGS-B").x


def question_matrix(rows: list[dict[str, Any]], w: np.ndarray) -> tuple[np.ndarray, list[int]]:
    vectors, tops = [], []
    for r in rows:
        cands = candidates_of(r)
        v, top = question_vector(cands, candidate_matrix(cands, r["expected"]) @ w, r["expected"], r["missing_anchors"])
        vectors.append(v)
        tops.append(top)
    return np.asarray(vectors), tops


def fit_abstention(rows: list[dict[str, Any]], w: np.ndarray, l2: float = L2) -> np.ndarray:
    """Logistic weights for "unanswerable" over QUESTION_FEATURES (fitted standardised, returned raw)."""
    from scipy.optimize import minimize

    x, _ = question_matrix(rows, w)
    y = np.asarray([not r["answerable"] for r in rows], dtype=float)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    mu[-1], sd[-1] = 0.0, 1.0  # the bias column
    z = (x - mu) / sd

    def loss(v: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1 / (1 + np.exp(-(z @ v)))
        ll = -(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)).mean()
        return ll + l2 * (v[:-1] @ v[:-1]), z.T @ (p - y) / len(y) + 2 * l2 * np.r_[v[:-1], 0.0]

    v = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    raw = v / sd
    raw[-1] = v[-1] - float((v[:-1] * mu[:-1] / sd[:-1]).sum())
    return raw


def threshold_for(rows: list[dict[str, Any]], scores: np.ndarray, false_rate: float) -> float:
    """The abstention threshold under which at most ``false_rate`` of the answerable rows are refused."""
    answerable = np.sort(scores[[bool(r["answerable"]) for r in rows]])[::-1]
    k = int(np.floor(false_rate * len(answerable)))
    return float(answerable[min(k, len(answerable) - 1)])


def fit(rows: list[dict[str, Any]], false_rate: float = FALSE_RATE, quote_margin: float = QUOTE_MARGIN) -> Fusion:
    w = fit_scorer(rows)
    a = fit_abstention(rows, w)
    x, _ = question_matrix(rows, w)
    return Fusion(w, a, threshold_for(rows, x @ a, false_rate), quote_margin)


def measure(
    rows: list[dict[str, Any]], fusion: Fusion, max_quotes: int = 3, abstained: str | None = None
) -> dict[str, float]:
    """first (the first quote holds the gold) / cited (any quote) / abstention / false abstention / quotes.

    ``abstained="default"``: abstain where the dumped hand composer did (its rules), not by the fusion.
    """
    first = cited = answerable = unanswerable = refused = false = quotes = 0
    for r in rows:
        cands = candidates_of(r)
        scores = fusion.scores(cands, r["expected"])
        if abstained is not None:
            abstain = bool(r[abstained]["abstained"])
        else:
            abstain = fusion.abstains(cands, scores, r["expected"], r["missing_anchors"])
        if not r["answerable"]:
            unanswerable += 1
            refused += abstain
            continue
        answerable += 1
        false += abstain
        if abstain:
            continue
        order = np.argsort(-scores, kind="stable")
        chosen = [int(i) for i in order[:max_quotes] if scores[i] >= scores[order[0]] - fusion.quote_margin]
        quotes += len(chosen)
        first += bool(r["candidates"][chosen[0]]["gold"])
        cited += any(r["candidates"][i]["gold"] for i in chosen)
    return {
        "first": first / max(answerable, 1),
        "cited": cited / max(answerable, 1),
        "abstention": refused / max(unanswerable, 1),
        "false": false / max(answerable, 1),
        "quotes": quotes / max(answerable - false, 1),
    }


def baseline(rows: list[dict[str, Any]], which: str) -> dict[str, float]:
    """The same figures for what the dumped composer did (``default`` or ``rules``)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        "first": sum(r[which]["first"] and not r[which]["abstained"] for r in answerable) / max(len(answerable), 1),
        "cited": sum(r[which]["cited"] for r in answerable) / max(len(answerable), 1),
        "abstention": sum(r[which]["abstained"] for r in unanswerable) / max(len(unanswerable), 1),
        "false": sum(r[which]["abstained"] for r in answerable) / max(len(answerable), 1),
        "quotes": float("nan"),
    }


def cross_validate(rows: list[dict[str, Any]], folds: int = 5) -> str:
    """A markdown table: the dumped composers against fusions fitted on the other folds (split by article)."""
    fold_of = {a: zlib.crc32(a.encode()) % folds for a in {r["article"] for r in rows}}
    results: dict[str, list[dict[str, float]]] = {}
    for k in range(folds):
        train = [r for r in rows if fold_of[r["article"]] != k]
        test = [r for r in rows if fold_of[r["article"]] == k]
        if not test or not train:
            continue  # few units (one per news folder): a fold can be empty
        results.setdefault("rules only (dumped)", []).append(baseline(test, "rules"))
        results.setdefault("default: hand fusion (dumped)", []).append(baseline(test, "default"))
        w = fit_scorer(train)
        a = fit_abstention(train, w)
        x, _ = question_matrix(train, w)
        for margin in (1.0, 1.5):
            label = f"learned choice, hand abstention (shipped at 1.5), quote margin {margin}"
            results.setdefault(label, []).append(measure(test, Fusion(w, a, np.inf, margin), abstained="default"))
        for rate in (0.03, 0.05, 0.08):
            for margin in (1.0, 1.5):
                fusion = Fusion(w, a, threshold_for(train, x @ a, rate), margin)
                label = f"learned, false-abstention target {rate}, quote margin {margin}"
                results.setdefault(label, []).append(measure(test, fusion))
    names = ("first", "cited", "abstention", "false", "quotes")
    lines = ["| composer | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, per_fold in results.items():
        cells = [f"{np.mean([m[n] for m in per_fold]):.3f}" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_fusion(card_path: Path, fusion: Fusion, note: str) -> None:
    update_card(card_path, fusion=fusion.to_card(false_abstention_target=FALSE_RATE, fitted=note))


def fit_and_write(
    dump_paths: list[Path], questions_paths: list[Path], card_path: Path, write: bool = True, without: Sequence[str] = ()
) -> str:
    """The cross-validated table; then the fusion fitted on every row, written into the reader's card.

    ``without``: candidate features zeroed in every row first, the ablation row of a
    feature (what the fusion does when it cannot see it).
    """
    rows = load_rows(dump_paths, questions_paths)
    unknown = set(without) - set(CANDIDATE_FEATURES)
    if unknown:
        raise ValueError(f"not candidate features: {sorted(unknown)}; they are {CANDIDATE_FEATURES}")
    for row in rows:
        for c in row["candidates"]:
            c["features"].update(dict.fromkeys(without, 0.0))
    table = cross_validate(rows)
    if not write:
        return table
    fusion = fit(rows)
    answerable = sum(bool(r["answerable"]) for r in rows)
    folders = " ".join(q.parent.name for q in questions_paths)
    note = (
        f"{len(rows)} questions ({answerable} answerable) of {folders}, which this reader never trained on "
        f"(python -m training fusion-dump --corpus …; python -m training fusion-fit --corpus …); the abstention "
        f"threshold keeps false abstention there at {FALSE_RATE}; folds in training/validation.md"
    )
    write_fusion(card_path, fusion, note)
    return table + "\n\n" + json.dumps(fusion.to_card(), indent=1)
