"""Executors: where the per-video work runs. Stages never know which one it is.

``LocalExecutor`` uses a process pool on this machine; ``RayExecutor``
(:mod:`.ray_executor`) hands each video to a Ray cluster through the same interface.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Protocol

from deerin.pipeline.runner import StageEvent, VideoJob, VideoResult, process_video
from deerin.settings import Settings

OnEvent = Callable[[StageEvent], None]


class Executor(Protocol):
    """Runs video jobs somewhere and streams their events back to the caller."""

    def run(self, jobs: list[VideoJob], on_event: OnEvent) -> Iterator[VideoResult]:
        """Yield each job's result as it finishes; call ``on_event`` in this thread."""
        ...


class InlineExecutor:
    """Runs jobs one after another in this process: for one worker, and for debugging."""

    def run(self, jobs: list[VideoJob], on_event: OnEvent) -> Iterator[VideoResult]:
        for job in jobs:
            yield process_video(job, on_event)


_events: mp.Queue | None = None  # set in each pool worker by _init_worker


def _init_worker(events: mp.Queue) -> None:
    global _events
    _events = events
    # Being stopped (Ctrl-C, a failed store) unwinds like an exception, so the
    # stage's scratch folder is removed rather than left for the next run.
    signal.signal(signal.SIGTERM, _exit_on_terminate)


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _work(job: VideoJob) -> VideoResult:
    assert _events is not None
    return process_video(job, _events.put)


class LocalExecutor:
    """A pool of worker processes on this machine, one video per worker at a time."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, jobs: list[VideoJob], on_event: OnEvent) -> Iterator[VideoResult]:
        context = mp.get_context("spawn")  # no forked torch/ffmpeg state
        events: mp.Queue = context.Queue()
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(jobs)) or 1,
            mp_context=context,
            initializer=_init_worker,
            initargs=(events,),
        )
        try:
            pending: set[Future[VideoResult]] = {pool.submit(_work, job) for job in jobs}
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, on_event)
                for future in finished:
                    yield future.result()
        except BaseException:
            # Ctrl-C or a store failure: stop the workers now rather than after their
            # current video. Their unpublished scratch files are removed on the next run.
            for process in list(pool._processes.values()):
                process.terminate()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _drain(events, on_event)


def _drain(events: mp.Queue, on_event: OnEvent) -> None:
    """Hand queued worker events to the caller, in the caller's thread."""
    while True:
        try:
            on_event(events.get_nowait())
        except queue.Empty:
            return


def make_executor(settings: Settings) -> Executor:
    """Ray when asked for; else a process pool for several workers, in-process for one."""
    if settings.executor == "ray":
        from deerin.pipeline.ray_executor import RayExecutor

        return RayExecutor(settings.ray_address, settings.ray_cpus_per_video)
    workers = settings.workers
    return InlineExecutor() if workers <= 1 else LocalExecutor(workers)
