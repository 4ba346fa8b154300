"""Writing a file so that a reader, or a job killed half-way, never sees half of it: into a
temporary file beside it, then renamed over it in one step (``os.replace`` is atomic on
POSIX). The previous file, if any, stays whole until the new one is complete."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", fsync: bool = False, **open_kwargs):
    """``with atomic_write(path) as f: …`` writes ``path`` only if the block completes.

    ``fsync``: flush to disk before the rename (checkpoints: a crash right after must not
    leave a renamed but empty file). The parent directory is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, mode, **open_kwargs) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
