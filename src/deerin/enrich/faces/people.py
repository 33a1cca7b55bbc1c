"""The people step: faces of all a collection's films grouped into people, kept stable.

Clustering is incremental, because archivists name people and expect those people to
stay put: the faces ``people.json`` already places keep their person (and so its id);
only new faces are placed. A new appearance (faces the faces stage already linked
within a shot) joins the person whose mean vector is closest when the cosine similarity
reaches ``faces.same_person``; the remaining ones are grouped among themselves by
average-linkage clustering with the same threshold and become new people. Faces of
films that left the collection drop out. Deleting ``people.json`` reclusters from
scratch on the next ingest; the user's decisions still apply.

User decisions live in ``people_decisions.json`` (written only by `deerin people`) and
win on every run: they are replayed, in the order they were made, over the clustering.
Each one names *faces*, never person ids, so it survives any reclustering:

* ``name``: the person holding most of these faces is called this;
* ``merge``: the people holding ``faces`` and ``with`` become one (must-link);
* ``split``: ``faces`` leave the people holding ``from`` (cannot-link) for a new person,
  or for the person holding ``into``;
* ``reject``: these are not faces; they belong to no one.

Replaying a decision on a grouping that already honours it changes nothing, so ids
stay stable from run to run.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from deerin.enrich.faces.detect import EMBEDDING_SIZE, frontal
from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.artefacts import ArtefactError
from deerin.index.schemas import (
    Decision,
    Face,
    FaceRef,
    Faces,
    Frames,
    People,
    PeopleDecisions,
    Person,
)
from deerin.index.store import atomic_write_bytes, writer_lock
from deerin.plugins.stage import ItemErrors, StageOutput
from deerin.plugins.step import CollectionContext, CollectionStep

PEOPLE = People.file
DECISIONS = PeopleDecisions.file
THUMBNAILS = "people"
THUMBNAIL_SIZE = 160
CHUNK = 2000  # appearances clustered at once: average linkage needs n² memory

FaceKey = tuple[str, str]  # (video_id, face_id)


@dataclass
class Gallery:
    """Every face of the collection: its record, its vector, and its appearances."""

    keys: list[FaceKey] = field(default_factory=list)
    rows: dict[FaceKey, int] = field(default_factory=dict)
    records: list[Face] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    tracks: list[list[int]] = field(default_factory=list)  # rows of one appearance

    def matrix(self) -> np.ndarray:
        return (
            np.concatenate(self.vectors)
            if self.vectors
            else np.zeros((0, EMBEDDING_SIZE), np.float32)
        )


@dataclass
class Grouping:
    """Who is who: each face's person, the people's names, the next free number."""

    owner: dict[FaceKey, str]
    names: dict[str, str] = field(default_factory=dict)
    next_number: int = 1

    def new_person(self) -> str:
        person = f"p{self.next_number:04d}"
        self.next_number += 1
        return person

    def members(self) -> dict[str, list[FaceKey]]:
        people: dict[str, list[FaceKey]] = {}
        for key, person in self.owner.items():
            people.setdefault(person, []).append(key)
        return people

    def holder(self, keys: Iterable[FaceKey]) -> str | None:
        """The person holding most of ``keys`` (the lowest id on a tie), if any."""
        counts = Counter(self.owner[k] for k in keys if k in self.owner)
        if not counts:
            return None
        return min(counts, key=lambda person: (-counts[person], person))

    def assign(self, keys: Iterable[FaceKey], person: str) -> None:
        for key in keys:
            self.owner[key] = person


class PeopleStep(CollectionStep):
    """Group the collection's faces into people and apply the user's decisions."""

    name = "people"
    version = "1"
    requires = ("faces",)

    def params(self) -> dict[str, Any]:
        return {"faces_same_person": self.settings.faces.same_person}

    def fingerprint(self, ctx: CollectionContext) -> str:
        """Also changes when the user's decisions change or people.json was deleted."""
        decisions = ctx.folder / DECISIONS
        basis = {
            "faces": super().fingerprint(ctx),
            "decisions": _digest(decisions.read_bytes()) if decisions.exists() else "",
            "people": (ctx.folder / PEOPLE).exists(),
        }
        return _digest(json.dumps(basis, sort_keys=True).encode())

    def run(self, ctx: CollectionContext) -> StageOutput:
        errors = ItemErrors()
        gallery = load_gallery(ctx, errors)
        decisions = read_decisions(ctx)
        previous = read_people(ctx) if (ctx.folder / PEOPLE).exists() else People(people=[])
        grouping = previous_grouping(previous, set(gallery.keys))
        rejected = {k for d in decisions if d.action == "reject" for k in face_keys(d.faces)}
        add_faces(grouping, gallery, rejected, self.settings.faces.same_person)
        replay(grouping, decisions)
        people = describe_people(grouping, gallery)
        write_thumbnails(ctx, people, previous, gallery, errors)
        ctx.write(People, {"people": people})
        videos = {key[0] for key in grouping.owner}
        return StageOutput(
            method={
                "name": "incremental average-linkage clustering of SFace vectors (cosine)",
                "threshold": self.settings.faces.same_person,
                "decisions": len(decisions),
            },
            summary={"people": len(people), "faces": len(grouping.owner), "videos": len(videos)},
            problem=errors.problem(len(people) + len(ctx.videos), "videos and thumbnails"),
        )


def load_gallery(ctx: CollectionContext, errors: ItemErrors) -> Gallery:
    """The faces and vectors of every member video whose faces stage has finished."""
    gallery = Gallery()
    for video in ctx.finished("faces"):
        folder = ctx.video_folder(video.id)
        try:
            document = artefacts.read(folder, Faces)
            vectors = artefacts.vectors(folder, Faces, document).astype(np.float32)
        except ArtefactError as exc:
            errors.record(f"faces of {video.id}: {exc.message}", video_id=video.id)
            continue
        first = len(gallery.keys)
        rows = {face.id: first + n for n, face in enumerate(document.faces)}
        gallery.keys += [(video.id, face.id) for face in document.faces]
        gallery.rows.update({(video.id, face_id): row for face_id, row in rows.items()})
        gallery.records += document.faces
        gallery.vectors.append(vectors)
        linked = [[rows[i] for i in event.faces if i in rows] for event in document.appearances]
        alone = set(rows.values()) - {row for track in linked for row in track}
        gallery.tracks += [track for track in linked if track] + [[row] for row in sorted(alone)]
    return gallery


def previous_grouping(previous: People, present: set[FaceKey]) -> Grouping:
    """Last run's people, restricted to faces that still exist; new ids come after theirs."""
    owner = {
        key: person.id
        for person in previous.people
        for key in face_keys(person.faces)
        if key in present
    }
    numbers = [int(person.id[1:]) for person in previous.people]
    return Grouping(owner, next_number=max(numbers, default=0) + 1)


def add_faces(
    grouping: Grouping, gallery: Gallery, rejected: set[FaceKey], threshold: float
) -> None:
    """Place every face the grouping does not hold yet (see the module docstring)."""
    matrix = gallery.matrix()
    units = []
    for track in gallery.tracks:
        new = [row for row in track if gallery.keys[row] not in grouping.owner]
        new = [row for row in new if gallery.keys[row] not in rejected]
        known = grouping.holder(gallery.keys[row] for row in track)
        if known is not None:  # the faces stage saw this face continue: same person
            grouping.assign([gallery.keys[row] for row in new], known)
        elif new:
            units.append(new)
    for start in range(0, len(units), CHUNK):
        _place(grouping, units[start : start + CHUNK], gallery, matrix, threshold)


def _place(
    grouping: Grouping,
    units: list[list[int]],
    gallery: Gallery,
    matrix: np.ndarray,
    threshold: float,
) -> None:
    """Join units to the nearest existing person, or cluster the rest into new people."""
    means = _unit_vectors(np.stack([matrix[unit].mean(axis=0) for unit in units]))
    people = grouping.members()
    ids = sorted(people)
    rest = list(range(len(units)))
    if ids:
        centroids = _unit_vectors(
            np.stack([matrix[[gallery.rows[k] for k in people[p]]].mean(axis=0) for p in ids])
        )
        similarity = means @ centroids.T
        best, score = similarity.argmax(axis=1), similarity.max(axis=1)
        for n in rest:
            if score[n] >= threshold:
                grouping.assign([gallery.keys[row] for row in units[n]], ids[best[n]])
        rest = [n for n in rest if score[n] < threshold]
    created: dict[int, str] = {}
    for n, label in zip(rest, cluster(means[rest], threshold), strict=True):
        if int(label) not in created:
            created[int(label)] = grouping.new_person()
        grouping.assign([gallery.keys[row] for row in units[n]], created[int(label)])


def cluster(vectors: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage cluster labels: groups whose mean cosine similarity reaches threshold."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - threshold
    ).fit_predict(vectors)


def replay(grouping: Grouping, decisions: list[Decision]) -> None:
    """Apply the user's decisions in order; each is a no-op where already honoured."""
    for decision in decisions:
        faces = [k for k in face_keys(decision.faces) if k in grouping.owner]
        action = decision.action
        if action == "reject":
            for key in faces:
                del grouping.owner[key]
        elif action == "name":
            person = grouping.holder(faces)
            if person is not None:
                grouping.names[person] = decision.name or ""
        elif action == "merge":
            _merge(grouping, faces, face_keys(decision.with_ or []))
        elif action == "split":
            _split(grouping, faces, face_keys(decision.from_ or []), decision.into)


def _merge(grouping: Grouping, faces: list[FaceKey], others: list[FaceKey]) -> None:
    keep = grouping.holder(faces)
    if keep is None:
        return
    absorbed = {grouping.owner[k] for k in faces + others if k in grouping.owner} - {keep}
    for key, person in list(grouping.owner.items()):
        if person in absorbed:
            grouping.owner[key] = keep
    if keep not in grouping.names:
        named = sorted(p for p in absorbed if p in grouping.names)
        if named:
            grouping.names[keep] = grouping.names[named[0]]


def _split(
    grouping: Grouping, faces: list[FaceKey], rest: list[FaceKey], into: list[FaceRef] | None
) -> None:
    if not faces:
        return
    if into:
        target = grouping.holder(k for k in face_keys(into) if k not in set(faces))
        if target is not None:
            grouping.assign(faces, target)
            return
    holders = {grouping.owner[k] for k in faces}
    rest_holders = {grouping.owner[k] for k in rest if k in grouping.owner}
    if len(holders) == 1 and not holders & rest_holders:
        return  # already apart
    grouping.assign(faces, grouping.new_person())


def describe_people(grouping: Grouping, gallery: Gallery) -> list[dict[str, Any]]:
    """people.json's entries, by id, each with its best face as representative."""
    records = dict(zip(gallery.keys, gallery.records, strict=True))
    people = []
    for person, keys in sorted(grouping.members().items()):
        keys.sort(key=lambda k: (k[0], records[k].time, k[1]))
        best = max(keys, key=lambda k: _goodness(records[k]))
        people.append(
            {
                "id": person,
                "name": grouping.names.get(person) or None,
                "faces": [_ref(k) for k in keys],
                "videos": sorted({k[0] for k in keys}),
                "representative": _ref(best),
            }
        )
    return people


def _goodness(face: Face) -> float:
    """Large, frontal and clearly detected faces represent a person best."""
    return face.height * (0.5 + 0.5 * frontal(face.landmarks)) * face.score


def write_thumbnails(
    ctx: CollectionContext,
    people: list[dict[str, Any]],
    previous: People,
    gallery: Gallery,
    errors: ItemErrors,
) -> None:
    """A small crop of each person's representative face, for lists and the web app.

    Made again only when the representative changed; crops of people gone are removed.
    """
    folder = ctx.folder / THUMBNAILS
    before = {p.id: p.representative.model_dump() for p in previous.people}
    records = dict(zip(gallery.keys, gallery.records, strict=True))
    frames: dict[str, dict[int, str]] = {}
    for person in people:
        path = folder / f"{person['id']}.jpg"
        if path.exists() and before.get(person["id"]) == person["representative"]:
            continue
        key = _key(person["representative"])
        try:
            atomic_write_bytes(path, _thumbnail(ctx, key[0], records[key], frames))
        except (OSError, ValueError, KeyError) as exc:
            errors.record(f"no thumbnail for {person['id']} ({exc})", person=person["id"])
    current = {f"{p['id']}.jpg" for p in people}
    if folder.is_dir():
        for stale in folder.glob("p*.jpg"):
            if stale.name not in current:
                stale.unlink(missing_ok=True)


def _thumbnail(
    ctx: CollectionContext, video: str, face: Face, frames: dict[str, dict[int, str]]
) -> bytes:
    folder = ctx.video_folder(video)
    if video not in frames:
        listing = artefacts.read(folder, Frames).frames
        frames[video] = {entry.index: entry.file for entry in listing}
    with Image.open(folder.path(frames[video][face.frame])) as image:
        picture = image.convert("RGB")
    x, y, w, h = face.box
    side = 1.5 * max(w * picture.width, h * picture.height)
    cx, cy = (x + w / 2) * picture.width, (y + h / 2) * picture.height
    crop = picture.crop(
        (round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))
    )
    crop = crop.resize((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def face_crop(ctx: CollectionContext, ref: FaceRef) -> bytes:
    """A square crop of one face, made on request (the web app's example faces)."""
    faces = artefacts.read(ctx.video_folder(ref.video_id), Faces).faces
    face = next((f for f in faces if f.id == ref.face_id), None)
    if face is None:
        raise DeerinError(f"video {ref.video_id} has no face {ref.face_id!r}")
    try:
        return _thumbnail(ctx, ref.video_id, face, {})
    except (OSError, KeyError) as exc:  # its analysis frame is gone
        raise DeerinError(f"the frame of face {ref.face_id!r} cannot be read ({exc})") from None


# -- the files the CLI reads and writes --------------------------------------------


def read_people(ctx: CollectionContext) -> People:
    """The collection's people; a clear error when the people step has not run yet."""
    if not (ctx.folder / PEOPLE).exists():
        raise DeerinError(
            f"collection '{ctx.collection}' has no people yet",
            path=ctx.folder / PEOPLE,
            hint=f"run `deerin ingest ... -c {ctx.collection}` with the faces stage first",
        )
    return ctx.read(People)


def read_decisions(ctx: CollectionContext) -> list[Decision]:
    """The user's decisions, oldest first (none before the first one is made)."""
    if not (ctx.folder / DECISIONS).exists():
        return []
    try:
        return ctx.read(PeopleDecisions).decisions
    except ArtefactError as exc:
        raise DeerinError(
            f"the people decisions cannot be read ({exc.problem})",
            path=ctx.folder / DECISIONS,
            hint="fix the JSON by hand, or move the file away to start the decisions afresh",
        ) from exc


def add_decision(ctx: CollectionContext, decision: dict[str, Any]) -> None:
    """Append one decision (written atomically: a crash keeps the old list whole; two
    people deciding at once both keep theirs)."""
    with writer_lock(ctx.folder / ".decisions.lock"):
        decisions = [*read_decisions(ctx), Decision.model_validate(decision)]
        document = {"decisions": [d.model_dump(exclude_unset=True) for d in decisions]}
        ctx.write(PeopleDecisions, document)


def person_by_id(where: CollectionContext, person_id: str) -> Person:
    """A person of the collection by id; one line naming the known ones when not there."""
    people = read_people(where).people
    for person in people:
        if person.id == person_id:
            return person
    known = ", ".join(p.id for p in people[:8]) + (" …" if len(people) > 8 else "")
    raise DeerinError(
        f"no person {person_id!r} in collection '{where.collection}'",
        path=where.folder / "people.json",
        hint=f"known: {known or 'none'}; see `deerin people list -c {where.collection}`",
    )


def face_of(where: CollectionContext, person: Person, text: str) -> FaceRef:
    """One of the person's faces from ``FACE_ID`` or ``VIDEO/FACE_ID`` (a video id's start)."""
    video, _, face = text.rpartition("/")
    found = [ref for ref in person.faces if ref.face_id == face and ref.video_id.startswith(video)]
    if len(found) != 1:
        problem = "is not one of" if not found else "matches several faces of"
        raise DeerinError(
            f"face {text!r} {problem} {person.id}",
            hint=f"see `deerin people show -c {where.collection} {person.id}`; "
            "write VIDEO/FACE_ID to pick one",
        )
    return found[0]


def face_times(where: CollectionContext, refs: Iterable[FaceRef]) -> dict[tuple[str, str], float]:
    """When each face is seen, reading only the videos the faces are in."""
    wanted: dict[str, set[str]] = {}
    for ref in refs:
        wanted.setdefault(ref.video_id, set()).add(ref.face_id)
    times = {}
    for video, ids in wanted.items():
        for face in artefacts.read(where.video_folder(video), Faces).faces:
            if face.id in ids:
                times[(video, face.id)] = face.time
    return times


def face_keys(refs: Iterable[FaceRef]) -> list[FaceKey]:
    return [ref.key for ref in refs]


def _key(ref: dict[str, str]) -> FaceKey:
    return (ref["video_id"], ref["face_id"])


def _ref(key: FaceKey) -> dict[str, str]:
    return {"video_id": key[0], "face_id": key[1]}


def _unit_vectors(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
