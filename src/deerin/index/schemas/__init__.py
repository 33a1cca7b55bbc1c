"""The schema of every artefact: what each file a stage or collection step writes holds.

One pydantic model per file, with its ``schema_version``; the reader and writer are in
:mod:`deerin.index.artefacts`. ``docs/artefacts.md`` is generated from these models
(``python -m deerin.index.schemas.reference``), so the documentation is the code.
"""

from deerin.index.artefacts import Artefact
from deerin.index.schemas.collection import (
    Decision,
    DuplicateGroup,
    Duplicates,
    FaceRef,
    People,
    PeopleDecisions,
    Person,
)
from deerin.index.schemas.common import AudioEvent, Event, ItemError, ModelInfo, TechEvent
from deerin.index.schemas.corrections import Correction, Corrections
from deerin.index.schemas.language import (
    Entities,
    Entity,
    Keyword,
    Place,
    Summary,
    SummaryPart,
    TextEmbeddings,
    TextRow,
)
from deerin.index.schemas.media import AudioStream, MediaInfo, Probe, SubtitleStream
from deerin.index.schemas.picture import (
    AnalysisFrameEntry,
    Appearance,
    Caption,
    Captions,
    Face,
    Faces,
    FrameHash,
    Frames,
    Hashes,
    Keyframes,
    Shot,
    Shots,
    ShotScale,
    ShotScaleRow,
    Tags,
    Text,
    TextEvent,
    Transition,
)
from deerin.index.schemas.sound import (
    AudioEvents,
    Cue,
    LanguageRun,
    Segment,
    Subtitles,
    SubtitleTrack,
    Tech,
    Transcript,
    Word,
)

# Every artefact, in the order the stages that write them run.
ARTEFACTS: tuple[type[Artefact], ...] = (
    Probe,
    Shots,
    Keyframes,
    Frames,
    Tags,
    Faces,
    ShotScale,
    Text,
    Subtitles,
    Tech,
    Hashes,
    Captions,
    AudioEvents,
    Transcript,
    Entities,
    TextEmbeddings,
    Summary,
    People,
    PeopleDecisions,
    Duplicates,
)

# Files people write (corrections on the video page): no stage produces them.
PEOPLE_WRITE: tuple[type[Artefact], ...] = (Corrections,)

__all__ = [
    "ARTEFACTS",
    "PEOPLE_WRITE",
    "AnalysisFrameEntry",
    "Appearance",
    "AudioEvent",
    "AudioEvents",
    "AudioStream",
    "Caption",
    "Captions",
    "Correction",
    "Corrections",
    "Cue",
    "Decision",
    "DuplicateGroup",
    "Duplicates",
    "Entities",
    "Entity",
    "Event",
    "Face",
    "FaceRef",
    "Faces",
    "FrameHash",
    "Frames",
    "Hashes",
    "ItemError",
    "Keyframes",
    "Keyword",
    "LanguageRun",
    "MediaInfo",
    "ModelInfo",
    "People",
    "PeopleDecisions",
    "Person",
    "Place",
    "Probe",
    "Segment",
    "Shot",
    "ShotScale",
    "ShotScaleRow",
    "Shots",
    "SubtitleStream",
    "SubtitleTrack",
    "Subtitles",
    "Summary",
    "SummaryPart",
    "Tags",
    "Tech",
    "TechEvent",
    "Text",
    "TextEmbeddings",
    "TextEvent",
    "TextRow",
    "Transcript",
    "Transition",
    "Word",
]
