"""Decide which spans of an article are content, without rewriting the text.

Scraped news files carry cookie banners, ad labels, share buttons, scraper
tags and repeated headlines. Indexing them makes them answer questions (a
cookie notice "cites" a data-protection law). Cleaning therefore returns
*spans* of the original string: offsets stay valid for citations, and the
file on disk is never altered.
"""

from __future__ import annotations

import re

Span = tuple[int, int]

# Line-level boilerplate in the languages news arrives in. Each pattern names a
# *kind* of page furniture, not a particular article.
_BOILERPLATE = [
    r"\bcookies?\b.*\b(use|used|policy|richtlinie|beleid|politique|pol[ií]tica|consent|akzeptieren|accept)",
    r"\b(privacy|data protection|datenschutz|privacybeleid|protection des donn[ée]es)\b.*\b(policy|law|erkl[äa]rung|gesetz)",
    r"^(advertisement|anzeige|anzeigen entfernen|werbung|advertentie|publicit[ée]|publicidad|pubblicit[àa]|reklama|remove ads?)\b",
    r"\b(anzeige eines drittanbieters|third[- ]party advertisement|kein angebot oder empfehlung)\b",
    r"^source site-\d+$",
    r"^(read more|lees meer|weiterlesen|lire aussi|leer m[áa]s|subscribe|abonnieren|share( this)?|teilen|delen|partager)\b.{0,40}$",
    r"^(reference|referentie|referenz|quelle|bron|source|fuente|fonte)\s*:\s*\S+$",
    r"^(news service|news agency|press service|nachrichtenagentur)\s+\S+$",  # byline, kept as metadata
    r"^[\W_]+$",  # punctuation-only lines ("." left by a removed widget)
]
_BOILERPLATE_RE = [re.compile(p, re.IGNORECASE) for p in _BOILERPLATE]

# A machine-readable date stamp some scrapers put before the headline.
DATE_PREFIX = re.compile(r"^\s*(?:date|datum|fecha|data)\s*:?\s*\d{4}-\d{2}-\d{2}\s*", re.IGNORECASE)


def line_spans(text: str) -> list[Span]:
    """Spans of the non-blank lines, stripped of surrounding whitespace."""
    spans = []
    for m in re.finditer(r"[^\r\n]+", text):
        s, e = m.span()
        line = m.group()
        s += len(line) - len(line.lstrip())
        e -= len(line) - len(line.rstrip())
        if e > s:
            spans.append((s, e))
    return spans


def is_boilerplate(line: str) -> bool:
    return any(p.search(line) for p in _BOILERPLATE_RE)


def content_spans(text: str) -> list[Span]:
    """Line spans worth indexing: boilerplate and repeated lines removed."""
    seen: set[str] = set()
    keep: list[Span] = []
    for s, e in line_spans(text):
        line = text[s:e]
        prefix = DATE_PREFIX.match(line)
        if prefix:
            s += prefix.end()
            line = text[s:e]
        key = " ".join(line.casefold().split())
        if not key or key in seen or is_boilerplate(line):
            continue
        seen.add(key)
        keep.append((s, e))
    return keep
