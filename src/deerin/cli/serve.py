"""`deerin serve`: the HTTP API (and the web app) on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from deerin.cli.common import err, settings_from

LOCAL = "127.0.0.1"


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; the default is this machine only.")
    ] = LOCAL,
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8765,
) -> None:
    """Serve the search API (OpenAPI page at /docs) for the web app and scripts."""
    import uvicorn

    from deerin.web.api import create_app

    settings = settings_from(ctx)
    app = create_app(settings)
    if host != LOCAL:
        err.print(f"listening on {host}: anyone who can reach it can search this archive")
    err.print(f"DEERIn API on http://{host}:{port}/docs  (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
