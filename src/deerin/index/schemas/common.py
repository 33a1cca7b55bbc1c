"""Parts many artefacts share: who made them, what went wrong, a time-coded event."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from deerin.index.artefacts import Artefact, Record


class VideoArtefact(Artefact):
    """An artefact of one file (video or sound recording), which it names first."""

    video_id: str = Field(description="The file's id: a hash of its content.")


class ItemError(Record):
    """One item (a frame, a face, an answer) a stage could not handle; the rest went on.

    Besides ``problem`` it carries where the item is: ``frame``, ``time``, ``stream``,
    ``question``, ``path``, ``video_id`` or ``person``, as the stage knows it.
    """

    model_config = ConfigDict(extra="allow")

    problem: str = Field(description="What went wrong, in one line.")


class ModelInfo(Record):
    """The model (or method) that made an artefact, as recorded beside its output."""

    name: str = Field(description="The model as configured, e.g. efficientnet-lite0.")
    backend: str | None = Field(None, description="The library that ran it.")
    kind: str | None = Field(
        None, description="composed, rules, classifier, endpoint or llama.cpp, where it says."
    )
    detector: str | None = Field(None, description="Faces: the detector's weight file.")
    embedder: str | None = Field(None, description="Faces: the embedder's weight file.")
    detect_size: int | None = Field(None, description="Text: long side searched, in pixels.")
    pipeline: str | None = Field(None, description="Entities: the spaCy pipeline and version.")
    compute_type: str | None = Field(None, description="Transcript: CTranslate2 precision.")
    device: str | None = Field(None, description="Transcript: cpu or cuda.")


class TechDetail(Record):
    """Figures of a technical event, by kind."""

    duration: float = Field(description="Seconds.")
    frequency_hz: int | None = Field(None, description="Tone: its frequency.")
    level_dbfs: float | None = Field(None, description="Tone: its level.")
    noise_db: float | None = Field(None, description="Silence: the level it is under.")
    integrated_lufs: float | None = Field(None, description="Loudness: EBU R128 integrated.")
    true_peak_dbtp: float | None = Field(None, description="Loudness: the true peak.")
    target_lufs: float | None = Field(None, description="Loudness: the target it misses.")


class AudioDetail(Record):
    """Figures of an audio event, by kind."""

    duration: float = Field(description="Seconds.")
    level_dbfs: float = Field(description="Mean level.")
    speech_probability: float | None = Field(None, description="Speech: mean VAD probability.")
    frequency_hz: int | None = Field(None, description="Tone: its frequency.")


class Event(Record):
    """Something with a start and an end on the video's timeline (seconds from the first
    frame): the shape every exportable layer shares."""

    start: float
    end: float
    kind: str
    text: str


class TechEvent(Event):
    """A technical finding: black, bars, frozen, silence, tone or loudness."""

    detail: TechDetail


class AudioEvent(Event):
    """A stretch of speech, music (other sound), silence or tone."""

    detail: AudioDetail
