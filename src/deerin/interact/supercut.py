"""Supercuts: every moment a phrase is said or shown across a collection, cut on the word.

What is said is cut on its word timings, so a clip starts on the first word of the
phrase and ends on the last, running on into a following pause by at most 0.12 s
(:func:`word_end`; padding is the user's choice, none by default); what is shown on
screen or subtitled is cut to its event. Three ways to find the moments:

- **words** (the default): the search index's full text, every word of the query in
  order as one phrase, as playphrase.me reads what is typed. The search grammar's
  filters (``year:``, ``video:``, ``person:``, ``set:``…) narrow it.
- **a regular expression** over the words of every passage the filters allow (a scan:
  no index can answer it).
- **meaning**: passages close in meaning to the query (the text embeddings), each
  clip the whole passage.

Clips that overlap once padded are merged; the order is by time (catalogue date, then
film, then time), by video, at random (seeded, so a page and its download agree), by
score, or as a chain of look-alike pictures. A cap keeps the best clips and says so.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, replace
from typing import Any

import regex

from deerin.errors import DeerinError
from deerin.index.schemas import Edit, EditClip
from deerin.interact.sequence import look_alike_chain
from deerin.interact.sources import edit_sources, kept
from deerin.retrieve.hits import Hit, Match
from deerin.retrieve.query import Query, QueryError, parse
from deerin.retrieve.search import MOST_CANDIDATES, Searcher, wide_searcher
from deerin.settings import Settings

ORDERS = ("time", "video", "random", "score", "similar")
SAID_OR_SHOWN = ("speech", "subtitles", "text")  # the layers a supercut cuts from
WORD_TAIL = 0.12  # seconds a clip may run on after its last word, into a pause
SHOWN_SECONDS = 4.0  # a text on screen is cut to its first seconds (enough to read)
REGEX_SECONDS = 10.0  # a regular expression's whole scan; past it the search is refused


class NothingFound(DeerinError):
    """A supercut with no moment to cut."""


@dataclass(frozen=True)
class SupercutRequest:
    """What to cut: the query, how to find it, padding, order and cap."""

    query: str
    collection: str | None = None
    regex: str | None = None  # a regular expression over the words; query holds filters
    meaning: bool = False  # passages close in meaning rather than the words themselves
    pad_before: float = 0.0
    pad_after: float = 0.0
    order: str = "time"
    limit: int = 200
    seed: int = 0


@dataclass
class _Found:
    """Clips as found, with what ordering needs that an EditClip does not hold."""

    clips: list[EditClip]
    collections: dict[str, str]  # video id → collection
    years: dict[str, int | None]
    query: Query


def make_supercut(settings: Settings, request: SupercutRequest) -> Edit:
    """The supercut ``request`` asks for, as an edit: its clips, their sources and notes."""
    _check(request)
    found = _find(settings, request)
    if not found.clips:
        what = request.regex or request.query
        raise NothingFound(
            f"nothing said or shown matches {what!r}",
            hint="try fewer words, a part of the phrase, or --meaning for passages about it",
        )
    sources, notes = edit_sources(settings, found.collections)
    padded = [_padded(clip, request) for clip in cut_on_words(found.clips)]
    clips = merge_overlaps(kept(padded, sources))
    if len(clips) > request.limit:
        notes.append(
            f"{len(clips)} clips found; the {request.limit} best are cut (raise the cap to "
            "cut more)"
        )
        clips = sorted(clips, key=lambda c: -(c.score or 0.0))[: request.limit]
    clips = ordered(clips, request.order, found, sources, request.seed, settings)
    how = "regular expression" if request.regex else "meaning" if request.meaning else "words"
    return Edit(
        name=request.regex or found.query.text or "supercut",
        made=f"supercut: {how}, by {request.order}",
        query=request.query if not request.regex else f"{request.regex} {request.query}".strip(),
        sources=sources,
        clips=clips,
        notes=notes,
    )


def _check(request: SupercutRequest) -> None:
    if request.order not in ORDERS:
        raise QueryError(
            f"there is no order {request.order!r}", hint=f"choose one of: {', '.join(ORDERS)}"
        )
    if request.limit < 1:
        raise QueryError("the cap on clips must be at least 1")
    if request.pad_before < 0 or request.pad_after < 0:
        raise QueryError("padding is seconds before and after the words: 0 or more")
    if request.regex and request.meaning:
        raise QueryError("a regular expression matches words, not meaning: choose one")


def _find(settings: Settings, request: SupercutRequest) -> _Found:
    searcher = wide_searcher(settings, request.collection)
    query = _query(request)
    if request.regex:
        return _by_pattern(searcher, query, _pattern(request.regex))
    result = searcher.search(query, limit=MOST_CANDIDATES, merge=False)
    found = _Found([], {}, {}, query)
    for hit in result.hits:
        for match in hit.matches:
            clips = _clips_of(match, hit, pinned=not request.meaning)
            if clips:
                _keep(found, hit.collection, hit.video_id, hit.year, clips)
    return found


def _query(request: SupercutRequest) -> Query:
    """The search the request stands for: its words one phrase, in what is said or shown."""
    mode = ("meaning",) if request.meaning else ("words",)
    query = parse(request.query, Query(modes=mode))
    if request.regex and query.has_text:
        raise QueryError(
            "with a regular expression, the query holds only filters (year:, video:, …)",
            hint="put every word into the regular expression",
        )
    if not request.regex and not query.has_text:
        raise QueryError(
            "a supercut needs words to look for", hint='type a phrase, e.g. "ask not what"'
        )
    sources = tuple(s for s in query.filters.sources if s in SAID_OR_SHOWN) or SAID_OR_SHOWN
    filters = replace(query.filters, sources=sources)
    if request.meaning or len(query.terms) < 2:
        return replace(query, filters=filters)
    # Words typed one after another are the phrase to cut, as on playphrase.me.
    phrase = " ".join(query.terms)
    return replace(query, terms=(), phrases=(*query.phrases, phrase), filters=filters)


def _pattern(text: str) -> regex.Pattern[str]:
    try:
        return regex.compile(text, regex.IGNORECASE)
    except regex.error as exc:
        raise QueryError(
            f"{text!r} is not a regular expression Python reads: {exc}",
            hint=r"e.g. '\bcolou?r\b' (quote it for the shell)",
        ) from None


def _clips_of(match: Match, hit: Hit, pinned: bool) -> list[EditClip]:
    """The clips one match gives: a run of matched spoken words each, or the whole event."""
    if match.kind not in SAID_OR_SHOWN:
        return []
    base = {"video_id": hit.video_id, "kind": match.kind, "shot": hit.shot,
            "scale": hit.scale, "score": match.score}  # fmt: skip
    if match.kind == "speech" and match.words and pinned:
        chosen = [i for i, word in enumerate(match.words) if word.match]
        return [
            EditClip(
                start=match.words[run[0]].start,
                end=word_end([(w.start, w.end) for w in match.words], run[-1]),
                caption=" ".join(match.words[i].word for i in run),
                **base,
            )
            for run in runs(chosen)
        ]
    return [EditClip(start=match.start, end=match.end, caption=match.text, **base)]


def word_end(times: list[tuple[float, float]], last: int) -> float:
    """Where a clip ending on word ``last`` ends: the word's end, run on into a pause by
    up to WORD_TAIL seconds, never into the next word.

    Whisper ends a word that closes a phrase about 0.2 s before its sound does
    (bench/supercut.py: "communism" before a pause lost its final "m"); inside a phrase
    the next word follows at once and nothing is added.
    """
    end = times[last][1]
    following = times[last + 1][0] if last + 1 < len(times) else end + WORD_TAIL
    return max(end, min(end + WORD_TAIL, following))


def runs(indexes: list[int]) -> list[list[int]]:
    """Consecutive indexes grouped: [1, 2, 5] → [[1, 2], [5]] (a phrase is one run)."""
    grouped: list[list[int]] = []
    for i in indexes:
        if grouped and i == grouped[-1][-1] + 1:
            grouped[-1].append(i)
        else:
            grouped.append([i])
    return grouped


def _by_pattern(searcher: Searcher, query: Query, pattern: regex.Pattern[str]) -> _Found:
    """Every stretch of what is said or shown that the pattern matches (a full scan).

    A pattern can take for ever on a few words (``(\\w+\\s?)+!`` backtracks
    exponentially), and a server answers every visitor from the same process: the
    ``regex`` package stops matching at a deadline, which Python's ``re`` cannot.
    """
    found = _Found([], {}, {}, query)
    deadline = _Deadline(time.monotonic() + REGEX_SECONDS)
    for collection, row in searcher.passages(query):
        if row["source"] not in query.filters.sources:
            continue
        clips = _pattern_clips(row, pattern, deadline)
        if clips:
            _keep(found, collection, row["video_id"], row.get("year"), clips)
    return found


@dataclass(frozen=True)
class _Deadline:
    """When a regular expression's scan must have ended."""

    at: float

    def left(self) -> float:
        """Seconds left to match; a QueryError once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise _too_slow()
        return left


def _too_slow() -> QueryError:
    return QueryError(
        f"the regular expression takes over {REGEX_SECONDS:g} s to match",
        hint="make it simpler: nested repeats such as (a+)+ match for ever",
    )


def _pattern_clips(
    row: dict[str, Any], pattern: regex.Pattern[str], deadline: _Deadline
) -> list[EditClip]:
    base = {"video_id": row["video_id"], "kind": row["source"],
            "shot": row["shot"] if (row.get("shot") or -1) >= 0 else None,
            "scale": row.get("scale") or None, "score": 1.0}  # fmt: skip
    if row["source"] != "speech" or not row.get("words"):
        if not _matches(lambda: pattern.search(row["text"], timeout=deadline.left())):
            return []
        return [EditClip(start=row["start"], end=row["end"], caption=row["text"], **base)]
    words = json.loads(row["words"])
    text, starts = _joined(words)
    clips = []
    for found in _matches(lambda: list(pattern.finditer(text, timeout=deadline.left()))):
        if found.end() == found.start():
            continue
        inside = [i for i, at in enumerate(starts)
                  if at < found.end() and at + len(words[i][2]) > found.start()]  # fmt: skip
        if inside:
            first = words[inside[0]]
            caption = " ".join(str(words[i][2]) for i in inside)
            end = word_end([(w[0], w[1]) for w in words], inside[-1])
            clips.append(EditClip(start=first[0], end=end, caption=caption, **base))
    return clips


def _joined(words: list[list[Any]]) -> tuple[str, list[int]]:
    """The words as one line, and where each word starts in it."""
    starts, at = [], 0
    for word in words:
        starts.append(at)
        at += len(str(word[2])) + 1
    return " ".join(str(word[2]) for word in words), starts


def _matches(match: Any) -> Any:
    """``match()``, its timeout said as a QueryError."""
    try:
        return match()
    except TimeoutError:
        raise _too_slow() from None


def _keep(
    found: _Found, collection: str, video_id: str, year: int | None, clips: list[EditClip]
) -> None:
    found.clips += clips
    found.collections.setdefault(video_id, collection)
    found.years.setdefault(video_id, year)


def cut_on_words(clips: list[EditClip]) -> list[EditClip]:
    """The clips, a film's subtitle cues left out where its spoken words matched, and
    what is shown cut to its first seconds.

    A subtitle cue is a line of a transcript, seconds long and often timed apart from
    the words; where the word-timed transcript of the same film matched, its words cut
    far tighter. A film with no transcript keeps its cues (the best timing there is).
    A text can stay on screen for a minute (a title card); its clip is its first
    SHOWN_SECONDS, long enough to read it.
    """
    spoken = {clip.video_id for clip in clips if clip.kind == "speech"}
    chosen = []
    for clip in clips:
        if clip.kind == "subtitles" and clip.video_id in spoken:
            continue
        if clip.kind == "text" and clip.duration > SHOWN_SECONDS:
            clip = clip.model_copy(update={"end": clip.start + SHOWN_SECONDS})
        chosen.append(clip)
    return chosen


def _padded(clip: EditClip, request: SupercutRequest) -> EditClip:
    return clip.model_copy(
        update={"start": clip.start - request.pad_before, "end": clip.end + request.pad_after}
    )


def merge_overlaps(clips: list[EditClip]) -> list[EditClip]:
    """Clips of one video that overlap (or touch) become one, their captions joined.

    Without this a phrase said twice in a breath, or found both spoken and subtitled,
    would play twice over the same frames.
    """
    merged: list[EditClip] = []
    for clip in sorted(clips, key=lambda c: (c.video_id, c.start, c.end)):
        last = merged[-1] if merged else None
        if last is not None and last.video_id == clip.video_id and clip.start <= last.end:
            again = clip.caption in last.caption and clip.end <= last.end  # found twice
            caption = last.caption if again else f"{last.caption} … {clip.caption}"
            merged[-1] = last.model_copy(
                update={
                    "end": max(last.end, clip.end),
                    "caption": caption,
                    "score": max(last.score or 0.0, clip.score or 0.0),
                }
            )
        else:
            merged.append(clip)
    return merged


def ordered(
    clips: list[EditClip],
    order: str,
    found: _Found,
    sources: dict[str, Any],
    seed: int,
    settings: Settings,
) -> list[EditClip]:
    """The clips in the order asked for."""
    match order:
        case "time":
            return sorted(clips, key=lambda c: (found.years.get(c.video_id) or 10000,
                                                sources[c.video_id].title, c.start))  # fmt: skip
        case "video":
            return sorted(clips, key=lambda c: (sources[c.video_id].title, c.start))
        case "random":
            shuffled = sorted(clips, key=lambda c: (c.video_id, c.start))
            random.Random(seed).shuffle(shuffled)
            return shuffled
        case "score":
            return sorted(clips, key=lambda c: (-(c.score or 0.0), c.video_id, c.start))
    return look_alike_chain(settings, clips, found.collections)
