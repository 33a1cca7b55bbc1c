"""Corrections people made on the video page: transcript words and lines, shot cuts.

They live in ``corrections/<video_id>.json``, a tree apart from the machine's output
(``videos/…``), so no ingest or ``--redo`` ever touches them; they are applied over the
machine's artefacts every time those are read (:mod:`deerin.index.corrections`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from deerin.index.artefacts import Record
from deerin.index.schemas.common import VideoArtefact

CorrectionKind = Literal["word", "line", "merge_shots", "split_shot", "revert"]


class Correction(Record):
    """One correction. It names what it changes by time and old text, never by list
    position, so it still finds its target after a rerun renumbers segments or shots;
    where the target is gone it is kept but no longer applies."""

    id: str = Field(description="'c0001'…: in the order they were made.")
    kind: CorrectionKind = Field(
        description="word: one transcript word; line: a whole segment's text; merge_shots: "
        "remove a cut; split_shot: add a cut; revert: undo an earlier correction."
    )
    by: str = Field(description="Who made it (as the person gave it).")
    made: str = Field(description="When (ISO 8601, UTC).")
    segment_start: float | None = Field(None, description="word, line: the segment's start.")
    word_start: float | None = Field(None, description="word: the word's start.")
    old: str | None = Field(None, description="word, line: the text it replaces.")
    new: str | None = Field(None, description="word, line: the text people gave.")
    at: float | None = Field(
        None,
        description="merge_shots: the start of the second shot (the cut removed); "
        "split_shot: a new shot starts at the first frame at or after it.",
    )
    target: str | None = Field(None, description="revert: the id of the correction undone.")


class Corrections(VideoArtefact):
    """``corrections/<video_id>.json``: corrections people made to one video's transcript
    and shots, oldest first. No rerun overwrites them; history is kept for ever (a revert
    is a correction of its own)."""

    file: ClassVar[str] = "<video_id>.json"
    stage: ClassVar[str] = "corrections"

    corrections: list[Correction]
