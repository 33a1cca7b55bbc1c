"""Questions answered from the collection over HTTP (the Ask page's API).

The answer is :class:`deerin.retrieve.answers.Answer`: its sentences, the numbered
passages they cite (each with a link to the video at its moment), what was left out as
unsupported, and notes saying who wrote it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from deerin.retrieve.answers import Answer
from deerin.retrieve.ask import ask
from deerin.settings import Settings
from deerin.web.search import Searchers

LONGEST = 10_000  # characters accepted; the first 1,000 are read (the answer says so)


def ask_router(settings: Settings, searchers: Searchers) -> APIRouter:
    router = APIRouter(tags=["ask"])

    @router.get("/api/ask")
    def ask_endpoint(
        q: Annotated[str, Query(max_length=LONGEST, description="The question.")],
        collection: Annotated[str | None, Query(description="One collection [all].")] = None,
        year: Annotated[str | None, Query(description="1961, or 1950..1969.")] = None,
        mode: Annotated[
            Literal["auto", "extractive", "model"] | None,
            Query(description="Who writes the answer [the ask.mode setting]."),
        ] = None,
    ) -> Answer:
        """Answer a question from the collection, every sentence citing its moments."""
        searcher = searchers.get([collection] if collection else None)
        fields = f"year:{year}" if year else ""
        return ask(settings, q, collection, mode, searcher=searcher, fields=fields)

    return router
