"""Extraction of the facts the coverage sets read: compounded suspensions, EKG, evoked
potentials, EEG, lumbar supports, beds, heat and cold packs."""

from __future__ import annotations

import pytest

from openimr.extract import extract_facts
from openimr.model import Fact, Record, RecordPage


def found(sentence: str, name: str) -> list[Fact]:
    rec = Record(
        path="records/note.txt",
        kind="text",
        text=sentence,
        pages=(RecordPage(number=1, start=0, end=len(sentence)),),
    )
    return [f for f in extract_facts([rec]) if f.name == name]


@pytest.mark.parametrize(
    ("sentence", "name", "value"),
    [
        ("The patient reports difficulty swallowing pills.", "swallowing_difficulty", True),
        ("She has dysphagia after the cervical fusion.", "swallowing_difficulty", True),
        ("He denies difficulty swallowing.", "swallowing_difficulty", False),
        ("She complains of palpitations and chest pain.", "cardiac_symptoms", True),
        ("She denies chest pain.", "cardiac_symptoms", False),
        ("Exam shows a positive Hoffmann's sign bilaterally.", "myelopathy", True),
        ("MRI shows cord compression at C5-6.", "myelopathy", True),
        ("There is no clonus.", "myelopathy", False),
        ("He has had two seizures since the fall.", "seizure_activity", True),
        ("X-rays show an L1 compression fracture.", "spinal_fracture", True),
        ("The patient is bedbound with a sacral pressure ulcer.", "special_bed_need", True),
    ],
)
def test_fact_from_a_sentence(sentence: str, name: str, value: bool) -> None:
    assert value in {f.value for f in found(sentence, name)}


def test_simple_packs_tried_without_relief_qualify_as_heat_or_cold_therapy() -> None:
    facts = found("She has tried ice packs without relief.", "therapy_failed")
    assert [(f.value, f.qualifier) for f in facts] == [(True, "heat-cold-therapy")]
    facts = found("The heating pad did not help.", "therapy_benefit")
    assert [(f.value, f.qualifier) for f in facts] == [(False, "heat-cold-therapy")]
