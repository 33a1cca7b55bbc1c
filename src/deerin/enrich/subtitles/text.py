"""Text subtitle tracks (SubRip, ASS/SSA, mov_text, WebVTT, ...) read as they are.

FFmpeg knows every text subtitle format and converts each to SubRip, so one reader
serves them all: ffmpeg writes the track as SRT to a pipe and this module parses it.
Styling (italics, colours, ASS override codes) is dropped; the words stay as written.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from deerin.errors import DeerinError

TIMING = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})\s*-->\s*(\d+):(\d{2}):(\d{2})[,.](\d{3})")
# HTML-like styling SRT allows (<i>, <b>, <u>, <s>, <font ...>) and ASS override blocks.
MARKUP = re.compile(r"</?\s*(?:i|b|u|s|font)\b[^>]*>|\{\\[^}]*\}", re.IGNORECASE)
TIMEOUT = 600  # seconds: reading one track of a long film takes a few


def text_cues(source: Path, stream: int, start_time: float) -> list[dict[str, Any]]:
    """The cues of text subtitle stream ``stream`` (file-wide index), timed from the first frame.

    ``-copyts`` keeps the file's own timestamps, from which the video's start time is
    taken, the same origin as every other time DEERIn writes.
    """
    command = [
        "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-copyts",
        "-i", f"file:{source}", "-map", f"0:{stream}", "-f", "srt", "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise DeerinError("ffmpeg is not installed", hint="run scripts/setup.sh") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise DeerinError(f"subtitle stream {stream} cannot be read ({reason[0]})", path=source)
    return parse_srt(done.stdout.decode("utf-8", "replace"), start_time)


def parse_srt(document: str, offset: float = 0.0) -> list[dict[str, Any]]:
    """SubRip cues as events; ``offset`` seconds are subtracted from every time."""
    cues = []
    for block in re.split(r"\n\s*\n", document.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        timed = [(at, TIMING.search(line)) for at, line in enumerate(lines)]
        at, found = next(((at, found) for at, found in timed if found), (0, None))
        text = plain("\n".join(lines[at + 1 :]))
        if found is None or not text:
            continue
        numbers = [int(part) for part in found.groups()]
        cues.append(
            {
                "start": round(max(0.0, _seconds(numbers[:4]) - offset), 3),
                "end": round(max(0.0, _seconds(numbers[4:]) - offset), 3),
                "kind": "subtitle",
                "text": text,
            }
        )
    return cues


def plain(text: str) -> str:
    """Subtitle text without styling markup, trimmed line by line."""
    lines = (MARKUP.sub("", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _seconds(parts: list[int]) -> float:
    hours, minutes, seconds, millis = parts
    return hours * 3600 + minutes * 60 + seconds + millis / 1000
