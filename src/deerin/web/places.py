"""The places spoken of or shown, for the places page's world map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from deerin.retrieve.places import PlacesAnswer, collection_places
from deerin.retrieve.query import YEAR_LIMIT
from deerin.settings import Settings

Year = Annotated[
    int | None,
    Query(ge=-YEAR_LIMIT, le=YEAR_LIMIT, description="A catalogue year (inclusive)."),
]


def places_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["places"])

    @router.get("/api/places")
    def places(
        collection: Annotated[
            str | None, Query(description="One collection (none: every collection).")
        ] = None,
        year_from: Annotated[Year, Query(alias="from")] = None,
        year_to: Annotated[Year, Query(alias="to")] = None,
    ) -> PlacesAnswer:
        """Every place named with coordinates in films of those years, with the moments it
        is named in; and the place names that could not be put on the map."""
        return collection_places(settings, collection, year_from=year_from, year_to=year_to)

    return router
