"""Title, date and outlet of an article, read from the text itself.

News files dropped into a folder rarely come with structured metadata, but
the text usually says it: a date stamp before the headline, an agency tag
like "(Reuters) –", a byline "Von Reuters", a trailing "Referentie: Azertag.az",
or a dateline opening the first paragraph in the outlet's own language
("BERLIN, 3. März (dpa) –", "PARIS, le 3 mars (AFP) –", "14 de marzo de 2025 (EFE)").
These feed citation cards and the date/source filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from qa.ingest.clean import DATE_PREFIX, line_spans
from qa.text.calendar import full_month_names

_ISO_DATE = re.compile(r"\b((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_NAME = r"([A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*){0,3})"
# (pattern, which lines to look at). Keywords are case-insensitive, the name
# itself must be capitalised, so running text ("von armenischen Kräften")
# is not mistaken for a byline.
_HEAD, _TAIL, _ANY = "head", "tail", "any"
_OUTLET_PATTERNS = [
    (re.compile(r"^\(" + _NAME + r"\)\s*[-–—]"), _ANY),  # (Reuters) – ...
    (re.compile(r"\b(?i:von|by|door|par|por|di)\s+" + _NAME + r"\s*$"), _HEAD),  # headline byline
    (re.compile(r"^(?i:news service|news agency|press service|nachrichtenagentur)\s+" + _NAME + r"\s*$"), _HEAD),
    (re.compile(r"^(?i:reference|referentie|referenz|quelle|bron|source|fuente|fonte)\s*:\s*(\S+)\s*$"), _TAIL),
]
_TITLE_MAX = 120


def title_of(text: str, fallback: str) -> str:
    """The first content line; long lead sentences are shortened with an ellipsis."""
    for s, e in line_spans(text):
        line = DATE_PREFIX.sub("", text[s:e]).strip()
        if is_dateline(line):
            continue
        byline = _OUTLET_PATTERNS[1][0].search(line)
        if byline and byline.start() > 0:
            line = line[: byline.start()].rstrip()
        if line:
            return line if len(line) <= _TITLE_MAX else line[: _TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
    return fallback


def date_of(text: str) -> str | None:
    """The article's ISO date: an ISO stamp near the top, else a dateline that states the year.

    A dateline without a year ("LONDON, March 3 (Reuters) -") gives no date:
    guessing the year would put the article in the wrong place of a date filter.
    """
    m = _ISO_DATE.search(text[:500])
    if m:
        return m.group(0)
    line = dateline_of(text)
    return line.date if line else None


def date_span_of(text: str) -> tuple[int, int] | None:
    """Where :func:`date_of`'s date is written (offsets into ``text``), None when there is no date."""
    m = _ISO_DATE.search(text[:500])
    if m:
        return m.span()
    line = dateline_of(text)
    return line.date_span if line and line.date else None


def outlet_of(text: str) -> str | None:
    """The agency or outlet the article credits, if any line names one."""
    span = outlet_span_of(text)
    return text[span[0] : span[1]] if span else None


def outlet_span_of(text: str) -> tuple[int, int] | None:
    """Where the credit line names :func:`outlet_of`'s outlet (offsets into ``text``)."""
    spans = line_spans(text)
    scopes = {_HEAD: spans[:3], _TAIL: spans[-3:], _ANY: spans}
    for pattern, scope in _OUTLET_PATTERNS:
        for s, e in scopes[scope]:
            m = pattern.search(text[s:e])  # on the line itself: "^" and "$" are its ends
            if m:
                name = m.group(1)
                start = s + m.start(1) + len(name) - len(name.lstrip())
                return start, start + len(name.strip())
    line = dateline_of(text)
    return line.outlet_span if line else None


# -- datelines -------------------------------------------------------------------
# Languages whose month names a dateline may use. When two languages spell a
# month alike but mean different months (Polish "listopad" is November,
# Croatian October), the earlier language here wins.
_DATELINE_LANGS = (
    "en de fr es it pt nl pl ru uk cs sk sv da nb fi hu ro tr ca el bg sl hr sr lt lv et az hy ka"
).split()
_DATELINE_LINES = 6  # a dateline opens the first paragraph, after a headline and maybe a standfirst
_PLACE = r"[^\W\d_][^\W\d_'’.-]*(?:[ '’./-]{1,2}[^\W\d_][^\W\d_'’.-]*){0,3}"


def _credit(group: str) -> str:
    """An agency credit in brackets, "(dpa)", "(Agencia Levante)", captured as ``group`` (any case)."""
    return rf"\((?P<{group}>[^\W\d_][\w.&'’ /-]{{0,40}}?)\)"


def _year(group: str) -> str:
    """An optional year after a day and month (", 2025", " de 2025", " del 2025"), captured as ``group``."""
    return rf"(?:,?\s+(?:del?\s+)?(?P<{group}>(?:19|20)\d{{2}}))?"


@dataclass(frozen=True)
class Dateline:
    """What a dateline says: its ISO date (None without a year) and where date and outlet are written."""

    date: str | None
    date_span: tuple[int, int] | None
    outlet_span: tuple[int, int] | None


@lru_cache(maxsize=1)
def _month_table() -> dict[str, int]:
    """Month names (every CLDR form, wide and abbreviated, case-folded) of many languages -> 1..12."""
    table: dict[str, int] = {}
    for lang in _DATELINE_LANGS:
        for name, number in full_month_names(lang).items():
            table.setdefault(name, number)
    return table


@lru_cache(maxsize=1)
def _dateline_pattern() -> re.Pattern[str]:
    """One line-start pattern for the dateline forms of many languages.

    ``PLACE, [le|den|am] DATE [(OUTLET)] –`` where DATE is "3. März",
    "3 mars 2025", "14 de marzo de 2025", "March 3, 2025" or "03.03.2025";
    also ``PLACE (OUTLET) –`` with no date. A credit, a dash, a full stop or
    the line's end must follow the date, so a sentence that merely starts
    with one ("29 July saw…") is not taken for a dateline.
    """
    months = "|".join(re.escape(m) for m in sorted(_month_table(), key=len, reverse=True))

    def month(group: str) -> str:
        return rf"(?P<{group}>{months})(?!\w)\.?"

    day_first = rf"(?P<d1>\d{{1,2}})\.?\s+(?:de\s+)?{month('m1')}{_year('y1')}"
    month_first = rf"{month('m2')}\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\d){_year('y2')}"
    numeric = r"(?P<d3>\d{1,2})\.(?P<m3>\d{1,2})\.(?P<y3>(?:19|20)\d{2})"
    when = f"(?P<date>{day_first}|{month_first}|{numeric})"
    dated = rf"(?:{_PLACE}\s*,\s*(?:(?:le|den|am|il|el|o)\s+)?)?{when}(?:\s*{_credit('outlet')}|\s*(?:[-–—.:]|$))"
    undated = rf"{_PLACE}\s*{_credit('outlet2')}\s*[-–—]"
    return re.compile(rf"^(?:{dated}|{undated})", re.IGNORECASE)


def dateline_of(text: str) -> Dateline | None:
    """The dateline among the first lines of the article, or None.

    The place must be capitalised (case-insensitive matching is for the
    month names only), so running text is not read as a dateline.
    """
    for s, e in line_spans(text)[:_DATELINE_LINES]:
        m = _dateline_pattern().match(text[s:e])
        if not m or (m.group(0)[0].isalpha() and not m.group(0)[0].isupper()):
            continue
        group = "outlet" if m.group("outlet") else "outlet2"
        outlet = (s + m.start(group), s + m.end(group)) if m.group(group) else None
        if not m.group("date"):
            return Dateline(None, None, outlet)
        return Dateline(_iso(m), (s + m.start("date"), s + m.end("date")), outlet)
    return None


def is_dateline(line: str) -> bool:
    """Whether the whole line is a dateline and nothing else (not a title)."""
    m = _dateline_pattern().match(line.strip())
    return bool(m) and m.end() >= len(line.strip().rstrip(".-–—: "))


def _iso(m: re.Match[str]) -> str | None:
    """The matched date as ISO, or None when the year is not written or the date does not exist."""
    groups = m.groupdict()
    for d, mo, y in (("d1", "m1", "y1"), ("d2", "m2", "y2"), ("d3", "m3", "y3")):
        if groups.get(d) is None:
            continue
        if groups.get(y) is None:
            return None
        word = groups[mo]
        month = int(word) if word.isdigit() else _month_table().get(word.casefold().rstrip("."))
        try:
            return date(int(groups[y]), month or 0, int(groups[d])).isoformat()
        except ValueError:
            return None
    return None
