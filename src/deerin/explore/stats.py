"""Film statistics: what film scholars read from editing (Cinemetrics and the seeds'
shot-scale charts), per video, per collection, and films side by side.

Shot lengths (their distribution, average and median), cuts per minute along the film,
the shot-scale breakdown and its sequence (the "analytical editing" pattern: long shot
→ medium → close-up), and how much of each minute shows a face or has speech. Shots
are read as people corrected them; everything else is placed on them by time.
"""

from __future__ import annotations

import itertools
import math
import statistics
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.catalogue import VideoRow
from deerin.index.corrections import read_corrected
from deerin.index.schemas import Faces, Frames, Shots, ShotScale, Transcript
from deerin.index.store import VideoFolder
from deerin.index.timeline import shot_scales

# Closeness of each scale: a rising run of three is the classical analytical pattern.
CLOSENESS = {"LS": 0, "FS": 1, "MS": 2, "CS": 3, "ECS": 4}
BINS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, math.inf)  # seconds: doubling shot lengths
MINUTE = 60.0
PARTS = 10  # a film's running time in tenths: films of any length compare along them
CLOSE = ("CS", "ECS")
MOST_FILMS = 8  # side by side: as many as a chart's colours tell apart


class Bin(BaseModel):
    low: float
    high: float | None = Field(description="None: no upper bound.")
    count: int


class ShotLengths(BaseModel):
    """The distribution of shot lengths, in seconds."""

    count: int
    total: float
    average: float | None = Field(description="ASL: the average shot length.")
    median: float | None
    shortest: float | None
    longest: float | None
    deviation: float | None = Field(description="Standard deviation (of a sample).")
    histogram: list[Bin]


class Minute(BaseModel):
    """One minute of the film (the last may be shorter)."""

    start: float
    end: float
    cuts: int = Field(description="Shots starting in it (the first shot's start is no cut).")
    cuts_per_minute: float
    faces: float | None = Field(description="Share of its analysis frames with a face.")
    speech: float | None = Field(description="Share of its time with speech.")


class FilmStats(BaseModel):
    """The statistics of one film (a sound recording has only speech)."""

    video_id: str
    file: str
    title: str
    year: int | None
    duration: float
    shots: list[float] = Field(description="Each shot's length, in order.")
    lengths: ShotLengths
    cuts_per_minute: float | None
    scales: dict[str, float] = Field(description="Share of screen time per shot scale.")
    scale_sequence: list[str] = Field(description="Each shot's scale, '' when unknown.")
    analytical_runs: int = Field(description="Runs of three shots each closer than the last.")
    minutes: list[Minute]
    pace: list[float] = Field(
        description="Cuts per minute in each tenth of the running time (films of any "
        "length side by side)."
    )


class YearStats(BaseModel):
    year: int
    films: int
    average: float | None
    median: float | None
    cuts_per_minute: float | None
    close_ups: float | None = Field(
        description="Average share of screen time in close-up (CS, ECS), of films with scales."
    )


class CollectionStats(BaseModel):
    """Every film of a collection, all their shots pooled, and the trend over years."""

    collection: str
    films: list[FilmStats]
    lengths: ShotLengths
    by_year: list[YearStats]


class Comparison(BaseModel):
    """Two or more films side by side, each exactly as film_stats reads it alone."""

    films: list[FilmStats]


def film_stats(data_dir: Path, video: VideoRow) -> FilmStats:
    """One video's statistics from whichever layers it has."""
    folder = VideoFolder.for_video(data_dir, video.id)
    there = folder.path(Shots.file).exists()
    shots = read_corrected(data_dir, video.id, Shots).shots if there else []
    spans = [(shot.start_time, shot.end_time) for shot in shots]
    duration = float(video.duration or (spans[-1][1] if spans else 0.0))
    scales = shot_scales(artefacts.read_if_there(folder, ShotScale), spans)
    sequence = [scales.get(n, "") for n in range(len(spans))]
    lengths = [end - start for start, end in spans]
    return FilmStats(
        video_id=video.id,
        file=Path(video.path).name,
        title=video.metadata.get("title") or Path(video.path).name,
        year=video.year,
        duration=duration,
        shots=lengths,
        lengths=shot_lengths(lengths),
        cuts_per_minute=(len(spans) - 1) / (duration / MINUTE) if spans and duration else None,
        scales=_scale_shares(sequence, lengths),
        scale_sequence=sequence,
        analytical_runs=analytical_runs(sequence),
        minutes=_minutes(
            duration,
            spans,
            artefacts.read_if_there(folder, Faces),
            artefacts.read_if_there(folder, Frames),
            artefacts.read_if_there(folder, Transcript),
        ),
        pace=_pace(duration, spans),
    )


def shot_lengths(lengths: list[float]) -> ShotLengths:
    """Average, median, spread and a histogram of doubling bins."""
    histogram = [
        Bin(
            low=low,
            high=None if math.isinf(high) else high,
            count=sum(low <= x < high for x in lengths),
        )
        for low, high in itertools.pairwise(BINS)
    ]
    return ShotLengths(
        count=len(lengths),
        total=sum(lengths),
        average=statistics.fmean(lengths) if lengths else None,
        median=statistics.median(lengths) if lengths else None,
        shortest=min(lengths, default=None),
        longest=max(lengths, default=None),
        deviation=statistics.stdev(lengths) if len(lengths) > 1 else None,
        histogram=histogram,
    )


def analytical_runs(sequence: list[str]) -> int:
    """How often three shots in a row come each closer than the one before."""
    ranks = [CLOSENESS.get(scale) for scale in sequence]
    return sum(
        1
        for a, b, c in zip(ranks, ranks[1:], ranks[2:], strict=False)
        if a is not None and b is not None and c is not None and a < b < c
    )


def collection_stats(data_dir: Path, collection: str, videos: list[VideoRow]) -> CollectionStats:
    """Each film's statistics, the pooled shot lengths, and the averages by year."""
    films = [film_stats(data_dir, video) for video in videos]
    pooled = [length for film in films for length in film.shots]
    years: dict[int, list[FilmStats]] = {}
    for film in films:
        if film.year is not None and film.lengths.count:
            years.setdefault(film.year, []).append(film)
    by_year = [
        YearStats(
            year=year,
            films=len(group),
            average=statistics.fmean(f.lengths.average for f in group if f.lengths.average),
            median=statistics.median(f.lengths.median for f in group if f.lengths.median),
            cuts_per_minute=statistics.fmean(
                f.cuts_per_minute for f in group if f.cuts_per_minute is not None
            ),
            close_ups=_mean([close_up_share(f) for f in group if f.scales]),
        )
        for year, group in sorted(years.items())
    ]
    return CollectionStats(
        collection=collection, films=films, lengths=shot_lengths(pooled), by_year=by_year
    )


def compare_films(data_dir: Path, videos: list[VideoRow]) -> Comparison:
    """Films side by side: two different ones or more (one alone is film_stats), as
    many as a chart tells apart."""
    distinct = list({video.id: video for video in videos}.values())
    if len(distinct) < 2:
        raise DeerinError(
            "a comparison needs two different films or more",
            hint="give two videos or more, or one alone for its own statistics",
        )
    if len(distinct) > MOST_FILMS:
        raise DeerinError(
            f"compare at most {MOST_FILMS} films at once",
            hint="a collection's statistics take any number",
        )
    return Comparison(films=[film_stats(data_dir, video) for video in distinct])


def close_up_share(film: FilmStats) -> float:
    """The share of a film's screen time (of shots with a known scale) in close-up."""
    return sum(film.scales.get(scale, 0.0) for scale in CLOSE)


def time_share(film: FilmStats, what: Literal["faces", "speech"]) -> float | None:
    """The share of the whole film with a face (``faces``) or speech (``speech``): the
    minutes' shares weighted by their length; None where the layer is missing."""
    known = [
        (share, m.end - m.start) for m in film.minutes if (share := getattr(m, what)) is not None
    ]
    total = sum(weight for _, weight in known)
    return sum(share * weight for share, weight in known) / total if total else None


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _pace(duration: float, spans: list[tuple[float, float]]) -> list[float]:
    """Cuts per minute in each tenth of the running time."""
    if not spans or not duration:
        return []
    part = duration / PARTS
    starts = [start for start, _ in spans[1:]]
    counts = [0] * PARTS
    for start in starts:
        counts[min(PARTS - 1, max(0, int(start / part)))] += 1
    return [count / (part / MINUTE) for count in counts]


def _scale_shares(sequence: list[str], lengths: list[float]) -> dict[str, float]:
    """Each known scale's share of the screen time of the shots whose scale is known."""
    known = [(scale, length) for scale, length in zip(sequence, lengths, strict=True) if scale]
    total = sum(length for _, length in known)
    shares: dict[str, float] = {}
    for scale, length in known:
        shares[scale] = shares.get(scale, 0.0) + length / total
    return {scale: shares[scale] for scale in CLOSENESS if scale in shares}


def _minutes(
    duration: float,
    spans: list[tuple[float, float]],
    faces: Faces | None,
    frames: Frames | None,
    transcript: Transcript | None,
) -> list[Minute]:
    """Cuts, faces and speech minute by minute."""
    starts = [start for start, _ in spans[1:]]
    seen = {face.frame for face in faces.faces} if faces else set()
    speech = [(s.start, s.end) for s in transcript.segments] if transcript else []
    found = []
    for number in range(math.ceil(duration / MINUTE) if duration else 0):
        start, end = number * MINUTE, min(duration, (number + 1) * MINUTE)
        cuts = sum(start <= t < end for t in starts)
        sampled = [f for f in frames.frames if start <= f.time < end] if frames else []
        found.append(
            Minute(
                start=start,
                end=end,
                cuts=cuts,
                cuts_per_minute=cuts / ((end - start) / MINUTE) if end > start else 0.0,
                faces=sum(f.index in seen for f in sampled) / len(sampled) if sampled else None,
                speech=_covered(speech, start, end) if transcript else None,
            )
        )
    return found


def _covered(spans: list[tuple[float, float]], start: float, end: float) -> float:
    """The share of [start, end) that the (possibly overlapping) spans cover."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans if a < end and b > start)
    covered, reach = 0.0, start
    for a, b in clipped:
        if b > reach:
            covered += b - max(a, reach)
            reach = b
    return covered / (end - start) if end > start else 0.0
