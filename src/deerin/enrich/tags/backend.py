"""The tags back-end interface.

A back end turns pictures into L2-normalised embeddings and scored labels. The stage
needs both for every frame, and the network's forward pass is the whole cost, so the
one method a back end must implement, :meth:`TagBackend.analyse`, returns both from a
single pass; ``embed`` and ``tags`` are views of it for other callers (search, tests).
Back ends register as model backends of the ``tags`` capability (``enrich/plugin.py``);
what they share lives beside them in :mod:`.shared`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from PIL import Image

from deerin.models.weights import ModelError

Tag = tuple[str, float]
TOP_K = 5  # tags kept per frame (the tags.json schema)


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
            hint="use label_embeddings(), or set models.tags to a CLIP or SigLIP model",
        )
