"""Spelling-blind keys for names: Aliyev = Alijew = Əliyev = Алиев.

News in different languages transliterates the same name differently
(German "Alijew", "Paschinjan", "Eriwan"; Dutch "Azerbeidzjan"). We map every
word to ASCII with unidecode and then apply a few cross-language sound rules
(sch/sh, j/y, w/v, z/s, double letters), so spellings of one name collapse to
one key; character trigrams of the key then absorb what the rules miss.
"""

from __future__ import annotations

import re
from functools import lru_cache

from unidecode import unidecode

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
# Ordered: longer patterns first. Each rule merges spellings of one sound.
_RULES = [
    ("tsch", "ch"), ("sch", "sh"), ("dzj", "j"), ("zh", "j"), ("dj", "j"), ("dzh", "j"),
    ("kh", "h"), ("ch", "h"), ("oe", "u"), ("ou", "u"), ("ph", "f"), ("ck", "k"), ("ij", "i"),
    ("yi", "i"), ("iy", "i"), ("j", "y"), ("w", "v"), ("z", "s"), ("c", "k"), ("q", "k"), ("x", "ks"),
]  # fmt: skip
_DOUBLE = re.compile(r"([^\d])\1+")  # letters only: "300" must not become "30"
_PRE = str.maketrans({"Ə": "A", "ə": "a"})  # Azerbaijani schwa, which unidecode drops
_GLIDE = re.compile(r"^i(?=[aeou])")  # Jerevan / Yerevan / Erevan


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """The phonetic key of one word (lower-case ASCII)."""
    key = unidecode(word.translate(_PRE)).lower()
    key = re.sub(r"[^a-z0-9]", "", key)
    for a, b in _RULES:
        key = key.replace(a, b)
    key = key.replace("y", "i") if len(key) > 3 else key
    return _GLIDE.sub("", _DOUBLE.sub(r"\1", key))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


# Scripts written without spaces between words: there one "word" of the
# regex above is a whole clause, so word counts and lengths mean nothing.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)


def unspaced_letters(text: str) -> int:
    """How many letters of ``text`` are in a script written without spaces (Chinese, Japanese, Thai…)."""
    return len(_UNSPACED.findall(text))


def trigrams(key: str) -> list[str]:
    """Character trigrams of ``key`` with word-boundary marks."""
    padded = f"^{key}$"
    return [padded[i : i + 3] for i in range(len(padded) - 2)] if len(key) > 1 else []


def is_salient(word: str, position: int) -> bool:
    """Names, acronyms and numbers: the words that must match across languages."""
    if any(ch.isdigit() for ch in word):
        return len(word) >= 2
    return position > 0 and word[:1].isupper() and len(word) >= 3


def salient_words(text: str) -> list[str]:
    """Capitalised words not opening a sentence, and numbers: a question's anchors."""
    out = []
    for sentence in re.split(r"(?<=[.?!;:])\s+", text):
        out.extend(w for i, w in enumerate(words(sentence.lstrip("¿¡\"'“„«( "))) if is_salient(w, i))
    return out
