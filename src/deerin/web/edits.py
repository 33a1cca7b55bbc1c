"""What every edit does after it is stored: bring the collection's people and search
index up to date, and have the next search see it.

The edit itself is already safe on disk (corrections and people decisions are kept
apart from machine output). If an ingest holds the collection right now, the request
does not wait for it: the answer says the edit is kept, and the ingest's own steps
pick it up (the index stamps each video with its corrections and people).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deerin.errors import DeerinError, StoreError
from deerin.pipeline.ingest import refresh_collection
from deerin.settings import Settings
from deerin.web.access import Access
from deerin.web.search import Searchers


@dataclass(frozen=True)
class Edits:
    """Who may edit (``access``) and what must follow an edit."""

    settings: Settings
    access: Access
    searchers: Searchers

    def refresh(
        self, collections: list[str], steps: tuple[str, ...], redo: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """Run ``steps`` again over each collection; ``{"indexed": False, ...}`` when an
        ingest holds one, a DeerinError when a step fails."""
        try:
            for collection in collections:
                results = refresh_collection(self.settings, collection, steps, redo)
                failed = [r for r in results if r.status == "failed"]
                if failed:
                    raise DeerinError(
                        f"the edit is kept, but the {failed[0].step} step failed: "
                        f"{failed[0].detail}",
                        hint=f"run `deerin index -c {collection}`",
                    )
        except StoreError as busy:
            return {
                "indexed": False,
                "note": f"kept; {busy.problem}: search shows it when that ingest ends",
            }
        finally:
            self.searchers.forget()
        return {"indexed": True}
