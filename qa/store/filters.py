"""What a search filter means, in one place for every backend.

Filters are a plain dict (``lang``/``language``, ``source``, ``date_from``,
``date_to``) so the page, the CLI and outside scripts can write them. The
embedded index applies them to article metadata in Python; a database turns
the same :class:`Restriction` into SQL, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa.types import Article

Filters = dict[str, Any]


def _as_set(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(str(v) for v in value)


@dataclass(frozen=True)
class Restriction:
    """A filter dict, read: empty sets and None mean "any"."""

    langs: frozenset[str]
    sources: frozenset[str]  # a file name or an outlet
    date_from: str | None
    date_to: str | None

    @classmethod
    def of(cls, filters: Filters | None) -> Restriction:
        filters = filters or {}
        return cls(
            langs=_as_set(filters.get("lang") or filters.get("language")),
            sources=_as_set(filters.get("source")),
            date_from=str(filters["date_from"]) if filters.get("date_from") else None,
            date_to=str(filters["date_to"]) if filters.get("date_to") else None,
        )

    @property
    def dated(self) -> bool:
        return bool(self.date_from or self.date_to)


def matches(article: Article, filters: Filters) -> bool:
    """Whether an article passes language / source / date filters.

    ``source`` matches the file name or the outlet; dates are ISO strings and
    articles without a known date are excluded once a date bound is set.
    """
    r = Restriction.of(filters)
    if r.langs and article.lang not in r.langs:
        return False
    if r.sources and article.source not in r.sources and (article.outlet or "") not in r.sources:
        return False
    if r.dated:
        if not article.date:
            return False
        if r.date_from and article.date < r.date_from:
            return False
        if r.date_to and article.date > r.date_to:
            return False
    return True
