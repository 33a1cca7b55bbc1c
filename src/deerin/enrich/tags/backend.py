"""The tags back-end interface, the ImageNet labels they share, and how one is chosen.

A back end turns pictures into L2-normalised embeddings and scored labels. The stage
needs both for every frame, and the network's forward pass is the whole cost, so the
one method a back end must implement, :meth:`TagBackend.analyse`, returns both from a
single pass; ``embed`` and ``tags`` are views of it for other callers (search, tests).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from deerin.models.weights import ModelError
from deerin.settings import Settings

Tag = tuple[str, float]
TOP_K = 5  # tags kept per frame (the tags.json schema)
BUNDLED_NAME = "efficientnet-lite0"
LABELS_FILE = Path(__file__).with_name("imagenet_labels.json")
# Frames per forward pass. On the CPU a batch past the cache is slower per frame
# (EfficientNet-Lite0, one thread: 31 ms a frame at 4, 51 ms at 16); a GPU wants many.
CPU_BATCH, GPU_BATCH = 4, 64


class TagBackend(ABC):
    """One image model seen the same way by the stage, whatever library runs it."""

    name: str  # the model, as a person would name it (recorded in tags.json)
    kind: str  # the library that runs it (recorded in tags.json as "backend")
    weights: str  # the weights' sha256 (bundled) or the hub name / folder (provenance)
    labels: list[str]
    batch: int  # frames the stage hands over at once (see batch_size)

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of an embedding."""

    @abstractmethod
    def analyse(self, images: Sequence[Image.Image], k: int) -> tuple[np.ndarray, list[list[Tag]]]:
        """Embeddings ``[n, dim]`` (float32, unit length) and each image's ``k`` best tags."""

    @abstractmethod
    def label_embeddings(self) -> np.ndarray:
        """Each label's unit vector in the image-embedding space, ``[len(labels), dim]``.

        Search uses these to go from words to pictures with any back end: a query maps
        to labels, a label to this vector, the vector to the nearest frame embeddings.
        """

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Unit-length embeddings ``[n, dim]``."""
        return self.analyse(images, 0)[0]

    def tags(self, images: Sequence[Image.Image], k: int = TOP_K) -> list[list[Tag]]:
        """Each image's ``k`` best labels with their scores, best first."""
        return self.analyse(images, k)[1]

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings of free text in the image space (image-text models only)."""
        raise ModelError(
            f"{self.name} cannot embed text",
            hint="use label_embeddings(), or set tags_model to a CLIP or SigLIP model",
        )


def open_backend(settings: Settings) -> TagBackend:
    """The back end ``settings.tags_model`` names: the bundled EfficientNet, else CLIP/SigLIP."""
    if settings.tags_model == BUNDLED_NAME:
        from deerin.enrich.tags.efficientnet import EfficientNetLite0

        return EfficientNetLite0(settings)
    from deerin.enrich.tags.transformers_backend import ImageTextBackend

    return ImageTextBackend(settings)


def batch_size(device: str) -> int:
    """How many frames to feed at once on ``device``."""
    return GPU_BATCH if device == "cuda" else CPU_BATCH


@cache
def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k class names in class-index order (see the package docstring)."""
    return json.loads(LABELS_FILE.read_text(encoding="utf-8"))


def top_tags(scores: np.ndarray, labels: Sequence[str], k: int) -> list[list[Tag]]:
    """The ``k`` highest-scoring labels of each row of ``scores`` ``[n, len(labels)]``."""
    if k <= 0:
        return [[] for _ in scores]
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return [
        [(labels[i], round(float(row[i]), 4)) for i in order]
        for row, order in zip(scores, best, strict=True)
    ]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32 (an all-zero row stays zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, np.finfo(np.float32).tiny)
