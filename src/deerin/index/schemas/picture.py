"""What is seen: shots, keyframes, analysis frames, tags, faces, shot scale, on-screen
text, frame hashes and captions. Times are seconds from the first frame; frame numbers
count decoded frames from 0; boxes are ``[x, y, w, h]`` as fractions of the frame."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from deerin.index.artefacts import Record
from deerin.index.schemas.common import Event, ItemError, ModelInfo, VideoArtefact


class Transition(Record):
    """How a shot begins: a cut, or a fade or dissolve spanning frames."""

    kind: Literal["cut", "fade", "dissolve"]
    start_frame: int
    end_frame: int = Field(description="Exclusive.")


class Shot(Record):
    """One shot: frames ``[start_frame, end_frame)``."""

    index: int
    start_frame: int
    end_frame: int = Field(description="Exclusive: the next shot's first frame.")
    start_time: float
    end_time: float = Field(description="The next shot's start (or the end of the video).")
    last_frame_time: float = Field(description="When the shot's last frame is shown.")
    transition_in: Transition | None = Field(description="None for the first shot.")


class ShotMethod(Record):
    """The detector that found the boundaries."""

    name: str
    version: str
    detectors: list[str] | None = Field(None, description="PySceneDetect's detectors used.")
    device: str | None = Field(None, description="TransNetV2: where it ran.")
    weights: str | None = Field(None, description="TransNetV2: the weight file.")


class Shots(VideoArtefact):
    """``shots.json``: the shot list (and ``barcode.png``, the colour barcode beside it)."""

    file: ClassVar[str] = "shots.json"
    stage: ClassVar[str] = "shots"

    fps: float
    frame_count: int = Field(description="Frames decoded.")
    duration: float
    decoded_to: float = Field(description="Where decoding ended (less than duration if damaged).")
    method: ShotMethod
    shots: list[Shot]


class Still(Record):
    """One keyframe: the JPEG at full size and its WebP thumbnail (paths in the folder)."""

    frame: int
    time: float
    jpeg: str
    thumb: str
    width: int
    height: int
    thumb_width: int
    thumb_height: int


class ShotStills(Record):
    """A shot's first, middle and last frame (None where that frame did not decode)."""

    index: int
    first: Still | None
    middle: Still | None
    last: Still | None


class ContactSheet(Record):
    file: str
    shots: list[int] = Field(description="The shots it shows (all, or an even sample).")


class Keyframes(VideoArtefact):
    """``keyframes.json``: the stills in ``keyframes/`` and the contact sheet."""

    file: ClassVar[str] = "keyframes.json"
    stage: ClassVar[str] = "keyframes"

    width: int = Field(description="Display width (square pixels, upright).")
    height: int
    thumbnail_width: int
    contact_sheet: ContactSheet
    shots: list[ShotStills]


class AnalysisFrameEntry(Record):
    """One analysis still in ``frames/``."""

    index: int
    time: float
    shot: int
    kind: Literal["middle", "sample"] = Field(
        description="A shot's middle frame, or one of the regular samples."
    )
    file: str
    size: list[int] = Field(description="[width, height] in pixels.")


class Frames(VideoArtefact):
    """``frames.json``: the analysis frames every visual model reads."""

    file: ClassVar[str] = "frames.json"
    stage: ClassVar[str] = "frames"

    sample_seconds: float
    analysis_size: int
    frames: list[AnalysisFrameEntry]
    missing: int = Field(description="Planned frames that could not be decoded.")


class Tag(Record):
    label: str
    score: float


class FrameTags(Record):
    frame: int
    time: float
    shot: int
    tags: list[Tag] = Field(description="The best labels, best first.")


class Tags(VideoArtefact):
    """``tags.json``: labels per analysis frame; ``embeddings.npy`` holds one unit-length
    image embedding per entry of ``frames``, in the same order."""

    file: ClassVar[str] = "tags.json"
    stage: ClassVar[str] = "tags"
    vectors: ClassVar[str | None] = "embeddings.npy"

    model: ModelInfo
    dim: int = Field(description="Length of an embedding.")
    frames: list[FrameTags]
    errors: list[ItemError]

    def vector_rows(self) -> int:
        return len(self.frames)


class Face(Record):
    """One face in one analysis frame."""

    id: str = Field(description="'<frame>-<n>': unique within the video.")
    frame: int
    time: float
    shot: int
    box: list[float] = Field(description="The detector's box; may pass 0 or 1 at an edge.")
    landmarks: list[list[float]] = Field(description="Eyes, nose tip, mouth corners.")
    score: float
    height: float = Field(description="Box height as a fraction of the frame height.")


class Appearance(Event):
    """Faces of consecutive analysis frames of one shot that are one face."""

    faces: list[str] = Field(description="Face ids, in time order.")


class Faces(VideoArtefact):
    """``faces.json``: every face and its appearances; ``face_embeddings.npy`` holds one
    SFace vector per entry of ``faces``, in the same order."""

    file: ClassVar[str] = "faces.json"
    stage: ClassVar[str] = "faces"
    vectors: ClassVar[str | None] = "face_embeddings.npy"

    model: ModelInfo
    faces: list[Face]
    appearances: list[Appearance]
    errors: list[ItemError]

    def vector_rows(self) -> int:
        return len(self.faces)


class ShotScaleRow(Record):
    index: int
    start: float
    end: float
    scale: Literal["ECS", "CS", "MS", "FS", "LS"] | None = Field(
        description="None when nothing in the shot says (no face, for the face-size rule)."
    )
    confidence: float
    basis: str = Field(description="Why: the face height it read, or the classifier.")


class ShotScale(VideoArtefact):
    """``shot_scale.json``: how close the camera is, per shot."""

    file: ClassVar[str] = "shot_scale.json"
    stage: ClassVar[str] = "shot_scale"

    model: ModelInfo
    shots: list[ShotScaleRow]
    errors: list[ItemError]


class TextEvent(Event):
    """A text on screen from ``start`` to ``end``: its best reading stands for it."""

    confidence: float
    box: list[float]
    frames: list[int] = Field(description="The analysis frames that read it.")


class Text(VideoArtefact):
    """``text.json``: on-screen text (intertitles, credits, captions, signs) as events."""

    file: ClassVar[str] = "text.json"
    stage: ClassVar[str] = "text"

    model: ModelInfo
    events: list[TextEvent]
    errors: list[ItemError]


class FrameHash(Record):
    frame: int
    time: float
    shot: int
    kind: Literal["middle", "sample"]
    phash: str = Field(description="64-bit DCT hash, hexadecimal.")
    flat: bool = Field(description="A frame too even to compare (black, a blank card).")


class Signature(Record):
    every: float = Field(description="Seconds between entries.")
    phashes: list[str | None] = Field(description="The hash nearest each instant (None: flat).")


class Hashes(VideoArtefact):
    """``hashes.json``: a perceptual hash per analysis frame, for the duplicates step."""

    file: ClassVar[str] = "hashes.json"
    stage: ClassVar[str] = "hashes"

    bits: int
    frames: list[FrameHash]
    signature: Signature
    errors: list[ItemError]


class Caption(Record):
    frame: int
    time: float
    shot: int
    question: str | None = Field(description="None for a composed description.")
    answer: str | None
    source: Literal["model", "composed"] = Field(
        description="'composed' descriptions restate the other layers; never a model's words."
    )
    model: str


class Captions(VideoArtefact):
    """``captions.json``: a description (or answers) of every shot's middle frame."""

    file: ClassVar[str] = "captions.json"
    stage: ClassVar[str] = "captions"

    model: ModelInfo
    captions: list[Caption]
    errors: list[ItemError]
