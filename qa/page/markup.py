"""Text to Markdown that renders literally: the page's first safety rule.

Nothing from an article, a citation or a question reaches the page as
markup. Text goes through :func:`md_escape` (Markdown) or ``html.escape``
(HTML) first, so an article containing ``<script>`` or ``**bold**`` shows
exactly those characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LANG_NAMES = {
    "de": "German", "en": "English", "nl": "Dutch", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "hy": "Armenian",
    "az": "Azerbaijani", "ka": "Georgian", "sv": "Swedish", "da": "Danish", "cs": "Czech", "ar": "Arabic",
    "zh": "Chinese", "ja": "Japanese",
}  # fmt: skip


# Every ASCII punctuation character may be backslash-escaped in CommonMark;
# escaping all of them also disarms Streamlit's extras (:red[...], $math$).
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


_MARKER = re.compile(r"\\\[(\d+(?:\\?,\s*\d+)*)\\\]")


def md_escape(text: str) -> str:
    """Text that Markdown renders literally, line breaks kept."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return "  \n".join(escaped.splitlines())


def lang_name(code: str | None) -> str:
    if not code:
        return "an unknown language"
    if code in LANG_NAMES:
        return LANG_NAMES[code]
    try:
        import pycountry

        found = pycountry.languages.get(alpha_2=code)
        return found.name if found else code
    except Exception:  # noqa: BLE001 - a name is a nicety, the code will do
        return code


def answer_markdown(text: str, turn: int, numbers: Iterable[int]) -> str:
    """Escaped answer text whose ``[n]`` markers link to citation card n."""
    known = set(numbers)

    def link(match: re.Match[str]) -> str:
        nums = [int(n) for n in re.findall(r"\d+", match.group(1))]
        if not nums or any(n not in known for n in nums):
            return match.group(0)
        return "".join(f"[\\[{n}\\]](#cite-{turn}-{n})" for n in nums)

    return _MARKER.sub(link, md_escape(text))


def language_note(quote_lang: str | None, question_lang: str | None) -> str | None:
    """Say so when the evidence is in another language than the question."""
    if not quote_lang or not question_lang or quote_lang == question_lang:
        return None
    return f"Quote in {lang_name(quote_lang)}; the question was in {lang_name(question_lang)}."
