"""What the tags back ends share: the ImageNet labels, top-k tags, unit rows, batch sizes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from deerin.enrich.tags.backend import Tag

LABELS_FILE = Path(__file__).with_name("imagenet_labels.json")
# Frames per forward pass. On the CPU a batch past the cache is slower per frame
# (EfficientNet-Lite0, one thread: 31 ms a frame at 4, 51 ms at 16); a GPU wants many.
CPU_BATCH, GPU_BATCH = 4, 64


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
