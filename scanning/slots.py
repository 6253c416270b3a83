"""At most N image decodes at once per process, and memory handed back after each.

A decoded photo takes width x height x 4 bytes and a few copies of it while it is converted;
one worker with four threads decoding four large photos at once would hold a gigabyte. The
web server runs a few threads per process (gunicorn gthread), so a semaphore per process
bounds what a worker can hold. After a large decode glibc keeps the freed pages in its arenas;
malloc_trim hands them back to the system, so an idle worker shrinks again.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from models.errors import Unavailable

DEFAULT_SLOTS = 1
DEFAULT_WAIT_SECONDS = 30.0
# Below this many pixels a decode is small enough that trimming is not worth a system call.
TRIM_FROM_PIXELS = 4_000_000


class ImageDecodersBusy(Unavailable):
    code = "image_busy"
    message = "图片处理繁忙，请稍后重试"


_lock = threading.Lock()
_semaphore: threading.BoundedSemaphore | None = None
_size = 0


def _slots(size: int) -> threading.BoundedSemaphore:
    """The process's semaphore; a new size (configuration) takes effect for later decodes."""
    global _semaphore, _size
    with _lock:
        if _semaphore is None or size != _size:
            _semaphore, _size = threading.BoundedSemaphore(max(1, size)), size
        return _semaphore


@contextmanager
def decode_slot(
    size: int = DEFAULT_SLOTS, *, pixels: int = 0, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> Iterator[None]:
    """Hold one of `size` decode slots while decoding `pixels` pixels; 503 when none frees up
    within `wait_seconds`."""
    semaphore = _slots(size)
    if not semaphore.acquire(timeout=wait_seconds):
        raise ImageDecodersBusy()
    try:
        yield
    finally:
        semaphore.release()
        if pixels >= TRIM_FROM_PIXELS:
            release_memory()


def _load_libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_libc = _load_libc()


def release_memory() -> None:
    """Give freed heap pages back to the system (glibc only; elsewhere nothing to do)."""
    if _libc is not None:
        _libc.malloc_trim(0)
