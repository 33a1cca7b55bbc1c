"""`deerin export`: a video's shots, transcript or time-coded events, in archive formats."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deerin.cli.common import err, resolve_video, settings_from
from deerin.export.layers import DEFAULT_BASE_URL
from deerin.export.render import export_text
from deerin.index.store import atomic_write_bytes


def export_cmd(
    ctx: typer.Context,
    video: Annotated[str, typer.Argument(help="Video id (or its start), file name or path.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="Shots: csv, json, otio, edl. Transcript: vtt, srt, txt, json. "
            "iiif: json. Other layers: vtt, srt, csv, json.",
        ),
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write [default: stdout].")
    ] = None,
    layer: Annotated[
        str,
        typer.Option(
            "--layer",
            "-l",
            help="shots, transcript, text, subtitles, faces, tech, audio, entities, or iiif "
            "(the IIIF Presentation 3 manifest).",
        ),
    ] = "shots",
    track: Annotated[
        str | None,
        typer.Option(
            "--track",
            help="Subtitles: one track, by stream index or sidecar file name [default: all].",
        ),
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(
            "--collection", "-c", help="Faces: whose people name them [default: every collection]."
        ),
    ] = None,
    base_url: Annotated[
        str,
        typer.Option("--base-url", help="iiif: the server its media URLs point at (deerin serve)."),
    ] = DEFAULT_BASE_URL,
) -> None:
    """Export a video's (or a sound recording's) shots, transcript, or its text, subtitle,
    face, technical, audio or entity events, with times; or its IIIF manifest."""
    settings = settings_from(ctx)
    video_id, path = resolve_video(settings, video)
    text = export_text(
        settings, video_id, path, layer, fmt, track=track, collection=collection, base_url=base_url
    )
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(output, text.encode("utf-8"))
        err.print(f"wrote {escape(str(output))}")
