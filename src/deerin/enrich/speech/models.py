"""The Whisper backend: the resolved model loaded once per worker, on the GPU if there is one.

``models.speech`` names a bundled model (whisper-base, whisper-tiny.en), a local
CTranslate2 folder or a hub name already in the local Hugging Face cache; the resolver
finds the folder (joining the bundled base's two parts once) and nothing is
downloaded while footage is being processed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from deerin.models.device import cpu_threads
from deerin.models.resolver import ModelChoice, folder_of
from deerin.models.weights import ModelError
from deerin.settings import Settings

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

MODEL_FILE = "model.bin"


@dataclass(frozen=True)
class Whisper:
    """A Whisper model loaded for this worker: its name (as configured) and how it runs."""

    name: str
    folder: Path
    device: str
    compute_type: str
    model: WhisperModel


def open_whisper(chosen: ModelChoice, settings: Settings) -> Whisper:
    """The speech backend (faster-whisper): the resolved model's folder, loaded."""
    folder = folder_of(chosen, settings)
    if not (folder / MODEL_FILE).is_file():
        raise ModelError(
            "is not a CTranslate2 Whisper model (no model.bin)",
            path=folder,
            hint="convert it with ct2-transformers-converter, or set models.speech to "
            "whisper-base or whisper-tiny.en",
        )
    device, compute_type = whisper_device(settings)
    model = load(folder, device, compute_type, cpu_threads(settings))
    return Whisper(chosen.name, folder, device, compute_type, model)


def whisper_device(settings: Settings) -> tuple[str, str]:
    """Device and compute type: float16 on a CUDA GPU when allowed, int8 on the CPU.

    Asked of CTranslate2 itself, so that no torch import is needed to find the GPU.
    """
    if settings.models.device != "cpu":
        import ctranslate2

        if ctranslate2.get_cuda_device_count() > 0:
            return "cuda", "float16"
    return "cpu", "int8"


@cache
def load(folder: Path, device: str, compute_type: str, threads: int) -> WhisperModel:
    """The model in ``folder``, loaded once per worker process for each device setup."""
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(
            str(folder), device=device, compute_type=compute_type, cpu_threads=threads
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelError(
            f"the speech model cannot be loaded ({exc})",
            path=folder,
            hint="check that it is a CTranslate2 Whisper model, or configure another",
        ) from exc
