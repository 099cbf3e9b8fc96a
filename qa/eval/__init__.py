"""Measurement: retrieval and answer quality on a question file (``python -m qa eval``).

In: a question file with gold spans and a corpus. Out: recall, cited-gold,
abstention and citation-integrity figures; the bench scripts in ``bench/`` and
the tests build on it.
"""
