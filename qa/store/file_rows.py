"""Rows of a stored ``.npy`` matrix, read from the file when asked for, not mapped into memory.

A query gathers a few hundred scattered rows (candidate vectors, candidate
sentences' token codes). Through a memory map each one faulted in the pages
around it, and the pages stayed in the process: at 10^5 chunks, after 94
questions, 438 MB of the 443 MB token-code file and most of the vector files
counted in the serving process's memory (docs/scale.md, session 14). ``pread``
of each run of consecutive rows reads the same bytes through the page cache
(shared with every other process, and evictable) and keeps only the rows.
Copying rows out of a mapping and releasing its pages after each read
(``MADV_DONTNEED``) was measured too: 5 ms less per search, 110 MB more.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np


class FileRows:
    """A read-only ``(n, …)`` matrix on disk: ``m[i]``, ``m[a:b]``, ``m[index_array]``, ``len``, ``np.asarray(m)``."""

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            major, _ = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            self._offset = f.tell()
        if fortran or dtype.hasobject or not shape:
            raise ValueError(f"{path.name}: not a C-ordered matrix of plain values")
        self.shape: tuple[int, ...] = tuple(shape)
        self.dtype = dtype
        self._row_shape = self.shape[1:]
        self.row_bytes = int(dtype.itemsize * int(np.prod(self._row_shape, dtype=np.int64)))
        size = os.path.getsize(path)
        if size < self._offset + self.row_bytes * self.shape[0]:
            raise ValueError(f"{path.name}: truncated ({size} bytes for {self.shape} {dtype})")
        # An open descriptor keeps the file readable after its generation is unlinked.
        self._fd = os.open(path, os.O_RDONLY)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, tuple):  # rows first, then the rest on what was read: m[a:b, None]
            if not key:
                return self[:]
            first = key[0]
            kept = 1 if isinstance(first, slice) else np.ndim(first)
            return self[first][(slice(None),) * kept + key[1:]]
        n = self.shape[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step == 1:
                return self._run(start, max(stop - start, 0))
            return self._rows(np.arange(start, stop, step))
        if isinstance(key, (int, np.integer)):
            i = int(key) + n if int(key) < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"row {key} of {n}")
            return self._run(i, 1)[0]
        return self._rows(np.asarray(key))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def astype(self, dtype: Any) -> np.ndarray:
        """Every row, converted (a whole read: for checks and tools, not for queries)."""
        return self[:].astype(dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def _run(self, first: int, count: int) -> np.ndarray:
        """``count`` consecutive rows from ``first``, in one read."""
        out = np.empty((count, *self._row_shape), dtype=self.dtype)
        self._read_into(out, first)
        return out

    def _read_into(self, block: np.ndarray, first: int) -> None:
        """Fill ``block`` (contiguous rows) from row ``first`` of the file, in one system call."""
        want = block.nbytes
        got = os.preadv(self._fd, [memoryview(block).cast("B")], self._offset + first * self.row_bytes) if want else 0
        if got != want:
            raise OSError(f"short read: {got} of {want} bytes")

    def _rows(self, index: np.ndarray) -> np.ndarray:
        """Rows in ``index``'s order and shape: each run of consecutive rows read once."""
        if index.dtype == bool:
            index = np.flatnonzero(index)
        flat = index.astype(np.int64).ravel()
        n = self.shape[0]
        flat = np.where(flat < 0, flat + n, flat)
        if len(flat) and (flat.min() < 0 or flat.max() >= n):
            raise IndexError(f"row index out of range for {n} rows")
        unique, inverse = np.unique(flat, return_inverse=True)
        out = np.empty((len(unique), *self._row_shape), dtype=self.dtype)
        if len(unique):
            breaks = np.flatnonzero(np.diff(unique) != 1) + 1
            for lo, hi in zip(np.concatenate([[0], breaks]).tolist(), np.concatenate([breaks, [len(unique)]]).tolist()):
                self._read_into(out[lo:hi], int(unique[lo]))
        return out[inverse].reshape((*index.shape, *self._row_shape))

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
