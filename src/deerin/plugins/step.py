"""The collection step interface: work that needs every video of a collection at once.

People (faces clustered across films) and near-duplicates (copies among reels) cannot
be decided one video at a time. After the per-video stages finish, ingest runs each
step once over the collection (:mod:`deerin.pipeline.collection`). A step's results and
its provenance manifest live in the collection's folder (``CollectionFolder``); a step
whose inputs have not changed since its last run is skipped.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from deerin.index import artefacts
from deerin.index.artefacts import Artefact
from deerin.index.catalogue import VideoRow
from deerin.index.store import VideoFolder
from deerin.plugins.stage import StageOutput
from deerin.settings import Settings

A = TypeVar("A", bound=Artefact)


@dataclass
class CollectionContext:
    """What a collection step may read and where it writes."""

    collection: str
    settings: Settings
    videos: list[VideoRow]
    folder: Path  # the collection's own folder (see CollectionFolder)
    say: Callable[[str], None] = field(default=lambda _: None)  # progress, for long steps

    def path(self, name: str) -> Path:
        return self.folder / name

    def video_folder(self, video_id: str) -> VideoFolder:
        return VideoFolder.for_video(self.settings.data_dir, video_id)

    def finished(self, stage: str) -> list[VideoRow]:
        """The member videos whose ``stage`` output is published."""
        return [v for v in self.videos if self.video_folder(v.id).read_manifest(stage)]

    def read(self, schema: type[A]) -> A:
        """One of the collection's own artefacts (people, duplicates, decisions)."""
        return artefacts.read(self, schema)

    def write(self, schema: type[A], document: A | dict[str, Any]) -> A:
        """Check a collection artefact against its schema and write it atomically."""
        return artefacts.write(self.path(schema.file), document, schema)


class CollectionStep(ABC):
    """One kind of collection-wide work. Subclasses set the attributes and ``run``."""

    name: ClassVar[str]
    version: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()  # per-video stages whose outputs it reads
    optional: ClassVar[tuple[str, ...]] = ()  # read where they ran; skipping them is no block

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def params(self) -> dict[str, Any]:
        """The settings that change this step's output."""
        return {}

    def fingerprint(self, ctx: CollectionContext) -> str:
        """Version, parameters and the fingerprints of every upstream output it reads."""
        upstream = {
            f"{video.id}/{stage}": (ctx.video_folder(video.id).read_manifest(stage) or {}).get(
                "fingerprint", ""
            )
            for video in ctx.videos
            for stage in self.requires + self.optional
        }
        basis = {"version": self.version, "params": self.params(), "upstream": upstream}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]

    @abstractmethod
    def run(self, ctx: CollectionContext) -> StageOutput:
        """Do the work, writing results under ``ctx.folder`` atomically."""
