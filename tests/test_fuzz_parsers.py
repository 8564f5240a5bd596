"""A short fuzz pass over every parser (case.yaml, records of each form, FHIR, requests,
published letters): none may crash; each input is read or refused with the documented error.
The long pass (100,000 inputs per parser) is ``benchmarks/fuzz_parsers.py``."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_targets import GENERATORS, TARGETS, describe, run_one

EXAMPLES = {"PDF": 60, "PDF with OCR": 20, "case.yaml": 80}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_parser_crashes_on_fuzzed_input(name: str) -> None:
    _, strategy = TARGETS[name]
    crashes: list[str] = []

    @settings(
        max_examples=EXAMPLES.get(name, 200),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def run(data: bytes) -> None:
        crash = run_one(name, data)
        if crash is not None:
            crashes.append(f"{crash} on {describe(data)}")

    run()
    assert not crashes, "\n".join(crashes[:5])


def test_the_seeds_are_read() -> None:
    """The mutation seeds themselves are valid input (so mutants stay near the real format)."""
    from fuzz_targets import CASE_YAML, FHIR, NOTE, PDF

    for name, seed in (("case.yaml", CASE_YAML), ("text record", NOTE), ("FHIR JSON", FHIR)):
        TARGETS[name][0](seed)
    TARGETS["PDF"][0](PDF)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_no_parser_crashes_on_the_long_pass_generators(name: str) -> None:
    """The plain generators of ``benchmarks/fuzz_parsers.py``, 100 inputs each."""
    crashes = []
    for i in range(100 if "PDF" not in name else 30):
        data = GENERATORS[name](random.Random(f"0:{name}:{i}"))
        assert isinstance(data, bytes)
        crash = run_one(name, data)
        if crash is not None:
            crashes.append(f"{crash} on {describe(data)}")
    assert not crashes, "\n".join(crashes[:5])


def test_the_generators_are_replayable_and_vary() -> None:
    for name, generate in GENERATORS.items():
        drawn = [generate(random.Random(i)) for i in range(20)]
        assert drawn == [generate(random.Random(i)) for i in range(20)], name
        assert len(set(drawn)) > 10, name


def test_every_target_has_a_generator() -> None:
    assert set(GENERATORS) == set(TARGETS)
