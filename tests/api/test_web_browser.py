"""The reviewer's web page in a real headless browser (Debian's chromium, driven by
playwright). Skips, saying why, when chromium or playwright is missing. To run it in CI,
.ci/run needs: ``apt-get install -y chromium`` (after ``apt-get update``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from apisupport import ATTACHED, Live

CHROMIUM = os.environ.get("OPENIMR_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(
            f"no chromium at {CHROMIUM}: install it with 'apt-get update && apt-get install -y "
            "chromium' (Debian) to run the browser tests"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def prepare_case(live: Live) -> str:
    api = live.api
    case_id = api.submit_seed().json()["case"]["id"]
    api.call("intake", "POST", f"/api/cases/{case_id}/screen", json=ATTACHED)
    api.call("admin", "POST", f"/api/cases/{case_id}/assign", json={"reviewer_id": "rev-a"})
    api.call("intake", "POST", f"/api/cases/{case_id}/records-received")
    return case_id


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_reviewer_drafts_decides_and_finalizes_in_the_browser(
    live_server: Live, browser: Any
) -> None:
    case_id = prepare_case(live_server)
    page = browser.new_page()
    page.on("dialog", lambda d: d.accept())  # "sign and finalize?"
    try:
        page.goto(f"{live_server.url}/ui/cases/{case_id}")
        assert "/ui/login" in page.url  # no cookie yet
        page.fill("#key", "oimr_not-a-key")
        page.click("#sign-in")
        assert "not valid" in page.inner_text(".error")
        page.fill("#key", live_server.api.keys["rev-a"])
        page.click("#sign-in")
        page.click(f"a[href='/ui/cases/{case_id}']")
        assert page.inner_text("#state") == "records_received"

        page.click("#run-draft")
        assert page.inner_text("#state") == "in_review"
        items = page.locator("section.item")
        assert items.count() == 2
        first = page.locator("#item-0")
        assert "upheld" in first.locator(".engine-decision").inner_text()
        assert first.locator(".status").first.inner_text() == "not documented"
        # not documented: the passage read for it is there, folded away, not as its evidence
        assert first.locator("blockquote.quote").count() == 0
        assert first.locator(".related-quote").count() >= 1
        assert page.locator("#finalize").is_disabled()

        # an override with no reason is stopped in the page and, if sent, by the server
        first.locator("details.composer > summary").click()  # the override composer
        first.locator(".override-decision").select_option("overturned")
        first.locator(".override-button").click()
        assert page.locator("#item-0 .reviewer-action").count() == 0
        first.locator(".override-reason").fill("Relief of 60% for 8 weeks is documented.")
        first.locator(".override-button").click()
        assert "override saved" in page.inner_text("#note")
        first = page.locator("#item-0")
        assert first.locator(".final-decision").inner_text() == "overturned"
        assert "60%" in first.locator(".reviewer-reason").inner_text()

        page.locator("#item-1 .accept-button").click()
        assert page.locator("#item-1 .final-decision").inner_text() == "upheld"
        page.click("#finalize")
        assert page.inner_text("#state") == "determined"
        assert page.locator("#finalize").count() == 0
    finally:
        page.close()
    api = live_server.api
    final = api.call("auditor", "GET", f"/api/cases/{case_id}/determination").json()
    assert [i["decision"] for i in final["items"]] == ["overturned", "upheld"]
    events = api.call("auditor", "GET", f"/api/cases/{case_id}/events").json()
    web = [e for e in events if e["role"] == "reviewer" and e["kind"] != "read"]
    assert [e["action"] for e in web] == ["start_review", "decide_item", "decide_item", "finalize"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_another_reviewer_cannot_open_the_case_page(live_server: Live, browser: Any) -> None:
    case_id = prepare_case(live_server)
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/ui/login")
        page.fill("#key", live_server.api.keys["rev-b"])
        page.click("#sign-in")
        assert page.locator("#cases").count() == 0  # "No cases."
        response = page.goto(f"{live_server.url}/ui/cases/{case_id}")
        assert response is not None and response.status == 404
    finally:
        page.close()
