"""Language identification with a detector that ships its model (py3langid).

Short or keyword-only texts ("Aliyev Granada?") are often misdetected, so the
caller can pass a fallback that is used when the text is too short or the
detector is not confident.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.text.fold import unspaced_letters

_WORD = re.compile(r"\w+", re.UNICODE)


# Widely written languages. Restricting the detector to them stops short
# English questions from being labelled Nigerian Pidgin or Latin, which the
# full 97-language model does for a third of our short test questions.
MAJOR_LANGUAGES = (
    "ar bg bn ca cs da de el en es et fa fi fr he hi hr hu hy id it ja ka kk ko "
    "lt lv ms nl no pl pt ro ru sk sl sq sr sv th tr uk ur vi zh az"
).split()


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(MAJOR_LANGUAGES)
    return identifier


def _without_names(text: str) -> str:
    """Drop capitalised words after the first: names carry their own language.

    "Why did Aliyev skip the Granada talks?" reads as Turkish to a character
    n-gram model because of "Aliyev"; the remaining words are plainly English.
    """
    words = text.split()
    rest = [w for w in words[1:] if not w[:1].isupper()]
    return " ".join(words[:1] + rest) if len(rest) >= 2 else text


def detect(text: str, fallback: str = "en", *, min_words: int = 3, min_prob: float = 0.5) -> str:
    """ISO 639-1 code of ``text``; ``fallback`` when the evidence is too thin."""
    # Chinese or Japanese has no spaces: count about two characters a word.
    if len(_WORD.findall(text)) + unspaced_letters(text) // 2 < min_words:
        return fallback
    sample = text[:5000]
    if len(sample) < 300:  # a question, not an article: names mislead the detector
        sample = _without_names(sample)
    lang, prob = _identifier().classify(sample)
    return lang if prob >= min_prob else fallback


def detect_with_confidence(text: str) -> tuple[str, float]:
    lang, prob = _identifier().classify(text[:5000])
    return lang, float(prob)
