"""What every model-asking feature shares: an on-disk answer cache and a dead-server guard.

Captions (a vision-language model) and summaries (a language model) both ask a model
the same questions again on a rerun, or for another video holding the same input; the
cache makes those free. Both may talk to a server that is not running; the guard makes
a dead server cost one failed request, not one timeout per item.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from deerin.errors import DeerinError
from deerin.index.store import atomic_write_json, read_json
from deerin.models.endpoint import EndpointUnreachable

T = TypeVar("T")


@dataclass(frozen=True)
class AnswerCache:
    """Answers on disk, one JSON file per sha256 of everything that shaped the answer."""

    folder: Path

    @staticmethod
    def key(*parts: str | bytes) -> str:
        """The sha256 of the parts, NUL-separated so that ("ab", "c") ≠ ("a", "bc")."""
        digest = hashlib.sha256()
        for n, part in enumerate(parts):
            if n:
                digest.update(b"\0")
            digest.update(part.encode() if isinstance(part, str) else part)
        return digest.hexdigest()

    def get(self, key: str) -> str | None:
        """The cached answer, or None (absent, or a damaged file: asked again)."""
        try:
            answer = read_json(self.folder / f"{key}.json")["answer"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return answer if isinstance(answer, str) else None

    def put(self, key: str, answer: str, **about: Any) -> None:
        """Store ``answer`` with what was asked (``about``: model, question...) for readers."""
        atomic_write_json(self.folder / f"{key}.json", {**about, "answer": answer})


@dataclass
class ReachGuard:
    """Remembers that a server could not be reached, so later requests fail at once."""

    unreachable: EndpointUnreachable | None = None

    def call(self, request: Callable[[], T]) -> T:
        """``request()``, unless the server was already found unreachable."""
        if self.unreachable is not None:
            raise DeerinError(f"not asked: {self.unreachable.problem}", hint=self.unreachable.hint)
        try:
            return request()
        except EndpointUnreachable as exc:
            self.unreachable = exc
            raise
