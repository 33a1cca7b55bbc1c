"""Queries that are pictures, or that must reach pictures: vectors in the image space.

* A picture (a photograph, a frame grab): the tags model embeds it like every frame.
* Words, with a CLIP or SigLIP model configured: the model embeds the text into the
  image space itself.
* Words, offline with the bundled ImageNet classifier, which reads no text: a bridge.
  The query's nearest ImageNet labels by text embedding stand for it, and those labels'
  directions in the image space (the classifier's weight rows) are averaged, weighted
  by how near each label is. The method names the labels, so a user sees why.
* A photo of a face: the faces model finds the largest face and embeds it with SFace.

A query picture is checked before it is decoded: what is not a picture, or is larger
than ``search.max_image_pixels``, is refused with a clear message.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from deerin.enrich.faces.detect import align, bgr
from deerin.index.search_index import LABELS, SearchIndex
from deerin.models.backends import open_model
from deerin.models.weights import ModelError
from deerin.retrieve.query import QueryError
from deerin.settings import Settings

SHARPNESS = 20.0  # softmax temperature over label similarities (cosines lie close together)


@dataclass(frozen=True)
class ImageVector:
    """A vector in the image space, and how it was made (shown with every hit)."""

    vector: np.ndarray
    method: str


def open_picture(source: Path | bytes, settings: Settings, what: str = "picture") -> Image.Image:
    """A query picture, decoded only once its header says it is a picture of sane size."""
    name = source if isinstance(source, Path) else what
    try:
        handle = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    except OSError as exc:
        raise QueryError(
            f"cannot be read ({exc.strerror})", path=name, hint="check the path"
        ) from exc
    too_large = QueryError(
        f"is larger than the {settings.search.max_image_pixels:,} pixels accepted",
        path=name,
        hint="scale it down (a frame grab of a few megapixels is plenty)",
    )
    with handle:
        try:
            image = Image.open(handle)
            if image.width * image.height > settings.search.max_image_pixels:
                raise too_large
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise QueryError(
                "is not a picture DEERIn can read",
                path=name,
                hint="give a JPEG, PNG or WebP image",
            ) from exc
        except Image.DecompressionBombError as exc:  # Pillow's own, larger limit
            raise too_large from exc
    return image.convert("RGB")


def picture_vector(image: Image.Image, settings: Settings) -> ImageVector:
    """A picture in the image space of the collection's shots."""
    model = open_model("tags", settings)
    return ImageVector(model.embed([image])[0], f"picture ({model.name} embedding)")


def words_to_picture(text: str, index: SearchIndex, settings: Settings) -> ImageVector:
    """Words in the image space: by the model itself (CLIP), else through the labels."""
    model = open_model("tags", settings)
    try:
        return ImageVector(model.embed_text([text])[0], f"text to picture ({model.name})")
    except ModelError:
        return _bridge(text, index, settings)


def _bridge(text: str, index: SearchIndex, settings: Settings) -> ImageVector:
    labels = _labels(index)
    if labels is None:
        raise QueryError(
            "this index has no picture labels, so words cannot reach pictures",
            hint="run `deerin index --rebuild`, or configure a CLIP model as models.tags",
        )
    names, text_vectors, image_vectors = labels
    query = open_model("text_embeddings", settings).embed([text])[0]
    similarity = text_vectors @ query
    best = np.argsort(-similarity)[: settings.search.bridge_labels]
    weights = np.exp(SHARPNESS * (similarity[best] - similarity[best].max()))
    vector = (weights[:, None] * image_vectors[best]).sum(axis=0)
    vector /= np.linalg.norm(vector) or 1.0
    chosen = ", ".join(f"'{names[i]}'" for i in best)
    return ImageVector(vector.astype(np.float32), f"text to picture (ImageNet bridge: {chosen})")


def _labels(index: SearchIndex) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    table = index.table(LABELS)
    if table is None:
        return None
    model = table.search().limit(1).select(["model"]).to_list()[0]["model"]
    return _read_labels(index.uri, table.version, model)


@cache
def _read_labels(uri: str, version: int, model: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The labels table, once per process, version and image model (1,000 rows, whole)."""
    import lancedb

    table = lancedb.connect(uri).open_table(LABELS).to_arrow()
    return (
        table["label"].to_pylist(),
        _matrix(table["text_vector"]),
        _matrix(table["image_vector"]),
    )


def _matrix(column: Any) -> np.ndarray:
    chunks = column.combine_chunks()
    return chunks.values.to_numpy().reshape(len(chunks), -1).astype(np.float32)


def face_vector(image: Image.Image, settings: Settings, name: str) -> ImageVector:
    """The largest face of a photo, as an SFace vector."""
    model = open_model("faces", settings)
    faces = model.detect(image)
    if not faces:
        raise QueryError(
            "shows no face the faces model can find",
            path=name,
            hint="use a photo where the face is frontal and at least 40 pixels tall",
        )
    vector = model.embed([align(bgr(image), faces[0])])[0]
    return ImageVector(vector, "face (SFace)")
