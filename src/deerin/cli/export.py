"""`deerin export`: a video's shots, transcript or time-coded events, in archive formats."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deerin.cli.common import err, resolve_video, settings_from
from deerin.errors import DeerinError
from deerin.export.layers import ExportContext, Exporter, exporter
from deerin.index import artefacts
from deerin.index.schemas import MediaInfo, People, Probe, Subtitles
from deerin.index.store import CollectionFolder, VideoFolder, atomic_write_bytes
from deerin.media.sidecars import sidecar_files
from deerin.settings import Settings


def export_cmd(
    ctx: typer.Context,
    video: Annotated[str, typer.Argument(help="Video id (or its start), file name or path.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="Shots: csv, json, otio, edl. Transcript: vtt, srt, txt, json. "
            "Other layers: vtt, srt, csv, json.",
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
            help="shots, transcript, text, subtitles, faces, tech, audio or entities.",
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
) -> None:
    """Export a video's (or a sound recording's) shots, transcript, or its text, subtitle,
    face, technical, audio or entity events, with times."""
    chosen = exporter(layer, fmt)
    settings = settings_from(ctx)
    video_id, path = resolve_video(settings, video)
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    media = artefacts.read(folder, Probe).media
    document = _artefact(folder, chosen, media, path)
    context = ExportContext(
        video_id,
        Path(path),
        media,
        track=_chosen_track(document, track, path) if isinstance(document, Subtitles) else None,
        people=_people(settings, collection) if layer == "faces" else (),
    )
    text = chosen.write(document, fmt, context)
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(output, text.encode("utf-8"))
        err.print(f"wrote {escape(str(output))}")


def _artefact(folder: VideoFolder, chosen: Exporter, media: MediaInfo, path: str) -> object:
    """The artefact a layer is read from; says why when the file has none."""
    if folder.path(chosen.artefact.file).exists():
        return artefacts.read(folder, chosen.artefact)
    never = chosen.missing(media)
    if never is not None:
        raise DeerinError(never, path=path)
    if chosen.layer == "subtitles" and not media.subtitles and not sidecar_files(Path(path)):
        raise DeerinError("has no subtitle streams or sidecar subtitle files", path=path)
    stage = chosen.artefact.stage
    raise DeerinError(
        f"has no {chosen.holds} yet",
        path=path,
        hint=f"run `deerin ingest` on it; if the {stage} stage was skipped (--skip {stage}), "
        "run it without",
    )


def _chosen_track(document: Subtitles, track: str | None, path: str) -> int | str | None:
    """The subtitle track ``--track`` names: a stream index, or a sidecar file's name."""
    if track is None:
        return None
    keys = [each.key for each in document.tracks]
    chosen = int(track) if track.isdigit() else track
    if chosen not in keys:
        found = ", ".join(str(k) for k in keys if isinstance(k, int)) or "none"
        files = ", ".join(k for k in keys if isinstance(k, str))
        beside = f"; sidecar files: {files}" if files else ""
        raise DeerinError(
            f"has no subtitle track {track} (tracks by stream index: {found}{beside})", path=path
        )
    return chosen


def _people(settings: Settings, collection: str | None) -> tuple[People, ...]:
    """The people of one collection, or of every collection that has them."""
    folders = CollectionFolder.chosen(settings.data_dir, collection)
    return tuple(artefacts.read(f, People) for f in folders if f.path(People.file).exists())
