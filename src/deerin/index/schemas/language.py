"""What is said and read, understood: entities and places, text embeddings, summaries."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from deerin.index.artefacts import Record
from deerin.index.schemas.common import ItemError, ModelInfo, VideoArtefact

TextSource = Literal["transcript", "subtitles", "text", "captions"]


class Place(Record):
    """A place mention resolved to GeoNames."""

    name: str
    country_code: str
    lat: float
    lon: float
    geonameid: int
    population: int
    confidence: float


class Entity(Record):
    """A name in a text, timed by the words (or the text) it came from."""

    text: str
    label: str = Field(description="spaCy's label: PERSON, ORG, GPE, LOC, FAC, DATE, …")
    start: float
    end: float
    source: TextSource
    context: str = Field(description="A one-line snippet around it.")
    place: Place | None = Field(description="Places only, when resolved.")


class Keyword(Record):
    term: str
    score: float
    count: int


class Entities(VideoArtefact):
    """``entities.json``: people, organisations, places, dates… and keywords."""

    file: ClassVar[str] = "entities.json"
    stage: ClassVar[str] = "entities"

    model: ModelInfo
    entities: list[Entity]
    keywords: list[Keyword]
    errors: list[ItemError]


class TextRow(Record):
    """One embedded text: a segment, a cue, an on-screen text or a model's caption."""

    source: TextSource
    start: float
    end: float
    text: str


class TextEmbeddings(VideoArtefact):
    """``text_embeddings.json``: the texts embedded; ``text_embeddings.npy`` holds one
    unit-length vector per entry of ``rows``, in the same order."""

    file: ClassVar[str] = "text_embeddings.json"
    stage: ClassVar[str] = "text_embeddings"
    vectors: ClassVar[str | None] = "text_embeddings.npy"

    model: ModelInfo
    dim: int
    rows: list[TextRow]

    def vector_rows(self) -> int:
        return len(self.rows)


class SummaryPart(Record):
    """A title and summary of one stretch of the timeline."""

    start: float
    end: float
    title: str | None = Field(description="None where the model gave no usable answer.")
    summary: str | None
    truncated: bool = Field(description="The model read only the start of the part's text.")


class Summary(VideoArtefact):
    """``summary.json``: generated titles and summaries (``generated`` is always true)."""

    file: ClassVar[str] = "summary.json"
    stage: ClassVar[str] = "summary"

    model: ModelInfo
    generated: bool
    title: str | None
    summary: str | None
    reason: str | None = Field(None, description="Why there is no title, when there is none.")
    segments: list[SummaryPart]
    inputs: list[TextSource] = Field(description="The layers it read.")
    errors: list[ItemError]
