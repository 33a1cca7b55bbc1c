"""Request bodies are refused by size before they are read: a picture over
``web.upload_mb``, anything else over 1 MB (a correction or a name is a few lines).

Checked on the declared Content-Length and again on the bytes as they stream in, so a
client that lies or sends chunks cannot make the server spool or parse a huge body
(FastAPI reads a whole body before any endpoint, or the access check, runs).
"""

from __future__ import annotations

import json
from typing import Any

OTHER_BODY = 1024 * 1024  # bytes of a JSON body (corrections, names, merges)


class BodyLimit:
    """ASGI middleware: 413 with a JSON error for a body over its limit."""

    def __init__(self, app: Any, upload_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.upload_bytes + 64 * 1024 if multipart else OTHER_BODY  # + form fields
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _Oversized
            return message

        try:
            await self.app(scope, counted, send)
        except _Oversized:
            await _refuse(send, limit)


class _Oversized(Exception):
    """A streamed body passed its limit."""


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps({"error": f"the request is over {limit // (1024 * 1024)} MB"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
