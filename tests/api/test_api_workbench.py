"""Issue 13 over HTTP: the letter at every stage, the PDF before issue, intake's facts and
corrections, the error shape of request validation, the determination as FHIR."""

from __future__ import annotations

import io
import json

from apisupport import ATTACHED, Api
from pypdf import PdfReader
from test_api import walk_to_review
from wfsupport import case_bytes


def _pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages).split()
    )


def _decide_all(api: Api, case_id: str) -> None:
    r = api.call(
        "rev-a",
        "PUT",
        f"/api/cases/{case_id}/items/0",
        json={"action": "override", "decision": "overturned", "reason": "Relief is documented."},
    )
    assert r.status_code == 200, r.text
    r = api.call("rev-a", "PUT", f"/api/cases/{case_id}/items/1", json={"action": "accept"})
    assert r.status_code == 200, r.text


def test_letter_preview_is_a_draft_until_finalize_then_final(api: Api) -> None:
    case_id = walk_to_review(api)
    r = api.call("rev-a", "GET", f"/api/cases/{case_id}/letter/preview?format=text")
    assert r.status_code == 200, r.text
    assert "DRAFT \u2014 NOT A FINAL DETERMINATION" in r.text
    assert "The engine's rationale for upholding." in r.text  # undecided: the engine's draft
    _decide_all(api, case_id)
    r = api.call("rev-a", "GET", f"/api/cases/{case_id}/letter/preview?format=text")
    text = " ".join(r.text.split())
    assert "DRAFT" in text
    # the override's rationale in the letter's structure, previewed before finalize
    assert (
        "Relief is documented. Therefore, based on guidelines and a review of the evidence, "
        "the request for follow-up visit with anesthesiologist for the lumbar is medically "
        "necessary." in text
    )
    pdf = api.call("rev-a", "GET", f"/api/cases/{case_id}/letter/preview?format=pdf")
    assert pdf.content.startswith(b"%PDF") and "DRAFT" in _pdf_text(pdf.content)
    assert api.call("rev-a", "POST", f"/api/cases/{case_id}/finalize").status_code == 200
    r = api.call("rev-a", "GET", f"/api/cases/{case_id}/letter/preview?format=text")
    assert "INDEPENDENT MEDICAL REVIEW FINAL DETERMINATION" in r.text and "DRAFT" not in r.text
    # the reviewer paragraph states years and weekly hours from the panel profile
    assert "in active clinical practice for" in " ".join(r.text.split())


def test_the_finalized_letter_is_a_pdf_before_it_is_issued(api: Api) -> None:
    # issue 13, defect 4: the PDF answered 404 before issue while HTML and text existed
    case_id = walk_to_review(api)
    _decide_all(api, case_id)
    api.call("rev-a", "POST", f"/api/cases/{case_id}/finalize")
    r = api.call("rev-a", "GET", f"/api/cases/{case_id}/letter")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = _pdf_text(r.content)
    assert "INDEPENDENT MEDICAL REVIEW FINAL DETERMINATION" in text and "DRAFT" not in text
    case = api.call("intake", "GET", f"/api/cases/{case_id}").json()
    assert not [d for d in case["documents"] if d["kind"] == "letter"]  # nothing stored yet


def test_an_overridden_item_says_its_criteria_are_the_drafts(api: Api) -> None:
    # the letter must not list the draft's "not documented" under an Overturned decision
    # as if they were the reviewer's findings
    case_id = walk_to_review(api)
    _decide_all(api, case_id)
    api.call("rev-a", "POST", f"/api/cases/{case_id}/finalize")
    final = api.call("auditor", "GET", f"/api/cases/{case_id}/determination").json()
    assert [i["reviewer_action"] for i in final["items"]] == ["override", "accept"]
    assert final["items"][0]["rationale_trace"] == []
    html = api.call("auditor", "GET", f"/api/cases/{case_id}/letter?format=html").text
    assert html.count("the expert reviewer decided otherwise, for the reasons") == 1
    assert html.count('class="override-note"') == 1


def test_preview_before_any_draft_is_a_clear_404(api: Api) -> None:
    case_id = api.submit_seed().json()["case"]["id"]
    r = api.call("intake", "GET", f"/api/cases/{case_id}/letter/preview")
    assert r.status_code == 404 and "no draft yet" in r.json()["message"]


def test_application_signed_is_a_screening_fact(api: Api) -> None:
    # issue 13, defect 9: the screen asked for application_signed and the API refused it
    r = api.submit_seed(case_yaml=case_bytes(application__signed=None))
    case_id = r.json()["case"]["id"]
    r = api.call("intake", "POST", f"/api/cases/{case_id}/screen", json=ATTACHED)
    missing = [m["field"] for m in r.json()["eligibility"]["missing_information"]]
    assert "application_signed" in missing
    r = api.call(
        "intake",
        "POST",
        f"/api/cases/{case_id}/screen",
        json={"facts": {"application_signed": True}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "eligible"


def test_a_corrected_case_yaml_is_resubmitted(api: Api) -> None:
    first = api.submit_seed()
    r = api.submit_seed(case_yaml=case_bytes(review_type="expedited"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["corrected"] is True and body["created"] is False
    assert body["case"]["id"] == first.json()["case"]["id"]
    assert body["case"]["review_type"] == "expedited"


def test_request_validation_errors_have_the_documented_shape(api: Api) -> None:
    case_id = walk_to_review(api)
    r = api.call("rev-a", "PUT", f"/api/cases/{case_id}/items/0", json={"action": "maybe"})
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"error", "message", "field"}
    assert body["error"] == "invalid_input" and body["field"] == "action"
    assert body["message"].startswith("action: ")
    r = api.call("admin", "GET", "/api/cases?limit=0")
    assert r.status_code == 422 and r.json()["field"] == "limit" and "detail" not in r.json()


def test_the_determination_as_a_fhir_claim_response(api: Api) -> None:
    from fhir.resources.R4B.claimresponse import ClaimResponse

    case_id = walk_to_review(api)
    r = api.call("auditor", "GET", f"/api/cases/{case_id}/determination/fhir")
    assert r.status_code == 404  # not before finalize
    _decide_all(api, case_id)
    api.call("rev-a", "POST", f"/api/cases/{case_id}/finalize")
    r = api.call("auditor", "GET", f"/api/cases/{case_id}/determination/fhir")
    assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json"
    body = json.loads(r.content)
    resource = ClaimResponse.model_validate(body)  # valid FHIR (R4 line)
    assert resource.use == "preauthorization" and resource.outcome == "complete"
    assert body["identifier"][0]["value"] == "CM13-0000001"
    codes = [it["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] for it in body["item"]]
    assert codes == ["A1", "A3"]  # overturned = certified; upheld = not certified
    notes = {n["number"]: n["text"] for n in body["processNote"]}
    assert notes[1].startswith("FOLLOW-UP VISIT WITH ANESTHESIOLOGIST FOR THE LUMBAR: Overturned")
    assert "Relief is documented." in notes[1]
    assert body["disposition"].endswith("1 overturned, 1 upheld")
