"""Uploads: names, limits, and reading a submitted case through the case-format reader."""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openimr.caseio import load_case
from openimr.errors import CaseFormatError, InputError, OpenIMRError, UploadTooLargeError
from openimr.model import Case
from openimr.records import SUPPORTED_SUFFIXES
from openimr.records.limits import RecordLimits, current, record_limits

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ ()+-]{0,199}$")

MEDIA_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".pdf": "application/pdf",
    ".json": "application/fhir+json",
    ".ndjson": "application/fhir+ndjson",
    ".yaml": "application/yaml",
}


@dataclass(frozen=True)
class Limits:
    """The service's limits (``OPENIMR_*`` settings; ``docs/security.md`` lists them)."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_files: int = 200
    max_request_bytes: int = 100 * 1024 * 1024
    max_record_chars: int = 5_000_000
    max_pdf_pages: int = 2000
    max_review_seconds: float = 300.0

    @property
    def records(self) -> RecordLimits:
        """What one record may hold (a record is one uploaded file)."""
        return RecordLimits(
            max_bytes=self.max_file_bytes,
            max_chars=self.max_record_chars,
            max_pdf_pages=self.max_pdf_pages,
        )


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the client gave and its bytes."""

    name: str
    data: bytes


def record_name(raw: str) -> str:
    """The stored name of a record (``records/<file>``), or a clear refusal.

    The client may send ``x.txt`` or ``records/x.txt``; any other directory, ``..``, an
    absolute path or an unsupported type is refused.
    """
    name = raw.replace("\\", "/").strip()
    if name.startswith("records/"):
        name = name[len("records/") :]
    if not name or "/" in name or not _SAFE_NAME.match(name) or name.startswith("."):
        raise InputError(
            "a record file name must be a plain file name (letters, digits, . _ - space), "
            "without directories",
            file=raw,
        )
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"unsupported record type {suffix or '(none)'!r}; expected "
            f"{', '.join(SUPPORTED_SUFFIXES)}",
            file=raw,
        )
    return f"records/{name}"


def media_type_of(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def check_limits(files: Sequence[Upload], limits: Limits) -> None:
    if len(files) > limits.max_files:
        raise UploadTooLargeError(
            f"{len(files)} files sent; at most {limits.max_files} are accepted in one request"
        )
    total = 0
    for f in files:
        size = len(f.data)
        total += size
        if size > limits.max_file_bytes:
            raise UploadTooLargeError(
                f"{size} bytes; the limit is {limits.max_file_bytes} bytes per file", file=f.name
            )
        if size == 0:
            raise InputError("the file is empty", file=f.name)
    if total > limits.max_request_bytes:
        raise UploadTooLargeError(
            f"{total} bytes in all; the limit is {limits.max_request_bytes} bytes per request"
        )


def submission_key(case_yaml: bytes, records: dict[str, bytes]) -> str:
    """The identity of an application: the same case.yaml and records give the same key."""
    h = hashlib.sha256()
    h.update(b"case.yaml\0" + hashlib.sha256(case_yaml).digest())
    for name in sorted(records):
        h.update(name.encode("utf-8") + b"\0" + hashlib.sha256(records[name]).digest())
    return h.hexdigest()


@contextmanager
def case_directory(case_yaml: bytes, records: dict[str, bytes]) -> Iterator[Path]:
    """A temporary case directory holding ``case.yaml`` and ``records/``; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="openimr-case-") as tmp:
        root = Path(tmp)
        (root / "case.yaml").write_bytes(case_yaml)
        (root / "records").mkdir()
        for name, data in records.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield root


def read_case(
    case_yaml: bytes,
    records: dict[str, bytes],
    *,
    read_records: bool = True,
    limits: RecordLimits | None = None,
) -> Case:
    """Read a submitted case as ``openimr review`` would, under ``limits``; errors name
    ``case.yaml`` or the record (never a temporary path)."""
    with (
        case_directory(case_yaml, records if read_records else {}) as root,
        record_limits(limits or current()),
    ):
        try:
            case = load_case(root, read_records=read_records)
        except OpenIMRError as exc:
            prefix = str(root) + "/"
            shown = (exc.file or "").replace(prefix, "") or None
            message = exc.message.replace(prefix, "")
            raise CaseFormatError(message, file=shown, field=exc.field, line=exc.line) from None
    return case.model_copy(update={"source": None})
