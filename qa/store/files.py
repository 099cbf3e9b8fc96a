"""The on-disk index: generations swapped atomically, validated on open.

``index/CURRENT`` names the active generation folder ``index/gen-*``. A build
writes a complete new generation, fsyncs it, then replaces ``CURRENT`` with
``os.replace`` (atomic on POSIX). A crash at any point leaves ``CURRENT``
pointing at a complete generation, so readers never see a mix of old and new.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from qa.embed.align import TokenStates, int8_rows
from qa.errors import IndexCorruptError, IndexWriteError
from qa.store import data as data_module
from qa.store.chunk_table import ChunkTable
from qa.store.data import IndexData
from qa.store.file_rows import FileRows
from qa.store.lexical import LexicalIndex
from qa.store.vectors import VectorIndex
from qa.types import Article

FORMAT = 3  # 3: chunk and sentence vectors stored as int8 with a scale per row (data.VECTOR_DTYPE); 2: float16
CURRENT = "CURRENT"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Flush every file a library wrote for us (bm25s does not fsync)."""
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        else:
            _fsync_dir(path)
    _fsync_dir(root)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, array)
        f.flush()
        os.fsync(f.fileno())


_READ_WHOLE_BELOW = 16  # bytes a row: matrices of narrower rows are read whole


def _load_matrix(path: Path) -> Any:
    """A stored matrix whose rows are read from the file on demand (qa/store/file_rows.py).

    Retrieval only gathers the rows of a few hundred candidates, so nothing is
    read whole, and nothing is held twice: once here and once inside FAISS.
    An open file stays readable after its old generation is unlinked.
    """
    try:
        rows = FileRows(path)
    except ValueError:
        return np.load(path)  # not a plain matrix; a truncated file fails here too
    # Narrow rows (a scale or an offset each: 1/96 of the token codes, 1/384 of the vectors)
    # are held in memory: read per run they cost a system call per candidate.
    return rows if rows.row_bytes > _READ_WHOLE_BELOW else np.asarray(rows)


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    if not name.startswith("gen-") or "/" in name:
        raise IndexCorruptError(f"{pointer} does not name a generation folder")
    return index_dir / name


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The active manifest only (cheap: used for staleness checks)."""
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read manifest in {gen}: {exc}") from exc


def load(index_dir: Path) -> IndexData | None:
    """The active generation, or None if no index was built yet.

    Raises IndexCorruptError when files are missing, truncated or
    inconsistent, so the caller can rebuild instead of serving garbage.
    """
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise IndexCorruptError(f"index format {manifest.get('format')} != {FORMAT}")
        chunks = ChunkTable.from_jsonl(gen / "chunks.jsonl")
        views = range(len(manifest["models"]))
        chunk_vectors = [_load_vectors(gen, f"chunk_vectors-{v}") for v in views]
        sentence_vectors = [_load_vectors(gen, "sentence_vectors-0")]  # the primary view only
        sentences = np.load(gen / "sentences.npy")
        dense = [VectorIndex.load(gen / f"dense-{v}.faiss") for v in views]
        lexical = LexicalIndex.load(gen / "lexical")
        tokens = TokenStates.load(gen, _load_matrix)
        articles = {a["source"]: Article.from_dict(a) for a in manifest["articles"]}
    except IndexCorruptError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage means "rebuild", with the cause
        raise IndexCorruptError(f"index in {gen} is damaged ({type(exc).__name__}: {exc})") from exc
    n = len(chunks)
    if n != manifest.get("n_chunks") or any(len(m) != n for m in chunk_vectors) or any(len(d) != n for d in dense):
        raise IndexCorruptError(f"index in {gen} is inconsistent: {n} chunks, {[len(d) for d in dense]} vectors")
    n_sent = len(sentences)
    if n_sent != len(manifest.get("sentence_sources", [])) or any(len(m) != n_sent for m in sentence_vectors):
        raise IndexCorruptError(f"index in {gen} has inconsistent sentence tables")
    if manifest.get("token_states") and tokens is None:
        raise IndexCorruptError(f"index in {gen} lost its token states")
    if tokens is not None and (len(tokens) != n_sent or int(tokens.offsets[-1]) != len(tokens.values)):
        raise IndexCorruptError(f"index in {gen} has token states for other sentences")
    _check_consistency(gen, manifest, articles, chunks, chunk_vectors, sentence_vectors, dense)
    return IndexData(
        manifest=manifest,
        articles=articles,
        chunks=chunks,
        chunk_vectors=chunk_vectors,
        sentences=sentences,
        sentence_sources=manifest.pop("sentence_sources"),  # held as a column, not twice as strings
        sentence_vectors=sentence_vectors,
        dense=dense,
        lexical=lexical,
        path=gen,
        tokens=tokens,
    )


def _check_consistency(gen, manifest, articles, chunks, chunk_vectors, sentence_vectors, dense) -> None:
    """Cross-checks that catch a manifest edited by hand (or files from another build).

    Each would otherwise surface later as a KeyError or IndexError in the
    middle of a search; here it becomes "damaged, rebuild".
    """
    signature = manifest.get("signature")
    if not isinstance(signature, dict) or signature.get("models") != manifest["models"]:
        raise IndexCorruptError(f"index in {gen}: manifest models {manifest['models']} do not match its signature")
    for v, (cm, d) in enumerate(zip(chunk_vectors, dense)):
        if cm.ndim != 2 or cm.shape[1] != d.index.d:
            raise IndexCorruptError(f"index in {gen}: view {v} has vectors of different sizes")
    if chunk_vectors and (sentence_vectors[0].ndim != 2 or sentence_vectors[0].shape[1] != chunk_vectors[0].shape[1]):
        raise IndexCorruptError(f"index in {gen}: sentence and chunk vectors of different sizes")
    if chunk_vectors and manifest.get("dim") != int(chunk_vectors[0].shape[1]):
        raise IndexCorruptError(f"index in {gen}: manifest dim {manifest.get('dim')} != {chunk_vectors[0].shape[1]}")
    lengths = np.asarray([articles[s].n_chars if s in articles else -1 for s in chunks.sources], dtype=np.int64)
    starts, ends = chunks.spans[:, 0], chunks.spans[:, 1]
    bad = (lengths[chunks.source_ids] < 0) | (starts < 0) | (starts > ends) | (ends > lengths[chunks.source_ids])
    for i, text in enumerate(chunks.texts()):
        if bad[i] or len(text) != ends[i] - starts[i]:
            raise IndexCorruptError(f"index in {gen}: chunk {i} ({chunks.source(i)}) does not match the manifest's articles")
    missing = set(manifest["sentence_sources"]) - set(articles)
    if missing:
        raise IndexCorruptError(f"index in {gen}: sentences of unknown articles {sorted(missing)[:3]}")


def _save_vectors(folder: Path, name: str, matrix: Any) -> None:
    """One view's vectors as stored: int8 values plus a scale per row, or a plain float matrix."""
    if data_module.VECTOR_DTYPE == np.int8:
        values, scales = int8_rows(np.asarray(matrix))
        _save_npy(folder / f"{name}.npy", values)
        _save_npy(folder / f"{name}.scales.npy", scales)
    else:
        _save_npy(folder / f"{name}.npy", np.asarray(matrix).astype(data_module.VECTOR_DTYPE))


def _load_vectors(folder: Path, name: str) -> Any:
    """The stored vectors, memory-mapped: int8 rows with their scales when a scale file is there."""
    values = _load_matrix(folder / f"{name}.npy")
    scales = folder / f"{name}.scales.npy"
    if not scales.exists():
        return values
    scale_rows = _load_matrix(scales)
    if len(scale_rows) != len(values):
        raise IndexCorruptError(f"{folder / name}: {len(values)} vectors but {len(scale_rows)} scales")
    return data_module.ScaledRows(values, scale_rows)


def save(index_dir: Path, data: IndexData) -> Path:
    """Write ``data`` as a new generation and make it current, atomically."""
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{name}"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        rows = [
            json.dumps({**asdict(c), "sentences": [list(s) for s in c.sentences]}, ensure_ascii=False)
            for c in data.chunks
        ]
        _write(tmp / "chunks.jsonl", ("\n".join(rows) + "\n" if rows else "").encode("utf-8"))
        for v, (chunk_m, dense) in enumerate(zip(data.chunk_vectors, data.dense)):
            _save_vectors(tmp, f"chunk_vectors-{v}", chunk_m)
            dense.save(tmp / f"dense-{v}.faiss")
        _save_vectors(tmp, "sentence_vectors-0", data.sentence_vectors[0])
        _save_npy(tmp / "sentences.npy", data.sentences.astype(np.int64).reshape(-1, 2))
        data.lexical.save(tmp / "lexical")
        if data.tokens is not None:
            data.tokens.save(tmp, _save_npy)
        manifest = {**data.manifest, "format": FORMAT, "n_chunks": len(data.chunks)}
        manifest["sentence_sources"] = list(data.sentence_sources)
        manifest["token_states"] = data.tokens is not None
        _write(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
        _fsync_tree(tmp)
        os.rename(tmp, index_dir / name)
        pointer_tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
        _write(pointer_tmp, name.encode())
        os.replace(pointer_tmp, index_dir / CURRENT)
        _fsync_dir(index_dir)
    except OSError as exc:  # full disk, read-only folder: CURRENT still names the old generation
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexWriteError(write_error_message(index_dir, exc)) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _collect_garbage(index_dir, keep=name)
    data.path = index_dir / name
    data.manifest = manifest
    return index_dir / name


def write_error_message(index_dir: Path, exc: OSError) -> str:
    """What went wrong writing ``index_dir`` and what to do, for an ``IndexWriteError``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left on the device"
        todo = "free some disk space and build again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = "the index folder is not writable"
        todo = "make it writable, or set QA_INDEX to a writable folder"
    else:
        what = f"{exc.strerror or exc}"
        todo = "fix the cause and build again"
    return (
        f"could not write the index in {index_dir}: {what} ({type(exc).__name__}: {exc}); "
        f"{todo}. The previous index, if any, is unchanged and still used."
    )


def _collect_garbage(index_dir: Path, keep: str, grace_seconds: float = 60.0) -> None:
    """Remove old generations and abandoned temp folders.

    Generations younger than ``grace_seconds`` are kept so a reader that
    resolved ``CURRENT`` just before the swap can finish loading.
    """
    now = time.time()
    for path in index_dir.iterdir():
        if path.name == keep or not path.is_dir() or not path.name.startswith(("gen-", ".tmp-gen-")):
            continue
        try:
            if now - path.stat().st_mtime > grace_seconds:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass
    for path in index_dir.glob(f".{CURRENT}.*"):
        path.unlink(missing_ok=True)


@contextmanager
def lock(index_dir: Path) -> Iterator[None]:
    """One builder per index folder at a time, across processes."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / ".lock", "a")  # closed by the with below
    except OSError as exc:  # read-only folder, full disk: say so before any work is done
        raise IndexWriteError(write_error_message(index_dir, exc)) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
