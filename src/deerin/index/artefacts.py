"""The one reader and writer of artefacts: every file a stage writes, typed by its schema.

Search, the web app, maps, exports and every later module read what enrichment wrote
through :func:`read` (and :func:`vectors` for the embeddings beside some artefacts), never
by string keys into raw JSON, so a change of format is made in one place: the artefact's
schema (``deerin.index.schemas``). Each schema names its file, the stage that writes it
and its ``schema_version``. A file written before versions were recorded, or by an older
version, is brought up to date by the schema's upgrades; one that still does not fit,
or that a newer DEERIn wrote, is a clear error naming the ``--redo`` that rewrites it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from deerin.errors import DeerinError
from deerin.index.store import atomic_write_json

A = TypeVar("A", bound="Artefact")
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


class Record(BaseModel):
    """A part of an artefact: the fields are the format; an unknown key is refused."""

    model_config = ConfigDict(extra="forbid")


class Artefact(Record):
    """A file a stage (or a collection step) writes, with its schema version.

    ``upgrades[n]`` turns a document of version ``n`` into version ``n + 1``; version 0
    means "written before schema versions were recorded", whose shape is version 1's.
    """

    file: ClassVar[str]  # its name in the video's (or the collection's) folder
    stage: ClassVar[str]  # the stage or collection step that writes it
    version: ClassVar[int] = 1
    upgrades: ClassVar[dict[int, Upgrade]] = {0: lambda document: document}
    vectors: ClassVar[str | None] = None  # a .npy beside it, one row per entry (see vector_rows())

    schema_version: int = Field(description="The version of this file's format.")

    @model_validator(mode="before")
    @classmethod
    def _current_version(cls, data: Any) -> Any:
        """A document built in code is of the current version (files say theirs)."""
        if isinstance(data, dict) and "schema_version" not in data:
            return {"schema_version": cls.version, **data}
        return data

    def vector_rows(self) -> int:
        """How many rows its vectors file has (artefacts with vectors say what they count)."""
        raise NotImplementedError(f"{type(self).__name__} has no vectors")


class ArtefactError(DeerinError):
    """An artefact is missing, cannot be read, or was written by another version."""


def redo_hint(schema: type[Artefact]) -> str:
    """What rewrites an artefact: the stage (or collection step) that made it, again."""
    return f"run `deerin ingest` on it again with --redo {schema.stage}"


def read(folder: Any, schema: type[A]) -> A:
    """The artefact ``schema`` in ``folder`` (anything with ``path(name)``), typed.

    Raises :class:`ArtefactError` naming the file and the fix when it is missing,
    damaged, or of a version this DEERIn cannot read.
    """
    path = folder.path(schema.file)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtefactError(
            f"has no {schema.file} (the {schema.stage} output)",
            path=path.parent,
            hint=f"run `deerin ingest` on it, with the {schema.stage} stage",
        ) from None
    except (OSError, ValueError) as exc:
        raise ArtefactError(f"cannot be read ({exc})", path=path, hint=redo_hint(schema)) from exc
    return parse(document, schema, path)


def read_if_there(folder: Any, schema: type[A]) -> A | None:
    """The artefact, or None where its stage did not run (a layer a page or a statistic
    can do without)."""
    return read(folder, schema) if folder.path(schema.file).exists() else None


def parse(document: Any, schema: type[A], path: Path | str = "") -> A:
    """A JSON document as artefact ``schema``, upgraded from an older version if needed."""
    if not isinstance(document, dict):
        raise ArtefactError(f"is not a {schema.file} document", path=path, hint=redo_hint(schema))
    found = document.get("schema_version", 0)
    if type(found) is not int or found < 0:
        raise ArtefactError(
            f"has no valid schema_version ({found!r})", path=path, hint=redo_hint(schema)
        )
    if found > schema.version:
        raise ArtefactError(
            f"was written by a newer DEERIn (schema version {found}; this one reads "
            f"{schema.version})",
            path=path,
            hint=f"upgrade DEERIn, or {redo_hint(schema)} to rewrite it",
        )
    for version in range(found, schema.version):
        if version not in schema.upgrades:
            raise ArtefactError(
                f"was written by an older DEERIn (schema version {version}), which this one "
                "cannot read",
                path=path,
                hint=redo_hint(schema),
            )
        document = schema.upgrades[version](dict(document))
    document = {**document, "schema_version": schema.version}
    try:
        return schema.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the document"
        written = "an older DEERIn" if found < schema.version else "this version"
        raise ArtefactError(
            f"was written by {written} and does not fit schema {schema.__name__} "
            f"v{schema.version} ({where}: {error['msg']})",
            path=path,
            hint=redo_hint(schema),
        ) from None


def write(path: Path, document: Artefact | dict[str, Any], schema: type[A]) -> A:
    """Check ``document`` against ``schema`` and write it atomically at ``path``.

    Only the keys a stage set are written (``exclude_unset``), so the file says what the
    stage found and nothing it did not.
    """
    if isinstance(document, BaseModel):
        document = document.model_dump(exclude_unset=True)
    try:
        checked = schema.model_validate({"schema_version": schema.version, **document})
    except ValidationError as exc:  # a stage wrote what its schema does not allow: a bug
        raise TypeError(f"{schema.__name__} does not accept this document: {exc}") from exc
    atomic_write_json(path, checked.model_dump(mode="json", exclude_unset=True))
    return checked


def vectors(folder: Any, schema: type[A], document: A) -> np.ndarray:
    """The vectors file beside an artefact, checked to have one row per entry."""
    if schema.vectors is None:
        raise TypeError(f"{schema.__name__} has no vectors file")
    path = folder.path(schema.vectors)
    try:
        matrix = np.load(path)
    except (OSError, ValueError) as exc:
        raise ArtefactError(f"cannot be read ({exc})", path=path, hint=redo_hint(schema)) from exc
    if len(matrix) != document.vector_rows():
        raise ArtefactError(
            f"has {len(matrix)} rows but {schema.file} lists {document.vector_rows()}",
            path=path,
            hint=redo_hint(schema),
        )
    return matrix
