"""Chat with the news corpus: ``streamlit run app.py``.

This file only lays the page out. Its parts live in :mod:`qa.page` (cards,
the article view, the sidebar, the warm-up, one job per module), retrieval
and answering in ``qa`` (``ask``, ``build_index``), file handling in
:mod:`qa.ingest.library`, so the app, the command line and the tests share
one implementation.

Two rules shape the page:

* Nothing from an article, a citation or a question reaches the page as
  markup (:mod:`qa.page.markup`).
* Loading the model and the index costs seconds; a rerun must not
  (:mod:`qa.page.warmup`).
"""

from __future__ import annotations

import streamlit as st

from qa.errors import QAError
from qa.page.cards import CSS
from qa.page.chat import answer_question, render_turn
from qa.page.corpus import corpus_paths
from qa.page.markup import md_escape
from qa.page.sidebar import sidebar
from qa.page.warmup import EXAMPLES, load_engine


def main() -> None:
    st.set_page_config(page_title="News Q&A", page_icon="📰", layout="wide")
    st.html(CSS)
    st.session_state.setdefault("turns", [])
    st.session_state.setdefault("next_turn", 0)
    corpus, index = corpus_paths()
    engine, load_error = None, None
    try:
        engine = load_engine(str(corpus), str(index))
        engine.refresh()
    except QAError as exc:
        load_error = str(exc)
    k, filters = sidebar(corpus, index, engine)

    st.title("Ask the news articles")
    if load_error:
        st.error(f"{md_escape(load_error)}  \nAdd articles in the sidebar to start.")
    if not st.session_state.turns:
        st.caption(
            "Answers quote the articles, whatever their language, and say when the articles do not answer. "
            "Try: " + " · ".join(f"*{md_escape(q)}*" for q in EXAMPLES)
        )
    for turn in st.session_state.turns:
        render_turn(corpus, turn)
    question = st.chat_input("Ask a question about the articles…", disabled=engine is None)
    if question and question.strip():
        answer_question(question, corpus, index, k, filters)


if __name__ == "__main__":
    main()
