"""Content-addressed file storage for records and letters, checked by SHA-256 on every read.

A blob is written to a temporary file, flushed to disk and renamed into place, so a crash
never leaves a half-written blob under its final name. Blobs are named by their digest; the
database rows that point at them are written in the caller's transaction, so a rolled-back
request leaves at most an unreferenced blob, never a row pointing at nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
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
