"""Title, date and outlet of an article, read from the text itself.

News files dropped into a folder rarely come with structured metadata, but
the text usually says it: a date stamp before the headline, an agency tag
like "(Reuters) –", a byline "Von Reuters", a trailing "Referentie: Azertag.az".
These feed citation cards and the date/source filters.
"""

from __future__ import annotations

import re

from .clean import DATE_PREFIX, line_spans

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
        byline = _OUTLET_PATTERNS[1][0].search(line)
        if byline and byline.start() > 0:
            line = line[: byline.start()].rstrip()
        if line:
            return line if len(line) <= _TITLE_MAX else line[: _TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
    return fallback


def date_of(text: str) -> str | None:
    """An ISO date stated near the top of the article (headers carry the date)."""
    span = date_span_of(text)
    return text[span[0] : span[1]] if span else None


def date_span_of(text: str) -> tuple[int, int] | None:
    """Where :func:`date_of`'s date is written (offsets into ``text``)."""
    m = _ISO_DATE.search(text[:500])
    return m.span() if m else None


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
    return None
