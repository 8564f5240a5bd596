from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("OPENIMR_SHARED", Path(__file__).resolve().parents[2] / "shared"))

# the start-up cache (openimr.diskcache) of the tests, and of the commands they run, lives in
# a temporary directory of this test process, never in the user's cache
_CACHE_DIR = tempfile.mkdtemp(prefix="openimr-test-cache-")
os.environ["OPENIMR_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def seed_case(shared: Path) -> Path:
    return shared / "examples" / "seed-case"
