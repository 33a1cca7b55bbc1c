"""Reading subtitle files beside a video: ``film.srt``, ``film.vtt``, ``film.en.srt``.

Which files belong to a video is :mod:`deerin.media.sidecars`'s to say (ingest needs
it too). Their times are the player's, counted from the first frame, so they are taken
as they are.
Hand-made files are often a little wrong: the reader tolerates a BOM, CRLF line ends,
missing blank lines and Windows-1252 text; a file with no cue at all is an error.

The subtitles stage's fingerprint includes each sidecar's name, size and modification
time, so adding, fixing or changing one makes the next ingest read the subtitles again.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from deerin.enrich.subtitles.text import parse_srt
from deerin.errors import DeerinError
from deerin.media.sidecars import CODECS, language

REDO = "fix the file, then run `deerin ingest` on the video again"


def sidecar_track(video: Path, sidecar: Path) -> dict[str, Any]:
    """A sidecar as a subtitles.json track, its cues read; DeerinError naming a bad file."""
    codec = CODECS[sidecar.suffix.lower()]
    events = read_cues(sidecar)
    if codec == "webvtt":
        events = [{**event, "text": html.unescape(event["text"])} for event in events]
    return {
        "stream": None,
        "source": "sidecar",
        "path": str(sidecar),
        "language": language(video, sidecar),
        "codec": codec,
        "kind": "text",
        "events": events,
    }


def read_cues(sidecar: Path) -> list[dict[str, Any]]:
    """The cues of a SubRip or WebVTT file."""
    try:
        data = sidecar.read_bytes()
    except OSError as exc:
        raise DeerinError(
            f"sidecar subtitles cannot be read ({exc.strerror})", path=sidecar
        ) from exc
    if b"\0" in data:
        raise DeerinError("sidecar subtitles are not text (binary data)", path=sidecar, hint=REDO)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")  # the usual encoding of older hand-made SRT
    cues = parse_srt(text)
    if not cues:
        raise DeerinError(
            "sidecar subtitles hold no cue (no 'start --> end' timing line)",
            path=sidecar,
            hint=REDO,
        )
    return cues
