"""Step 1, ingest: a folder of files becomes articles and chunks.

In: article files (any language, any encoding a user drops in).
Out: :class:`qa.types.Article` with exact-offset metadata (title, date, outlet),
sentence spans, and :class:`qa.types.Chunk` windows under a token budget.

load -> clean -> metadata -> sentences -> chunk; ``library`` adds and removes
files in a corpus folder safely (the page's uploads and ``python -m qa add``).
"""
