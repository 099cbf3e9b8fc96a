"""The chat page's own words around an answer, in the question's language.

An answer's text is framed in the question's language (``qa.llm.prompts``), but
the page used to wrap it in English: a Dutch abstention under "Not in these
articles", Spanish cards labelled "Related 1". Everything the page shows with
an answer comes from here; a language without a table, or a table without a
phrase, falls back to English phrase by phrase.
"""

from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "not_in_articles": "Not in these articles",
        "related_caption": "Closest related passages (related, but they do not answer the question):",
        "related": "Related {n}",
        "date_unknown": "date unknown",
        "strong_match": "strong match",
        "weak_match": "weak match",
        "open_article": "Show in the full article",
    },
    "de": {
        "not_in_articles": "Nicht in diesen Artikeln",
        "related_caption": "Die nächstliegenden Passagen (verwandt, aber sie beantworten die Frage nicht):",
        "related": "Verwandt {n}",
        "date_unknown": "Datum unbekannt",
        "strong_match": "passt gut",
        "weak_match": "passt wenig",
        "open_article": "Im ganzen Artikel zeigen",
    },
    "nl": {
        "not_in_articles": "Niet in deze artikelen",
        "related_caption": "Meest verwante passages (verwant, maar ze beantwoorden de vraag niet):",
        "related": "Verwant {n}",
        "date_unknown": "datum onbekend",
        "strong_match": "sterke overeenkomst",
        "weak_match": "zwakke overeenkomst",
        "open_article": "Toon in het volledige artikel",
    },
    "fr": {
        "not_in_articles": "Pas dans ces articles",
        "related_caption": "Passages les plus proches (liés, mais ils ne répondent pas à la question) :",
        "related": "Lié {n}",
        "date_unknown": "date inconnue",
        "strong_match": "forte correspondance",
        "weak_match": "faible correspondance",
        "open_article": "Afficher dans l'article complet",
    },
    "es": {
        "not_in_articles": "No está en estos artículos",
        "related_caption": "Pasajes más cercanos (relacionados, pero no responden a la pregunta):",
        "related": "Relacionado {n}",
        "date_unknown": "fecha desconocida",
        "strong_match": "coincidencia fuerte",
        "weak_match": "coincidencia débil",
        "open_article": "Ver en el artículo completo",
    },
    "it": {
        "not_in_articles": "Non in questi articoli",
        "related_caption": "Passaggi più vicini (correlati, ma non rispondono alla domanda):",
        "related": "Correlato {n}",
        "date_unknown": "data sconosciuta",
        "strong_match": "corrispondenza forte",
        "weak_match": "corrispondenza debole",
        "open_article": "Mostra nell'articolo completo",
    },
    "pl": {
        "not_in_articles": "Nie ma tego w tych artykułach",
        "related_caption": "Najbliższe fragmenty (powiązane, ale nie odpowiadają na pytanie):",
        "related": "Powiązany {n}",
        "date_unknown": "data nieznana",
        "strong_match": "silne dopasowanie",
        "weak_match": "słabe dopasowanie",
        "open_article": "Pokaż w całym artykule",
    },
    "pt": {
        "not_in_articles": "Não está nestes artigos",
        "related_caption": "Passagens mais próximas (relacionadas, mas não respondem à pergunta):",
        "related": "Relacionado {n}",
        "date_unknown": "data desconhecida",
        "strong_match": "correspondência forte",
        "weak_match": "correspondência fraca",
        "open_article": "Mostrar no artigo completo",
    },
    "ru": {
        "not_in_articles": "В этих статьях этого нет",
        "related_caption": "Ближайшие фрагменты (связаны с вопросом, но не отвечают на него):",
        "related": "Связанный {n}",
        "date_unknown": "дата неизвестна",
        "strong_match": "сильное совпадение",
        "weak_match": "слабое совпадение",
        "open_article": "Показать в полной статье",
    },
    "uk": {
        "not_in_articles": "У цих статтях цього немає",
        "related_caption": "Найближчі фрагменти (пов'язані з питанням, але не відповідають на нього):",
        "related": "Пов'язаний {n}",
        "date_unknown": "дата невідома",
        "strong_match": "сильний збіг",
        "weak_match": "слабкий збіг",
        "open_article": "Показати в повній статті",
    },
    "sv": {
        "not_in_articles": "Inte i de här artiklarna",
        "related_caption": "Närmaste avsnitt (relaterade, men de besvarar inte frågan):",
        "related": "Relaterat {n}",
        "date_unknown": "datum okänt",
        "strong_match": "stark träff",
        "weak_match": "svag träff",
        "open_article": "Visa i hela artikeln",
    },
}


def page_text(lang: str | None, key: str, **values: object) -> str:
    """The phrase ``key`` in ``lang`` (English when that language or phrase is missing), filled with ``values``."""
    table = PHRASES.get((lang or "en").split("-")[0].lower(), {})
    phrase = table.get(key) or PHRASES["en"][key]
    return phrase.format(**values) if values else phrase
