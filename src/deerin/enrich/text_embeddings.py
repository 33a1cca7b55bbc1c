"""The text embeddings stage: a vector for everything said and read, for semantic search.

Each transcript segment, subtitle cue, on-screen text event and model caption becomes
one row of ``text_embeddings.json`` and the same row of ``text_embeddings.npy``
(float32, unit length, so a dot product is the cosine similarity). Search embeds its
queries with :func:`embed_queries`, the same model, so queries and rows compare.

The default model is the bundled all-MiniLM-L6-v2 (384 dimensions, English, fast on a
CPU); ``models.text_embeddings`` may name another sentence-transformers model by folder,
or by hub name once it is in the local Hugging Face cache (nothing is downloaded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from deerin.enrich.entities.texts import gather
from deerin.index.schemas import TextEmbeddings
from deerin.models.backends import open_model
from deerin.models.device import share_torch_cores, torch_device
from deerin.models.resolver import ModelChoice, folder_of, quiet_transformers
from deerin.models.weights import ModelError
from deerin.plugins.stage import Stage, StageContext, StageOutput
from deerin.settings import Settings

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
    return open_model("text_embeddings", settings)


def open_sentence_transformer(chosen: ModelChoice, settings: Settings) -> TextEmbedder:
    """The text embeddings backend (sentence-transformers): the resolved model's folder."""
    share_torch_cores(settings)
    return TextEmbedder(
        chosen.name, _load(str(folder_of(chosen, settings)), torch_device(settings))
    )


def embed_queries(texts: Sequence[str], settings: Settings) -> np.ndarray:
    """Search queries as unit-length rows comparable with ``text_embeddings.npy``."""
    return text_embedder(settings).embed(texts)


class TextEmbeddingsStage(Stage):
    """Embed every transcript segment, subtitle cue, on-screen text and model caption."""

    name = "text_embeddings"
    version = "2"  # 2: transcript words joined with their spaces
    requires = ("probe",)
    optional = ("transcript", "subtitles", "text", "captions")
    produces = (TextEmbeddings.file, TextEmbeddings.vectors)
    models = ("text_embeddings",)

    def params(self) -> dict[str, Any]:
        return {"model": self.settings.models.text_embeddings}

    def run(self, ctx: StageContext) -> StageOutput:
        embedder = text_embedder(self.settings)
        items, layers = gather(ctx)
        rows = [
            {"source": i.source, "start": i.start, "end": i.end, "text": " ".join(i.text.split())}
            for i in items
        ]
        vectors = embedder.embed([row["text"] for row in rows])
        model = {"name": embedder.name, "backend": "sentence-transformers"}
        ctx.write(
            TextEmbeddings,
            {"video_id": ctx.video_id, "model": model, "dim": embedder.dim, "rows": rows},
        )
        np.save(ctx.staging / str(TextEmbeddings.vectors), vectors)
        return StageOutput(
            method={**model, "dim": embedder.dim},
            summary={"rows": len(rows), "from": layers},
        )


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
            hint="set models.text_embeddings to all-minilm-l6-v2 or a sentence-transformers model",
        ) from exc
