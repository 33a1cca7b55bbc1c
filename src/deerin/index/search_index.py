"""The search index's store: LanceDB tables, their indexes, and the queries they answer.

One LanceDB database per collection, under ``search.index_uri`` (a folder, by default
``<data>/index``, or an object-store URI such as ``s3://bucket/index``): the same code
runs embedded on a laptop and against object storage on a cluster. The tables are
derived data: the artefacts stay the source of truth, and ``deerin index --rebuild``
recreates every table from them.

This module knows tables, columns and indexes, not what a shot or a spoken word is
(that is :mod:`deerin.retrieve`). Indexes follow a table's :class:`TableSpec`: a
full-text index with token positions (for phrases) on text columns, scalar indexes on
the filter columns most searches use (so those filters run before the vector search
from the index, not by reading every row), and an approximate nearest-neighbour index
once a table passes ``search.ann_threshold`` rows.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from deerin.errors import DeerinError
from deerin.settings import Settings

STATE = "state"  # the table saying which artefacts each video's rows were built from
ROWS_PER_PARTITION = 4096
REFINE = 2  # ANN candidates re-ranked on the full vectors, per hit asked for
LABELS = "labels"  # the image model's labels in text and image space (text to picture)


class IndexMissing(DeerinError):
    """A collection has no search index (yet)."""


@dataclass(frozen=True)
class TableSpec:
    """A table's name and the indexes its columns get."""

    name: str
    text: tuple[str, ...] = ()  # full-text (BM25) with positions
    btree: tuple[str, ...] = ()  # many distinct values: ids, years, times
    bitmap: tuple[str, ...] = ()  # few distinct values: kinds, scales, languages
    labels: tuple[str, ...] = ()  # list columns filtered with array_has
    vectors: tuple[str, ...] = ()


def _partitions(index_name: str) -> int:
    """The IVF partitions an ANN index was built with (``vector_ann_24`` -> 24)."""
    count = index_name.rpartition("_")[2]
    return int(count) if count.isdecimal() else 1


def index_root(settings: Settings) -> str:
    """Where every collection's database lives: the configured URI or ``<data>/index``."""
    return settings.search.index_uri or str(settings.data_dir / "index")


def _is_local(uri: str) -> bool:
    return "://" not in uri


def sql_text(value: str) -> str:
    """A string as a SQL literal: quotes doubled, so a value can never end the literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class SearchIndex:
    """One collection's search database."""

    uri: str
    db: Any
    _tables: dict[str, Any] = field(default_factory=dict)
    _ann: dict[tuple[str, str, int], bool] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: Settings, collection: str, create: bool = False) -> SearchIndex:
        """The collection's index; :class:`IndexMissing` (with the fix) when there is none."""
        import lancedb

        uri = f"{index_root(settings).rstrip('/')}/{collection}"
        if not create and _is_local(uri) and not Path(uri).is_dir():
            raise IndexMissing(
                f"collection '{collection}' has no search index",
                path=uri,
                hint=f"run `deerin index -c {collection}` (or `deerin ingest` on it)",
            )
        try:
            # A server keeps its index open: it sees what an ingest adds within seconds.
            db = lancedb.connect(uri, read_consistency_interval=timedelta(seconds=5))
        except (OSError, ValueError, RuntimeError) as exc:
            raise DeerinError(
                f"the search index cannot be opened ({exc})",
                path=uri,
                hint="check search.index_uri and its credentials",
            ) from exc
        index = cls(uri, db)
        if not create and STATE not in index.names():
            raise IndexMissing(
                f"collection '{collection}' has no search index",
                path=uri,
                hint=f"run `deerin index -c {collection}`",
            )
        return index

    def names(self) -> set[str]:
        return set(self.db.list_tables().tables)

    def table(self, name: str) -> Any | None:
        """A table, or None when the collection has nothing of that kind."""
        if name not in self._tables:
            if name not in self.names():
                return None
            self._tables[name] = self.db.open_table(name)
        return self._tables[name]

    def _has_ann(self, name: str, table: Any, column: str) -> bool:
        """Whether a vector column has its ANN index (asked once per table and version)."""
        key = (name, column, table.version)
        if key not in self._ann:
            self._ann[key] = any(
                tuple(i.columns) == (column,) and i.index_type.upper().startswith("IVF")
                for i in table.list_indices()
            )
        return self._ann[key]

    def drop_all(self) -> None:
        """Remove every table (a rebuild starts from nothing)."""
        for name in self.names():
            self.db.drop_table(name)
        self._tables.clear()

    # -- writing --------------------------------------------------------------------
    def replace_rows(self, name: str, video_ids: list[str], rows: pa.Table | None) -> None:
        """Drop the rows of ``video_ids`` from a table and add ``rows`` in their place."""
        table = self.table(name)
        if table is not None and video_ids:
            for start in range(0, len(video_ids), 500):
                chunk = ", ".join(sql_text(v) for v in video_ids[start : start + 500])
                table.delete(f"video_id IN ({chunk})")
        if rows is None or rows.num_rows == 0:
            return
        if table is None:
            self._tables[name] = self.db.create_table(name, rows)
        else:
            table.add(rows)

    def vector_size(self, name: str, column: str = "vector") -> int | None:
        """The length of a table's vectors (None: no such table yet)."""
        table = self.table(name)
        return None if table is None else table.schema.field(column).type.list_size

    def put_table(self, name: str, rows: pa.Table) -> None:
        """Write a whole small table, replacing the one of that name."""
        self._tables[name] = self.db.create_table(name, rows, mode="overwrite")

    def build_indexes(self, spec: TableSpec, ann_threshold: int) -> list[str]:
        """Create or refresh a table's indexes; says which it built."""
        table = self.table(spec.name)
        if table is None:
            return []
        from lancedb.index import FTS, Bitmap, BTree, IvfHnswSq, LabelList

        existing = {tuple(i.columns): i for i in table.list_indices()}
        rows = table.count_rows()
        built = []
        wanted: list[tuple[str, Any]] = [
            # Stop words stay: "to be or not to be" is a phrase an archivist searches for.
            *((c, FTS(with_position=True, remove_stop_words=False)) for c in spec.text),
            *((c, BTree()) for c in spec.btree),
            *((c, Bitmap()) for c in spec.bitmap),
            *((c, LabelList()) for c in spec.labels),
        ]
        names: dict[str, str] = {}
        if rows >= ann_threshold:
            # About 4,000 rows per IVF partition; HNSW inside each keeps recall high. The
            # partition count is in the index's name: a table grown four times past it is
            # partitioned again (new rows only join the partitions trained before).
            partitions = max(1, math.ceil(rows / ROWS_PER_PARTITION))
            for column in spec.vectors:
                held = existing.get((column,))
                if held is not None and rows > 4 * ROWS_PER_PARTITION * _partitions(held.name):
                    table.drop_index(held.name)
                    del existing[(column,)]
                names[column] = f"{column}_ann_{partitions}"
                wanted.append(
                    (column, IvfHnswSq(distance_type="cosine", num_partitions=partitions))
                )
        for column, config in wanted:
            if (column,) not in existing:
                table.create_index(column, config=config, replace=True, name=names.get(column))
                built.append(f"{spec.name}.{column}")
        if existing:
            with contextlib.suppress(RuntimeError, ValueError):  # nothing new to fold in
                table.optimize()
        return built

    # -- reading --------------------------------------------------------------------
    def vector_search(
        self,
        name: str,
        vector: np.ndarray,
        column: str,
        where: str | None,
        limit: int,
        columns: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The nearest rows by cosine distance, filtered first (``_distance`` on each)."""
        table = self.table(name)
        if table is None:
            return []
        query = table.search(vector.astype(np.float32), vector_column_name=column)
        query = query.distance_type("cosine").limit(limit)
        if self._has_ann(name, table, column):
            # 20 partitions probed, HNSW's ef at twice what is re-ranked, and the best 2x
            # candidates re-ranked on the full vectors (scalar quantisation is lossy):
            # recall@10 0.992 -> 1.0 at 100k for 20 % more time (bench/search_scale.py).
            query = query.nprobes(20).ef(max(limit * 2 * REFINE, 64)).refine_factor(REFINE)
        return _answer(query, where, columns, "_distance")

    def text_search(
        self,
        name: str,
        query: Any,
        where: str | None,
        limit: int,
        columns: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """BM25 hits for a LanceDB full-text query object (``_score`` on each)."""
        table = self.table(name)
        if table is None:
            return []
        return _answer(table.search(query).limit(limit), where, columns, "_score")

    def rows(
        self,
        name: str,
        where: str | None,
        limit: int | None = None,
        columns: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows matching a filter (through the scalar indexes), in storage order."""
        table = self.table(name)
        if table is None:
            return []
        everything = table.search().limit(limit if limit is not None else table.count_rows())
        return _answer(everything, where, columns)


def _answer(
    query: Any, where: str | None, columns: list[str] | None, score: str | None = None
) -> list[dict[str, Any]]:
    """A LanceDB query filtered first (on the scalar indexes), its columns (and score)."""
    if where:
        query = query.where(where, prefilter=True)
    if columns:
        query = query.select([*columns, score] if score else columns)
    return query.to_list()
