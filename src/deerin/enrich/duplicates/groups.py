"""The duplicates step: group shots and whole videos that show the same footage.

Every matchable analysis frame of the collection is compared with every other, a chunk
of rows at a time so memory stays bounded: pHash distance by XOR and bit count, and
embedding cosine (from the tags stage, when it ran) by a matrix product. Matching
frames link their shots; those links, grouped transitively, are the shot-level groups.

Two videos are copies when many of one's frames match the other's *in time order*:
the matches must lie on one line ``t_b = scale × t_a + offset`` (another frame rate
changes the scale, a trimmed head the offset). Look-alike frames scattered through two
different reels (two sea shots in two cartoons) do not lie on a line, so they never make
two videos copies, however many there are. Because the time line is such strong
evidence, a frame on it may be somewhat less similar than a lone shot match must be:
a blocky DVD transfer, cropped differently from the Blu-ray, still lines up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from deerin.enrich.duplicates.hashes import HASH_BITS
from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.catalogue import VideoRow
from deerin.index.schemas import Duplicates, FrameHash, Hashes, Shots, Tags
from deerin.index.store import VideoFolder
from deerin.plugins.stage import StageOutput
from deerin.plugins.step import CollectionContext, CollectionStep

CHUNK = 256  # frames compared at once with the whole collection (~20 bytes x CHUNK x frames)
ALIGN_TOLERANCE = 1.0  # seconds a matching frame may lie off the copies' time line
MIN_ALIGNED = 3  # strict frame matches that must align before two videos can be copies
SCALES = (0.8, 1.25)  # slowest and fastest speed ratio between copies (PAL 25/24 is 1.04)
MAX_HYPOTHESES = 20_000  # time lines tried per pair of videos (pairs of matches, sampled)
ALIGN_SLACK = 1.6  # on a copies' time line a frame may be this much further from a match

ShotKey = tuple[int, int]  # (video number in the table, shot index)


@dataclass(frozen=True)
class MatchRule:
    """When two frames match: which signal, and how close each must be."""

    mode: str  # "phash", "embedding" or "combined" (either signal)
    hamming: int
    cosine: float
    repeat_gap: float  # seconds between two shots of one video for a repeat to count

    def loosened(self) -> MatchRule:
        """The rule for frames that also line up in time with other matches."""
        hamming = round(self.hamming * ALIGN_SLACK)
        cosine = 1.0 - (1.0 - self.cosine) * ALIGN_SLACK
        return MatchRule(self.mode, hamming, cosine, self.repeat_gap)


@dataclass
class FrameTable:
    """The collection's matchable (not flat) frames, one row each, as column arrays."""

    video: np.ndarray  # number of the video in ``videos``
    shot: np.ndarray
    time: np.ndarray
    phash: np.ndarray  # uint64
    embedding: np.ndarray | None  # L2-normalised rows; a zero row where a frame has none
    videos: list[VideoRow]
    space: str | None  # the embedding model used, e.g. "efficientnet-lite0/1280"

    def __len__(self) -> int:
        return len(self.video)

    def frames_of(self, video: int) -> int:
        return int(np.count_nonzero(self.video == video))


@dataclass(frozen=True)
class Matches:
    """Pairs of matching frames (row numbers in the table, ``first < second``).

    ``strict`` marks pairs that match under the rule itself; the others match only
    under its loosened form and count only where they line up in time.
    """

    first: np.ndarray
    second: np.ndarray
    similarity: np.ndarray
    strict: np.ndarray


@dataclass(frozen=True)
class VideoLink:
    """Two videos found to be copies: how much aligned, and which stretch of each."""

    a: int
    b: int
    similarity: float
    span_a: tuple[float, float]
    span_b: tuple[float, float]


class DuplicatesStep(CollectionStep):
    """Group near-duplicate shots and videos across the collection."""

    name = "duplicates"
    version = "1"
    requires = ("hashes", "shots")
    optional = ("tags",)

    def params(self) -> dict[str, Any]:
        return {
            "match": self.settings.duplicates.match,
            "hamming": self.settings.duplicates.hamming,
            "cosine": self.settings.duplicates.cosine,
            "video_fraction": self.settings.duplicates.video_fraction,
            "repeat_gap": self.settings.duplicates.repeat_gap,
        }

    def rule(self) -> MatchRule:
        s = self.settings
        return MatchRule(
            s.duplicates.match, s.duplicates.hamming, s.duplicates.cosine, s.duplicates.repeat_gap
        )

    def run(self, ctx: CollectionContext) -> StageOutput:
        rule = self.rule()
        table = load_frames(ctx, ctx.finished("hashes"))
        if rule.mode == "embedding" and table.embedding is None:
            raise DeerinError(
                "duplicates.match is 'embedding' but no video has image embeddings",
                path=ctx.folder,
                hint="run the tags stage, or set match = 'combined' under [duplicates]",
            )
        matches = frame_matches(table, rule)
        videos = video_links(table, matches, self.settings.duplicates.video_fraction)
        shots = shot_links(table, matches)
        groups = video_groups(table, videos) + shot_groups(ctx, table, shots)
        ctx.write(Duplicates, {"groups": groups})
        return StageOutput(
            method={
                "name": "frame matching with time alignment",
                "match": rule.mode,
                "phash": None if rule.mode == "embedding" else "64-bit DCT",
                "embeddings": None if rule.mode == "phash" else table.space,
            },
            summary={
                "video groups": sum(g["kind"] == "video" for g in groups),
                "shot groups": sum(g["kind"] == "shot" for g in groups),
                "frames compared": len(table),
            },
        )


def load_frames(ctx: CollectionContext, videos: list[VideoRow]) -> FrameTable:
    """Read every video's hashes and, where the tags stage ran, its embeddings.

    Embeddings are compared only within one model's space: if videos were tagged with
    different models, the most common one is used and the others match by pHash alone.
    """
    loaded = [_video_frames(ctx.video_folder(video.id)) for video in videos]
    spaces = Counter(space for _, space, _ in loaded if space)
    space = spaces.most_common(1)[0][0] if spaces else None
    columns: dict[str, list[Any]] = {"video": [], "shot": [], "time": [], "phash": []}
    embeddings: list[np.ndarray | None] = []
    for number, (frames, frame_space, rows) in enumerate(loaded):
        for frame in frames:
            columns["video"].append(number)
            columns["shot"].append(frame.shot)
            columns["time"].append(frame.time)
            columns["phash"].append(int(frame.phash, 16))
            embeddings.append(rows.get(frame.frame) if frame_space == space else None)
    return FrameTable(
        np.array(columns["video"], dtype=np.int64),
        np.array(columns["shot"], dtype=np.int64),
        np.array(columns["time"], dtype=np.float64),
        np.array(columns["phash"], dtype=np.uint64),
        _stack(embeddings),
        videos,
        space,
    )


def _video_frames(
    folder: VideoFolder,
) -> tuple[list[FrameHash], str | None, dict[int, np.ndarray]]:
    """A video's matchable frames, its embedding space and embeddings by frame index."""
    frames = [f for f in artefacts.read(folder, Hashes).frames if not f.flat]
    if folder.read_manifest("tags") is None:
        return frames, None, {}
    tags = artefacts.read(folder, Tags)
    rows = artefacts.vectors(folder, Tags, tags)
    space = f"{tags.model.name}/{tags.dim}"
    return frames, space, {entry.frame: rows[i] for i, entry in enumerate(tags.frames)}


def _stack(rows: list[np.ndarray | None]) -> np.ndarray | None:
    """One matrix, a zero row (similar to nothing) for each frame without an embedding."""
    dim = next((len(row) for row in rows if row is not None), None)
    if dim is None:
        return None
    zero = np.zeros(dim, dtype=np.float32)
    return np.stack([zero if row is None else row.astype(np.float32) for row in rows])


def frame_matches(table: FrameTable, rule: MatchRule) -> Matches:
    """Every pair of frames that match under ``rule`` or its loosened form, each pair once.

    Frames of one shot never pair (they are one shot); frames of one video pair only
    when their shots lie ``repeat_gap`` apart (repeated footage, not a cut-away and back).
    """
    found: list[tuple[np.ndarray, ...]] = []
    for start in range(0, len(table), CHUNK):
        rows = np.arange(start, min(start + CHUNK, len(table)))
        loose, strict, similarity = _compare(table, rows, rule)
        i, j = np.nonzero(loose)
        found.append((rows[i], start + j, similarity[i, j], strict[i, j]))
    if not found:
        return Matches(*(np.zeros(0, dtype) for dtype in (np.int64, np.int64, float, bool)))
    return Matches(*(np.concatenate(column) for column in zip(*found, strict=True)))


def _compare(table: FrameTable, rows: np.ndarray, rule: MatchRule) -> tuple[np.ndarray, ...]:
    """Loose and strict match matrices and similarity of ``rows`` against later frames.

    Similarity is pHash bit agreement (1 − distance/64), embedding cosine, or the
    larger of the two when both signals are used.
    """
    later = slice(int(rows[0]), None)
    loose_rule = rule.loosened()
    distance = np.bitwise_count(table.phash[rows, None] ^ table.phash[None, later])
    similarity = 1.0 - distance.astype(np.float32) / HASH_BITS
    use_phash = rule.mode != "embedding"
    strict = (distance <= rule.hamming) & use_phash
    loose = (distance <= loose_rule.hamming) & use_phash
    if table.embedding is not None and rule.mode != "phash":
        cosine = table.embedding[rows] @ table.embedding[later].T
        strict |= cosine >= rule.cosine
        loose |= cosine >= loose_rule.cosine
        similarity = cosine if rule.mode == "embedding" else np.maximum(similarity, cosine)
    pairable = _pairable(table, rows, later, rule.repeat_gap)
    return loose & pairable, strict & pairable, similarity


def _pairable(table: FrameTable, rows: np.ndarray, later: slice, gap: float) -> np.ndarray:
    """Which (row, later frame) pairs may match at all: later, and not the same shot."""
    after = rows[:, None] < np.arange(len(table))[None, later]
    same_video = table.video[rows, None] == table.video[None, later]
    apart = np.abs(table.time[rows, None] - table.time[None, later]) >= gap
    other_shot = table.shot[rows, None] != table.shot[None, later]
    return after & (~same_video | (other_shot & apart))


def video_links(table: FrameTable, matches: Matches, fraction: float) -> list[VideoLink]:
    """The pairs of videos whose matching frames line up in time over ``fraction`` of one."""
    links = []
    for (a, b), picked in _by_video_pair(table, matches).items():
        first, second = matches.first[picked], matches.second[picked]
        inliers = align(table.time[first], table.time[second])
        if np.count_nonzero(inliers & matches.strict[picked]) < MIN_ALIGNED:
            continue  # the line must rest on frames that match on their own
        frames_a, frames_b = np.unique(first[inliers]), np.unique(second[inliers])
        share = max(len(frames_a) / table.frames_of(a), len(frames_b) / table.frames_of(b))
        if share >= fraction:
            spans = _span(table, frames_a), _span(table, frames_b)
            links.append(VideoLink(a, b, round(min(share, 1.0), 4), *spans))
    return links


def _by_video_pair(table: FrameTable, matches: Matches) -> dict[tuple[int, int], np.ndarray]:
    """Match numbers by (video of first, video of second), different videos only.

    Rows are ordered by video, so the first frame of a pair is in the lower video.
    """
    a, b = table.video[matches.first], table.video[matches.second]
    pairs: dict[tuple[int, int], list[int]] = {}
    for n in np.flatnonzero(a != b):
        pairs.setdefault((int(a[n]), int(b[n])), []).append(int(n))
    return {key: np.array(picked) for key, picked in pairs.items()}


def _span(table: FrameTable, rows: np.ndarray) -> tuple[float, float]:
    return float(table.time[rows].min()), float(table.time[rows].max())


def align(times_a: np.ndarray, times_b: np.ndarray) -> np.ndarray:
    """Which matches lie on the time line ``t_b = scale × t_a + offset`` most agree on.

    Candidate lines come from each match at scale 1 (same speed, some offset) and from
    pairs of matches (another speed); the line with the most matches within
    ``ALIGN_TOLERANCE`` wins. Returns a mask over the matches.
    """
    scale, offset = _time_lines(times_a, times_b)
    best, best_count = np.zeros(len(times_a), bool), -1
    for start in range(0, len(scale), CHUNK):
        s, o = scale[start : start + CHUNK, None], offset[start : start + CHUNK, None]
        inside = np.abs(times_b[None, :] - (s * times_a[None, :] + o)) <= ALIGN_TOLERANCE
        counts = inside.sum(axis=1)
        top = int(counts.argmax())
        if counts[top] > best_count:
            best, best_count = inside[top], int(counts[top])
    return best


def _time_lines(times_a: np.ndarray, times_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scales and offsets of the candidate time lines through the matches."""
    n = len(times_a)
    if n * (n - 1) // 2 <= MAX_HYPOTHESES:
        i, j = np.triu_indices(n, k=1)
    else:  # seeded, so a rerun groups the same way
        i, j = np.random.default_rng(0).integers(0, n, size=(2, MAX_HYPOTHESES))
    run = times_a[j] - times_a[i]
    usable = np.abs(run) >= 2 * ALIGN_TOLERANCE  # too close together for a reliable slope
    i, j = i[usable], j[usable]
    scale = (times_b[j] - times_b[i]) / run[usable]
    keep = (scale >= SCALES[0]) & (scale <= SCALES[1])
    scale, i = scale[keep], i[keep]
    offset = times_b[i] - scale * times_a[i]
    return np.concatenate([np.ones(n), scale]), np.concatenate([times_b - times_a, offset])


def shot_links(table: FrameTable, matches: Matches) -> dict[tuple[ShotKey, ShotKey], float]:
    """Links between near-duplicate shots, with the best similarity of their frames.

    A shot keeps only its most similar partner in each video (and is kept by a partner
    for which it is the most similar): a generic picture, say open sea, would otherwise
    chain every sea shot of a collection into one group.
    """
    similarity: dict[tuple[ShotKey, ShotKey], float] = {}
    strict = matches.strict
    for first, second, value in zip(
        matches.first[strict], matches.second[strict], matches.similarity[strict], strict=True
    ):
        key = (_shot(table, first), _shot(table, second))
        similarity[key] = max(similarity.get(key, -1.0), float(value))
    best: dict[tuple[ShotKey, int], tuple[float, ShotKey]] = {}
    for (a, b), value in similarity.items():
        for one, other in ((a, b), (b, a)):
            if value > best.get((one, other[0]), (-2.0, one))[0]:
                best[(one, other[0])] = (value, other)
    return {
        (a, b): round(value, 4)
        for (a, b), value in similarity.items()
        if best[(a, b[0])][1] == b or best[(b, a[0])][1] == a
    }


def _shot(table: FrameTable, row: int) -> ShotKey:
    return int(table.video[row]), int(table.shot[row])


def connected(links: Iterable[tuple[Hashable, Hashable]]) -> list[list[Hashable]]:
    """Groups of items joined directly or through others (union-find), each sorted."""
    parent: dict[Hashable, Hashable] = {}

    def root(item: Hashable) -> Hashable:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[Hashable, list[Hashable]] = {}
    for item in parent:
        groups.setdefault(root(item), []).append(item)
    return sorted(sorted(group) for group in groups.values())


def video_groups(table: FrameTable, links: list[VideoLink]) -> list[dict[str, Any]]:
    """Copies grouped; similarity is the weakest link's aligned share, spans the aligned part."""
    groups = []
    for members in connected((link.a, link.b) for link in links):
        inside = [link for link in links if link.a in members]
        spans: dict[int, list[tuple[float, float]]] = {}
        for link in inside:
            spans.setdefault(link.a, []).append(link.span_a)
            spans.setdefault(link.b, []).append(link.span_b)
        groups.append(
            {
                "kind": "video",
                "similarity": min(link.similarity for link in inside),
                "members": [
                    {
                        "video_id": table.videos[video].id,
                        "shot": None,
                        "start": min(start for start, _ in spans[video]),
                        "end": max(end for _, end in spans[video]),
                    }
                    for video in members
                ],
            }
        )
    return groups


def shot_groups(
    ctx: CollectionContext, table: FrameTable, links: dict[tuple[ShotKey, ShotKey], float]
) -> list[dict[str, Any]]:
    """Near-duplicate shots grouped; similarity is the weakest link's frame similarity."""
    bounds = {
        video: _shot_bounds(ctx.video_folder(table.videos[video].id))
        for video in {key[0] for pair in links for key in pair}
    }
    groups = []
    for members in connected(links):
        joined = set(members)
        inside = [value for (a, _), value in links.items() if a in joined]
        groups.append(
            {
                "kind": "shot",
                "similarity": min(inside),
                "members": [
                    {
                        "video_id": table.videos[video].id,
                        "shot": shot,
                        "start": bounds[video][shot][0],
                        "end": bounds[video][shot][1],
                    }
                    for video, shot in members
                ],
            }
        )
    return groups


def _shot_bounds(folder: VideoFolder) -> dict[int, tuple[float, float]]:
    shots = artefacts.read(folder, Shots).shots
    return {shot.index: (shot.start_time, shot.end_time) for shot in shots}
