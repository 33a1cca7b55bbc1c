"""The built-in exporters: every layer a video has, in the formats archives use.

This is the one place a built-in layer or format is registered (see
:mod:`deerin.export.layers`); a plugin adds its own the same way. The writers are
imported when the exporters are asked for, so a worker that only runs stages never
loads OpenTimelineIO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deerin.export.layers import Exporter


def exporters() -> list[Exporter]:
    from deerin.export import writers
    from deerin.export.events import FORMATS
    from deerin.export.layers import Exporter
    from deerin.export.shotlist import FORMATS as SHOT_FORMATS
    from deerin.export.transcript import FORMATS as TRANSCRIPT_FORMATS
    from deerin.index import schemas

    return [
        Exporter("shots", schemas.Shots, "shot list", SHOT_FORMATS, writers.shots, "picture"),
        Exporter(
            "transcript",
            schemas.Transcript,
            "transcript",
            TRANSCRIPT_FORMATS,
            writers.transcript,
            "sound",
        ),
        Exporter("text", schemas.Text, "on-screen text events", FORMATS, writers.events, "picture"),
        Exporter("subtitles", schemas.Subtitles, "subtitles", FORMATS, writers.subtitles),
        Exporter("faces", schemas.Faces, "face appearances", FORMATS, writers.faces, "picture"),
        Exporter("tech", schemas.Tech, "technical events", FORMATS, writers.events),
        Exporter("audio", schemas.AudioEvents, "audio events", FORMATS, writers.events, "sound"),
        Exporter("entities", schemas.Entities, "named entities", FORMATS, writers.entities),
        Exporter("iiif", schemas.Probe, "IIIF manifest", ("json",), writers.iiif),
    ]
