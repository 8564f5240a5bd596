"""Content-addressed file storage for records and letters, checked by SHA-256 on every read.

A blob is written to a temporary file, flushed to disk, renamed into place and the directory
synced, so a crash never leaves a half-written blob under its final name and an acknowledged
blob survives power loss. Blobs are named by their digest; the
database rows that point at them are written in the caller's transaction, so a rolled-back
request leaves at most an unreferenced blob, never a row pointing at nothing;
:meth:`BlobStore.sweep` removes those (and temporary files a crash left) once they are old
enough that no request can still be about to reference them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openimr.errors import OpenIMRError


class BlobIntegrityError(OpenIMRError):
    """A stored blob no longer matches its checksum (or is missing)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Blobs under ``root/ab/cd/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise OpenIMRError(f"not a SHA-256 digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its SHA-256."""
        digest = sha256_hex(data)
        target = self.path_of(digest)
        if target.is_file() and target.stat().st_size == len(data):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def get(self, digest: str) -> bytes:
        """The blob's bytes, after checking them against ``digest``."""
        path = self.path_of(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BlobIntegrityError(f"stored file {digest[:12]}... is missing") from None
        if sha256_hex(data) != digest:
            raise BlobIntegrityError(f"stored file {digest[:12]}... fails its checksum")
        return data

    def exists(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def files(self) -> Iterator[Path]:
        """Every file under the store (blobs and temporary files)."""
        if not self.root.is_dir():
            return
        for path in self.root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                yield path

    def sweep(
        self,
        referenced: Callable[[str], bool],
        *,
        older_than: float = 3600.0,
        dry_run: bool = False,
    ) -> SweepReport:
        """Remove blobs no row references and temporary files left by a crash.

        Only files older than ``older_than`` seconds go: a request may have stored a blob and
        not yet committed the row that points at it.
        """
        report = SweepReport()
        cutoff = time.time() - older_than
        for path in list(self.files()):
            report.scanned += 1
            try:
                if path.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:  # pragma: no cover - removed meanwhile
                continue
            name = path.name
            if name.startswith(".") and name.endswith(".tmp"):
                orphan = True
            else:
                orphan = len(name) == 64 and not referenced(name)
            if orphan:
                report.removed.append(path.relative_to(self.root).as_posix())
                report.bytes += path.stat().st_size
                if not dry_run:
                    path.unlink(missing_ok=True)
        return report


@dataclass
class SweepReport:
    scanned: int = 0
    removed: list[str] = field(default_factory=list)
    bytes: int = 0


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)
