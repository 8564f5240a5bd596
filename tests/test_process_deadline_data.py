"""The clocks as data (``library/data/process/deadlines.yaml``): a bad entry names file:line."""

from __future__ import annotations

import pytest

from openimr.process.datafile import shipped_text
from openimr.process.deadline_data import (
    DEADLINES_RESOURCE,
    DeadlineDataError,
    parse_deadline_rules,
)
from openimr.process.deadlines import DeadlineInputs, deadline_rules

FACTS = frozenset(DeadlineInputs.model_fields)
TEXT, FILE = shipped_text(DEADLINES_RESOURCE)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle``."""
    return text[: text.index(needle)].count("\n") + 1


def test_the_shipped_clocks_load_in_process_order() -> None:
    book = deadline_rules()
    assert book.kinds() == [
        "application_due",
        "eligibility_info_due",
        "assignment_notice_due",
        "records_due",
        "decision_due",
        "implementation_due",
        "appeal_due",
    ]
    assert parse_deadline_rules(TEXT, FILE, facts=FACTS) == book


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("rule: info-response", "rule: info-reply", "no rule 'info-reply' in law.yaml"),
        ("count: mail_days", "count: post_days", "has no whole number 'post_days'"),
        ("field: eligibility_found", "field: eligibility_seen", "no fact 'eligibility_seen'"),
        ("completed_by: appeal_filed", "completed_by: appealed", "no fact 'appealed'"),
        ("unit: working days", "unit: court days", "Input should be"),
        ("responsible: employee", "responsible: employer", "Input should be"),
        ("within {count} days of service", "within {days} days of service", "basis uses days"),
        (
            "unit: business days",
            "unit: business days\n    service_extension: ur_service_method",
            "unit must be calendar days",
        ),
        ("also_rule: records-missing", "also_rule: records-lost", "no rule 'records-lost'"),
        ("    fallback: true", "    fallback: true\n    when: {review_type: regular}", "no when"),
    ],
)
def test_a_planted_bad_entry_names_file_and_line(old: str, new: str, message: str) -> None:
    assert old in TEXT
    with pytest.raises(DeadlineDataError, match=message) as info:
        parse_deadline_rules(TEXT.replace(old, new, 1), FILE, facts=FACTS)
    assert info.value.file == FILE
    # the line of the bad value, or (for a rule across fields) of the entry holding it
    bad = line_of(TEXT, old)
    entry = TEXT[: TEXT.index(old)].rindex("  - kind:")
    assert info.value.line in (bad, TEXT[:entry].count("\n") + 1)
    assert not info.value.message.startswith("Value error")


def test_a_bad_value_names_its_own_line() -> None:
    with pytest.raises(DeadlineDataError) as info:
        parse_deadline_rules(
            TEXT.replace("count: mail_days", "count: post_days"), FILE, facts=FACTS
        )
    assert info.value.line == line_of(TEXT, "count: mail_days")
    assert info.value.field == "deadlines.4.count"


def test_broken_yaml_names_its_line() -> None:
    broken = TEXT.replace("    unit: hours\n", "    unit: [hours\n", 1)
    with pytest.raises(DeadlineDataError) as info:
        parse_deadline_rules(broken, FILE, facts=FACTS)
    assert info.value.file == FILE and info.value.line is not None
