"""Run the collection steps over a collection, after its per-video stages.

Each step (:mod:`deerin.plugins.step`) runs once, in the coordinating process; a step
whose inputs have not changed since its last run is skipped, and a step that fails is
reported, never raised, so the ingest keeps its results.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from deerin.errors import DeerinError, StoreError
from deerin.index.catalogue import Catalogue
from deerin.index.store import CollectionFolder, atomic_write_json, iso_time
from deerin.plugins.step import CollectionContext, CollectionStep
from deerin.settings import Settings


@dataclass(frozen=True)
class StepResult:
    """How one collection step ended: done, cached, partial or failed, and why."""

    step: str
    status: str
    detail: str
    seconds: float = 0.0


def collection_context(
    collection: str,
    settings: Settings,
    catalogue: Catalogue,
    say: Callable[[str], None] | None = None,
) -> CollectionContext:
    """A collection's videos and folder, as its steps see them."""
    folder = CollectionFolder.for_collection(settings.data_dir, collection)
    ctx = CollectionContext(collection, settings, catalogue.videos(collection), folder.root)
    if say is not None:
        ctx.say = say
    return ctx


def run_collection_steps(
    collection: str,
    settings: Settings,
    catalogue: Catalogue,
    steps: list[CollectionStep],
    redo: frozenset[str] = frozenset(),
    say: Callable[[str], None] | None = None,
) -> list[StepResult]:
    """Run each step over the collection; a failing step is reported, never raised."""
    ctx = collection_context(collection, settings, catalogue, say)
    return [_run_step(step, ctx, redo) for step in steps]


def _run_step(step: CollectionStep, ctx: CollectionContext, redo: frozenset[str]) -> StepResult:
    fingerprint = step.fingerprint(ctx)
    previous = CollectionFolder(ctx.folder).step_manifest(step.name)
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
    return StepResult(step.name, status, output.described(), time.time() - started)
