"""Every time-coded text of a video, from the layers that read or heard it.

The entities stage reads one list of items whatever their origin: transcript segments,
subtitle cues, on-screen text events and the answers a vision-language model gave.
Composed captions are left out: they restate the other layers (on-screen text, tags),
and reading them would count every on-screen name twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deerin.index.schemas import Captions, Subtitles, Text, Transcript
from deerin.plugins.stage import StageContext

SOURCES = ("transcript", "subtitles", "text", "captions")


@dataclass(frozen=True)
class Word:
    """A transcript word: where its characters lie in the segment's text, and its times."""

    first: int
    last: int
    start: float
    end: float


@dataclass(frozen=True)
class TextItem:
    """One piece of text with its times: a segment, a cue, a text event or an answer."""

    source: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()

    def times(self, first: int, last: int) -> tuple[float, float]:
        """The times of characters ``first:last``: the words they fall on, else the item's."""
        touched = [w for w in self.words if w.first < last and w.last > first]
        if not touched:
            return self.start, self.end
        return touched[0].start, touched[-1].end


def gather(ctx: StageContext) -> tuple[list[TextItem], list[str]]:
    """The text items of every optional layer that ran for this video, and those layers."""
    readers: dict[str, tuple[Any, Any]] = {
        "transcript": (Transcript, transcript_items),
        "subtitles": (Subtitles, subtitle_items),
        "text": (Text, text_items),
        "captions": (Captions, caption_items),
    }
    items: list[TextItem] = []
    read: list[str] = []
    for source in SOURCES:
        schema, reader = readers[source]
        if ctx.published(source) and ctx.folder.path(schema.file).exists():
            read.append(source)
            items += [item for item in reader(ctx.read(schema)) if item.text.strip()]
    return items, read


def transcript_items(document: Transcript) -> list[TextItem]:
    """Segments; with word timings, the text is the words joined, so characters map to words."""
    items = []
    for segment in document.segments:
        if not segment.words:
            items.append(TextItem("transcript", segment.start, segment.end, segment.text))
            continue
        placed, offset = [], 0
        for word in segment.words:  # words are stored without their spaces
            placed.append(Word(offset, offset + len(word.word), word.start, word.end))
            offset += len(word.word) + 1
        text = " ".join(word.word for word in segment.words)
        items.append(TextItem("transcript", segment.start, segment.end, text, tuple(placed)))
    return items


def subtitle_items(document: Subtitles) -> list[TextItem]:
    """Every cue of every subtitle track (stream or sidecar)."""
    return [
        TextItem("subtitles", cue.start, cue.end, cue.text)
        for track in document.tracks
        for cue in track.events
    ]


def text_items(document: Text) -> list[TextItem]:
    """On-screen text events."""
    return [TextItem("text", e.start, e.end, e.text) for e in document.events]


def caption_items(document: Captions) -> list[TextItem]:
    """Answers of a real model only, each at its frame's time."""
    return [
        TextItem("captions", c.time, c.time, c.answer or "")
        for c in document.captions
        if c.source == "model"
    ]
