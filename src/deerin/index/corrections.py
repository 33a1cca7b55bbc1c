"""Corrections people make on the video page, kept apart and applied over every rerun.

The machine's artefacts (``videos/…``) are rewritten by any ``--redo``; what a person
corrected must not be. So corrections live in ``corrections/<video_id>.json``, which no
stage writes, and every consumer (search index, exports, the web app, IIIF) reads
:func:`read_corrected` instead of the plain artefact: the transcript and the shot list
as people corrected them.

A correction names its target by time and old text (a word at 12.34 s that read "teh"),
never by list position, so it finds its target again after a rerun renumbers segments
or shots. Corrections are replayed in the order they were made, each over the result of
the ones before (as the person saw it when making it). One whose target is gone (a rerun
changed the word, moved the cut) is kept and reported as not applied, never an error;
a ``revert`` undoes an earlier one, and history is kept for ever.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.artefacts import Artefact, ArtefactError
from deerin.index.schemas import Correction, Corrections, Segment, Shot, Shots, Transcript, Word
from deerin.index.store import VideoFolder, iso_time, writer_lock

A = TypeVar("A", bound=Artefact)

FOLDER = "corrections"
TIME_TOLERANCE = 0.005  # seconds: transcript times as a page shows them (rounded to ms)
KINDS: dict[str, tuple[str, ...]] = {  # each kind and the fields it needs
    "word": ("segment_start", "word_start", "old", "new"),
    "line": ("segment_start", "old", "new"),
    "merge_shots": ("at",),
    "split_shot": ("at",),
    "revert": ("target",),
}
SCHEMA_OF: dict[str, type[Artefact]] = {
    "word": Transcript,
    "line": Transcript,
    "merge_shots": Shots,
    "split_shot": Shots,
}


class CorrectionStatus(Correction):
    """A correction and whether it applies to the video's artefacts as they are now."""

    applied: bool
    reason: str | None = None  # why not, when it does not apply


class _Missed(Exception):
    """A correction's target is not in the artefact (anymore): it does not apply."""


def corrections_path(data_dir: Path, video_id: str) -> Path:
    """Where a video's corrections live: apart from ``videos/``, which reruns rewrite."""
    return data_dir / FOLDER / f"{video_id}.json"


def read_corrections(data_dir: Path, video_id: str) -> list[Correction]:
    """The video's corrections, oldest first (none before the first one is made)."""
    path = corrections_path(data_dir, video_id)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise _damaged(path, str(exc)) from exc
    try:
        return artefacts.parse(document, Corrections, path).corrections
    except ArtefactError as exc:
        raise _damaged(path, exc.problem) from exc


def _damaged(path: Path, problem: str) -> ArtefactError:
    # An ArtefactError, so that the index skips (and names) the video rather than stopping.
    return ArtefactError(
        f"the corrections cannot be read ({problem})",
        path=path,
        hint="fix the JSON by hand, or move the file away to start the corrections afresh",
    )


def corrections_digest(data_dir: Path, video_id: str) -> str:
    """A short hash of the video's corrections ('' when none): part of what its search
    rows were built from, so a correction re-indexes the video."""
    try:
        data = corrections_path(data_dir, video_id).read_bytes()
    except FileNotFoundError:
        return ""
    return hashlib.sha256(data).hexdigest()[:16]


def add_correction(data_dir: Path, video_id: str, correction: dict[str, Any]) -> Correction:
    """Check one correction against the artefact as corrected so far and append it.

    ``correction`` holds ``kind``, ``by`` and the kind's fields; ``id`` and ``made`` are
    stamped here. Raises :class:`DeerinError` saying what is wrong: an unknown kind, a
    missing field, empty text, or a target (word, segment, cut, shot, correction) that
    is not there.
    """
    path = corrections_path(data_dir, video_id)
    with writer_lock(data_dir / FOLDER / ".lock"):
        existing = read_corrections(data_dir, video_id)
        entry = _stamped(correction, existing, path)
        _check(data_dir, video_id, entry, existing)
        document = {"video_id": video_id, "corrections": [*existing, entry]}
        artefacts.write(path, Corrections.model_validate(document), Corrections)
    return entry


def list_corrections(data_dir: Path, video_id: str) -> list[CorrectionStatus]:
    """Every correction made to the video, oldest first, with whether it applies now."""
    corrections = read_corrections(data_dir, video_id)
    reverted = _reverted(corrections)
    outcome: dict[str, str | None] = {}
    for schema in (Transcript, Shots):
        chosen = [c for c in corrections if SCHEMA_OF.get(c.kind) is schema]
        if not chosen:
            continue
        folder = VideoFolder.for_video(data_dir, video_id)
        if not folder.path(schema.file).exists():
            outcome |= {c.id: f"the video has no {schema.file} now" for c in chosen}
            continue
        _replay(artefacts.read(folder, schema), chosen, reverted, outcome)
    statuses = []
    for correction in corrections:
        reason = outcome.get(correction.id)
        if correction.id in reverted:
            reason = f"reverted by {reverted[correction.id]}"
        statuses.append(
            CorrectionStatus(**correction.model_dump(), applied=reason is None, reason=reason)
        )
    return statuses


def read_corrected(data_dir: Path, video_id: str, schema: type[A]) -> A:
    """The artefact ``schema`` of the video as people corrected it.

    The transcript and the shot list have the corrections applied (shots renumbered);
    every other artefact is returned as :func:`deerin.index.artefacts.read` reads it.
    """
    document = artefacts.read(VideoFolder.for_video(data_dir, video_id), schema)
    if schema not in SCHEMA_OF.values():
        return document
    corrections = read_corrections(data_dir, video_id)
    chosen = [c for c in corrections if SCHEMA_OF.get(c.kind) is schema]
    if not chosen:
        return document
    return _replay(document, chosen, _reverted(corrections), {})


# -- replaying ----------------------------------------------------------------------


def _reverted(corrections: list[Correction]) -> dict[str, str]:
    """Each undone correction's id and the revert that undid it.

    Newest first, so that reverting a revert makes its target apply again.
    """
    undone: dict[str, str] = {}
    for correction in reversed(corrections):
        if correction.kind == "revert" and correction.id not in undone and correction.target:
            undone[correction.target] = correction.id
    return undone


def _replay(
    document: A,
    corrections: list[Correction],
    reverted: dict[str, str],
    outcome: dict[str, str | None],
) -> A:
    """``document`` with the corrections that are not reverted applied in order;
    ``outcome`` gets each one's reason for not applying (None when it did)."""
    corrected = document.model_copy(deep=True)
    for correction in corrections:
        if correction.id in reverted:
            continue
        try:
            APPLY[correction.kind](corrected, correction)
            outcome[correction.id] = None
        except _Missed as exc:
            outcome[correction.id] = str(exc)
    return corrected


def _segment(transcript: Transcript, start: float) -> Segment:
    for segment in transcript.segments:
        if abs(segment.start - start) <= TIME_TOLERANCE:
            return segment
    raise _Missed(f"has no segment starting at {start:.3f} s")


def _apply_word(transcript: Transcript, correction: Correction) -> None:
    segment = _segment(transcript, _given(correction.segment_start))
    old, at = _given(correction.old).strip(), _given(correction.word_start)
    for word in segment.words:
        if abs(word.start - at) <= TIME_TOLERANCE and word.word.strip() == old:
            word.word = _given(correction.new).strip()
            word.probability = 1.0  # a person heard it
            segment.text = " ".join(w.word for w in segment.words)
            return
    raise _Missed(f"has no word {old!r} at {at:.3f} s in the segment at {segment.start:.3f} s")


def _apply_line(transcript: Transcript, correction: Correction) -> None:
    segment = _segment(transcript, _given(correction.segment_start))
    if _spaced(segment.text) != _spaced(_given(correction.old)):
        raise _Missed(
            f"the segment at {segment.start:.3f} s reads {segment.text.strip()!r}, "
            f"not {_given(correction.old).strip()!r}"
        )
    new = _spaced(_given(correction.new))
    segment.text = new
    if segment.words:
        segment.words = _retimed(segment, new.split())


def _retimed(segment: Segment, tokens: list[str]) -> list[Word]:
    """The new words: each old word's timing where the count is the same, else spread
    evenly over the segment (a guess, but one that keeps search hits near the words)."""
    if len(tokens) == len(segment.words):
        return [
            word.model_copy(update={"word": token, "probability": 1.0})
            for word, token in zip(segment.words, tokens, strict=True)
        ]
    step = (segment.end - segment.start) / len(tokens)
    return [
        Word(
            start=round(segment.start + n * step, 3),
            end=round(segment.start + (n + 1) * step, 3),
            word=token,
            probability=1.0,
        )
        for n, token in enumerate(tokens)
    ]


def _cut_at(shots: Shots, at: float) -> int | None:
    """The position of the shot whose start (a cut, or the video's start) is at ``at``."""
    tolerance = max(0.5 / shots.fps, 1e-3) if shots.fps else 1e-3
    for position, shot in enumerate(shots.shots):
        if abs(shot.start_time - at) <= tolerance:
            return position
    return None


def _apply_merge(shots: Shots, correction: Correction) -> None:
    at = _given(correction.at)
    position = _cut_at(shots, at)
    if not position:  # None, or 0: the start of the video is no cut
        raise _Missed(f"has no cut at {at:.3f} s")
    first, second = shots.shots[position - 1], shots.shots[position]
    merged = first.model_copy(
        update={
            "end_frame": second.end_frame,
            "end_time": second.end_time,
            "last_frame_time": second.last_frame_time,
        }
    )
    shots.shots[position - 1 : position + 1] = [merged]
    _renumber(shots)


def _apply_split(shots: Shots, correction: Correction) -> None:
    at = _given(correction.at)
    if _cut_at(shots, at) is not None:
        raise _Missed(f"a shot already starts at {at:.3f} s")
    position = next((n for n, s in enumerate(shots.shots) if s.start_time < at < s.end_time), None)
    if position is None or not shots.fps:
        end = shots.shots[-1].end_time if shots.shots else 0.0
        raise _Missed(f"{at:.3f} s is outside the shots (0 to {end:.3f} s)")
    shot = shots.shots[position]
    frame = shot.start_frame + math.ceil(round((at - shot.start_time) * shots.fps, 6))
    if frame >= shot.end_frame:
        raise _Missed(f"{at:.3f} s is after the last frame of shot {shot.index}")
    shots.shots[position : position + 1] = _split(shot, frame, shots.fps)
    _renumber(shots)


def _split(shot: Shot, frame: int, fps: float) -> list[Shot]:
    """A shot cut in two at ``frame``: the second part starts with a cut."""

    def time_of(number: int) -> float:
        return round(shot.start_time + (number - shot.start_frame) / fps, 6)

    ends = {"end_frame": frame, "end_time": time_of(frame), "last_frame_time": time_of(frame - 1)}
    first = shot.model_copy(update=ends)
    cut = {"kind": "cut", "start_frame": frame, "end_frame": frame}
    second = Shot.model_validate(
        {
            **shot.model_dump(),
            "start_frame": frame,
            "start_time": time_of(frame),
            "transition_in": cut,
        }
    )
    return [first, second]


def _renumber(shots: Shots) -> None:
    for number, shot in enumerate(shots.shots):
        shot.index = number


APPLY: dict[str, Callable[[Any, Correction], None]] = {
    "word": _apply_word,
    "line": _apply_line,
    "merge_shots": _apply_merge,
    "split_shot": _apply_split,
}


# -- adding -------------------------------------------------------------------------


def _stamped(correction: dict[str, Any], existing: list[Correction], path: Path) -> Correction:
    """The new correction with its id and time, its fields checked for its kind."""
    kind = correction.get("kind")
    if kind not in KINDS:
        raise DeerinError(
            f"unknown correction kind {kind!r}",
            path=path,
            hint=f"choose one of: {', '.join(KINDS)}",
        )
    missing = [name for name in ("by", *KINDS[kind]) if correction.get(name) in (None, "")]
    if missing:
        raise DeerinError(
            f"a {kind} correction needs {', '.join(missing)}",
            path=path,
            hint="say who makes it (by) and what it changes",
        )
    fields = {k: v for k, v in correction.items() if k not in ("id", "made")}
    try:
        return Correction.model_validate(
            {**fields, "id": f"c{len(existing) + 1:04d}", "made": iso_time(time.time())}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise DeerinError(
            f"the {kind} correction is not valid ({where}: {error['msg']})", path=path
        ) from None


def _check(data_dir: Path, video_id: str, entry: Correction, existing: list[Correction]) -> None:
    """Refuse a correction that would not apply to the artefact as corrected so far."""
    if entry.kind == "revert":
        _check_revert(entry, existing, corrections_path(data_dir, video_id))
        return
    if entry.new is not None and not entry.new.strip():
        raise DeerinError(
            f"the {entry.kind} correction has empty new text",
            path=corrections_path(data_dir, video_id),
            hint="give the text as it should read (revert the correction to undo it)",
        )
    if entry.old is not None and _spaced(entry.old) == _spaced(entry.new or ""):
        raise DeerinError(
            f"the {entry.kind} correction changes nothing (old and new text are the same)",
            path=corrections_path(data_dir, video_id),
        )
    schema = SCHEMA_OF[entry.kind]
    folder = VideoFolder.for_video(data_dir, video_id)
    corrected = read_corrected(data_dir, video_id, schema)
    try:
        APPLY[entry.kind](corrected, entry)
    except _Missed as exc:
        raise DeerinError(
            str(exc),
            path=folder.path(schema.file),
            hint=f"reload the video's page: its {schema.file} may have changed",
        ) from None


def _check_revert(entry: Correction, existing: list[Correction], path: Path) -> None:
    ids = {c.id for c in existing}
    if entry.target not in ids:
        raise DeerinError(
            f"there is no correction {entry.target!r} to revert",
            path=path,
            hint=f"name one of: {', '.join(sorted(ids)) or 'none made yet'}",
        )
    reverted = _reverted(existing)
    if entry.target in reverted:
        raise DeerinError(
            f"correction {entry.target} is already reverted (by {reverted[entry.target]})",
            path=path,
        )


def _given(value: Any) -> Any:
    """A field the kind requires (checked when it was added; a hand-edited file may lack it)."""
    if value is None:
        raise _Missed("lacks a field its kind needs")
    return value


def _spaced(text: str) -> str:
    return " ".join(text.split())
