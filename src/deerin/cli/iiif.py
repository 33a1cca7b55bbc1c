"""`deerin iiif`: IIIF Presentation 3 manifests of a video or a whole collection, as files.

The web app serves the same documents at ``/iiif/…``; this writes them out for a IIIF
viewer, an aggregator or a static web server, with the URLs of the server that will
answer for the media (``--base-url``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deerin.cli.common import err, resolve_video, settings_from
from deerin.errors import DeerinError
from deerin.export.iiif import collection_files, video_manifest
from deerin.export.layers import DEFAULT_BASE_URL
from deerin.index.store import atomic_write_bytes


def iiif_cmd(
    ctx: typer.Context,
    video: Annotated[
        str | None, typer.Argument(help="Video id (or its start), file name or path.")
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(
            "--collection",
            "-c",
            help="A whole collection: its IIIF collection and every file's manifest.",
        ),
    ] = None,
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url", help="Where the server that answers for the media is (`deerin serve`)."
        ),
    ] = DEFAULT_BASE_URL,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder to write into, laid out as the URLs under /iiif/ "
            "\\[default: stdout, for one video].",
        ),
    ] = None,
) -> None:
    """Write IIIF manifests (shots, transcript, on-screen text, named people, with times)
    for IIIF viewers such as Universal Viewer, Mirador or Aviary."""
    if (video is None) == (collection is None):
        raise DeerinError(
            "give a video or --collection, one of them",
            hint="e.g. `deerin iiif news.mp4` or `deerin iiif -c archive -o iiif/`",
        )
    settings = settings_from(ctx)
    if collection is not None:
        if output is None:
            raise DeerinError(
                "--collection writes a file per video: give a folder with --output",
                hint=f"e.g. `deerin iiif -c {collection} -o iiif/`",
            )
        files = collection_files(settings, collection, base_url)
    else:
        video_id, _ = resolve_video(settings, video or "")
        text = video_manifest(settings, video_id, base_url)
        if output is None:
            sys.stdout.write(text)
            return
        files = {f"{video_id}/manifest.json": text}
    for name, text in files.items():
        atomic_write_bytes(output / name, text.encode("utf-8"))
    err.print(f"wrote {len(files)} IIIF documents under {escape(str(output))}")
