"""A cache on disk of what openimr compiles from its data at start-up (the library, the
extraction rules, the request catalogue, the extractor's tables, the built spaCy pipeline), so
that a fresh process reads one pickle instead of parsing and checking YAML and building matchers.

Each entry is keyed by a hash of the package's own files (its data and its code) and the
Python version: any change to a data file, or a new openimr, builds and writes a new entry.
The cache lives in ``$OPENIMR_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/openimr`` (default
``~/.cache/openimr``); ``OPENIMR_CACHE_DIR=off`` turns it off. An unwritable or damaged cache
is never an error: openimr then builds in memory as if there were none.

The cache holds only openimr's own compiled data, never a case or a record.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from openimr import __version__

T = TypeVar("T")

PACKAGE_DIR = Path(__file__).resolve().parent
ENV = "OPENIMR_CACHE_DIR"
_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".txt", ".csv")
FORMAT = 1
"""Bumped when the layout of an entry changes."""


def cache_dir() -> Path | None:
    """Where entries are kept, or None when the cache is off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        if configured.strip().lower() in ("", "off", "0", "none"):
            return None
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "openimr"


def tree_key(directory: Path) -> str:
    """A hash of the names and contents of the data and code files under ``directory``."""
    h = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.suffix in _SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            h.update(path.relative_to(directory).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


@cache
def package_key() -> str:
    """The key of the installed package: its files, openimr's and Python's versions."""
    h = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version}|{PACKAGE_DIR}".encode())
    h.update(tree_key(PACKAGE_DIR).encode())
    return h.hexdigest()[:24]


def entry_path(name: str, key: str | None = None) -> Path | None:
    """The file of entry ``name`` under ``key`` (default: the package's; None: cache off)."""
    base = cache_dir()
    return None if base is None else base / f"{name}-{key or package_key()}.pickle"


Codec = tuple[Callable[[T], bytes], Callable[[bytes], T]]
"""How an entry is written and read when plain pickle cannot: (dumps, loads)."""


def cached(
    name: str, build: Callable[[], T], key: str | None = None, codec: Codec[T] | None = None
) -> T:
    """The value ``build()`` returns, read from the cache when an entry for ``key`` (default:
    the current package) is there, else built and (when the directory is writable) stored
    (by ``codec`` when given, else by pickle)."""
    path = entry_path(name, key)
    if path is not None:
        try:
            with path.open("rb") as fh:
                value: T = pickle.load(fh) if codec is None else codec[1](fh.read())
            return value
        except FileNotFoundError:
            pass
        except Exception:  # damaged, or written by an incompatible build: rebuild it
            pass
    value = build()
    if path is not None:
        _store(path, value, None if codec is None else codec[0])
    return value


def _store(path: Path, value: T, dumps: Callable[[T], bytes] | None = None) -> None:
    """Write an entry whole (to a temporary file renamed over it), or not at all."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if dumps is None:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            data = dumps(value)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return


STALE_AFTER_S = 7 * 24 * 3600
"""Entries of another package key untouched this long are removed (two installs sharing a
cache keep theirs)."""


def _prune(current: Path) -> None:
    """Remove stale entries of the same name (another data or code version)."""
    import time

    name = current.name.rsplit("-", 1)[0]
    now = time.time()
    for old in current.parent.glob(f"{name}-*.pickle"):
        try:
            if old != current and now - old.stat().st_mtime > STALE_AFTER_S:
                old.unlink()
        except OSError:
            continue
