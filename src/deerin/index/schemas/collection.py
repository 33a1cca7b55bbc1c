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
