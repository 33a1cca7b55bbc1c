"""The faces stage: every face in the analysis frames, its identity vector, its appearances.

A face record says where the face is (box and landmarks as fractions of the frame, so
they hold at any display size), how sure the detector was, and how tall the face is
(what shot scale reads). Faces of consecutive analysis frames of one shot whose vectors
agree are linked into one *appearance*, the event an archivist searches for ("when is
someone on screen"), and the unit the people step clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import cv2
import numpy as np

from deerin.enrich.faces.detect import EMBEDDING_SIZE, DetectedFace, FaceModel, align, bgr
from deerin.enrich.frames import AnalysisFrame, analysis_frames, readable
from deerin.index.schemas import Faces, Shots
from deerin.models.backends import open_model
from deerin.models.resolver import choose
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput


@dataclass(frozen=True)
class Span:
    """Where a shot starts and ends, in seconds."""

    start: float
    end: float


class FacesStage(Stage):
    """Detect faces (YuNet), embed them (SFace), and link them into appearances."""

    name = "faces"
    version = "1"
    requires = ("frames", "shots")
    produces = (Faces.file, Faces.vectors)
    models = ("faces",)

    def params(self) -> dict[str, Any]:
        return {
            "faces_model": self.settings.models.faces,
            "faces_min_score": self.settings.faces.min_score,
            "faces_min_size": self.settings.faces.min_size,
            "faces_same_person": self.settings.faces.same_person,
        }

    @cached_property
    def model(self) -> FaceModel:
        """Loaded on first use, then kept for every video this worker handles."""
        return open_model("faces", self.settings)

    def run(self, ctx: StageContext) -> StageOutput:
        frames = analysis_frames(ctx)
        errors = ItemErrors()
        faces, embeddings = self._find(ctx, frames, errors)
        shots = {s.index: Span(s.start_time, s.end_time) for s in ctx.read(Shots).shots}
        events = appearances(faces, embeddings, frames, shots, self.settings.faces.same_person)
        model = self._description()
        ctx.write(
            Faces,
            {
                "video_id": ctx.video_id,
                "model": model,
                "faces": faces,
                "appearances": events,
                "errors": errors.items,
            },
        )
        np.save(ctx.staging / str(Faces.vectors), embeddings.astype(np.float32))
        return StageOutput(
            method=model,
            summary={"faces": len(faces), "appearances": len(events)},
            problem=errors.problem(len(frames)),
        )

    def _find(
        self, ctx: StageContext, frames: list[AnalysisFrame], errors: ItemErrors
    ) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Every face of every readable frame, with its identity vector (row for row).

        Faces of a batch of frames are embedded together: SFace runs a batch at once.
        """
        faces: list[dict[str, Any]] = []
        vectors = [np.zeros((0, EMBEDDING_SIZE), np.float32)]
        seen = 0
        for batch in readable(frames, errors):
            aligned = []
            for frame, image in batch:
                pixels = bgr(image)
                for n, face in enumerate(self.model.detect(image)):
                    faces.append(face_record(frame, n, face, image.size))
                    aligned.append(align(pixels, face))
            vectors.append(self.model.embed(aligned))
            seen += len(batch)
            ctx.report(seen / max(1, len(frames)))
        return faces, np.concatenate(vectors)

    def _description(self) -> dict[str, Any]:
        return {
            "name": choose("faces", self.settings).name,
            "backend": f"opencv-dnn {cv2.__version__}",
            "detector": self.model.detector_file.name,
            "embedder": self.model.embedder_file.name,
        }


def face_record(
    frame: AnalysisFrame, n: int, face: DetectedFace, size: tuple[int, int]
) -> dict[str, Any]:
    """One face as faces.json stores it: geometry as fractions of the frame.

    The box is the detector's own: a face cut by the frame edge reaches past 0 or 1,
    which keeps its true height for shot scale.
    """
    width, height = size
    x, y, w, h = face.box
    return {
        "id": f"{frame.index}-{n}",
        "frame": frame.index,
        "time": frame.time,
        "shot": frame.shot,
        "box": [
            round(x / width, 4),
            round(y / height, 4),
            round(w / width, 4),
            round(h / height, 4),
        ],
        "landmarks": [[round(px / width, 4), round(py / height, 4)] for px, py in face.landmarks],
        "score": round(face.score, 4),
        "height": round(h / height, 4),
    }


def appearances(
    faces: list[dict[str, Any]],
    embeddings: np.ndarray,
    frames: list[AnalysisFrame],
    shots: dict[int, Span],
    threshold: float,
) -> list[dict[str, Any]]:
    """Link faces of consecutive analysis frames of one shot into appearance events.

    A face continues a chain from the previous frame when their vectors' cosine
    similarity reaches ``threshold`` (best pairs first, one to one). An appearance runs
    from its first frame (or its shot's start, when no earlier frame of the shot was
    looked at) to the next frame that no longer shows it (or its shot's end): the
    analysis frames only say the face was there at their instants.
    """
    by_frame: dict[int, list[int]] = {}
    for row, face in enumerate(faces):
        by_frame.setdefault(face["frame"], []).append(row)
    ordered = sorted(frames, key=lambda f: f.time)
    chains: list[list[int]] = []
    open_chains: list[list[int]] = []
    for at, frame in enumerate(ordered):
        same_shot = at > 0 and ordered[at - 1].shot == frame.shot
        current = by_frame.get(frame.index, [])
        open_chains = _continue(open_chains if same_shot else [], current, embeddings, threshold)
        chains += [chain for chain in open_chains if len(chain) == 1 and chain[0] in current]
    position = {frame.index: at for at, frame in enumerate(ordered)}
    return [_event(chain, faces, ordered, position, shots) for chain in chains]


def _continue(
    chains: list[list[int]], current: list[int], embeddings: np.ndarray, threshold: float
) -> list[list[int]]:
    """Append this frame's faces to the open chains they match; the rest start new ones."""
    pairs = sorted(
        (
            (float(embeddings[row] @ embeddings[chain[-1]]), c, row)
            for c, chain in enumerate(chains)
            for row in current
        ),
        reverse=True,
    )
    taken_chains: set[int] = set()
    placed: set[int] = set()
    continued = []
    for similarity, c, row in pairs:
        if similarity < threshold:
            break
        if c in taken_chains or row in placed:
            continue
        chains[c].append(row)
        taken_chains.add(c)
        placed.add(row)
        continued.append(chains[c])
    return continued + [[row] for row in current if row not in placed]


def _event(
    chain: list[int],
    faces: list[dict[str, Any]],
    ordered: list[AnalysisFrame],
    position: dict[int, int],
    shots: dict[int, Span],
) -> dict[str, Any]:
    first = position[faces[chain[0]]["frame"]]
    last = position[faces[chain[-1]]["frame"]]
    shot = ordered[first].shot
    span = shots.get(shot, Span(ordered[first].time, ordered[last].time))
    earlier_in_shot = first > 0 and ordered[first - 1].shot == shot
    later_in_shot = last + 1 < len(ordered) and ordered[last + 1].shot == shot
    start = ordered[first].time if earlier_in_shot else min(span.start, ordered[first].time)
    end = ordered[last + 1].time if later_in_shot else max(span.end, ordered[last].time)
    return {
        "start": round(start, 4),
        "end": round(end, 4),
        "kind": "face",
        "text": "face",
        "faces": [faces[row]["id"] for row in chain],
    }
