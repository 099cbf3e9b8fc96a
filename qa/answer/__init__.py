"""Steps 6 and 7, read and answer: ranked passages become a cited answer.

In: a :class:`qa.retrieve.engine.Retrieval`. Out: :class:`qa.types.Answer`,
its short answer and citations with exact character offsets, or an abstention.

``read`` (the trained span reader with a no-answer option, ``read_int8`` its
ONNX Runtime path) scores the top windows; ``fusion`` (the learned weights)
and ``compose`` (the extractive composer's features and abstention rules) pick
the sentences to quote; ``ask`` is the public entry point, with the optional
LLM composer from :mod:`qa.llm` on top.
"""
