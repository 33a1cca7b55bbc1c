"""The collection's graph (GraphRAG without a language model): who and what appears with
whom, every link carrying the moments that show it."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from deerin.index.artefacts import Artefact, Record

NodeKind = Literal["person", "entity", "place", "subject", "video", "programme"]


class GraphNode(Record):
    """A person, entity, place, subject, video or programme of the collection."""

    id: str = Field(
        description="'person:p0001' (a face cluster), 'name:…' (a person only named), "
        "'entity:ORG:…', 'place:<geonameid>' or 'place:name:…', 'subject:…', 'video:<id>', "
        "'programme:…'."
    )
    kind: NodeKind
    label: str
    detail: str = Field(
        "",
        description="The entity's label (ORG, NORP…), a place's country, a video's year.",
    )
    mentions: int = Field(description="Moments it is seen, said or shown.")
    videos: int = Field(description="Videos it is in.")
    community: int | None = Field(None, description="Its community (None for videos).")
    lat: float | None = None
    lon: float | None = None


class Evidence(Record):
    """A moment that shows a link: where to look and what is there."""

    video_id: str
    start: float
    end: float
    source: str = Field(description="face, speech, subtitles, text, captions, summary or model.")
    text: str = Field("", description="What is said or shown there (a snippet).")


class GraphEdge(Record):
    """Two nodes seen together, or a node in a video, or a relation a model read."""

    source: str
    target: str
    kind: Literal["together", "in", "part_of", "relation"] = Field(
        description="together: in the same shot or time window; in: a node in a video; "
        "part_of: a video of a programme; relation: read by a language model."
    )
    relation: str = Field("", description="The relation a model named (kind relation).")
    by: Literal["co-occurrence", "catalogue", "model"] = Field(
        description="model: extracted by a language model, to be checked."
    )
    weight: int = Field(description="Moments that show it (evidence holds the first ones).")
    videos: dict[str, int] = Field(
        default_factory=dict, description="The moments in each video (by id) that show it."
    )
    evidence: list[Evidence]


class Community(Record):
    """Nodes more linked to each other than to the rest (Louvain)."""

    id: int
    size: int
    members: list[str] = Field(description="Node ids, most mentioned first (at most 12).")
    summary: str
    summary_by: Literal["template", "model"]


class KnowledgeGraph(Artefact):
    """``graph.json``: the collection's graph (the collection step ``graph``)."""

    file: ClassVar[str] = "graph.json"
    stage: ClassVar[str] = "graph"

    window: float = Field(description="Seconds within which two moments count as together.")
    videos: int
    shots: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    communities: list[Community]
    model: str | None = Field(None, description="The language model that added relations.")
    notes: list[str] = Field(default_factory=list)
