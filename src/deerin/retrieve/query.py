"""A search as data, and the small grammar of the search box that writes one.

The grammar (documented in ``docs/search.md``)::

    harbour night                words: both, anywhere (and their meaning)
    "ask not what"               an exact phrase
    -cat   -"black cat"          must not contain
    field:value                  a filter; quote a value with spaces: person:"Ada Lovelace"
    year:1950..1969              a range (also duration:60..600, in seconds)

Filters: ``person:`` ``place:`` ``year:`` ``date:`` ``in:`` (speech, subtitles, text,
captions, summary, metadata, tags) ``lang:`` ``video:`` ``scale:`` (ECS, CS, MS, FS,
LS) ``media:`` (film, sound) ``has:`` (faces, text, speech) ``id:`` ``rights:``
``duration:`` ``set:`` (a named set of shots). Repeating a field means "any of these"
(``lang:en lang:fr``).

Odd input never fails: control characters are dropped, Unicode is normalised (NFC),
a quote left open closes at the end, a lone ``-`` or an empty ``""`` is ignored. What
cannot be meant (an unknown field, a year that is no year) is a :class:`QueryError`
naming the fix.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from deerin.errors import DeerinError, closest

MAX_QUERY = 1000  # characters a search box accepts
SOURCES = ("speech", "subtitles", "text", "captions", "summary", "metadata", "tags")
SCALES = ("ECS", "CS", "MS", "FS", "LS")
SCALE_WORDS = {
    "extreme-close-up": "ECS",
    "close-up": "CS",
    "closeup": "CS",
    "medium": "MS",
    "full": "FS",
    "long": "LS",
    "wide": "LS",
}
MODES = ("words", "meaning", "picture")
HAS = ("faces", "text", "speech")
FIELDS = (
    "person",
    "place",
    "year",
    "date",
    "in",
    "lang",
    "video",
    "scale",
    "media",
    "has",
    "id",
    "rights",
    "duration",
    "collection",
    "set",
)
YEAR_LIMIT = 99999  # years beyond any catalogue date (and well inside Int32)
TOKEN = re.compile(r'(-?)(?:([A-Za-z_]+):)?("[^"]*(?:"|$)|\S+)')


DECADE = re.compile(r"\b(1[89]\d|20\d)0s\b")  # "the 1960s" in a question: years 1960..1969


class QueryError(DeerinError):
    """A search that cannot be run as written (the message says how to write it)."""


@dataclass(frozen=True)
class Filters:
    """Restrictions every kind of query obeys. Empty means "no restriction"."""

    collections: tuple[str, ...] = ()
    videos: tuple[str, ...] = ()  # ids, their starts, or file names
    years: tuple[int, int] | None = None
    dates: tuple[str, ...] = ()  # catalogue dates, matched from the start ("1961-01")
    identifiers: tuple[str, ...] = ()
    rights: tuple[str, ...] = ()
    duration: tuple[float, float] | None = None  # of the video, seconds
    sources: tuple[str, ...] = ()  # in: speech, subtitles, text, captions, …
    langs: tuple[str, ...] = ()
    scales: tuple[str, ...] = ()
    media: tuple[str, ...] = ()  # film, sound
    has: tuple[str, ...] = ()  # faces, text, speech
    people: tuple[str, ...] = ()  # ids or names, resolved against the collection
    places: tuple[str, ...] = ()  # place names spoken or shown
    sets: tuple[str, ...] = ()  # named sets of shots (a lasso on the map)


@dataclass(frozen=True)
class ShotRef:
    """A shot of the collection: "more like this"."""

    video: str
    shot: int


@dataclass(frozen=True)
class Query:
    """What to look for (any mix of kinds) and the filters on all of it."""

    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    modes: tuple[str, ...] = ("words", "meaning")  # what free text is matched by
    image: Path | bytes | None = None  # a picture (a file, or its bytes): shots like it
    like: ShotRef | None = None  # shots that look like this one
    face: Path | bytes | None = None  # a photo of a face: where that person appears
    box: tuple[float, float, float, float] | None = None  # south, west, north, east
    filters: Filters = field(default_factory=Filters)
    text: str = ""  # the search box as typed (cleaned)
    any_word: bool = False  # words: a passage holding any of the terms (a question's words)

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.phrases)

    def is_empty(self) -> bool:
        """Nothing to look for and nothing to narrow by (which collection is no search)."""
        kinds = (self.has_text, self.image, self.like, self.face, self.box)
        return not any(kinds) and replace(self.filters, collections=()) == Filters()


def clean(text: str) -> str:
    """The query as a person meant it: NFC, no control or format characters, one-spaced."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) not in ("Cf", "Cs", "Co")
    )
    return " ".join(kept.split())


def parse(text: str, base: Query | None = None) -> Query:
    """The search box's text as a :class:`Query` (on top of ``base``: options given apart)."""
    text = clean(text)
    if len(text) > MAX_QUERY:
        raise QueryError(
            f"the query is {len(text)} characters long; at most {MAX_QUERY} are read",
            hint="search for a phrase or a few words of it",
        )
    query = base or Query()
    terms, phrases, excluded = list(query.terms), list(query.phrases), list(query.excluded)
    values: dict[str, list[str]] = {}
    for negate, name, raw in TOKEN.findall(text):
        quoted = raw.startswith('"')
        value = raw.strip('"').strip() if quoted else raw
        if name and name.lower() in FIELDS:
            if negate:
                raise QueryError(
                    f"'-{name}:{value}': a filter cannot be left out, only words can",
                    hint=f"drop the '-', or search '{name}:' for what you want instead",
                )
            if value:
                values.setdefault(name.lower(), []).append(value)
            continue
        if name:  # not a field: a word with a colon in it, unless it looks like a typo
            guess = closest(name.lower(), FIELDS)
            if guess and not quoted:
                raise QueryError(
                    f"there is no search field '{name}:'",
                    hint=f"did you mean '{guess}:'? Put the words in quotes to search "
                    "for them as they are",
                )
            value = f"{name}:{value}"
        words = _words(value)
        if not words:
            continue
        if negate:
            excluded.append(" ".join(words))
        elif quoted and len(words) > 1:
            phrases.append(" ".join(words))
        else:
            terms += words
    filters = _filters(values, query.filters)
    return replace(
        query,
        terms=tuple(dict.fromkeys(terms)),
        phrases=tuple(dict.fromkeys(phrases)),
        excluded=tuple(dict.fromkeys(excluded)),
        filters=filters,
        text=text,
    )


def _words(value: str) -> list[str]:
    """Words of a term or phrase: letters and digits, other characters as separators."""
    return re.findall(r"[\w']+", value.replace("_", " "))


def _filters(values: dict[str, list[str]], base: Filters) -> Filters:
    updates: dict[str, object] = {}
    simple = {
        "collection": "collections",
        "video": "videos",
        "date": "dates",
        "id": "identifiers",
        "rights": "rights",
        "person": "people",
        "place": "places",
        "lang": "langs",
        "set": "sets",
    }
    for name, target in simple.items():
        if name in values:
            updates[target] = (*getattr(base, target), *values[name])
    if "lang" in values:
        updates["langs"] = tuple(v.lower() for v in updates["langs"])  # type: ignore[union-attr]
    if "in" in values:
        updates["sources"] = (*base.sources, *(_choice("in", v, SOURCES) for v in values["in"]))
    if "media" in values:
        media = ("film", "sound")
        updates["media"] = (*base.media, *(_choice("media", v, media) for v in values["media"]))
    if "has" in values:
        updates["has"] = (*base.has, *(_choice("has", v, HAS) for v in values["has"]))
    if "scale" in values:
        updates["scales"] = (*base.scales, *(scale_code(v) for v in values["scale"]))
    if "year" in values:
        low, high = _range("year", values["year"][-1], int)
        # An open end, or a year of a dozen digits, must still fit the index's Int32 column.
        updates["years"] = (int(max(low, -YEAR_LIMIT)), int(min(high, YEAR_LIMIT)))
    if "duration" in values:
        updates["duration"] = _range("duration", values["duration"][-1], float)
    return replace(base, **updates)  # type: ignore[arg-type]


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    value = value.lower()
    if value not in choices:
        guess = closest(value, choices)
        hint = f"did you mean {name}:{guess}?" if guess else f"use one of {', '.join(choices)}"
        raise QueryError(f"'{name}:{value}' is not a choice ({', '.join(choices)})", hint=hint)
    return value


def scale_code(value: str) -> str:
    """A shot scale from its code or its name: CS, close-up, long …"""
    code = SCALE_WORDS.get(value.lower(), value.upper())
    if code not in SCALES:
        raise QueryError(
            f"'scale:{value}' is no shot scale",
            hint="use ECS (extreme close-up), CS (close-up), MS (medium), FS (full) or LS (long)",
        )
    return code


def _range(name: str, value: str, kind: type) -> tuple[float, float]:
    """``1950..1969``, ``1950..``, ``..1969`` or one value."""
    low_text, dots, high_text = value.partition("..")
    try:
        low = kind(low_text) if low_text else -1e12
        high = kind(high_text) if high_text else 1e12
        if not dots:
            high = low
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError("not finite")
    except (ValueError, OverflowError):
        raise QueryError(
            f"'{name}:{value}' is not a number or a range",
            hint=f"write {name}:1961 or {name}:1950..1969",
        ) from None
    if low > high:
        raise QueryError(f"'{name}:{value}' starts after it ends", hint="swap the two ends")
    return low, high


# -- what the command line and the API take beside the search box -------------------


def with_collections(query: Query, collections: list[str]) -> Query:
    """The query limited to ``collections`` too (beside any ``collection:`` typed)."""
    chosen = tuple(dict.fromkeys((*query.filters.collections, *collections)))
    return replace(query, filters=replace(query.filters, collections=chosen))


def parse_modes(text: str) -> tuple[str, ...]:
    """``words,meaning`` as a tuple of modes."""
    modes = tuple(m.strip().lower() for m in text.split(",") if m.strip())
    if not modes or any(m not in MODES for m in modes):
        raise QueryError(f"mode {text!r}: use {', '.join(MODES)}, or several joined by commas")
    return modes


def parse_shot(text: str) -> ShotRef:
    """``VIDEO:SHOT`` (a video's id or file name, and a shot number)."""
    video, _, shot = text.rpartition(":")
    if not video or not (shot.isascii() and shot.isdigit()):
        raise QueryError(f"shot {text!r}: write the video and the shot number, e.g. 9f3a2c:12")
    return ShotRef(video, int(shot))


def parse_box(text: str) -> tuple[float, float, float, float]:
    """``SOUTH,WEST,NORTH,EAST`` in degrees."""
    try:
        south, west, north, east = (float(v) for v in text.split(","))
    except ValueError:
        raise QueryError(
            f"box {text!r}: write four numbers, SOUTH,WEST,NORTH,EAST", hint="e.g. 55.7,-4.5,56,-4"
        ) from None
    if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise QueryError(f"box {text!r}: latitudes go from -90 to 90, south before north")
    return south, west, north, east
