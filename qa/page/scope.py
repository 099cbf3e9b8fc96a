"""The sidebar's filters as the ``filters`` dict ``ask()`` takes, date ranges included."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any


def build_filters(langs: list[str], sources: list[str], dates: tuple[date, ...] | None) -> dict[str, Any] | None:
    """The ``filters`` dict ``ask()`` takes, or None when nothing is selected."""
    filters: dict[str, Any] = {}
    if langs:
        filters["lang"] = list(langs)
    if sources:
        filters["source"] = list(sources)
    if dates:
        filters["date_from"] = dates[0].isoformat()
        if len(dates) > 1:
            filters["date_to"] = dates[1].isoformat()
    return filters or None


def date_scope(articles: Iterable[Any], dates: tuple[date, ...], keep_undated: bool) -> list[str] | None:
    """The articles a date range keeps, as a source list; None when it cannot be one.

    ``ask()``'s date filter drops every article without a known date, and
    most articles state none, so a date range would silently hide them. The
    page turns the range into the articles it keeps: those dated inside it
    and, unless the user says otherwise, those whose date is unknown (their
    cards say "date unknown").
    """
    lo = dates[0].isoformat() if dates else None
    hi = dates[-1].isoformat() if len(dates) > 1 else None
    kept = [
        a.source
        for a in articles
        if (a.date and (lo is None or a.date >= lo) and (hi is None or a.date <= hi)) or (not a.date and keep_undated)
    ]
    return sorted(kept) or None


def scoped_filters(
    langs: list[str], sources: list[str], dates: tuple[date, ...] | None, articles: list[Any], keep_undated: bool
) -> dict[str, Any] | None:
    """``build_filters`` with a date range applied as the articles it keeps (undated ones included on request)."""
    if not dates or not keep_undated:
        return build_filters(langs, sources, dates)
    scope = date_scope(articles, dates, keep_undated)
    if scope is None:  # nothing is in range: let ask() say so
        return build_filters(langs, sources, dates)
    chosen = [s for s in scope if not sources or s in sources] or None
    if chosen is None:
        return build_filters(langs, sources, dates)
    return build_filters(langs, chosen, None)


def describe_filters(filters: dict[str, Any]) -> str:
    """The filters in a status line; a long article list (a date range's scope) is counted, not listed."""

    def value(v: Any) -> str:
        if isinstance(v, list):
            return ", ".join(v) if len(v) <= 3 else f"{len(v)} articles"
        return str(v)

    return "; ".join(f"{k}={value(v)}" for k, v in filters.items())
