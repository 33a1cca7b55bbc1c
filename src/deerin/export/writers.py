"""The built-in exporters' writers: a typed artefact, a format, and the file's text."""

from __future__ import annotations

from typing import Any

from deerin.export.events import entity_events, export_events, face_events, rows, subtitle_events
from deerin.export.layers import ExportContext
from deerin.export.shotlist import export_shots
from deerin.export.transcript import export_transcript
from deerin.index import schemas


def shots(document: schemas.Shots, fmt: str, ctx: ExportContext) -> str:
    return export_shots(document, fmt, source=ctx.source)


def transcript(document: schemas.Transcript, fmt: str, ctx: ExportContext) -> str:
    return export_transcript(document, fmt, title=ctx.title, fps=ctx.fps, source=ctx.source)


def _write(events: list[dict[str, Any]], fmt: str, ctx: ExportContext) -> str:
    return export_events(events, fmt, title=ctx.title, fps=ctx.fps, source=ctx.source)


def events(document: Any, fmt: str, ctx: ExportContext) -> str:
    """A layer whose artefact is a list of events (text, tech, audio)."""
    return _write(rows(document.events), fmt, ctx)


def subtitles(document: schemas.Subtitles, fmt: str, ctx: ExportContext) -> str:
    return _write(subtitle_events(document, ctx.track), fmt, ctx)


def faces(document: schemas.Faces, fmt: str, ctx: ExportContext) -> str:
    return _write(face_events(document, ctx.people, ctx.video_id), fmt, ctx)


def entities(document: schemas.Entities, fmt: str, ctx: ExportContext) -> str:
    return _write(entity_events(document), fmt, ctx)


def iiif(document: schemas.Probe, fmt: str, ctx: ExportContext) -> str:
    """The video's IIIF Presentation 3 manifest (the probe says the file is there)."""
    from deerin.export.iiif import video_manifest

    if ctx.settings is None:
        raise ValueError("a IIIF manifest is made from the store: ExportContext.settings")
    return video_manifest(ctx.settings, ctx.video_id, ctx.base_url)
