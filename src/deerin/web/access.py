"""Who may change things: the security baseline of `deerin serve`.

On this machine alone (the default, 127.0.0.1) anyone who can open the page may edit,
unless an editing token is configured. Listening on a network address, the app is
read-only unless a token is configured; then every edit must carry it (the page asks
for it once and sends it as ``X-DEERIn-Token``). Who made an edit is the name the page
sends as ``X-DEERIn-Editor`` (kept with the correction), never trusted for access.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import unquote

from fastapi import Request

from deerin.settings import Settings
from deerin.web.errors import Forbidden

LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")  # Host headers of a page on this machine
EDITOR_MAX = 80


@dataclass(frozen=True)
class Access:
    """Whether edits are possible at all, and the token they need (None: no token)."""

    editable: bool
    token: str | None

    @classmethod
    def of(cls, settings: Settings, host: str) -> Access:
        secret = settings.web.edit_token
        token = secret.get_secret_value() if secret is not None else None
        return cls(editable=bool(token) or host in LOOPBACK, token=token or None)

    @property
    def needs_token(self) -> bool:
        return self.token is not None

    def editor(self, request: Request) -> str:
        """The editor's name when this request may edit; Forbidden (403) otherwise."""
        if not self.editable:
            raise Forbidden(
                "this archive is read-only here",
                hint="the server listens on the network without an editing token; set "
                "web.edit_token (DEERIN_WEB_EDIT_TOKEN) to allow edits",
            )
        if self.token is not None:
            given = request.headers.get("x-deerin-token", "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                raise Forbidden(
                    "this edit needs the editing token",
                    hint="type the token given by whoever runs this server (Edit token, top right)",
                )
        given_name = unquote(request.headers.get("x-deerin-editor", ""))  # UTF-8, %-encoded
        printable = "".join(c for c in given_name if c.isprintable())
        name = " ".join(printable.split())[:EDITOR_MAX]
        return name or "anonymous"
