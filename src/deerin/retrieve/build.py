"""Build and update a collection's search index from its artefacts (a collection step).

Ingest runs :class:`SearchIndexStep` after the per-video stages and the people step, so
the index follows the collection by itself; `deerin index [--rebuild]` runs the same
code on demand. The update is incremental: each video's rows record a stamp of the
artefacts they were built from (:func:`deerin.retrieve.units.stamp`), and only videos
whose stamp moved, new videos and removed ones are touched. A change that affects every
row (another text or image model, people merged or split, a newer index format) makes
a full rebuild, said so in the step's summary.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.artefacts import ArtefactError
from deerin.index.catalogue import VideoRow
from deerin.index.corrections import corrections_digest
from deerin.index.schemas import People
from deerin.index.search_index import LABELS, STATE, SearchIndex
from deerin.models.backends import open_model
from deerin.models.resolver import resolve
from deerin.models.weights import ModelError
from deerin.plugins.stage import ItemErrors, StageOutput
from deerin.plugins.step import CollectionContext, CollectionStep
from deerin.retrieve.units import SPECS, Sources, VideoUnits, arrow_table, stamp, video_units
from deerin.settings import Settings

FORMAT = "2"  # the index's own format: a change rebuilds every index
BATCH = 200  # videos whose rows are written together

Progress = Callable[[int, int], None]  # videos done, videos to do


@dataclass
class IndexReport:
    """What an update did."""

    videos: int = 0  # videos (re)indexed
    removed: int = 0
    unchanged: int = 0
    rebuilt: str = ""  # why every row was rebuilt, if it was
    rows: dict[str, int] = field(default_factory=dict)
    indexes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "videos": self.videos,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "rebuilt": self.rebuilt or None,
            "rows": self.rows,
            "indexes_built": self.indexes,
        }


class SearchIndexStep(CollectionStep):
    """Keep the collection's search index in step with its artefacts."""

    name = "search_index"
    version = FORMAT
    requires = ("probe",)
    optional = (
        "shots",
        "keyframes",
        "frames",
        "tags",
        "faces",
        "shot_scale",
        "text",
        "subtitles",
        "captions",
        "transcript",
        "entities",
        "text_embeddings",
        "summary",
    )

    def params(self) -> dict[str, Any]:
        return {
            "text_embeddings": self.settings.models.text_embeddings,
            "tags": self.settings.models.tags,
            "index_uri": self.settings.search.index_uri,
        }

    def fingerprint(self, ctx: CollectionContext) -> str:
        """Also moves with the people, the catalogue records, the corrections people made
        and the index's own state."""
        data_dir = ctx.settings.data_dir
        basis = {
            "artefacts": super().fingerprint(ctx),
            "people": people_digest(persons_of(ctx)),
            "records": [[v.id, v.metadata, corrections_digest(data_dir, v.id)] for v in ctx.videos],
            "state": _state_digest(ctx),
        }
        return _digest(basis)

    def run(self, ctx: CollectionContext) -> StageOutput:
        errors = ItemErrors()
        report = update_index(ctx, errors=errors)
        return StageOutput(
            method={"name": "LanceDB", "format": FORMAT, "uri": _index(ctx).uri},
            summary=report.summary(),
            problem=errors.problem(len(ctx.videos), "videos"),
        )


def _index(ctx: CollectionContext) -> SearchIndex:
    return SearchIndex.open(ctx.settings, ctx.collection, create=True)


def _state_digest(ctx: CollectionContext) -> str:
    """The index's own record of what it holds (a deleted index is rebuilt)."""
    try:
        index = SearchIndex.open(ctx.settings, ctx.collection)
    except DeerinError:
        return ""
    rows = index.rows(STATE, None, columns=["video_id", "stamp"])
    return _digest(sorted(f"{r['video_id']}={r['stamp']}" for r in rows))


def persons_of(folder: Any) -> dict[tuple[str, str], str]:
    """Each face's person, from the collection folder's people (empty before they exist)."""
    if not folder.path(People.file).exists():
        return {}
    people = artefacts.read(folder, People)
    return {face.key: person.id for person in people.people for face in person.faces}


def people_digest(persons: dict[tuple[str, str], str]) -> str:
    """Who is who, as a short hash: names are read live, so renaming changes nothing."""
    return _digest(sorted(f"{v}/{f}={p}" for (v, f), p in persons.items()))


def people_by_video(persons: dict[tuple[str, str], str]) -> dict[str, str]:
    """Each video's faces and their people, as a short hash (part of its stamp: a merge
    or split re-indexes only the videos it touches)."""
    gathered: dict[str, list[str]] = {}
    for (video, face), person in persons.items():
        gathered.setdefault(video, []).append(f"{face}={person}")
    return {video: _digest(sorted(faces)) for video, faces in gathered.items()}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def update_index(
    ctx: CollectionContext,
    rebuild: bool = False,
    errors: ItemErrors | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the collection's index up to date with its artefacts (all of it on ``rebuild``)."""
    errors = errors or ItemErrors()
    report = IndexReport()
    index = _index(ctx)
    text_model = _Lazy(lambda: open_model("text_embeddings", ctx.settings))
    specials = {
        "~format": FORMAT,
        "~text_model": resolve("text_embeddings", ctx.settings).name,
        "~tags_model": ctx.settings.models.tags,
    }
    held = {r["video_id"]: r["stamp"] for r in index.rows(STATE, None)}
    changed = [key for key, value in specials.items() if held.get(key) != value]
    if rebuild or changed:
        report.rebuilt = "asked for" if rebuild else _why(changed, held)
        index.drop_all()
        held = {}
    persons = persons_of(ctx)
    current = current_stamps(ctx.settings.data_dir, ctx.videos, persons)
    todo = [v for v in ctx.videos if held.get(v.id) != current[v.id]]
    gone = [vid for vid in held if not vid.startswith("~") and vid not in current]
    report.unchanged = len(ctx.videos) - len(todo)
    sources = Sources(ctx.settings.data_dir, persons, specials["~text_model"])
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        done = _index_batch(index, batch, sources, text_model, errors)
        _write_state(index, done, {vid: current[vid] for vid in done})
        report.videos += len(done)
        if progress:
            progress(min(start + BATCH, len(todo)), len(todo))
    if gone:
        for table in (*SPECS, STATE):
            index.replace_rows(table, gone, None)
        report.removed = len(gone)
    _write_state(index, list(specials), specials)
    if LABELS not in index.names():
        _write_labels(index, ctx.settings, text_model, errors)
    for spec in SPECS.values():
        report.indexes += index.build_indexes(spec, ctx.settings.search.ann_threshold)
    report.rows = {name: _count(index, name) for name in SPECS}
    return report


def current_stamps(
    data_dir: Path, videos: list[VideoRow], persons: dict[tuple[str, str], str]
) -> dict[str, str]:
    """Each video's stamp now (what the index's ``state`` table holds when up to date)."""
    people = people_by_video(persons)
    return {video.id: stamp(data_dir, video, people.get(video.id, "")) for video in videos}


class _Lazy:
    """The text model, loaded on first use: an update with nothing to do loads nothing."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load = load

    @cached_property
    def model(self) -> Any:
        return self._load()

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model.embed(texts)


def _why(changed: list[str], held: dict[str, str]) -> str:
    if "~format" not in held:  # never finished being built
        return "new index"
    reasons = {
        "~format": "a newer index format",
        "~text_model": "another text embeddings model",
        "~tags_model": "another image model",
    }
    return ", ".join(reasons[key] for key in changed)


def _count(index: SearchIndex, name: str) -> int:
    table = index.table(name)
    return table.count_rows() if table is not None else 0


def _index_batch(
    index: SearchIndex,
    batch: list[VideoRow],
    sources: Sources,
    text_model: Any,
    errors: ItemErrors,
) -> list[str]:
    """Index a batch of videos; a video whose artefacts cannot be read is skipped, said."""
    built: list[VideoUnits] = []
    done: list[str] = []
    for video in batch:
        try:
            built.append(video_units(video, sources))
            done.append(video.id)
        except ArtefactError as exc:
            errors.record(f"{exc.message}", video_id=video.id)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SPECS}
    for units in built:
        _embed_missing(units, text_model)
        for name, table_rows in units.rows.items():
            rows[name] += table_rows
    for name, table_rows in rows.items():
        table_rows, dims = _one_size(index, name, table_rows, errors)
        table = arrow_table(name, table_rows, dims) if table_rows else None
        index.replace_rows(name, [v.id for v in batch], table)
    return done


def _one_size(
    index: SearchIndex, name: str, rows: list[dict[str, Any]], errors: ItemErrors
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows whose vectors fit the table (vectors of one table have one length).

    A video whose shots were embedded by another image model than the rest (its tags
    stage not rerun after ``models.tags`` changed) loses its picture rows, said.
    """
    if not rows or rows[0].get("vector") is None:
        return rows, {}
    size = index.vector_size(name) or len(rows[0]["vector"])
    wrong = {row["video_id"] for row in rows if len(row["vector"]) != size}
    for video in sorted(wrong):
        errors.record(
            f"its {name} vectors come from another model than the index's (length "
            f"{size}): run `deerin ingest` on it with --redo tags (or text_embeddings)",
            video_id=video,
        )
    return [row for row in rows if row["video_id"] not in wrong], {name: size}


def _embed_missing(units: VideoUnits, text_model: Any) -> None:
    """Embed the passages the text embeddings stage did not (summaries, records, …)."""
    passages = units.rows.get("passages", [])
    if not units.to_embed:
        return
    vectors = text_model.embed([passages[i]["text"] for i in units.to_embed])
    for row, vector in zip(units.to_embed, vectors, strict=True):
        passages[row]["vector"] = vector


def _write_state(index: SearchIndex, keys: list[str], stamps: dict[str, str]) -> None:
    table = pa.table({"video_id": pa.array(keys, pa.string()), "stamp": [stamps[k] for k in keys]})
    index.replace_rows(STATE, keys, table)


@cache
def _label_texts(text_model: Any, labels: tuple[str, ...]) -> np.ndarray:
    """The labels' text vectors, once per process and model (every index needs them)."""
    return text_model.embed(list(labels))


def _write_labels(
    index: SearchIndex, settings: Settings, text_model: _Lazy, errors: ItemErrors
) -> None:
    """The ImageNet labels in both spaces: text search reaches pictures through them."""
    try:
        tags = open_model("tags", settings)
    except ModelError as exc:
        errors.record(f"no text-to-picture bridge: {exc.message}")
        return
    images = np.asarray(tags.label_embeddings(), dtype=np.float32)
    texts = _label_texts(text_model.model, tuple(tags.labels))
    table = pa.table(
        {
            "label": pa.array(tags.labels, pa.string()),
            "text_vector": pa.FixedSizeListArray.from_arrays(
                pa.array(texts.reshape(-1)), texts.shape[1]
            ),
            "image_vector": pa.FixedSizeListArray.from_arrays(
                pa.array(images.reshape(-1)), images.shape[1]
            ),
            "model": pa.array([tags.name] * len(tags.labels), pa.string()),
        }
    )
    index.put_table(LABELS, table)
