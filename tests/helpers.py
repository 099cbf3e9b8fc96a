"""Small pieces several tests need: stopping a child server, answering like an OpenAI endpoint."""

from __future__ import annotations

import json
import subprocess
from http.server import BaseHTTPRequestHandler


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
