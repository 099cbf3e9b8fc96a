"""LLM query rewriting against a small local OpenAI-compatible HTTP server.

The server is real HTTP on a free port (``http.server`` in a thread); each
test tells it what to answer and reads back the request ``rewrite_query``
sent, so the protocol (URL, body, timeout, parsing, fallbacks) is exercised
end to end without a model.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from helpers import chat_payload, send_json

from qa.llm.prompts import REWRITE_SYSTEM
from qa.llm.rewrite import parse_rewrites, rewrite_query
from qa.settings import Settings

QUESTION = "Why did Aliyev skip the Granada talks?"


@dataclass
class Fake:
    """What the server answers next, and what it was asked."""

    status: int = 200
    content: str | None = ""  # None: a body that is not a chat completion
    raw: bytes | None = None
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[Fake, str]]:
    fake = Fake()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.paths.append(self.path)
            fake.headers.append(dict(self.headers))
            fake.requests.append(json.loads(body))
            time.sleep(fake.delay)
            if fake.raw is not None:
                payload = fake.raw
            elif fake.content is None:
                payload = json.dumps({"error": "no choices"}).encode()
            else:
                payload = chat_payload(fake.content)
            try:
                send_json(self, payload, fake.status)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def settings(url: str, **kw: Any) -> Settings:
    return Settings(llm_url=url, llm_model="tiny", **kw)


def test_rewrites_into_requested_languages_and_sends_a_short_request(server: tuple[Fake, str]) -> None:
    fake, url = server
    fake.content = (
        "de: Warum hat Alijew die Gespräche in Granada abgesagt?\n"
        "nl: Waarom sloeg Alijev de besprekingen in Granada over?\n"
    )
    out = rewrite_query(QUESTION, ["de", "nl", "de"], settings(url, llm_api_key="k3y"))
    assert out == [
        "Warum hat Alijew die Gespräche in Granada abgesagt?",
        "Waarom sloeg Alijev de besprekingen in Granada over?",
    ]
    assert fake.paths == ["/v1/chat/completions"]
    request = fake.requests[0]
    assert request["model"] == "tiny" and request["temperature"] == 0
    assert request["max_tokens"] <= 200  # a short reply: two lines, not an essay
    assert request["messages"][0] == {"role": "system", "content": REWRITE_SYSTEM}
    assert "Languages: de, nl" in request["messages"][1]["content"]
    assert QUESTION in request["messages"][1]["content"]
    assert fake.headers[0].get("Authorization") == "Bearer k3y"


def test_chatter_wrong_languages_and_overlong_lines_are_dropped(server: tuple[Fake, str]) -> None:
    fake, url = server
    fake.content = (
        "Sure! Here are the translations:\n"
        "1. DE: „Warum hat Alijew die Gespräche in Granada abgesagt?“\n"
        "fr: Pourquoi Aliyev a-t-il manqué les pourparlers de Grenade ?\n"  # not requested
        "nl: Why did Aliyev skip the Granada talks?\n"  # the question itself
        "es: " + "muy " * 200 + "\n"  # far too long
        "de: Eine zweite deutsche Zeile wird ignoriert.\n"
    )
    out = rewrite_query(QUESTION, ["de", "nl", "es"], settings(url))
    assert out == ["Warum hat Alijew die Gespräche in Granada abgesagt?"]


def test_a_line_in_another_language_than_its_label_is_dropped() -> None:
    reply = "de: Why did the president of Azerbaijan not travel to the summit in Spain?\nnl: Waarom ging Alijev niet naar de top in Spanje?"
    assert parse_rewrites(reply, QUESTION, ["de", "nl"]) == ["Waarom ging Alijev niet naar de top in Spanje?"]


@pytest.mark.parametrize(
    "setup",
    [
        {"status": 500, "content": "de: Warum?"},
        {"raw": b"<html>not json</html>"},
        {"content": None},  # JSON without choices
        {"content": "I cannot help with that."},
        {"content": ""},
    ],
    ids=["http-500", "not-json", "no-choices", "no-lines", "empty"],
)
def test_any_failure_gives_no_rewrites(server: tuple[Fake, str], setup: dict[str, Any]) -> None:
    fake, url = server
    for key, value in setup.items():
        setattr(fake, key, value)
    assert rewrite_query(QUESTION, ["de"], settings(url)) == []
    assert len(fake.requests) == 1


def test_a_slow_server_times_out_quickly(server: tuple[Fake, str]) -> None:
    fake, url = server
    fake.delay, fake.content = 3.0, "de: Warum hat Alijew die Gespräche abgesagt?"
    started = time.monotonic()
    assert rewrite_query(QUESTION, ["de"], settings(url), timeout=0.5) == []
    assert time.monotonic() - started < 2.5


def test_no_endpoint_or_nothing_to_do_sends_nothing(server: tuple[Fake, str]) -> None:
    fake, url = server
    assert rewrite_query(QUESTION, ["de"], Settings(llm_url="")) == []
    assert rewrite_query(QUESTION, [], settings(url)) == []
    assert rewrite_query("   ", ["de"], settings(url)) == []
    assert rewrite_query(QUESTION, ["not-a-code"], settings(url)) == []
    assert fake.requests == []


def test_unreachable_endpoint_gives_no_rewrites() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert rewrite_query(QUESTION, ["de"], settings(f"http://127.0.0.1:{port}/v1"), timeout=2) == []
