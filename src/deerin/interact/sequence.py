"""Sequences: shots chosen from a result set and put in order, to a target length.

Any search is a result set (words, ``person:``, ``place:``, ``set:NAME`` from a lasso
on the map, ``video:``, ``year:``…), and so is a list of shots. Each hit becomes the
shot it lies in (the shot at its best match, or every shot its stretch overlaps: a
``video:`` hit gives every shot of the film); a sound recording has no shots and is
left out. Each shot is a :class:`Candidate` with its picture's embedding and a short
description (caption, tags, on-screen text, what is said in it).

A strategy (:data:`STRATEGIES`) puts the shots in order:

* **chronological**: by catalogue date (year, then date), film, then time;
* **similar**: a chain of look-alike pictures, from the best hit, each next the shot
  most like the one before (cosine of the image embeddings);
* **analytical**: the classical analytical editing of a scene, in cycles of a wide
  shot (LS or FS), a medium shot (MS) and a close one (CS or ECS): each cycle opens on
  the next wide shot in time, and its medium and close shots are the ones most like the
  shot before (the same scene, most likely). A scale that has run out is left out of
  the cycle; shots of unknown scale come after every cycle;
* **rhythm**: the shots in time order, cut to the beats or pauses of a clip's sound
  (:mod:`.rhythm`): each clip as long as the stretch between two cut points;
* **prompt**: a language model at an OpenAI-compatible server (``llm.endpoint``)
  reads the best shots' descriptions and the user's prompt ("a calm morning turning
  into a storm") and answers with the shots to use, in order.

Then the shots are cut, in that order, until the target length is reached: each shot
to at most ``max_shot`` seconds around its middle (its most representative part; the
keyframe is its middle too), shots under ``min_shot`` passed over, the last clip
trimmed to land on the target. The same request makes the same sequence again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deerin.errors import DeerinError, closest
from deerin.index.schemas import Edit, EditClip, EditSource
from deerin.index.search_index import SearchIndex, sql_text
from deerin.interact.rhythm import RhythmClip, analyse, slots
from deerin.interact.sources import edit_sources
from deerin.models.llm import open_language_model
from deerin.retrieve.hits import Hit
from deerin.retrieve.query import QueryError, parse, with_collections
from deerin.retrieve.search import MOST_CANDIDATES, Scope, wide_searcher
from deerin.settings import Settings

SHOT_COLUMNS = ["video_id", "file", "media", "year", "date", "shot", "start", "end", "tags",
                "scale", "text", "caption", "vector"]  # fmt: skip
WIDE, MEDIUM, CLOSE = ("LS", "FS"), ("MS",), ("CS", "ECS")
CYCLE = (WIDE, MEDIUM, CLOSE)  # analytical editing: establish, approach, detail
BATCH = 50  # hits mapped to shots per query of the index
DESCRIPTION = 300  # characters of a shot's description
CAPTION = 100  # characters of a clip's caption
PROMPT_SHOTS = 60  # the best shots a language model is offered (its context is short)
PROMPT_TOKENS = 400  # room for the list of numbers (and a model's preamble)
SYSTEM = (
    "You are a film editor. From a numbered list of shots you choose the ones that make "
    "the sequence asked for and put them in the order they should play. Answer with a "
    "JSON list of shot numbers only, e.g. [4, 1, 9]."
)
EPSILON = 1e-6


class NothingToCut(DeerinError):
    """A sequence with no shot to cut."""


@dataclass(frozen=True)
class Candidate:
    """A shot a sequence may use, with what ordering and cutting it needs."""

    collection: str
    video_id: str
    file: str
    shot: int
    start: float
    end: float
    scale: str | None
    vector: np.ndarray  # the image embedding, of unit length
    description: str  # caption, tags, on-screen text, what is said
    caption: str  # a short line for the clip
    score: float  # the search's fused score of its best hit (1.0 for a listed shot)
    rank: int  # 0 for the best
    year: int | None = None
    date: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def key(self) -> tuple[str, str, int]:
        return self.collection, self.video_id, self.shot


@dataclass
class Pool:
    """The shots found for a sequence, best first, and what the user should know."""

    candidates: list[Candidate]
    query: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Want:
    """A hit (or a listed shot) to turn into shots: its shot, else its stretch."""

    collection: str
    video_id: str
    shot: int | None
    start: float
    end: float
    score: float


# -- the shots of a result set ----------------------------------------------------------


def candidates(
    settings: Settings,
    query: str,
    collection: str | None = None,
    shots: Iterable[tuple[str, int]] = (),
    limit: int = 500,
) -> Pool:
    """The shots of a search and of ``shots`` (video ids and shot numbers), best first,
    at most ``limit``; listed shots come first, in their order."""
    listed = list(shots)
    if not query.strip() and not listed:
        raise QueryError(
            "a sequence needs shots to choose from",
            hint="give a search (words, person:, place:, set:NAME, video:, year:…) or "
            "--shots VIDEO:SHOT,VIDEO:SHOT",
        )
    asked = max(settings.search.candidates, min(limit, MOST_CANDIDATES))
    searcher = wide_searcher(settings, collection, asked)
    scopes = {scope.name: scope for scope in searcher.scopes}
    wants = [_listed(scopes, video, shot) for video, shot in listed]
    pool = Pool([], query=query.strip())
    if query.strip():
        parsed = with_collections(parse(query), [collection] if collection else [])
        hits = searcher.search(parsed, limit=min(limit, MOST_CANDIDATES), merge=False).hits
        sound = [hit for hit in hits if hit.media == "sound"]
        if sound:
            pool.notes.append(
                f"{len(sound)} hit(s) in sound recordings left out (a sound recording has no shots)"
            )
        wants += [_want(hit) for hit in hits if hit.media != "sound"]
    _map(scopes, wants, limit, pool)
    return pool


def _listed(scopes: dict[str, Scope], video_id: str, shot: int) -> _Want:
    """A listed shot, in the first collection searched whose index has it."""
    where = f"video_id = {sql_text(video_id)} AND shot = {int(shot)}"
    for name, scope in scopes.items():
        rows = scope.index.rows("shots", where, 1, ["start", "end"])
        if rows:
            return _Want(name, video_id, shot, rows[0]["start"], rows[0]["end"], 1.0)
    raise QueryError(
        f"shot {shot} of video {video_id} is not in the search index"
        + (f" of {', '.join(scopes)}" if len(scopes) == 1 else ""),
        hint="give a shot number from the video's shot list (`deerin export VIDEO`)",
    )


def _want(hit: Hit) -> _Want:
    return _Want(hit.collection, hit.video_id, hit.shot, hit.start, hit.end, hit.score)


def _map(scopes: dict[str, Scope], wants: list[_Want], limit: int, pool: Pool) -> None:
    """Each want as its shots, in rank order, each shot once, until ``limit``."""
    chosen: dict[tuple[str, str, int], tuple[_Want, dict[str, Any]]] = {}
    shotless = 0
    for first in range(0, len(wants), BATCH):
        batch = wants[first : first + BATCH]
        rows = _rows_for(scopes, batch)
        for want in batch:
            found = [r for r in rows.get((want.collection, want.video_id), []) if _holds(want, r)]
            shotless += not found
            for row in sorted(found, key=lambda r: r["start"]):
                if len(chosen) < limit:
                    chosen.setdefault((want.collection, want.video_id, row["shot"]), (want, row))
        if len(chosen) >= limit:
            pool.notes.append(f"the {limit} best shots found are used (raise the limit for more)")
            break
    if shotless:
        pool.notes.append(
            f"{shotless} hit(s) in films without shots in the index left out (run `deerin "
            "ingest` with the shots stage)"
        )
    said = _said(scopes, list(chosen))
    pool.candidates = [
        _candidate(want, row, rank, said.get(key, ""))
        for rank, (key, (want, row)) in enumerate(chosen.items())
    ]


def _holds(want: _Want, row: dict[str, Any]) -> bool:
    if want.shot is not None:
        return row["shot"] == want.shot
    return row["start"] < max(want.end, want.start + 1e-3) and row["end"] > want.start


def _rows_for(
    scopes: dict[str, Scope], wants: list[_Want]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The shot rows the wants lie in, by collection and video (one query per collection)."""
    by_scope: dict[str, dict[str, list[_Want]]] = {}
    for want in wants:
        by_scope.setdefault(want.collection, {}).setdefault(want.video_id, []).append(want)
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for name, videos in by_scope.items():
        where = " OR ".join(f"({_in_video(video, items)})" for video, items in videos.items())
        for row in scopes[name].index.rows("shots", where, None, SHOT_COLUMNS):
            found.setdefault((name, row["video_id"]), []).append(row)
    return found


def _in_video(video_id: str, wants: list[_Want]) -> str:
    """SQL for the shots of one video that the wants name or overlap."""
    numbers = sorted({w.shot for w in wants if w.shot is not None})
    parts = [f"shot IN ({', '.join(map(str, numbers))})"] if numbers else []
    parts += [f'(start < {max(w.end, w.start + 1e-3):.6f} AND "end" > {w.start:.6f})'
              for w in wants if w.shot is None]  # fmt: skip
    return f"video_id = {sql_text(video_id)} AND ({' OR '.join(parts)})"


def _shots_sql(keys: Iterable[tuple[str, int]]) -> str:
    """SQL for these shots (video id, shot number)."""
    videos: dict[str, set[int]] = {}
    for video, shot in keys:
        videos.setdefault(video, set()).add(shot)
    return " OR ".join(
        f"(video_id = {sql_text(v)} AND shot IN ({', '.join(map(str, sorted(n)))}))"
        for v, n in videos.items()
    )


def _said(
    scopes: dict[str, Scope], keys: list[tuple[str, str, int]]
) -> dict[tuple[str, str, int], str]:
    """What is said in each shot, from the transcript passages the index holds."""
    said: dict[tuple[str, str, int], list[tuple[float, str]]] = {}
    for name in {collection for collection, _, _ in keys}:
        where = _shots_sql((v, s) for c, v, s in keys if c == name)
        rows = scopes[name].index.rows(
            "passages",
            f"source = 'speech' AND ({where})",
            None,
            ["video_id", "shot", "start", "text"],
        )
        for row in rows:
            said.setdefault((name, row["video_id"], row["shot"]), []).append(
                (row["start"], row["text"])
            )
    return {key: " ".join(text for _, text in sorted(texts)) for key, texts in said.items()}


def _candidate(want: _Want, row: dict[str, Any], rank: int, said: str) -> Candidate:
    return Candidate(
        collection=want.collection,
        video_id=want.video_id,
        file=row["file"],
        shot=int(row["shot"]),
        start=float(row["start"]),
        end=float(row["end"]),
        scale=row["scale"] or None,
        vector=_unit(row["vector"]),
        description=_description(row, said),
        caption=_short(row),
        score=want.score,
        rank=rank,
        year=row["year"],
        date=row["date"] or "",
    )


def _unit(values: Any) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _description(row: dict[str, Any], said: str) -> str:
    parts = [
        row["caption"],
        f"tags: {row['tags']}" if row["tags"] else "",
        f"on screen: {row['text']}" if row["text"] else "",
        f"said: {said}" if said else "",
    ]
    text = "; ".join(" ".join(p.split()) for p in parts if p) or "(not described)"
    return text[:DESCRIPTION]


def _short(row: dict[str, Any]) -> str:
    text = row["caption"] or row["tags"] or row["text"] or f"{row['file']}, shot {row['shot']}"
    return " ".join(text.split())[:CAPTION]


# -- look-alike chains ------------------------------------------------------------------


def chain(vectors: np.ndarray, first: int) -> list[int]:
    """Row indexes from ``first``, each next the unused row most like the one before
    (cosine: the rows are of unit length). Row by row, so memory stays linear."""
    unused = np.ones(len(vectors), dtype=bool)
    order = [first]
    unused[first] = False
    while unused.any():
        similarity = vectors @ vectors[order[-1]]
        similarity[~unused] = -np.inf
        chosen = int(np.argmax(similarity))
        order.append(chosen)
        unused[chosen] = False
    return order


def look_alike_chain(
    settings: Settings, clips: list[EditClip], collections: dict[str, str]
) -> list[EditClip]:
    """Clips as a chain of look-alike pictures: from the best-scored, each next the clip
    whose shot looks most like the last one's. Clips without a picture (a sound
    recording, a film without shots) follow in time order."""
    vectors = shot_vectors(
        settings,
        {(collections[c.video_id], c.video_id, c.shot) for c in clips if c.shot is not None},
    )
    pictured = [c for c in clips if (c.video_id, c.shot) in vectors]
    rest = sorted((c for c in clips if (c.video_id, c.shot) not in vectors),
                  key=lambda c: (c.video_id, c.start))  # fmt: skip
    if not pictured:
        return rest
    first = max(range(len(pictured)), key=lambda i: pictured[i].score or 0.0)
    stacked = np.stack([vectors[(c.video_id, c.shot)] for c in pictured])
    return [pictured[i] for i in chain(stacked, first)] + rest


def shot_vectors(
    settings: Settings, keys: set[tuple[str, str, int | None]]
) -> dict[tuple[str, int], np.ndarray]:
    """The unit-length image embeddings of shots (collection, video, shot), by (video, shot)."""
    found: dict[tuple[str, int], np.ndarray] = {}
    for collection in {c for c, _, shot in keys if shot is not None}:
        where = _shots_sql((v, s) for c, v, s in keys if c == collection and s is not None)
        index = SearchIndex.open(settings, collection)
        for row in index.rows("shots", where, None, ["video_id", "shot", "vector"]):
            found[(row["video_id"], row["shot"])] = _unit(row["vector"])
    return found


# -- strategies -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a strategy gets: the usable shots (best first) and the request."""

    settings: Settings
    shots: list[Candidate]
    target: float
    max_shot: float
    min_shot: float
    rhythm: RhythmClip | None = None
    cut_on: str = "beats"
    prompt: str | None = None


@dataclass
class Order:
    """What a strategy answers: shots in order, and (rhythm) each clip's length."""

    shots: list[Candidate]
    lengths: list[float] | None = None
    notes: list[str] = field(default_factory=list)
    sources: dict[str, EditSource] = field(default_factory=dict)  # beside the shots'


def chronological(plan: Plan) -> Order:
    """By catalogue date (year first: dates are written many ways), film, then time."""
    return Order(sorted(plan.shots, key=_in_time))


def _in_time(c: Candidate) -> tuple[Any, ...]:
    return (c.year if c.year is not None else 10000, c.date, c.file, c.video_id, c.start)


def similar(plan: Plan) -> Order:
    """A chain of look-alike pictures from the best hit."""
    vectors = np.stack([c.vector for c in plan.shots])
    return Order([plan.shots[i] for i in chain(vectors, 0)])


def analytical(plan: Plan) -> Order:
    """Cycles of wide, medium and close shots; shots of unknown scale last, in time."""
    groups = [[c for c in sorted(plan.shots, key=_in_time) if c.scale in scales]
              for scales in CYCLE]  # fmt: skip
    ordered: list[Candidate] = []
    while any(groups):
        opened = False
        for group in groups:
            if not group:
                continue
            pick = 0 if not opened else _most_like(ordered[-1], group)
            ordered.append(group.pop(pick))
            opened = True
    unscaled = sorted((c for c in plan.shots if c.scale not in WIDE + MEDIUM + CLOSE),
                      key=_in_time)  # fmt: skip
    notes = [f"{len(unscaled)} shot(s) of unknown scale come after the cycles"] if unscaled else []
    return Order(ordered + unscaled, notes=notes)


def _most_like(shot: Candidate, group: list[Candidate]) -> int:
    return int(np.argmax(np.stack([c.vector for c in group]) @ shot.vector))


def to_rhythm(plan: Plan) -> Order:
    """The shots in time order, each cut to the stretch between two cut points."""
    clip = plan.rhythm
    if clip is None:
        raise QueryError(
            "the rhythm strategy needs a clip to cut to",
            hint="give --rhythm VIDEO:START-END (a stretch of the collection) or a sound file",
        )
    found = analyse(clip, plan.target, plan.cut_on, plan.settings.audio.silence_db)
    lengths = slots(found.cuts, found.length, plan.min_shot)
    tempo = f", about {found.tempo:.0f} BPM" if found.tempo else ""
    notes = [
        f"cut on the {plan.cut_on} of {clip.label} ({len(found.cuts)} found{tempo}); its sound "
        "is not mixed in: lay it under the sequence, from its start, as the music"
    ]
    if found.length < plan.target - EPSILON:
        notes.append(f"the sequence is as long as the rhythm clip: {found.length:.2f} s")
    sources: dict[str, EditSource] = {}
    if clip.video_id and clip.collection:
        sources, missing = edit_sources(plan.settings, {clip.video_id: clip.collection})
        notes += missing
    return Order(sorted(plan.shots, key=_in_time), lengths, notes, sources)


def from_prompt(plan: Plan) -> Order:
    """The shots a language model chose, in its order, from the best shots' descriptions."""
    asked = (plan.prompt or "").strip()
    if not asked:
        raise QueryError(
            "the prompt strategy needs a prompt",
            hint='say what the sequence should be, e.g. --prompt "a calm morning turning '
            'into a storm"',
        )
    if not plan.settings.llm.endpoint:
        raise DeerinError(
            "the prompt strategy asks a language model at an OpenAI-compatible server, and "
            "llm.endpoint is not set",
            hint="set endpoint under [llm] in deerin.toml (e.g. http://localhost:11434/v1 "
            "for Ollama) and models.language_model to a model it serves",
        )
    offered = plan.shots[:PROMPT_SHOTS]
    model = open_language_model(plan.settings)
    answer = model.generate(SYSTEM, _question(asked, offered, plan), PROMPT_TOKENS).text
    numbers, unknown, repeated = chosen_numbers(answer, len(offered))
    if not numbers:
        raise DeerinError(
            f"the language model ({model.name}) chose no shot from the list; it answered: "
            f"{' '.join(answer.split())[:200]!r}",
            hint="try another prompt, or a larger model (models.language_model)",
        )
    notes = [f"the order is {model.name}'s: {len(numbers)} of the {len(offered)} shots offered"]
    if unknown:
        notes.append(f"it named {_listing(unknown)}, not on the list (ignored)")
    if repeated:
        notes.append(f"it named {_listing(repeated)} more than once (the repeats ignored)")
    return Order([offered[n - 1] for n in numbers], notes=notes)


def _question(asked: str, offered: list[Candidate], plan: Plan) -> str:
    lines = [
        f"{i}. [{c.scale or 'scale unknown'}, {c.duration:.1f} s, {c.file}"
        f"{f', {c.year}' if c.year else ''}] {c.description}"
        for i, c in enumerate(offered, start=1)
    ]
    return (
        f"The sequence: {asked}\n"
        f"It lasts about {plan.target:.0f} seconds; each shot plays for at most "
        f"{plan.max_shot:g} seconds.\n\nThe shots:\n" + "\n".join(lines) + "\n\n"
        "Which shots make this sequence, in which order? Answer with a JSON list of numbers."
    )


def chosen_numbers(answer: str, count: int) -> tuple[list[int], list[int], list[int]]:
    """The shot numbers in a model's answer: those on the list (1..count) in order, the
    unknown ones, the repeated ones. The last bracketed list is read when there is one
    (a model may think aloud first), else every number anywhere."""
    text = re.sub(r"<think>.*?</think>", " ", answer, flags=re.DOTALL)
    lists = re.findall(r"\[[^\[\]]*\d[^\[\]]*\]", text)
    numbers = [int(n) for n in re.findall(r"\d+", lists[-1] if lists else text)]
    chosen: list[int] = []
    unknown: list[int] = []
    repeated: list[int] = []
    for number in numbers:
        if not 1 <= number <= count:
            unknown.append(number)
        elif number in chosen:
            repeated.append(number)
        else:
            chosen.append(number)
    return chosen, unknown, repeated


def _listing(numbers: list[int]) -> str:
    unique = list(dict.fromkeys(numbers))
    return ", ".join(map(str, unique[:10])) + ("…" if len(unique) > 10 else "")


Strategy = Callable[[Plan], Order]
STRATEGIES: dict[str, Strategy] = {
    "chronological": chronological,
    "similar": similar,
    "analytical": analytical,
    "rhythm": to_rhythm,
    "prompt": from_prompt,
}


# -- the sequence -----------------------------------------------------------------------


def build_sequence(
    settings: Settings,
    pool: Pool,
    strategy: str,
    target: float = 60.0,
    *,
    max_shot: float = 6.0,
    min_shot: float = 1.0,
    rhythm: RhythmClip | None = None,
    cut_on: str = "beats",
    prompt: str | None = None,
) -> Edit:
    """The sequence ``strategy`` makes of the pool's shots, about ``target`` seconds long."""
    _check(strategy, target, max_shot, min_shot, rhythm, prompt)
    if not pool.candidates:
        raise NothingToCut(
            f"the search {pool.query!r} found no shots" if pool.query else "no shots were given",
            hint="try fewer words, another filter, or a set of shots (set:NAME)",
        )
    sources, notes = edit_sources(settings, {c.video_id: c.collection for c in pool.candidates})
    usable = [c for c in pool.candidates if c.video_id in sources]
    short = [c for c in usable if c.duration < min_shot - EPSILON]
    if short:
        notes.append(f"{len(short)} shot(s) shorter than {min_shot:g} s passed over")
    usable = [c for c in usable if c.duration >= min_shot - EPSILON]
    if not usable:
        raise NothingToCut(
            f"none of the {len(pool.candidates)} shots found can be cut",
            hint=" ".join(notes) or "allow shorter clips (the shortest clip, --min-shot)",
        )
    plan = Plan(settings, usable, target, max_shot, min_shot, rhythm, cut_on, prompt)
    order = STRATEGIES[strategy](plan)
    clips, said = (
        _to_lengths(order.shots, order.lengths)
        if order.lengths is not None
        else _to_target(order.shots, target, max_shot, min_shot)
    )
    used = {clip.video_id for clip in clips}
    return Edit(
        name=(prompt or "").strip() or pool.query or "sequence",
        made=f"sequence: {strategy}",
        query=pool.query,
        sources={**{k: s for k, s in sources.items() if k in used}, **order.sources},
        clips=clips,
        notes=[*pool.notes, *notes, *order.notes, *said],
    )


def _check(
    strategy: str,
    target: float,
    max_shot: float,
    min_shot: float,
    rhythm: RhythmClip | None,
    prompt: str | None,
) -> None:
    if strategy not in STRATEGIES:
        guess = closest(strategy, STRATEGIES)
        raise QueryError(
            f"there is no strategy {strategy!r}",
            hint=f"did you mean {guess!r}?" if guess else f"choose one of: {', '.join(STRATEGIES)}",
        )
    if target <= 0:
        raise QueryError("the length of a sequence is seconds: more than 0")
    if not 0 < min_shot <= max_shot:
        raise QueryError("the shortest clip must be more than 0 s and no longer than the longest")
    if rhythm is not None and strategy != "rhythm":
        raise QueryError(
            "a rhythm clip goes with the rhythm strategy", hint="add --strategy rhythm"
        )
    if prompt and strategy != "prompt":
        raise QueryError("a prompt goes with the prompt strategy", hint="add --strategy prompt")


def _to_target(
    shots: list[Candidate], target: float, max_shot: float, min_shot: float
) -> tuple[list[EditClip], list[str]]:
    """Clips of the shots in order until the target; says when the shots run out first."""
    clips: list[EditClip] = []
    left = target
    for shot in shots:
        if left <= EPSILON:
            break
        length = _length(shot.duration, left, max_shot, min_shot)
        clips.append(_clip(shot, length))
        left -= length
    return clips, _short_of(target, target - max(left, 0.0))


def _length(duration: float, left: float, max_shot: float, min_shot: float) -> float:
    """A clip's length: up to ``max_shot``, and never leaving less than ``min_shot`` for
    the clip after it (this one runs on to the target instead, or leaves room)."""
    length = min(duration, max_shot, left)
    rest = left - length
    if EPSILON < rest < min_shot:
        if duration >= left:
            return left
        if length - (min_shot - rest) >= min_shot:
            return length - (min_shot - rest)
    return length


def _to_lengths(shots: list[Candidate], lengths: list[float]) -> tuple[list[EditClip], list[str]]:
    """One clip per length, each from the next shot in order that is long enough."""
    left = list(shots)
    clips: list[EditClip] = []
    for length in lengths:
        fits = next((i for i, s in enumerate(left) if s.duration >= length - EPSILON), None)
        if fits is None:
            break
        clips.append(_clip(left.pop(fits), length))
    return clips, _short_of(sum(lengths), sum(c.duration for c in clips))


def _short_of(wanted: float, made: float) -> list[str]:
    if made >= wanted - 0.05:
        return []
    return [
        f"the shots found make {made:.1f} s of the {wanted:.1f} s asked for (search wider, "
        "or allow shorter clips)"
    ]


def _clip(shot: Candidate, length: float) -> EditClip:
    """``length`` seconds around the shot's middle, inside the shot."""
    length = min(length, shot.duration)
    start = min(max(shot.start, (shot.start + shot.end - length) / 2), shot.end - length)
    return EditClip(
        video_id=shot.video_id,
        start=start,
        end=start + length,
        caption=shot.caption,
        kind="shot",
        shot=shot.shot,
        scale=shot.scale,
        score=shot.score,
    )
