"""Small pieces several tests need: stopping a child server, answering like an OpenAI endpoint, a fresh engine."""

from __future__ import annotations

import json
import subprocess
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate a child (Streamlit, an LLM server), killing it if it does not exit in time."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def chat_payload(content: str) -> bytes:
    """An OpenAI-style chat completion whose message is ``content``."""
    return json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()


def send_json(handler: BaseHTTPRequestHandler, payload: bytes, status: int = 200) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def ask_with_fresh_engine(question: str, corpus: Path, index: Path) -> Any:
    """``ask()`` through a new engine, so that settings changed by the test (environment) are read;
    the engines of other tests are put back afterwards."""
    from qa import ask
    from qa.retrieve.engine import _ENGINES

    saved = dict(_ENGINES)
    _ENGINES.clear()
    try:
        return ask(question, corpus=corpus, index=index)
    finally:
        _ENGINES.clear()
        _ENGINES.update(saved)
