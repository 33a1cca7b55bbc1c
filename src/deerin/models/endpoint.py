"""A small client for OpenAI-compatible chat servers (Ollama, vLLM, llama.cpp, LM Studio).

Vision-language and large language models run best on a server an archive already
has, often beside the footage; all of these servers speak the OpenAI chat-completions
protocol. This client posts one request with the standard library (no SDK to pin) and
turns every way it can go wrong into a :class:`DeerinError` that names the server and
the setting to change. Captions use it with the ``vlm_*`` settings; a language-model
feature uses the same client with its own prefix.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from deerin.errors import DeerinError
from deerin.settings import Settings, without_password

Message = dict[str, Any]
PREVIEW = 200  # characters of a server's message quoted in an error


class EndpointUnreachable(DeerinError):
    """Nothing answered at the address: every later request would fail the same way."""


def text_message(text: str, role: str = "user") -> Message:
    """A plain text chat message."""
    return {"role": role, "content": text}


def image_message(question: str, jpeg: bytes) -> Message:
    """A user message holding a question and one JPEG picture (sent inline)."""
    return {
        "role": "user",
        "content": [
            {"type": "text", "text": question},
            {"type": "image_url", "image_url": {"url": jpeg_data_url(jpeg)}},
        ],
    }


def jpeg_data_url(jpeg: bytes) -> str:
    """The picture as a base64 data URL: servers need no access to our files."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


@dataclass(frozen=True)
class ChatEndpoint:
    """One OpenAI-compatible server: its base URL (e.g. ``http://localhost:11434/v1``).

    ``prefix`` names the settings group that configures it (``vlm`` → ``vlm.endpoint``,
    ``vlm.api_key``, ``vlm.timeout``) so that error hints name the right one. The API
    key is kept out of ``repr`` so that it never reaches a log or a traceback.
    """

    url: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    prefix: str = "vlm"

    @classmethod
    def from_settings(cls, settings: Settings, prefix: str = "vlm") -> ChatEndpoint:
        """The server configured by the ``<prefix>`` settings group."""
        group = getattr(settings, prefix)
        if not group.endpoint:
            raise DeerinError(
                f"{prefix}.endpoint is not set",
                hint=f"set endpoint under [{prefix}] in deerin.toml",
            )
        key = group.api_key.get_secret_value() if group.api_key else None
        return cls(group.endpoint.rstrip("/"), key, group.timeout, prefix)

    @property
    def shown(self) -> str:
        """The URL as messages and provenance show it: a password in it masked."""
        return without_password(self.url)

    def chat(
        self,
        messages: list[Message],
        model: str,
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> str:
        """The text of the model's reply to ``messages``.

        Temperature 0 by default: the same question on the same picture should get the
        same answer, so that cached answers and fresh ones agree.
        """
        body: dict[str, Any] = {"model": model, "messages": messages, "temperature": temperature}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        return self._reply_text(self._post("/chat/completions", body))

    def _post(self, path: str, body: dict[str, Any]) -> bytes:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from exc
        except TimeoutError as exc:
            raise self._timeout() from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timeout() from exc
            raise EndpointUnreachable(
                f"cannot reach {self.shown} ({exc.reason})",
                hint=f"start your server or unset {self.prefix}.endpoint",
            ) from exc
        except (http.client.HTTPException, ConnectionError) as exc:
            raise self._not_chat(f"{type(exc).__name__}: {exc}") from exc

    def _reply_text(self, raw: bytes) -> str:
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise self._not_chat(raw.decode("utf-8", "replace"))
        return content.strip()

    def _not_chat(self, what: str) -> DeerinError:
        return DeerinError(
            f"{self.shown} answered something that is not an OpenAI chat completion: "
            f"{_preview(what)}",
            hint=f"{self.prefix}.endpoint should be the server's OpenAI-compatible base URL, "
            "usually ending in /v1",
        )

    def _timeout(self) -> DeerinError:
        return DeerinError(
            f"no answer from {self.shown} within {self.timeout:g} s",
            hint=f"raise {self.prefix}.timeout, or use a smaller or faster model",
        )

    def _http_error(self, exc: urllib.error.HTTPError) -> DeerinError:
        hints = {
            401: f"set {self.prefix}.api_key to a key the server accepts",
            403: f"set {self.prefix}.api_key to a key the server accepts",
            404: f"check {self.prefix}.endpoint (usually ends in /v1) and that the server "
            "has the model",
        }
        return DeerinError(
            f"{self.shown} answered HTTP {exc.code}: {_server_message(exc)}",
            hint=hints.get(exc.code, "see the server's log"),
        )


def _server_message(exc: urllib.error.HTTPError) -> str:
    """What the server said went wrong: OpenAI-style ``{"error": {"message"}}`` or text."""
    raw = exc.read().decode("utf-8", "replace")
    try:
        error = json.loads(raw).get("error", raw)
    except (ValueError, AttributeError):
        return _preview(raw or exc.reason)
    message = error.get("message", error) if isinstance(error, dict) else error
    return _preview(str(message))


def _preview(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= PREVIEW else text[:PREVIEW] + "…"
