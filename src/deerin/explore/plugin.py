"""Exploration as a plugin: the collection map, kept up to date as a collection step.

Registered through the same hooks as any plugin (see :mod:`deerin.plugins`), after
retrieval's steps: the map reads the search index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deerin.plugins.step import CollectionStep


def collection_steps() -> list[type[CollectionStep]]:
    from deerin.explore.map import MapStep

    return [MapStep]
