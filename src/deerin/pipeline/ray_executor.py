"""The Ray executor: each video one Ray task, on a cluster or on this machine.

For a collection that outgrows one machine. A task runs the same
:func:`~deerin.pipeline.runner.process_video` as the local pool does, so stages never
know where they run. Every node must see the same paths (the data directory and the
videos, on the shared file system of a SLURM cluster or a Kubernetes volume) and have
DEERIn installed as here. Workers' events (a stage started, progressed, ended) come
back through a Ray queue and are handed to the caller in its own thread, so the
catalogue keeps its one writer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from deerin.errors import DeerinError
from deerin.pipeline.executor import StageTracker, drain_events
from deerin.pipeline.runner import StageEvent, VideoJob, VideoResult, process_video

WAIT = 0.2  # seconds between looks at the workers' events


class RayExecutor:
    """Runs each video as a Ray task reserving ``cpus_per_video`` CPUs."""

    def __init__(self, address: str | None, cpus_per_video: float) -> None:
        self.address = address
        self.cpus_per_video = cpus_per_video

    def run(
        self, jobs: list[VideoJob], on_event: Callable[[StageEvent], None]
    ) -> Iterator[VideoResult]:
        ray, connected_here = _connect(self.address)
        from ray.exceptions import NodeDiedError, OutOfMemoryError, WorkerCrashedError
        from ray.util.queue import Queue

        events = Queue()
        tracked = StageTracker(on_event)
        # A task whose worker dies runs once more (Ray's retry); dying twice fails it.
        task = ray.remote(num_cpus=self.cpus_per_video, max_retries=1)(_work)
        jobs_of = {task.remote(job, self.cpus_per_video, events): job for job in jobs}
        pending = list(jobs_of)
        try:
            while pending:
                finished, pending = ray.wait(pending, num_returns=1, timeout=WAIT)
                drain_events(events, tracked)
                for ref in finished:
                    try:
                        yield ray.get(ref)
                    except (WorkerCrashedError, OutOfMemoryError, NodeDiedError):
                        drain_events(events, tracked)
                        yield tracked.died(jobs_of[ref])
        except BaseException:
            # Ctrl-C or a store failure: stop the tasks now. Their unpublished scratch
            # files are removed on the next run, as with the local pool.
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        finally:
            drain_events(events, tracked)
            events.shutdown()
            if connected_here:
                ray.shutdown()  # stops a Ray started here; only disconnects from a cluster


def _connect(address: str | None) -> tuple[Any, bool]:
    """Ray, started here (no address) or connected to the cluster at ``address``; and
    whether this call connected it (so the caller disconnects when done)."""
    try:
        import ray
    except ImportError as exc:
        raise DeerinError(
            "the Ray executor needs Ray, which is not installed",
            hint="run scripts/setup.sh, or `pip install 'deerin[cluster]'`",
        ) from exc
    if ray.is_initialized():
        return ray, False
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise DeerinError(
            f"cannot reach the Ray cluster at {address or 'this machine'} ({exc})",
            hint="start it with `ray start --head` (see the README's cluster section), "
            "or set ray_address under [run]",
        ) from exc
    return ray, True


def _work(job: VideoJob, cpus: float, events: Any) -> VideoResult:
    """One video on a Ray worker, whose models get the task's share of the node's cores."""
    share = max(1, round((os.cpu_count() or 1) / cpus))
    here = replace(job, settings=job.settings.merged({"run.workers": share}))
    return process_video(here, events.put)
