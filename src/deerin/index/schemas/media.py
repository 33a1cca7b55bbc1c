"""What a file is: the probe artefact (``probe.json``).

Everything downstream (frame timing, proxies, keyframes, which stages a file needs)
reads this description, so it records the awkward facts of archive material
explicitly: variable frame rate, non-square pixels, rotation, interlacing, every audio
and subtitle stream. A sound recording (no picture) has no video fields.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field, computed_field, model_validator

from deerin.index.artefacts import Artefact, Record

BROWSER_VIDEO = {"h264", "vp8", "vp9", "av1"}
BROWSER_AUDIO = {"aac", "mp3", "opus", "vorbis", "flac"}
BROWSER_WAV_AUDIO = {"pcm_s16le", "pcm_u8"}  # plain PCM plays in a .wav, not in an MP4
BROWSER_CONTAINERS = ("mp4", "mov", "webm", "ogg", "flac", "wav", "mp3")
DERIVED = ("interlaced", "browser_playable")  # written for readers, computed when read
SOUND_TIMECODE_RATE = 25.0  # timecodes of a sound recording count EBU frames


class AudioStream(Record):
    """One audio stream of the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int = Field(description="The stream's index in the file (ffprobe's).")
    codec: str
    channels: int
    sample_rate: int
    language: str | None = Field(description="The stream's language tag, if any.")


class SubtitleStream(Record):
    """One subtitle stream of the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    codec: str
    language: str | None
    bitmap: bool = Field(description="A picture track (PGS, VobSub) that needs OCR.")


class MediaInfo(Record):
    """What ffprobe says about a file, normalised. Times are seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    container: str = Field(description="ffprobe's format name, e.g. 'matroska,webm'.")
    duration: float = Field(description="Of the picture when there is one, else of the file.")
    size: int = Field(description="Bytes.")
    video_index: int | None = Field(description="The picture's stream index; None for sound.")
    video_codec: str | None
    width: int | None
    height: int | None
    fps: float | None = Field(description="Average frame rate.")
    fps_fraction: str | None = Field(description="The same as a fraction, e.g. 30000/1001.")
    variable_frame_rate: bool
    frame_count: int | None
    sample_aspect: str | None
    display_aspect: str | None
    rotation: int
    field_order: str
    pix_fmt: str | None
    time_base: str | None
    start_time: float = Field(description="The first frame's time in the file (or sound's).")
    audio: list[AudioStream] = Field(default_factory=list)
    subtitles: list[SubtitleStream] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _derived_fields(cls, data: Any) -> Any:
        """The file holds the computed fields for other tools; they are computed again."""
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key not in DERIVED}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def interlaced(self) -> bool:
        return self.field_order not in ("progressive", "unknown")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def browser_playable(self) -> bool:
        """Whether a browser's <video> (or <audio>) element plays the original as it is."""
        containers = self.container.split(",")
        container_ok = any(name in containers for name in BROWSER_CONTAINERS)
        playable = BROWSER_AUDIO | (BROWSER_WAV_AUDIO if "wav" in containers else set())
        audio_ok = all(a.codec in playable for a in self.audio)
        picture_ok = self.video_codec is None or (
            self.video_codec in BROWSER_VIDEO
            and self.pix_fmt in ("yuv420p", "yuvj420p")
            and not self.interlaced
        )
        return container_ok and picture_ok and audio_ok

    @property
    def has_picture(self) -> bool:
        """False for a sound recording: a file with sound and no picture."""
        return self.video_index is not None

    @property
    def kind(self) -> str:
        """ "film" (it has a picture) or "sound" (a recording without one)."""
        return "film" if self.has_picture else "sound"

    @property
    def timecode_rate(self) -> float:
        """The rate timecodes count in: the frame rate, or EBU's 25 for a sound recording."""
        return self.fps or SOUND_TIMECODE_RATE


class Probe(Artefact):
    """``probe.json``: what the file is (written by the probe stage, first of all)."""

    file: ClassVar[str] = "probe.json"
    stage: ClassVar[str] = "probe"

    media: MediaInfo
