"""CLIP and SigLIP through ``transformers``: zero-shot tags and text-to-image embeddings.

``models.tags`` names a folder saved with ``save_pretrained`` or a hub name. Nothing is
downloaded at run time: the resolver accepts a hub name only once it is in the local
Hugging Face cache, and both load with ``local_files_only=True``, so a missing model is
a clear :class:`ModelError` rather than a hang on a machine with no network.

Tags are zero-shot over the ImageNet labels ("a photo of a {label}"): CLIP scores them
with a softmax over the labels, SigLIP (a model with a ``logit_bias``) with its own
per-label sigmoid. Embeddings are the projected image features, in the same space as
the text features, which is what makes free-text search possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from PIL import Image

from deerin.enrich.tags.backend import Tag, TagBackend
from deerin.enrich.tags.shared import batch_size, imagenet_labels, top_tags, unit_rows
from deerin.models.device import share_torch_cores, torch_device
from deerin.models.resolver import ModelChoice, quiet_transformers
from deerin.models.weights import ModelError
from deerin.settings import Settings

PROMPT = "a photo of a {}"
TEXT_BATCH = 64
CHOICES = "a folder saved with save_pretrained, a cached hub name, or efficientnet-lite0"


@cache
def load_model(location: str, device: str) -> tuple[Any, Any]:
    """Model and processor, once per process; only files already on this machine."""
    from transformers import AutoModel, AutoProcessor

    quiet_transformers()
    try:
        model = AutoModel.from_pretrained(location, local_files_only=True)
        processor = AutoProcessor.from_pretrained(location, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(
            f"tags model {location!r} cannot be loaded ({exc})",
            hint=f"set models.tags to {CHOICES}",
        ) from exc
    if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
        raise ModelError(
            f"tags model {location!r} is a {type(model).__name__}, not an image-text model",
            hint="use a CLIP or SigLIP model",
        )
    return model.eval().to(device), processor


def _features(output: Any) -> Any:
    """The projected embedding, whether ``transformers`` returns it bare or in an output."""
    return output if hasattr(output, "ndim") else output.pooler_output


class ImageTextBackend(TagBackend):
    """A CLIP-like model: image and text embed into one space."""

    kind = "transformers"

    def __init__(self, chosen: ModelChoice, settings: Settings) -> None:
        share_torch_cores(settings)
        location = str(chosen.path)
        self.name = chosen.name
        self.weights = chosen.location
        self.labels = imagenet_labels()
        self._device = torch_device(settings)
        self.batch = batch_size(self._device)
        self._model, self._processor = load_model(location, self._device)
        self._text_length = self._model.config.text_config.max_position_embeddings
        self._scale = float(self._model.logit_scale.detach().exp())
        bias = getattr(self._model, "logit_bias", None)  # SigLIP has one, CLIP has none
        self._bias = None if bias is None else float(bias.detach())
        self._label_matrix: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(self.label_embeddings().shape[1])

    def analyse(self, images: Sequence[Image.Image], k: int) -> tuple[np.ndarray, list[list[Tag]]]:
        import torch

        inputs = self._processor(
            images=[image.convert("RGB") for image in images], return_tensors="pt"
        )
        with torch.inference_mode():
            output = self._model.get_image_features(
                pixel_values=inputs["pixel_values"].to(self._device)
            )
        embeddings = unit_rows(_features(output).float().cpu().numpy())
        return embeddings, top_tags(self._label_scores(embeddings), self.labels, k)

    def label_embeddings(self) -> np.ndarray:
        """Each label's prompt, embedded once (the tags compare every frame with these)."""
        if self._label_matrix is None:
            self._label_matrix = self.embed_text([PROMPT.format(label) for label in self.labels])
        return self._label_matrix

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dim), np.float32)
        chunks = []
        for start in range(0, len(texts), TEXT_BATCH):
            # SigLIP was trained on text padded to full length; CLIP pools at the end
            # token, so padding changes nothing for it.
            inputs = self._processor(
                text=list(texts[start : start + TEXT_BATCH]),
                padding="max_length",
                max_length=self._text_length,
                truncation=True,
                return_tensors="pt",
            )
            inputs = {
                name: inputs[name].to(self._device)
                for name in ("input_ids", "attention_mask")  # not every tokenizer gives a mask
                if name in inputs
            }
            with torch.inference_mode():
                output = self._model.get_text_features(**inputs)
            chunks.append(_features(output).float().cpu().numpy())
        return unit_rows(np.concatenate(chunks))

    def _label_scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Label probabilities as the model was trained to give them."""
        logits = embeddings @ self.label_embeddings().T * self._scale
        if self._bias is not None:  # SigLIP: an independent yes/no per label (a sigmoid)
            return 0.5 * (1.0 + np.tanh((logits + self._bias) / 2.0))
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))  # CLIP: one of the labels
        return shifted / shifted.sum(axis=1, keepdims=True)
