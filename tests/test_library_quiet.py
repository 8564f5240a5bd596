"""The quiet vocabulary loads to the same models as the long form it stands for.

The long form names every ``pick`` and spells the course conditions out; the quiet form
(``scripts/quiet_criteria.py``) leaves ``pick: any_true`` to the default on an ``is: true``
test of a yes/no fact and names the course conditions (``repeat_course``, ``first_course``,
``continued_use``, ``first_use``) and the rule no request passes (``not_recommended``). Both are loaded here and compared model for model.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from openimr.errors import LibraryError
from openimr.library.loader import DATA_DIR, default_library, load_set
from openimr.library.schema import CriteriaSet, FactDef

LONG = {
    "repeat_course": "{fact: prior_therapy, qualifier: $treatment, is: true, pick: any_true}",
    "first_course": (
        "{not: {fact: prior_therapy, qualifier: $treatment, is: true, pick: any_true,"
        " if_absent: not_met}}"
    ),
    "continued_use": ("{fact: medication_in_use, qualifier: $treatment, is: true, pick: any_true}"),
    "first_use": (
        "{not: {fact: medication_in_use, qualifier: $treatment, is: true, pick: any_true,"
        " if_absent: not_met}}"
    ),
    "not_recommended": "{request: treatment, in: []}",
}
FLOW = re.compile(r"\{[^{}]*\}")


def long_form(text: str, facts: dict[str, FactDef]) -> str:
    """The same set with every shorthand spelled out and every fact rule's ``pick`` named,
    by the rule stated in docs/library.md (written here independently of the loader)."""

    def spell(match: re.Match[str]) -> str:
        mapping = match.group(0)
        try:
            rule = yaml.safe_load(mapping)
        except yaml.YAMLError:  # an alias defined elsewhere: not a fact rule
            return mapping
        if not isinstance(rule, dict) or "fact" not in rule or "pick" in rule:
            return mapping
        fact = facts[rule["fact"]]
        pick = fact.pick
        if pick == "latest" and fact.type == "bool" and rule.get("is") is True:
            pick = "any_true"
        return mapping[:-1] + f", pick: {pick}}}"

    for name, spelled in LONG.items():
        text = re.sub(rf"(?<=: ){name}$|(?<=- ){name}$", spelled, text, flags=re.M)
        text = re.sub(rf"(?<=[\[ ]){name}(?=[,\]])", spelled, text)
    return "\n".join(FLOW.sub(spell, line) for line in text.split("\n"))


def load(tmp_path: Path, name: str, text: str, facts: dict[str, FactDef]) -> CriteriaSet:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    errors: list[LibraryError] = []
    loaded = load_set(path, name, facts, errors, f"criteria/{name}.yaml")
    assert not errors, [str(e) for e in errors]
    assert loaded is not None
    return loaded


@pytest.mark.parametrize(
    "name",
    ["physical-therapy", "opioid", "biofeedback", "nsaid", "h-wave", "spine-surgery", "traction"],
)
def test_quiet_set_equals_its_long_form(tmp_path: Path, name: str) -> None:
    facts = default_library().facts
    quiet = (DATA_DIR / "criteria" / f"{name}.yaml").read_text(encoding="utf-8")
    spelled = long_form(quiet, facts)
    assert spelled != quiet
    assert not re.search(r"\b(" + "|".join(LONG) + r")\b", spelled)
    (tmp_path / "long").mkdir()
    (tmp_path / "quiet").mkdir()
    assert load(tmp_path / "long", name, spelled, facts) == load(
        tmp_path / "quiet", name, quiet, facts
    )


DEMO = """\
id: demo
title: Demo treatment
treatments: [demo]
versions:
  - id: v1
    effective: 2010-01-01
    tier: mtus
    citation: {source: mtus, guideline: MTUS Demo, citation: "MTUS Demo, page 1"}
    criteria:
      - id: only
        text: The rule under test
        rule: RULE
"""


@pytest.mark.parametrize(
    ("rule", "pick"),
    [
        ("{fact: exceptional_factors, is: true}", "any_true"),
        ("{fact: exceptional_factors, is: false}", "latest"),
        ("{fact: pain_score, present: true}", "latest"),
        ("{fact: exceptional_factors, is: true, pick: latest}", "latest"),
        ("repeat_course", "any_true"),
        ("{request: sessions, lte: 10}", "latest"),
    ],
)
def test_pick_default_is_any_true_only_for_a_yes_no_fact_tested_true(
    tmp_path: Path, rule: str, pick: str
) -> None:
    loaded = load(tmp_path, "demo", DEMO.replace("RULE", rule), default_library().facts)
    assert loaded.versions[0].criteria[0].rule.pick == pick


def test_first_course_is_the_long_condition(tmp_path: Path) -> None:
    facts = default_library().facts
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    short = load(tmp_path / "a", "demo", DEMO.replace("RULE", "first_course"), facts)
    spelled = load(tmp_path / "b", "demo", DEMO.replace("RULE", LONG["first_course"]), facts)
    assert short == spelled
    rule = short.versions[0].criteria[0].rule
    assert rule.kind == "not"
    inner = rule.children[0]
    assert (inner.subject, inner.qualifier, inner.test, inner.value, inner.if_absent) == (
        "prior_therapy",
        "$treatment",
        "is",
        True,
        "not_met",
    )
