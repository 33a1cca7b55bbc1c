"""Corrections over HTTP: a transcript word or line, a shot merged or split.

Each is stored apart from machine output with who made it and when
(:mod:`deerin.index.corrections`); then the search index of every collection holding
the video is brought up to date, so a corrected word is found at once.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from deerin.index.catalogue import video_collections
from deerin.index.corrections import add_correction, list_corrections
from deerin.retrieve.build import SearchIndexStep
from deerin.settings import Settings
from deerin.web.edits import Edits
from deerin.web.media import video_row

INDEX = (SearchIndexStep.name,)


class CorrectionBody(BaseModel):
    """What the video page sends: the kind and its fields (see docs/web.md)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["word", "line", "merge_shots", "split_shot", "revert"]
    segment_start: float | None = None
    word_start: float | None = None
    old: str | None = Field(None, max_length=5000)
    new: str | None = Field(None, max_length=5000)
    at: float | None = None
    target: str | None = Field(None, max_length=20)


def corrections_router(settings: Settings, edits: Edits) -> APIRouter:
    router = APIRouter(tags=["corrections"])

    @router.get("/api/videos/{video_id}/corrections")
    def listed(video_id: str) -> dict[str, Any]:
        """Every correction of the video, oldest first, and whether each applies now."""
        row = video_row(settings, video_id)
        found = list_corrections(settings.data_dir, row.id)
        return {"corrections": [c.model_dump(exclude_none=True) for c in found]}

    @router.post("/api/videos/{video_id}/corrections")
    def correct(video_id: str, body: CorrectionBody, request: Request) -> dict[str, Any]:
        """Store a correction, then re-index the video so search finds what it now says."""
        editor = edits.access.editor(request)
        row = video_row(settings, video_id)
        given = {**body.model_dump(exclude_none=True), "by": editor}
        made = add_correction(settings.data_dir, row.id, given)
        collections = video_collections(settings, row.id)
        return {**made.model_dump(exclude_none=True), **edits.refresh(collections, INDEX)}

    return router
