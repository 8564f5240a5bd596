"""Every disputed request of the development corpus goes through parse_request.

The expected treatment ids are in tests/data/request_corpus_ids.yaml, written by reading each
request by hand. A request of the corpus that the table does not list (the corpus may grow)
is still parsed and counted in the coverage figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from openimr.request import catalogue, parse_request

SHARED = Path(__file__).resolve().parents[2] / "shared"
CASES = SHARED / "corpus" / "dwc-cases"
EXPECTED_FILE = Path(__file__).parent / "data" / "request_corpus_ids.yaml"


def corpus_requests() -> list[str]:
    out: list[str] = []
    for path in sorted(CASES.glob("*/case.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [item["request"] for item in data["utilization_review"]["items"]]
    return out


REQUESTS = corpus_requests()
EXPECTED: dict[str, str | None] = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8"))
needs_corpus = pytest.mark.skipif(not REQUESTS, reason=f"no corpus at {CASES}")


@needs_corpus
def test_every_corpus_request_parses_and_most_get_a_treatment() -> None:
    parsed = [parse_request(text) for text in REQUESTS]
    with_id = [p for p in parsed if p.treatment is not None]
    assert len(with_id) >= 0.9 * len(parsed)
    assert all(p.treatment in catalogue() for p in with_id)


@needs_corpus
def test_expected_table_covers_the_corpus() -> None:
    known = [text for text in REQUESTS if text in EXPECTED]
    assert len(known) >= 0.9 * len(REQUESTS)


@pytest.mark.parametrize(("text", "expected"), sorted(EXPECTED.items()))
def test_corpus_request_treatment(text: str, expected: str | None) -> None:
    assert parse_request(text).treatment == expected


def test_expected_ids_exist_in_the_catalogue() -> None:
    cat = catalogue()
    assert {v for v in EXPECTED.values() if v is not None} <= set(cat.ids)
