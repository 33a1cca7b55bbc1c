"""The text embeddings stage: a vector for everything said and read, for semantic search.

Each transcript segment, subtitle cue, on-screen text event and model caption becomes
one row of ``text_embeddings.json`` and the same row of ``text_embeddings.npy``
(float32, unit length, so a dot product is the cosine similarity). Search embeds its
queries with :func:`embed_queries`, the same model, so queries and rows compare.

The default model is the bundled all-MiniLM-L6-v2 (384 dimensions, English, fast on a
CPU); ``text_embedding_model`` may name another sentence-transformers model by folder,
or by hub name once it is in the local Hugging Face cache (nothing is downloaded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from deerin.enrich.entities.texts import gather
from deerin.index.artefacts import atomic_write_json
from deerin.models.device import share_torch_cores, torch_device
from deerin.models.registry import BUNDLED, bundled_model, hub_cache, quiet_transformers
from deerin.models.weights import ModelError
from deerin.pipeline.stage import Stage, StageContext, StageOutput
from deerin.settings import Settings

EMBEDDINGS = "text_embeddings.npy"
BATCH = 64  # texts per forward pass: short texts, so a large batch stays in the cache


@dataclass(frozen=True)
class TextEmbedder:
    """A loaded sentence-transformers model and the name to record for it."""

    name: str
    model: Any

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text; (0, dim) for no texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


def text_embedder(settings: Settings) -> TextEmbedder:
    """The configured model, loaded once per worker on this worker's share of the cores."""
    share_torch_cores(settings)
    location, name = _locate(settings.text_embedding_model)
    return TextEmbedder(name, _load(location, torch_device(settings)))


def embed_queries(texts: Sequence[str], settings: Settings) -> np.ndarray:
    """Search queries as unit-length rows comparable with ``text_embeddings.npy``."""
    return text_embedder(settings).embed(texts)


class TextEmbeddingsStage(Stage):
    """Embed every transcript segment, subtitle cue, on-screen text and model caption."""

    name = "text_embeddings"
    version = "1"
    requires = ("probe",)
    optional = ("transcript", "subtitles", "text", "captions")
    produces = ("text_embeddings.json", EMBEDDINGS)

    def params(self) -> dict[str, Any]:
        return {"model": self.settings.text_embedding_model}

    def run(self, ctx: StageContext) -> StageOutput:
        embedder = text_embedder(self.settings)
        items, layers = gather(ctx)
        rows = [
            {"source": i.source, "start": i.start, "end": i.end, "text": " ".join(i.text.split())}
            for i in items
        ]
        vectors = embedder.embed([row["text"] for row in rows])
        model = {"name": embedder.name, "backend": "sentence-transformers"}
        atomic_write_json(
            ctx.staging / "text_embeddings.json",
            {"video_id": ctx.video_id, "model": model, "dim": embedder.dim, "rows": rows},
        )
        np.save(ctx.staging / EMBEDDINGS, vectors)
        return StageOutput(
            method={**model, "dim": embedder.dim},
            summary={"rows": len(rows), "from": layers},
        )


def _locate(value: str) -> tuple[str, str]:
    """Where to load ``text_embedding_model`` from, and its name; raises ModelError."""
    if value in BUNDLED and BUNDLED[value].capability == "text_embeddings":
        return str(bundled_model(value).files[0].verified().parent), value
    path = Path(value).expanduser()
    if path.is_dir():
        return str(path), path.name
    if hub_cache(value) is None:
        raise ModelError(
            f"text embedding model {value!r} is neither a folder here nor in the local "
            "Hugging Face cache (DEERIn downloads nothing while it runs)",
            hint="set text_embedding_model to all-minilm-l6-v2, a sentence-transformers "
            "folder, or a hub name downloaded beforehand with `hf download`",
        )
    return value, value


@cache
def _load(location: str, device: str) -> Any:
    """The sentence-transformers model, once per process; only files already here."""
    from sentence_transformers import SentenceTransformer

    quiet_transformers()
    try:
        return SentenceTransformer(location, device=device, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(
            f"text embedding model {location!r} cannot be loaded ({exc})",
            hint="set text_embedding_model to all-minilm-l6-v2 or a sentence-transformers model",
        ) from exc
