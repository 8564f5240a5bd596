"""Drive the workflow API on localhost with concurrent clients; print throughput and latency.

Starts ``uvicorn`` on 127.0.0.1 (a free port) in a separate process over a fresh database
(SQLite in a temporary directory by default, or ``--database-url``), then runs ``--cases``
submit-and-draft operations from ``--clients`` concurrent HTTP clients. One operation is the
intake-to-draft path of one new case: submit (case.yaml + records), screen, assign,
records-received, draft. Prints requests per second and p50/p99 latency for the whole
operation and for each request.

    PYTHONPATH=src python benchmarks/bench_api.py --clients 8 --cases 40
    PYTHONPATH=src python benchmarks/bench_api.py --engine fake   # service overhead only
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "examples" / "seed-case"


def make_app() -> Any:
    """The app the benchmark server runs (``uvicorn --factory``), engine per BENCH_ENGINE."""
    from openimr.api.app import create_app
    from openimr.service import Settings

    engine = None
    if os.environ.get("BENCH_ENGINE") == "fake":
        sys.path.insert(0, str(ROOT / "tests" / "service"))
        from wfsupport import fake_engine

        engine = fake_engine
    return create_app(Settings(), review_engine=engine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setup_keys(env: dict[str, str], reviewers: int) -> dict[str, str]:
    """An administrator, an intake and one reviewer key per reviewer, made through the service."""
    os.environ.update(env)
    from openimr.service import Actor, Role, Settings, Workflow
    from openimr.service.schemas import ReviewerIn
    from openimr.store import BlobStore, init_db, session_factory, transaction

    settings = Settings()
    engine = init_db(settings.url)
    keys: dict[str, str] = {}
    with transaction(session_factory(engine)) as session:
        wf = Workflow(session, BlobStore(settings.blob_dir), Actor("bench", Role.ADMINISTRATOR))
        keys["admin"] = wf.create_key("administrator").key
        keys["intake"] = wf.create_key("intake").key
        for n in range(reviewers):
            rid = f"bench-rev-{n}"
            wf.add_reviewer(
                ReviewerIn(
                    id=rid,
                    name=f"Reviewer {n}",
                    licenses=[{"state": "CA", "number": f"A{n}"}],  # type: ignore[list-item]
                    board_certifications=[  # type: ignore[list-item]
                        {
                            "board": "American Board of Physical Medicine and Rehabilitation",
                            "specialty": "Physical Medicine and Rehabilitation",
                            "subspecialty": "Pain Medicine",
                        }
                    ],
                    specialties=["Physical Medicine and Rehabilitation", "Pain Medicine"],
                    years_in_practice=10,
                    weekly_practice_hours=40,
                    max_load=10000,
                )
            )
            keys[rid] = wf.create_key("reviewer", reviewer_id=rid).key
    engine.dispose()
    return keys


def case_yaml(n: int) -> bytes:
    data = yaml.safe_load((SEED / "case.yaml").read_text(encoding="utf-8"))
    data["case_id"] = f"BENCH-{n:06d}"
    data["patient"]["date_of_injury"] = dt.date(2000, 1, 1) + dt.timedelta(days=n)
    return yaml.safe_dump(data, sort_keys=False).encode("utf-8")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--engine", choices=("real", "fake"), default="real")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="openimr-bench-")
    env = {
        "OPENIMR_DATA_DIR": tmp.name,
        "BENCH_ENGINE": args.engine,
        "OPENIMR_DATABASE_URL": args.database_url or f"sqlite:///{tmp.name}/bench.sqlite3",
    }
    keys = setup_keys(env, reviewers=max(2, args.clients))
    port = free_port()
    server_env = {**os.environ, **env, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
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
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=server_env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the API server did not start")
            time.sleep(0.2)
        run(base, keys, args)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        tmp.cleanup()


def run(base: str, keys: dict[str, str], args: argparse.Namespace) -> None:
    records = [(p.name, p.read_bytes()) for p in sorted((SEED / "records").iterdir())]
    lock = threading.Lock()
    per_request: dict[str, list[float]] = defaultdict(list)
    operations: list[float] = []
    errors: list[str] = []
    counter = iter(range(args.cases))

    def timed(client: httpx.Client, name: str, method: str, url: str, **kw: Any) -> Any:
        t0 = time.perf_counter()
        r = client.request(method, url, **kw)
        elapsed = time.perf_counter() - t0
        with lock:
            per_request[name].append(elapsed)
        if r.status_code >= 400:
            raise RuntimeError(f"{name}: {r.status_code} {r.text[:200]}")
        return r.json()

    def worker() -> None:
        h = {k: {"Authorization": f"Bearer {v}"} for k, v in keys.items()}
        with httpx.Client(base_url=base, timeout=300) as c:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                t0 = time.perf_counter()
                try:
                    files = [("case", ("case.yaml", case_yaml(n), "text/yaml"))]
                    files += [("records", (name, data, "text/plain")) for name, data in records]
                    out = timed(c, "submit", "POST", "/api/cases", headers=h["intake"], files=files)
                    cid = out["case"]["id"]
                    timed(
                        c,
                        "screen",
                        "POST",
                        f"/api/cases/{cid}/screen",
                        headers=h["intake"],
                        json={"facts": {"ur_decision_attached": True}},
                    )
                    out = timed(c, "assign", "POST", f"/api/cases/{cid}/assign", headers=h["admin"])
                    rev = out["reviewer_id"]
                    timed(
                        c,
                        "records-received",
                        "POST",
                        f"/api/cases/{cid}/records-received",
                        headers=h["intake"],
                    )
                    timed(c, "draft", "POST", f"/api/cases/{cid}/draft", headers=h[rev])
                except Exception as exc:  # reported below
                    with lock:
                        errors.append(str(exc))
                    continue
                with lock:
                    operations.append(time.perf_counter() - t0)

    # one operation first, outside the clock, so the engine's models are loaded
    counter = iter([args.cases])
    worker()
    per_request.clear()
    operations.clear()
    counter = iter(range(args.cases))
    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    total_requests = sum(len(v) for v in per_request.values())
    database = (args.database_url or "sqlite").split(":")[0]
    print(
        f"openimr API benchmark: {args.clients} clients, {args.cases} submit-and-draft "
        f"operations, engine={args.engine}, database={database}"
    )
    print(f"wall time           {wall:8.2f} s")
    print(f"requests/s          {total_requests / wall:8.1f}  ({total_requests} requests)")
    ok = f"({len(operations)} ok, {len(errors)} failed)"
    print(f"operations/s        {len(operations) / wall:8.2f}  {ok}")
    rows = [("submit-and-draft", operations), *per_request.items()]
    for name, values in rows:
        p50 = percentile(values, 50) * 1000
        p99 = percentile(values, 99) * 1000
        print(f"  {name:<17} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   n={len(values)}")
    for e in errors[:5]:
        print(f"error: {e}")


if __name__ == "__main__":
    main()
