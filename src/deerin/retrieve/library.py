"""The videos of a collection as the collection page lists them: poster, length, shots,
indicators and catalogue record, sorted, filtered and paged.

The cards come from the search index's ``videos`` table (one row per video, kept
current by every ingest), not from each video's folder: listing 10,000 videos then
reads one table instead of 50,000 files. A collection's cards are kept in memory
until its table changes.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Literal

from pydantic import BaseModel, Field

from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.schemas import People
from deerin.index.search_index import IndexMissing, SearchIndex
from deerin.index.store import CollectionFolder
from deerin.settings import Settings

SORTS = ("title", "date", "duration", "shots", "file", "problems")
HAS = ("speech", "text", "faces", "people", "problems")
TEXT_FIELDS = ("title", "generated_title", "file", "identifier", "description", "date")


class Indicators(BaseModel):
    """What a video has, at a glance."""

    speech: bool
    text: bool
    faces: int
    people: list[str] = Field(description="Named people first, then person ids.")
    problems: int = Field(description="Technical events: black, frozen, silence, tone…")


class VideoCard(BaseModel):
    """One video or sound recording on the collection page."""

    id: str
    title: str
    generated_title: str = Field(description="The summary stage's title (machine-made).")
    file: str
    media: Literal["film", "sound"] | str
    duration: float
    shots: int
    date: str
    year: int | None
    identifier: str
    rights: str
    description: str
    languages: list[str]
    poster: str | None = Field(description="The poster frame's path (for /api/thumbnail).")
    indicators: Indicators
    collections: list[str]


class VideoPage(BaseModel):
    """One page of a sorted, filtered list."""

    total: int
    offset: int
    limit: int
    videos: list[VideoCard]


class Library:
    """The cards of every collection, read from each index once per change, and the
    merged list of all of them, made once per change of any."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._indexes: dict[str, SearchIndex] = {}
        self._cards: dict[str, tuple[Any, list[VideoCard]]] = {}
        self._merged: tuple[Any, list[VideoCard], dict[str, VideoCard]] | None = None
        self._lock = threading.Lock()

    def collections(self) -> list[str]:
        """Every collection that has a folder in the data dir, by name."""
        return [f.name for f in CollectionFolder.chosen(self.settings.data_dir, None)]

    def cards(self, collection: str | None) -> list[VideoCard]:
        """The cards of one collection, or of all (a video in two listed once)."""
        if collection is None:
            return self._all()[0]
        if collection not in self.collections():
            raise DeerinError(
                f"there is no collection '{collection}'",
                path=self.settings.data_dir / "collections",
                hint=f"collections: {', '.join(self.collections()) or 'none yet'}",
            )
        return self._collection_cards(collection)[1]

    def card(self, video_id: str) -> VideoCard | None:
        """One video's card, from whichever collections hold it."""
        return self._all()[1].get(video_id)

    def _all(self) -> tuple[list[VideoCard], dict[str, VideoCard]]:
        held = [(name, *self._collection_cards(name)) for name in self.collections()]
        versions = [(name, version) for name, version, _ in held]
        with self._lock:
            if self._merged is None or self._merged[0] != versions:
                merged: dict[str, VideoCard] = {}
                for name, _, cards in held:
                    for card in cards:
                        known = merged.get(card.id)
                        merged[card.id] = (
                            card
                            if known is None
                            else known.model_copy(
                                update={"collections": [*known.collections, name]}
                            )
                        )
                self._merged = (versions, list(merged.values()), merged)
            return self._merged[1], self._merged[2]

    def _collection_cards(self, name: str) -> tuple[Any, list[VideoCard]]:
        """A collection's cards and the version of the index (and people) they are of."""
        table = self._table(name)
        try:
            version = (table.version, _people_mtime(self.settings, name)) if table else None
        except (OSError, RuntimeError, ValueError):  # rebuilt since: its tables were replaced
            self._indexes.pop(name, None)
            table = self._table(name)
            version = (table.version, _people_mtime(self.settings, name)) if table else None
        if table is None:
            return None, []
        with self._lock:
            held = self._cards.get(name)
            if held is None or held[0] != version:
                names = _person_names(self.settings, name)
                cards = [_card(row, names, name) for row in table.to_arrow().to_pylist()]
                held = (version, cards)
                self._cards[name] = held
        return held

    def _table(self, name: str) -> Any | None:
        """The collection's videos table (its index opened once), or None without one."""
        if name not in self._indexes:
            try:
                self._indexes[name] = SearchIndex.open(self.settings, name)
            except IndexMissing:
                return None
        return self._indexes[name].table("videos")


def browse(
    cards: list[VideoCard],
    *,
    text: str = "",
    media: str | None = None,
    has: list[str] | None = None,
    sort: str = "title",
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> VideoPage:
    """One page of ``cards`` whose text holds ``text`` and that have each of ``has``."""
    if sort not in SORTS:
        raise DeerinError(f"sort {sort!r}: choose one of {', '.join(SORTS)}")
    unknown = sorted(set(has or ()) - set(HAS))
    if unknown:
        raise DeerinError(f"has {', '.join(unknown)}: choose among {', '.join(HAS)}")
    needle = text.strip().lower()
    chosen = [
        c
        for c in cards
        if (not media or c.media == media)
        and all(_has(c, what) for what in has or ())
        and (not needle or any(needle in str(getattr(c, f)).lower() for f in TEXT_FIELDS))
    ]
    chosen.sort(key=lambda c: _sort_key(c, sort), reverse=descending)
    return VideoPage(
        total=len(chosen), offset=offset, limit=limit, videos=chosen[offset : offset + limit]
    )


def _has(card: VideoCard, what: str) -> bool:
    found = card.indicators
    return bool(
        {
            "speech": found.speech,
            "text": found.text,
            "faces": found.faces,
            "people": found.people,
            "problems": found.problems,
        }[what]
    )


def _sort_key(card: VideoCard, sort: str) -> tuple[Any, ...]:
    """Sort by a field, then by title; a video without a date sorts after those with one."""
    title = (card.title or card.file).lower()
    if sort == "title":
        return (title,)
    if sort == "date":
        return (card.date == "", card.date, title)
    if sort == "problems":
        return (card.indicators.problems, title)
    return (getattr(card, sort), title)


def _card(row: dict[str, Any], names: dict[str, str], collection: str) -> VideoCard:
    record = json.loads(row.get("metadata") or "{}")
    people = sorted(row.get("people") or [], key=lambda p: (p not in names, names.get(p, p)))
    return VideoCard(
        id=row["video_id"],
        title=row.get("title") or record.get("title") or row["file"],
        generated_title=row.get("generated_title") or "",
        file=row["file"],
        media=row["media"],
        duration=row.get("duration") or 0.0,
        shots=row.get("shots") or 0,
        date=row.get("date") or "",
        year=row.get("year"),
        identifier=row.get("identifier") or "",
        rights=row.get("rights") or "",
        description=record.get("description") or "",
        languages=row.get("langs") or [],
        poster=row.get("thumb") or None,
        indicators=Indicators(
            speech=bool(row.get("has_speech")),
            text=bool(row.get("has_text")),
            faces=row.get("faces") or 0,
            people=[names.get(p, p) for p in people],
            problems=row.get("problems") or 0,
        ),
        collections=[collection],
    )


def _person_names(settings: Settings, collection: str) -> dict[str, str]:
    """Person id -> the name people gave it (unnamed people are left out)."""
    folder = CollectionFolder.for_collection(settings.data_dir, collection)
    if not folder.path(People.file).exists():
        return {}
    return {p.id: p.name for p in artefacts.read(folder, People).people if p.name}


def _people_mtime(settings: Settings, collection: str) -> int:
    """When the people were last named or regrouped (names are not in the index)."""
    try:
        path = CollectionFolder.for_collection(settings.data_dir, collection).path(People.file)
        return path.stat().st_mtime_ns
    except OSError:
        return 0
