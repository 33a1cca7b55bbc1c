"""What is heard, and the technical state of a file: transcripts with word timings,
audio events, subtitles (streams and sidecar files) and technical checks."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from deerin.index.artefacts import Record
from deerin.index.schemas.common import (
    AudioEvent,
    Event,
    ItemError,
    ModelInfo,
    TechEvent,
    VideoArtefact,
)


class Cue(Event):
    """One subtitle on screen."""

    confidence: float | None = Field(None, description="OCR confidence (bitmap tracks).")


class SubtitleTrack(Record):
    """A subtitle stream of the file, or a sidecar file beside it."""

    stream: int | None = Field(description="The stream index; None for a sidecar file.")
    source: Literal["stream", "sidecar"]
    path: str | None = Field(None, description="Sidecar: the file read.")
    language: str | None
    codec: str
    kind: Literal["text", "bitmap"]
    events: list[Cue]
    skipped: str | None = Field(None, description="Why a bitmap track was not read.")

    @property
    def key(self) -> int | str:
        """What names the track: its stream index, or the sidecar file's name."""
        return self.stream if self.stream is not None else (self.path or "").rsplit("/", 1)[-1]


class Subtitles(VideoArtefact):
    """``subtitles.json``: every subtitle track as time-coded cues."""

    file: ClassVar[str] = "subtitles.json"
    stage: ClassVar[str] = "subtitles"

    tracks: list[SubtitleTrack]
    errors: list[ItemError]


class Loudness(Record):
    """EBU R128 figures of the whole programme."""

    integrated_lufs: float | None
    range_lu: float | None
    true_peak_dbtp: float | None


class Tech(VideoArtefact):
    """``tech.json``: black, colour bars, frozen pictures, silence, tone and loudness."""

    file: ClassVar[str] = "tech.json"
    stage: ClassVar[str] = "tech"

    checks: list[str] = Field(description="What was checked (no picture or sound: fewer).")
    audio_stream: int | None
    events: list[TechEvent]
    loudness: Loudness | None = Field(description="None without sound to measure.")
    errors: list[ItemError]


class AudioEvents(VideoArtefact):
    """``audio_events.json``: the soundtrack as speech, music (other sound), silence, tone."""

    file: ClassVar[str] = "audio_events.json"
    stage: ClassVar[str] = "audio"

    events: list[AudioEvent]
    errors: list[ItemError]


class Word(Record):
    start: float
    end: float
    word: str
    probability: float


class Segment(Record):
    """A stretch of speech as Whisper decoded it."""

    id: int
    start: float
    end: float
    text: str
    language: str
    avg_logprob: float
    no_speech_prob: float
    words: list[Word]


class LanguageRun(Record):
    """Where one language is spoken."""

    start: float
    end: float
    language: str
    probability: float | None = Field(
        description="None when the model knows one language only (given, not heard)."
    )
    uncertain: bool


class Transcript(VideoArtefact):
    """``transcript.json``: what is said, with every word's time and the languages."""

    file: ClassVar[str] = "transcript.json"
    stage: ClassVar[str] = "transcript"

    model: ModelInfo
    language: str | None = Field(description="The language with the most speech.")
    language_probability: float | None
    languages: list[LanguageRun]
    segments: list[Segment]
    speech_seconds: float
    errors: list[ItemError]

    def words(self) -> list[Word]:
        """Every word, in time order."""
        return [word for segment in self.segments for word in segment.words]
