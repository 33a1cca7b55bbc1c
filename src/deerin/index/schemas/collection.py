"""What a whole collection holds: its people, the user's decisions about them, and the
copies among its films. These live in ``collections/<name>/``."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from deerin.index.artefacts import Artefact, Record


class FaceRef(Record):
    """A face of one video (``faces.json``'s id)."""

    video_id: str
    face_id: str

    @property
    def key(self) -> tuple[str, str]:
        return self.video_id, self.face_id


class Person(Record):
    """A person of the collection: faces grouped by the people step."""

    id: str = Field(description="'p0001'…: stable from run to run.")
    name: str | None = Field(description="Given by a user (`deerin people name`).")
    faces: list[FaceRef]
    videos: list[str]
    representative: FaceRef = Field(description="The face its thumbnail shows.")


class People(Artefact):
    """``people.json``: the people found across the collection's films."""

    file: ClassVar[str] = "people.json"
    stage: ClassVar[str] = "people"

    people: list[Person]


class Decision(Record):
    """A user's decision about faces; replayed over every regrouping, in order."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    action: Literal["name", "merge", "split", "reject"]
    faces: list[FaceRef]
    name: str | None = Field(None, description="name: the name given.")
    with_: list[FaceRef] | None = Field(
        None, alias="with", description="merge: faces of the people merged in."
    )
    from_: list[FaceRef] | None = Field(
        None, alias="from", description="split: the faces they leave."
    )
    into: list[FaceRef] | None = Field(None, description="split: faces of the person they join.")
    made: str | None = Field(None, description="When (ISO 8601, UTC).")
    by: str | None = Field(None, description="Who (the name the web app was given).")


class PeopleDecisions(Artefact):
    """``people_decisions.json``: corrections made by people, which no rerun overwrites
    (only `deerin people` writes it)."""

    file: ClassVar[str] = "people_decisions.json"
    stage: ClassVar[str] = "people"

    decisions: list[Decision]


class Member(Record):
    video_id: str
    shot: int | None = Field(description="None for a whole-video group.")
    start: float
    end: float


class DuplicateGroup(Record):
    """Shots, or whole videos, that show the same footage."""

    kind: Literal["video", "shot"]
    similarity: float = Field(description="The weakest link's similarity.")
    members: list[Member]


class Duplicates(Artefact):
    """``duplicates.json``: groups of copied shots and videos across the collection."""

    file: ClassVar[str] = "duplicates.json"
    stage: ClassVar[str] = "duplicates"

    groups: list[DuplicateGroup]


class MapLayout(Record):
    """One way the map lays the shots out."""

    name: str = Field(
        description="'image', 'image_tsne', 'text', 'grid', 'date', 'video', 'place'."
    )
    label: str
    method: str = Field(description="How: 'umap', 'tsne', 'grid', 'contact sheets', 'map'.")


class MapCluster(Record):
    """A group of shots that look alike, and what it is about."""

    id: int
    label: str = Field(description="A short name made of its most telling terms.")
    size: int
    terms: dict[str, list[str]] = Field(
        description="Its most telling tags, words, people and places (frequent in it, rare "
        "elsewhere)."
    )
    centers: dict[str, list[float]] = Field(description="Its middle in each layout (x, y).")


class MapInfo(Artefact):
    """``map/map.json``: the collection map (`deerin map`); its points, one per shot with
    their places in every layout, are in ``map/points.parquet`` beside it."""

    file: ClassVar[str] = "map/map.json"
    stage: ClassVar[str] = "map"

    id: str = Field(description="Changes whenever the map does (the web app's cache key).")
    count: int = Field(description="Shots on the map.")
    fitted: dict[str, int] = Field(
        description="Per projection ('image', 'text'): shots the projection was fitted on; "
        "the others were placed among their nearest fitted neighbours."
    )
    refitted: str = Field(description="When the projections were last fitted (ISO 8601).")
    layouts: list[MapLayout]
    clusters: list[MapCluster]


class SetShot(Record):
    video_id: str
    shot: int
    start: float
    end: float


class ShotSet(Record):
    """Shots a person gathered (a lasso on the map) under a name."""

    name: str
    shots: list[SetShot]
    by: str | None = Field(None, description="Who (the name the web app was given).")
    made: str = Field(description="When (ISO 8601, UTC).")
    note: str | None = Field(None, description="Where it came from, e.g. 'map lasso'.")


class ShotSets(Artefact):
    """``sets.json``: named sets of shots, made by people; search (`set:NAME`), supercuts
    and sequences use them. No rerun touches it."""

    file: ClassVar[str] = "sets.json"
    stage: ClassVar[str] = "map"

    sets: list[ShotSet]
