"""Many ranked lists into one answer: reciprocal rank fusion, then time ranges per video.

Each kind of query (words, meaning, picture, person, place) ranks what it found on its
own scale (BM25, cosine); scores of different methods do not compare, ranks do.
Reciprocal rank fusion (Cormack et al., 2009) adds ``1 / (K + rank)`` over the lists
that found a unit, so a passage found by words and by meaning rises above one found by
either. Then hits of one video that touch or lie within ``merge_gap`` seconds merge into
one time range, as WISE merges neighbouring frames: a run of adjacent subtitle cues
that all say the phrase is one answer, not ten. Only hits of comparable score merge,
and whole shots stay apart (a shot is already the unit pictures are matched in).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from deerin.retrieve.hits import Hit, Match, VideoGroup

K = 60  # the constant of reciprocal rank fusion, as in the paper
WHOLE = frozenset({"summary", "metadata", "video"})  # matches about a whole video or part
MAX_MATCHES = 20  # matches kept in one merged hit
COMPARABLE = 0.5  # neighbours merge when the weaker scores at least this share of the other


def fuse(ranked_lists: Iterable[list[tuple[str, Hit]]]) -> list[Hit]:
    """One list from many: each unit (by key) scored by the sum of 1 / (K + rank)."""
    fused: dict[str, Hit] = {}
    for ranked in ranked_lists:
        for rank, (key, hit) in enumerate(ranked, start=1):
            gain = 1.0 / (K + rank)
            held = fused.get(key)
            if held is None:
                hit.score = gain  # each list's hits are fresh objects: no copy needed
                fused[key] = hit
                continue
            matches = _union(held, hit)
            exact = [m for m in matches if m.pinned] or matches  # found words: cut on them
            fused[key] = held.model_copy(
                update={
                    "score": held.score + gain,
                    "methods": list(dict.fromkeys([*held.methods, *hit.methods])),
                    "matches": matches,
                    "start": min(m.start for m in exact),
                    "end": max(m.end for m in exact),
                }
            )
    return sorted(fused.values(), key=lambda h: -h.score)


def _union(first: Hit, second: Hit) -> list[Match]:
    """Both hits' matches, ``first``'s before ``second``'s, those found by their words
    ahead; one passage found by two methods shows once, as its words found it."""
    ordered = sorted(
        [*first.matches, *second.matches], key=lambda m: (not m.pinned, not m.by_words)
    )
    seen, kept = set(), []
    for match in ordered:
        if (match.kind, match.text) not in seen:
            seen.add((match.kind, match.text))
            kept.append(match)
    return kept[:MAX_MATCHES]


def merge_neighbours(hits: list[Hit], gap: float) -> list[Hit]:
    """Hits of one video within ``gap`` seconds of each other become one range."""
    by_video: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        by_video.setdefault((hit.collection, hit.video_id), []).append(hit)
    merged: list[Hit] = [hit for hit in hits if _whole(hit)]
    for group in by_video.values():
        group = [hit for hit in group if not _whole(hit)]
        if not group:
            continue
        group.sort(key=lambda h: (h.start, h.end))
        current = group[0]
        for hit in group[1:]:
            if _joins(current, hit, gap):
                current = _join(current, hit)
            else:
                merged.append(current)
                current = hit
        merged.append(current)
    return sorted(merged, key=lambda h: (-h.score, h.file, h.start))


def _joins(current: Hit, hit: Hit, gap: float) -> bool:
    """Whether ``hit`` extends the range ``current``: near it in time, not both whole
    shots, and of comparable relevance, so that weak neighbours (a long run of passages
    only loosely about the query) never stretch a strong hit over the whole video."""
    near = hit.start <= current.end + gap
    comparable = min(current.score, hit.score) >= COMPARABLE * max(current.score, hit.score)
    return near and comparable and not (_shots(current) and _shots(hit))


def _shots(hit: Hit) -> bool:
    """A hit of whole shots: shots are already the unit pictures are matched in, so two
    neighbouring shots stay two answers (a moment inside one still joins it)."""
    return all(match.kind == "shot" for match in hit.matches)


def _whole(hit: Hit) -> bool:
    """A hit about a whole video or a long part of it (a summary, the catalogue record):
    merging it with the moments inside would swallow them."""
    return all(match.kind in WHOLE for match in hit.matches)


def _join(first: Hit, second: Hit) -> Hit:
    best, other = (first, second) if first.score >= second.score else (second, first)
    return best.model_copy(
        update={
            "start": min(first.start, second.start),
            "end": max(first.end, second.end),
            "methods": list(dict.fromkeys([*best.methods, *other.methods])),
            "matches": _union(best, other),
            "people": sorted({*first.people, *second.people}),
        }
    )


def facets(hits: list[Hit], names: dict[tuple[str, str], str]) -> dict[str, dict[str, int]]:
    """How many hits fall under each value of each facet (before the limit)."""
    counts: dict[str, Counter[str]] = {
        "video": Counter(),
        "kind": Counter(),
        "media": Counter(),
        "year": Counter(),
        "person": Counter(),
        "scale": Counter(),
        "lang": Counter(),
        "collection": Counter(),
    }
    for hit in hits:
        counts["video"][hit.file] += 1
        counts["media"][hit.media] += 1
        counts["collection"][hit.collection] += 1
        if hit.year is not None:
            counts["year"][str(hit.year)] += 1
        if hit.scale:
            counts["scale"][hit.scale] += 1
        if hit.lang:
            counts["lang"][hit.lang] += 1
        for kind in {m.kind for m in hit.matches}:
            counts["kind"][kind] += 1
        for person in hit.people:
            counts["person"][names.get((hit.collection, person)) or person] += 1
    return {name: dict(counter.most_common()) for name, counter in counts.items() if counter}


def group_by_video(hits: list[Hit]) -> list[VideoGroup]:
    """Hits gathered under their video, best video first, hits in time order."""
    groups: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        groups.setdefault((hit.collection, hit.video_id), []).append(hit)
    return [
        VideoGroup(
            collection=collection,
            video_id=video_id,
            file=members[0].file,
            score=max(h.score for h in members),
            hits=sorted(members, key=lambda h: h.start),
        )
        for (collection, video_id), members in groups.items()
    ]
