"""A video's identity comes from its content, not its name.

A moved or renamed file keeps its id; an exact copy gets the same id and is reported
as a duplicate instead of being processed twice. Hashing reads the whole file once;
the catalogue caches the result by (path, size, mtime) so reruns do not hash again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 4 * 1024 * 1024
ID_LENGTH = 20  # hex digits: 80 bits, ample for any archive


def content_id(path: Path) -> str:
    """BLAKE2b of the file's bytes, shortened to :data:`ID_LENGTH` hex digits."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()[:ID_LENGTH]
