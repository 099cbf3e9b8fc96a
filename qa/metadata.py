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
    m = _ISO_DATE.search(text[:500])
    return m.group(0) if m else None


def outlet_of(text: str) -> str | None:
    """The agency or outlet the article credits, if any line names one."""
    lines = [text[s:e] for s, e in line_spans(text)]
    scopes = {_HEAD: lines[:3], _TAIL: lines[-3:], _ANY: lines}
    for pattern, scope in _OUTLET_PATTERNS:
        for line in scopes[scope]:
            m = pattern.search(line)
            if m:
                return m.group(1).strip()
    return None
