"""The evaluation tool's figures, on a made-up directory of cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr.evaluate import evaluate_cases, find_cases, guideline_key
from openimr.model import GuidelineRef, ItemDetermination


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Physical medicine treatment. Decision based on Non-MTUS Citation ODG",
            (True, "chronic-pain"),
        ),
        (
            "The Expert Reviewer did not base their decision on the MTUS. Decision based on Non-MTUS Citation ODG Low Back",
            (False, "low-back"),
        ),
        (
            "Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies",
            (True, "low-back"),
        ),
        (
            "The Expert Reviewer based their decision on recommendation(s) outside of the MTUS Guidelines. Decision based on Non-MTUS Citation ODG Neck",
            (False, "neck"),
        ),
        ("The Expert Reviewer did not cite any medical evidence for its decision.", (None, None)),
    ],
)
def test_guideline_key(text: str, key: tuple[bool | None, str | None]) -> None:
    assert guideline_key(text) == key


def make(tmp_path: Path, name: str, decisions: list[str]) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "case.yaml").write_text("x: 1\n")
    items = "".join(
        f"  - request: item {i}\n    decision: {dec}\n    guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016\n"
        for i, dec in enumerate(decisions)
    )
    (d / "expected.yaml").write_text("items:\n" + items)
    return d


def test_figures(tmp_path: Path) -> None:
    make(tmp_path, "a", ["upheld", "overturned"])
    make(tmp_path, "b", ["upheld", "upheld"])
    answers = {"a": ["upheld", "upheld"], "b": ["upheld", None]}

    def review(path: Path) -> list[ItemDetermination]:
        out = []
        for i, dec in enumerate(answers[path.name]):
            out.append(
                ItemDetermination(
                    request=f"item {i}",
                    treatment="physical-therapy",
                    decision=dec,  # type: ignore[arg-type]
                    medically_necessary=None if dec is None else dec == "overturned",
                    needs_review=dec is None,
                    guidelines=(
                        GuidelineRef(
                            source="MTUS",
                            citation="MTUS Chronic Pain Medical Treatment Guidelines",
                            mtus=True,
                        ),
                    ),
                )
            )
        return out

    fig = evaluate_cases(find_cases(tmp_path), review).figures()
    assert fig["items"] == 4
    assert fig["agreement"] == 0.5  # a0 agrees, a1 not, b0 agrees, b1 needs review
    assert fig["agreement_decided"] == round(2 / 3, 4)
    assert fig["recall_upheld"] == round(2 / 3, 4)
    assert fig["recall_overturned"] == 0.0
    assert fig["needs_review"] == 1
    assert fig["confusion"]["overturned"]["upheld"] == 1
    assert fig["guideline_agreement"] == 1.0
    assert len(fig["disagreements"]) == 2


def test_a_bad_expected_file_is_refused_naming_file_line_and_field(tmp_path: Path) -> None:
    d = make(tmp_path, "a", ["upheld", "denied"])
    result = evaluate_cases([d], lambda path: [])
    [error] = result.errors
    assert "expected.yaml" in error["error"]
    assert ":6" in error["error"] and "items.1.decision" in error["error"]
