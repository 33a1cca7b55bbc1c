"""Where models run: CUDA when allowed and present, the CPU otherwise."""

from __future__ import annotations

import os
from functools import cache

from deerin.settings import Settings


def torch_device(settings: Settings) -> str:
    """The torch device for this process."""
    if settings.models.device == "cpu":
        return "cpu"
    return "cuda" if _torch_cuda() else "cpu"


def onnx_providers(settings: Settings) -> list[str]:
    """onnxruntime execution providers, best first; the CPU is always last."""
    import onnxruntime

    available = set(onnxruntime.get_available_providers())
    wanted = [] if settings.models.device == "cpu" else ["CUDAExecutionProvider"]
    return [p for p in wanted if p in available] + ["CPUExecutionProvider"]


@cache
def _torch_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def cpu_threads(settings: Settings) -> int:
    """CPU threads one worker's models may use: the cores shared among the workers.

    Every worker process runs its own models; letting each take every core (the
    torch and onnxruntime default) makes two workers fight over two cores.
    """
    return max(1, (os.cpu_count() or 1) // max(1, settings.run.workers))


def share_torch_cores(settings: Settings) -> None:
    """Give torch in this worker its share of the cores (see :func:`cpu_threads`)."""
    import torch

    torch.set_num_threads(cpu_threads(settings))
