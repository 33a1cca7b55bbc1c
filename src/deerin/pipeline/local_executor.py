"""The local executors: videos in this process (one worker), or in a pool of processes.

Both implement :class:`~deerin.pipeline.executor.Executor`, as the Ray executor does.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from deerin.pipeline.executor import OnEvent, StageTracker, drain_events
from deerin.pipeline.runner import VideoJob, VideoResult, process_video


class InlineExecutor:
    """Runs jobs one after another in this process: for one worker, and for debugging."""

    def run(self, jobs: list[VideoJob], on_event: OnEvent) -> Iterator[VideoResult]:
        for job in jobs:
            yield process_video(job, on_event)


WORKER_NAME = "deerin-worker"  # the pool workers' process name
_events: Any = None  # the events queue, set in each pool worker by _init_worker


def _init_worker(events: Any) -> None:
    global _events
    _events = events
    with contextlib.suppress(OSError):  # Linux: top, ps and the OOM killer's log name it
        Path("/proc/self/comm").write_text(WORKER_NAME)
    # Being stopped (Ctrl-C, a failed store) unwinds like an exception, so the
    # stage's scratch folder is removed rather than left for the next run.
    signal.signal(signal.SIGTERM, _exit_on_terminate)


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _work(job: VideoJob) -> VideoResult:
    assert _events is not None
    return process_video(job, _events.put)


class LocalExecutor:
    """A pool of worker processes on this machine, one video per worker at a time.

    A worker that dies (killed for memory, or a decoder crash) breaks the whole pool.
    The videos it may have been working on are then run again one at a time, each in
    a pool of its own: a video that kills its worker even alone is failed with the
    reason, and the rest of the collection goes on.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, jobs: list[VideoJob], on_event: OnEvent) -> Iterator[VideoResult]:
        tracked = StageTracker(on_event)
        remaining = list(jobs)
        while remaining:
            suspects, remaining = yield from _pool_round(remaining, self.workers, tracked)
            for job in suspects:
                crashed, unstarted = yield from _pool_round([job], 1, tracked)
                for culprit in crashed + unstarted:
                    yield tracked.died(culprit)


def _pool_round(
    jobs: list[VideoJob], workers: int, on_event: OnEvent
) -> Generator[VideoResult, None, tuple[list[VideoJob], list[VideoJob]]]:
    """Run ``jobs`` in one pool, yielding results. If a worker dies, returns the jobs that
    were running then (suspects) and those not started; else two empty lists.

    Events travel through a manager's queue, not a pipe the workers share: a worker
    killed halfway through writing to a pipe would leave a partial message that blocks
    its reader for ever.
    """
    context = mp.get_context("spawn")  # no forked torch/ffmpeg state
    with context.Manager() as manager:
        events = manager.Queue()
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)) or 1,
            mp_context=context,
            initializer=_init_worker,
            initargs=(events,),
        )
        try:
            return (yield from _collect(pool, jobs, events, on_event))
        except BaseException:
            # Ctrl-C or a store failure: stop the workers now rather than after their
            # current video. Their unpublished scratch files are removed on the next run.
            for process in list(pool._processes.values()):
                process.terminate()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            drain_events(events, on_event)


def _collect(
    pool: ProcessPoolExecutor, jobs: list[VideoJob], events: Any, on_event: OnEvent
) -> Generator[VideoResult, None, tuple[list[VideoJob], list[VideoJob]]]:
    """Submit ``jobs`` to ``pool`` and yield their results as they finish (see
    :func:`_pool_round`)."""
    futures = {pool.submit(_work, job): job for job in jobs}
    started: set[str] = set()  # ids of the videos seen running
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        started |= {futures[f].video_id for f in pending if f.running()}
        drain_events(events, on_event)
        broken = {f for f in finished if isinstance(f.exception(), BrokenProcessPool)}
        for future in finished - broken:
            yield future.result()  # a StoreError is raised here, as from process_video
        if broken:
            unfinished = pending | broken
            return _split([futures[f] for f in futures if f in unfinished], started)
    return [], []


def _split(unfinished: list[VideoJob], started: set[str]) -> tuple[list[VideoJob], list[VideoJob]]:
    """The unfinished jobs of a broken pool: those seen running (all of them when none
    was: a worker may die before it is seen), and the rest."""
    suspects = [job for job in unfinished if job.video_id in started] or unfinished
    return suspects, [job for job in unfinished if job not in suspects]
