"""An edit: clips cut from a collection's files, in order (a supercut or a sequence).

The interaction module makes edits (``deerin supercut``, ``deerin sequence``, the web
app's phrase player); the renderer and the timeline exports read them. An edit is not
stored: the same request makes the same edit again (a random order has a seed), so a
page and its downloads agree.
"""

from __future__ import annotations

from pydantic import Field

from deerin.index.artefacts import Record


class EditSource(Record):
    """A file clips are cut from, with what a renderer and editing software need of it."""

    video_id: str
    collection: str
    path: str = Field(description="The original file, as the catalogue knows it.")
    title: str = Field(description="What to call it: the catalogue title or the file name.")
    duration: float
    fps: float | None = Field(None, description="None for a sound recording.")
    fps_fraction: str | None = Field(None, description="The exact rate, e.g. '24000/1001'.")
    width: int | None = None
    height: int | None = None
    sample_aspect: str | None = Field(None, description="Pixel aspect, e.g. '16:15'.")
    interlaced: bool = False
    audio: bool = Field(description="Whether the file has sound.")
    start_time: float = Field(0.0, description="The first frame's time in the file.")


class EditClip(Record):
    """One stretch of a source, in the edit's order."""

    video_id: str = Field(description="Its source (a key of Edit.sources).")
    start: float = Field(description="Seconds from the source's first frame.")
    end: float
    caption: str = Field("", description="What is said or shown (the phrase of a supercut).")
    kind: str = Field(description="What found it: speech, text, subtitles, meaning or shot.")
    shot: int | None = Field(None, description="The shot it lies in, for films.")
    scale: str | None = Field(None, description="That shot's scale (ECS, CS, MS, FS, LS).")
    score: float | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


class Edit(Record):
    """Clips in order, the files they come from, and how the edit was made."""

    name: str = Field(description="A title for the timeline, e.g. the phrase.")
    made: str = Field(description="How: 'supercut' or 'sequence: <strategy>'.")
    query: str = Field("", description="The search or phrase it was made from.")
    sources: dict[str, EditSource] = Field(description="Every file clipped, by video id.")
    clips: list[EditClip]
    notes: list[str] = Field(
        default_factory=list, description="What the user should know (a cap that cut clips, "
        "a file moved since ingest)."
    )  # fmt: skip

    @property
    def duration(self) -> float:
        return sum(clip.duration for clip in self.clips)
