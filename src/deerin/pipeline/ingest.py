"""Ingest: register a collection's files in the catalogue and run the stages on them.

The coordinating process identifies files by content, records duplicates and
non-videos, hands one job per video to an executor, and is the only writer of the
catalogue. Workers write artefacts; a rerun skips what they finished.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from deerin.errors import DeerinError, StoreError
from deerin.index import artefacts
from deerin.index.artefacts import ArtefactError
from deerin.index.catalogue import Catalogue, open_catalogue
from deerin.index.schemas import Probe
from deerin.index.store import VideoFolder, store_error
from deerin.media.identity import content_id
from deerin.models.resolver import resolve
from deerin.pipeline.collection import StepResult, run_collection_steps
from deerin.pipeline.discover import Attached, Candidate, Rejected, discover
from deerin.pipeline.executor import Executor
from deerin.pipeline.graph import StageGraph, stage_graph
from deerin.pipeline.local_executor import InlineExecutor, LocalExecutor
from deerin.pipeline.progress import Reporter
from deerin.pipeline.runner import SKIPPED, StageEvent, VideoJob
from deerin.plugins.stage import PROBE
from deerin.settings import Settings


@dataclass
class IngestReport:
    """What an ingest did, for the closing summary and for tests."""

    collection: str
    videos: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[tuple[Path, Path]] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    not_videos: list[Rejected] = field(default_factory=list)
    attached: list[Attached] = field(default_factory=list)
    also_skipped: tuple[str, ...] = ()  # stages left out because a skipped one is needed
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and all(step.status != "failed" for step in self.steps)


@contextmanager
def collection_lock(settings: Settings, collection: str, wait: bool) -> Iterator[None]:
    """Only one ingest of a collection at a time; a second waits or refuses, never races."""
    folder = settings.data_dir / "locks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / f"{collection}.lock").open("a+")
    except OSError as exc:
        raise store_error(exc, folder) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreError(
                f"collection '{collection}' is being ingested by {holder}",
                path=settings.data_dir,
                hint="wait for it to finish, or rerun with --wait",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        yield


def refresh_collection(
    settings: Settings,
    collection: str,
    steps: tuple[str, ...],
    redo: frozenset[str] = frozenset(),
    on_wait: Callable[[str], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> list[StepResult]:
    """Run some collection steps again now (after a person's decision or correction), under
    the collection's lock. While an ingest holds it: with ``on_wait``, say why and wait;
    without, raise the StoreError at once (a web request must not hang for an ingest).
    """
    chosen = [cls(settings) for cls in stage_graph().steps if cls.name in steps]
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(collection_lock(settings, collection, wait=False))
        except StoreError as busy:
            if on_wait is None:
                raise
            on_wait(busy.problem)
            held.enter_context(collection_lock(settings, collection, wait=True))
        catalogue = open_catalogue(settings)
        try:
            return run_collection_steps(collection, settings, catalogue, chosen, redo, say)
        finally:
            catalogue.close()


def ingest(
    paths: list[Path],
    collection: str,
    settings: Settings,
    reporter: Reporter,
    *,
    redo: frozenset[str] = frozenset(),
    stages: tuple[str, ...] | None = None,
    wait: bool = False,
) -> IngestReport:
    """Ingest ``paths`` into ``collection`` and run ``stages`` (all but the skipped ones).

    Mistakes are caught before any work starts, each as one DeerinError: a path that
    does not exist, an unknown stage in ``--skip`` or ``--redo``, a model that cannot be
    found. After the per-video stages, the collection steps (people, near-duplicates)
    run over the whole collection.
    """
    graph = stage_graph()
    graph.check(redo, "--redo", extra=("all",))
    graph.check(settings.run.skip_stages, "--skip")
    if PROBE in settings.run.skip_stages:
        raise DeerinError(
            "--skip probe: every file starts with the probe, so it cannot be skipped",
            hint="skip the stages after it instead",
        )
    report = IngestReport(collection)
    if stages is None:
        stages, report.also_skipped = graph.plan(settings.run.skip_stages)
    _check_paths(paths)
    _check_models(graph, stages, settings)
    with collection_lock(settings, collection, wait):
        catalogue = open_catalogue(settings)
        try:
            jobs = _register(paths, collection, settings, catalogue, report, stages, redo)
            _run(jobs, catalogue, collection, settings, reporter, report)
            steps = graph.build_steps(settings, stages)
            report.steps = run_collection_steps(collection, settings, catalogue, steps, redo)
        finally:
            catalogue.close()
    return report


def _check_paths(paths: list[Path]) -> None:
    """Every path given must exist: a typo should stop the ingest, not vanish in a list."""
    for path in paths:
        if not path.exists():
            raise DeerinError(
                "does not exist", path=path, hint="check the path (folders, files or a CSV)"
            )


def _check_models(graph: StageGraph, stages: tuple[str, ...], settings: Settings) -> None:
    """Every model the stages will run can be found here (ModelError naming it if not)."""
    wanted = set(stages)
    for capability in dict.fromkeys(m for s in graph.stages if s.name in wanted for m in s.models):
        resolve(capability, settings)


def make_executor(settings: Settings) -> Executor:
    """Ray when asked for; else a process pool for several workers, in-process for one."""
    if settings.run.executor == "ray":
        from deerin.pipeline.ray_executor import RayExecutor

        return RayExecutor(settings.run.ray_address, settings.run.ray_cpus_per_video)
    workers = settings.run.workers
    return InlineExecutor() if workers <= 1 else LocalExecutor(workers)


def _register(
    paths: list[Path],
    collection: str,
    settings: Settings,
    catalogue: Catalogue,
    report: IngestReport,
    stages: tuple[str, ...],
    redo: frozenset[str],
) -> list[VideoJob]:
    """Identify each candidate by content and record it; return one job per new video."""
    catalogue.ensure_collection(collection)
    seen: dict[str, Path] = {}
    jobs: list[VideoJob] = []
    for item in discover(paths):
        if isinstance(item, Attached):
            report.attached.append(item)
            catalogue.clear_skip(collection, item.path)
            continue
        if isinstance(item, Rejected):
            report.rejected.append(item)
            catalogue.record_skip(collection, item.path, item.reason)
            continue
        try:
            video_id = _identify(item, catalogue)
        except OSError as exc:
            rejected = Rejected(item.path, f"cannot be read ({exc.strerror}) — check the file")
            report.rejected.append(rejected)
            catalogue.record_skip(collection, item.path, rejected.reason)
            continue
        original = _duplicate_of(video_id, item.path, seen, catalogue)
        if original is not None:
            report.duplicates.append((item.path, original))
            catalogue.record_skip(collection, item.path, f"exact duplicate of {original}")
            continue
        seen[video_id] = item.path
        catalogue.clear_skip(collection, item.path)
        catalogue.upsert_video(video_id, item.path, item.path.stat().st_size)
        catalogue.add_member(collection, video_id, item.metadata)
        jobs.append(VideoJob(video_id, str(item.path), settings, stages, redo))
        report.videos.append(video_id)
    return jobs


def _identify(item: Candidate, catalogue: Catalogue) -> str:
    stat = item.path.stat()
    cached = catalogue.cached_id(item.path, stat.st_size, stat.st_mtime_ns)
    if cached:
        return cached
    video_id = content_id(item.path)
    catalogue.remember_id(item.path, stat.st_size, stat.st_mtime_ns, video_id)
    return video_id


def _duplicate_of(
    video_id: str, path: Path, seen: dict[str, Path], catalogue: Catalogue
) -> Path | None:
    """The file this one copies, if any. A known video whose old path is gone has moved."""
    if video_id in seen:
        return seen[video_id]
    known = catalogue.video(video_id)
    if known is None or Path(known.path) == path or not Path(known.path).exists():
        return None
    return Path(known.path)


def _run(
    jobs: list[VideoJob],
    catalogue: Catalogue,
    collection: str,
    settings: Settings,
    reporter: Reporter,
    report: IngestReport,
) -> None:
    if not jobs:
        return
    for job in jobs:
        for stage in job.stages:
            catalogue.set_stage(job.video_id, stage, "pending")
    # Progress is weighted by file size: known before probing, and close to duration.
    videos = {
        job.video_id: (Path(job.source).name, Path(job.source).stat().st_size) for job in jobs
    }

    settled: set[str] = set()

    def on_event(event: StageEvent) -> None:
        reporter.event(event)
        # A worker's last events can arrive after its result; the result is final.
        if event.status != "progress" and event.video_id not in settled:
            catalogue.set_stage(
                event.video_id,
                event.stage,
                _catalogue_status(event.status),
                event.detail,
                event.seconds,
            )

    reporter.start(videos, list(jobs[0].stages))
    try:
        for result in make_executor(settings).run(jobs, on_event):
            settled.add(result.video_id)
            reporter.video_done(result.video_id, result.ok)
            _settle(result.video_id, result.outcomes, catalogue, collection, report, settings)
    finally:
        reporter.stop()


def _catalogue_status(status: str) -> str:
    return "done" if status == "cached" else status


def _settle(
    video_id: str,
    outcomes: dict[str, StageEvent],
    catalogue: Catalogue,
    collection: str,
    report: IngestReport,
    settings: Settings,
) -> None:
    """Record how a video ended; a file ffprobe says is no video leaves the catalogue."""
    probe = outcomes.get("probe")
    row = catalogue.video(video_id)
    if probe is not None and probe.status == SKIPPED and row is not None:
        rejected = Rejected(Path(row.path), probe.detail.removeprefix(f"{row.path}: "))
        report.not_videos.append(rejected)
        report.videos.remove(video_id)
        catalogue.forget_video(video_id)
        shutil.rmtree(VideoFolder.for_video(settings.data_dir, video_id).root, ignore_errors=True)
        catalogue.record_skip(collection, rejected.path, rejected.reason)
        return
    for event in outcomes.values():
        catalogue.set_stage(
            video_id, event.stage, _catalogue_status(event.status), event.detail, event.seconds
        )
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    with contextlib.suppress(ArtefactError):  # a damaged probe.json: the runner reported it
        media = artefacts.read(folder, Probe).media
        catalogue.set_media(video_id, media.duration, media.kind)
    failed = [name for name, e in outcomes.items() if e.status in ("failed", "blocked")]
    if failed:
        report.failed[video_id] = failed
