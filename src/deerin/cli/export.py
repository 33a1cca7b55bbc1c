"""`deerin export`: a video's shots or its time-coded events, in archive formats."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from deerin.cli.common import err, resolve_video, settings_from
from deerin.errors import DeerinError
from deerin.export.events import FORMATS as EVENT_FORMATS
from deerin.export.events import export_events, face_events, subtitle_events, track_key
from deerin.export.shotlist import FORMATS as SHOT_FORMATS
from deerin.export.shotlist import export_shots
from deerin.export.transcript import FORMATS as TRANSCRIPT_FORMATS
from deerin.export.transcript import export_transcript
from deerin.index.artefacts import VideoFolder, atomic_write_bytes, read_json
from deerin.pipeline.collection import collection_folder
from deerin.pipeline.stage import probed
from deerin.settings import Settings

LAYERS = {  # layer: (artefact, the stage that writes it, what the layer holds)
    "text": ("text.json", "text", "on-screen text events"),
    "subtitles": ("subtitles.json", "subtitles", "subtitles"),
    "faces": ("faces.json", "faces", "face appearances"),
    "tech": ("tech.json", "tech", "technical events"),
    "audio": ("audio_events.json", "audio", "audio events"),
    "transcript": ("transcript.json", "transcript", "transcript"),
    "entities": ("entities.json", "entities", "named entities"),
}


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
            help="shots, text, subtitles, faces, tech, audio, transcript or entities.",
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
    """Export a video's shots, transcript, or its text, subtitle, face, technical, audio or
    entity events, with times."""
    formats = {"shots": SHOT_FORMATS, "transcript": TRANSCRIPT_FORMATS}.get(layer, EVENT_FORMATS)
    if layer != "shots" and layer not in LAYERS:
        raise typer.BadParameter(
            f"{layer!r}: choose shots, {', '.join(LAYERS)}", param_hint="--layer"
        )
    if fmt not in formats:
        raise typer.BadParameter(
            f"{fmt!r} is not a format for {layer}: choose {', '.join(formats)}",
            param_hint="--format",
        )
    settings = settings_from(ctx)
    video_id, path = resolve_video(settings, video)
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    if layer == "shots":
        if not folder.path("shots.json").exists():
            raise DeerinError(
                "has no shot list yet", path=path, hint="run `deerin ingest` on it first"
            )
        text = export_shots(read_json(folder.path("shots.json")), fmt, source=Path(path))
    elif layer == "transcript":
        document = _layer_document(folder, layer, path)
        fps = probed(folder).fps
        text = export_transcript(document, fmt, title=Path(path).stem, fps=fps, source=Path(path))
    else:
        events = _layer_events(settings, folder, layer, video_id, path, track, collection)
        title = Path(path).stem
        text = export_events(events, fmt, title=title, fps=probed(folder).fps, source=Path(path))
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(output, text.encode("utf-8"))
        err.print(f"wrote {output}")


def _layer_events(
    settings: Settings,
    folder: VideoFolder,
    layer: str,
    video_id: str,
    path: str,
    track: str | None,
    collection: str | None,
) -> list[dict]:
    """The events of one layer, read from the artefact of the stage that made them."""
    document = _layer_document(folder, layer, path)
    if layer == "subtitles":
        return subtitle_events(document, _chosen_track(document, track, path))
    if layer == "faces":
        return face_events(document, _people(settings, collection), video_id)
    if layer == "entities":
        return [
            {**e, "kind": "entity", "text": f"{e['text']} ({e['label']})", "entity": e["text"]}
            for e in document["entities"]
        ]
    return document["events"]


def _layer_document(folder: VideoFolder, layer: str, path: str) -> dict:
    """The artefact a layer is read from; says why when the video has none."""
    artefact, stage, holds = LAYERS[layer]
    if not folder.path(artefact).exists():
        if layer == "subtitles" and not probed(folder).subtitles:
            raise DeerinError("has no subtitle streams", path=path)
        if layer in ("transcript", "audio") and not probed(folder).audio:
            raise DeerinError(f"has no audio track, so no {holds}", path=path)
        raise DeerinError(
            f"has no {holds} yet",
            path=path,
            hint=f"run `deerin ingest` on it; if the {stage} stage was skipped (--skip {stage}), "
            "run it without",
        )
    return read_json(folder.path(artefact))


def _chosen_track(document: dict, track: str | None, path: str) -> int | str | None:
    """The subtitle track ``--track`` names: a stream index, or a sidecar file's name."""
    if track is None:
        return None
    keys = [track_key(t) for t in document["tracks"]]
    chosen = int(track) if track.isdigit() else track
    if chosen not in keys:
        found = ", ".join(str(k) for k in keys if isinstance(k, int)) or "none"
        files = ", ".join(k for k in keys if isinstance(k, str))
        beside = f"; sidecar files: {files}" if files else ""
        raise DeerinError(
            f"has no subtitle track {track} (tracks by stream index: {found}{beside})", path=path
        )
    return chosen


def _people(settings: Settings, collection: str | None) -> list[dict]:
    """The people.json of one collection, or of every collection that has one."""
    if collection:
        files = [collection_folder(settings, collection) / "people.json"]
    else:
        files = sorted((settings.data_dir / "collections").glob("*/people.json"))
    return [read_json(f) for f in files if f.exists()]
