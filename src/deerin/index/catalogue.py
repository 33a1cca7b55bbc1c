"""The catalogue database: collections, videos, catalogue metadata and stage state.

SQLite in WAL mode, so `deerin status` and the web app can read while an ingest writes.
Only the coordinating process writes; workers report back to it. Everything here can
be rebuilt from the artefacts on disk, which stay the source of truth.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deerin.errors import StoreError
from deerin.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    duration REAL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    kind TEXT
);
CREATE TABLE IF NOT EXISTS members (
    collection TEXT NOT NULL REFERENCES collections(name),
    video_id TEXT NOT NULL REFERENCES videos(id),
    metadata TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (collection, video_id)
);
CREATE TABLE IF NOT EXISTS file_ids (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    video_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS skipped (
    collection TEXT NOT NULL,
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (collection, path)
);
CREATE TABLE IF NOT EXISTS stages (
    video_id TEXT NOT NULL REFERENCES videos(id),
    stage TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'running', 'done', 'partial', 'failed', 'skipped', 'blocked')),
    detail TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    seconds REAL,
    PRIMARY KEY (video_id, stage)
);
"""


YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@dataclass(frozen=True)
class VideoRow:
    """One video as the catalogue knows it."""

    id: str
    path: str
    size: int
    duration: float | None
    metadata: dict[str, Any]
    kind: str | None = None  # "film" (with a picture) or "sound" (a recording); None: unprobed

    @property
    def year(self) -> int | None:
        """The year of the catalogue record's date ("1962-03-01", "c. 1950"), if it has one."""
        found = YEAR.search(str(self.metadata.get("date") or ""))
        return int(found.group(1)) if found else None


class Catalogue:
    """A thin, typed layer over the catalogue database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self._add_missing_columns()
        except (OSError, sqlite3.OperationalError) as exc:
            raise StoreError(
                f"cannot open the catalogue database ({exc})",
                path=path,
                hint="check that --data-dir is writable and not on a full disk",
            ) from exc

    def _add_missing_columns(self) -> None:
        """Catalogues of 0.1 lack ``videos.kind``: added in place, filled by the next ingest."""
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(videos)")}
        if "kind" not in columns:
            self._db.execute("ALTER TABLE videos ADD COLUMN kind TEXT")

    def close(self) -> None:
        self._db.close()

    def _sql(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        """Execute one statement; a full or read-only disk becomes a clear StoreError."""
        try:
            return self._db.execute(sql, args)
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"the catalogue database cannot be written ({exc})",
                path=self.path,
                hint="free disk space or choose a writable --data-dir",
            ) from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._sql("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._sql("COMMIT")

    # -- identity ---------------------------------------------------------------
    def cached_id(self, path: Path, size: int, mtime_ns: int) -> str | None:
        """The content id computed earlier for this exact file state, if any."""
        row = self._sql(
            "SELECT video_id FROM file_ids WHERE path=? AND size=? AND mtime_ns=?",
            (str(path), size, mtime_ns),
        ).fetchone()
        return row["video_id"] if row else None

    def remember_id(self, path: Path, size: int, mtime_ns: int, video_id: str) -> None:
        self._sql(
            "INSERT OR REPLACE INTO file_ids VALUES (?, ?, ?, ?)",
            (str(path), size, mtime_ns, video_id),
        )

    # -- collections and videos ------------------------------------------------
    def ensure_collection(self, name: str) -> None:
        self._sql("INSERT OR IGNORE INTO collections VALUES (?, ?)", (name, time.time()))

    def video(self, video_id: str) -> VideoRow | None:
        row = self._sql(
            "SELECT v.*, COALESCE(m.metadata, '{}') AS metadata FROM videos v "
            "LEFT JOIN members m ON m.video_id = v.id WHERE v.id = ? LIMIT 1",
            (video_id,),
        ).fetchone()
        return _video_row(row) if row else None

    def upsert_video(self, video_id: str, path: Path, size: int) -> None:
        now = time.time()
        self._sql(
            "INSERT INTO videos (id, path, size, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET path=excluded.path, last_seen=excluded.last_seen",
            (video_id, str(path), size, now, now),
        )

    def set_media(self, video_id: str, duration: float | None, kind: str) -> None:
        """What probing found: the length and whether it is a film or a sound recording."""
        self._sql("UPDATE videos SET duration=?, kind=? WHERE id=?", (duration, kind, video_id))

    def add_member(self, collection: str, video_id: str, metadata: dict[str, Any]) -> None:
        self._sql(
            "INSERT INTO members VALUES (?, ?, ?) ON CONFLICT(collection, video_id) "
            "DO UPDATE SET metadata = CASE WHEN excluded.metadata = '{}' THEN metadata "
            "ELSE excluded.metadata END",
            (collection, video_id, json.dumps(metadata, ensure_ascii=False)),
        )

    def videos(self, collection: str | None = None) -> list[VideoRow]:
        if collection is None:
            rows = self._sql(
                "SELECT v.*, COALESCE(MAX(m.metadata), '{}') AS metadata FROM videos v "
                "LEFT JOIN members m ON m.video_id = v.id GROUP BY v.id ORDER BY v.path"
            )
        else:
            rows = self._sql(
                "SELECT v.*, m.metadata FROM videos v JOIN members m ON m.video_id = v.id "
                "WHERE m.collection = ? ORDER BY v.path",
                (collection,),
            )
        return [_video_row(r) for r in rows]

    def collections_of(self, video_id: str) -> list[str]:
        """The collections a video is in, by name."""
        rows = self._sql(
            "SELECT collection FROM members WHERE video_id = ? ORDER BY collection", (video_id,)
        )
        return [row[0] for row in rows]

    def find_videos(self, text: str) -> list[VideoRow]:
        """Videos whose id starts with ``text`` or whose path or file name matches it."""
        rows = self._sql(
            "SELECT v.*, '{}' AS metadata FROM videos v WHERE v.id LIKE ? || '%' "
            "OR v.path = ? OR v.path LIKE '%/' || ? ORDER BY v.path",
            (text, text, text),
        )
        return [_video_row(r) for r in rows]

    def forget_video(self, video_id: str) -> None:
        """Drop a file that turned out not to be a video."""
        with self.transaction():
            self._sql("DELETE FROM stages WHERE video_id=?", (video_id,))
            self._sql("DELETE FROM members WHERE video_id=?", (video_id,))
            self._sql("DELETE FROM videos WHERE id=?", (video_id,))

    # -- skipped files ------------------------------------------------------------
    def record_skip(self, collection: str, path: Path, reason: str) -> None:
        self._sql(
            "INSERT OR REPLACE INTO skipped VALUES (?, ?, ?, ?)",
            (collection, str(path), reason, time.time()),
        )

    def clear_skip(self, collection: str, path: Path) -> None:
        self._sql("DELETE FROM skipped WHERE collection=? AND path=?", (collection, str(path)))

    def skipped(self, collection: str | None = None) -> list[tuple[str, str]]:
        sql = "SELECT path, reason FROM skipped"
        args: tuple[str, ...] = ()
        if collection is not None:
            sql += " WHERE collection = ?"
            args = (collection,)
        return [(r["path"], r["reason"]) for r in self._sql(sql + " ORDER BY path", args)]

    # -- stage state --------------------------------------------------------------
    def set_stage(
        self, video_id: str, stage: str, status: str, detail: str = "", seconds: float | None = None
    ) -> None:
        self._sql(
            "INSERT OR REPLACE INTO stages VALUES (?, ?, ?, ?, ?, ?)",
            (video_id, stage, status, detail, time.time(), seconds),
        )

    def stage_states(self, video_id: str) -> dict[str, tuple[str, str]]:
        rows = self._sql("SELECT stage, status, detail FROM stages WHERE video_id = ?", (video_id,))
        return {r["stage"]: (r["status"], r["detail"]) for r in rows}


def video_collections(settings: Settings, video_id: str) -> list[str]:
    """The collections a video is in, by name (opening the catalogue for just that)."""
    catalogue = open_catalogue(settings)
    try:
        return catalogue.collections_of(video_id)
    finally:
        catalogue.close()


def collection_videos(settings: Settings, collection: str) -> list[VideoRow]:
    """A collection's videos (opening the catalogue for just that)."""
    catalogue = open_catalogue(settings)
    try:
        return catalogue.videos(collection)
    finally:
        catalogue.close()


def open_catalogue(settings: Settings) -> Catalogue:
    """The data dir's catalogue database."""
    return Catalogue(settings.data_dir / "catalogue.sqlite")


def _video_row(row: sqlite3.Row) -> VideoRow:
    return VideoRow(
        id=row["id"],
        path=row["path"],
        size=row["size"],
        duration=row["duration"],
        metadata=json.loads(row["metadata"] or "{}"),
        kind=row["kind"],
    )
