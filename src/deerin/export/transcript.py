"""A transcript as subtitles (WebVTT, SRT), plain text, or JSON with every word's timing.

Whisper's segments are often too long to read as one subtitle, so cues are rebuilt from
the words, following common subtitling practice: at most two lines of 42 characters,
on screen for 1 to 7 seconds, ending at a sentence's end or a pause where possible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deerin.export.events import export_events, rows
from deerin.index.schemas import Transcript

FORMATS = ("vtt", "srt", "txt", "json")
LINE_CHARS = 42
CUE_LINES = 2
SHORTEST_CUE = 1.0  # seconds a cue stays up at least (if the next one leaves room)
LONGEST_CUE = 7.0
PAUSE = 0.7  # seconds of silence between words that end a cue
PARAGRAPH_PAUSE = 2.0  # seconds of silence that start a new paragraph in plain text
SENTENCE_END = (".", "?", "!", "…", "。")


def export_transcript(document: Transcript, fmt: str, *, title: str, fps: float,
                      source: Path | None = None) -> str:  # fmt: skip
    """The transcript as the text of a ``fmt`` file."""
    if fmt == "txt":
        return plain_text(document)
    if fmt == "json":
        return export_events(segment_events(document), "json", title=title, fps=fps, source=source)
    if fmt in ("vtt", "srt"):
        return export_events(cues(document), fmt, title=title, fps=fps)
    raise ValueError(f"unknown transcript format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def segment_events(document: Transcript) -> list[dict[str, Any]]:
    """Whisper's segments as events that keep their words, language and confidences."""
    return [{**segment, "kind": "speech"} for segment in rows(document.segments)]


def cues(document: Transcript) -> list[dict[str, Any]]:
    """Subtitle cues of readable length built from the words, in time order."""
    words = rows(document.words())
    groups: list[list[dict[str, Any]]] = []
    for word in words:
        if groups and not _ends_cue(groups[-1], word):
            groups[-1].append(word)
        else:
            groups.append([word])
    built = [_cue(group) for group in groups]
    for cue, following in zip(built, [*built[1:], None], strict=True):
        latest = following["start"] if following else cue["start"] + SHORTEST_CUE
        cue["end"] = round(max(cue["end"], min(cue["start"] + SHORTEST_CUE, latest)), 3)
    return built


def _ends_cue(group: list[dict[str, Any]], word: dict[str, Any]) -> bool:
    """Whether ``word`` must start a new cue rather than join ``group``."""
    last = group[-1]
    text = " ".join(w["word"] for w in [*group, word])
    if len(text) > LINE_CHARS * CUE_LINES or len(wrap(text)) > CUE_LINES:
        return True
    if word["end"] - group[0]["start"] > LONGEST_CUE or word["start"] - last["end"] >= PAUSE:
        return True
    sentence_done = last["word"].endswith(SENTENCE_END)
    return sentence_done and last["end"] - group[0]["start"] >= SHORTEST_CUE


def _cue(group: list[dict[str, Any]]) -> dict[str, Any]:
    text = " ".join(w["word"] for w in group)
    return {
        "start": group[0]["start"],
        "end": group[-1]["end"],
        "kind": "speech",
        "text": "\n".join(wrap(text)),
    }


def wrap(text: str) -> list[str]:
    """``text`` on as few lines of at most LINE_CHARS as it fits, two lines balanced."""
    if len(text) <= LINE_CHARS:
        return [text]
    words = text.split(" ")
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    fitting = [pair for pair in splits if max(map(len, pair)) <= LINE_CHARS]
    if not fitting:  # a single word longer than a line: it gets a line of its own
        return words
    return list(min(fitting, key=lambda pair: max(map(len, pair))))


def plain_text(document: Transcript) -> str:
    """The words said, a paragraph per stretch of speech between long pauses."""
    paragraphs: list[list[str]] = []
    previous_end = None
    for segment in document.segments:
        if previous_end is None or segment.start - previous_end >= PARAGRAPH_PAUSE:
            paragraphs.append([])
        paragraphs[-1].append(segment.text)
        previous_end = segment.end
    return "".join(" ".join(p) + "\n\n" for p in paragraphs).rstrip("\n") + "\n"
