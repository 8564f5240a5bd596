"""``openimr cases ...`` over the service layer (SQLite in a temporary data directory)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner
from wfsupport import SEED

from openimr.cli import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENIMR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPENIMR_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_cases_commands(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("cases", "init-db")
    assert code == 0 and "openimr.sqlite3" in out
    code, out, _ = run("cases", "create-key", "--role", "administrator")
    assert code == 0 and out.strip().startswith("oimr_")
    code, out, _ = run("cases", "submit", str(SEED))
    assert code == 0 and out.strip().endswith("created")
    case_id = out.split()[0]
    code, out, _ = run("cases", "submit", str(SEED))
    assert out.strip() == f"{case_id} already on file"
    code, out, _ = run("cases", "screen", case_id)
    assert code == 0 and out.startswith(f"{case_id} screening")
    assert "needs ur_decision_attached" in out
    code, _, err = run("cases", "screen", case_id, "--fact", "ur_decision_attached=maybe")
    assert code == 2 and "ur_decision_attached" in err
    code, out, _ = run("cases", "screen", case_id, "--fact", "ur_decision_attached=true")
    assert code == 0 and out.strip() == f"{case_id} eligible"
    code, _, err = run("cases", "records-received", case_id)
    assert code == 2 and "cannot receive records" in err
    code, _, err = run("cases", "show", "IMR-NOPE")
    assert code == 2 and "no case 'IMR-NOPE'" in err
    code, _, err = run("cases", "submit", str(tmp_path / "missing"))
    assert code == 2 and "no such case directory" in err
    code, _, err = run("cases", "create-key", "--role", "wizard")
    assert code == 2 and "unknown role" in err


def test_add_reviewer_from_a_profile_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "rev.yaml"
    good.write_text(
        "id: rev-1\nname: Dr. One\nlicenses: [{state: CA, number: G1}]\n"
        "board_certifications: [{board: ABA, specialty: Anesthesiology}]\n"
        "years_in_practice: 10\nweekly_practice_hours: 30\n",
        encoding="utf-8",
    )
    code, out, _ = run("cases", "add-reviewer", str(good))
    assert code == 0 and '"qualification_problems": []' in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: rev-2\nname: Dr. Two\nyears_in_practice: many\n", encoding="utf-8")
    code, _, err = run("cases", "add-reviewer", str(bad))
    assert code == 2 and "years_in_practice" in err


def test_keys_revocation_sweep_and_audit_verify(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    assert run("cases", "init-db")[0] == 0
    key = run("cases", "create-key", "--role", "intake", "--label", "temp")[1].strip()
    assert run("cases", "submit", str(SEED))[0] == 0
    code, out, _ = run("cases", "keys")
    assert code == 0 and '"label": "temp"' in out and key not in out
    prefix = key[5:13]
    code, out, _ = run("cases", "revoke-key", prefix)
    assert code == 0 and out.startswith("revoked key 1")
    code, _, err = run("cases", "revoke-key", "nosuchkey")
    assert code == 2 and "no API key" in err
    code, out, _ = run("cases", "sweep-blobs", "--dry-run")
    assert code == 0 and "would remove 0" in out
    code, out, _ = run("audit", "verify")
    assert code == 0 and out.strip().endswith("audit trail: intact")
    head = out.split("head ")[1].split()[0]
    assert run("audit", "verify", "--expect-head", head)[0] == 0
    db = sqlite3.connect(tmp_path / "data" / "openimr.sqlite3")
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET actor = 'someone-else' WHERE id = 2")
    db.commit()
    db.close()
    code, out, err = run("audit", "verify")
    assert code == 1 and "audit trail: NOT intact" in err
    assert "event 2: content does not match its hash" in out
    assert "trigger events_no_update is missing" in out
    assert "Traceback" not in out + err


def test_review_without_records_waits_for_overdue_records(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("cases", "init-db")
    rev = tmp_path / "rev.yaml"
    rev.write_text(
        "id: rev-1\nname: Dr. One\nlicenses: [{state: CA, number: G1}]\n"
        "board_certifications: [{board: ABA, specialty: Anesthesiology, "
        "subspecialty: Pain Medicine}]\nspecialties: [Physical Medicine and Rehabilitation]\n"
        "years_in_practice: 10\nweekly_practice_hours: 30\n",
        encoding="utf-8",
    )
    assert run("cases", "add-reviewer", str(rev))[0] == 0
    case_id = run("cases", "submit", str(SEED))[1].split()[0]
    run("cases", "screen", case_id, "--fact", "ur_decision_attached=true")
    code, out, err = run("cases", "assign", case_id)
    assert code == 0, err
    code, _, err = run("cases", "review-without-records", case_id)
    assert code == 2 and "not overdue until the end of" in err and "Traceback" not in err
    code, out, _ = run("cases", "due", "--window", "30")
    assert code == 0 and "records_due" in out and "next:" not in out
