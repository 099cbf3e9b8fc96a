"""The reader's training data: exact cross-lingual links, and validation items scored as what they are."""

from __future__ import annotations

import json

import pytest

from qa.answer.fusion import CANDIDATE_FEATURES
from training.crosslingual import linked_by_id, parallel_paragraphs
from training.data import Question
from training.fusion import fit_and_write, fit_scorer, load_rows
from training.validate import groups


def _q(lang: str, qid: str, title: str = "T", paragraph: int = 0, answers=((0, 3),)) -> Question:
    return Question(f"{lang}:{qid}", title, lang, f"q {qid}?", "abc def.", paragraph, list(answers), [])


def test_questions_are_linked_by_their_squad_id_only_when_answerable_and_of_one_article() -> None:
    es = [_q("es", "1"), _q("es", "2"), _q("es", "3", answers=()), _q("es", "4")]
    it = [_q("it", "1"), _q("it", "2", title="Other"), _q("it", "3"), _q("it", "9")]
    assert [(a.qid, b.qid) for a, b in linked_by_id(es, it)] == [("es:1", "it:1")]


def test_parallel_paragraphs_follow_chains_and_drop_ambiguous_versions() -> None:
    en, es, it = _q("en", "a"), _q("es", "b"), _q("it", "b")
    versions = parallel_paragraphs([(en, es), (es, it)])
    assert versions[("en", "T", 0)] == {("es", "T", 0), ("it", "T", 0)}  # en-es + es-it gives en-it
    # Two Italian paragraphs linked to one Spanish one: neither is the Spanish one's version.
    it2 = _q("it", "c", paragraph=1)
    versions = parallel_paragraphs([(es, it), (es, it2)])
    assert versions[("es", "T", 0)] == set()


def test_an_answerable_question_with_only_its_other_window_is_not_scored_as_unanswerable() -> None:
    def row(qid: str, answer, kind: str) -> dict:
        return {"qid": qid, "w_lang": "en", "answer": answer, "kind": kind}

    rows = [
        row("a", [0, 3], "answer"), row("a", None, "other-window"),  # answerable, both windows
        row("b", None, "other-window"),  # answerable, but its answer crossed every window
        row("c", None, "plausible"), row("c", None, "unanswerable"),  # unanswerable
    ]  # fmt: skip
    assert sorted(g[0]["qid"] for g in groups(rows, 10)) == ["a", "c"]


def test_the_lead_threshold_is_chosen_by_questions_handled_right_then_fewer_false_refusals() -> None:
    from training.composer_grid import MIN_LEAD, choose_lead, objective

    def m(cited: float, abstention: float, false: float) -> dict[str, float]:
        return {"cited": cited, "abstention": abstention, "false": false, "answerable": 400, "unanswerable": 200}

    # 288 + 18 = 306 against 286 + 20 = 306: a tie in questions right, broken by fewer false refusals.
    assert objective(m(0.72, 0.09, 0.035)) > objective(m(0.715, 0.10, 0.04))
    assert objective(m(0.75, 0.0, 0.0)) > objective(m(0.70, 0.05, 0.0))  # 300 right against 290
    # Leads below the floor are measured but never chosen, however well they score; ties keep the first row.
    rows = [(0.5, m(0.715, 0.10, 0.04)), (-0.5, m(0.72, 0.09, 0.035)), (MIN_LEAD - 2, m(0.9, 0.5, 0.0))]
    assert choose_lead(rows)[0] == -0.5
    assert choose_lead([(0.5, m(0.7, 0.1, 0.0)), (-0.5, m(0.7, 0.1, 0.0))])[0] == 0.5
    assert choose_lead(rows[2:]) is None


def test_the_grid_reads_each_window_set_once_whatever_the_thresholds() -> None:
    from training.composer_grid import CachedReader

    class Counting:
        threshold, veto_threshold, lead_threshold = -6.0, -9.0, 3.0
        calls = 0

        def read(self, question, windows, sentences=None):
            Counting.calls += 1
            return [len(w) for w in windows]

    cached = CachedReader(Counting())
    lower = cached.with_thresholds(lead_threshold=-1.0)
    assert (lower.lead_threshold, lower.threshold, cached.lead_threshold) == (-1.0, -6.0, 3.0)
    assert cached.read("q", ["ab", "c"]) == lower.read("q", ["ab", "c"]) == [2, 1]
    assert Counting.calls == 1
    lower.read("q", ["ab"], [[(0, 2)]])
    assert Counting.calls == 2


def test_the_validation_corpus_writes_each_part_once_and_its_gold_offsets_point_at_the_answer(tmp_path) -> None:
    from training.valcorpus import PARAGRAPHS_PER_ARTICLE, _articles, gold_spans, part_languages, write_articles

    def q(lang: str, paragraph: int, context: str, answer: str, title: str = "Normans") -> Question:
        start = context.index(answer)
        return Question(f"{lang}:{paragraph}", title, lang, "?", context, paragraph, [(start, start + len(answer))], [])

    later = PARAGRAPHS_PER_ARTICLE  # the first paragraph of the second part
    questions = [
        q("en", 0, "The Normans came from Normandy.", "Normandy"),
        q("es", 0, "Los normandos venían de Normandía.", "Normandía"),
        q("en", later, "Rollo led them.", "Rollo"),
        q("es", later, "Rollón los guiaba.", "Rollón"),
        q("fr", 0, "Lyon est une ville.", "Lyon", title="Lyon"),
    ]
    parts = _articles(questions)
    written = part_languages(parts)
    assert set(written) == {("Normans", 0), ("Normans", 1), ("Lyon", 0)}
    assert written[("Normans", 0)] != written[("Normans", 1)]  # the parts rotate over the languages
    files = write_articles(parts, written, tmp_path)
    assert len(list(tmp_path.iterdir())) == 3  # one file per part, in one language only
    for question in questions:
        spans = gold_spans(question, written, files)
        if written[(question.title, question.paragraph // PARAGRAPHS_PER_ARTICLE)] != question.lang:
            assert spans is None  # asked of a part written in another language: only a twin's gold counts
            continue
        (span,) = spans
        s, e = question.answers[0]
        assert (tmp_path / span["source"]).read_text(encoding="utf-8")[span["start"] : span["end"]] == question.context[s:e]


def test_every_news_training_question_resolves_to_exact_offsets_with_its_answer_inside() -> None:
    """The news folders are training data: a quote that moved or a key term outside it would teach a wrong span."""
    from qa.eval.evaluate import load_questions
    from training.newsdata import NEWS_DIR, answer_span

    parts = sorted(p for p in NEWS_DIR.iterdir() if (p / "questions.jsonl").is_file())
    assert len(parts) >= 8
    for part in parts:
        questions = load_questions(part / "questions.jsonl", part / "articles")
        assert any(not q.answerable for q in questions) and any(q.answerable for q in questions)
        for q in questions:
            if not q.answerable:
                assert not q.gold and not q.key_terms
                continue
            # the first gold holds a key term; later ones (the same fact in another version) may word it otherwise
            text = (part / "articles" / q.gold[0].source).read_text(encoding="utf-8")
            span = answer_span(q, text, q.gold[0])
            assert span is not None, q.id
            assert q.gold[0].start <= span[0] < span[1] <= q.gold[0].end
            assert text[span[0] : span[1]] in q.key_terms


def test_a_news_story_is_named_by_its_number_whatever_the_version() -> None:
    from training.newsdata import story_of

    assert story_of("03_nl_staking.txt") == story_of("03_de_hafenstreik.txt") == "03"
    assert story_of("notes.txt") == "notes.txt"


def _newsqa_folders() -> list:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "training" / "newsqa"
    return sorted(p for p in root.iterdir() if (p / "questions.jsonl").is_file())


def test_every_news_training_question_quotes_its_article_exactly_once() -> None:
    """Training windows are cut around the gold quote: a quote that is absent or repeated labels the wrong window."""
    import json

    problems = []
    for folder in _newsqa_folders():
        texts = {p.name: p.read_text(encoding="utf-8") for p in (folder / "articles").glob("*.txt")}
        for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            assert q["answerable"] == bool(q["gold"]), q["id"]
            for g in q["gold"]:
                n = texts.get(g["source"], "").count(g["quote"])
                if n != 1:
                    problems.append((q["id"], g["source"], n))
    assert len(_newsqa_folders()) >= 19
    assert problems == []


def test_a_no_answer_row_is_its_answer_window_without_the_answering_sentence(tmp_path) -> None:
    import json

    from training.removed_evidence import KIND, build, without_evidence

    window = "Talks broke down. Velora asked 40 million euros. The court named a trustee."
    sentences = [(0, 17), (18, 48), (49, 75)]
    row = {"qid": "q1", "title": "t", "question": "How much?", "window": window, "answer": (31, 41), "sentences": sentences, "kind": "answer"}
    made = without_evidence(row)
    assert made is not None and made["answer"] is None and made["kind"] == KIND and made["title"] == "t"
    assert made["window"] == "Talks broke down. The court named a trustee."
    assert [made["window"][s:e] for s, e in made["sentences"]] == ["Talks broke down.", "The court named a trustee."]
    # No row where the answer still stands in what is left, nor from a row without an answer or without neighbours.
    twice = {**row, "window": window[:49] + "It was 40 million.", "sentences": [(0, 17), (18, 48), (49, 67)]}
    assert without_evidence(twice) is None
    assert without_evidence({**row, "answer": None}) is None
    assert without_evidence({**row, "window": window[18:48], "answer": (13, 23), "sentences": [(0, 30)]}) is None
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in (row, {**row, "answer": None})) + "\n", encoding="utf-8")
    assert build(rows, tmp_path / "out.jsonl")["made"] == 1


def _dump_row(i: int, gold_article: float) -> dict:
    """A dumped question whose gold candidate is told apart by the ``article`` feature alone."""
    def candidate(gold: bool) -> dict:
        features = dict.fromkeys(CANDIDATE_FEATURES, 0.0)
        features["article"] = gold_article if gold else 0.0
        return {"source": "a.txt", "features": features, "margin": 0.0, "span": False, "similarity": 0.8, "gold": gold}

    outcome = {"abstained": False, "cited": False, "first": False}
    return {
        "file": f"f{i % 5}", "id": f"q{i}", "answerable": i % 3 != 0, "expected": None, "missing_anchors": 0,
        "default": outcome, "rules": outcome, "candidates": [candidate(False), candidate(True), candidate(False)],
    }  # fmt: skip


def test_the_fusion_fit_learns_a_feature_and_its_ablation_zeroes_it(tmp_path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps(_dump_row(i, 1.0)) + "\n" for i in range(40)), encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("", encoding="utf-8")
    rows = load_rows([dump], [questions])
    assert fit_scorer(rows)[CANDIDATE_FEATURES.index("article")] > 1.0
    card = tmp_path / "reader.json"
    with_it = fit_and_write([dump], [questions], card, write=False)
    without = fit_and_write([dump], [questions], card, write=False, without=["article"])
    assert not card.exists()  # an ablation writes nothing
    first = [line for line in with_it.splitlines() if line.startswith("| learned choice")][0]
    ablated = [line for line in without.splitlines() if line.startswith("| learned choice")][0]
    assert first.split("|")[2].strip() == "1.000" and float(ablated.split("|")[2]) < 1.0
    with pytest.raises(ValueError, match="not candidate features"):
        fit_and_write([dump], [questions], card, write=False, without=["no-such-feature"])
