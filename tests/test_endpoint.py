"""The OpenAI-compatible chat client against real HTTP servers started on localhost:
one that answers like a chat server, one that answers garbage, and a closed port."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from deerin.errors import DeerinError
from deerin.models.endpoint import (
    ChatEndpoint,
    EndpointUnreachable,
    image_message,
    jpeg_data_url,
    text_message,
)
from deerin.settings import Settings

KEY = "sesame"


class QuietServer(ThreadingHTTPServer):
    """Handler threads are joined on close, and a client that hung up is not an error.

    A client that gave up on the "slow" server closes its socket before the answer is
    written; the default ``handle_error`` prints that BrokenPipe to whatever stream is
    ``sys.stderr`` then, which may be a later test's CliRunner output.
    """

    daemon_threads = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ChatServer:
    """A tiny OpenAI-compatible server on a free local port, run in a thread.

    ``mode``: "chat" answers "<question> | <image WxH or 'no image'> | <sha256[:12]>",
    "garbage" answers 200 with HTML, "slow" waits 2 s, "locked" wants ``KEY``.
    A model named "missing" gets a 404 with an OpenAI-style error. ``requests`` counts
    the chat requests received.
    """

    def __init__(self, mode: str = "chat") -> None:
        self.mode = mode
        self.requests = 0
        self.httpd = QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                server.requests += 1
                if server.mode == "garbage":
                    return self._send(200, b"<html><body>It works!</body></html>")
                if server.mode == "slow":
                    time.sleep(2)
                if server.mode == "locked" and self.headers["Authorization"] != f"Bearer {KEY}":
                    return self._send(401, {"error": {"message": "invalid api key"}})
                if body["model"] == "missing":
                    return self._send(404, {"error": {"message": "model 'missing' not found"}})
                answer = _echo(body["messages"][-1]["content"])
                message = {"role": "assistant", "content": answer}
                return self._send(
                    200,
                    {
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    },
                )

            def _send(self, status: int, payload: dict | bytes) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _echo(content: str | list[dict[str, Any]]) -> str:
    """What the server answers: derived from the question and the picture it was sent."""
    if isinstance(content, str):
        return f"{content} | no image"
    question = next(part["text"] for part in content if part["type"] == "text")
    url = next(part["image_url"]["url"] for part in content if part["type"] == "image_url")
    data = base64.b64decode(url.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as image:
        size = f"{image.width}x{image.height}"
    return f"{question} | {size} | {hashlib.sha256(data).hexdigest()[:12]}"


def closed_port_url() -> str:
    """The address of a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_text_and_image_questions_reach_the_server_and_come_back() -> None:
    picture = jpeg()
    with ChatServer() as server:
        endpoint = ChatEndpoint(server.url)
        assert endpoint.chat([text_message("Hello?")], "echo") == "Hello? | no image"
        answer = endpoint.chat([image_message("What is this?", picture)], "echo-vl")
    digest = hashlib.sha256(picture).hexdigest()[:12]
    assert answer == f"What is this? | 64x48 | {digest}"
    assert server.requests == 2
    assert jpeg_data_url(picture).startswith("data:image/jpeg;base64,/9j/")


def test_the_api_key_is_sent_and_a_refusal_names_the_setting() -> None:
    with ChatServer("locked") as server:
        assert ChatEndpoint(server.url, api_key=KEY).chat([text_message("hi")], "m")
        with pytest.raises(DeerinError) as refused:
            ChatEndpoint(server.url, api_key="wrong").chat([text_message("hi")], "m")
    assert "HTTP 401: invalid api key" in refused.value.message
    assert "vlm.api_key" in refused.value.hint


def test_an_http_error_carries_the_servers_own_message() -> None:
    with ChatServer() as server, pytest.raises(DeerinError) as failed:
        ChatEndpoint(server.url).chat([text_message("hi")], "missing")
    assert "HTTP 404: model 'missing' not found" in failed.value.message


def test_garbage_is_not_taken_for_an_answer() -> None:
    with ChatServer("garbage") as server, pytest.raises(DeerinError) as failed:
        ChatEndpoint(server.url).chat([text_message("hi")], "m")
    assert "answered something that is not an OpenAI chat completion" in failed.value.message
    assert "It works!" in failed.value.message
    assert not isinstance(failed.value, EndpointUnreachable)


def test_a_closed_port_says_the_server_cannot_be_reached() -> None:
    url = closed_port_url()
    with pytest.raises(EndpointUnreachable) as failed:
        ChatEndpoint(url, prefix="llm").chat([text_message("hi")], "m")
    assert f"cannot reach {url}" in failed.value.message
    assert failed.value.hint == "start your server or unset llm.endpoint"


def test_a_slow_server_times_out_with_a_hint() -> None:
    with ChatServer("slow") as server, pytest.raises(DeerinError) as failed:
        ChatEndpoint(server.url, timeout=0.2).chat([text_message("hi")], "m")
    assert "no answer from" in failed.value.message
    assert "vlm.timeout" in failed.value.hint


def test_the_endpoint_comes_from_settings(tmp_path) -> None:
    settings = Settings.from_values(
        {"data_dir": tmp_path, "vlm.endpoint": "http://host:8000/v1/", "vlm.timeout": 5}
    )
    endpoint = ChatEndpoint.from_settings(settings)
    assert (endpoint.url, endpoint.timeout, endpoint.api_key) == ("http://host:8000/v1", 5, None)
    with pytest.raises(DeerinError, match=r"vlm\.endpoint is not set"):
        ChatEndpoint.from_settings(Settings.from_values({"data_dir": tmp_path}))
