"""Language tools every step shares; a leaf: it imports nothing from the pipeline.

In: raw strings and language codes. Out: spelling-blind name keys (``fold``),
a language code (``langid``), tiktoken counts (``tokens``), bilingual term
lookups (``dictionary``), stopwords, stems and compound parts (``terms``), and
month and calendar words from CLDR (``calendar``).

A new language mostly starts here: its stemmer and stopwords (``terms``), its
dictionaries (``dictionary``), and its month names come from CLDR on their own.
"""
