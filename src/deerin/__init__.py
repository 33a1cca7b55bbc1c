"""DEERIn: enrich, explore, retrieve and interact with moving-image archives.

The package is laid out by capability: ``enrich``, ``explore``, ``retrieve`` and
``interact`` are the four user-facing modules; ``media``, ``models``, ``pipeline``,
``index``, ``export``, ``web`` and ``cli`` are the plumbing they share.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deerin")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
