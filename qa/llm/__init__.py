"""The optional LLM, over any OpenAI-compatible endpoint; off unless configured.

In: a question, passages, settings. Out: chat calls (``client``), the guarded
generative composer (``client.generative_answer``), query rewrites into the
corpus languages (``rewrite``) and quote translations (``translate``).
``prompts`` holds every user-facing phrase and prompt per language, which the
extractive composer uses too. Everything here falls back to the extractive path.
"""
