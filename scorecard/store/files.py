"""Files written whole or not at all, and locks between processes (with `filelock`, which works
the same on every platform instead of POSIX-only `fcntl`)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import filelock


def atomic_write(path: Path, text: str) -> None:
    """Write text to path so that a crash at any point leaves the old content or the new, whole."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _lock(lock_path: Path, blocking: bool) -> filelock.BaseFileLock:
    # The lock file stays (removing it on release would let a waiter lock a file nobody else sees).
    return filelock.FileLock(lock_path, blocking=blocking, thread_local=False, preserve_lock_file=True)


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold the lock at `lock_path` (created if missing) until the block ends, waiting for it."""
    with _lock(lock_path, blocking=True):
        yield


@contextlib.contextmanager
def locked_if_free(lock_path: Path) -> Iterator[bool]:
    """Hold the lock if no one else does: yields True while held, False (at once) if it is taken."""
    lock = _lock(lock_path, blocking=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
