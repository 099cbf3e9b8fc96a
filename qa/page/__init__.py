"""The chat page's parts, one job per module; ``app.py`` only lays them out.

In: answers and index state from the pipeline. Out: Streamlit widgets and the
HTML of cards and the article view, in the question's language (``words``).
"""
