"""Step 3, the index: built from chunks and vectors, searched by the engine above.

In: articles, chunks and their vectors (from ingest and embed).
Out: :class:`qa.store.data.IndexData`: dense search per view (``vectors``),
BM25 over name keys and stems (``lexical``), token states, and the filters'
meaning (``filters``), whichever backend holds them.

``build`` assembles an index incrementally and hands it to a backend, one per
module: ``files`` (FAISS and bm25s in atomically swapped generations, the
default) and ``postgres`` (pgvector HNSW and full-text search, chosen with
``QA_INDEX=postgresql://…``). Every backend offers the same five calls
(``read_manifest``, ``current_generation``, ``load``, ``save``, ``lock``), so
the build and the engine never ask which one they hold. Another engine
(OpenSearch, Qdrant) is one more module here and one more branch in
:func:`backend`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType
from typing import Any

from qa.settings import DATABASE_SCHEMES, index_location
from qa.store.data import DenseSearch, Filters, IndexData, LexicalScores, LexicalSearch, at_stored_precision

Location = Path | str

__all__ = [
    "at_stored_precision",
    "DenseSearch",
    "Filters",
    "IndexData",
    "LexicalScores",
    "LexicalSearch",
    "Location",
    "backend",
    "current_generation",
    "describe",
    "is_database",
    "load",
    "local_search",
    "lock",
    "read_manifest",
    "save",
    "write_error_message",
]


def is_database(location: Location) -> bool:
    """Whether ``location`` names a database rather than a folder."""
    return isinstance(location, str) and location.startswith(DATABASE_SCHEMES)


def backend(location: Location) -> ModuleType:
    """The module that stores an index at ``location``."""
    if is_database(location):
        from qa.store import postgres

        return postgres
    from qa.store import files

    return files


def read_manifest(location: Location) -> dict[str, Any] | None:
    """The active generation's manifest only (cheap: used for staleness checks)."""
    return backend(location).read_manifest(index_location(location))


def current_generation(location: Location) -> Path | str | None:
    """What names the active generation (a folder, or a database generation), or None before the first build."""
    return backend(location).current_generation(index_location(location))


def load(location: Location) -> IndexData | None:
    """The active generation, or None if none was built; IndexCorruptError when it is damaged."""
    return backend(location).load(index_location(location))


def save(location: Location, data: IndexData) -> Path | str:
    """Write ``data`` as a new generation and make it current, atomically."""
    return backend(location).save(index_location(location), data)


def lock(location: Location) -> AbstractContextManager[None]:
    """One builder per index at a time, across processes."""
    return backend(location).lock(index_location(location))


def write_error_message(location: Location, exc: OSError) -> str:
    return backend(location).write_error_message(index_location(location), exc)


def describe(location: Location) -> str:
    """The location for messages: a folder as is, a database without its password."""
    return backend(location).describe(location) if is_database(location) else str(location)


def local_search(location: Location) -> bool:
    """Whether the build must fit in-process search structures (FAISS, bm25s) for this backend."""
    return not is_database(location)
