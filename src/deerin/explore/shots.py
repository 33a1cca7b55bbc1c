"""The collection's shots as the map reads them: from the search index, which already
holds one row per shot with its picture vector, tags, people and scale, and the
passages said or shown in it. Vectors are streamed in batches, never all held at once:
a million shots' 1280-number picture vectors would take five gigabytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from deerin.index.search_index import SearchIndex

BATCH = 32768
META = (
    "video_id", "shot", "start", "end", "thumb", "file", "media", "year", "date",
    "scale", "people", "langs", "tags", "text", "caption",
)  # fmt: skip
SAID = ("speech", "subtitles", "text")  # passages whose words and vectors say what a shot is about


@dataclass
class ShotData:
    """Every shot's facts, in the index's order (row ``i`` everywhere)."""

    table: pa.Table  # the META columns
    titles: dict[str, str]
    keys: list[str]  # "video_id:shot"
    row_of: dict[str, int] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)  # what is said and shown in each shot
    places: list[list[str]] = field(default_factory=list)
    coords: np.ndarray | None = None  # (lat, lon) of each shot's first place, NaN if none

    @property
    def count(self) -> int:
        return self.table.num_rows

    def column(self, name: str) -> list:
        return self.table.column(name).to_pylist()


def read_shots(index: SearchIndex) -> ShotData:
    """The shots' facts, their titles, places and words (no vectors)."""
    shots = index.table("shots")
    table = shots.search().select(list(META)).limit(None).to_arrow() if shots else None
    if table is None:
        table = pa.table({name: [] for name in META})
    keys = _keys(table)
    data = ShotData(table, _titles(index), keys, {key: row for row, key in enumerate(keys)})
    data.words = _words(index, data)
    data.places, data.coords = _places(index, data)
    return data


def _titles(index: SearchIndex) -> dict[str, str]:
    rows = index.rows("videos", None, columns=["video_id", "title", "file"])
    return {row["video_id"]: row["title"] or row["file"] for row in rows}


def _words(index: SearchIndex, data: ShotData) -> list[str]:
    found = [f"{text or ''} {caption or ''}" for text, caption in zip(
        data.column("text"), data.column("caption"), strict=True
    )]  # fmt: skip
    where = "source IN ('speech', 'subtitles')"
    for row in index.rows("passages", where, columns=["video_id", "shot", "text"]):
        place = data.row_of.get(f"{row['video_id']}:{row['shot']}")
        if place is not None:
            found[place] += " " + row["text"]
    return found


def _places(index: SearchIndex, data: ShotData) -> tuple[list[list[str]], np.ndarray]:
    names: list[list[str]] = [[] for _ in range(data.count)]
    coords = np.full((data.count, 2), np.nan)
    for row in index.rows("places", None, columns=["video_id", "shot", "name", "lat", "lon"]):
        place = data.row_of.get(f"{row['video_id']}:{row['shot']}")
        if place is None:
            continue
        if not names[place]:
            coords[place] = (row["lat"], row["lon"])
        if row["name"] not in names[place]:
            names[place].append(row["name"])
    return names, coords


def picture_batches(index: SearchIndex) -> Iterator[tuple[list[str], np.ndarray]]:
    """The shots' picture vectors in index order, a batch at a time, with their keys."""
    shots = index.table("shots")
    if shots is None:
        return
    reader = shots.search().select(["video_id", "shot", "vector"]).limit(None).to_batches(BATCH)
    for batch in reader:
        yield _keys(batch), _matrix(batch.column("vector"))


def text_batches(index: SearchIndex) -> Iterator[tuple[list[str], np.ndarray]]:
    """The vectors of what is said and shown, passage by passage, keyed by their shot."""
    passages = index.table("passages")
    if passages is None:
        return
    where = f"source IN ({', '.join(repr(s) for s in SAID)}) AND shot >= 0"
    query = passages.search().where(where).select(["video_id", "shot", "vector"]).limit(None)
    for batch in query.to_batches(BATCH):
        yield _keys(batch), _matrix(batch.column("vector"))


def _keys(batch: pa.RecordBatch | pa.Table) -> list[str]:
    videos, shots = batch.column("video_id").to_pylist(), batch.column("shot").to_pylist()
    return [f"{v}:{s}" for v, s in zip(videos, shots, strict=True)]


def _matrix(column: pa.Array) -> np.ndarray:
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(column), -1).astype(np.float32, copy=False)


def gather(
    batches: Iterator[tuple[list[str], np.ndarray]],
    wanted: Callable[[list[str]], np.ndarray],
) -> np.ndarray:
    """The rows ``wanted`` picks from each batch (a boolean mask per batch), stacked."""
    kept = [matrix[wanted(keys)] for keys, matrix in batches]
    return np.concatenate(kept) if kept else np.zeros((0, 0), dtype=np.float32)
