"""The built-in exporters: every layer a video has, in the formats archives use.

This is the one place a built-in layer or format is registered (see
:mod:`deerin.export.layers`); a plugin adds its own the same way.
"""

from __future__ import annotations

from typing import Any

from deerin.export.events import (
    FORMATS,
    entity_events,
    export_events,
    face_events,
    rows,
    subtitle_events,
)
from deerin.export.layers import ExportContext, Exporter
from deerin.export.shotlist import FORMATS as SHOT_FORMATS
from deerin.export.shotlist import export_shots
from deerin.export.transcript import FORMATS as TRANSCRIPT_FORMATS
from deerin.export.transcript import export_transcript
from deerin.index import schemas


def exporters() -> list[Exporter]:
    return [
        Exporter("shots", schemas.Shots, "shot list", SHOT_FORMATS, _shots, "picture"),
        Exporter(
            "transcript",
            schemas.Transcript,
            "transcript",
            TRANSCRIPT_FORMATS,
            _transcript,
            "sound",
        ),
        Exporter("text", schemas.Text, "on-screen text events", FORMATS, _events, "picture"),
        Exporter("subtitles", schemas.Subtitles, "subtitles", FORMATS, _subtitles),
        Exporter("faces", schemas.Faces, "face appearances", FORMATS, _faces, "picture"),
        Exporter("tech", schemas.Tech, "technical events", FORMATS, _events),
        Exporter("audio", schemas.AudioEvents, "audio events", FORMATS, _events, "sound"),
        Exporter("entities", schemas.Entities, "named entities", FORMATS, _entities),
    ]


def _shots(document: schemas.Shots, fmt: str, ctx: ExportContext) -> str:
    return export_shots(document, fmt, source=ctx.source)


def _transcript(document: schemas.Transcript, fmt: str, ctx: ExportContext) -> str:
    return export_transcript(document, fmt, title=ctx.title, fps=ctx.fps, source=ctx.source)


def _write(events: list[dict[str, Any]], fmt: str, ctx: ExportContext) -> str:
    return export_events(events, fmt, title=ctx.title, fps=ctx.fps, source=ctx.source)


def _events(document: Any, fmt: str, ctx: ExportContext) -> str:
    """A layer whose artefact is a list of events (text, tech, audio)."""
    return _write(rows(document.events), fmt, ctx)


def _subtitles(document: schemas.Subtitles, fmt: str, ctx: ExportContext) -> str:
    return _write(subtitle_events(document, ctx.track), fmt, ctx)


def _faces(document: schemas.Faces, fmt: str, ctx: ExportContext) -> str:
    return _write(face_events(document, ctx.people, ctx.video_id), fmt, ctx)


def _entities(document: schemas.Entities, fmt: str, ctx: ExportContext) -> str:
    return _write(entity_events(document), fmt, ctx)
