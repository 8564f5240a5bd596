"""The REST API on both databases: the worked session, errors, roles, limits, safety."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from apisupport import ATTACHED, SEED, Api, Live, make_api
from wfsupport import Env, case_bytes


def walk_to_review(api: Api) -> str:
    r = api.submit_seed()
    assert r.status_code == 201, r.text
    case_id = r.json()["case"]["id"]
    r = api.call("intake", "POST", f"/api/cases/{case_id}/screen", json=ATTACHED)
    assert r.json()["state"] == "eligible", r.text
    r = api.call("admin", "POST", f"/api/cases/{case_id}/assign", json={"reviewer_id": "rev-a"})
    assert r.status_code == 200, r.text
    r = api.call("intake", "POST", f"/api/cases/{case_id}/records-received")
    assert r.json()["state"] == "records_received"
    r = api.call("rev-a", "POST", f"/api/cases/{case_id}/draft")
    assert r.status_code == 200, r.text
    return case_id


def test_health_and_openapi_need_no_key(api: Api) -> None:
    assert api.client.get("/api/health").json()["status"] == "ok"
    doc = api.client.get("/openapi.json").json()
    assert "/api/cases" in doc["paths"]
    assert "/api/cases/{case_id}/items/{index}" in doc["paths"]


def test_a_key_is_required_and_checked(api: Api) -> None:
    r = api.client.get("/api/cases")
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    assert r.headers["www-authenticate"] == "Bearer"
    r = api.client.get("/api/cases", headers={"Authorization": "Bearer oimr_wrong"})
    assert r.status_code == 401
    r = api.client.get("/api/whoami", headers={"X-API-Key": api.keys["rev-a"]})
    assert r.json() == {"actor": r.json()["actor"], "role": "reviewer", "reviewer_id": "rev-a"}


def test_worked_session(api: Api) -> None:
    case_id = walk_to_review(api)
    draft = api.call("rev-a", "GET", f"/api/cases/{case_id}/draft").json()
    assert len(draft["items"]) == 2 and not draft["complete"]
    # an override without a reason is refused, naming the field
    r = api.call(
        "rev-a",
        "PUT",
        f"/api/cases/{case_id}/items/0",
        json={"action": "override", "decision": "overturned"},
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = api.call(
        "rev-a",
        "PUT",
        f"/api/cases/{case_id}/items/0",
        json={"action": "override", "decision": "overturned", "reason": "Relief documented."},
    )
    assert r.json()["items"][0]["final_decision"] == "overturned"
    r = api.call("rev-a", "PUT", f"/api/cases/{case_id}/items/1", json={"action": "accept"})
    assert r.json()["complete"] is True
    r = api.call("rev-a", "POST", f"/api/cases/{case_id}/finalize")
    assert r.status_code == 200 and r.json()["state"] == "determined"
    r = api.call("rev-a", "POST", f"/api/cases/{case_id}/finalize")
    assert r.status_code == 409 and r.json()["error"] == "invalid_transition"
    r = api.call("intake", "POST", f"/api/cases/{case_id}/letter")
    assert r.status_code == 201
    sha = r.json()["sha256"]
    r = api.call("rev-a", "GET", f"/api/cases/{case_id}/letter")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"
    import hashlib

    assert hashlib.sha256(r.content).hexdigest() == sha
    text = api.call("auditor", "GET", f"/api/cases/{case_id}/letter?format=text").text
    assert "Overturned" in text and "Upheld" in text
    events = api.call("auditor", "GET", f"/api/cases/{case_id}/events").json()
    assert [e["to_state"] for e in events if e["kind"] == "transition"][-1] == "letter_issued"
    assert any(e["action"] == "read_letter" and e["role"] == "reviewer" for e in events)


def test_double_submit_returns_the_same_case(api: Api) -> None:
    first = api.submit_seed()
    second = api.submit_seed()
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["case"]["id"] == second.json()["case"]["id"]
    assert second.json()["created"] is False
    assert len(api.call("admin", "GET", "/api/cases").json()) == 1


def test_bad_case_yaml_is_a_clear_422(api: Api) -> None:
    r = api.submit_seed(case_yaml=case_bytes(patient__date_of_injury="June 2000"))
    assert r.status_code == 422
    body = r.json()
    assert body["file"] == "case.yaml" and body["field"] == "patient.date_of_injury"
    assert isinstance(body["line"], int)
    assert len(api.call("admin", "GET", "/api/cases").json()) == 0


def test_roles_over_http(api: Api) -> None:
    case_id = walk_to_review(api)
    assert api.call("intake", "POST", f"/api/cases/{case_id}/assign").status_code == 403
    assert api.call("auditor", "POST", f"/api/cases/{case_id}/screen").status_code == 403
    assert api.call("admin", "POST", f"/api/cases/{case_id}/finalize").status_code == 403
    assert api.call("rev-b", "GET", f"/api/cases/{case_id}").status_code == 404
    assert api.call("rev-b", "GET", "/api/cases").json() == []
    assert api.call("rev-a", "GET", f"/api/cases/{case_id}/events").status_code == 403
    assert api.call("rev-a", "POST", "/api/keys", json={"role": "administrator"}).status_code == 403
    r = api.submit_seed(who="auditor")
    assert r.status_code == 403 and "auditor" in r.json()["message"]


def test_invalid_transition_is_409_with_next_steps(api: Api) -> None:
    case_id = api.submit_seed().json()["case"]["id"]
    r = api.call("intake", "POST", f"/api/cases/{case_id}/records-received")
    assert r.status_code == 409
    assert "start_screening" in r.json()["message"]


def test_per_file_upload_limit(env: Env, tmp_path: Path) -> None:
    api = make_api(env, tmp_path, max_file_bytes=500)
    with api.client:
        r = api.submit_seed()
    assert r.status_code == 413
    assert r.json()["error"] == "upload_too_large" and r.json()["file"]


def test_request_size_limit(env: Env, tmp_path: Path) -> None:
    api = make_api(env, tmp_path, max_request_bytes=2000)
    with api.client:
        r = api.submit_seed()
    assert r.status_code == 413 and "2000 bytes" in r.json()["message"]
    assert env.count("cases") == 0


def test_list_filters_and_deadline_report(api: Api) -> None:
    case_id = walk_to_review(api)
    rows = api.call("admin", "GET", "/api/cases?state=in_review").json()
    assert [r["id"] for r in rows] == [case_id]
    assert rows[0]["next_deadline"]["kind"]
    assert api.call("admin", "GET", "/api/cases?state=received").json() == []
    r = api.call("admin", "GET", "/api/cases?state=bogus")
    assert r.status_code == 422 and r.json()["field"] == "state"
    report = api.call("intake", "GET", "/api/deadlines?window_days=60").json()
    assert [r["case_id"] for r in report["due_soon"]] == [case_id]
    api.env.clock.advance(days=90)
    report = api.call("intake", "GET", "/api/deadlines?window_days=1").json()
    assert [r["case_id"] for r in report["overdue"]] == [case_id]
    assert api.call("admin", "GET", "/api/cases?overdue=true").json()[0]["id"] == case_id


def test_concurrent_clients_double_submit_and_double_finalize(live_server: Live) -> None:
    api = live_server.api
    url = live_server.url
    files = [("case", ("case.yaml", (SEED / "case.yaml").read_bytes(), "text/yaml"))]
    files += [
        ("records", (p.name, p.read_bytes(), "text/plain"))
        for p in sorted((SEED / "records").iterdir())
    ]
    statuses: list[int] = []
    ids: list[str] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        with httpx.Client(base_url=url, headers=api.h("intake"), timeout=60) as c:
            barrier.wait()
            r = c.post("/api/cases", files=files)
            statuses.append(r.status_code)
            ids.append(r.json()["case"]["id"])

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 201] and len(set(ids)) == 1
    case_id = ids[0]
    with httpx.Client(base_url=url, timeout=60) as c:
        c.post(f"/api/cases/{case_id}/screen", headers=api.h("intake"), json=ATTACHED)
        c.post(
            f"/api/cases/{case_id}/assign", headers=api.h("admin"), json={"reviewer_id": "rev-a"}
        )
        c.post(f"/api/cases/{case_id}/records-received", headers=api.h("intake"))
        c.post(f"/api/cases/{case_id}/draft", headers=api.h("rev-a"))
        for i in range(2):
            c.put(
                f"/api/cases/{case_id}/items/{i}", headers=api.h("rev-a"), json={"action": "accept"}
            )
    results: list[int] = []
    barrier2 = threading.Barrier(3)

    def finalize() -> None:
        with httpx.Client(base_url=url, headers=api.h("rev-a"), timeout=60) as c:
            barrier2.wait()
            results.append(c.post(f"/api/cases/{case_id}/finalize").status_code)

    threads = [threading.Thread(target=finalize) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409, 409]
    assert api.env.count("determinations") == 1
