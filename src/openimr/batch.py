"""Many cases at once: find them, review them on several cores, write one JSON line each.

``openimr review`` runs through here whenever it prints JSON lines. The cases come from case
directories, ``case.yaml`` files, folders of case directories (taken in name order) and list
files (one case path a line, ``-`` for standard input). They are reviewed by worker processes
that each hold one loaded engine (on Linux the workers are forked from a process that has
loaded it already, so it is loaded once in all), with a time limit per case. Each case gives
exactly one line, written whole: the review, or ``{"case": PATH, "error": ...}``.

Written to a file (``--output``), every line also names its case (``"case": PATH``), so that
``--resume`` can keep the reviews already there and review only the rest; the lines of a
batch interrupted part-way are a prefix of the input in order, so a resumed batch ends in
input order too (a case whose line was an error is reviewed again, after the others).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from openimr.errors import OpenIMRError

DEFAULT_TIME_LIMIT = 600.0
"""Seconds one case may take before it is given up with an error line (a 1,000-page record
takes about 150 s here; docs/figures.md)."""

CHUNK = 4
"""Cases sent to a worker at once (fewer round trips; small enough to keep order cheap)."""


class BatchInputError(OpenIMRError):
    """A case list that cannot be read, or an output file that cannot be resumed."""


def unexpected(path: str | Path, exc: BaseException) -> str:
    """The one line for an error openimr did not foresee: its kind, never its message (which
    might quote a record) and never a traceback."""
    return (
        f"{path}: the case could not be reviewed: unexpected {type(exc).__name__} "
        "(an openimr bug; please report it with the case's structure, not its records)"
    )


# -- finding the cases -----------------------------------------------------------------------


def _is_case_file(p: Path) -> bool:
    return p.suffix.lower() in (".yaml", ".yml")


def _list_lines(lines: Iterable[str], base: Path | None) -> Iterator[str]:
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(line)
        yield str(p if p.is_absolute() or base is None else base / p)


def expand_cases(args: Iterable[str | Path], stdin: IO[str] | None = None) -> list[str]:
    """The case paths the arguments stand for, in order.

    A directory with a ``case.yaml`` is a case; a directory without one is a folder of
    cases (its sub-directories that hold a ``case.yaml``, by name); a ``.yaml`` file is a
    case file; any other file is a list of cases, one path a line (relative paths are
    relative to the current directory; blank lines and ``#`` lines are skipped); ``-`` is
    such a list on standard input. A path that does not exist is passed on as a case, so
    that it gives its own error line.
    """
    out: list[str] = []
    for arg in args:
        text = str(arg)
        if text == "-":
            out.extend(_list_lines(stdin if stdin is not None else sys.stdin, None))
            continue
        p = Path(text)
        if p.is_dir():
            if (p / "case.yaml").is_file():
                out.append(text)
                continue
            subs = sorted(
                (c for c in p.iterdir() if c.is_dir() and (c / "case.yaml").is_file()),
                key=lambda c: c.name,
            )
            if not subs:
                raise BatchInputError(
                    "no case.yaml in the directory, nor in any directory under it", file=text
                )
            out.extend(str(c) for c in subs)
        elif p.is_file() and not _is_case_file(p):
            try:
                with p.open(encoding="utf-8") as fh:
                    out.extend(_list_lines(fh, None))
            except UnicodeDecodeError:
                raise BatchInputError("a list of cases must be UTF-8 text", file=text) from None
            except OSError as exc:
                raise BatchInputError(f"cannot read: {exc.strerror}", file=text) from None
        else:
            out.append(text)
    return out


# -- reviewing one case ----------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What every case of a batch is reviewed with."""

    abstain: dict[str, float] = field(default_factory=dict)
    time_limit: float | None = DEFAULT_TIME_LIMIT
    name_case: bool = False
    """Put ``"case": PATH`` in every line (written to a file: for --resume)."""


@dataclass(frozen=True)
class Outcome:
    index: int
    case: str
    line: str
    """The JSON line, without its newline."""
    ok: bool
    warnings: tuple[str, ...] = ()


class CaseTimeout(BaseException):
    """A case over its time limit (a BaseException: no ``except Exception`` on the way
    turns it into another error)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in this (main) thread after ``seconds``; elsewhere, or
    without SIGALRM, no limit."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise CaseTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def review_one(index: int, case_path: str, settings: Settings) -> Outcome:
    """Review one case into its JSON line; never raises for a bad or failing case."""
    import openimr.pipeline
    from openimr.caseio import load_case
    from openimr.render import review_to_json

    def error(message: str) -> Outcome:
        return Outcome(index, case_path, json.dumps({"case": case_path, "error": message}), False)

    try:
        with _time_limit(settings.time_limit):
            case = load_case(case_path)
            result = openimr.pipeline.review_case(
                case,
                abstain_below=settings.abstain.get(
                    "abstain_below", openimr.pipeline.DEFAULT_ABSTAIN_BELOW
                ),
            )
            data = review_to_json(result)
    except CaseTimeout:
        return error(
            f"{case_path}: the case was given up after the time limit of "
            f"{settings.time_limit:g} s (--time-limit)"
        )
    except OpenIMRError as exc:
        return error(str(exc))
    except Exception as exc:  # a bug: one case's failure never stops a batch
        return error(unexpected(case_path, exc))
    if settings.name_case:
        data = {"case": case_path, **data}
    return Outcome(index, case_path, json.dumps(data), True, tuple(case.warnings))


def _review_chunk(chunk: list[tuple[int, str]], settings: Settings) -> list[Outcome]:
    return [review_one(i, p, settings) for i, p in chunk]


def warm() -> None:
    """Load everything a review needs (library, rules, catalogue, pipelines) once."""
    from openimr.extract.extractor import default_extractor
    from openimr.library.shipped import default_library
    from openimr.records.structure import find_sections
    from openimr.request import catalogue, parse_request

    default_library()
    catalogue()
    extractor = default_extractor()
    _ = extractor.locator
    find_sections("HISTORY:\nwarm-up\n")
    parse_request("physical therapy")


def _worker_init() -> None:
    # the parent handles ^C; a worker just stops with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm()


# -- resuming an output file -----------------------------------------------------------------


def resume_file(path: Path) -> set[str]:
    """The cases whose review is already in ``path`` (kept); error lines, a last line cut
    short and lines that are not reviews are dropped from the file, so those cases are
    reviewed again. The file is rewritten (through a temporary file) only when a line is
    dropped; memory holds the case paths only."""
    done: set[str] = set()
    if not path.exists():
        return done
    dropped = 0
    try:
        with path.open("rb") as fh:
            for raw in fh:
                case = _kept_case(raw)
                if case is None or case in done:
                    dropped += 1
                else:
                    done.add(case)
        if dropped:
            tmp = path.with_name(f".{path.name}.resume")
            seen: set[str] = set()
            with path.open("rb") as src, tmp.open("wb") as dst:
                for raw in src:
                    case = _kept_case(raw)
                    if case is not None and case not in seen:
                        seen.add(case)
                        dst.write(raw)
            os.replace(tmp, path)
    except OSError as exc:
        raise BatchInputError(f"cannot resume: {exc.strerror}", file=str(path)) from None
    return done


def _kept_case(raw: bytes) -> str | None:
    if not raw.endswith(b"\n"):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or "error" in data or "items" not in data:
        return None
    case = data.get("case")
    return case if isinstance(case, str) else None


# -- the batch -------------------------------------------------------------------------------


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_batch(
    cases: list[str],
    emit: Callable[[Outcome], None],
    *,
    settings: Settings,
    jobs: int = 1,
    ordered: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Review ``cases``, calling ``emit`` with each outcome (in input order unless
    ``ordered`` is False); return how many failed."""
    failed = 0

    def done(outcome: Outcome) -> None:
        nonlocal failed
        failed += not outcome.ok
        emit(outcome)
        if progress is not None:
            progress(1)

    if not cases:
        return 0
    jobs = max(1, min(jobs, (len(cases) + CHUNK - 1) // CHUNK))
    if jobs == 1:
        if settings.time_limit:
            warm()  # the time limit is the case's own: not the engine's loading
        for i, p in enumerate(cases):
            done(review_one(i, p, settings))
        return failed
    # made one at a time as the pool takes them: no second and third copy of a long list
    chunks = (list(enumerate(cases[k : k + CHUNK], start=k)) for k in range(0, len(cases), CHUNK))
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    if ctx.get_start_method() == "fork":
        warm()  # the workers inherit the loaded engine instead of each loading it
    with ctx.Pool(jobs, initializer=_worker_init) as pool:
        if not ordered:
            for outcomes in pool.imap_unordered(_ChunkTask(settings), chunks, chunksize=1):
                for o in outcomes:
                    done(o)
        else:
            # a bounded window of chunks in flight: output stays in order and memory stays
            # flat even when one case is slow
            window = jobs * 4
            pending: deque[Any] = deque()
            for chunk in chunks:
                pending.append(pool.apply_async(_review_chunk, (chunk, settings)))
                if len(pending) >= window:
                    for o in pending.popleft().get():
                        done(o)
            while pending:
                for o in pending.popleft().get():
                    done(o)
        pool.close()
        pool.join()
    return failed


class _ChunkTask:
    """A picklable callable reviewing one chunk with fixed settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, chunk: list[tuple[int, str]]) -> list[Outcome]:
        return _review_chunk(chunk, self.settings)


class LineWriter:
    """Writes each line whole (one system call) to a file opened for appending, or to a
    text stream."""

    def __init__(self, path: Path | None, stream: IO[str] | None = None) -> None:
        self._fd: int | None = None
        self._stream = stream
        if path is not None:
            try:
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            except OSError as exc:
                raise BatchInputError(f"cannot write: {exc.strerror}", file=str(path)) from None

    def write(self, line: str) -> None:
        data = line + "\n"
        if self._fd is not None:
            raw = data.encode("utf-8")
            view = memoryview(raw)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        elif self._stream is not None:
            self._stream.write(data)
            self._stream.flush()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
