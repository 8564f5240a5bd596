#!/usr/bin/env python3
"""Ablation: remove from the library data every phrase found in exactly one corpus letter
(and nowhere else in the repository), re-run `openimr evaluate`, and show what changes.

A phrase whose only support is one development letter's wording is overfitting. This script
finds such phrases the same way the project's overfitting check does (quoted strings and list
items of three or more words in src/**/*.yaml, found in exactly one letter of
../shared/corpus/dwc-letters and in no test, doc or example), removes all of them from a
temporary copy of the source tree, and evaluates that copy on the development cases. When
decisions change, each phrase is removed alone to find which ones carry the change.

usage: scripts/ablate_single_letter_phrases.py [--cases DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPENIMR_SHARED", REPO.parent / "shared"))
QUOTED = re.compile(r'"([^"\n]{8,120})"|\'([^\'\n]{8,120})\'')
ITEM = re.compile(r"^\s*-\s+([A-Za-z][^:#\n]{8,120})$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).lower()


def single_letter_phrases() -> dict[str, str]:
    """Phrase (lower case) -> where it is (file:line) for phrases in one letter only."""
    letters = {
        p.name: _norm(p.read_text(errors="ignore"))
        for p in sorted((SHARED / "corpus" / "dwc-letters").glob("*.txt"))
    }
    phrases: dict[str, str] = {}
    for f in sorted(REPO.glob("src/**/*.yaml")):
        for n, line in enumerate(f.read_text(errors="ignore").splitlines(), 1):
            found = [a or b for a, b in QUOTED.findall(line)]
            m = ITEM.match(line)
            if m:
                found.append(m.group(1))
            for ph in found:
                low = _norm(ph)
                if len(low.split()) >= 3 and re.fullmatch(r"[a-z0-9 ,./%'()-]+", low):
                    phrases.setdefault(low, f"{f.relative_to(REPO)}:{n}")
    others = []
    for p in [*REPO.glob("tests/**/*"), *REPO.glob("docs/**/*"), *SHARED.glob("examples/**/*")]:
        if (
            p.is_file()
            and p.suffix in (".txt", ".md", ".yaml", ".json")
            and p.stat().st_size < 2_000_000
            and "dwc" not in p.name.lower()
        ):
            others.append(_norm(p.read_text(errors="ignore")))
    other = "\n".join(others)
    return {
        ph: where
        for ph, where in phrases.items()
        if sum(ph in text for text in letters.values()) == 1 and ph not in other
    }


def remove_phrases(tree: Path, phrases: list[str]) -> None:
    """Delete each phrase from the YAML of ``tree``: an item of a flow list loses the item,
    a block list item loses its line."""
    for f in tree.glob("src/**/*.yaml"):
        text = f.read_text()
        new = text
        for ph in phrases:
            words = r"\s+".join(re.escape(w) for w in ph.split())
            quoted = rf"(?:\"{words}\"|'{words}')"
            new = re.sub(rf",\s*{quoted}(?=\s*[\],])", "", new, flags=re.I)
            new = re.sub(rf"{quoted}\s*,\s*", "", new, flags=re.I)
            new = re.sub(rf"^\s*-\s+{words}\s*$\n?", "", new, flags=re.I | re.M)
        if new != text:
            f.write_text(new)


def evaluate(tree: Path, cases: Path) -> tuple[float, set[str]]:
    """Item agreement and the disagreeing items (case | request -> got) of ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    out = subprocess.run(
        [sys.executable, "-m", "openimr", "evaluate", str(cases), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"evaluate failed on the ablated tree: {out.stderr.strip()[:400]}")
    fig = json.loads(out.stdout)
    wrong = {f"{d['case']} | {d['request']} -> {d['got']}" for d in fig["disagreements"]}
    return float(fig["agreement"]), wrong


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=SHARED / "corpus" / "dwc-cases")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    phrases = single_letter_phrases()
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base"
        shutil.copytree(REPO / "src", base_tree / "src")
        base_agree, base = evaluate(base_tree, args.cases)
        all_tree = Path(tmp) / "all"
        shutil.copytree(REPO / "src", all_tree / "src")
        remove_phrases(all_tree, list(phrases))
        ablated_agree, ablated = evaluate(all_tree, args.cases)
        changed = sorted(base ^ ablated)
        if not args.json:
            print(f"{len(phrases)} phrase(s) found in exactly one development letter")
            print(
                f"agreement with them: {100 * base_agree:.1f}%   "
                f"without them: {100 * ablated_agree:.1f}%",
                flush=True,
            )
        carriers: dict[str, list[str]] = {}
        if changed:
            for ph in phrases:
                one = Path(tmp) / "one"
                if one.exists():
                    shutil.rmtree(one)
                shutil.copytree(REPO / "src", one / "src")
                remove_phrases(one, [ph])
                _, res = evaluate(one, args.cases)
                moved = sorted(base ^ res)
                if moved:
                    carriers[ph] = moved
    report = {
        "phrases": len(phrases),
        "agreement_with_phrases": base_agree,
        "agreement_without_phrases": ablated_agree,
        "items_changed": changed,
        "phrases_that_change_a_decision": carriers,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"items whose decision changes: {len(changed)}")
        for item in changed:
            print(f"  {item}")
        for ph, moved in carriers.items():
            print(f'  "{ph}" ({phrases[ph]}) changes {len(moved)} item(s)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
