"""Step 5, retrieve: a question becomes ranked passages.

In: a question, filters, and the index (kept in step with the corpus by the
engine). Out: :class:`qa.retrieve.engine.Retrieval`, the candidates of every
view fused by rank (e5, USE, BM25 name keys and stems, word alignment), and the
public ``search()`` that returns :class:`qa.types.Passage` with exact offsets.
"""
