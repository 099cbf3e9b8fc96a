"""The extractive composer: pick the sentences that answer, frame and cite them.

No packaged model here can generate or translate well, so the default answer
is made of the corpus' own sentences, quoted verbatim in their language and
framed in the question's language. Quoting keeps every claim verifiable.
It abstains when the evidence does not cover the question's anchors (names,
numbers, places) or when even the best sentence is a weak match: a similarity
threshold alone cannot tell answerable from unanswerable questions.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

import numpy as np

from qa import store
from qa.answer.fusion import Candidate, Fusion
from qa.answer.read import Reader
from qa.llm.prompts import abstain_message, article_label, frame, language_name, quote_marks, topic_message
from qa.question.answertype import DATE, NUMBER, REASON, SOURCE, expected_type, has_answer, has_topic
from qa.question.expand import city_country, expansions, is_place, places
from qa.question.hints import month_keys, month_of
from qa.retrieve.engine import Retrieval, to_passage, zscore
from qa.settings import env_count
from qa.text.fold import fold, salient_words, unspaced_letters, words
from qa.text.langid import detect
from qa.text.terms import NOUN_CAPITALISING, is_common_word, stem_tokens, term_groups
from qa.types import Article, Citation, Passage


@dataclass(frozen=True)
class ComposerSettings:
    passages: int = 5  # top passages whose sentences compete
    # With the learned fusion: when the top ``passages`` give no answer, read this many before
    # abstaining (0: never). The gold window of a cross-lingual story often ranks 6th-10th,
    # behind the question-language versions (training/validation.md, session 15).
    retry_passages: int = 0
    # With the learned fusion: up to this many further windows of the article ranked first, read when
    # the top ``passages`` give the reader no sure answer (``top_article_rest``, ``read_further_below``; 0 = off).
    # Opt-in in session 40 for its cost (ask() p50 145 -> 250 ms on 2 cores); on since the reader runs its
    # windows side by side. 4 windows below -3: cited-gold on the news folders 0.671 -> 0.686, corpus2
    # and corpus3 +1 and +2, held-out 1 -1, ask() p50 100-137 ms on every bench file (6 windows: news 0.690,
    # but 157 ms on one file; training/validation.md, session 41). QA_READ_FURTHER=0 turns it off.
    top_article_rest: int = field(default_factory=lambda: env_count("QA_READ_FURTHER", 4))
    # ... only when no sentence read has a reader span at or above this margin (raw; the reader's lead
    # threshold, where it is "sure", is -0.5): at -3 about half as many questions pay for the further
    # windows, with the same answers on the bench files and one fewer cited on the news folders.
    read_further_below: float = -3.0
    max_sentences: int = 3
    second_margin: float = 1.5  # further sentences must score within this of the best
    min_similarity: float = 0.78  # best sentence's e5 cosine below this: abstain
    # With an anchor (name, number) the corpus never mentions, abstain unless
    # the best sentence is at least this similar. Above 1 = always abstain:
    # "What did Erdogan say?" must not be answered with a similar-looking quote,
    # at the cost of some false abstentions on translated institution names.
    anchor_similarity: float = 1.01
    fuzzy: float = 0.75  # similarity for an anchor to match a corpus word
    # Sentence score = e5 z (per language) + weights below. Chosen on our
    # question file by a coarse grid over a plateau, not per question: the
    # selection rate moved by under 2 points anywhere near these values.
    # No USE z: passages are ranked with USE (qa/retrieve/engine.py), but single
    # sentences scored by it chose worse quotes (on the 147 answerable questions
    # of the four bench files, cited-gold 0.755 with it at 0.5, 0.810 without,
    # better in every file). So the build no longer embeds sentences with USE.
    anchors: float = 0.8  # share of the question's names/numbers (or their places' countries) in the sentence
    rank_prior: float = 0.3  # / (1 + rank of the passage it came from)
    passage: float = 0.3  # the passage's fused retrieval score
    answer_type: float = 0.5  # has the kind of span asked for (a number for "how many")
    terms: float = 1.0  # share of the question's content words (or their dictionary translations) in the sentence
    align: float = 1.0  # word-by-word alignment with the question (qa/embed/align.py), z over the candidates
    align_with_reader: bool = False  # ... also when the reader scores the sentences (off: its margin replaces it)
    hinted: float = 1.0  # in an article whose outlet or month the question names ("laut Reuters")
    # "How many…" / "When…" with no number / date among the best sentences: the
    # articles do not say. Names and places are too common to tell anything.
    required_types: tuple[str, ...] = (NUMBER, DATE)
    # Kinds whose typed sentence is preferred when close, without abstaining when none
    # is: a "why" answer gives a reason ("citing…", "because…"), a "which agency" one
    # comes from an article that credits one.
    preferred_types: tuple[str, ...] = (REASON, SOURCE)
    type_margin: float = 1.0  # a sentence with the asked-for kind of span may score this much below the best
    type_margin_same_article: float = 2.5  # ... or this much, in the best sentence's own article
    typed_extras: bool = True  # further quotes must have the asked-for kind of answer too (see select())
    type_similarity: float = 0.01  # ... or at any score, in that article, if its cosine is at most this much lower
    # The reader (qa/answer/read.py): quotes at most, how far below the best a further
    # quote's margin may be, extra margin over the calibrated threshold, and
    # whether names the corpus never mentions still veto an answer.
    reader_quotes: int = 2
    reader_second_margin: float = 2.0
    reader_margin: float = 0.0
    anchor_veto: bool = False
    metadata_citations: bool = True  # cite the article's date / credit line for "when" / "which agency"
    antecedents: bool = True  # a quote opening with "He"/"Dies" brings the sentence it points back to
    # "learned": the fusion fitted on the validation corpus (qa/answer/fusion.py, the reader card's
    # ``fusion``) weighs the features and chooses the quotes; "fusion": the hand weights above,
    # the reader's margin one more feature weighted by reader_weight, the reader's lead and the
    # typed reordering choose; "reader": the reader's span decides (and its no-answer abstains).
    # "learned" falls back to "fusion" when the card has no usable fusion block.
    reader_mode: str = "learned"
    # With "learned": the hand rules abstain (False), or the fusion's abstention model does (True:
    # on news questions it refused answerable ones, training/validation.md).
    learned_abstention: bool = False
    # With "learned": abstain too when the reader's margin in the chosen first quote is this far
    # below its no-answer threshold (None: off), i.e. the reader is sure that quote answers nothing.
    # Not for a quote from an article the question picked by its date or outlet ("What happened on
    # 28 August?"): the reader reads spans, and such a question asks for none. Chosen on the
    # validation corpus and the four news folders the reader never trained on, not on the bench
    # files: the highest offset at which neither loses a question whose gold was cited
    # (training/validation.md has the tables).
    first_quote_floor: float | None = -8.0
    # With "learned", in a follow-up: when every chosen quote repeats a span the last answer cited,
    # add the best-scored sentence that does not. Chosen on follow-ups written blind over two news
    # folders that are not the bench (bench/followups_news.jsonl: 10 -> 12 of 30; docs/followups.md).
    fresh_quote: bool = True
    reader_weight: float = 1.0
    # With the reader as a feature: abstain when every sentence read is below the reader's
    # veto threshold (a confident "no answer", calibrated on its validation split for
    # false abstention <= 0.02; the card's ``veto_threshold``). Off: on the bench files it
    # added false abstentions (uk/cs/az 0 -> 0.083) and little abstention (bench/reader.py).
    reader_veto: bool = False
    # ... and let the reader's sentence lead when its margin is above the card's
    # ``lead_threshold`` (chosen through the whole pipeline on the validation corpus,
    # training/composer_grid.py), and count a sentence where it found a span as a close
    # match for "how many" / "when".
    reader_lead: bool = True


@dataclass
class Composed:
    """What a composer returns: the framed text, its citations, and the reader's short answer."""

    text: str
    citations: list[Citation]
    abstained: bool
    short_answer: str | None = None


@dataclass
class Scored:
    source: str
    start: int
    end: int
    score: float
    similarity: float  # raw cosine of the primary model
    passage: Passage
    typed: bool = False  # contains the expected kind of answer
    answer: tuple[int, int] | None = None  # the reader's short answer: absolute span inside [start, end)
    margin: float | None = None  # the reader's margin over "no answer" in this sentence, when it read it
    # The score's terms before weighting (z of e5, alignment and reader; coverages; priors), by name:
    # what a learned fusion is fitted on (training/fusion.py).
    features: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The sentence itself, as it stands in the source file."""
        return sentence_text(self.passage, self.start, self.end)


def sentence_text(passage: Passage, start: int, end: int) -> str:
    """The file's characters ``start:end``, cut from a passage that contains them."""
    return passage.text[start - passage.start : end - passage.start]


# Sentence openers that point back at the previous sentence ("He said that is the
# only obstacle…", "Dies sei…"): such a quote needs its antecedent to be understood.
# Closed-class words only; articles that double as pronouns (de "das", nl "het") are left out.
_BACK_REFERENCES = {
    "en": "he she it they this that these those such",
    "de": "er sie es dies diese dieser dieses dabei damit darauf dazu deshalb daher dort",
    "nl": "hij zij ze dit dat deze daarmee daarbij daarom daar",
    "fr": "il elle ils elles ce cela ceci cette ces celui celle",
    "es": "él ella ellos ellas esto eso este esta estos estas ese esa",
    "it": "egli lui lei essi esso questo questa quello quella ciò",
    "pt": "ele ela eles elas isto isso este esta esse essa",
    "pl": "on ona ono oni one to ten ta te tego tym",
    "ru": "он она оно они это этот эта эти того этом",
}


def refers_back(sentence: str, lang: str) -> bool:
    """Whether the sentence opens with a pronoun or demonstrative (so quoting it alone loses its subject)."""
    first = words(sentence)[:1]
    return bool(first) and first[0].casefold() in _BACK_REFERENCES.get(lang, "").split()


def neighbour_passage(c: Scored, data: store.IndexData, rows: set[int]) -> Passage | None:
    """The passage of a chunk near ``c``'s that holds every sentence row in ``rows`` (None if none does).

    Windows are two sentences with a stride of one: a neighbour of c's passage holds c and the sentence
    before or after it.
    """
    around = range(max(0, c.passage.chunk_id - 2), min(len(data.chunks), c.passage.chunk_id + 2))
    for chunk_id in around:
        if rows <= set(data.chunk_sentences[chunk_id]):
            return to_passage(data, chunk_id, c.passage.score)
    return None


def with_antecedent(c: Scored, retrieval: Retrieval) -> Scored:
    """``c`` extended back over the previous sentence when it refers to it."""
    data = retrieval.data
    row = data.sentence_rows.get((c.source, c.start, c.end))
    if row is None or row == 0 or data.sentence_sources[row - 1] != c.source:
        return c
    if not refers_back(c.text, data.articles[c.source].lang):
        return c
    passage = neighbour_passage(c, data, {row - 1, row})
    return c if passage is None else replace(c, start=int(data.sentences[row - 1][0]), passage=passage)


def with_sequel(c: Scored, retrieval: Retrieval, groups: list[set[str]]) -> Scored:
    """``c`` extended over the next sentence when that one points back and names what the question asks, c not.

    "Bayramov … demanding that Armenia change its constitution." answers "What did he call the only
    obstacle…?", but only the next sentence, "He said that is the only obstacle…", ties it to the
    question; quoted alone, the answer reads as unrelated to what was asked.
    """
    data = retrieval.data
    row = data.sentence_rows.get((c.source, c.start, c.end))
    if row is None or row + 1 >= len(data.sentence_sources) or data.sentence_sources[row + 1] != c.source:
        return c
    passage = neighbour_passage(c, data, {row, row + 1})
    if passage is None:
        return c
    lang = data.articles[c.source].lang
    end = int(data.sentences[row + 1][1])
    sequel = sentence_text(passage, int(data.sentences[row + 1][0]), end)
    if refers_back(sequel, lang) and term_coverage(groups, sequel, lang) > term_coverage(groups, c.text, lang):
        return replace(c, end=end, passage=passage)
    return c


def overlaps(a: Scored, b: Scored) -> bool:
    """Whether two quotes share characters of one article (quotes of an answer never do)."""
    return a.source == b.source and a.start < b.end and b.start < a.end


def with_antecedents(chosen: list[Scored], retrieval: Retrieval, language: str | None = None) -> list[Scored]:
    """Each quote that points back, extended over its antecedent; an antecedent quoted on its own merges into it.

    "During a visit to Ankara, Bayramov accused…" and "He said that is the only
    obstacle…" chosen as two quotes read as one passage, at the place of the first.
    A quote that does not point back takes the next sentence when that one points
    back to it and names more of the question (:func:`with_sequel`).
    Quotes never overlap: an extension that would overlap another quote is not made.
    """
    data = retrieval.data
    language = language or detect(retrieval.question, fallback="en")
    groups = term_groups(retrieval.question, language, {a.lang for a in data.articles.values()}, data.names())
    out: list[Scored] = []
    for c in chosen:
        e = with_antecedent(c, retrieval)
        if e is c:
            e = with_sequel(c, retrieval, groups)
        overlapping = [i for i, o in enumerate(out) if overlaps(o, e)]
        if not overlapping:
            out.append(e)
        elif len(overlapping) == 1 and e.start <= out[overlapping[0]].start and out[overlapping[0]].end <= e.end:
            out[overlapping[0]] = e  # the antecedent was quoted alone: the extended quote takes its place
        elif not any(overlaps(o, c) for o in out):
            out.append(c)
    return out


def candidate_sentences(
    retrieval: Retrieval,
    settings: ComposerSettings,
    language: str = "en",
    reader: Reader | None = None,
    *,
    named: bool = False,
) -> list[Scored]:
    """Every sentence of the top passages, scored against the question (and by the reader, when given).

    ``named``: also the further passages of the article the question names (``read_passages``).
    """
    data = retrieval.data
    seen: dict[tuple[str, int, int], tuple[int, Passage]] = {}
    for rank, p in read_passages(retrieval, settings.passages, named, settings.top_article_rest):
        for s, e in p.sentences:
            seen.setdefault((p.source, s, e), (rank, p))
    found = {k: r for k in seen if (r := data.sentence_rows.get(k)) is not None}
    if not found:
        return []
    keys = list(found)
    rows = np.asarray(list(found.values()))
    langs = np.asarray([data.articles[k[0]].lang for k in keys])
    anchors = retrieval.anchors
    kind = expected_type(retrieval.question, language)
    groups = term_groups(retrieval.question, language, {a.lang for a in data.articles.values()}, data.names())
    raw = data.sentence_vectors[0][rows] @ retrieval.query_vectors[0]
    e5 = zscore(raw, langs)
    aligned = np.zeros(len(keys))
    if retrieval.alignment and (reader is None or settings.align_with_reader):
        # With the reader, its margin replaces the word alignment: both match the question
        # token by token, and the alignment's z cost cited-gold where the reader reads
        # (training/validation.md: validation corpus 0.720 -> 0.738 without it; tuned 0.787
        # -> 0.827, corpus2 0.667 -> 0.692). Retrieval still ranks passages by it.
        found_alignment = np.asarray([retrieval.alignment.get(int(r), np.nan) for r in rows])
        if not np.isnan(found_alignment).any():
            aligned = zscore(found_alignment)
    spans: dict[tuple[str, int, int], tuple[int, int]] = {}
    margins: dict[tuple[str, int, int], float] = {}
    read = np.zeros(len(keys))
    if reader is not None and (settings.reader_weight or settings.reader_veto or settings.reader_mode == "learned"):
        margins, spans = reader_sentences(retrieval, reader, settings, named)
        found = np.asarray([margins.get(k, np.nan) for k in keys])
        if np.isfinite(found).any():
            finite = np.isfinite(found)
            read = zscore(np.where(finite, found, found[finite].min()))  # unread sentences: the weakest read one
    weights = feature_weights(settings)
    out = []
    for i, key in enumerate(keys):
        rank, passage = seen[key]
        source, s, e = key
        sentence = sentence_text(passage, s, e)
        if kind == SOURCE:  # "which agency reported…": answered by an article that credits one
            typed = bool(passage.outlet)
        else:
            typed = bool(kind) and has_answer(sentence, kind, str(langs[i]), retrieval.question)
        features = {
            "e5": float(e5[i]),
            "align": float(aligned[i]),
            "reader": float(read[i]),
            # Around an earlier answer's quote (a follow-up) the neighbours share its topic: "Who was to
            # mediate them?" is answered by the sentence after the one that named the talks. Equal on both
            # follow-up benches with or without it; without it the page's corpus quoted the old sentence first.
            "anchors": anchor_coverage(anchors, passage.text if passage.chunk_id < 0 else sentence),
            # The article the question names: "How much did the Valencia terminal cost?" is answered
            # by a cost sentence that names no place, in the one article that does name Valencia.
            "article": key_coverage(anchors, data.article_keys(source)) if anchors else 0.0,
            "rank_prior": 1 / (1 + rank),
            "passage": passage.score,
            "answer_type": float(typed),
            "terms": term_coverage(groups, sentence, str(langs[i])),
            "hinted": retrieval.hints.boost(data.articles[source]),
        }
        score = features["e5"] + sum(weight * features[name] for name, weight in weights.items())
        out.append(
            Scored(
                source, s, e, float(score), float(raw[i]), passage, typed,
                answer=spans.get(key), margin=margins.get(key), features=features,
            )
        )  # fmt: skip
    out.sort(key=lambda c: -c.score)
    return out


def feature_weights(settings: ComposerSettings) -> dict[str, float]:
    """The hand-set weight of each named feature (the e5 z counts once, unweighted)."""
    return {
        "align": settings.align,
        "reader": settings.reader_weight,
        "anchors": settings.anchors,
        "rank_prior": settings.rank_prior,
        "passage": settings.passage,
        "answer_type": settings.answer_type,
        "terms": settings.terms,
        "hinted": settings.hinted,
    }


def reader_sentences(
    retrieval: Retrieval, reader: Reader, settings: ComposerSettings, named: bool = False
) -> tuple[dict[tuple[str, int, int], float], dict[tuple[str, int, int], tuple[int, int]]]:
    """The reader's margin for each sentence of the top windows, and its answer span where it beats no-answer."""
    windows = reader_windows(retrieval, settings.passages, named, settings.top_article_rest)
    relative = [[(s - w.start, e - w.start) for s, e in w.sentences] for w in windows]
    margins: dict[tuple[str, int, int], float] = {}
    spans: dict[tuple[str, int, int], tuple[int, int]] = {}
    for r in reader.read(retrieval.reader_question, [w.text for w in windows], relative):
        w = windows[r.window]
        for (s, e), m, (a0, a1) in zip(w.sentences, r.sentence_margins, r.sentence_spans):
            key = (w.source, s, e)
            if m > margins.get(key, -np.inf):
                margins[key] = m
                if m > reader.threshold and a1 > a0:
                    spans[key] = (w.start + a0, w.start + a1)
    return margins, spans


def term_coverage(groups: list[set[str]], sentence: str, lang: str) -> float:
    """Share of the question's content words that the sentence says, in its own language."""
    if not groups:
        return 0.0
    stems = set(stem_tokens(sentence, lang))
    return sum(1 for g in groups if g & stems) / len(groups)


def anchor_coverage(anchors: list[set[str]], sentence: str) -> float:
    """Share of the question's anchors that the sentence mentions (in any spelling)."""
    return key_coverage(anchors, {fold(w) for w in words(sentence)})


def key_coverage(anchors: list[set[str]], keys: Set[str]) -> float:
    """Share of the question's anchors (each a set of spellings) found among folded ``keys``."""
    if not anchors:
        return 0.0
    return sum(1 for a in anchors if a & keys) / len(anchors)


def select(candidates: list[Scored], settings: ComposerSettings) -> list[Scored]:
    """The best sentence, and up to ``max_sentences - 1`` more that score nearly as well.

    When the best one has the kind of answer asked for (a reason for "why", a
    number for "how many"), so must the others: a further quote without one
    adds words, not an answer.
    """
    if not candidates:
        return []
    best = candidates[0]
    chosen = [best]
    for c in candidates[1:]:
        if len(chosen) >= settings.max_sentences or c.score < best.score - settings.second_margin:
            break
        if settings.typed_extras and best.typed and not c.typed:
            continue
        if not any(overlaps(c, x) for x in chosen):
            chosen.append(c)
    return chosen


_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)")


# Languages that attach case endings to names as suffixes ("Bakıda" = in Baku,
# "Ermənistanın" = Armenia's, "Bakussa"): a name is looked for without them too.
_SUFFIXING = frozenset({"tr", "az", "fi", "hu", "et", "kk", "uz", "ky", "tk", "tt", "ba", "eu"})
_MAX_SUFFIX = 4  # letters stripped at most ("-dakı", "-ssa", "-nın")
_MIN_STEM = 4
_MIN_STEM_SHARE = 60  # percent of the word a stem keeps: "Bakı|da" yes, "Baku|nin" (Bakunin) no


def missing_anchors(retrieval: Retrieval, settings: ComposerSettings, language: str = "en") -> list[str]:
    """Question anchors (names, numbers) that no indexed article mentions.

    A question about "Erdogan" or "Eurovision 2024" over a corpus that never
    names them cannot be answered from it, however similar the passages look.
    Spelling variants match (fold + trigram overlap), and a place matches when
    its country, in a corpus language, is mentioned (the bridges).
    """
    missing = []
    for word in salient_words(retrieval.question):
        if not _may_be_a_name(word, language):
            continue
        if _mentioned(word, retrieval, settings, language):
            continue
        if language in _SUFFIXING and word.isalpha():
            # Without its case ending, the stem must be a word of the corpus or a
            # known place, exactly: a short stem matches too much fuzzily.
            shortest = max(_MIN_STEM, len(word) - _MAX_SUFFIX, -(-len(word) * _MIN_STEM_SHARE // 100))
            stems = [word[:n] for n in range(len(word) - 1, shortest - 1, -1)]
            if any(_mentioned(stem, retrieval, settings, language, exact=True) for stem in stems):
                continue
        missing.append(word)
    return missing


# A filter allowing more chunks than this is not scanned for the question's names.
_FILTER_SCAN_MAX = 20_000


def unmentioned_in_filter(retrieval: Retrieval, language: str = "en") -> list[str]:
    """Names of the question that none of the articles the filters allow mention.

    The corpus may know "Granada", but when the user restricts the search to
    Dutch articles and none of those names Granada (or Spain), the passages
    left can only be about something else. Spellings are folded (Alijew ~
    Aliyev) and inflections match (Armeniens ~ Armenien).
    """
    allowed = retrieval.allowed
    if allowed is None or len(allowed) > _FILTER_SCAN_MAX:
        return []
    data = retrieval.data
    keys: set[str] = set().union(*(data.article_keys(s) for s in {data.chunks.source(int(i)) for i in allowed}))
    langs = {a.lang for a in data.articles.values()}
    missing = []
    for word in salient_words(retrieval.question):
        if not _may_be_a_name(word, language):
            continue
        wanted = {fold(word)} | {fold(w) for name in expansions([word], langs) for w in words(name)}
        if not any(k in keys or any(_inflected(k, c) for c in keys if c[:1] == k[:1]) for k in wanted):
            missing.append(word)
    return missing


def _may_be_a_name(word: str, language: str) -> bool:
    """Whether a salient word of the question can name someone or something the articles must mention.

    Where every noun is capitalised only numbers count, and short acronyms are
    abbreviations of ordinary words, per language (EU / UE / ЕС, МИД).
    """
    if language in NOUN_CAPITALISING and not any(ch.isdigit() for ch in word):
        return False
    return not (word.isupper() and len(word) <= 3)


def _inflected(a: str, b: str) -> bool:
    """One word is the other plus an ending of up to 4 letters (the shorter has at least 5)."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 5 and long_.startswith(short) and len(long_) - len(short) <= 4


def _mentioned(
    word: str, retrieval: Retrieval, settings: ComposerSettings, language: str, exact: bool = False
) -> bool:
    """Whether the corpus names ``word``: as written, spelt otherwise, or through its place's country.

    ``exact``: only the word's own key or a place it names count (no fuzzy
    spelling, no "ordinary word" excuse).
    """
    vocab = corpus_keys(retrieval.data)
    langs = {a.lang for a in retrieval.data.articles.values()}
    parts = [fold(p) for p in re.split(r"['’-]", word) if len(p) >= 3] or [fold(word)]
    if any(key in vocab["all"] or (not exact and _fuzzy_in(key, vocab, settings.fuzzy)) for key in parts):
        return True
    if exact:  # a stem must itself be a place, not one up to a case ending ("Bakun" is no "Baku")
        return is_place(word) and (
            _bridged(expansions([word], langs), vocab) or bool(places([word]) & corpus_countries(retrieval.data))
        )
    month = month_of(word, {language})
    if month is not None and (
        month_keys(month, tuple(sorted(langs))) & vocab["all"]
        or any(str(a.date or "")[5:7] == f"{month:02d}" for a in retrieval.data.articles.values())
    ):
        return True  # a month the articles name in their language ("July" ~ "juli") or are dated in
    if _in_a_date(word, retrieval):
        return True  # "2024", or "28" of "28 August", in an article's own date (its header, not its text)
    if word.isdigit() and any(k.startswith(word) and k[len(word)].isalpha() for k in vocab.get("^" + word[0], ())):
        return True  # a number written into a word: "44-day", "30-jarige" (folded keys have no hyphens)
    bridges = expansions([word], langs)
    if _bridged(bridges, vocab):
        return True  # a place whose country the corpus names (Granada -> Spanien)
    mostly_unspaced = len(vocab["unspaced"]) * 3 >= max(1, len(retrieval.data.chunks))
    if vocab["unspaced"] and (bridges or mostly_unspaced):
        # "Tokyo" may be written 東京 there: a known place, or any name in a
        # corpus mostly in such scripts, is unknown rather than absent.
        return True
    if places([word]) & corpus_countries(retrieval.data):
        return True  # a country named through one of its cities ("Paris (AFP) –" for France)
    # A capitalised ordinary word ("State Department"), not a name.
    return not bridges and not word.isdigit() and is_common_word(word, language)


def _bridged(names: list[str], vocab: dict[str, set[str]]) -> bool:
    """Whether the corpus has a word of these place names (not an article of one: Irish "An Ròimh" for Rome)."""
    return any(len(key) >= 4 and key in vocab["all"] for name in names for key in map(fold, words(name)))


def _in_a_date(word: str, retrieval: Retrieval) -> bool:
    """Whether ``word`` is an article's date, its year, or its day in the month the question names.

    "28" alone is any number ("28 detainees"); with "August 2024" beside it,
    it is the date of the article dated 2024-08-28.
    """
    for article in retrieval.data.articles.values():
        date = str(article.date or "")
        if not date:
            continue
        if word == date or word == date[:4]:
            return True
        if word.isascii() and word.isdigit() and int(word) == int(date[8:10] or 0) and date[:7] in retrieval.hints.months:
            return True
    return False


def corpus_keys(data: store.IndexData) -> dict[str, set[str]]:
    """Folded keys of every indexed word, cached on the loaded index itself."""

    def build() -> dict[str, set[str]]:
        keys = set(data.lexical.vocabulary())
        for article in data.articles.values():  # outlet and title count as mentions
            keys.update(fold(w) for w in words(f"{article.outlet or ''} {article.title}"))
        by_first: dict[str, set[str]] = {"all": keys}
        for w in keys:
            by_first.setdefault("^" + w[:1], set()).add(w)
        # Text in scripts without spaces (Chinese, Japanese) has no word keys:
        # kept whole, so a name can still be looked for inside it.
        by_first["unspaced"] = {t for t in data.chunks.texts() if unspaced_letters(t)}
        return by_first

    return data.derived("corpus_keys", build)


def corpus_countries(data: store.IndexData) -> set[str]:
    """ISO codes of the countries whose cities the articles name (capitalised words only), cached per index.

    Read from the text on first use (a scan of every chunk), because only a
    question naming an otherwise unmentioned country needs it.
    """

    def build() -> set[str]:
        texts = data.chunks.texts()
        names = {w for t in texts for i, w in enumerate(words(t)) if i and w[:1].isupper() and len(w) >= 4}
        return {cc for cc in map(city_country, names) if cc}

    return data.derived("countries", build)


def _fuzzy_in(key: str, vocab: dict[str, set[str]], threshold: float) -> bool:
    """Whether a spelling variant of ``key`` is in the corpus (Poetin ~ Putin); numbers have no variants (2025 is not 2024)."""
    if len(key) < 4 or any(ch.isdigit() for ch in key):
        return False
    for word in vocab.get("^" + key[:1], ()):
        if _inflected(word, key):
            return True  # inflections: Armeniens / Armenien, Karabachs / Karabach, Erywaniowi / Erywan
        if abs(len(word) - len(key)) <= 3 and SequenceMatcher(None, key, word).ratio() >= threshold:
            return True
    return False


def is_headline(title: str) -> bool:
    """A headline, not a lead sentence taken for one (those end like sentences or were cut short)."""
    return bool(title) and not title.rstrip().endswith((".", "!", "…", "。", "؟"))


def short_title(title: str, open_q: str, close_q: str, max_words: int = 8) -> str:
    words = title.rstrip("…").split()
    head = " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")
    return f"{open_q}{head}{close_q}"


_LONGEST_WORD = 40  # letters; longer "words" are keyboard noise or pasted data, not language


def asks_something(question: str) -> bool:
    """Whether the question has at least one real word (not emoji, punctuation or "aaaa…").

    Embeddings of noise still land somewhere and can look similar to a
    passage; an answer to a question without words would be invented.
    """
    return any(
        (len(w) <= _LONGEST_WORD or unspaced_letters(w) * 2 >= len(w)) and any(ch.isalpha() for ch in w)
        for w in words(question)
    )


def compose(
    retrieval: Retrieval,
    language: str,
    settings: ComposerSettings | None = None,
    reader: Reader | None = None,
) -> Composed:
    """The answer to one retrieval, in ``language``: the rules with the reader as a feature (default),
    the reader alone (``reader_mode="reader"``), or the rules alone without a reader."""
    settings = settings or ComposerSettings()
    if not asks_something(retrieval.question):
        return Composed(abstain_message(language), [], True)
    if not has_topic(retrieval.question, language):
        # "Why?" with nothing before it: any passage would be a guess.
        return Composed(topic_message(language), [], True)
    if unmentioned_in_filter(retrieval, language):
        return Composed(abstain_message(language), [], True)  # the allowed articles are about something else
    if reader is not None and settings.reader_mode == "reader":
        return compose_read(retrieval, language, reader, settings)
    if reader is not None and settings.reader_mode == "learned" and reader.fusion is not None:
        return compose_learned(retrieval, language, settings, reader, reader.fusion)
    return compose_rules(retrieval, language, settings, reader)


def compose_learned(
    retrieval: Retrieval, language: str, settings: ComposerSettings, reader: Reader, fusion: Fusion
) -> Composed:
    """The learned fusion's answer from the top passages, or from more of them (``retry_passages``) before abstaining."""
    composed = compose_learned_once(retrieval, language, settings, reader, fusion)
    if composed.abstained and min(settings.retry_passages, len(retrieval.passages)) > settings.passages:
        return compose_learned_once(retrieval, language, replace(settings, passages=settings.retry_passages), reader, fusion)
    return composed


def compose_learned_once(
    retrieval: Retrieval, language: str, settings: ComposerSettings, reader: Reader, fusion: Fusion
) -> Composed:
    """The learned fusion's answer: its best sentence and those close to it, or an abstention.

    Which sentence answers is the fitted scorer's choice: the hand weights, the
    reader's lead and the typed reordering of ``rules_verdict`` do not decide it.
    Whether anything answers stays with the hand rules by default (a name the
    corpus never mentions, a weak e5 match, no number or date where one is asked),
    because the fitted abstention model did not carry over from the validation
    corpus to news questions. With ``learned_abstention`` it decides instead; the
    unknown-name rule still applies then (a fact about the corpus, not a tuned
    weight: on the validation corpus it refused 66 unanswerable questions for 8
    answerable ones).
    """
    plain = replace(settings, top_article_rest=0)
    first_read = candidates = candidate_sentences(retrieval, plain, language, reader, named=True)
    if settings.top_article_rest and not any(has_span_above(c, settings.read_further_below) for c in first_read):
        candidates = candidate_sentences(retrieval, settings, language, reader, named=True)
    if not candidates:
        return Composed(abstain_message(language), [], True)
    kind = expected_type(retrieval.question, language)
    views = [Candidate(c.features, c.margin, c.answer is not None, c.similarity) for c in candidates]
    scores = fusion.scores(views, kind)
    if settings.learned_abstention:
        missing = missing_anchors(retrieval, settings, language)
        if missing or fusion.abstains(views, scores, kind, len(missing)):
            return Composed(abstain_message(language), [], True)
    elif rules_verdict(top_candidates(first_read, retrieval, language, plain, reader), retrieval, language, settings, reader) is None:
        # The named article's further passages widen the choice, not the hand rules' verdict.
        return Composed(abstain_message(language), [], True)
    rescored = sorted(
        (replace(c, score=float(x)) for c, x in zip(candidates, scores)), key=lambda c: -c.score
    )  # fmt: skip
    chosen = select(rescored, replace(settings, second_margin=fusion.quote_margin))
    if chosen and below_floor(chosen[0], reader, settings):
        return Composed(abstain_message(language), [], True)
    if settings.fresh_quote:
        chosen = with_fresh_quote(chosen, rescored, retrieval.cited_before, settings.max_sentences)
    return render(retrieval, language, with_antecedents(chosen, retrieval, language), kind)


def with_fresh_quote(
    chosen: list[Scored], ranked: list[Scored], before: list[tuple[str, int, int]], most: int
) -> list[Scored]:
    """A follow-up's quotes, with at least one the last answer did not show.

    "Why?" after "Who supplied the electrolysers for the Valencia terminal?"
    quoted the supplier's sentence again, and nothing else: an answer that only
    repeats the last one tells the user nothing. The best-ranked sentence of
    the articles cited before that repeats no cited span is added, after the
    chosen ones (in place of the last when ``most`` are chosen), so the lead
    quote and its short answer stay the scorer's choice. Only those articles:
    from any article, it added a Turin museum sentence to "Why?" about
    Valencia's electrolysers.
    """
    if not before or not chosen:
        return chosen

    def repeats(c: Scored) -> bool:
        return any(c.source == source and c.start < end and start < c.end for source, start, end in before)

    if not all(repeats(c) for c in chosen):
        return chosen
    sources = {source for source, _, _ in before}  # the conversation's articles: no stranger's sentence
    fresh = next(
        (c for c in ranked if c.source in sources and not repeats(c) and not any(overlaps(c, x) for x in chosen)), None
    )
    return chosen if fresh is None else chosen[: max(1, most - 1)] + [fresh]


def has_span_above(c: Scored, margin: float) -> bool:
    """Whether the reader found a span in this sentence with at least this margin over "no answer"."""
    return c.answer is not None and c.margin is not None and c.margin >= margin


def is_sure(c: Scored, reader: Reader) -> bool:
    """Whether the reader's span in this sentence clears its lead threshold (a "sure" answer): the hand rules let it lead."""
    return has_span_above(c, reader.lead_threshold)


def below_floor(first: Scored, reader: Reader, settings: ComposerSettings) -> bool:
    """Whether the reader is sure the first quote answers nothing (``first_quote_floor``)."""
    floor = settings.first_quote_floor
    if floor is None or first.margin is None or first.features.get("hinted", 0.0) > 0:
        return False
    return first.margin <= reader.threshold + floor


def top_candidates(
    candidates: list[Scored], retrieval: Retrieval, language: str, settings: ComposerSettings, reader: Reader
) -> list[Scored]:
    """The candidates of the top passages alone: ``candidates`` when no further passage was read."""
    if len(read_passages(retrieval, settings.passages, named=True)) == min(settings.passages, len(retrieval.passages)):
        return candidates
    return candidate_sentences(retrieval, settings, language, reader)


def compose_read(
    retrieval: Retrieval,
    language: str,
    reader: Reader,
    settings: ComposerSettings,
) -> Composed:
    """The reader's best answer span over the top windows, cited by the sentence(s) that hold it; or abstain.

    The reader says "no answer" for every window of an unanswerable question:
    the best span must beat no-answer by the threshold calibrated on the
    reader's validation split (``Reader.threshold``).
    """
    windows = reader_windows(retrieval, settings.passages)
    readings = sorted(reader.read(retrieval.reader_question, [w.text for w in windows]), key=lambda r: -r.margin)
    if not readings or readings[0].margin <= reader.threshold + settings.reader_margin:
        return Composed(abstain_message(language), [], True)
    if settings.anchor_veto and missing_anchors(retrieval, settings, language):
        return Composed(abstain_message(language), [], True)
    best = readings[0]
    chosen: list[Scored] = []
    for r in readings:
        if len(chosen) >= settings.reader_quotes or r.margin <= reader.threshold + settings.reader_margin:
            break
        if r.margin < best.margin - settings.reader_second_margin:
            break
        w = windows[r.window]
        answer = (w.start + r.start, w.start + r.end)
        inside = [sp for sp in w.sentences if sp[1] > answer[0] and sp[0] < answer[1]] or [(w.start, w.end)]
        c = Scored(w.source, inside[0][0], inside[-1][1], r.margin, 0.0, w, answer=answer)
        if not any(overlaps(c, x) for x in chosen):
            chosen.append(c)
    # The kind asked for decides only which metadata is cited too (a "when" answer's date line, a
    # "which agency" answer's credit line); the reader alone decides what answers.
    kind = expected_type(retrieval.question, language) if settings.metadata_citations else None
    if settings.antecedents:
        chosen = with_antecedents(chosen, retrieval, language)
    return render(retrieval, language, chosen, kind)


def context_passages(data: store.IndexData, spans: list[tuple[str, int, int]]) -> list[Passage]:
    """Passages around spans cited before: the sentence before each through the two after it.

    A follow-up ("Who was to mediate them?") is read there first. Spans that
    no longer match the index (the article changed or left) are skipped.
    """
    out = []
    for source, start, end in spans:
        article = data.articles.get(source)
        rows = [
            r
            for r, (s, e) in enumerate(data.sentences)
            if data.sentence_sources[r] == source and e > start and s < end
        ]
        if article is None or not rows:
            continue
        first = rows[0] - 1 if rows[0] > 0 and data.sentence_sources[rows[0] - 1] == source else rows[0]
        last = rows[-1]
        for _ in range(2):
            if last + 1 < len(data.sentences) and data.sentence_sources[last + 1] == source:
                last += 1
        sentences = tuple((int(s), int(e)) for s, e in data.sentences[first : last + 1])
        text = stitched_text(data, source, sentences[0][0], sentences[-1][1])
        if text is None:
            continue
        out.append(
            Passage(
                source, article.title, article.lang, sentences[0][0], sentences[-1][1], text, 0.0,
                date=article.date, outlet=article.outlet, sentences=sentences,
            )  # fmt: skip
        )
    return out


def stitched_text(data: store.IndexData, source: str, start: int, end: int) -> str | None:
    """The file's characters ``start:end``, joined from the overlapping chunks that hold them (None if a gap)."""
    by_source = data.derived("chunks_by_source", lambda: _chunks_by_source(data))
    text, pos = "", start
    for i in by_source.get(source, []):
        chunk_start, chunk_end = (int(x) for x in data.chunks.spans[i])
        if chunk_start <= pos < chunk_end:
            take = min(end, chunk_end)
            text += data.chunks.text(i)[pos - chunk_start : take - chunk_start]
            pos = take
            if pos >= end:
                return text
    return None


def _chunks_by_source(data: store.IndexData) -> dict[str, list[int]]:
    """Each article's chunk ids in file order (built once per loaded index, not per quote)."""
    table: dict[str, list[int]] = {}
    chunks = data.chunks
    for i in np.lexsort((chunks.spans[:, 0], chunks.source_ids)):
        table.setdefault(chunks.source(int(i)), []).append(int(i))
    return table


def read_passages(retrieval: Retrieval, n: int, named: bool = False, top_rest: int = 0) -> list[tuple[int, Passage]]:
    """The top ``n`` passages with their ranks; with ``named``, also the named article's further passages
    among the retrieved, and up to ``top_rest`` more windows of the article ranked first.

    When some but not all of the retrieved articles mention every name of the
    question ("the T10 line in Lyon"), the question is about those: their
    passages further down are read too. Without it a window whose words match
    the question badly across languages ("Les rames ont été fabriquées par
    Alstom" for "Who built the trams") ranked 8th and was never read, while the
    five read were the named article's lead and other articles' leads.
    """
    top = list(enumerate(retrieval.passages[:n]))
    if not named or not retrieval.passages:
        return top
    out = top + named_further(retrieval, n)
    return out + top_article_rest(retrieval, {p.chunk_id for _, p in out}, top_rest)


def named_further(retrieval: Retrieval, n: int) -> list[tuple[int, Passage]]:
    """The retrieved passages below the top ``n`` of the articles that alone mention every name of the question."""
    further = list(enumerate(retrieval.passages))[n:]
    anchors = retrieval.anchors
    if not anchors or not further:
        return []
    data = retrieval.data
    sources = {p.source for p in retrieval.passages}
    naming = {s for s in sources if key_coverage(anchors, data.article_keys(s)) == 1.0}
    if not naming or naming == sources:
        return []
    return [(rank, p) for rank, p in further if p.source in naming][:_NAMED_EXTRA]


_NAMED_EXTRA = 3  # further passages of the named article read at most


def top_article_rest(retrieval: Retrieval, have: set[int], most: int) -> list[tuple[int, Passage]]:
    """Up to ``most`` windows of the first-ranked article that are not read yet, in file order.

    Retrieval often finds the right article but not the window that answers:
    its lead and the windows that repeat the question's words fill the top
    five, and the answering sentence ("Стоимость проезда не изменится и
    составит 55 рублей" for a fare question) ranks 6th or is not retrieved at
    all. On news questions the article ranked first held the gold below the
    top five for 10 of the 52 answerable questions retrieval missed
    (training/validation.md, session 40). They rank after every retrieved
    passage, with the weakest retrieved score (a window retrieved below the
    top five too), so the fusion's rank and passage features do not favour them.
    """
    if most <= 0:
        return []
    data = retrieval.data
    source = retrieval.passages[0].source
    if source not in data.articles:
        return []
    by_source = data.derived("chunks_by_source", lambda: _chunks_by_source(data))
    weakest = min(p.score for p in retrieval.passages)
    rank = len(retrieval.passages)
    rest = [i for i in by_source.get(source, []) if i not in have]
    return [(rank, to_passage(data, i, weakest)) for i in rest[:most]]


def reader_windows(retrieval: Retrieval, n: int, named: bool = False, top_rest: int = 0) -> list[Passage]:
    """The top ``n`` passages, each extended by its article's next sentence (answers often follow the match).

    Overlapping windows of one article stay apart: read as one window of up to four
    sentences they cost a fifth less time, but the reader alone then cited the gold
    passage less often on every bench file (corpus2 0.708 to 0.650; bench/reader.py, session 10).
    """
    data = retrieval.data
    out: list[Passage] = []
    seen: set[tuple[str, int, int]] = set()
    for _, p in read_passages(retrieval, n, named, top_rest):
        if 0 <= p.chunk_id < len(data.chunks):  # (passages built around earlier citations are read as they are)
            chunk = data.chunks[p.chunk_id]
            nxt = data.chunks[p.chunk_id + 1] if p.chunk_id + 1 < len(data.chunks) else None
            if nxt is not None and nxt.source == chunk.source and nxt.start <= chunk.end < nxt.end:
                p = replace(
                    p,
                    start=chunk.start,
                    end=nxt.end,
                    text=chunk.text + nxt.text[chunk.end - nxt.start :],  # == the file's characters
                    sentences=tuple(chunk.sentences) + tuple(sp for sp in nxt.sentences if sp[0] >= chunk.end),
                )
        if (p.source, p.start, p.end) in seen:
            continue
        seen.add((p.source, p.start, p.end))
        out.append(p)
    return out


def compose_rules(
    retrieval: Retrieval, language: str, settings: ComposerSettings, reader: Reader | None = None
) -> Composed:
    """The hand-built composer, with the reader's sentence margins as one more feature when given.

    Without a reader it is the fallback when no reader artefact can be loaded.
    """
    candidates = candidate_sentences(retrieval, settings, language, reader)
    ordered = rules_verdict(candidates, retrieval, language, settings, reader)
    if ordered is None:
        return Composed(abstain_message(language), [], True)
    chosen = select(ordered, settings)
    return render(retrieval, language, with_antecedents(chosen, retrieval, language), expected_type(retrieval.question, language))


def rules_verdict(
    candidates: list[Scored], retrieval: Retrieval, language: str, settings: ComposerSettings, reader: Reader | None
) -> list[Scored] | None:
    """The hand rules' verdict on hand-scored candidates: None to abstain, else the candidates with the
    one that should lead first (the reader's sure span, or the sentence with the number / date asked for)."""
    read = [c.margin for c in candidates if c.margin is not None]
    if (
        reader is not None
        and settings.reader_veto
        and read
        and max(read) < reader.veto_threshold
        and not any(dated_as_asked(retrieval, c) for c in candidates)
    ):
        # The reader is confident that no sentence of the top passages answers (a question
        # that names only a date asks for the article of that date, which no span answers).
        return None
    if not candidates or (candidates[0].similarity < settings.min_similarity and not dated_as_asked(retrieval, candidates[0])):
        return None
    if candidates[0].similarity < settings.anchor_similarity and missing_anchors(retrieval, settings, language):
        return None
    kind = expected_type(retrieval.question, language)
    lead = None
    if reader is not None and settings.reader_lead:
        sure = [c for c in candidates if is_sure(c, reader)]
        lead = max(sure, key=lambda c: c.margin or 0.0, default=None)
    if lead is not None:
        return [lead] + [c for c in candidates if c is not lead]
    if (kind in settings.required_types or kind in settings.preferred_types) and not candidates[0].typed:
        # The best match has no number/date: a nearly as good one that has it
        # answers ("The new line cost 60 million euros" under "Tallinn opened a
        # tram line"); if none comes close, the articles do not say.
        best = candidates[0]

        def close(c: Scored) -> bool:
            if c.source == best.source and c.answer is not None and settings.reader_lead:
                return True  # the reader found a span of the asked-for kind in the best match's own article
            if c.source == best.source and c.similarity >= best.similarity - settings.type_similarity:
                return True  # as similar to the question, only fewer of its words: the figure's own sentence
            margin = settings.type_margin_same_article if c.source == best.source else settings.type_margin
            return c.score >= best.score - margin

        found = [c for c in candidates if c.typed and c.answer is not None and settings.reader_lead and close(c)]
        # Of the close typed sentences, the one where the reader is surest; else the best-scored one.
        typed = max(found, key=lambda c: c.margin or 0.0) if found else next((c for c in candidates if c.typed and close(c)), None)
        if typed is not None:
            return [typed] + [c for c in candidates if c is not typed]
        if kind in settings.required_types:
            return None
        # else: no article that credits an agency comes close; the best passage still answers
    return candidates


def render(retrieval: Retrieval, language: str, chosen: list[Scored], kind: str | None) -> Composed:
    """The chosen sentences framed in ``language`` and cited, with the metadata that answers "when" / "which agency"."""
    parts, citations = [], []
    open_q, close_q = quote_marks(language)
    dated = date_evidence(retrieval, chosen) if kind == DATE else None
    for i, c in enumerate(chosen):
        article = retrieval.data.articles[c.source]
        credit = metadata_quote(retrieval, article, article.outlet_span, article.outlet)
        if article.outlet and i == 0 and kind == SOURCE and credit is not None:
            # "Which agency reported…": the credit line ("(Reuters) –", "Referentie: Azertag.az") is the evidence.
            citations.append(_citation(len(citations) + 1, article, article.outlet_span, credit, 0.0))
            who = f"{article.outlet} [{len(citations)}]"
        elif article.outlet:
            who = article.outlet
        elif is_headline(article.title):
            who = short_title(article.title, open_q, close_q)
        else:  # the "title" is the lead sentence: quoting it as a name reads like a second quote
            who = article_label(language, i)
            if frame(language, i).startswith("{source}"):
                who = who[:1].upper() + who[1:]  # "Egy cikk (német) szerint:", not an outlet's own spelling
        lang = language_name(article.lang, language)
        written = metadata_quote(retrieval, article, dated, article.date) if i == 0 else None
        if written is not None and dated is not None:
            # "on Wednesday" means little without the article's own date: cite where it is written.
            citations.append(_citation(len(citations) + 1, article, dated, written, 0.0))
            lang = f"{lang}, {article.date} [{len(citations)}]"
        # Only the first quote's span is the short answer, so only its citation carries one.
        citations.append(_citation(len(citations) + 1, article, (c.start, c.end), c.text, c.score, c.answer if i == 0 else None))
        lead = frame(language, i).format(source=who, lang=lang)
        parts.append(f"{lead} {open_q}{' '.join(c.text.split())}{close_q} [{len(citations)}]")
    short = chosen[0].answer if chosen and chosen[0].answer else None
    short_answer = sentence_text(chosen[0].passage, *short) if short else None
    if short_answer:
        # The answer itself first, as the article writes it (a name, a number, a date reads across languages).
        parts.insert(0, f"**{' '.join(short_answer.split())}**")
    return Composed("\n\n".join(parts), citations, False, short_answer)


def metadata_quote(
    retrieval: Retrieval, article: Article, span: tuple[int, int] | None, value: str | None
) -> str | None:
    """The file's text where the article states its date or outlet ("22 de octubre de 2025", "(EFE)").

    Read from the indexed chunks; a header line that is not indexed ("date
    2024-08-28") is quoted as the value itself only when it is exactly that
    long, so a citation's quote is always the file's text at its span.
    """
    if span is None or not value:
        return None
    text = stitched_text(retrieval.data, article.source, span[0], span[1])
    if text is not None:
        return text
    return value if span[1] - span[0] == len(value) else None


def dated_as_asked(retrieval: Retrieval, best: Scored) -> bool:
    """Whether a question that names only a date is answered from an article of that date.

    "Was geschah am 28. August 2024?" reads like no sentence (similarity stays
    low), yet the article dated that day is what it asks for.
    """
    hints = retrieval.hints
    return hints.strength > 1 and hints.boost(retrieval.data.articles[best.source]) > 0


def date_evidence(retrieval: Retrieval, chosen: list[Scored]) -> tuple[int, int] | None:
    """Where the first quote's article states its own date, when its quotes give no year.

    "On Wednesday" or "last month" answer "when" only relative to the
    article's date; a quote that names the year answers it by itself.
    """
    article = retrieval.data.articles[chosen[0].source]
    if article.date_span is None or not article.date:
        return None
    if any(c.source == article.source and _YEAR.search(c.text) for c in chosen):
        return None
    return article.date_span


def _citation(
    n: int, article: Article, span: tuple[int, int], quote: str, score: float, answer: tuple[int, int] | None = None
) -> Citation:
    """Citation ``n``: ``quote`` is the article's text at ``span``; ``answer`` the short answer's span inside it."""
    return Citation(
        n=n,
        source=article.source,
        title=article.title,
        lang=article.lang,
        start=span[0],
        end=span[1],
        quote=quote,
        score=round(score, 4),
        date=article.date,
        outlet=article.outlet,
        answer_start=answer[0] if answer else None,
        answer_end=answer[1] if answer else None,
    )
