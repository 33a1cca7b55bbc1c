"""The people page's data and decisions over HTTP: list, name, merge, split, reject.

A decision is stored exactly as `deerin people` stores it (kept in the collection's
``people_decisions.json``, winning over every regrouping), then the people and search
index steps run again, so that the page, search and exports show it at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from deerin.enrich.faces.people import (
    PeopleStep,
    add_decision,
    face_crop,
    face_of,
    face_times,
    person_by_id,
    read_people,
)
from deerin.errors import DeerinError
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import FaceRef, People, Person
from deerin.index.store import CollectionFolder, iso_time
from deerin.pipeline.collection import collection_context
from deerin.plugins.step import CollectionContext
from deerin.retrieve.build import SearchIndexStep
from deerin.retrieve.graph import GraphStep
from deerin.settings import Settings
from deerin.web.edits import Edits
from deerin.web.errors import NotFound
from deerin.web.media import CACHE

EXAMPLES = 8  # example faces shown per person


class NameBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class MergeBody(BaseModel):
    other: str = Field(description="The person whose faces join this one.")


class FacesBody(BaseModel):
    faces: list[str] = Field(
        default_factory=list, description="VIDEO_ID/FACE_ID of the faces; empty: all of them."
    )


def people_router(settings: Settings, edits: Edits) -> APIRouter:
    router = APIRouter(tags=["people"])

    @router.get("/api/people/{collection}")
    def people(collection: str) -> dict[str, Any]:
        """Every person of a collection, with a few example faces and their times."""
        where = _where(settings, collection)
        if not (where.folder / People.file).exists():
            return {"collection": collection, "people": []}
        titles = {v.id: v.metadata.get("title") or Path(v.path).name for v in where.videos}
        people = read_people(where).people
        times = face_times(where, [ref for p in people for ref in p.faces[:EXAMPLES]])
        return {
            "collection": collection,
            "people": [_person(p, collection, titles, times) for p in people],
        }

    @router.get("/api/people/{collection}/faces/{video_id}/{face_id}.jpg")
    def face(collection: str, video_id: str, face_id: str) -> Response:
        where = _where(settings, collection)
        if video_id not in {v.id for v in where.videos}:
            raise NotFound(f"video {video_id} is not in collection '{collection}'")
        try:
            jpeg = face_crop(where, FaceRef(video_id=video_id, face_id=face_id))
        except DeerinError as missing:
            raise NotFound(missing.problem) from None
        return Response(jpeg, media_type="image/jpeg", headers=CACHE)

    @router.post("/api/people/{collection}/{person}/name")
    def name(collection: str, person: str, body: NameBody, request: Request) -> dict[str, Any]:
        """Give a person a name (also how an unknown person is known from now on)."""
        editor = edits.access.editor(request)
        where = _where(settings, collection)
        found = person_by_id(where, person)
        decision = {"action": "name", "faces": found.faces, "name": body.name.strip()}
        return _decide(where, edits, editor, decision)

    @router.post("/api/people/{collection}/{person}/merge")
    def merge(collection: str, person: str, body: MergeBody, request: Request) -> dict[str, Any]:
        """The other person is this one: their faces join."""
        editor = edits.access.editor(request)
        where = _where(settings, collection)
        found, other = person_by_id(where, person), person_by_id(where, body.other)
        if found.id == other.id:
            raise DeerinError(f"{person} cannot be merged with itself")
        decision = {"action": "merge", "faces": found.faces, "with": other.faces}
        return _decide(where, edits, editor, decision)

    @router.post("/api/people/{collection}/{person}/split")
    def split(collection: str, person: str, body: FacesBody, request: Request) -> dict[str, Any]:
        """These faces are someone else: they become a person of their own."""
        editor = edits.access.editor(request)
        where = _where(settings, collection)
        found = person_by_id(where, person)
        if not body.faces:
            raise DeerinError("choose the faces to split off")
        refs = [face_of(where, found, text) for text in body.faces]
        rest = [ref for ref in found.faces if ref not in refs]
        decision = {"action": "split", "faces": refs, "from": rest}
        return _decide(where, edits, editor, decision)

    @router.post("/api/people/{collection}/{person}/reject")
    def reject(collection: str, person: str, body: FacesBody, request: Request) -> dict[str, Any]:
        """Not faces (or not people to list): they leave the people list."""
        editor = edits.access.editor(request)
        where = _where(settings, collection)
        found = person_by_id(where, person)
        refs = [face_of(where, found, text) for text in body.faces] or found.faces
        return _decide(where, edits, editor, {"action": "reject", "faces": refs})

    return router


def _where(settings: Settings, collection: str) -> CollectionContext:
    if CollectionFolder.existing(settings.data_dir, collection) is None:
        raise NotFound(f"there is no collection '{collection}'")
    catalogue = open_catalogue(settings)
    try:
        return collection_context(collection, settings, catalogue)
    finally:
        catalogue.close()


def _decide(
    where: CollectionContext, edits: Edits, editor: str, decision: dict[str, Any]
) -> dict[str, Any]:
    """Store the decision with who and when, then regroup and re-index at once."""
    add_decision(where, {**decision, "made": iso_time(time.time()), "by": editor})
    steps = (PeopleStep.name, SearchIndexStep.name, GraphStep.name)
    done = edits.refresh([where.collection], steps, frozenset({PeopleStep.name}))
    return {"done": decision["action"], "by": editor, **done}


def _person(
    person: Person, collection: str, titles: dict[str, str], times: dict[tuple[str, str], float]
) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "faces": len(person.faces),
        "thumb": f"collections/{collection}/people/{person.id}.jpg",
        "videos": [{"id": v, "title": titles.get(v, v)} for v in person.videos],
        "examples": [
            {
                "video_id": ref.video_id,
                "face_id": ref.face_id,
                "time": times.get((ref.video_id, ref.face_id)),
            }
            for ref in person.faces[:EXAMPLES]
        ],
    }
