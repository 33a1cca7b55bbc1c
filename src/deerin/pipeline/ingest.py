"""Ingest: register a collection's files in the catalogue and run the stages on them.

The coordinating process identifies files by content, records duplicates and
non-videos, hands one job per video to an executor, and is the only writer of the
catalogue. Workers write artefacts; a rerun skips what they finished.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from deerin.errors import StoreError
from deerin.index.artefacts import VideoFolder, read_json, store_error
from deerin.index.catalogue import Catalogue
from deerin.media.identity import content_id
from deerin.pipeline.collection import StepResult, run_collection_steps
from deerin.pipeline.discover import Candidate, Rejected, discover
from deerin.pipeline.executors import make_executor
from deerin.pipeline.progress import Reporter
from deerin.pipeline.registry import build_collection_steps, collection_step_classes, stage_names
from deerin.pipeline.runner import SKIPPED, StageEvent, VideoJob
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
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and all(step.status != "failed" for step in self.steps)


def open_catalogue(settings: Settings) -> Catalogue:
    return Catalogue(settings.data_dir / "catalogue.sqlite")


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

    After the per-video stages, the collection steps (people, near-duplicates) run over
    the whole collection.
    """
    known = set(stage_names()) | {step.name for step in collection_step_classes()}
    for option, names in (("--redo", set(redo) - {"all"}), ("--skip", set(settings.skip_stages))):
        if names - known:
            raise ValueError(f"unknown stage(s) for {option}: {', '.join(sorted(names - known))}")
    stages = stages or tuple(s for s in stage_names() if s not in settings.skip_stages)
    report = IngestReport(collection)
    with collection_lock(settings, collection, wait):
        catalogue = open_catalogue(settings)
        try:
            jobs = _register(paths, collection, settings, catalogue, report, stages, redo)
            _run(jobs, catalogue, collection, settings, reporter, report)
            steps = [
                step
                for step in build_collection_steps(settings, stages)
                if step.name not in settings.skip_stages
            ]
            report.steps = run_collection_steps(collection, settings, catalogue, steps, redo)
        finally:
            catalogue.close()
    return report


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
    probe_json = VideoFolder.for_video(settings.data_dir, video_id).path("probe.json")
    if probe_json.exists():
        catalogue.set_duration(video_id, float(read_json(probe_json)["media"]["duration"]))
    failed = [name for name, e in outcomes.items() if e.status in ("failed", "blocked")]
    if failed:
        report.failed[video_id] = failed
