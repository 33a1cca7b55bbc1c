"""What a question gets back: an answer, its sentences, and the numbered moments it cites.

These models are the JSON of `deerin ask --json` and of the HTTP API, whether the answer
was quoted from passages, written by a model, or counted from the graph.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

from deerin.index.search_index import sql_text
from deerin.retrieve.search import Searcher


class Citation(BaseModel):
    """A numbered passage an answer is written from: where it is, and what it says."""

    n: int
    collection: str
    video_id: str
    file: str
    title: str
    year: int | None = None
    kind: str = Field(description="speech, subtitles, text, captions, summary, metadata, or "
                      "a kind of graph link (face+speech…).")  # fmt: skip
    start: float
    end: float
    text: str
    link: str = Field(description="The video page at this moment.")


class AnswerSentence(BaseModel):
    """One sentence of the answer, its citations and whether they hold it."""

    text: str
    citations: list[int]
    support: float = Field(
        description="Share of its content words its cited passages hold "
        "(0 when they lack one of its numbers or names)."
    )
    kept: bool = Field(description="False: left out of the answer as unsupported.")
    cited_by_check: bool = Field(
        False,
        description="The model cited nothing, or a passage that holds it less well: the "
        "check cites the passage that holds it best.",
    )


class Answer(BaseModel):
    """The answer to a question, with the passages it cites."""

    question: str
    found: bool = Field(description="False: nothing relevant in the collection.")
    mode: Literal["extractive", "model", "graph", "none"]
    model: str | None = Field(None, description="The language model that wrote it, if any.")
    answer: str = Field(description="The sentences kept, each ending in its [n] citations.")
    sentences: list[AnswerSentence]
    citations: list[Citation]
    left_out: int = Field(0, description="Sentences left out as unsupported.")
    notes: list[str] = Field(default_factory=list)
    took_ms: float = 0.0


class VideoFacts(NamedTuple):
    """What a citation says of its video."""

    file: str
    title: str
    year: int | None


def citation(
    n: int,
    collection: str,
    video_id: str,
    facts: dict[str, VideoFacts],
    kind: str,
    start: float,
    end: float,
    text: str,
) -> Citation:
    """A numbered citation linking to the video page at its moment."""
    video = facts.get(video_id, VideoFacts(video_id, video_id, None))
    return Citation(
        n=n, collection=collection, video_id=video_id, file=video.file,
        title=video.title or video.file, year=video.year, kind=kind, start=start, end=end,
        text=text, link=f"/video/{video_id}?t={start:.2f}",
    )  # fmt: skip


def video_facts(searcher: Searcher, videos: set[tuple[str, str]]) -> dict[str, VideoFacts]:
    """File, catalogue title and year of these (collection, video id) pairs, from the
    index's videos table."""
    found: dict[str, VideoFacts] = {}
    for scope in searcher.scopes:
        ids = sorted(v for c, v in videos if c == scope.name)
        if not ids:
            continue
        where = f"video_id IN ({', '.join(sql_text(v) for v in ids)})"
        for row in scope.index.rows("videos", where, None, ["video_id", "file", "title", "year"]):
            found[row["video_id"]] = VideoFacts(row["file"], row["title"] or "", row["year"])
    return found
