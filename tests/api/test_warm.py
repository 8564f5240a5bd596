"""An API worker on the real engine loads it at start-up, before its first request."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openimr.api.app import create_app
from openimr.extract import extractor
from openimr.service import Settings


def test_the_engine_is_loaded_when_the_worker_starts(tmp_path: Path) -> None:
    extractor.default_extractor.cache_clear()
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", data_dir=tmp_path)
    )
    assert extractor.default_extractor.cache_info().currsize == 0
    with TestClient(app) as client:  # runs the start-up (lifespan)
        assert extractor.default_extractor.cache_info().currsize == 1
        assert client.get("/api/health").status_code == 200


def test_it_can_be_turned_off_and_is_not_done_for_an_injected_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", data_dir=tmp_path)
    extractor.default_extractor.cache_clear()
    with TestClient(create_app(settings, review_engine=lambda case, **kw: None)):
        assert extractor.default_extractor.cache_info().currsize == 0
    monkeypatch.setenv("OPENIMR_WARM_ENGINE", "0")
    with TestClient(create_app(settings)):
        assert extractor.default_extractor.cache_info().currsize == 0
