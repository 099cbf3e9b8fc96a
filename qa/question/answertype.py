"""What kind of answer a question asks for, and whether a sentence has one.

"How many…", "When…", "Where…", "Who…" each expect a span of a known kind: a
number, a date, a place, a name. Checking for it is the oldest trick in
question answering (answer-type classification) and works across languages
without a translator: the interrogatives are a closed class per language,
numbers are digits, month and weekday names come from CLDR (babel) and
places from GeoNames. It helps twice: among sentences that look alike the
one with the expected kind of span is the likelier answer, and when no
retrieved sentence has one, the articles most likely do not say.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.text.calendar import calendar_words, time_units
from qa.text.fold import fold, salient_words, unspaced_letters, words

NUMBER, DATE, PLACE, PERSON, REASON = "number", "date", "place", "person", "reason"
SOURCE = "source"  # which outlet or agency reported it: answered from the article's own credit line

# Interrogatives per language, matched on the casefolded question. Only
# closed-class function words and generic nouns (day, year, country, city):
# nothing about any corpus. Checked in this order, so "which year" is a
# date before "which" could read as anything else.
_PATTERNS: dict[str, list[tuple[str, str]]] = {
    "en": [
        (SOURCE, r"\b(?:which|what) (?:source|outlet|agency|news agency|newspaper|media|website|wire service)\b[^?]{0,60}\b(?:reported|published|quoted|cited|credited|carried)\b|\baccording to (?:which|what|whom)\b|\bwho (?:first )?reported (?:it|this|that|the news)\b"),
        (REASON, r"^why\b|\bfor what reason\b|\bwhat (?:was|is) the reason\b"),
        (DATE, r"\bwhen\b|\b(?:what|which) (?:day|date|year|month|weekday)\b|\bsince when\b"),
        (NUMBER, r"\bhow (?:many|much|long|far|old|big|large)\b|\bwhat (?:number|percentage|share)\b"),
        (PLACE, r"\bwhere\b|\b(?:what|which) (?:country|city|town|place|capital|region)\b"),
        (PERSON, r"^(?:who|whom)\b|\bwho\b"),
    ],
    "de": [
        (SOURCE, r"\bwelche[mnrs]? (?:quelle|agentur|nachrichtenagentur|zeitung|medium|medien|website)\b[^?]{0,60}\b(?:berichtet|meldet|zitiert|veröffentlicht|genannt|angegeben)|\blaut welche[mnrs]?\b|\bwer (?:berichtete|meldete)\b"),
        (REASON, r"\b(?:warum|weshalb|wieso|weswegen)\b|\baus welchem grund\b"),
        (DATE, r"\bwann\b|\bwelche[mnrs]? (?:tag|datum|jahr|monat|wochentag)\b"),
        (NUMBER, r"\bwie ?(?:viele?|lange|weit|alt|hoch|gro(?:ß|ss))\b"),
        (PLACE, r"\bwo(?:hin|her)?\b|\bwelche[mnrs]? (?:land|stadt|ort|hauptstadt|region)\b"),
        (PERSON, r"\bwer\b|\bwen\b|\bwem\b"),
    ],
    "nl": [
        (SOURCE, r"\bwelke? (?:bron|persbureau|nieuwsbron|krant|medium|media|website)\b[^?]{0,60}\b(?:meld|bericht|citeer|publiceer|genoemd|vermeld)|\bvolgens welke?\b|\bwie (?:meldde|berichtte)\b"),
        (REASON, r"\bwaarom\b|\bom welke reden\b"),
        (DATE, r"\bwanneer\b|\bwelke? (?:dag|datum|jaar|maand)\b|\bsinds wanneer\b"),
        (NUMBER, r"\bhoeveel\b|\bhoe (?:lang|ver|oud|groot)\b"),
        (PLACE, r"\bwaar(?:heen)?\b|\bwelke? (?:land|stad|plaats|hoofdstad|regio)\b"),
        (PERSON, r"^wie\b|\bwie (?:is|was|heeft|had|zijn|waren)\b"),
    ],
    "fr": [
        (SOURCE, r"\bquel(?:le)?s? (?:source|agence|journal|média|site web)\b[^?]{0,60}\b(?:rapport|cit|publi|relay)|\bselon quel(?:le)?s?\b|\bqui a rapporté\b"),
        (REASON, r"\bpourquoi\b|\bpour quelle raison\b"),
        (DATE, r"\bquand\b|\bquel(?:le)?s? (?:jour|date|année|mois)\b"),
        (NUMBER, r"\bcombien\b"),
        (PLACE, r"\boù\b|\bquel(?:le)?s? (?:pays|ville|lieu|capitale|région)\b"),
        (PERSON, r"^qui\b|\bqui (?:a|est|sont|était|étaient|va)\b"),
    ],
    "es": [
        (SOURCE, r"\bqu[eé] (?:fuente|agencia|peri[oó]dico|medio)\b[^?]{0,60}\b(?:inform|cit|public|difund|report)|\bseg[uú]n qu[eé]\b|\bqui[eé]n inform[oó]\b"),
        (REASON, r"\bpor qu[eé]\b|\bpor qu[eé] raz[oó]n\b"),
        (DATE, r"\bcu[aá]ndo\b|\bqu[eé] (?:d[ií]a|fecha|año|mes)\b"),
        (NUMBER, r"\bcu[aá]nt[oa]s?\b"),
        (PLACE, r"\bd[oó]nde\b|\bqu[eé] (?:pa[ií]s|ciudad|lugar|capital|regi[oó]n)\b"),
        (PERSON, r"\bqui[eé]n(?:es)?\b"),
    ],
    "it": [
        (SOURCE, r"\b(?:quale|che|quali) (?:fonte|fonti|agenzia|giornale|testata)\b[^?]{0,60}\b(?:riport|citat|pubblic|riferit|diffus)|\bsecondo quale\b"),
        (REASON, r"\bperch[eé]\b|\bper quale motivo\b"),
        (DATE, r"\bquando\b|\b(?:quale|che|quel) (?:giorno|data|anno|mese)\b"),
        (NUMBER, r"\bquant[oiae]\b"),
        (PLACE, r"\bdove\b|\b(?:quale|che|quali) (?:paese|città|luogo|capitale|regione)\b"),
        (PERSON, r"\bchi\b"),
    ],
    "pt": [
        (SOURCE, r"\b(?:qual|que) (?:fonte|agência|jornal|veículo)\b[^?]{0,60}\b(?:informou|citad|publicou|noticiou|divulgou|relatou)|\bsegundo (?:qual|que fonte)\b"),
        (REASON, r"\bpor que\b|\bpor qual raz[aã]o\b"),
        (DATE, r"\bquando\b|\b(?:qual|que) (?:dia|data|ano|mês)\b"),
        (NUMBER, r"\bquant[oa]s?\b"),
        (PLACE, r"\bonde\b|\b(?:qual|que) (?:país|cidade|lugar|capital|região)\b"),
        (PERSON, r"\bquem\b"),
    ],
    "pl": [
        (SOURCE, r"\b(?:jakie|które|jaka|która|jakiego|którego) (?:źródło|źródła|agencja|agencji|gazeta|medium)\b[^?]{0,60}\b(?:poda|cytow|opublikow|poinformow)|\bwedług (?:jakiego|którego|jakiej|której)\b"),
        (REASON, r"\bdlaczego\b|\bczemu\b|\bz jakiego powodu\b"),
        (DATE, r"\bkiedy\b|\b(?:którego|jakiego) dnia\b|\bw (?:którym|jakim) (?:roku|miesiącu|dniu)\b"),
        (NUMBER, r"\bil[eu]\b|\bjak długo\b"),
        (PLACE, r"\bgdzie\b|\bdokąd\b|\bw (?:jakim|którym) (?:kraju|mieście|państwie|regionie)\b"),
        (PERSON, r"\bkto\b|\bkogo\b|\bkomu\b"),
    ],
    "ru": [
        (SOURCE, r"\b(?:какой|какое|какая|каким|какого|какие) (?:источник|источника|агентство|издание|сми|газета)\b[^?]{0,60}\b(?:сообщ|цитир|процитир|опубликова|распростран)|\bпо данным (?:какого|какой)\b"),
        (REASON, r"\bпочему\b|\bзачем\b|\bпо какой причине\b"),
        (DATE, r"\bкогда\b|\bв как(?:ом|ой) (?:году|день|месяце)\b|\bкакого числа\b"),
        (NUMBER, r"\bсколько\b|\bкак долго\b"),
        (PLACE, r"\bгде\b|\bкуда\b|\bв как(?:ой|ом) (?:стране|городе|регионе)\b"),
        (PERSON, r"\bкто\b|\bкого\b|\bкому\b"),
    ],
    "tr": [
        (REASON, r"\bneden\b|\bniçin\b|\bniye\b"),
        (DATE, r"\bne zaman\b|\bhangi (?:gün|tarih|yıl|ay)\b"),
        (NUMBER, r"\bkaç\b|\bne kadar\b"),
        (PLACE, r"\bnerede\b|\bnereye\b|\bhangi (?:ülke|şehir)\b"),
        (PERSON, r"\bkim\b"),
    ],
    "uk": [
        (REASON, r"\bчому\b|\bнавіщо\b"),
        (DATE, r"\bколи\b|\bв якому (?:році|місяці)\b|\bякого числа\b"),
        (NUMBER, r"\bскільки\b|\bяк довго\b"),
        (PLACE, r"\bде\b|\bкуди\b|\bв якій країні\b|\bв якому місті\b"),
        (PERSON, r"\bхто\b|\bкого\b|\bкому\b"),
    ],
    "ar": [
        (REASON, r"\bلماذا\b"),
        (DATE, r"\bمتى\b|\bفي أي (?:عام|سنة|يوم|شهر)\b"),
        (NUMBER, r"\bكم\b"),
        (PLACE, r"\bأين\b|\bفي أي (?:بلد|مدينة|دولة)\b"),
        (PERSON, r"^من\b"),
    ],
    # No spaces between words: the interrogatives are matched anywhere in the question.
    "ja": [
        (REASON, r"なぜ|どうして"),
        (DATE, r"いつ|何年に|何月|何日に|何曜日"),
        (NUMBER, r"いくら|いくつ|何人|何日間|何年間|どのくらい|どれくらい|何億|何万|数は"),
        (PLACE, r"どこ"),
        (PERSON, r"誰|だれ"),
    ],
    "zh": [
        (REASON, r"为什么|為什麼"),
        (DATE, r"什么时候|什麼時候|何时|何時|哪一年|哪天|几月|幾月"),
        (NUMBER, r"多少|几个|幾個|多久|多长时间|多長時間"),
        (PLACE, r"哪里|哪裡|在哪"),
        (PERSON, r"谁|誰"),
    ],
}
_COMPILED = {lang: [(kind, re.compile(p)) for kind, p in pats] for lang, pats in _PATTERNS.items()}

# Spelled-out quantities that news prose uses instead of digits.
_NUMERALS = {
    "en": "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred hundreds "
    "thousand thousands million millions billion dozen dozens",
    "de": "zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig vierzig fünfzig hundert "
    "hunderte tausend tausende million millionen milliarde milliarden dutzend dutzende",
    "nl": "twee drie vier vijf zes zeven acht negen tien elf twaalf twintig dertig veertig vijftig honderd "
    "honderden duizend duizenden miljoen miljoenen miljard tientallen",
    "fr": "deux trois quatre cinq six sept huit neuf dix onze douze vingt trente quarante cinquante cent centaines "
    "mille milliers million millions milliard dizaine dizaines",
    "es": "dos tres cuatro cinco seis siete ocho nueve diez once doce veinte treinta cuarenta cincuenta cien "
    "cientos mil miles millón millones docena docenas",
    "it": "due tre quattro cinque sei sette otto nove dieci undici dodici venti trenta quaranta cinquanta cento "
    "centinaia mille migliaia milione milioni miliardo decine",
    "pt": "dois duas três quatro cinco seis sete oito nove dez onze doze vinte trinta cem centenas mil milhares "
    "milhão milhões dezenas",
    "pl": "dwa dwie trzy cztery pięć sześć siedem osiem dziewięć dziesięć dwadzieścia sto setki tysiąc tysiące "
    "milion miliony",
    "ru": "два две три четыре пять шесть семь восемь девять десять двадцать сто сотни тысяча тысячи миллион "
    "миллиона миллионов",
    "uk": "два дві три чотири п'ять шість сім вісім дев'ять десять двадцять сто сотні тисяча тисячі мільйон "
    "мільйона мільйонів мільярд мільярда",
    "ar": "اثنان اثنين ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة عشرة عشرون عشرين ثلاثون ثلاثين مئة مائة ألف آلاف "
    "مليون ملايين مليار",
    "tr": "iki üç dört beş altı yedi sekiz dokuz on yirmi otuz kırk elli yüz yüzlerce bin binlerce milyon milyar",
    "az": "iki üç dörd beş altı yeddi səkkiz doqquz on iyirmi otuz qırx əlli yüz yüzlərlə min minlərlə milyon milyard",
}
# Chinese and Japanese write quantities with these characters (六百億円, 十万人): a run
# of two, or one before a counter. A lone 一 is also in 一方 ("on the other hand") or 統一.
_CJK_DIGITS = "〇一二三四五六七八九十百千万萬億亿兆"
_CJK_NUMERAL = re.compile(f"[{_CJK_DIGITS}]{{2,}}|[{_CJK_DIGITS}][人日年月円件個台回名元倍%％]")
# How news reports a reason: causal connectives and "citing…" constructions,
# as casefolded word prefixes in the article's language.
_REASON_MARKERS = {
    "en": "because cause reason due owing citing cited accus protest blame",
    "de": "weil denn wegen aufgrund grund begründ verwies verweis deshalb daher vorwurf vorwerf",
    "nl": "omdat want vanwege wegens reden oorzaak verwijz verwees beschuldig",
    "fr": "parce car raison cause motif invoqu accus reproch",
    "es": "porque debido causa razón motivo alegando citando acus",
    "it": "perché poiché causa motivo ragione citando accus",
    "pt": "porque devido causa razão motivo alegando acus",
    "pl": "ponieważ bo powodu przyczyn powołując oskarż",
    "ru": "потому поскольку из-за причин ссылаясь обвин",
}
_YEAR = re.compile(r"\b(?:1[89]|20|21)\d\d\b")
_DAY_MONTH = re.compile(r"\b\d{1,2}[./]\s?\d{1,2}(?:[./]\s?\d{2,4})?\b|\b\d{1,2}\.?\s+[^\W\d_]{3,}")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_HEAD_WORDS = 5


def has_topic(question: str, language: str) -> bool:
    """Whether the question names anything besides interrogatives and function words.

    "Why?" or "Wann?" alone (no earlier turn to lean on) asks about nothing:
    retrieval would still return its nearest passages, and quoting them would
    answer a question nobody asked. Every language's interrogatives are
    removed, not only the detected language's: a one-word question is too
    short to detect ("Почему?" falls back to English).
    """
    from qa.text.terms import content_words

    if salient_words(question):
        return True
    text = question.casefold()
    for patterns in _COMPILED.values():
        for _, pattern in patterns:
            text = pattern.sub(" ", text)
    return bool(content_words(text, language))


def expected_type(question: str, language: str) -> str | None:
    """The kind of span the question asks for, or None (why/how/what questions)."""
    # Only the opening words: "Why did he refuse *when* asked…" asks why, and
    # Spanish/French "cuando"/"quand" are conjunctions later in a sentence.
    tokens = question.casefold().lstrip("¿¡ ").split()
    head, longer = " ".join(tokens[:_HEAD_WORDS]), " ".join(tokens[: 2 * _HEAD_WORDS])
    for kind, pattern in _COMPILED.get(language, []):
        # "Quelle agence de presse a rapporté…": a source question names its verb a little later.
        if pattern.search(longer if kind == SOURCE else head):
            return kind
    return None


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").replace(".", "") for n in _DIGITS.findall(text)}


# "How long…": a duration answers without a digit ("a little more than a week after").
_DURATION = re.compile(
    r"\bhow long\b|\bhow much time\b|\bwie lange?\b|\bwie viel zeit\b|\bhoe lang\b|\bhoeveel tijd\b"
    r"|\bcombien de temps\b|\bcu[aá]nto tiempo\b|\bquanto tempo\b|\bjak d[lł]ugo\b|\bile czasu\b"
    r"|\bкак долго\b|\bсколько времени\b|\bne kadar s[üu]re\b"
)


_COUNT_REACH = 2  # words after a number that can name what it counts ("300 settlements and villages")


def counted_noun(question: str, language: str) -> str | None:
    """What a "how many" question counts: the first content word after its interrogative ("days")."""
    from qa.text.terms import content_words

    text = " ".join(question.casefold().lstrip("¿¡ ").split()[:_HEAD_WORDS + 3])
    for kind, pattern in _COMPILED.get(language, []):
        m = pattern.search(text) if kind == NUMBER else None
        if m:
            following = content_words(text[m.end() :], language)
            return following[0] if following else None
    return None


def counts_asked_thing(sentence: str, lang: str, asked: set[str]) -> bool:
    """Whether a number in the sentence counts what the question asks about.

    "How many days did the war last?" is answered by "the 44-day conflict",
    not by "in 2020": the number must stand next to (or inside a hyphenated
    word with) one of the question's content words, given as ``lang:stem``
    tokens in the article languages (``lexical.term_groups``).
    """
    return not counted_terms(sentence, lang).isdisjoint(asked)


@lru_cache(maxsize=8192)
def counted_terms(sentence: str, lang: str) -> frozenset[str]:
    """The ``lang:stem`` tokens of the words a number in ``sentence`` stands next to.

    Kept per passage: a "how many" question scans every candidate passage,
    and stemming them again took 8 ms of such a question's search.
    """
    from qa.text.terms import stem_tokens

    tokens = words(sentence)
    numerals = set(_NUMERALS.get(lang, "").split())
    out: set[str] = set()
    for i, token in enumerate(tokens):
        parts = re.split(r"[-‐]", token)
        if not any(p.isdigit() or p.casefold() in numerals for p in parts):
            continue
        near = [p for p in parts if not p.isdigit()] + tokens[i + 1 : i + 1 + _COUNT_REACH]
        out.update(t for word in near for t in stem_tokens(word, lang, split=False))
    return frozenset(out)


def has_answer(sentence: str, kind: str, lang: str, question: str) -> bool:
    """Whether ``sentence`` (in ``lang``) contains a span of ``kind`` not already in the question."""
    tokens = [w.casefold() for w in words(sentence)]
    if kind == NUMBER:
        new = _numbers(sentence) - _numbers(question)
        if new or any(t in _NUMERALS.get(lang, "").split() for t in tokens):
            return True
        if lang in ("ja", "zh"):
            return bool(_CJK_NUMERAL.search(sentence))
        if lang not in _NUMERALS:
            return True  # no numerals known for the language: unknown is not absent
        units = time_units(lang) if _DURATION.search(question.casefold()) else frozenset()
        return any(t in units or t[:5] in units for t in tokens)
    if kind == DATE:
        if set(_YEAR.findall(sentence)) - set(_YEAR.findall(question)) or _DAY_MONTH.search(sentence):
            return True
        calendar = calendar_words(lang)
        if unspaced_letters(sentence):  # one "word" per clause: look for the names inside it
            return any(name in sentence.casefold() for name in calendar)
        return any(t in calendar or t[:5] in calendar for t in tokens)
    if kind == PLACE:
        from qa.question.expand import places

        asked = places(words(question))
        named = places(w for w in words(sentence) if w[:1].isupper())
        return bool(named - asked)
    if kind == REASON:
        markers = _REASON_MARKERS.get(lang, "").split()
        # Short markers whole ("bo", "car", "due"), longer ones as stems ("begründ-").
        return any(t == m if len(m) <= 4 else t.startswith(m) for t in tokens for m in markers)
    if kind == PERSON:
        asked = {fold(w) for w in words(question)}
        names = [w for i, w in enumerate(words(sentence)) if i > 0 and w[:1].isupper() and len(w) >= 3]
        return any(fold(w) not in asked for w in names)
    return False
