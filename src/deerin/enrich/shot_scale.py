"""The shot scale stage: how close the camera is, per shot (ECS, CS, MS, FS, LS).

No shot-scale classifier's weights can ship offline, so the embedded default reads the
faces stage: the taller the largest face is in the frame, the closer the shot. A face
about a fifth of the frame height is a medium shot (waist up: the body below the chin
is some four face-heights more); a face a twelfth of it a full figure. A shot in which
no face was found gets no scale rather than a guess: landscapes, objects and backs of
heads carry no size cue this rule could read honestly. Where a user has an image
classifier whose labels are ECS, CS, MS, FS and LS (a local folder or a downloaded hub
model, set as ``models.shot_scale``), it classifies each shot's middle frame instead.
"""

from __future__ import annotations

import math
import statistics
from functools import cached_property
from typing import Any

from deerin.enrich.frames import AnalysisFrame, analysis_frames, load_image
from deerin.errors import DeerinError
from deerin.index.schemas import Face, Faces, Shot, Shots, ShotScale
from deerin.models.backends import open_model
from deerin.models.device import torch_device
from deerin.models.resolver import ModelChoice, choose, quiet_transformers
from deerin.models.weights import ModelError
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput
from deerin.settings import Settings

SCALES = ("ECS", "CS", "MS", "FS", "LS")
# The smallest largest-face height (fraction of frame height) for each scale, closest
# first; below the last bound a shot is LS. Geometry: YuNet's box runs from brows to
# chin, about 0.7 of the head, and an adult is about 7.5 heads tall.
BOUNDS = (("ECS", 0.55), ("CS", 0.28), ("MS", 0.13), ("FS", 0.06))
SURE_MARGIN = 0.5  # log2 units from the nearest bound at which the rule is most sure
BATCH = 16


class ShotScaleStage(Stage):
    """Label each shot's scale from its faces, or with a configured image classifier."""

    name = "shot_scale"
    version = "1"
    requires = ("shots", "frames", "faces")
    produces = (ShotScale.file,)
    models = ("shot_scale",)

    def params(self) -> dict[str, Any]:
        return {"shot_scale_model": self.settings.models.shot_scale}

    @cached_property
    def classifier(self) -> ScaleClassifier:
        """Loaded on first use, then kept for every video this worker handles."""
        return open_model("shot_scale", self.settings)

    def run(self, ctx: StageContext) -> StageOutput:
        shots = ctx.read(Shots).shots
        frames = analysis_frames(ctx)
        picked = choose("shot_scale", self.settings)
        errors = ItemErrors()
        if picked.kind == "rules":
            rows = by_face_size(shots, frames, ctx.read(Faces).faces)
            model = {"name": picked.name, "kind": "rules"}
        else:
            rows = self.classifier.label(shots, frames, errors)
            model = {"name": picked.name, "kind": "classifier"}
        ctx.write(
            ShotScale,
            {"video_id": ctx.video_id, "model": model, "shots": rows, "errors": errors.items},
        )
        labelled = sum(row["scale"] is not None for row in rows)
        return StageOutput(
            method=model,
            summary={"shots": len(rows), "labelled": labelled},
            problem=errors.problem(len(rows), "shots"),
        )


def by_face_size(
    shots: list[Shot], frames: list[AnalysisFrame], faces: list[Face]
) -> list[dict[str, Any]]:
    """The face-size rule for every shot, each looking only at its own frames and faces."""
    frames_of: dict[int, list[AnalysisFrame]] = {}
    for frame in frames:
        frames_of.setdefault(frame.shot, []).append(frame)
    faces_of: dict[int, list[Face]] = {}
    for face in faces:
        faces_of.setdefault(face.shot, []).append(face)
    return [
        from_faces(shot, frames_of.get(shot.index, []), faces_of.get(shot.index, []))
        for shot in shots
    ]


def from_faces(shot: Shot, frames: list[AnalysisFrame], faces: list[Face]) -> dict[str, Any]:
    """The face-size rule for one shot: the median, over its analysis frames with a
    face, of the largest face's height decides; frames without one lower the confidence.
    """
    mine = [f.index for f in frames if f.shot == shot.index]
    tallest: dict[int, float] = {}
    for face in faces:
        if face.shot == shot.index:
            tallest[face.frame] = max(tallest.get(face.frame, 0.0), face.height)
    if not tallest:
        basis = f"no face in {len(mine)} analysis frame(s)" if mine else "no analysis frame"
        return _row(shot, None, 0.0, basis)
    height = statistics.median(tallest.values())
    scale, confidence = scale_for_height(height)
    coverage = len(tallest) / max(len(mine), len(tallest))
    basis = (
        f"largest face {height:.0%} of frame height "
        f"(median over {len(tallest)} of {len(mine)} analysis frames with a face)"
    )
    return _row(shot, scale, confidence * (0.5 + 0.5 * coverage), basis)


def scale_for_height(height: float) -> tuple[str, float]:
    """The scale for a face height fraction and how far it sits from a class boundary.

    Confidence runs from 0.5 on a boundary to 0.9 at SURE_MARGIN (log2 units) or more
    from the nearest one: a face 1.4 times a bound's height (or 0.7 times) is as sure
    as the rule gets, since the proportions of people and framings vary that much.
    """
    scale = next((name for name, bound in BOUNDS if height >= bound), "LS")
    margin = min(abs(math.log2(max(height, 1e-6) / bound)) for _, bound in BOUNDS)
    return scale, 0.5 + 0.4 * min(1.0, margin / SURE_MARGIN)


def _row(shot: Shot, scale: str | None, confidence: float, basis: str) -> dict:
    return {
        "index": shot.index,
        "start": shot.start_time,
        "end": shot.end_time,
        "scale": scale,
        "confidence": round(confidence, 3),
        "basis": basis,
    }


class ScaleClassifier:
    """A transformers image classifier whose labels are the five scales."""

    def __init__(self, picked: ModelChoice, settings: Settings) -> None:
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        quiet_transformers()
        self.name = picked.name
        self.device = torch_device(settings)
        try:
            self.processor = AutoImageProcessor.from_pretrained(picked.path, local_files_only=True)
            model = AutoModelForImageClassification.from_pretrained(
                picked.path, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot load an image classifier ({exc})",
                path=picked.location,
                hint="models.shot_scale must be a transformers image classifier with a "
                "preprocessor_config.json",
            ) from exc
        self.model = model.eval().to(self.device)
        self.labels = [
            str(model.config.id2label[i]).upper() for i in range(model.config.num_labels)
        ]
        if not set(self.labels) <= set(SCALES):
            raise ModelError(
                f"the classifier's labels {self.labels} are not shot scales",
                path=picked.location,
                hint=f"use a model whose labels are {', '.join(SCALES)}",
            )

    def label(
        self, shots: list[Shot], frames: list[AnalysisFrame], errors: ItemErrors
    ) -> list[dict[str, Any]]:
        """Classify every shot's middle analysis frame (its first one when none is marked)."""
        chosen = {}
        for frame in sorted(frames, key=lambda f: (f.kind != "middle", f.time)):
            chosen.setdefault(frame.shot, frame)
        rows = {s.index: _row(s, None, 0.0, "no analysis frame") for s in shots}
        pending = [(s, chosen[s.index]) for s in shots if s.index in chosen]
        for start in range(0, len(pending), BATCH):
            images = []
            for shot, frame in pending[start : start + BATCH]:
                try:
                    images.append((shot, load_image(frame)))
                except DeerinError as exc:
                    errors.record(exc.message, frame=frame.index, time=frame.time)
                    rows[shot.index] = _row(shot, None, 0.0, "analysis frame unreadable")
            for (shot, _), (scale, score) in zip(images, self._classify(images), strict=True):
                rows[shot.index] = _row(shot, scale, score, f"{self.name} on the middle frame")
        return [rows[s.index] for s in shots]

    def _classify(self, images: list) -> list[tuple[str, float]]:
        if not images:
            return []
        import torch

        inputs = self.processor(images=[image for _, image in images], return_tensors="pt")
        with torch.inference_mode():
            logits = self.model(**inputs.to(self.device)).logits
        probabilities = logits.softmax(dim=-1).cpu()
        best = probabilities.argmax(dim=-1)
        return [
            (self.labels[int(i)], float(p[i])) for i, p in zip(best, probabilities, strict=True)
        ]
