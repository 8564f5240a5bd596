"""Fixtures for the API tests: the app on the test database, API keys for each role, and a
live uvicorn server on a free local port (for the browser and concurrency tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from wfsupport import ADMIN, Env, fake_engine, profile

from openimr.api.app import create_app
from openimr.service import Settings

ATTACHED = {"facts": {"ur_decision_attached": True}}
"""Screening facts under which the seed application is eligible (the UR letter came with it)."""
SEED = Path(__file__).resolve().parents[3] / "shared" / "examples" / "seed-case"


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    env: Env
    keys: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def call(self, who: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, path, headers=self.h(who), **kw)

    def submit_seed(self, who: str = "intake", case_yaml: bytes | None = None) -> httpx.Response:
        files: list[tuple[str, tuple[str, bytes, str]]] = [
            ("case", ("case.yaml", case_yaml or (SEED / "case.yaml").read_bytes(), "text/yaml"))
        ]
        for p in sorted((SEED / "records").iterdir()):
            files.append(("records", (p.name, p.read_bytes(), "text/plain")))
        return self.client.post("/api/cases", headers=self.h(who), files=files)


def make_api(env: Env, tmp_path: Path, **settings: Any) -> Api:
    app = create_app(
        Settings(database_url=env.url, data_dir=tmp_path, **settings),
        clock=env.clock,
        review_engine=fake_engine,
    )
    with env.wf(ADMIN) as wf:
        wf.add_reviewer(profile("rev-a"))
        wf.add_reviewer(profile("rev-b"))
        keys = {
            "admin": wf.create_key("administrator").key,
            "intake": wf.create_key("intake").key,
            "auditor": wf.create_key("auditor").key,
            "rev-a": wf.create_key("reviewer", reviewer_id="rev-a").key,
            "rev-b": wf.create_key("reviewer", reviewer_id="rev-b").key,
        }
    return Api(app=app, client=TestClient(app), env=env, keys=keys)


@pytest.fixture
def api(env: Env, tmp_path: Path) -> Iterator[Api]:
    made = make_api(env, tmp_path)
    with made.client:
        yield made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    api: Api


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(api: Api) -> Iterator[Live]:
    with serve_in_thread(api.app) as url:
        yield Live(url=url, api=api)
