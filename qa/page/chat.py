"""One conversation turn: the question, its status line, the answer and its cards.

Answers are kept in ``st.session_state``; each rerun draws them again from there.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import streamlit as st

from qa.answer.ask import ask
from qa.errors import InvalidQuestionError, QAError
from qa.page.cards import distinct_passages, match_label, render_card
from qa.page.markup import answer_markdown, md_escape
from qa.page.scope import describe_filters
from qa.page.warmup import wait_for_models
from qa.page.words import page_text
from qa.types import Answer

STAGES = {
    "loading": "Loading the language models…",
    "searching": "Searching the articles…",
    "composing": "Composing the answer…",
}


def render_turn(corpus: Path, turn: dict[str, Any]) -> None:
    tid = turn["id"]
    with st.chat_message("user"):
        st.markdown(md_escape(turn["question"]))
    with st.chat_message("assistant"):
        if turn.get("error"):
            st.error(md_escape(turn["error"]))
            return
        ans: Answer = turn["answer"]
        st.status(md_escape(turn["status"]), state="complete", expanded=False)
        lang = ans.language
        if ans.abstained:
            st.markdown(f"#### {md_escape(page_text(lang, 'not_in_articles'))}")
            if ans.text:
                st.markdown(md_escape(ans.text))
            related = distinct_passages(ans.passages)
            if related:
                st.caption(md_escape(page_text(lang, "related_caption")))
            for i, p in enumerate(related, 1):
                render_card(corpus, tid, f"r{i}", page_text(lang, "related", n=i), p, p.text, lang, "weak_match")
            return
        text = ans.text
        if ans.short_answer and text.startswith("**"):
            # The reader's answer span first, in bold, as the article writes it.
            head, _, text = text.partition("\n\n")
            st.markdown(f"**{md_escape(' '.join(ans.short_answer.split()))}**")
        st.markdown(answer_markdown(text, tid, [c.n for c in ans.citations]))
        best = max((c.score for c in ans.citations), default=0.0)
        for c in ans.citations:
            render_card(corpus, tid, str(c.n), f"[{c.n}]", c, c.quote, lang, match_label(c.score, best, True))


def history_for_ask(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = []
    for t in turns:
        if t.get("answer") is not None:
            # "language" lets ask() keep the conversation's language for short follow-ups.
            history.append({"role": "user", "content": t["question"], "language": t["answer"].language})
            cited = [{"source": c.source, "start": c.start, "end": c.end} for c in t["answer"].citations]
            history.append({"role": "assistant", "content": t["answer"].text, "citations": cited})
    return history


def answer_question(question: str, corpus: Path, index: Path, k: int, filters: dict[str, Any] | None) -> None:
    turns = st.session_state.turns
    turn: dict[str, Any] = {"id": st.session_state.next_turn, "question": question, "filters": filters}
    st.session_state.next_turn += 1
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"), st.status(STAGES["searching"], expanded=False) as status:

        def on_stage(stage: str) -> None:
            status.update(label=STAGES.get(stage, stage))

        started = time.perf_counter()
        try:
            wait_for_models(corpus, index, on_stage)
            ans = ask(
                question,
                history_for_ask(turns),
                k=k,
                filters=filters,
                corpus=str(corpus),
                index=str(index),
                progress=on_stage,
            )
        except InvalidQuestionError as exc:
            turn["error"] = f"Please rephrase: {exc}"
        except QAError as exc:
            turn["error"] = str(exc)
        else:
            took = time.perf_counter() - started
            turn["answer"] = ans
            sources = len({p.source for p in ans.passages})
            scope = f" · filters: {describe_filters(filters)}" if filters else ""
            if ans.focus:  # inferred from the question, applied as a preference
                scope += f" · favouring {', '.join(ans.focus)}"
            written = " · written by the language model" if ans.composer == "generative" else ""
            turn["status"] = f"Read {len(ans.passages)} passages from {sources} articles{written} · {took:.1f} s{scope}"
        status.update(label="Done", state="error" if "error" in turn else "complete")
    turns.append(turn)
    st.rerun()
