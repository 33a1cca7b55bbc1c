"""Where models run: CUDA when allowed and present, the CPU otherwise."""

from __future__ import annotations

from functools import cache

from deerin.settings import Settings


def torch_device(settings: Settings) -> str:
    """The torch device for this process."""
    if settings.device == "cpu":
        return "cpu"
    return "cuda" if _torch_cuda() else "cpu"


def onnx_providers(settings: Settings) -> list[str]:
    """onnxruntime execution providers, best first; the CPU is always last."""
    import onnxruntime

    available = set(onnxruntime.get_available_providers())
    wanted = [] if settings.device == "cpu" else ["CUDAExecutionProvider"]
    return [p for p in wanted if p in available] + ["CPUExecutionProvider"]


@cache
def _torch_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
