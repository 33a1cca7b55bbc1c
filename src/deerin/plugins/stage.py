"""The stage interface: what a unit of per-video work declares and returns.

A stage declares its name, version, the stages it reads from (``requires``, and
``optional`` ones read only where they ran), the files it produces and its parameters.
The pipeline checks these declarations when it builds its graph, orders the stages by
them, decides from them whether a stage is already done (same version, parameters and
upstream results) and writes them into each output's provenance. Stages write only into
the staging folder they are given; the runner publishes. Every stage may read the probe
(what the file is); any other artefact it reads must be declared, which
:meth:`StageContext.read` enforces.

This module is plumbing: it imports nothing from the orchestrator (``deerin.pipeline``),
so a stage, wherever it lives, depends only on this contract.
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
from deerin.index.schemas import MediaInfo, Probe
from deerin.index.store import VideoFolder
from deerin.settings import Settings

A = TypeVar("A", bound=Artefact)
PROBE = "probe"  # the first stage of every video; every other stage may read it


@dataclass
class StageContext:
    """Everything a stage may touch while it runs on one video."""

    video_id: str
    source: Path
    folder: VideoFolder
    staging: Path
    settings: Settings
    report: Callable[[float], None] = lambda fraction: None
    # The stages this one declared it reads; the runner always sets them (None, in a
    # context made by hand for a test or a benchmark, leaves reads unchecked).
    reads: frozenset[str] | None = None

    def media_info(self) -> MediaInfo:
        """The probe result (the probe stage runs first for every video)."""
        return artefacts.read(self.folder, Probe).media

    def read(self, schema: type[A]) -> A:
        """An artefact an upstream stage published; only from a stage declared as read."""
        if self.reads is not None and schema.stage not in self.reads | {PROBE}:
            raise TypeError(
                f"reads {schema.file} without declaring the {schema.stage} stage in "
                "requires or optional"
            )
        return artefacts.read(self.folder, schema)

    def vectors(self, schema: type[A], document: A) -> Any:
        """The vectors file beside an artefact read with :meth:`read`."""
        return artefacts.vectors(self.folder, schema, document)

    def write(self, schema: type[A], document: A | dict[str, Any]) -> A:
        """Check an artefact against its schema and write it into the staging folder."""
        return artefacts.write(self.staging / schema.file, document, schema)

    def published(self, stage: str) -> bool:
        """Whether ``stage`` has finished output for this video (for optional inputs)."""
        return self.folder.read_manifest(stage) is not None


@dataclass
class StageOutput:
    """What a stage tells the runner besides its files.

    ``method`` names the algorithm or model and its version (for provenance);
    ``summary`` holds a few facts for `deerin status`; ``problem`` is set when the
    stage could only do part of its work (say, a truncated file) and says why.
    """

    method: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    def described(self) -> str:
        """One line for `deerin status`: the problem, or the summary's facts."""
        return self.problem or facts(self.summary)


def facts(summary: dict[str, Any]) -> str:
    """A summary as one line: ``shots 12, cuts 11``."""
    return ", ".join(f"{key} {value}" for key, value in summary.items())


class Stage(ABC):
    """One kind of per-video work. Subclasses set the class attributes and ``run``."""

    name: ClassVar[str]
    version: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()  # read when they ran; a skipped one is no block
    produces: ClassVar[tuple[str, ...]] = ()
    models: ClassVar[tuple[str, ...]] = ()  # capabilities whose models it runs (checked first)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def params(self) -> dict[str, Any]:
        """The settings that change this stage's output (part of its fingerprint)."""
        return {}

    def wanted(self, info: MediaInfo, source: Path) -> bool:
        """Whether this file needs the stage at all (a playable file needs no proxy, a
        sound recording no shots); ``source`` is where the file is now."""
        return True

    def inputs(self, source: Path) -> dict[str, Any]:
        """Files besides the video that the stage reads (a sidecar subtitle file), each with
        what identifies its content, so that changing one makes the stage run again."""
        return {}

    def fingerprint(self, upstream: dict[str, str], inputs: dict[str, Any] | None = None) -> str:
        """Identity of an output: version, parameters, the upstream outputs and the side
        files it read (only when there are any, so other stages keep their identity)."""
        basis = {
            "stage": self.name,
            "version": self.version,
            "params": self.params(),
            "upstream": {name: upstream.get(name, "") for name in self.requires + self.optional},
        }
        if inputs:
            basis["inputs"] = inputs
        text = json.dumps(basis, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @abstractmethod
    def run(self, ctx: StageContext) -> StageOutput:
        """Do the work, writing every file named in ``produces`` under ``ctx.staging``."""


@dataclass
class ItemErrors:
    """Problems with single items (a frame, a face, an answer) that did not stop a stage.

    A stage records each one and goes on; the list is written into the stage's JSON
    output, and :meth:`problem` becomes the stage's ``problem`` so that `deerin status`
    shows the stage as partial with the first reason.
    """

    items: list[dict[str, Any]] = field(default_factory=list)

    def record(self, problem: str, **where: Any) -> None:
        """Note that one item failed: ``where`` says which (frame index, time, ...)."""
        self.items.append({**where, "problem": problem})

    def problem(self, total: int, what: str = "frames") -> str | None:
        """A one-line summary for the stage output, or None when nothing failed."""
        if not self.items:
            return None
        return f"{len(self.items)} of {total} {what} failed; first: {self.items[0]['problem']}"
