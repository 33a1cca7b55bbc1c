"""What every executor implements, and the helpers the local pool and Ray share.

An executor runs video jobs somewhere (this process, a local pool, a Ray cluster) and
streams their events back to the coordinating process, the catalogue's only writer.
Stages never know which executor runs them.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from deerin.pipeline.runner import FAILED, StageEvent, VideoJob, VideoResult

OnEvent = Callable[[StageEvent], None]


class Executor(Protocol):
    """Runs video jobs somewhere and streams their events back to the caller."""

    def run(self, jobs: list[VideoJob], on_event: OnEvent) -> Iterator[VideoResult]:
        """Yield each job's result as it finishes; call ``on_event`` in this thread."""
        ...


class StageTracker:
    """Passes worker events on, remembering the stage each video last started, so that a
    video whose worker died can be failed at the stage it was in."""

    def __init__(self, on_event: OnEvent) -> None:
        self.on_event = on_event
        self.stages: dict[str, str] = {}

    def __call__(self, event: StageEvent) -> None:
        if event.status == "running":
            self.stages[event.video_id] = event.stage
        self.on_event(event)

    def died(self, job: VideoJob) -> VideoResult:
        """The result of a video whose worker died (and would again), reported as failed."""
        stage = self.stages.get(job.video_id, "probe")
        event = StageEvent(
            job.video_id,
            stage,
            FAILED,
            f"{job.source}: the worker process died during this stage (killed for memory, "
            "or a crash in a decoder or model) — check that the file plays; with fewer "
            "--workers there is more memory for each",
        )
        self.on_event(event)
        return VideoResult(job.video_id, {stage: event})


def drain_events(events: Any, on_event: OnEvent) -> None:
    """Hand queued worker events to the caller, in the caller's thread (any queue whose
    ``get_nowait`` raises ``queue.Empty``: a manager's, or Ray's)."""
    while True:
        try:
            on_event(events.get_nowait())
        except queue.Empty:
            return
