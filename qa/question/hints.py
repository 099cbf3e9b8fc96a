"""Where and when a question asks to look: an outlet it names, a month it names.

"What did Reuters report about Blinken?" or "What happened in August 2024?"
narrows the search the way the filters do, without the user opening them
(Onyx infers such filters from the question). They are applied as a boost,
never as a filter: an outlet's name can be an ordinary word ("Trend"), and a
month in a question can be an event's date rather than a publication date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from qa.text.calendar import calendar_words, full_month_names
from qa.text.fold import salient_words, words
from qa.types import Article

_ISO = re.compile(r"\b((?:19|20)\d{2})-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?\b")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_DAY = re.compile(r"0?[1-9]|[12][0-9]|3[01]")
_JOINERS = re.compile(r"['’-]")
SOLE_DATE_STRENGTH = 5.0
# An outlet or month named beside other words: enough to lift that article's passages
# over another article's that match the topic more closely (its title embedded with
# every window makes a whole article match its topic), not enough to override them all.
NAMED_STRENGTH = 2.0
_MAX_GAP = 2  # words between a month's name and its year ("August 28, 2024", "28. August 2024")


@dataclass(frozen=True)
class Hints:
    """What the question itself says about sources and dates."""

    sources: frozenset[str] = frozenset()  # file names of articles whose outlet the question names
    months: frozenset[str] = frozenset()  # "YYYY-MM" the question names
    # How much an article it points at is favoured: more when a date is all the
    # question names ("What happened on 2024-08-28?"), since then the articles
    # of that month are the answer, not passages that merely read like news.
    strength: float = NAMED_STRENGTH

    def __bool__(self) -> bool:
        return bool(self.sources or self.months)

    def boost(self, article: Article) -> float:
        """``strength`` for an article the question points at by outlet or by its month, 0 otherwise."""
        by_month = bool(article.date) and str(article.date)[:7] in self.months
        return self.strength if article.source in self.sources or by_month else 0.0


def outlet_keys(outlet: str) -> set[str]:
    """The ways a question writes an outlet: "Azertag.az" is also "Azertag"."""
    full = " ".join(w.casefold() for w in words(outlet))
    keys = {full} if full else set()
    base = outlet.split(".", 1)[0]
    if "." in outlet and len(base) >= 3:
        keys.add(" ".join(w.casefold() for w in words(base)))
    return {k for k in keys if len(k) >= 3}


@lru_cache(maxsize=64)
def _month_names(lang: str) -> dict[str, int]:
    """Month names (wide and abbreviated, every grammatical form) of ``lang`` and English -> 1..12."""
    out: dict[str, int] = {}
    for code in dict.fromkeys((lang, "en")):
        for key, number in full_month_names(code).items():
            out.setdefault(key, number)
            # Stems for the cases CLDR does not list ("в августе", "w sierpniu")
            # and unlisted abbreviations ("Sept."), never shorter than four letters.
            for n in range(4, len(key)):
                out.setdefault(key[:n], number)
    return out


def month_of(word: str, langs: Iterable[str]) -> int | None:
    """The month (1-12) that ``word`` names in one of ``langs`` or English, written in full; else None.

    Whole names only: a trimmed stem would read "Marco" as March, and an
    abbreviation "Jan" the first name as January.
    """
    key = word.casefold()
    for lang in dict.fromkeys((*sorted(langs), "en")):
        month = full_month_names(lang, ("wide",)).get(key)
        if month is not None:
            return month
    return None


@lru_cache(maxsize=256)
def month_keys(month: int, langs: tuple[str, ...]) -> frozenset[str]:
    """Folded full names of ``month`` in each language: "July" also finds "juillet", "lipca", "июля".

    Not the abbreviations: Polish "sie" (sierpień) is German for "she".
    """
    from qa.text.fold import fold

    return frozenset(
        fold(name)
        for lang in (*langs, "en")
        for name, number in full_month_names(lang, ("wide",)).items()
        if number == month
    )


def _month(token: str, names: dict[str, int]) -> int | None:
    for cut in (0, 1, 2):
        stem = token[: len(token) - cut]
        # A trimmed stem needs four letters: "mayor" is not "may", "marsh" not "mar".
        if len(stem) >= (3 if cut == 0 else 4) and stem in names:
            return names[stem]
    return None


def question_months(question: str, lang: str) -> set[str]:
    """"YYYY-MM" for every month-and-year the question names ("August 2024", "28 août 2024", "2024-08")."""
    found = {f"{m.group(1)}-{m.group(2)}" for m in _ISO.finditer(question)}
    names = _month_names(lang)
    tokens = [w.casefold() for w in words(question)]
    for i, token in enumerate(tokens):
        month = _month(token, names)
        if month is None:
            continue
        for year in tokens[i + 1 : i + 2 + _MAX_GAP]:
            if _YEAR.match(year):
                found.add(f"{year}-{month:02d}")
                break
    return found


def outlet_index(articles: Iterable[Article]) -> dict[str, frozenset[str]]:
    """Each way of writing an outlet -> the articles it credits (built once per index, not per question)."""
    index: dict[str, set[str]] = {}
    for a in articles:
        for key in outlet_keys(a.outlet) if a.outlet else ():
            index.setdefault(key, set()).add(a.source)
    return {key: frozenset(sources) for key, sources in index.items()}


def question_hints(question: str, lang: str, outlets: dict[str, frozenset[str]]) -> Hints:
    """The outlets (from the corpus's :func:`outlet_index`) and months ``question`` names."""
    # Hyphenated compounds name the outlet too: "laut der Trend-Meldung", "Reuters-Bericht".
    parts = [p.casefold() for w in words(question) for p in _JOINERS.split(w)]
    text = f" {' '.join(parts)} "
    sources = frozenset(s for key, found in outlets.items() if f" {key} " in text for s in found)
    months = frozenset(question_months(question, lang))
    sole_date = bool(months) and not sources and names_only_a_date(question, lang)
    return Hints(sources=sources, months=months, strength=SOLE_DATE_STRENGTH if sole_date else NAMED_STRENGTH)


def names_only_a_date(question: str, lang: str) -> bool:
    """Whether the question asks about nothing but a date: "What happened on 2024-08-28?".

    Its names and numbers are all parts of dates, and besides the calendar
    words at most one content word is left (the "happened"); "What did the
    pope say in August 2024?" names a topic, in lower case.
    """
    from qa.text.terms import content_words

    if not only_dates(salient_words(question), lang):
        return False
    calendar, names = calendar_words(lang) | calendar_words("en"), _month_names(lang)
    rest = [
        w
        for w in content_words(question, lang)
        if w not in calendar and _month(w, names) is None and not any(ch.isdigit() for ch in w)
    ]
    return len(rest) <= 1


def only_dates(anchors: Iterable[str], lang: str) -> bool:
    """Whether a question's anchors are all parts of dates ("28", "August", "2024", "2024-08-28")."""
    return all(
        _YEAR.match(w) or _ISO.fullmatch(w) or _DAY.fullmatch(w) or month_of(w, {lang}) is not None for w in anchors
    )
