"""Rewrite the criteria files in the quiet vocabulary, line by line, keeping every comment.

Usage: ``python scripts/quiet_criteria.py [CRITERIA_DIR]`` (default: the shipped
``src/openimr/library/data/criteria``). Run it once, on files in the long form (where a rule
with no ``pick`` read its fact's ``pick``, ``latest`` unless the fact says otherwise); it
refuses a folder that already uses a course shorthand. Each one-line rule mapping ``{fact: ...}`` is rewritten in place (no line is added or
removed, so every line number the loader records stays the same):

- a ``pick`` equal to the loader's default (:func:`openimr.library.loader.default_pick`) is
  dropped (``pick: any_true`` on an ``is: true`` test of a yes/no fact);
- a rule that read the fact's old default (``latest``) where the new default differs is given
  that ``pick`` explicitly (``{fact: exceptional_factors, is: true, pick: latest}``);
- the course conditions are written by name: ``repeat_course`` / ``first_course`` for
  ``prior_therapy`` of the requested treatment, ``continued_use`` / ``first_use`` for
  ``medication_in_use`` (``openimr.library.files.SHORTHANDS``);
- ``{request: treatment, in: []}`` (a test no request passes) is written ``not_recommended``
  (this step alone runs again on a quiet folder; it changes nothing the second time).

No YAML round-trip library is used (none is installed): the exact one-line patterns are
rewritten and the loaded library is compared before and after
(``tests/test_library_quiet.py`` keeps the long and short forms equal).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import yaml

from openimr.library.loader import DATA_DIR, default_pick, load_library
from openimr.library.schema import TESTS, FactDef

FLOW = re.compile(r"\{[^{}]*\}")
NAMED = {"{request: treatment, in: []}": "not_recommended"}
"""Rules written by name wherever their text is exactly this."""
FIRST = "\x00first\x00"
NAMES = {
    ("prior_therapy", False): "repeat_course",
    ("prior_therapy", True): FIRST + "first_course",
    ("medication_in_use", False): "continued_use",
    ("medication_in_use", True): FIRST + "first_use",
}


def _course_name(rule: dict[str, object]) -> str | None:
    """The shorthand a rule (its pick resolved) is, if any; a ``first`` one still inside its
    ``not`` (marked, resolved by :func:`quiet_line`)."""
    keys = set(rule) - {"pick"}
    if rule.get("qualifier") != "$treatment" or rule.get("is") is not True:
        return None
    if rule.get("pick", "any_true") != "any_true":
        return None
    if keys == {"fact", "qualifier", "is"}:
        return NAMES.get((str(rule["fact"]), False))
    if keys == {"fact", "qualifier", "is", "if_absent"} and rule["if_absent"] == "not_met":
        return NAMES.get((str(rule["fact"]), True))
    return None


def quiet_mapping(text: str, facts: dict[str, FactDef], counts: Counter[str]) -> str:
    """One flow mapping's new text (unchanged unless it is a fact rule to quiet)."""
    try:
        rule = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if not isinstance(rule, dict) or "fact" not in rule or "<<" in rule:
        return text
    fact = facts.get(str(rule["fact"]))
    tests = [t for t in TESTS if t in rule]
    if fact is None or len(tests) != 1:
        return text
    old = str(rule.get("pick", fact.pick))  # what the long form reads
    new_default = default_pick(fact, tests[0], rule[tests[0]])
    if "pick" in rule and old == new_default:
        text = re.sub(r",\s*pick:\s*" + re.escape(old) + r"(?=\s*[,}])", "", text, count=1)
        counts["pick dropped"] += 1
    elif "pick" not in rule and old != new_default:
        text = text[:-1].rstrip() + f", pick: {old}}}"
        counts[f"pick: {old} written"] += 1
    name = _course_name({**rule, "pick": old})
    if name is not None:
        counts[name.replace(FIRST, "")] += 1
        return name
    return text


def quiet_line(line: str, facts: dict[str, FactDef], counts: Counter[str]) -> str:
    out = FLOW.sub(lambda m: quiet_mapping(m.group(0), facts, counts), line)
    out = re.sub(r"\{not:\s*" + FIRST + r"(\w+)\}", r"\1", out)
    if FIRST in out:  # a first-course rule not under a `not`: keep its mapping
        return FLOW.sub(lambda m: _drop_default_only(m.group(0), facts), line)
    return out


def _drop_default_only(text: str, facts: dict[str, FactDef]) -> str:
    quiet = quiet_mapping(text, facts, Counter())
    return text if quiet.startswith(FIRST) else quiet


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DATA_DIR / "criteria"
    facts = load_library().facts
    counts: Counter[str] = Counter()
    files = sorted(folder.glob("*.yaml"))
    courses = [name.replace(FIRST, "") for name in NAMES.values()]
    quiet = re.compile(r"(?<![\w-])(" + "|".join(courses) + r")(?![\w-])")
    done = [p.name for p in files if quiet.search(p.read_text(encoding="utf-8"))]
    if done:
        print(f"picks and courses already quiet in {len(done)} files; naming only")
    for path in files:
        text = path.read_text(encoding="utf-8")
        new = text
        if not done:
            new = "\n".join(quiet_line(line, facts, counts) for line in text.split("\n"))
        for long, name in NAMED.items():
            counts[name] += new.count(long)
            new = new.replace(long, name)
        if new != text:
            path.write_text(new, encoding="utf-8")
    for what, n in sorted(counts.items()):
        print(f"{n:5d} {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
