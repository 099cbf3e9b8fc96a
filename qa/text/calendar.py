"""Calendar words of any language from CLDR (babel): month, weekday and time-unit names.

A leaf shared by three steps: ingest reads datelines with the month names,
the question step reads a month a question names, and the composer tells a
date from a count with the calendar words. One table, so the steps agree.
"""

from __future__ import annotations

from functools import lru_cache

from qa.text.fold import unspaced_letters, words


@lru_cache(maxsize=64)
def cldr_locale(lang: str):  # -> babel.Locale | None (babel is imported lazily)
    """CLDR's data for ``lang`` (month, weekday and unit names), or None for an unknown code."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return None


@lru_cache(maxsize=64)
def calendar_words(lang: str) -> frozenset[str]:
    """Month and weekday names (wide and abbreviated, all grammatical forms) and units of time in ``lang``."""
    locale = cldr_locale(lang)
    if locale is None:
        return frozenset()
    out: set[str] = set()
    for table in (locale.months, locale.days):
        for context in table.values():
            for width in ("wide", "abbreviated"):
                for name in context.get(width, {}).values():
                    name = name.casefold().rstrip(".")
                    out.add(name)
                    if width == "wide" and table is locale.months:  # "Sept.", "Febr.": unlisted abbreviations
                        out.update(name[:n] for n in range(4, len(name)))
    # Japanese weekday abbreviations are one character (日, 金, 水) and occur in every
    # other word (日本): kept from two characters up (1月, 月曜日).
    return frozenset(w for w in out if len(w) >= 3 or (len(w) >= 2 and unspaced_letters(w))) | time_units(lang)


@lru_cache(maxsize=64)
def time_units(lang: str) -> frozenset[str]:
    """Words of CLDR's relative-time and duration patterns ("letzten Monat", "two weeks later")."""
    from babel.units import format_unit

    locale = cldr_locale(lang)
    if locale is None:
        return frozenset()
    out: set[str] = set()
    fields = locale._data.get("date_fields", {})
    for unit in ("year", "month", "week", "day"):
        for tense in ("past", "future"):
            for pattern in dict(fields.get(unit, {}).get(tense, {})).values():
                out.update(w.casefold() for w in words(pattern.replace("{0}", " ")) if len(w) >= 4)
        for count in (1, 2, 5):
            try:
                text = format_unit(count, f"duration-{unit}", locale=locale)
            except Exception:  # noqa: BLE001 - a locale without the unit just adds nothing
                continue
            if "duration-" in text:  # babel echoes the unit's id when the locale lacks it
                continue
            out.update(w.casefold() for w in words(text) if len(w) >= 4)
    return frozenset(w for w in out if len(w) >= 3)


@lru_cache(maxsize=128)
def full_month_names(lang: str, widths: tuple[str, ...] = ("wide", "abbreviated")) -> dict[str, int]:
    """Whole month names of ``lang`` as CLDR writes them (every grammatical form)."""
    locale = cldr_locale(lang)
    out: dict[str, int] = {}
    for context in locale.months.values() if locale is not None else ():
        for width in widths:
            for number, name in context.get(width, {}).items():
                key = name.casefold().rstrip(".")
                if len(key) >= 3:
                    out.setdefault(key, int(number))
    return out
