"""Named sets of shots: what a person gathered (a lasso on the map) for later use.

Kept in the collection's ``sets.json`` (:class:`ShotSets`), apart from anything a
machine writes, so no rerun touches them; written under a lock, so two people saving at
once both keep theirs. Search (``set:storm``), supercuts and sequences read them here.
"""

from __future__ import annotations

import time
import unicodedata

from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.schemas import SetShot, ShotSet, ShotSets
from deerin.index.store import CollectionFolder, iso_time, writer_lock
from deerin.settings import Settings

LONGEST_NAME = 80


class UnknownSet(DeerinError):
    """A set name that the collection does not have."""


def read_sets(settings: Settings, collection: str) -> ShotSets:
    """The collection's sets (none yet: an empty list)."""
    folder = CollectionFolder.for_collection(settings.data_dir, collection)
    if not folder.path(ShotSets.file).is_file():
        return ShotSets(sets=[])
    return artefacts.read(folder, ShotSets)


def shot_set(settings: Settings, collection: str, name: str) -> ShotSet:
    """One set by name (case ignored); :class:`UnknownSet` naming the sets there are."""
    sets = read_sets(settings, collection).sets
    for found in sets:
        if found.name.casefold() == name.casefold():
            return found
    known = ", ".join(s.name for s in sets[:10]) or "none yet"
    raise UnknownSet(
        f"collection '{collection}' has no set '{name}' (sets: {known})",
        hint="draw a lasso on the map page and save it under a name",
    )


def clean_name(name: str) -> str:
    """A set's name as typed, checked: 1 to 80 characters, no control characters."""
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned or len(cleaned) > LONGEST_NAME:
        raise DeerinError(f"a set's name has 1 to {LONGEST_NAME} characters", hint="rename it")
    if any(unicodedata.category(c).startswith("C") for c in cleaned) or '"' in cleaned:
        raise DeerinError(
            "a set's name cannot hold a double quote or control characters",
            hint='rename it (search finds a set by set:"its name")',
        )
    return cleaned


def save_set(
    settings: Settings,
    collection: str,
    name: str,
    shots: list[SetShot],
    by: str | None = None,
    note: str | None = None,
) -> ShotSet:
    """Save ``shots`` under ``name``, replacing a set of that name."""
    if not shots:
        raise DeerinError("a set needs at least one shot", hint="select some shots first")
    made = ShotSet(name=clean_name(name), shots=shots, by=by, made=iso_time(time.time()), note=note)
    folder = CollectionFolder.for_collection(settings.data_dir, collection)
    path = folder.path(ShotSets.file)
    with writer_lock(path.with_suffix(".lock")):
        kept = [
            s
            for s in read_sets(settings, collection).sets
            if s.name.casefold() != made.name.casefold()
        ]
        artefacts.write(path, ShotSets(sets=[*kept, made]), ShotSets)
    return made
