"""Exporters: each layer of a video (shots, transcript, text, …) and the formats it goes to.

An exporter names its layer, the artefact it reads (which says the stage that writes
it), what the layer holds (for messages) and its formats, and turns the typed artefact
into a file's text. Exporters register with the ``exporters`` plugin hook (DEERIn's own
in ``export/plugin.py``); `deerin export` and the web app's export buttons both look
them up here, so a new format or layer is added in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from deerin import plugins
from deerin.errors import DeerinError, closest
from deerin.index.artefacts import Artefact
from deerin.index.schemas import MediaInfo, People
from deerin.settings import Settings

DEFAULT_BASE_URL = "http://127.0.0.1:8765"  # where `deerin serve` listens


@dataclass(frozen=True)
class ExportContext:
    """What an exporter may need besides the artefact: the file, its timing, options."""

    video_id: str
    source: Path
    media: MediaInfo
    track: int | str | None = None  # subtitles: one track
    people: tuple[People, ...] = ()  # faces: the people who name them
    settings: Settings | None = None  # iiif: the store the manifest is made from
    base_url: str = DEFAULT_BASE_URL  # iiif: the server its URLs point at

    @property
    def title(self) -> str:
        return self.source.stem

    @property
    def fps(self) -> float:
        """The rate timecodes count in (EBU's 25 for a sound recording)."""
        return self.media.timecode_rate


@dataclass(frozen=True)
class Exporter:
    """One layer and its formats: ``write(artefact, format, context)`` gives the text."""

    layer: str
    artefact: type[Artefact]
    holds: str  # "on-screen text events": what a message says the video has none of
    formats: tuple[str, ...]
    write: Callable[[Any, str, ExportContext], str] = field(repr=False)
    needs: str | None = None  # "picture", "sound" or "subtitles": why a file may have none

    def missing(self, media: MediaInfo) -> str | None:
        """Why this file can never have the layer (a sound recording has no shots)."""
        if self.needs == "picture" and not media.has_picture:
            return f"is a sound recording: it has no pictures, so no {self.holds}"
        if self.needs == "sound" and not media.audio:
            return f"has no audio track, so no {self.holds}"
        return None


@cache
def exporters() -> dict[str, Exporter]:
    """Every registered exporter by layer, in registration order; a later plugin's wins."""
    return {exporter.layer: exporter for exporter in plugins.collect("exporters")}


def exporter(layer: str, fmt: str) -> Exporter:
    """The exporter of ``layer``, checked to write ``fmt``; one clear line when not."""
    known = exporters()
    if layer not in known:
        close = closest(layer, known)
        guess = f"did you mean {close}? " if close else ""
        raise DeerinError(
            f"--layer {layer}: there is no such layer",
            hint=f"{guess}layers: {', '.join(known)}",
        )
    chosen = known[layer]
    if fmt not in chosen.formats:
        raise DeerinError(
            f"--format {fmt}: the {layer} layer is not exported as {fmt}",
            hint=f"choose {', '.join(chosen.formats)}",
        )
    return chosen
