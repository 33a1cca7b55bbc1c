"""The CPU default: PySceneDetect's detectors, fed with frames from our own decoding pass.

PySceneDetect's adaptive detector finds cuts (a one-frame spike in colour change, judged
against the frames around it, so camera motion does not trigger it) and its threshold
detector finds passages through black. Neither sees a dissolve, whose change is spread
thinly over many frames, so :class:`DissolveDetector` looks for frames that are mixes
of the frames before and after. Fades and cuts to black are told apart by the shape of
the brightness curve around the black: a fade ramps over several frames, a cut jumps.
"""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import scenedetect
from scenedetect import AdaptiveDetector, FrameTimecode, ThresholdDetector

from deerin.enrich.shots.detector import Boundary, DetectorFactory, ShotDetector
from deerin.index.schemas import MediaInfo
from deerin.media.decode import FrameSize, fit_width
from deerin.models.resolver import ModelChoice
from deerin.settings import Settings

ANALYSIS_WIDTH = 256  # what PySceneDetect's own auto-downscale aims at
RAMP_STEP = 0.5  # brightness change per frame (0-255) that counts as part of a fade ramp
RAMP_FRAMES = 3  # a ramp this long or longer is a fade; shorter is a cut to or from black


class PySceneDetectDetector(ShotDetector):
    """Adaptive detection for cuts, threshold detection for fades, mix fitting for dissolves."""

    name = "pyscenedetect"
    version = scenedetect.__version__

    def __init__(self, settings: Settings, info: MediaInfo) -> None:
        min_frames = max(1, round(settings.shots.min_shot_seconds * info.fps))
        self._rate = Fraction(info.fps_fraction)
        self._dark = settings.shots.fade_threshold
        self._adaptive = AdaptiveDetector(
            adaptive_threshold=settings.shots.adaptive_threshold, min_scene_len=min_frames
        )
        self._threshold = ThresholdDetector(
            threshold=settings.shots.fade_threshold, min_scene_len=min_frames, fade_bias=0.0
        )
        self._dissolves = DissolveDetector(info.fps, dark=settings.shots.fade_threshold)
        self._brightness: list[float] = []
        self._cuts: list[int] = []
        self._through_black: list[int] = []

    def frame_size(self, info: MediaInfo) -> FrameSize:
        return FrameSize(*fit_width(info, ANALYSIS_WIDTH), "bgr24")

    def process(self, index: int, time: float, image: np.ndarray) -> None:
        # Frame numbers, not times, drive PySceneDetect: its answers come back as our indices
        # whatever the file's timing, and build_shots turns them into true (VFR) times.
        timecode = FrameTimecode(index, fps=self._rate)
        tiny = shrink(image, MIX_WIDTH)  # the threshold detector only wants mean brightness
        self._brightness.append(float(tiny.mean()))
        self._cuts += [t.frame_num for t in self._adaptive.process_frame(timecode, image)]
        self._through_black += [t.frame_num for t in self._threshold.process_frame(timecode, tiny)]
        self._dissolves.process(index, tiny)

    def finish(self) -> list[Boundary]:
        found = [Boundary.cut(frame) for frame in self._cuts]
        for frame in self._through_black:
            found += self._passage_through_black(frame)
        return sorted(found + self._dissolves.finish())

    def method(self) -> dict[str, object]:
        return {**super().method(), "detectors": ["adaptive", "threshold", "dissolve"]}

    def _passage_through_black(self, frame: int) -> list[Boundary]:
        """A fade (one boundary) or a cut to black and a cut back (two boundaries).

        ``frame`` is where the threshold detector split the black; the brightness curve
        on each side says whether the picture faded or cut, and where a fade began.
        """
        dark_start, dark_end = self._dark_span(frame)
        fade_start = self._ramp_before(dark_start)
        fade_end = self._ramp_after(dark_end)
        if fade_start < dark_start or fade_end > dark_end:
            return [Boundary.gradual("fade", fade_start, fade_end)]
        edges = (dark_start, dark_end)
        return [Boundary.cut(f) for f in edges if 0 < f < len(self._brightness)]

    def _dark_span(self, frame: int) -> tuple[int, int]:
        """The black frames ``[start, end)`` around ``frame``."""
        brightness = self._brightness
        start = frame if brightness[frame] < self._dark else max(0, frame - 1)
        end = start + 1
        while start > 0 and brightness[start - 1] < self._dark:
            start -= 1
        while end < len(brightness) and brightness[end] < self._dark:
            end += 1
        return start, end

    def _ramp_before(self, dark_start: int) -> int:
        """First frame of a fade-out ending at ``dark_start``; ``dark_start`` if it cut."""
        first = dark_start
        while first > 0 and self._brightness[first - 1] > self._brightness[first] + RAMP_STEP:
            first -= 1
        return first if dark_start - first >= RAMP_FRAMES else dark_start

    def _ramp_after(self, dark_end: int) -> int:
        """First frame after a fade-in starting at ``dark_end``; ``dark_end`` if it cut."""
        brightness = self._brightness
        end = dark_end
        while end < len(brightness) and brightness[end] > brightness[end - 1] + RAMP_STEP:
            end += 1
        return end if end - dark_end >= RAMP_FRAMES else dark_end


MIX_WIDTH = 32  # dissolves are judged on tiny frames: noise and grain average out
MIX_MAX_SECONDS = 2.5  # longest dissolve looked for
MIX_LENGTHS = (4, 6, 9, 13, 19, 28, 41, 60)  # window lengths tried, in frames
MIX_MIN_CHANGE = 20.0  # mean change (0-255) between the two shots a dissolve joins
MIX_MAX_RESIDUAL = 0.2  # of that change: how far a middle frame may be from the mix
MIX_LOW, MIX_HIGH = 0.1, 0.9  # mix fractions between these are "during the dissolve"
MIX_MAX_STEP = 0.5  # a bigger jump in the mix from one frame to the next is a cut
MIX_MAX_CORRELATION = 0.5  # shots alike in layout (a title fading in, a slow pan) are no dissolve


class DissolveDetector:
    """Find dissolves: runs of frames that are mixes of the frames before and after.

    During a dissolve from shot A to shot B every frame is ``(1 - a)·A + a·B`` with ``a``
    rising from 0 to 1. For windows of several lengths ending at each new frame, the
    mix is fitted to the frames inside: a large change between the window's ends, inner
    frames the mix explains, ``a`` rising in small steps, at least two frames truly
    mixed, and ends that do not look alike make a dissolve. Camera and subject motion are
    not mixes and leave a large residual; a cut is one big step; a title fading in over
    the same picture joins two alike frames. Passages through black are left to the
    threshold detector. Recent frames live in a small ring buffer so that every test is
    a few vectorised operations.
    """

    def __init__(self, fps: float, dark: float) -> None:
        longest = max(MIX_LENGTHS[0], round(fps * MIX_MAX_SECONDS))
        self._lengths = np.array([n for n in MIX_LENGTHS if n <= longest])
        self._slots = int(self._lengths[-1]) + 1
        self._ring: np.ndarray | None = None
        self._brightness = np.zeros(self._slots, np.float32)
        self._dark = dark
        self._found: list[tuple[int, int, float]] = []  # start, end (exclusive), change

    def process(self, index: int, small: np.ndarray) -> None:
        """Take the next frame, already shrunk to about ``MIX_WIDTH`` pixels wide."""
        if self._ring is None:  # one flat row of pixels per frame: fast to reduce
            self._ring = np.zeros((self._slots, small.size), np.float32)
        frame = self._ring[index % self._slots]
        frame[:] = small.reshape(-1)
        self._brightness[index % self._slots] = frame.mean()
        lengths = self._lengths[self._lengths <= index]
        # Windows ending on every other frame still bracket every dissolve; half the work.
        if index % 2 == 0 and lengths.size and self._brightness[index % self._slots] >= self._dark:
            self._test(index, lengths)

    def finish(self) -> list[Boundary]:
        """One dissolve per group of overlapping finds: the one with the largest change."""
        dissolves: list[tuple[int, int, float]] = []
        for start, end, change in sorted(self._found):
            if dissolves and start < dissolves[-1][1]:
                if change > dissolves[-1][2]:
                    dissolves[-1] = (start, end, change)
                continue
            dissolves.append((start, end, change))
        return [Boundary.gradual("dissolve", start, end) for start, end, _ in dissolves]

    def _test(self, index: int, lengths: np.ndarray) -> None:
        """Screen every window length at once, cheapest tests first; fit the survivors."""
        assert self._ring is not None
        last = self._ring[index % self._slots]
        starts = (index - lengths) % self._slots
        firsts = self._ring[starts]
        deltas = last - firsts
        changes = np.abs(deltas).mean(axis=1)
        keep = (changes >= MIX_MIN_CHANGE) & (self._brightness[starts] >= self._dark)
        if keep.any():
            keep[keep] = _correlations(firsts[keep], last) <= MIX_MAX_CORRELATION
        for part in (2, 4, 4 / 3):  # the middle frame, then the quarter points
            if not keep.any():
                return
            inner = self._ring[(index - (lengths[keep] / part).astype(int)) % self._slots]
            _, residuals = _mix(inner, firsts[keep], deltas[keep])
            keep[keep] = residuals <= MIX_MAX_RESIDUAL * changes[keep]
        for length, change in zip(lengths[keep], changes[keep], strict=True):
            self._fit(index, int(length), float(change))

    def _fit(self, index: int, length: int, change: float) -> None:
        """Fit the mix to every frame of one window; note a dissolve if it holds."""
        assert self._ring is not None
        window = self._ring[np.arange(index - length, index + 1) % self._slots]
        first, last = window[:1], window[-1:]
        fractions, residuals = _mix(window, first, last - first)
        steps = np.diff(fractions)
        if (
            residuals.max() > MIX_MAX_RESIDUAL * change
            or steps.min() < -MIX_LOW
            or steps.max() > MIX_MAX_STEP
        ):
            return
        mixed = np.flatnonzero((fractions > MIX_LOW) & (fractions < MIX_HIGH))
        if mixed.size >= 2:
            offset = index - length
            self._found.append((offset + int(mixed[0]), offset + int(mixed[-1]) + 1, change))


def _mix(frames: np.ndarray, first: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the mix fraction that best explains it between two frames, and the residual.

    Frames are rows of pixels; ``first`` and ``delta`` (last minus first) are rows too,
    one per frame or one for all.
    """
    offsets = frames - first
    fractions = (offsets * delta).sum(axis=1) / np.maximum((delta * delta).sum(axis=1), 1e-6)
    residuals = np.abs(offsets - fractions[:, None] * delta).mean(axis=1)
    return fractions, residuals


def _correlations(firsts: np.ndarray, last: np.ndarray) -> np.ndarray:
    """How alike each first frame's layout is to the last's (Pearson correlation of pixels)."""
    a = firsts - firsts.mean(axis=1, keepdims=True)
    b = last - last.mean()
    return (a @ b) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b), 1e-6)


def shrink(image: np.ndarray, width: int) -> np.ndarray:
    """``image`` area-averaged down to about ``width`` pixels wide, quickly.

    The edges are trimmed to a whole number of blocks first: OpenCV's area resize is
    several times faster when the scale factor is an integer.
    """
    factor = image.shape[1] // width
    if factor < 1:
        return image
    rows = max(1, image.shape[0] // factor)
    block = image[: rows * factor, : width * factor]
    return cv2.resize(block, (width, rows), interpolation=cv2.INTER_AREA)


def open_pyscenedetect(chosen: ModelChoice, settings: Settings) -> DetectorFactory:
    """The PySceneDetect backend: rules, no weights; tuned to each video's frame rate."""
    return lambda info: PySceneDetectDetector(settings, info)
