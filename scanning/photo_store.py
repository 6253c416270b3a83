"""Content-addressed photo storage: root/ab/cd/<sha256>.jpg and <sha256>.thumb.jpg.

The key is the sha256 of the original upload, so the same picture is stored once. Files are
written to a hidden temp file, fsynced and renamed into place: a reader sees a whole file or
none, and a crash or a full disk leaves no half-written photo behind.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from scanning.photo_errors import (
    InvalidPhotoKey,
    InvalidPhotoVariant,
    PhotoNotFound,
    PhotoStorageFull,
    PhotoStorageUnavailable,
)

if TYPE_CHECKING:  # the pipeline (Pillow) loads with the first upload, not with the store
    from scanning.photos import ProcessedPhoto

log = logging.getLogger(__name__)

IMAGE = "image"
THUMB = "thumb"
_SUFFIXES = {IMAGE: ".jpg", THUMB: ".thumb.jpg"}
_KEY = re.compile(r"[0-9a-f]{64}")
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class PhotoStore:
    """Photos on local disk under `root` (the app passes UPLOAD_DIR)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path_for(self, key: str, variant: str = IMAGE) -> Path:
        """Return where a photo variant lives; only a 64-hex key is accepted, so no traversal."""
        if not isinstance(key, str) or _KEY.fullmatch(key) is None:
            raise InvalidPhotoKey()
        suffix = _SUFFIXES.get(variant)
        if suffix is None:
            raise InvalidPhotoVariant()
        return self.root / key[:2] / key[2:4] / f"{key}{suffix}"

    def save(self, photo: ProcessedPhoto) -> str:
        """Store the photo and its thumbnail unless already stored; return the key."""
        key = photo.sha256
        # Thumbnail first: once the image is in place the photo is complete.
        variants = (
            (self.path_for(key, THUMB), photo.thumb),
            (self.path_for(key, IMAGE), photo.image),
        )
        written: list[Path] = []
        try:
            for path, data in variants:
                if not path.exists():
                    write_atomic(path, data)
                    written.append(path)
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            raise _storage_error(exc, key) from exc
        return key

    def exists(self, key: str) -> bool:
        """Tell whether the photo and its thumbnail are both stored."""
        return all(self.path_for(key, variant).exists() for variant in _SUFFIXES)

    def open(self, key: str, variant: str = IMAGE) -> BinaryIO:
        """Open a stored photo variant for reading; the caller closes it."""
        path = self.path_for(key, variant)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise PhotoNotFound() from exc
        except OSError as exc:
            raise _storage_error(exc, key) from exc

    def delete(self, key: str) -> bool:
        """Remove the photo and its thumbnail; return whether anything was there."""
        removed = False
        try:
            for variant in (IMAGE, THUMB):
                path = self.path_for(key, variant)
                if path.exists():
                    path.unlink(missing_ok=True)
                    removed = True
        except OSError as exc:
            raise _storage_error(exc, key) from exc
        return removed


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a fsynced hidden temp file renamed into place; remove the temp on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte; os.write may write fewer than asked."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _storage_error(exc: OSError, key: str) -> PhotoStorageFull | PhotoStorageUnavailable:
    """Log the real cause and return the error the user sees."""
    log.error("Photo store failed on %s: %s", key, exc)
    if exc.errno in _DISK_FULL:
        return PhotoStorageFull()
    return PhotoStorageUnavailable()
