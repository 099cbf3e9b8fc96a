"""Step 4, the question: what it asks, read before anything is searched.

In: the user's question and its language. Out: a cleaned, bounded question
(``normalise``), where and when it asks to look (``hints``: an outlet, a month),
the kind of answer it expects (``answertype``: a date, a number, a reason, a
source), and cross-lingual bridges for the places it names (``expand``).
Retrieval ranks with these; the composer checks candidate sentences against them.
"""
