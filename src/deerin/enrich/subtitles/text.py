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

# hh:mm:ss,mmm --> hh:mm:ss,mmm (SubRip); WebVTT may leave out the hours and uses a dot.
STAMP = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
TIMING = re.compile(rf"^\s*{STAMP}\s*-->\s*{STAMP}")
# HTML-like styling SubRip allows (<i>, <b>, <u>, <s>, <font ...>), WebVTT's class, voice,
# language and ruby spans and in-cue timestamps (<00:01.500>), and ASS override blocks.
MARKUP = re.compile(
    r"</?\s*(?:i|b|u|s|font|c|v|lang|ruby|rt)\b[^>]*>|<\d[\d:.]*>|\{\\[^}]*\}", re.IGNORECASE
)
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
    """SubRip or WebVTT cues as events; ``offset`` seconds are subtracted from every time.

    Read line by line, not block by block, so that files written by hand or by odd
    tools still read: a cue starts at its timing line (WebVTT may leave out the hours),
    its text runs to a blank line or the next timing line, and a cue number or WebVTT
    identifier right before a timing line is not taken for text. A BOM, CRLF line ends
    and cue settings after the times are ignored.
    """
    cues: list[dict[str, Any]] = []
    timing: re.Match[str] | None = None
    text: list[str] = []
    lines = document.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line in [*lines, ""]:
        found = TIMING.search(line)
        if found is None and line.strip():
            text.append(line)
            continue
        if found is not None and text and text[-1].strip().isdigit():
            text.pop()  # the next cue's number, when no blank line came before it
        if timing is not None:
            _add_cue(cues, timing, text, offset)
        timing, text = found, []
    return cues


def _add_cue(
    cues: list[dict[str, Any]], timing: re.Match[str], lines: list[str], offset: float
) -> None:
    text = plain("\n".join(lines))
    if text:
        start, end = _seconds(timing.groups()[:4]), _seconds(timing.groups()[4:])
        cues.append(
            {
                "start": round(max(0.0, start - offset), 3),
                "end": round(max(0.0, end - offset), 3),
                "kind": "subtitle",
                "text": text,
            }
        )


def plain(text: str) -> str:
    """Subtitle text without styling markup, trimmed line by line."""
    lines = (MARKUP.sub("", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = parts
    return (
        int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0) + float(f"0.{fraction}")
    )
