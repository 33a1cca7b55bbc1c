"""The tags stage: ImageNet tags and an embedding for every analysis frame.

Reads the frames stage's stills in batches, runs the configured back end once per
batch, and writes ``tags.json`` (the top five labels of each frame) beside
``embeddings.npy`` (one unit-length float32 row per entry of ``tags.json``'s
``frames``, in the same order, for search and maps). A damaged still is recorded in
``errors`` and left out of both, so rows and entries always line up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deerin.enrich.frames import analysis_frames, readable
from deerin.enrich.tags.backend import TOP_K, TagBackend
from deerin.index.schemas import Tags
from deerin.models.backends import open_model
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput
from deerin.settings import Settings


class TagsStage(Stage):
    """Tag and embed the analysis frames with the ``models.tags`` back end."""

    name = "tags"
    version = "1"
    requires = ("frames",)
    produces = (Tags.file, Tags.vectors)
    models = ("tags",)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._backend: TagBackend | None = None

    def params(self) -> dict[str, Any]:
        return {"model": self.settings.models.tags}

    def backend(self) -> TagBackend:
        """The model, loaded on first use and kept for every later video in this worker."""
        if self._backend is None:
            self._backend = open_model("tags", self.settings)
        return self._backend

    def run(self, ctx: StageContext) -> StageOutput:
        backend = self.backend()
        frames = analysis_frames(ctx)
        errors = ItemErrors()
        entries: list[dict[str, Any]] = []
        rows: list[np.ndarray] = []
        for batch in readable(frames, errors, batch=backend.batch):
            embeddings, tags = backend.analyse([image for _, image in batch], TOP_K)
            rows.append(embeddings)
            for (frame, _), labels in zip(batch, tags, strict=True):
                entries.append(
                    {
                        "frame": frame.index,
                        "time": frame.time,
                        "shot": frame.shot,
                        "tags": [{"label": label, "score": score} for label, score in labels],
                    }
                )
            ctx.report((len(entries) + len(errors.items)) / len(frames))
        matrix = np.concatenate(rows) if rows else np.zeros((0, backend.dim), np.float32)
        np.save(ctx.staging / str(Tags.vectors), matrix.astype(np.float32, copy=False))
        model = {"name": backend.name, "backend": backend.kind}
        ctx.write(
            Tags,
            {
                "video_id": ctx.video_id,
                "model": model,
                "dim": backend.dim,
                "frames": entries,
                "errors": errors.items,
            },
        )
        return StageOutput(
            method={**model, "weights": backend.weights},
            summary={"frames": len(entries)},
            problem=errors.problem(len(frames)),
        )
