"""Retrieval as a plugin: the search index and the graph, kept up to date as collection
steps.

Registered through the same hooks as any plugin (see :mod:`deerin.plugins`); it runs
after enrichment's steps, so the index sees the people the people step found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deerin.plugins.step import CollectionStep


def collection_steps() -> list[type[CollectionStep]]:
    from deerin.retrieve.build import SearchIndexStep
    from deerin.retrieve.graph import GraphStep

    return [SearchIndexStep, GraphStep]
