"""The photo store: content-hash names, stored once, atomic writes, no traversal."""

from __future__ import annotations

import errno
import os

import pytest

from scanning.photo_errors import (
    InvalidPhotoKey,
    InvalidPhotoVariant,
    PhotoNotFound,
    PhotoStorageFull,
    PhotoStorageUnavailable,
)
from scanning.photo_store import PhotoStore
from scanning.photos import process_photo
from tests.scanning.photo_samples import encode, noisy, solid


@pytest.fixture(scope="module")
def photo():
    return process_photo(encode(noisy((300, 200)), "PNG"))


@pytest.fixture
def store(tmp_path):
    return PhotoStore(tmp_path / "uploads")


def files_under(root) -> list:
    """Every file left below root, hidden temp files included."""
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


class FillingDisk:
    """Fake os.write: accepts `room` bytes in all, then fails as a full disk does."""

    def __init__(self, room: int):
        self.room = room
        self.real_write = os.write

    def __call__(self, fd: int, data) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        accepted = min(len(data), self.room)
        self.room -= accepted
        return self.real_write(fd, bytes(data[:accepted]))


def test_photo_is_stored_under_its_content_hash(store, photo):
    key = store.save(photo)

    prefix = store.root / key[:2] / key[2:4]
    assert key == photo.sha256
    assert files_under(store.root) == [prefix / f"{key}.jpg", prefix / f"{key}.thumb.jpg"]
    with store.open(key) as image, store.open(key, "thumb") as thumb:
        assert (image.read(), thumb.read()) == (photo.image, photo.thumb)


def test_same_photo_uploaded_twice_is_stored_once(store, photo):
    key = store.save(photo)
    before = [
        (path, path.stat().st_ino, path.stat().st_mtime_ns) for path in files_under(store.root)
    ]

    again = store.save(process_photo(encode(noisy((300, 200)), "PNG")))

    after = [
        (path, path.stat().st_ino, path.stat().st_mtime_ns) for path in files_under(store.root)
    ]
    assert again == key
    assert after == before


def test_exists_only_when_both_variants_are_stored(store, photo):
    assert not store.exists(photo.sha256)

    store.save(photo)

    assert store.exists(photo.sha256)


def test_photo_left_half_stored_by_a_crash_is_completed_on_the_next_save(store, photo):
    thumb = store.path_for(photo.sha256, "thumb")
    thumb.parent.mkdir(parents=True)
    thumb.write_bytes(photo.thumb)
    (thumb.parent / f".{photo.sha256}.jpg.0123abcd.tmp").write_bytes(photo.image[:100])
    assert not store.exists(photo.sha256)

    store.save(photo)

    assert store.path_for(photo.sha256).read_bytes() == photo.image


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "",
        "ab/cd",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "a" * 63 + "g",
        "a" * 64 + "\n",
        "../" + "a" * 61,
        "/" + "a" * 63,
        None,
    ],
)
def test_key_that_is_not_64_lowercase_hex_is_refused(store, key):
    with pytest.raises(InvalidPhotoKey) as caught:
        store.path_for(key)

    assert caught.value.status == 422
    with pytest.raises(InvalidPhotoKey):
        store.open(key)


def test_unknown_variant_is_refused(store, photo):
    with pytest.raises(InvalidPhotoVariant):
        store.path_for(photo.sha256, "../../etc/passwd")


def test_opening_a_photo_never_stored_is_not_found(store):
    with pytest.raises(PhotoNotFound) as caught:
        store.open("0" * 64)

    assert caught.value.status == 404


def test_delete_removes_both_variants(store, photo):
    key = store.save(photo)

    assert store.delete(key) is True
    assert files_under(store.root) == []
    assert store.delete(key) is False


@pytest.mark.parametrize(
    "room",
    [
        pytest.param(lambda photo: 0, id="nothing-written"),
        pytest.param(lambda photo: len(photo.thumb) // 2, id="thumbnail-half-written"),
        pytest.param(lambda photo: len(photo.thumb) + 1000, id="image-half-written"),
    ],
)
def test_full_disk_leaves_nothing_behind(store, photo, monkeypatch, room):
    monkeypatch.setattr(os, "write", FillingDisk(room(photo)))

    with pytest.raises(PhotoStorageFull) as caught:
        store.save(photo)

    assert caught.value.status == 503
    assert caught.value.message == "存储空间不足，照片未保存"
    assert files_under(store.root) == []
    assert not store.exists(photo.sha256)


def test_read_only_storage_is_unavailable_and_leaves_nothing(store, photo, monkeypatch):
    real_open = os.open

    def read_only_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_open)

    with pytest.raises(PhotoStorageUnavailable) as caught:
        store.save(photo)

    assert caught.value.status == 503
    assert files_under(store.root) == []


def test_failed_rename_removes_the_temp_file(store, photo, monkeypatch):
    def disk_gone(*args, **kwargs):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "replace", disk_gone)

    with pytest.raises(PhotoStorageUnavailable):
        store.save(photo)

    assert files_under(store.root) == []


def test_different_photos_get_different_keys(store):
    first = store.save(process_photo(encode(solid((20, 20), (1, 2, 3)), "PNG")))
    second = store.save(process_photo(encode(solid((20, 20), (3, 2, 1)), "PNG")))

    assert first != second
    assert store.exists(first) and store.exists(second)
