"""Errors that reach a person: each names the file at fault and what to do about it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class DeerinError(Exception):
    """A problem a user can act on.

    Archivists read these messages, not tracebacks, so every error carries the file it
    concerns and a plain suggestion of what to do next.
    """

    def __init__(self, problem: str, *, path: Path | str | None = None, hint: str = "") -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        what_to_do = f" — {self.hint}" if self.hint else ""
        return f"{where}{self.problem}{what_to_do}"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a mistyped ``word`` most likely means, for "did you mean …?" hints."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


class NotMediaError(DeerinError):
    """The file holds no picture or sound we can decode (text, a still image, empty)."""


class StoreError(DeerinError):
    """The output store cannot be written (read-only, full, locked by another ingest)."""
