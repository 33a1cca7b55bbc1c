"""`deerin people`: see the people found in a collection and correct them.

Every correction is stored as a decision about faces in the collection's
``people_decisions.json`` (so it survives any later reclustering), then the people
step runs again at once so that ``people.json`` shows it.
"""

from __future__ import annotations

import getpass
import time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from deerin.cli.common import err, out, settings_from
from deerin.enrich.faces.people import (
    PeopleStep,
    add_decision,
    face_of,
    face_times,
    person_by_id,
    read_people,
)
from deerin.errors import DeerinError
from deerin.index.catalogue import open_catalogue
from deerin.index.store import iso_time
from deerin.pipeline.collection import collection_context
from deerin.pipeline.ingest import refresh_collection
from deerin.plugins.step import CollectionContext
from deerin.retrieve.build import SearchIndexStep
from deerin.retrieve.graph import GraphStep

people_app = typer.Typer(
    help="The people found in a collection's films: list them, name, merge and split them.",
    no_args_is_help=True,
)

Collection = Annotated[str, typer.Option("--collection", "-c", help="Collection name.")]
PersonId = Annotated[str, typer.Argument(help="Person id, e.g. p0003 (see `deerin people list`).")]


def _collection(ctx: typer.Context, name: str) -> CollectionContext:
    """The collection and its videos; a DeerinError when it has none."""
    settings = settings_from(ctx)
    catalogue = open_catalogue(settings)
    try:
        where = collection_context(name, settings, catalogue)
    finally:
        catalogue.close()
    if not where.videos:
        raise DeerinError(
            f"collection '{name}' has no videos",
            path=settings.data_dir,
            hint="check the name with `deerin status`, or ingest into it first",
        )
    return where


@people_app.command("list")
def list_people(ctx: typer.Context, collection: Collection) -> None:
    """List the people: id, name, how many faces, in which videos."""
    where = _collection(ctx, collection)
    people = read_people(where).people
    table = Table(title=f"{len(people)} people in {collection}")
    for column in ("id", "name", "faces", "videos"):
        table.add_column(column)
    for person in people:
        videos = ", ".join(v[:8] for v in person.videos)
        table.add_row(person.id, escape(person.name or ""), str(len(person.faces)), videos)
    out.print(table)


@people_app.command("show")
def show(ctx: typer.Context, collection: Collection, person: PersonId) -> None:
    """List one person's faces (video, face id, time), to pick faces to split off."""
    where = _collection(ctx, collection)
    found = person_by_id(where, person)
    times = face_times(where, found.faces)
    out.print(f"{found.id} {escape(found.name or '(no name)')}: {len(found.faces)} faces")
    for ref in found.faces:
        face = f"{ref.video_id[:8]}/{ref.face_id}"
        out.print(f"  {face:<20} {times.get(ref.key, 0.0):9.2f}s")


@people_app.command("name")
def name(
    ctx: typer.Context,
    collection: Collection,
    person: PersonId,
    text: Annotated[str, typer.Argument(metavar="NAME", help='The name, e.g. "Charlie Chaplin".')],
) -> None:
    """Name a person (an empty name removes it)."""
    where = _collection(ctx, collection)
    found = person_by_id(where, person)
    _decide(where, {"action": "name", "name": text.strip(), "faces": found.faces})


@people_app.command("merge")
def merge(
    ctx: typer.Context,
    collection: Collection,
    person: PersonId,
    others: Annotated[list[str], typer.Argument(help="The people that are the same person.")],
) -> None:
    """Merge people into the first one (it keeps its id, and its name if it has one)."""
    where = _collection(ctx, collection)
    keep = person_by_id(where, person)
    faces = [ref for other in others if other != person for ref in person_by_id(where, other).faces]
    _decide(where, {"action": "merge", "faces": keep.faces, "with": faces})


@people_app.command("split")
def split(
    ctx: typer.Context,
    collection: Collection,
    person: PersonId,
    faces: Annotated[
        list[str],
        typer.Argument(help="Faces to take out: FACE_ID, or VIDEO/FACE_ID (see `people show`)."),
    ],
    into: Annotated[
        str | None, typer.Option("--into", help="Give them to this person instead of a new one.")
    ] = None,
) -> None:
    """Take faces out of a person: into a new person, or into another one with --into."""
    where = _collection(ctx, collection)
    found = person_by_id(where, person)
    moving = [face_of(where, found, text) for text in faces]
    rest = [ref for ref in found.faces if ref not in moving]
    decision: dict[str, Any] = {"action": "split", "faces": moving, "from": rest}
    if into is not None:
        decision["into"] = person_by_id(where, into).faces
    _decide(where, decision)


@people_app.command("reject")
def reject(
    ctx: typer.Context,
    collection: Collection,
    person: PersonId,
    faces: Annotated[
        list[str] | None, typer.Argument(help="Its faces that are not faces [default: all].")
    ] = None,
) -> None:
    """Mark a person's faces (or some of them) as not faces: they leave the people list."""
    where = _collection(ctx, collection)
    found = person_by_id(where, person)
    refs = [face_of(where, found, text) for text in faces] if faces else found.faces
    _decide(where, {"action": "reject", "faces": refs})


def _decide(where: CollectionContext, decision: dict[str, Any]) -> None:
    """Store the decision, then regroup so that people.json (and the index) show it at once."""
    add_decision(where, {**decision, "made": iso_time(time.time()), "by": getpass.getuser()})
    results = refresh_collection(
        where.settings,
        where.collection,
        (PeopleStep.name, SearchIndexStep.name, GraphStep.name),
        frozenset({PeopleStep.name}),
        on_wait=lambda why: err.print(f"waiting: {escape(why)}"),
    )
    result = next(r for r in results if r.step == PeopleStep.name)
    if result.status == "failed":
        raise DeerinError(f"the people step failed: {result.detail}", path=where.folder)
    out.print(f"{decision['action']}: done; people {escape(result.detail)}")
