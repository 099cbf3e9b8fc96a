"""Words as the lexical views see them, for the index and for questions alike.

Names cross languages where plain words do not, so documents and questions
become folded word keys plus character trigrams (``doc_tokens``,
``query_tokens``; see qa/text/fold.py). Content words become Snowball stems in
their language ("de:verhandl"), with stopwords dropped and compounds split
through the FreeDict lexicons; a question's words reach other corpus
languages through bilingual dictionaries (``translated_tokens``): "frontière"
asks for "de:grenz" and "en:border". The BM25 indexes over these tokens live
in qa/store/lexical.py.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

from qa.text.fold import fold, is_salient, trigrams, words

_MIN_WORD = 4
_SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "fa": "persian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "es": "spanish", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
_BM25S_STOPWORDS = {
    "en": "EN_PLUS", "de": "GERMAN", "nl": "DUTCH", "fr": "FRENCH", "es": "SPANISH", "it": "ITALIAN",
    "pt": "PORTUGUESE", "ru": "RUSSIAN", "tr": "TURKISH", "sv": "SWEDISH", "da": "DANISH", "no": "NORWEGIAN",
}  # fmt: skip
_MAX_TRANSLATIONS = 4  # per question word and target language: first senses only
_local = threading.local()


def _stemmer(lang: str):
    """A Snowball stemmer for ``lang`` (None when Snowball has none); one per thread, as PyStemmer is not thread-safe."""
    cache = getattr(_local, "stemmers", None)
    if cache is None:
        cache = _local.stemmers = {}
    if lang not in cache:
        import Stemmer

        cache[lang] = Stemmer.Stemmer(_SNOWBALL[lang]) if lang in _SNOWBALL else None
    return cache[lang]


@lru_cache(maxsize=64)
def stopwords(lang: str) -> frozenset[str]:
    """Function words of ``lang``: bm25s' lists, plus the dictionaries' closed-class words."""
    out: set[str] = set()
    name = _BM25S_STOPWORDS.get(lang)
    if name:
        import bm25s.stopwords

        out.update(getattr(bm25s.stopwords, f"STOPWORDS_{name}", ()))
    try:
        from qa.text.dictionary import default

        out.update(default().stopwords(lang))
    except Exception:  # noqa: BLE001 - the dictionaries are optional
        pass
    return frozenset(w.casefold() for w in out)


def content_words(text: str, lang: str) -> list[str]:
    """Casefolded words that carry meaning: no function words, no one- or two-letter words."""
    stop = stopwords(lang)
    return [w for w in (x.casefold() for x in words(text)) if len(w) >= 3 and w not in stop and not w.isdigit()]


# Languages that capitalise common nouns: there a capital letter is no sign of a name.
NOUN_CAPITALISING = frozenset({"de", "lb"})

# Languages that write compounds as one word (Grenzkontrollpunkt, grenspost), and
# the linking elements between their parts (Staats|grenze, Verhandlung|s|runde).
_COMPOUNDING = {"de", "nl", "sv", "da", "no", "af"}
_LINKS = ("", "s", "es", "n", "en", "e", "er")
_MIN_PART = 4


@lru_cache(maxsize=64)
def _lexicons(lang: str) -> tuple:
    """Dictionaries from ``lang``, used only to ask whether a string is a word of it."""
    try:
        from qa.text.dictionary import default
    except Exception:  # noqa: BLE001 - the dictionaries are optional
        return ()
    books = default()
    found = (books.pair(lang, target) for target in ("en", "de", "fr", "nl", "es") if target != lang)
    return tuple(book for book in found if book is not None)


def _is_word(word: str, lang: str) -> bool:
    return any(book.get(word, fallback=False) for book in _lexicons(lang))


@lru_cache(maxsize=20_000)
def is_common_word(word: str, lang: str) -> bool:
    """Whether a capitalised word is an ordinary word of ``lang`` rather than a name.

    Questions capitalise institutions ("State Department", "Ministerio de
    Asuntos Exteriores"); names stay names in translation. So: a dictionary
    knows the word (or its inflection) and renders it in lower case in some
    language that does not capitalise nouns ("Department" -> "domaine";
    "Eurovision" -> "Eurovision" is a name).
    """
    key = word.casefold()
    for book in _lexicons(lang):
        if any(term[:1].islower() for term in book.get(key)):
            return True
    # A compound of ordinary words is one too ("Wasserstoff-Terminal", "Kinomuseum"): no
    # dictionary lists every compound, and a German question is full of them.
    parts = [part for part in re.split(r"[-‐]", key) if part]
    if len(parts) == 1 and lang in NOUN_CAPITALISING:
        parts = list(compound_parts(key, lang))
    return len(parts) > 1 and all(is_common_word(part, lang) for part in parts)


def is_name(word: str, position: int, lang: str, corpus_names: frozenset[str]) -> bool:
    """Whether a word of a question in ``lang`` names someone or something (at ``position`` in its sentence).

    German capitalises every noun: there a capital marks a name only when no
    dictionary knows the word as an ordinary one (else "Bewohnern" never
    reached "inwoners", and "Wasserstoff-Terminal" was an anchor no Spanish
    article could cover), or when the articles in other languages write it
    capitalised too ("Blinken", not "blinken").
    """
    bare = _ELISION.sub("", word)  # "l'Arménie" is a name
    return is_salient(bare, position) and not capital_is_ordinary(bare, lang, corpus_names)


def capital_is_ordinary(word: str, lang: str, corpus_names: frozenset[str]) -> bool:
    """Whether a capitalised word is an ordinary noun of a noun-capitalising language (see :func:`is_name`)."""
    return lang in NOUN_CAPITALISING and fold(word) not in corpus_names and is_common_word(word, lang)


@lru_cache(maxsize=200_000)
def compound_parts(word: str, lang: str) -> tuple[str, ...]:
    """The parts of a compound that the language's dictionary knows ("grenspost" -> grens, post).

    Longest head first, then the modifier (minus a linking element) must be a
    word or itself a compound. Empty when the word is no compound, the
    language does not compound, or no dictionary is set up.
    """
    if lang not in _COMPOUNDING or len(word) < 2 * _MIN_PART:
        return ()
    if not _lexicons(lang):
        return ()
    for i in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head = word[i:]
        if not _is_word(head, lang):
            continue
        modifier = word[:i]
        for link in _LINKS:
            if not modifier.endswith(link):
                continue
            base = modifier[: len(modifier) - len(link)]
            if len(base) < _MIN_PART:
                continue
            if _is_word(base, lang):
                return (base, *(compound_parts(head, lang) or (head,)))
            if inner := compound_parts(base, lang):
                return (*inner, *(compound_parts(head, lang) or (head,)))
    return ()


def snowball_name(lang: str) -> str | None:
    """The Snowball stemmer's name for ``lang`` ("german"), which is also PostgreSQL's text search configuration."""
    return _SNOWBALL.get(lang)


def stem_tokens(text: str, lang: str, split: bool = True, whole: bool = True) -> list[str]:
    """``lang:stem`` for every content word (language-tagged so "die" in German and English stay apart).

    A compound also contributes its parts, so "Grenzkontrollpunkt" matches a
    question about a "Grenze" and "grenspost" one about a "post". ``whole``
    False gives the parts only (for a database whose own stemmer does the words).
    """
    stemmer = _stemmer(lang)
    stop = stopwords(lang)
    out = []
    for w in content_words(text, lang):
        if whole:
            out.append(f"{lang}:{stemmer.stemWord(w) if stemmer else w}")
        for part in compound_parts(w, lang) if split else ():
            if part not in stop:
                out.append(f"{lang}:{stemmer.stemWord(part) if stemmer else part}")
    return out


def term_groups(
    question: str, lang: str, corpus_langs: set[str], names: frozenset[str] = frozenset()
) -> list[set[str]]:
    """One set per question content word: its stem, and its translations' stems in the other corpus languages.

    Names are left out (their folded keys match across languages already, and
    a dictionary only mistranslates them: Aliyev -> "Alija"). ``names``: folded
    words the corpus capitalises where nouns are not (see :func:`corpus_names`),
    which tells "Blinken" the man from "blinken" the verb in a German question.
    Cached: retrieval and the composer both ask for the same question's groups.
    """
    return [set(group) for group in _term_groups(question, lang, frozenset(corpus_langs), names)]


@lru_cache(maxsize=512)
def _term_groups(
    question: str, lang: str, corpus_langs: frozenset[str], corpus_names: frozenset[str]
) -> tuple[frozenset[str], ...]:
    names = {w.casefold() for i, w in enumerate(words(question)) if is_name(w, i, lang, corpus_names)}
    question_words = [
        w for w in dict.fromkeys(content_words(question, lang)) if w not in names and _ELISION.sub("", w) not in names
    ]
    own = _stemmer(lang)
    groups = {w: {f"{lang}:{own.stemWord(w) if own else w}"} for w in question_words}
    targets = set(corpus_langs) - {lang}
    if not targets or not question_words:
        return tuple(frozenset(g) for g in groups.values())
    try:
        from qa.text.dictionary import translations
    except Exception:  # noqa: BLE001 - the dictionaries are optional
        return tuple(frozenset(g) for g in groups.values())
    forms = {form: w for w in question_words for form in lookup_forms(w)}
    for target in sorted(targets):
        found = translations(list(forms), lang, {target})
        # A compound no dictionary lists ("vredesproces", "Friedensprozess"):
        # the first senses of its parts (content-stem recall@5 0.704 -> 0.719).
        for form in [f for f in forms if f not in found]:
            for terms in translations(list(compound_parts(form, lang)), lang, {target}).values():
                found.setdefault(form, []).extend(terms[:2])
        for form, terms in found.items():
            group = groups.get(forms[form])
            if group is not None:
                for term in terms[:_MAX_TRANSLATIONS]:
                    # Whole: the index holds compounds' parts already, and parts
                    # of a dictionary's rarer senses ("Fehl|stelle") are noise.
                    group.update(stem_tokens(term, target, split=False))
    return tuple(frozenset(g) for g in groups.values())


def corpus_names(sentences: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Folded words that ``(sentence, lang)`` pairs in languages not capitalising nouns write as names.

    A name is capitalised wherever it stands inside a sentence; a title
    ("Prime Minister", but "the foreign minister") only sometimes.
    """
    capital: dict[str, int] = {}
    seen: dict[str, int] = {}
    for sentence, lang in sentences:
        if lang in NOUN_CAPITALISING:
            continue
        for w in words(sentence)[1:]:  # the opening word is capitalised anyway
            if w[:1].isalpha() and not w.isupper():
                key = fold(w)
                seen[key] = seen.get(key, 0) + 1
                capital[key] = capital.get(key, 0) + w[:1].isupper()
    return frozenset(k for k, n in capital.items() if n and n >= _NAME_SHARE * seen[k])


_NAME_SHARE = 0.8


_JOINED = re.compile(r"[-‐–]")
_ELISION = re.compile(r"^([^\W\d_]{1,5})['’](?=[^\W\d_]{3,})")  # l'accord, d'automne, sull'accordo, qu'il
_POSSESSIVE = re.compile(r"['’]s?$")  # Aliyev's, Reuters'


def lookup_forms(word: str) -> list[str]:
    """What a dictionary can look up for one written word.

    Headwords carry no elided article ("l'accord" is "accord"), no
    possessive ending, and no hyphenated clitics ("affirme-t-il" is
    "affirme"); a hyphenated compound is looked up part by part.
    """
    word = _POSSESSIVE.sub("", _ELISION.sub("", word))
    parts = [p for p in re.split(r"[-‐]", word) if len(p) >= 3]
    return parts if len(parts) > 1 or (parts and parts[0] != word) else [word]


def translated_tokens(
    question: str, lang: str, corpus_langs: set[str], names: frozenset[str] = frozenset()
) -> list[str]:
    """The question's content words as stems in its own language and, via dictionaries, in the others."""
    tokens = [t for group in term_groups(question, lang, corpus_langs, names) for t in sorted(group)]
    # Stems in a language no article is written in cannot match anything.
    return [t for t in dict.fromkeys(tokens) if t.split(":", 1)[0] in corpus_langs]


def doc_tokens(text: str) -> list[str]:
    tokens = []
    for w in words(text):
        key = fold(w)
        if len(key) < 2:
            continue
        tokens.append("w:" + key)
        tokens.extend(trigrams(key))
        # "Aghdam-Khankendi road", "Nagorno-Karabakh": each name is a word too,
        # or a question about "Aghdam" finds no mention of it.
        parts = [fold(p) for p in _JOINED.split(w)]
        if len(parts) > 1:
            tokens.extend("w:" + p for p in parts if len(p) >= 3)
    return tokens


def query_tokens(question: str, extra_terms: list[str] = ()) -> list[str]:
    """Whole-word keys for longer words; trigrams only for anchors and bridges."""
    tokens = []
    for i, w in enumerate(words(question)):
        key = fold(w)
        if is_salient(w, i):
            tokens.append("w:" + key)
            tokens.extend(trigrams(key))
        elif len(key) >= _MIN_WORD:
            tokens.append("w:" + key)
    # Bridges (a place's names in other languages) as whole words only: their
    # trigrams would let dozens of exonyms outvote the question's own words.
    tokens.extend(dict.fromkeys("w:" + fold(w) for term in extra_terms for w in words(term)))
    return tokens
