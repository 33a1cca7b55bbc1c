"""Read text in a picture: PP-OCRv4 detection and recognition on RapidOCR's ONNX sessions.

RapidOCR's ``RapidOCR`` object scales every image *up* to a 736-pixel short side before
detecting (a 576-line frame becomes 736x981) and runs a direction classifier that
upright film text never needs; that is about 0.7 s a frame on one core. This module
drives RapidOCR's detector and recogniser itself instead: the detector looks at a
reduced copy of the picture (``detect_size`` pixels on the long side, which finds
subtitle-sized text at a quarter of the cost), and only the lines it finds are cut out
of the full-size picture and recognised. A picture without text costs one small
detector pass.

The reader is built once per worker process (:func:`reader`) and reused for every frame
and every subtitle of every video that worker handles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from deerin.models.backends import open_model
from deerin.models.device import cpu_threads, onnx_providers
from deerin.models.resolver import ModelChoice
from deerin.models.weights import ModelError
from deerin.settings import Settings

MULTIPLE = 32  # the detector's input sides must be multiples of this
TALL = 1.5  # a crop this many times taller than wide holds vertical text: turn it
SPACE_SCORE = 0.03  # space-class probability between two characters that marks a word gap


@dataclass(frozen=True)
class Line:
    """One line of text as read: the words, how sure the recogniser is, where it is.

    ``box`` is ``(x, y, w, h)`` in pixels of the picture that was read.
    """

    text: str
    confidence: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class OcrModels:
    """The ONNX files a reader needs; ``characters`` when the recogniser lacks its list."""

    name: str
    detector: Path
    recogniser: Path
    characters: Path | None = None


def ocr_models(chosen: ModelChoice) -> OcrModels:
    """The OCR model files of the resolved ``ocr`` model: the bundled PP-OCRv4 (checked by
    sha256) or the user's PP-OCR ONNX export (``*det*.onnx``, ``*rec*.onnx``, and the
    recogniser's character list as a ``.txt`` when it has none inside)."""
    detector, recogniser = chosen.part("detector"), chosen.part("recogniser")
    assert detector is not None and recogniser is not None, "the resolver checked both"
    name = "rapidocr PP-OCRv4" if chosen.bundled is not None else chosen.name
    return OcrModels(name, detector, recogniser, chosen.part("characters"))


class Reader:
    """PP-OCR text detection and recognition, loaded once and used for many pictures."""

    def __init__(self, models: OcrModels, cuda: bool, threads: int) -> None:
        defaults, TextDetector, TextRecognizer = _rapidocr()
        self.models = models
        session = {"use_cuda": cuda, "intra_op_num_threads": threads}
        # A "min" limit this small never rescales: the picture arrives already reduced.
        detector = {**defaults["Det"], **session, "limit_type": "min", "limit_side_len": MULTIPLE}
        # One line at a time on the CPU: a batch pads every line to the widest one.
        recogniser = {**defaults["Rec"], **session, "rec_batch_num": 8 if cuda else 1}
        detector["model_path"] = str(models.detector)
        recogniser["model_path"] = str(models.recogniser)
        if models.characters is not None:
            recogniser["rec_keys_path"] = str(models.characters)
        try:
            self._detector = TextDetector(detector)
            self._recogniser = TextRecognizer(recogniser)
            # RapidOCR's decoding drops most word spaces; ours keeps them (same call form).
            characters = self._recogniser.postprocess_op.character
            self._recogniser.postprocess_op = SpacedDecoder(characters)
        except Exception as exc:  # onnxruntime and RapidOCR raise many kinds here
            raise ModelError(
                f"the OCR model cannot be loaded ({exc})",
                path=models.detector.parent,
                hint="check the files, or set models.ocr = 'rapidocr'",
            ) from exc

    def read(self, image: np.ndarray, detect_size: int | None = None) -> list[Line]:
        """Every line of text in an RGB picture, top to bottom.

        ``detect_size`` is the long side the detector sees (None: the picture as it is).
        """
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        quads = self.find(bgr, detect_size)
        crops = [_crop(bgr, quad) for quad in quads]
        kept = [(quad, crop) for quad, crop in zip(quads, crops, strict=True) if crop.size]
        readings = self.recognise([crop for _, crop in kept])
        return [
            Line(text.strip(), score, _bounds(quad))
            for (quad, _), (text, score) in zip(kept, readings, strict=True)
            if text.strip()
        ]

    def find(self, bgr: np.ndarray, detect_size: int | None) -> list[np.ndarray]:
        """Quadrilaterals around text lines, in pixels of ``bgr``, top to bottom."""
        height, width = bgr.shape[:2]
        scale = 1.0
        if detect_size is not None and max(height, width) > detect_size:
            scale = detect_size / max(height, width)
            size = (max(MULTIPLE, round(width * scale)), max(MULTIPLE, round(height * scale)))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        quads, _ = self._detector(bgr)
        if quads is None or len(quads) == 0:
            return []
        found = [np.asarray(quad, dtype=np.float32) / scale for quad in quads]
        return sorted(found, key=lambda quad: (quad[:, 1].min(), quad[:, 0].min()))

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """The text on each one-line BGR crop, with the recogniser's mean confidence."""
        if not crops:
            return []
        readings, _ = self._recogniser(crops)
        return [(str(reading[0]), float(reading[1])) for reading in readings]


class SpacedDecoder:
    """CTC greedy decoding that keeps the word spaces the recogniser only half believes in.

    PP-OCRv4's recogniser learnt mostly from Chinese, where a line has no spaces. Between
    two Latin words it often lets the CTC blank win every time step of the gap, although
    it gives the space class a clear share there (a few hundredths up to most of the
    probability on rendered intertitles, against well under 0.01 between the letters of
    a word). Plain greedy decoding keeps only the winners and so joins the words:
    "THEARCHIVE", "NEWSFILM1962". This decoder keeps the winners too and adds a space
    between two characters wherever the space class reached :data:`SPACE_SCORE` in the
    steps between them (bench/ocr_accuracy.py: the error rate counting spaces is flat
    from 0.01 to 0.05; lower, words split; higher, gaps are missed). It costs no model
    time: it reads the same per-step probabilities as RapidOCR's ``CTCLabelDecode``,
    which it replaces.
    """

    def __init__(self, characters: list[str]) -> None:
        # RapidOCR's list: the CTC blank first, the space it appends last.
        self.characters = characters
        self.space = len(characters) - 1

    def __call__(self, preds: np.ndarray, *_: Any, **__: Any) -> list[tuple[str, float]]:
        """Text and mean character probability of each line of a [lines, steps, classes] batch."""
        return [self.line(steps) for steps in preds]

    def line(self, steps: np.ndarray) -> tuple[str, float]:
        """One line: each run of one winning class is a character; blanks separate runs."""
        best = steps.argmax(axis=1)
        starts = np.flatnonzero((best != 0) & np.r_[True, best[1:] != best[:-1]])
        if starts.size == 0:
            return "", 0.0
        text = self.characters[best[starts[0]]]
        for before, step in pairwise(starts):
            if self._gap(steps, best[before], best[step], before, step):
                text += " "
            text += self.characters[best[step]]
        return text, float(steps[starts, best[starts]].mean())

    def _gap(self, steps: np.ndarray, left: int, right: int, before: int, step: int) -> bool:
        """Whether a word space belongs between two characters the decoding kept."""
        if self.space in (left, right) or step - before < 2:
            return False
        return float(steps[before + 1 : step, self.space].max()) >= SPACE_SCORE


def reader(settings: Settings) -> Reader:
    """The worker's reader for these settings (loaded on first use, then reused)."""
    return open_model("ocr", settings)


def open_reader(chosen: ModelChoice, settings: Settings) -> Reader:
    """The OCR backend (onnxruntime): the resolved model, on CUDA when there is one."""
    cuda = "CUDAExecutionProvider" in onnx_providers(settings)
    return _load(ocr_models(chosen), cuda, cpu_threads(settings))


@cache
def _load(models: OcrModels, cuda: bool, threads: int) -> Reader:
    return Reader(models, cuda, threads)


@cache
def _rapidocr() -> tuple[dict[str, Any], type, type]:
    """RapidOCR's own settings (its config.yaml), detector class and recogniser class."""
    try:
        from rapidocr_onnxruntime.ch_ppocr_det import TextDetector
        from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
        from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
        from rapidocr_onnxruntime.utils import read_yaml
    except ImportError as exc:
        raise ModelError(
            "rapidocr-onnxruntime is not installed",
            hint="run scripts/setup.sh (it installs rapidocr-onnxruntime==1.4.4 with --no-deps)",
        ) from exc
    return read_yaml(DEFAULT_CFG_PATH), TextDetector, TextRecognizer


def _crop(bgr: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The line inside ``quad`` straightened into an upright rectangle (as PP-OCR does)."""
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    if width < 1 or height < 1:
        return np.empty((0, 0, 3), np.uint8)
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    crop = cv2.warpPerspective(
        bgr, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    return np.ascontiguousarray(np.rot90(crop)) if height >= TALL * width else crop


def _bounds(quad: np.ndarray) -> tuple[float, float, float, float]:
    left, top = quad.min(axis=0)
    right, bottom = quad.max(axis=0)
    return float(left), float(top), float(right - left), float(bottom - top)
