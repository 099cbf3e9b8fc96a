"""Ranked passages for a question: the public ``search()`` and its engine.

The engine keeps the loaded index and model for the life of the process
(loading costs seconds, a query milliseconds) and re-checks the corpus
folder at most every ``_STALE_CHECK_SECONDS`` so new or edited articles are
picked up without a restart.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa import store
from qa.embed.encoders import get_embedder, query_blas
from qa.errors import IndexCorruptError, IndexWriteError
from qa.question.answertype import counted_noun, counts_asked_thing
from qa.question.expand import expansions
from qa.question.hints import SOLE_DATE_STRENGTH, Hints, month_keys, month_of, outlet_index, question_hints
from qa.question.normalise import normalise_question
from qa.settings import Settings
from qa.store.build import build_index, index_signature, is_stale
from qa.store.filters import Filters, matches
from qa.text.fold import fold, salient_words, words
from qa.text.langid import detect
from qa.text.terms import capital_is_ordinary, query_tokens, stem_tokens, term_groups, translated_tokens
from qa.types import BuildSummary, Passage

_STALE_CHECK_SECONDS = 2.0



@dataclass
class Retrieval:
    """One retrieval, with what the answer step reuses (no second embedding)."""

    question: str  # normalised
    passages: list[Passage]
    query_vectors: list[np.ndarray]
    bridges: list[str]  # place names added across languages
    data: store.IndexData
    hints: Hints = field(default_factory=Hints)  # outlets and months the question names
    alignment: dict[int, float] = field(default_factory=dict)  # sentence row -> word alignment (qa/embed/align.py)
    anchors: list[set[str]] = field(default_factory=list)  # see question_anchors()
    allowed: np.ndarray | None = None  # chunk ids the filters allow (None: no filter)
    read_as: str | None = None  # a follow-up as the reader reads it, if not as ``question`` (qa/answer/ask.py)
    cited_before: list[tuple[str, int, int]] = field(default_factory=list)  # a follow-up: the spans the last answer cited

    @property
    def reader_question(self) -> str:
        return self.read_as or self.question


class Engine:
    """A loaded index plus its embedder, kept in step with the corpus."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.RLock()
        self._checked = 0.0
        self.data: store.IndexData | None = None
        self.last_build: BuildSummary | None = None
        self.write_error: str | None = None  # why the last update could not be saved, if it could not
        self.refresh(force_check=True)

    # -- index lifecycle -------------------------------------------------
    def refresh(self, force_check: bool = False) -> store.IndexData:
        """Reload or rebuild when the corpus changed; cheap when nothing did."""
        now = time.monotonic()
        if self.data is not None and not force_check and now - self._checked < _STALE_CHECK_SECONDS:
            return self.data
        with self._lock:
            self._checked = now
            try:
                manifest = store.read_manifest(self.settings.index)
            except IndexCorruptError:
                manifest = None
            stale = (
                manifest is None
                or manifest.get("signature") != index_signature(self.settings)
                or is_stale(self.settings.corpus, manifest)
            )
            if stale:
                try:
                    self.last_build = build_index(settings=self.settings)
                except IndexWriteError as exc:
                    # Read-only folder or full disk: keep answering from the index we
                    # have (same model), rather than failing every question.
                    if manifest is None or manifest.get("signature") != index_signature(self.settings):
                        raise
                    self.write_error = str(exc)
            current = store.current_generation(self.settings.index)
            if self.data is None or self.data.path != current:
                try:
                    self.data = store.load(self.settings.index)
                except IndexCorruptError:
                    self.last_build = build_index(settings=self.settings, force=True)
                    self.data = store.load(self.settings.index)
            assert self.data is not None
            return self.data

    # -- retrieval -------------------------------------------------------
    def allowed_chunks(self, data: store.IndexData, filters: Filters | None) -> np.ndarray | None:
        """Chunk ids that pass the filters (None = no filter)."""
        if not filters:
            return None
        sources = {a.source for a in data.articles.values() if matches(a, filters)}
        return data.chunks.ids_of_sources(sources)

    def rewrites(self, text: str, language: str, corpus_langs: set[str]) -> list[str]:
        """With an LLM configured, the question translated into the other corpus languages (else [])."""
        if not self.settings.llm_url:
            return []
        return list(_cached_rewrites(text, tuple(sorted(corpus_langs - {language})), self.settings))

    def hints(self, text: str, language: str, data: store.IndexData) -> Hints:
        """Outlets and months the question names (the outlet table is built once per loaded index)."""
        outlets = data.derived("outlets", lambda: outlet_index(data.articles.values()))
        return question_hints(text, language, outlets)

    def encode_query(self, text: str) -> list[np.ndarray]:
        """The question in every dense view (primary model first)."""
        return [get_embedder(m).query(text) for m in self.settings.models]

    def encode_query_tokens(self, text: str, data: store.IndexData) -> tuple[list[np.ndarray], np.ndarray | None]:
        """:meth:`encode_query`, plus the question's token states when the index has sentences' ones."""
        primary = get_embedder(self.settings.model)
        layer = self.settings.align_layer
        if data.tokens is None or self.settings.align_weight <= 0 or not primary.has_layer(layer):
            return self.encode_query(text), None
        vec, tokens = primary.query_with_tokens(text, layer)
        return [vec] + [get_embedder(m).query(text) for m in self.settings.models[1:]], tokens

    def retrieve(
        self, question: str, k: int = 10, filters: Filters | None = None, language: str | None = None
    ) -> Retrieval:
        """Hybrid retrieval: dense views and lexical name keys, fused on normalised scores.

        Candidates come from every ranker (each searching with the filter
        applied inside it), then every candidate is scored by every view.
        The primary (e5) scores are z-normalised *per article language*:
        e5 rates any passage in the question's own language higher, and
        removing that offset lifted recall@5 from 0.75 to 0.84 on our
        cross-lingual questions. The other views are z-normalised over all
        candidates and added with the weights in ``Settings.fusion_weights``.
        Per language, a language with one article loses every difference
        between articles ("How much did the hydrogen terminal in Valencia
        cost?" ranks the Lyon lead first); ``Settings.same_language_offset``
        subtracts a fixed offset instead (opt-in, session 39).
        ``language`` is the question's, when the caller has detected it already.
        """
        text = normalise_question(question, self.settings.max_question_chars)
        data = self.refresh()
        allowed = self.allowed_chunks(data, filters)
        depth = max(self.settings.fusion_depth, 3 * k)
        corpus_langs = {a.lang for a in data.articles.values()}
        bridges = expansions(salient_words(text), corpus_langs)
        language = language or detect(text, fallback="en")
        rewrites = self.rewrites(text, language, corpus_langs)
        qvecs, qtokens = self.encode_query_tokens(text, data)
        if rewrites:
            # The question and its translations as one query per view: their
            # mean sits between the languages instead of near the question's own.
            views = zip(qvecs, *(self.encode_query(r) for r in rewrites))
            qvecs = [unit(np.mean(np.stack(vs), axis=0)) for vs in views]
        candidates: set[int] = set()
        for index, qvec in zip(data.dense, qvecs):
            candidates.update(index.search(qvec, depth, allowed, filters)[1].tolist())
        weights = self.settings.fusion_weights
        lexical = None
        if weights[-1] > 0:
            lexical = data.lexical.keys(query_tokens(text, bridges))
            candidates.update(lexical.top(depth, allowed, filters)[1].tolist())
        stems = None
        if self.settings.stem_weight > 0 and data.lexical.has_stems:
            tokens = translated_tokens(text, language, corpus_langs, data.names())
            for rewrite in rewrites:  # already in a corpus language: its own stems
                tokens.extend(stem_tokens(rewrite, detect(rewrite, fallback=language)))
            stems = data.lexical.stems(tokens)
            candidates.update(stems.top(depth, allowed, filters)[1].tolist())
        ids = np.asarray(sorted(candidates), dtype=np.int64)
        if len(ids) == 0:
            return Retrieval(text, [], qvecs, bridges, data, self.hints(text, language, data), allowed=allowed)
        langs = np.asarray([data.articles[data.chunks.source(i)].lang for i in ids])
        fused = np.zeros(len(ids), dtype=np.float64)
        offset = self.settings.same_language_offset
        for v, qvec in enumerate(qvecs):
            scores = data.chunk_vectors[v][ids] @ qvec
            if v == 0 and offset is not None:
                scores = scores - offset * (langs == language)
            fused += weights[min(v, len(weights) - 2)] * zscore(scores, langs if v == 0 and offset is None else None)
        if lexical is not None:
            fused += weights[-1] * zscore(lexical.at(ids))
        if stems is not None:
            fused += self.settings.stem_weight * zscore(stems.at(ids))
        alignment: dict[int, float] = {}
        if qtokens is not None and data.tokens is not None:
            # Each candidate chunk scores as its best-aligned sentence.
            rows = sorted({r for i in ids for r in data.chunk_sentences[i]})
            with query_blas():  # a matrix product: threaded BLAS racing other queries varies the last bits
                alignment = dict(zip(rows, data.tokens.alignment(qtokens, rows).tolist()))
            best = np.asarray([max((alignment[r] for r in data.chunk_sentences[i]), default=0.0) for i in ids])
            fused += self.settings.align_weight * zscore(best, langs)
        anchors = question_anchors(text, corpus_langs, language, data.names())
        if anchors and self.settings.anchor_weight > 0:
            # Passages that name every person and place asked about (a place also
            # through its country: Granada ~ Spanien) are the likelier answers.
            covered = [sum(1 for a in anchors if a & data.chunk_keys(int(i))) / len(anchors) for i in ids]
            fused += self.settings.anchor_weight * np.asarray(covered)
        noun = counted_noun(text, language) if self.settings.count_weight > 0 else None
        if noun:
            # "How many days…": passages where a number counts days (in any corpus language).
            asked = set().union(*term_groups(noun, language, corpus_langs, data.names()))
            counted = [counts_asked_thing(data.chunks.text(i), str(lang), asked) for i, lang in zip(ids, langs)]
            fused += self.settings.count_weight * np.asarray(counted, dtype=np.float64)
        hints = self.hints(text, language, data)
        if hints and self.settings.hint_weight > 0:
            boost = {a.source: hints.boost(a) for a in data.articles.values()}
            boosts = np.asarray([boost[data.chunks.source(i)] for i in ids])
            fused += self.settings.hint_weight * boosts
            if hints.strength >= SOLE_DATE_STRENGTH and (boosts > 0).any():
                # A question that names only a date asks for that date's articles: the
                # date becomes a filter, as a search engine infers one from the query.
                ids, fused = ids[boosts > 0], fused[boosts > 0]
        order = np.argsort(-fused, kind="stable")[:k]
        passages = [to_passage(data, int(ids[i]), float(fused[i])) for i in order]
        return Retrieval(text, passages, qvecs, bridges, data, hints, alignment, anchors, allowed)

    def search(self, question: str, k: int = 10, filters: Filters | None = None) -> list[Passage]:
        return self.retrieve(question, k, filters).passages


def question_anchors(
    question: str, corpus_langs: set[str], language: str = "en", names: frozenset[str] = frozenset()
) -> list[set[str]]:
    """Folded keys of each question anchor, with the country names a place bridges to.

    One set per anchor, so "Granada" counts once whether the sentence says
    Granada or Spanien, and a long list of country names cannot dilute it.
    A month is an anchor in every corpus language ("July" ~ "juli", "juillet").
    A German noun is no anchor ("Straßenbahnen", "Wasserstoff-Terminal"):
    ``names`` are the words the corpus writes as names (``IndexData.names``).
    """
    out = []
    for word in salient_words(question):
        if capital_is_ordinary(word, language, names):
            continue
        keys = {fold(word)}
        month = month_of(word, {language})
        if month is not None:
            keys |= month_keys(month, tuple(sorted(corpus_langs)))
        else:
            # No lower-case words of a name: "República Bolivariana de Venezuela" must not make
            # "de" an anchor that every Spanish or French sentence covers (scripts without case keep all).
            keys |= {fold(w) for name in expansions([word], corpus_langs) for w in words(name) if not w[:1].islower()}
        out.append(keys)
    return out


@lru_cache(maxsize=256)
def _cached_rewrites(text: str, languages: tuple[str, ...], settings: Settings) -> tuple[str, ...]:
    """One LLM call per question, however often it is retrieved (ask, follow-ups, the page)."""
    from qa.llm.rewrite import rewrite_query

    return tuple(rewrite_query(text, languages, settings))


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to length one (cosine = dot product)."""
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def zscore(scores: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Scores centred and scaled, within each group when groups are given."""
    out = np.zeros(len(scores), dtype=np.float64)
    keys = np.zeros(len(scores), dtype=int) if groups is None else groups
    for g in np.unique(keys):
        mask = keys == g
        part = scores[mask].astype(np.float64)
        out[mask] = (part - part.mean()) / (part.std() + 1e-6) if mask.sum() > 1 else 0.0
    return out


def to_passage(data: store.IndexData, chunk_id: int, score: float) -> Passage:
    chunk = data.chunks[chunk_id]
    article = data.articles[chunk.source]
    return Passage(
        source=chunk.source,
        title=article.title,
        lang=article.lang,
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=score,
        chunk_id=chunk.id,
        date=article.date,
        outlet=article.outlet,
        sentences=chunk.sentences,
    )


_ENGINES: dict[tuple[str, ...], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(corpus: Path | str | None = None, index: Path | str | None = None, settings: Settings | None = None) -> Engine:
    """The process-wide engine for this corpus/index/model (created on first use)."""
    settings = settings or Settings.from_env(corpus=corpus, index=index)
    # Everything that changes answers is in the key, so a new QA_LLM_URL takes effect.
    index = settings.index if isinstance(settings.index, str) else str(Path(settings.index).resolve())
    paths = (str(Path(settings.corpus).resolve()), index)
    key = (*paths, settings.model, settings.second_model, settings.llm_url, settings.llm_model)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = Engine(settings)
    return engine


def search(
    query: str,
    k: int = 10,
    *,
    filters: Filters | None = None,
    corpus: Path | str | None = None,
    index: Path | str | None = None,
) -> list[Passage]:
    """The ``k`` passages that best answer ``query``, best first.

    Builds or updates the index on first use. Relative ``corpus``/``index``
    paths are resolved against the current directory, falling back to the
    repository's own ``seeds/`` and ``index/``; unset, they come from
    ``QA_CORPUS`` / ``QA_INDEX`` (a folder or a ``postgresql://`` URL).
    """
    return get_engine(*resolve_paths(corpus, index)).search(query, k, filters)


def resolve_paths(corpus: Path | str | None, index: Path | str | None) -> tuple[Path, Path | str]:
    """Relative folders resolved here or in the repository; a database URL as is.

    None means the environment's ``QA_CORPUS`` / ``QA_INDEX``, else ``seeds/``
    and ``index/``: so ``QA_INDEX=postgresql://…`` switches every entry point.
    """
    import os

    from qa.settings import REPO_ROOT, index_location

    corpus = os.environ.get("QA_CORPUS") or "seeds" if corpus is None else corpus
    index = os.environ.get("QA_INDEX") or "index" if index is None else index

    def resolve(p: Path | str) -> Path:
        p = Path(p)
        if p.is_absolute() or p.exists():
            return p
        return REPO_ROOT / p

    location = index_location(index)
    return resolve(corpus), location if isinstance(location, str) else resolve(location)
