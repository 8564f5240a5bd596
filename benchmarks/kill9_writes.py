"""``kill -9`` the server while clients write; count acknowledged writes lost and bad blobs.

Starts the API (``uvicorn``, the service's own app) on a fresh database, has ``--clients``
clients submit cases (case.yaml and a record: database rows and blob files), kills the server
with SIGKILL at a random moment, restarts it, and checks that every submission the server
acknowledged (201) is there with its files readable and matching their SHA-256; then again,
``--rounds`` times. Prints the figures; exits 1 if an acknowledged write was lost, a stored
file is missing or corrupt, or the audit chain does not verify.

    PYTHONPATH=src python benchmarks/kill9_writes.py --rounds 100
    PYTHONPATH=src python benchmarks/kill9_writes.py --rounds 100 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_api import SEED, free_port, setup_keys  # noqa: E402

NOTE = b"2016-08-01 Progress note. Low back pain 6/10; physical therapy helped.\n"
_numbers = itertools.count()
REFUSED: dict[str, int] = {}
"""Answers other than 201 (a benchmark run should have none)."""
_lock = threading.Lock()


def next_number() -> int:
    with _lock:
        return next(_numbers)


def case_yaml(n: int) -> bytes:
    """The seed case under a case number of its own (a new application each time)."""
    text = (SEED / "case.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["case_id"] = f"K9-{n:07d}"
    return yaml.safe_dump(data, sort_keys=False).encode("utf-8")


SERVERS: list[subprocess.Popen[bytes]] = []
"""Every server started, so that none outlives the benchmark (killed or interrupted)."""


def _stop_all(*_: Any) -> None:
    for server in SERVERS:
        if server.poll() is None:
            server.kill()
    raise SystemExit(130)


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.bench_api:make_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env, "BENCH_ENGINE": "fake", "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
    )
    SERVERS.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start")


def writer(url: str, key: str, acked: list[tuple[int, str]], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            n = next_number()
            files = [
                ("case", ("case.yaml", case_yaml(n), "text/yaml")),
                ("records", ("note.txt", NOTE + str(n).encode(), "text/plain")),
            ]
            try:
                r = client.post(
                    "/api/cases", headers={"Authorization": f"Bearer {key}"}, files=files
                )
            except httpx.HTTPError:
                return  # the server died: this write was never acknowledged
            if r.status_code == 201:
                acked.append((n, r.json()["case"]["id"]))
            else:
                REFUSED[f"{r.status_code} {r.text[:120]}"] = (
                    REFUSED.get(f"{r.status_code} {r.text[:120]}", 0) + 1
                )


def check(url: str, key: str, acked: list[tuple[int, str]]) -> tuple[int, int]:
    """(acknowledged writes lost, stored files missing or corrupt): each acknowledged case is
    read back, each of its files fetched and checked against its SHA-256, and the record
    against the bytes that were sent."""
    lost = bad = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        h = {"Authorization": f"Bearer {key}"}
        for n, case_id in acked:
            r = client.get(f"/api/cases/{case_id}", headers=h)
            if r.status_code != 200:
                lost += 1
                continue
            docs = r.json()["documents"]
            if not any(doc["kind"] == "record" for doc in docs):
                bad += 1  # the case row without its record
            for doc in docs:
                got = client.get(f"/api/cases/{case_id}/documents/{doc['id']}", headers=h)
                if (
                    got.status_code != 200
                    or hashlib.sha256(got.content).hexdigest() != doc["sha256"]
                    or (doc["kind"] == "record" and got.content != NOTE + str(n).encode())
                ):
                    bad += 1
    return lost, bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--max-delay", type=float, default=4.0, help="seconds before the kill")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_all)
    signal.signal(signal.SIGINT, _stop_all)
    tmp = tempfile.TemporaryDirectory(prefix="openimr-kill9-")
    env = {
        "OPENIMR_DATA_DIR": tmp.name,
        "OPENIMR_DATABASE_URL": args.database_url or f"sqlite:///{tmp.name}/kill9.sqlite3",
    }
    keys = setup_keys(env, reviewers=1)
    rng = random.Random(0)
    all_acked: list[tuple[int, str]] = []
    total_lost = total_bad = 0
    started = time.monotonic()
    # The server that checks a round's writes is the one the next round writes to and kills
    # (one start per round, not two: the check happens before any new write).
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start(env, port)
    for round_no in range(1, args.rounds + 1):
        acked: list[tuple[int, str]] = []
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=writer,
                args=(url, keys["intake"], acked, stop),
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.5, args.max_delay))
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        stop.set()
        for t in threads:
            t.join(15)
        all_acked.extend(acked)
        server = start(env, port)
        lost, bad = check(url, keys["admin"], acked)
        total_lost += lost
        total_bad += bad
        print(
            f"round {round_no:>3}: {len(acked):>4} acknowledged, {lost} lost, {bad} bad files",
            flush=True,
        )
    # the whole history again at the end, and the audit chain
    lost, bad = check(url, keys["admin"], all_acked)
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    os.environ.update(env)
    from openimr.service import Settings
    from openimr.store import init_db, session_factory, transaction
    from openimr.store.audit import verify

    engine = init_db(Settings().url)
    with transaction(session_factory(engine)) as session:
        report = verify(session)
    engine.dispose()
    summary: dict[str, Any] = {
        "database": env["OPENIMR_DATABASE_URL"].split(":", 1)[0],
        "rounds (kill -9)": args.rounds,
        "acknowledged writes": len(all_acked),
        "lost": total_lost + lost,
        "missing or corrupt files": total_bad + bad,
        "audit events": report.events,
        "audit chain intact": report.ok,
        "seconds": round(time.monotonic() - started, 1),
    }
    for k, v in summary.items():
        print(f"{k}: {v}")
    for answer, count in REFUSED.items():
        print(f"refused {count}x: {answer}")
    return (
        0 if summary["lost"] == 0 and summary["missing or corrupt files"] == 0 and report.ok else 1
    )


if __name__ == "__main__":
    sys.exit(main())
