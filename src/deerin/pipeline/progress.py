"""Progress for long work: a live display for people, JSON lines for batch jobs.

Progress is weighted by media duration, so the ETA means "time until the
collection is done" rather than "videos left", which misleads when one reel is long.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from deerin.pipeline.runner import StageEvent

ENDED = ("done", "cached", "skipped", "failed", "blocked", "partial")


class Reporter(Protocol):
    """Receives the run's events in the coordinating process."""

    def start(self, videos: dict[str, tuple[str, float]], stages: list[str]) -> None: ...
    def event(self, event: StageEvent) -> None: ...
    def video_done(self, video_id: str, ok: bool) -> None: ...
    def stop(self) -> None: ...


class _Weights:
    """Tracks how much of the collection's work (video weight × stages) is done."""

    def __init__(self, videos: dict[str, tuple[str, float]], stages: list[str]) -> None:
        self.weights = {vid: max(float(weight), 1.0) for vid, (_, weight) in videos.items()}
        self.stages = stages
        self.fractions: dict[tuple[str, str], float] = {}

    @property
    def total(self) -> float:
        return sum(self.weights.values()) * len(self.stages)

    def update(self, event: StageEvent) -> float:
        key = (event.video_id, event.stage)
        if event.status == "progress":
            self.fractions[key] = event.fraction
        elif event.status in ENDED:
            self.fractions[key] = 1.0
        return sum(self.weights[vid] * f for (vid, _), f in self.fractions.items())


class LiveReporter:
    """A rich progress display: one bar for the collection, one per video in work."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.names: dict[str, str] = {}

    def start(self, videos: dict[str, tuple[str, float]], stages: list[str]) -> None:
        self.weights = _Weights(videos, stages)
        self.names = {vid: name for vid, (name, _) in videos.items()}
        self.overall = self.progress.add_task(
            f"{len(videos)} videos", total=round(self.weights.total)
        )
        self.videos_done = 0
        self.progress.start()

    def event(self, event: StageEvent) -> None:
        self.progress.update(self.overall, completed=round(self.weights.update(event)))
        task = self.tasks.get(event.video_id)
        if task is None and event.status in ("running", "progress"):
            name = self.names.get(event.video_id, event.video_id)[-40:]
            task = self.tasks[event.video_id] = self.progress.add_task(name, total=100)
        if task is not None:
            done = event.fraction if event.status == "progress" else 0.0
            self.progress.update(
                task,
                completed=round(100 * done),
                description=f"{self.names.get(event.video_id, '')[-32:]} · {event.stage}",
            )
        if event.status in ("failed", "partial"):
            first_line = event.detail.splitlines()[0] if event.detail else ""
            self.progress.console.print(
                f"[yellow]{event.stage} {event.status}[/]: {escape(first_line)}"
            )

    def video_done(self, video_id: str, ok: bool) -> None:
        task = self.tasks.pop(video_id, None)
        if task is not None:
            self.progress.remove_task(task)
        self.videos_done += 1
        self.progress.update(
            self.overall, description=f"{self.videos_done}/{len(self.names)} videos"
        )

    def stop(self) -> None:
        self.progress.stop()


class JsonReporter:
    """One JSON object per line on stderr, for batch schedulers and log collectors."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream

    def _write(self, **fields: object) -> None:
        fields["at"] = round(time.time(), 3)
        self.stream.write(json.dumps(fields, ensure_ascii=False) + "\n")
        self.stream.flush()

    def start(self, videos: dict[str, tuple[str, float]], stages: list[str]) -> None:
        self.weights = _Weights(videos, stages)
        self.started = time.monotonic()
        self._write(event="start", videos=len(videos), stages=stages)

    def event(self, event: StageEvent) -> None:
        done = self.weights.update(event)
        if event.status == "progress":
            return  # too chatty for logs; the stage's end carries the timing
        elapsed = time.monotonic() - self.started
        fraction = done / self.weights.total if self.weights.total else 1.0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        self._write(
            event="stage",
            video=event.video_id,
            stage=event.stage,
            status=event.status,
            detail=event.detail,
            seconds=event.seconds,
            progress=round(fraction, 4),
            eta_seconds=round(eta, 1) if eta is not None else None,
        )

    def video_done(self, video_id: str, ok: bool) -> None:
        self._write(event="video", video=video_id, ok=ok)

    def stop(self) -> None:
        self._write(event="stop", seconds=round(time.monotonic() - self.started, 2))
