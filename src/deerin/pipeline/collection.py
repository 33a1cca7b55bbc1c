"""Collection steps: work that needs every video of a collection at once.

People (faces clustered across films) and near-duplicates (copies among reels) cannot
be decided one video at a time. After the per-video stages finish, ingest runs each
step once over the collection in the coordinating process. A step's results and its
provenance manifest live under ``<data_dir>/collections/<name>/``; a step whose inputs
have not changed since its last run is skipped.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from deerin.errors import DeerinError, StoreError
from deerin.index.artefacts import VideoFolder, atomic_write_json, iso_time, read_json
from deerin.index.catalogue import Catalogue, VideoRow
from deerin.pipeline.stage import StageOutput
from deerin.settings import Settings


def collection_folder(settings: Settings, collection: str) -> Path:
    """Where a collection's own results (people, duplicates) are kept."""
    return settings.data_dir / "collections" / collection


@dataclass
class CollectionContext:
    """What a collection step may read and where it writes."""

    collection: str
    settings: Settings
    videos: list[VideoRow]
    folder: Path

    def video_folder(self, video_id: str) -> VideoFolder:
        return VideoFolder.for_video(self.settings.data_dir, video_id)

    def finished(self, stage: str) -> list[VideoRow]:
        """The member videos whose ``stage`` output is published."""
        return [v for v in self.videos if self.video_folder(v.id).read_manifest(stage)]


class CollectionStep(ABC):
    """One kind of collection-wide work. Subclasses set the attributes and ``run``."""

    name: ClassVar[str]
    version: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()  # per-video stages whose outputs it reads
    optional: ClassVar[tuple[str, ...]] = ()  # read where they ran; skipping them is no block

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def params(self) -> dict[str, Any]:
        """The settings that change this step's output."""
        return {}

    def fingerprint(self, ctx: CollectionContext) -> str:
        """Version, parameters and the fingerprints of every upstream output it reads."""
        upstream = {
            f"{video.id}/{stage}": (ctx.video_folder(video.id).read_manifest(stage) or {}).get(
                "fingerprint", ""
            )
            for video in ctx.videos
            for stage in self.requires + self.optional
        }
        basis = {"version": self.version, "params": self.params(), "upstream": upstream}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]

    @abstractmethod
    def run(self, ctx: CollectionContext) -> StageOutput:
        """Do the work, writing results under ``ctx.folder`` atomically."""


@dataclass(frozen=True)
class StepResult:
    """How one collection step ended: done, cached, partial or failed, and why."""

    step: str
    status: str
    detail: str
    seconds: float = 0.0


def run_collection_steps(
    collection: str,
    settings: Settings,
    catalogue: Catalogue,
    steps: list[CollectionStep],
    redo: frozenset[str] = frozenset(),
) -> list[StepResult]:
    """Run each step over the collection; a failing step is reported, never raised."""
    ctx = CollectionContext(
        collection,
        settings,
        catalogue.videos(collection),
        collection_folder(settings, collection),
    )
    return [_run_step(step, ctx, redo) for step in steps]


def step_manifest(settings: Settings, collection: str, step: str) -> dict[str, Any] | None:
    """The provenance a step last wrote for a collection, if any."""
    path = collection_folder(settings, collection) / "steps" / f"{step}.json"
    return read_json(path) if path.exists() else None


def _run_step(step: CollectionStep, ctx: CollectionContext, redo: frozenset[str]) -> StepResult:
    fingerprint = step.fingerprint(ctx)
    previous = step_manifest(ctx.settings, ctx.collection, step.name)
    forced = step.name in redo or "all" in redo
    if not forced and previous and previous.get("fingerprint") == fingerprint:
        return StepResult(step.name, "cached", previous.get("problem") or "")
    started = time.time()
    try:
        ctx.folder.mkdir(parents=True, exist_ok=True)
        output = step.run(ctx)
    except StoreError:
        raise
    except DeerinError as exc:
        return StepResult(step.name, "failed", exc.message, time.time() - started)
    except Exception as exc:  # a bug in one step must not lose the ingest's results
        detail = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        return StepResult(step.name, "failed", detail, time.time() - started)
    atomic_write_json(
        ctx.folder / "steps" / f"{step.name}.json",
        {
            "step": step.name,
            "step_version": step.version,
            "fingerprint": fingerprint,
            "method": output.method,
            "params": step.params(),
            "collection": ctx.collection,
            "videos": [v.id for v in ctx.videos],
            "started": iso_time(started),
            "finished": iso_time(time.time()),
            "summary": output.summary,
            "problem": output.problem,
        },
    )
    status = "partial" if output.problem else "done"
    detail = output.problem or ", ".join(f"{k} {v}" for k, v in output.summary.items())
    return StepResult(step.name, status, detail, time.time() - started)
