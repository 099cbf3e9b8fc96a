"""Rows read from a .npy file on demand equal the array that was saved."""

from __future__ import annotations

import numpy as np
import pytest

from qa.store.file_rows import FileRows


@pytest.fixture(params=[np.int8, np.uint8, np.float32, np.int64])
def saved(tmp_path, request) -> tuple[np.ndarray, FileRows]:
    rng = np.random.default_rng(3)
    array = (rng.standard_normal((57, 6)) * 40).astype(request.param)
    np.save(tmp_path / "m.npy", array)
    return array, FileRows(tmp_path / "m.npy")


def test_every_way_of_indexing_matches_numpy(saved) -> None:
    array, rows = saved
    assert rows.shape == array.shape and rows.dtype == array.dtype and len(rows) == 57 and rows.ndim == 2
    for key in (0, 56, -1, np.int64(7), slice(None), slice(3, 9), slice(50, 70), slice(9, 3), slice(0, 57, 5)):
        np.testing.assert_array_equal(rows[key], array[key])
    for index in ([5, 6, 7, 20, 5, 0], np.asarray([[1, 2], [40, 3]]), np.asarray([], dtype=np.int64), [-1, -57]):
        np.testing.assert_array_equal(rows[index], array[np.asarray(index, dtype=np.int64)])
    for key in ((slice(2, 5), None), (3, slice(1, 4)), (np.asarray([4, 1]), 2), ()):
        np.testing.assert_array_equal(rows[key], array[key])
    np.testing.assert_array_equal(np.asarray(rows), array)
    np.testing.assert_array_equal(rows.astype(np.float32), array.astype(np.float32))
    assert rows.size == array.size
    np.testing.assert_array_equal(np.asarray(rows, dtype=np.float64), array.astype(np.float64))
    assert np.asarray(rows[[3]]).flags.writeable  # a copy, not a view into a read buffer


def test_out_of_range_rows_are_an_error(saved) -> None:
    _, rows = saved
    for key in (57, -58, [0, 57]):
        with pytest.raises(IndexError):
            rows[key]


def test_a_one_dimensional_file_and_a_truncated_one(tmp_path) -> None:
    np.save(tmp_path / "v.npy", np.arange(10, dtype=np.int64))
    v = FileRows(tmp_path / "v.npy")
    assert v[3] == 3 and v[[9, 0]].tolist() == [9, 0] and np.asarray(v).tolist() == list(range(10))
    data = (tmp_path / "v.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:-8])
    with pytest.raises(ValueError, match="truncated"):
        FileRows(tmp_path / "t.npy")


def test_rows_stay_readable_after_the_file_is_unlinked(tmp_path) -> None:
    np.save(tmp_path / "m.npy", np.eye(4, dtype=np.float32))
    rows = FileRows(tmp_path / "m.npy")
    (tmp_path / "m.npy").unlink()  # an old generation collected while a search still holds it
    np.testing.assert_array_equal(rows[[2]], np.eye(4, dtype=np.float32)[[2]])
