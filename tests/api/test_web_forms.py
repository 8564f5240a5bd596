"""The workbench's forms and fragments without a browser: record text escaped and marked,
intake errors named, the composer's preview, the admin's key shown once, other sites refused."""

from __future__ import annotations

import datetime as dt

from apisupport import ATTACHED, SEED, Api
from test_api import walk_to_review
from wfsupport import case_bytes

from openimr.model import Case, DisputedItem, Patient, Record, RecordPage, UtilizationReview
from openimr.web.views import criterion_rows, highlight, record_views


def _login(api: Api, who: str) -> None:
    r = api.client.post("/ui/login", data={"key": api.keys[who]}, follow_redirects=False)
    assert r.status_code == 303


def test_highlight_escapes_marks_overlaps_and_pages() -> None:
    text = "a <b>&c\fpage two"
    html = str(highlight(text, [(2, 5, "s1"), (4, 9, "s2"), (50, 60, "bad")]))
    assert "<b>" not in html and "&lt;b" in html and "&amp;c" in html
    assert html.count('class="span-anchor"') == 2  # the out-of-range span is dropped
    assert '<mark class="ev" data-spans="s1 s2">' in html  # the overlap carries both
    assert 'data-page="2"' in html and html.endswith("age two")


def test_record_views_and_criterion_rows() -> None:
    text = "Relief 60% for 8 weeks.\fFunction improved."
    case = Case(
        patient=Patient(age=40, date_of_injury=dt.date(2015, 1, 1)),
        utilization_review=UtilizationReview(
            date=dt.date(2016, 1, 1), items=(DisputedItem(request="PT x6"),)
        ),
        records=(
            Record(
                path="records/r.pdf",
                kind="pdf",
                text=text,
                pages=(
                    RecordPage(number=1, start=0, end=23),
                    RecordPage(number=2, start=24, end=42),
                ),
                record_type="progress_report",
            ),
        ),
    )
    ev = {"record": "records/r.pdf", "start": 24, "end": 42, "quote": "Function improved."}
    item = {
        "criteria": [
            {"text": "Function", "status": "met", "evidence": [ev, ev], "finding": "x: True"},
            {
                "text": "Relief",
                "status": "not_documented",
                "evidence": [ev],
                "searched": ["records/r.pdf"],
            },
        ]
    }
    views = record_views(case, [item], {"records/r.pdf": 7})
    assert views[0].document_id == 7 and views[0].spans == 1 and views[0].pages == 2
    assert 'id="s1-24-42"' in str(views[0].html)
    met, missing = criterion_rows(item, case)
    assert len(met.evidence) == 1 and met.evidence[0].page == 2  # the same passage once
    assert met.finding == "documented: x"
    assert missing.evidence == [] and len(missing.related) == 1
    assert missing.searched == [("rec-1", missing.searched[0][1])]
    assert "Progress report" in missing.searched[0][1]


def test_intake_form_names_the_file_and_field_of_a_bad_case_yaml(api: Api) -> None:
    _login(api, "intake")
    r = api.client.post(
        "/ui/intake",
        files=[
            ("case", ("case.yaml", case_bytes(patient__date_of_injury="June 2000"), "text/yaml"))
        ],
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = api.client.get(r.headers["location"]).text
    assert "case.yaml" in page and "patient.date_of_injury" in page


def test_intake_form_submits_with_facts(api: Api) -> None:
    _login(api, "intake")
    files = [("case", ("case.yaml", (SEED / "case.yaml").read_bytes(), "text/yaml"))]
    for p in sorted((SEED / "records").iterdir()):
        files.append(("records", (p.name, p.read_bytes(), "text/plain")))
    r = api.client.post(
        "/ui/intake", files=files, data={"fact-ur_decision_attached": "yes"}, follow_redirects=False
    )
    assert r.status_code == 303 and "/ui/cases/IMR-" in r.headers["location"]
    case_id = r.headers["location"].split("/ui/cases/")[1].split("?")[0]
    r = api.client.post(f"/ui/cases/{case_id}/screen", data={}, follow_redirects=False)
    case = api.call("intake", "GET", f"/api/cases/{case_id}").json()
    assert case["state"] == "eligible"


def test_forms_from_another_site_are_refused(api: Api) -> None:
    case_id = walk_to_review(api)
    _login(api, "rev-a")
    r = api.client.post(
        f"/ui/cases/{case_id}/items/0",
        data={"action": "accept"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "another%20site" in r.headers["location"]
    assert (
        api.call("rev-a", "GET", f"/api/cases/{case_id}/draft").json()["items"][0]["reviewer"]
        is None
    )
    r = api.client.post(
        f"/ui/cases/{case_id}/items/0/preview",
        data={"decision": "overturned"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403


def test_composer_preview_words_a_reason_from_changed_criteria(api: Api) -> None:
    case_id = walk_to_review(api)
    _login(api, "rev-a")
    r = api.client.post(
        f"/ui/cases/{case_id}/items/0/preview",
        data={"decision": "overturned", "reason": "", "crit-1": "met"},
    )
    assert r.status_code == 200
    assert "Contrary to the draft, the expert reviewer finds this criterion met" in r.text
    assert "is medically necessary." in r.text and "suggested-reason" in r.text
    r = api.client.post(
        f"/ui/cases/{case_id}/items/0/preview",
        data={"decision": "upheld", "reason": "There is no documentation of <relief>."},
    )
    assert "&lt;relief&gt;" in r.text and "<relief>" not in r.text
    assert "is not medically necessary." in r.text and "suggested-reason" not in r.text


def test_a_new_key_is_shown_once_and_never_in_a_url(api: Api) -> None:
    _login(api, "admin")
    r = api.client.post("/ui/admin/keys", data={"role": "auditor"}, follow_redirects=False)
    assert r.status_code == 303 and "oimr_" not in r.headers["location"]
    first = api.client.get(r.headers["location"]).text
    assert 'id="new-key">oimr_' in first
    assert 'id="new-key"' not in api.client.get("/ui/admin").text


def test_screen_fact_application_signed_on_the_page(api: Api) -> None:
    r = api.submit_seed(case_yaml=case_bytes(application__signed=None))
    case_id = r.json()["case"]["id"]
    _login(api, "intake")
    api.client.post(f"/ui/cases/{case_id}/screen", data={"fact-ur_decision_attached": "yes"})
    page = api.client.get(f"/ui/cases/{case_id}").text
    assert "application signed" in page and 'id="fact-application_signed"' in page
    api.client.post(f"/ui/cases/{case_id}/screen", data={"fact-application_signed": "yes"})
    assert api.call("intake", "GET", f"/api/cases/{case_id}").json()["state"] == "eligible"
    assert ATTACHED  # the same fact the API takes


def test_request_records_withdraw_and_the_audit_trail_on_the_page(api: Api) -> None:
    case_id = api.submit_seed().json()["case"]["id"]
    api.call("intake", "POST", f"/api/cases/{case_id}/screen", json=ATTACHED)
    api.call("admin", "POST", f"/api/cases/{case_id}/assign", json={"reviewer_id": "rev-a"})
    _login(api, "intake")
    page = api.client.get(f"/ui/cases/{case_id}").text
    assert 'id="request-records"' in page and 'id="events"' not in page  # intake: no trail
    api.client.post(f"/ui/cases/{case_id}/request-records", data={"reason": "asked by fax"})
    assert api.call("intake", "GET", f"/api/cases/{case_id}").json()["state"] == (
        "records_requested"
    )
    r = api.client.post(f"/ui/cases/{case_id}/close", data={"action": "withdraw", "reason": ""})
    assert "reason is required" in r.text
    api.client.post(
        f"/ui/cases/{case_id}/close", data={"action": "withdraw", "reason": "applicant withdrew"}
    )
    case = api.call("intake", "GET", f"/api/cases/{case_id}").json()
    assert case["state"] == "withdrawn" and case["state_reason"] == "applicant withdrew"
    _login(api, "admin")
    page = api.client.get(f"/ui/cases/{case_id}").text
    assert 'id="events"' in page and "applicant withdrew" in page and "request records" in page


def test_reassign_on_the_page_needs_a_reason(api: Api) -> None:
    case_id = api.submit_seed().json()["case"]["id"]
    api.call("intake", "POST", f"/api/cases/{case_id}/screen", json=ATTACHED)
    api.call("admin", "POST", f"/api/cases/{case_id}/assign", json={"reviewer_id": "rev-a"})
    _login(api, "admin")
    page = api.client.get(f"/ui/cases/{case_id}").text
    assert "Reassign the case" in page and 'data-reviewer="rev-b"' in page
    assert 'data-reviewer="rev-a"' not in page  # the one assigned
    r = api.client.post(f"/ui/cases/{case_id}/assign", data={"reviewer_id": "rev-b"})
    assert "a reason is required" in r.text
    api.client.post(
        f"/ui/cases/{case_id}/assign", data={"reviewer_id": "rev-b", "reason": "rev-a is away"}
    )
    assert api.call("admin", "GET", f"/api/cases/{case_id}").json()["reviewer_id"] == "rev-b"


def test_an_incomplete_form_is_an_error_page_not_json(api: Api) -> None:
    case_id = walk_to_review(api)
    _login(api, "rev-a")
    r = api.client.post(f"/ui/cases/{case_id}/items/0", data={})  # no action
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "The form was not complete: action:" in r.text
    # the API keeps its JSON shape
    r = api.call("rev-a", "PUT", f"/api/cases/{case_id}/items/0", json={})
    assert r.status_code == 422 and r.json()["field"] == "action"
