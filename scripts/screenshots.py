"""Screenshots of every workbench page, on the seed case with the real engine, for the docs.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts the service on a free localhost port with a temporary database, makes a reviewer and
keys, then drives headless Chromium (Debian's ``chromium``) through the session: intake,
screening, assignment, the reviewer's workbench, the override composer, the letter, issue.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "examples" / "seed-case"
PROFILE = {
    "id": "rev-pain-01",
    "name": "(kept inside the IMRO)",
    "licenses": [{"state": "CA", "number": "A00000"}],
    "board_certifications": [
        {
            "board": "American Board of Anesthesiology",
            "specialty": "Anesthesiology",
            "subspecialty": "Pain Medicine",
        }
    ],
    "specialties": ["Pain Medicine", "Physical Medicine and Rehabilitation"],
    "years_in_practice": 14,
    "weekly_practice_hours": 32,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import uvicorn
    from playwright.sync_api import sync_playwright

    from openimr.api.app import create_app
    from openimr.service import Actor, Role, Settings
    from openimr.service.schemas import ReviewerIn

    tmp = Path(tempfile.mkdtemp(prefix="openimr-shots-"))
    settings = Settings(data_dir=tmp, organization="Example IMR Organization")
    app = create_app(settings)
    ctx = app.state.ctx
    admin_actor = Actor("script:admin", Role.ADMINISTRATOR)
    with _unit(ctx, admin_actor) as wf:  # type: ignore[attr-defined]
        wf.add_reviewer(ReviewerIn.model_validate(PROFILE))
        keys = {
            "admin": wf.create_key("administrator").key,
            "intake": wf.create_key("intake").key,
            "reviewer": wf.create_key("reviewer", reviewer_id="rev-pain-01").key,
        }
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"

    def shot(page: object, name: str, full: bool = True) -> None:
        page.screenshot(path=str(args.out / f"{name}.png"), full_page=full)  # type: ignore[attr-defined]
        print(args.out / f"{name}.png")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"], headless=True
        )

        def sign_in(who: str) -> object:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.on("dialog", lambda d: d.accept())
            page.goto(f"{url}/ui/login")
            page.fill("#key", keys[who])
            page.click("#sign-in")
            return page

        intake = sign_in("intake")
        intake.goto(f"{url}/ui/intake")
        intake.set_input_files("#case-file", str(SEED / "case.yaml"))
        intake.set_input_files(
            "#record-files", [str(p) for p in sorted((SEED / "records").iterdir())]
        )
        shot(intake, "intake-submit")
        intake.click("#submit-application")
        case_id = intake.url.split("/ui/cases/", 1)[1].split("?", 1)[0].split("#", 1)[0]
        intake.click("#screen")
        shot(intake, "intake-screen-needs-information")
        intake.select_option("#fact-ur_decision_attached", "yes")
        intake.click("#screen")

        admin = sign_in("admin")
        admin.goto(f"{url}/ui/cases/{case_id}")
        shot(admin, "admin-assign")
        admin.click("button.assign-button")
        admin.goto(f"{url}/ui/admin")
        shot(admin, "admin-panel-and-keys")

        intake.goto(f"{url}/ui/cases/{case_id}")
        intake.click("#records-received")
        intake.goto(f"{url}/ui/deadlines?window=45")
        shot(intake, "deadlines")
        intake.goto(f"{url}/ui/cases")
        shot(intake, "cases")

        rev = sign_in("reviewer")
        rev.goto(f"{url}/ui/cases/{case_id}")
        rev.click("#run-draft", timeout=120_000)
        item = rev.locator("#item-0")
        item.locator("a.ev-link").first.click()
        rev.wait_for_timeout(400)
        shot(rev, "reviewer-records-beside-criteria", full=False)
        item.locator("details.composer > summary").click()
        item.locator(".override-decision").select_option("overturned")
        item.locator(".override-reason").fill(
            "There is documentation that the prior lumbar epidural steroid injection gave good "
            "relief, and objective radiculopathy on examination; a follow-up visit to consider "
            "a repeat injection is reasonable physician judgment."
        )
        item.locator(".preview-button").click()
        item.locator(".rationale-preview").wait_for()
        item.scroll_into_view_if_needed()
        item.locator(".preview-target").scroll_into_view_if_needed()
        shot(rev, "reviewer-override-composer", full=False)
        item.locator(".override-button").click()
        rev.locator("#item-1 .accept-button").click()
        rev.locator("#letter").scroll_into_view_if_needed()
        shot(rev, "reviewer-letter-preview-draft", full=False)
        rev.click("#finalize")

        intake.goto(f"{url}/ui/cases/{case_id}")
        intake.click("#issue")
        intake.locator("#letter").scroll_into_view_if_needed()
        shot(intake, "letter-issued", full=False)
        # a second case whose records are a PDF (two pages) and a FHIR bundle: how the
        # records pane shows them
        other = _other_case(ctx, tmp)
        rev.goto(f"{url}/ui/cases/{other}")
        rev.locator("article.record").nth(1).scroll_into_view_if_needed()
        shot(rev, "records-pdf-and-fhir", full=False)
        browser.close()
    server.should_exit = True
    return 0


def _other_case(ctx: object, tmp: Path) -> str:
    """A case with a two-page PDF record and a FHIR bundle, assigned and received."""
    import yaml
    from weasyprint import HTML

    from openimr.service import Actor, Role, Upload

    pages = (ROOT / "tests" / "data" / "records" / "2013-07-24-pt-daily-note.txt").read_text()
    half = len(pages) // 2
    html = (
        "<pre style='font: 11pt serif; white-space: pre-wrap'>"
        + pages[:half]
        + "</pre><pre style='break-before: page; font: 11pt serif; white-space: pre-wrap'>"
        + pages[half:]
        + "</pre>"
    )
    pdf = HTML(string=html).write_pdf()
    data = yaml.safe_load((SEED / "case.yaml").read_text())
    data["case_id"] = "CM13-0000002"
    records = [
        Upload("2013-07-24-pt-daily-note.pdf", pdf),
        Upload(
            "2013-fhir-bundle.json",
            (ROOT / "tests" / "data" / "records" / "2013-fhir-bundle.json").read_bytes(),
        ),
    ]
    office = Actor("script:admin", Role.ADMINISTRATOR)
    with _unit(ctx, office) as wf:  # type: ignore[attr-defined]
        case_id = wf.submit(yaml.safe_dump(data).encode(), records).case.id
    with _unit(ctx, office) as wf:  # type: ignore[attr-defined]
        from openimr.service.schemas import ApplicationFactsIn

        wf.screen(case_id, facts=ApplicationFactsIn(ur_decision_attached=True))
        wf.assign(case_id)
        wf.receive_records(case_id)
    return str(case_id)


def _unit(ctx: object, actor: object) -> object:
    """A workflow for ``actor`` in one committed transaction (no API key needed)."""
    from contextlib import contextmanager

    from openimr.service import Workflow

    @contextmanager
    def unit():  # type: ignore[no-untyped-def]
        session = ctx.sessions()  # type: ignore[attr-defined]
        try:
            yield Workflow(session, ctx.blobs, actor, clock=ctx.clock)  # type: ignore[attr-defined,arg-type]
            session.commit()
        finally:
            session.close()

    return unit()


if __name__ == "__main__":
    sys.exit(main())
