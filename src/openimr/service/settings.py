"""Service settings, from ``OPENIMR_*`` environment variables (pydantic-settings).

Defaults need no set-up: the data directory is ``$XDG_DATA_HOME/openimr`` (normally
``~/.local/share/openimr``), holding the SQLite database ``openimr.sqlite3`` and the blob
store ``blobs/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from openimr.service.uploads import Limits


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "openimr"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENIMR_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    """Where blobs (records, letters) and the default SQLite database live."""
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite:///<data_dir>/openimr.sqlite3``."""
    max_file_bytes: int = 20 * 1024 * 1024
    max_files: int = 200
    max_request_bytes: int = 100 * 1024 * 1024
    max_record_chars: int = 5_000_000
    """Characters of text one record may hold once read."""
    max_pdf_pages: int = 2000
    """Pages one PDF record (or PDF attachment in a FHIR record) may have."""
    max_review_seconds: float = 300.0
    """How long one engine draft may run before it is abandoned as failed."""
    draft_workers: int = 1
    """Background draft jobs run at once in each server process."""
    secure_cookies: bool | None = None
    """Mark the web page's cookie ``Secure``: None (default) when the request came over
    HTTPS (directly or as ``X-Forwarded-Proto: https`` from a trusted proxy)."""
    organization: str = "openimr"
    """The IMR organization named in letters (``OPENIMR_ORGANIZATION``)."""
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.expanduser() / 'openimr.sqlite3'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir.expanduser() / "blobs"

    @property
    def limits(self) -> Limits:
        return Limits(
            max_file_bytes=self.max_file_bytes,
            max_files=self.max_files,
            max_request_bytes=self.max_request_bytes,
            max_record_chars=self.max_record_chars,
            max_pdf_pages=self.max_pdf_pages,
            max_review_seconds=self.max_review_seconds,
        )
