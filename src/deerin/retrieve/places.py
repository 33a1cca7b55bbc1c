"""The places a collection names, for the places page's world map and `deerin places`.

Every place mention the entities stage resolved to coordinates is a row of the search
index's ``places`` table; here they are gathered by place (its name as said and its
coordinates), each with the moments it is named in. The names said or shown that could
not be placed are counted too (they stay in each video's entities artefact only), so a
person sees why "Clyde" is not on the map rather than wondering.

>>> from deerin.retrieve.places import collection_places
>>> found = collection_places(settings, "news", year_from=1960, year_to=1965)
>>> [(p.name, p.mentions) for p in found.places]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.artefacts import ArtefactError
from deerin.index.schemas import Entities
from deerin.index.search_index import IndexMissing, SearchIndex
from deerin.index.store import CollectionFolder, VideoFolder
from deerin.retrieve.query import YEAR_LIMIT
from deerin.settings import Settings

MOMENTS_PER_PLACE = 50  # a capital named in 3,000 films lists its first 50; the count stays
PLACE_LABELS = ("GPE", "LOC", "FAC")  # spaCy's labels of places (countries, regions, sites)
PLACE_COLUMNS = ["video_id", "name", "start", "end", "lat", "lon", "country", "source", "context"]
VIDEO_COLUMNS = ["video_id", "file", "title", "year"]


class YearRangeError(DeerinError):
    """A year range that ends before it starts."""


class PlaceMoment(BaseModel):
    """One moment a place is named: said, subtitled or shown on screen."""

    collection: str
    video_id: str
    file: str = Field(description="The file's name (never its folder).")
    title: str = Field(description="The catalogue title, else the file's name.")
    year: int | None
    start: float = Field(description="Seconds from the start: when the name begins.")
    end: float
    source: str = Field(description="transcript, subtitles, text or captions.")
    context: str = Field(description="The line it was named in.")


class MappedPlace(BaseModel):
    """A place on the map: one name at one spot, and where it is named."""

    name: str
    country: str = Field(description="ISO 3166 country code (GeoNames).")
    lat: float
    lon: float
    mentions: int = Field(description="Every moment it is named (moments lists the first).")
    videos: int = Field(description="Films and recordings it is named in.")
    first_year: int | None = Field(description="The earliest catalogue year among them.")
    last_year: int | None
    moments: list[PlaceMoment] = Field(
        description="By year, title and time; at most the cap asked for."
    )


class UnplacedName(BaseModel):
    """A place name said or shown that could not be given coordinates."""

    name: str
    count: int


class PlacesAnswer(BaseModel):
    """The places of one collection or of all, for a year range."""

    collections: list[str] = Field(description="The collections read.")
    year_from: int | None
    year_to: int | None
    places: list[MappedPlace] = Field(description="Most named first.")
    mentions: int = Field(description="Moments of all places on the map.")
    videos: int = Field(description="Films and recordings naming a place on the map.")
    unplaced: list[UnplacedName] = Field(description="Names not on the map, most named first.")
    notes: list[str] = Field(
        default_factory=list, description="Why the answer is empty or partial."
    )


def collection_places(
    settings: Settings,
    collection: str | None,
    *,
    year_from: int | None = None,
    year_to: int | None = None,
    most_moments: int = MOMENTS_PER_PLACE,
) -> PlacesAnswer:
    """The places of ``collection`` (None: every collection), named in films of
    ``year_from`` to ``year_to`` (inclusive; a film without a year only when neither is
    given). A collection without an index is an empty answer with a note, not an error."""
    where = _year_filter(year_from, year_to)
    names = _collection_names(settings, collection)
    gathered = _Gathered()
    for name in names:
        _gather(settings, name, where, gathered)
    if not names:
        gathered.notes.append("there are no collections yet: run `deerin ingest` on a folder")
    elif not gathered.places and not gathered.notes:
        gathered.notes.append(_nothing_found(bool(gathered.seen), year_from, year_to))
    places = [_place(spot, most_moments) for spot in gathered.places.values()]
    places.sort(key=lambda p: (-p.mentions, p.name.casefold(), p.lat, p.lon))
    return PlacesAnswer(
        collections=names,
        year_from=year_from,
        year_to=year_to,
        places=places,
        mentions=sum(p.mentions for p in places),
        videos=len({m.video_id for spot in gathered.places.values() for m in spot.moments}),
        unplaced=[
            UnplacedName(name=gathered.spelling[key], count=count)
            for key, count in sorted(
                gathered.unplaced.items(), key=lambda kv: (-kv[1], gathered.spelling[kv[0]])
            )
        ],
        notes=gathered.notes,
    )


def _year_filter(year_from: int | None, year_to: int | None) -> str | None:
    """The SQL filter on the films' catalogue years (None: no filter); a range that ends
    before it starts is a :class:`YearRangeError`."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise YearRangeError(
            f"the years run backwards: from {year_from} to {year_to}",
            hint=f"give the earlier year first: from {year_to} to {year_from}",
        )
    # an open end, or a year of a dozen digits, must still fit the index's Int32 column
    ends = [
        f"year {sign} {max(-YEAR_LIMIT, min(YEAR_LIMIT, int(year)))}"
        for sign, year in ((">=", year_from), ("<=", year_to))
        if year is not None
    ]
    return " AND ".join(ends) or None


@dataclass
class _Spot:
    """A name at one spot, and the moments it is named in."""

    name: str
    country: str
    lat: float
    lon: float
    moments: list[PlaceMoment] = field(default_factory=list)


@dataclass
class _Gathered:
    """What every collection read so far adds up to."""

    places: dict[tuple[str, float, float], _Spot] = field(default_factory=dict)
    unplaced: Counter[str] = field(default_factory=Counter)  # casefolded name -> mentions
    spelling: dict[str, str] = field(default_factory=dict)  # casefolded -> as first written
    seen: set[str] = field(default_factory=set)  # video ids (a video in two collections once)
    notes: list[str] = field(default_factory=list)


def _collection_names(settings: Settings, collection: str | None) -> list[str]:
    """The collection asked for (a DeerinError naming the others when there is no such
    collection), or every collection."""
    if collection is None:
        return [folder.name for folder in CollectionFolder.chosen(settings.data_dir, None)]
    return [CollectionFolder.named(settings.data_dir, collection).name]


def _gather(settings: Settings, collection: str, where: str | None, into: _Gathered) -> None:
    """One collection's placed mentions and unplaced names, its videos not seen before."""
    try:
        index = SearchIndex.open(settings, collection)
    except IndexMissing:
        into.notes.append(
            f"collection '{collection}' has no search index yet: "
            f"run `deerin index -c {collection}` (or `deerin ingest` on it)"
        )
        return
    videos = {
        row["video_id"]: row
        for row in index.rows("videos", where, None, VIDEO_COLUMNS)
        if row["video_id"] not in into.seen
    }
    into.seen.update(videos)
    for row in index.rows("places", where, None, PLACE_COLUMNS):
        video = videos.get(row["video_id"])
        if video is None:
            continue
        key = (row["name"].casefold(), round(row["lat"], 5), round(row["lon"], 5))
        spot = into.places.get(key)
        if spot is None:
            spot = into.places[key] = _Spot(row["name"], row["country"] or "", *key[1:])
        spot.moments.append(_moment(collection, video, row))
    for video in videos.values():
        _count_unplaced(settings, video, into)


def _moment(collection: str, video: dict[str, Any], row: dict[str, Any]) -> PlaceMoment:
    return PlaceMoment(
        collection=collection,
        video_id=row["video_id"],
        file=video["file"],
        title=video["title"] or video["file"],
        year=video["year"],
        start=row["start"],
        end=row["end"],
        source=row["source"],
        context=row["context"],
    )


def _count_unplaced(settings: Settings, video: dict[str, Any], into: _Gathered) -> None:
    """Count the video's place names without coordinates (a video whose entities stage
    did not run has none; one whose artefact is damaged is noted)."""
    path = VideoFolder.for_video(settings.data_dir, video["video_id"]).path(Entities.file)
    try:
        changed = path.stat().st_mtime_ns
    except OSError:
        return  # the entities stage did not run: no names
    try:
        names = _unplaced_names(path.parent, changed)
    except ArtefactError:
        into.notes.append(
            f"the names in {video['file']} cannot be read: "
            "run `deerin ingest --redo entities` on it"
        )
        return
    for name in names:
        key = name.casefold()
        into.spelling.setdefault(key, name)
        into.unplaced[key] += 1


@lru_cache(maxsize=4096)
def _unplaced_names(folder: Path, changed: int) -> tuple[str, ...]:
    """The place names of one entities file (as written at ``changed``) that have no
    coordinates: read once, not on every request of the places page."""
    entities = artefacts.read(VideoFolder(folder), Entities)
    return tuple(
        " ".join(e.text.split())
        for e in entities.entities
        if e.label in PLACE_LABELS and e.place is None and e.text.strip()
    )


def _place(spot: _Spot, most: int) -> MappedPlace:
    """A place from its moments, the first ``most`` of them kept."""
    moments = sorted(
        spot.moments, key=lambda m: (m.year is None, m.year or 0, m.title.casefold(), m.start)
    )
    years = [m.year for m in moments if m.year is not None]
    return MappedPlace(
        name=spot.name,
        country=spot.country,
        lat=spot.lat,
        lon=spot.lon,
        mentions=len(moments),
        videos=len({m.video_id for m in moments}),
        first_year=min(years, default=None),
        last_year=max(years, default=None),
        moments=moments[:most],
    )


def _nothing_found(any_video: bool, year_from: int | None, year_to: int | None) -> str:
    """Why nothing is on the map: no film (of those years), or none naming a place."""
    if year_from is None and year_to is None:
        if not any_video:
            return "no film or recording is here yet: run `deerin ingest` on a folder"
        return (
            "no place is named with coordinates: the entities stage finds them "
            "(`deerin ingest` with the entities stage)"
        )
    if not any_video:
        return f"no film or recording is dated {_years(year_from, year_to)}"
    return f"no place is named in the films of {_years(year_from, year_to)}"


def _years(year_from: int | None, year_to: int | None) -> str:
    """1960–1965, 1965 or later, 1960 or earlier."""
    if year_from is not None and year_to is not None:
        return f"{year_from}–{year_to}"
    return f"{year_from} or later" if year_from is not None else f"{year_to} or earlier"
