"""What a search returns: hits with their times, what matched and how, and facets.

These models are the JSON of `deerin search --json` and of the HTTP API (their field
descriptions are its OpenAPI documentation). A hit is a stretch of one video: the
neighbouring matches of every kind of query, fused and merged (as WISE merges the
frames of one video), each match saying which method found it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

MARK_OPEN, MARK_CLOSE = "«", "»"


class HitWord(BaseModel):
    """A spoken word and its time."""

    word: str
    start: float
    end: float
    match: bool = Field(description="One of the words searched for.")


class Match(BaseModel):
    """One thing that matched inside a hit."""

    kind: str = Field(
        description="speech, subtitles, text, captions, summary, metadata, tags, shot, "
        "face, place or video."
    )
    start: float
    end: float
    text: str = Field(description="What matched: the passage, the shot's tags, the name.")
    marked: str = Field(
        description=f"The text with each match between {MARK_OPEN} and {MARK_CLOSE}."
    )
    marks: list[tuple[int, int]] = Field(
        default_factory=list, description="The matches as [first, last) character spans of text."
    )
    words: list[HitWord] | None = Field(None, description="Speech: every word with its time.")
    method: str = Field(description="How it was found, e.g. 'words (BM25)'.")
    score: float = Field(description="The method's own score (BM25, or cosine similarity).")

    @property
    def pinned(self) -> bool:
        """Speech found by its words: its times are those words', not the passage's."""
        return bool(self.words and any(word.match for word in self.words))

    @property
    def by_words(self) -> bool:
        """Found by the full-text index (its searched words can be marked)."""
        return "BM25" in self.method


class Hit(BaseModel):
    """A stretch of one video (or sound recording) that answers the query."""

    collection: str
    video_id: str
    file: str
    media: str = Field(description="film or sound")
    start: float = Field(description="Seconds from the start.")
    end: float
    score: float = Field(description="Reciprocal rank fusion of every method that found it.")
    methods: list[str]
    matches: list[Match]
    shot: int | None = Field(None, description="The shot at the best match (films).")
    thumbnail: str | None = Field(None, description="Path of its thumbnail in the data dir.")
    year: int | None = None
    scale: str | None = Field(None, description="The shot scale at the best match.")
    lang: str | None = Field(None, description="The language of the best spoken match.")
    people: list[str] = Field(default_factory=list, description="Person ids seen in it.")


class VideoGroup(BaseModel):
    """Hits of one video together (``group_by="video"``)."""

    collection: str
    video_id: str
    file: str
    score: float
    hits: list[Hit]


class SearchResult(BaseModel):
    """The answer to a search."""

    query: str
    total: int = Field(description="Hits found before the limit.")
    hits: list[Hit]
    groups: list[VideoGroup] | None = None
    facets: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Hit counts by facet value (of all hits found)."
    )
    methods: dict[str, str] = Field(
        default_factory=dict, description="Each kind of query that ran, and its method."
    )
    warnings: list[str] = Field(default_factory=list)
    people: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="The names of the people in the hits shown, by collection, then id.",
    )
    took_ms: float = 0.0


def marked(text: str, marks: list[tuple[int, int]]) -> str:
    """``text`` with each span between guillemets."""
    out, at = [], 0
    for first, last in sorted(marks):
        if first < at:
            continue
        out += [text[at:first], MARK_OPEN, text[first:last], MARK_CLOSE]
        at = last
    return "".join([*out, text[at:]])
