"""Models and index loaded in the background, so a rerun never waits for them.

Loading the model and the index costs seconds; a rerun must not. The engine
is created once per process (``st.cache_resource``), and the models load in a
background thread started by the first page view, so the page and its chat
box appear as soon as the index is read; a question asked before the models
are ready waits for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from qa.answer.ask import ask
from qa.embed.encoders import get_embedder
from qa.errors import QAError
from qa.question.expand import expansions
from qa.retrieve.engine import get_engine
from qa.settings import Settings
from qa.text.langid import detect

log = logging.getLogger("qa.app")


EXAMPLES = ("Why did Aliyev skip the Granada talks?", "Wer hat mit Aliyev telefoniert?")


class Warmup:
    """Opens the index and loads the models in background threads.

    The index opens first (under a second when it is built), so the page and
    its chat box appear at once; then the models, the language detector and
    the place tables load, each in its own thread so their waits overlap on
    two cores. ``index_ready`` is set once the engine exists, ``models_ready``
    once a throw-away question has gone through every step of ``ask``.
    """

    def __init__(self, corpus: str, index: str):
        self.corpus, self.index = corpus, index
        self.engine: Any = None
        self.error: str | None = None
        self.index_ready = threading.Event()
        self.models_ready = threading.Event()
        threading.Thread(target=self._run, name="qa-warm-up", daemon=True).start()

    def _run(self) -> None:
        models = Settings.from_env(corpus=self.corpus, index=self.index).models
        loaders = [threading.Thread(target=_quietly, args=(_load_model, m), daemon=True) for m in models]
        loaders.append(threading.Thread(target=_quietly, args=(detect, EXAMPLES[0]), daemon=True))
        # The place tables behind cross-language name bridges: seconds of parsing on first use.
        loaders.append(threading.Thread(target=_quietly, args=(expansions, ["Granada"], {"en"}), daemon=True))
        try:
            self.engine = get_engine(self.corpus, self.index)
        except QAError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the page instead of a dead thread
            log.exception("loading the index failed")
            self.error = f"Could not load the index: {exc}"
        self.index_ready.set()
        for loader in loaders:
            loader.start()
        for loader in loaders:
            loader.join()
        if self.engine is not None:
            try:
                ask(EXAMPLES[0], k=1, corpus=self.corpus, index=self.index)
            except Exception:  # noqa: BLE001 - the first real question will report it
                log.exception("warming the models failed")
        self.models_ready.set()


def _load_model(name: str) -> None:
    get_embedder(name).query("warm-up")  # the first query builds lazy state too


def _quietly(work: Callable[..., Any], *args: Any) -> None:
    try:
        work(*args)
    except Exception:  # noqa: BLE001 - warming is best effort; a question reports real errors
        log.exception("warming up %s failed", getattr(work, "__name__", work))


@st.cache_resource(show_spinner=False)
def start_warmup(corpus: str, index: str) -> Warmup:
    """One warm-up per process and corpus; the first page view starts it."""
    return Warmup(corpus, index)


def load_engine(corpus: str, index: str) -> Any:
    """The engine once its index is open (models may still be loading); raises QAError."""
    warm = start_warmup(corpus, index)
    if not warm.index_ready.is_set():
        with st.spinner("Opening the index (the first run builds it)…"):
            warm.index_ready.wait()
    if warm.engine is None:
        start_warmup.clear()  # try again on the next rerun, e.g. after an upload
        raise QAError(warm.error or "The index could not be loaded.")
    return warm.engine


def wait_for_models(corpus: Path, index: Path, on_stage: Callable[[str], None]) -> None:
    warm = start_warmup(str(corpus), str(index))
    if not warm.models_ready.is_set():
        on_stage("loading")
        warm.models_ready.wait()
