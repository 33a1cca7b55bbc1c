"""`deerin serve`: the web app and its HTTP API on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from deerin.cli.common import err, settings_from
from deerin.web.access import LOOPBACK


def serve_cmd(
    ctx: typer.Context,
    collection: Annotated[
        str | None,
        typer.Option(
            "--collection", "-c", help="The collection the pages open on \\[default: all]."
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on; the default is this machine only. On any other, the "
            "app is read-only unless web.edit_token is set.",
        ),
    ] = LOOPBACK[0],
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8765,
) -> None:
    """Serve the web app (browse, watch, search, correct, name) and its API (/docs)."""
    import uvicorn

    from deerin.web.access import Access
    from deerin.web.app import create_app

    settings = settings_from(ctx)
    app = create_app(settings, host=host, collection=collection)
    access = Access.of(settings, host)
    if host not in LOOPBACK:
        mode = "edits need the token" if access.needs_token else "read-only (no edit token set)"
        err.print(f"listening on {host}: anyone who can reach it can see this archive; {mode}")
    shown = "127.0.0.1" if host in LOOPBACK else host
    err.print(f"DEERIn on http://{shown}:{port}/  (API at /docs; Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
