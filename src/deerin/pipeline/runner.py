"""Apply the stages to one video: skip what is done, run the rest, publish atomically.

This is the "mapper" of the pipeline. It runs inside whatever worker an executor
provides (a local process or a Ray task) and talks back only through ``emit``, so
the coordinating process stays the single writer of the catalogue.
"""

from __future__ import annotations

import fcntl
import platform
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from deerin import __version__
from deerin.errors import DeerinError, NotMediaError, StoreError
from deerin.index import artefacts
from deerin.index.artefacts import ArtefactError
from deerin.index.schemas import Probe
from deerin.index.store import (
    VideoFolder,
    iso_time,
    publish,
    remove_stale_temporaries,
    staging_dir,
    store_error,
)
from deerin.pipeline.graph import stage_graph
from deerin.plugins.stage import PROBE, Stage, StageContext, StageOutput
from deerin.settings import Settings

REPORT_EVERY = 0.5  # seconds of wall-clock time between a stage's progress events

# Final states a stage can reach in one run.
DONE, PARTIAL, SKIPPED, FAILED, BLOCKED, CACHED = (
    "done",
    "partial",
    "skipped",
    "failed",
    "blocked",
    "cached",
)


@dataclass(frozen=True)
class VideoJob:
    """One video to process, as sent to a worker (picklable, executor-agnostic)."""

    video_id: str
    source: str
    settings: Settings
    stages: tuple[str, ...]
    redo: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StageEvent:
    """A message from a worker: a stage started, progressed or ended."""

    video_id: str
    stage: str
    status: str
    detail: str = ""
    fraction: float = 0.0
    seconds: float | None = None


@dataclass
class VideoResult:
    """How every stage of one video ended."""

    video_id: str
    outcomes: dict[str, StageEvent] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(e.status in (DONE, CACHED, SKIPPED, PARTIAL) for e in self.outcomes.values())


Emit = Callable[[StageEvent], None]


def process_video(job: VideoJob, emit: Emit) -> VideoResult:
    """Run the job's stages in order on one video; never raises for a bad video."""
    folder = VideoFolder.for_video(job.settings.data_dir, job.video_id)
    result = VideoResult(job.video_id)
    with _video_lock(folder.root):
        remove_stale_temporaries(folder.root)
        fingerprints: dict[str, str] = {}
        redo = _with_dependents(job.redo, job.stages)
        for stage in _stages(job.settings, job.stages):
            event = _run_one(stage, job, folder, fingerprints, redo, result, emit)
            result.outcomes[stage.name] = event
            emit(event)
    return result


def _run_one(
    stage: Stage,
    job: VideoJob,
    folder: VideoFolder,
    fingerprints: dict[str, str],
    redo: frozenset[str],
    result: VideoResult,
    emit: Emit,
) -> StageEvent:
    def event(status: str, detail: str = "", seconds: float | None = None) -> StageEvent:
        return StageEvent(job.video_id, stage.name, status, detail, seconds=seconds)

    needed = [result.outcomes.get(name) for name in stage.requires]
    if any(e is not None and e.status == SKIPPED for e in needed):
        return event(SKIPPED, "not needed for this file")  # a sound recording has no shots
    missing = [
        name
        for name, e in zip(stage.requires, needed, strict=True)
        if e is None or e.status not in (DONE, CACHED, PARTIAL)
    ]
    if missing:
        return event(BLOCKED, f"needs {', '.join(missing)}")
    fingerprint = stage.fingerprint(fingerprints, stage.inputs(Path(job.source)))
    manifest = folder.read_manifest(stage.name)
    if (
        stage.name not in redo
        and manifest is not None
        and manifest.get("fingerprint") == fingerprint
        and all(folder.path(name).exists() for name in stage.produces)
    ):
        fingerprints[stage.name] = fingerprint
        return event(CACHED, manifest.get("problem") or "")
    if stage.name != PROBE:
        try:
            needed = stage.wanted(artefacts.read(folder, Probe).media, Path(job.source))
        except ArtefactError as exc:  # a damaged probe.json fails this file, not the ingest
            return event(FAILED, exc.message)
        if not needed:
            fingerprints[stage.name] = fingerprint
            return event(SKIPPED, "not needed for this file")
    emit(event("running"))
    started = time.time()
    try:
        output = _execute(stage, job, folder, fingerprint, started, emit)
    except NotMediaError as exc:
        return event(SKIPPED, exc.message, time.time() - started)
    except StoreError:
        raise  # the store itself is unusable: stop this worker, the runner reports it
    except DeerinError as exc:
        return event(FAILED, exc.message, time.time() - started)
    except Exception as exc:  # a bug or a decoder crash must not stop the collection
        detail = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        return event(FAILED, detail, time.time() - started)
    fingerprints[stage.name] = fingerprint
    status = PARTIAL if output.problem else DONE
    return event(status, output.described(), time.time() - started)


def _execute(
    stage: Stage, job: VideoJob, folder: VideoFolder, fingerprint: str, started: float, emit: Emit
) -> StageOutput:
    """Run the stage in a staging folder, publish its files, then write its manifest."""
    with staging_dir(folder.root, stage.name) as staging:
        last = time.monotonic()

        def report(fraction: float) -> None:
            """Pass progress on at most every REPORT_EVERY s: stages may report per frame."""
            nonlocal last
            now = time.monotonic()
            if now - last >= REPORT_EVERY or fraction >= 1.0:
                last = now
                emit(StageEvent(job.video_id, stage.name, "progress", fraction=min(1.0, fraction)))

        ctx = StageContext(
            job.video_id,
            Path(job.source),
            folder,
            staging,
            job.settings,
            report,
            frozenset(stage.requires + stage.optional),
        )
        output = stage.run(ctx)
        for name in stage.produces:
            staged = staging / name
            if not staged.exists():
                raise DeerinError(f"stage {stage.name} did not write {name}", path=job.source)
            publish(staged, folder.path(name))
    folder.write_manifest(stage.name, _manifest(stage, job, fingerprint, output, started))
    return output


def _manifest(
    stage: Stage, job: VideoJob, fingerprint: str, output: StageOutput, started: float
) -> dict:
    """Provenance written beside every output: what made it, how, when, from what."""
    return {
        "stage": stage.name,
        "stage_version": stage.version,
        "fingerprint": fingerprint,
        "method": output.method,
        "params": stage.params(),
        "outputs": list(stage.produces),
        "source": {"video_id": job.video_id, "path": job.source},
        "started": iso_time(started),
        "finished": iso_time(time.time()),
        "software": _software(),
        "summary": output.summary,
        "problem": output.problem,
    }


@cache
def _software() -> dict[str, str]:
    import av

    return {
        "deerin": __version__,
        "python": platform.python_version(),
        "pyav": av.__version__,
        "ffmpeg": ".".join(str(v) for v in av.library_versions.get("libavcodec", ())),
    }


@cache
def _stages(settings: Settings, names: tuple[str, ...]) -> tuple[Stage, ...]:
    """Stages (and any models they hold) are built once per worker process."""
    return tuple(stage_graph().build_stages(settings, names))


def _with_dependents(redo: frozenset[str], names: tuple[str, ...]) -> frozenset[str]:
    """Redoing a stage redoes every stage that reads from it."""
    return frozenset(stage_graph().dependents(set(names) if "all" in redo else redo))


@contextmanager
def _video_lock(root: Path) -> Iterator[None]:
    """One process at a time per video, even across concurrent ingests."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = (root / ".lock").open("a")
    except OSError as exc:
        raise store_error(exc, root) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
