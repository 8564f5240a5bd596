"""Two probes of how decisions rest on the records, on the development corpus.

1. **Silent records**: each case reviewed with its records replaced by one note that states
   nothing clinical. Under the burden of documentation nothing can be established, so every
   overturn here rests on the request alone (a first course the request itself names, a
   service whose criteria read only the request).
2. **Records of another case**: each case reviewed with the records of the case seven places
   after it in the sorted list (a different worker, often a different body part). The real
   decisions no longer apply; an overturn here rests on findings that were not written about
   this worker's request, so the rate should be far below the rate with the case's own
   records, and each one is worth reading (region, side, time and kind of the evidence).

Prints the overturn counts and, for each overturn, the met criteria and the start of their
quotes. Asserts nothing.

    .venv/bin/python scripts/probe_records.py [../shared/corpus/dwc-cases]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from openimr.caseio import load_case
from openimr.pipeline import review_case

SILENT_NOTE = "Progress report.\nThe patient was seen today.\n"


def _copy_case(src: Path, dest: Path, records_from: Path | None) -> None:
    dest.mkdir(parents=True)
    for name in ("case.yaml", "expected.yaml"):
        if (src / name).exists():
            shutil.copy(src / name, dest / name)
    if records_from is None:
        (dest / "records").mkdir()
        (dest / "records" / "note.txt").write_text(SILENT_NOTE)
    else:
        shutil.copytree(records_from / "records", dest / "records")


def _overturns(cases: list[Path]) -> tuple[int, int, list[str]]:
    """Items reviewed, items overturned, and a listing of each overturn's met criteria."""
    items = overturned = 0
    lines: list[str] = []
    for case_dir in cases:
        result = review_case(load_case(case_dir))
        for item in result.items:
            items += 1
            if item.decision != "overturned":
                continue
            overturned += 1
            lines.append(f"  {result.case_id}  {item.request[:70]}  ({item.treatment})")
            for crit in item.criteria:
                if crit.status.value != "met":
                    continue
                quotes = " / ".join(e.quote[:70] for e in crit.evidence[:2] if e.quote)
                lines.append(f"      met {crit.id.rsplit('.', 1)[-1]}: {quotes or '(the request)'}")
    return items, overturned, lines


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/dwc-cases")
    dirs = sorted(p.parent for p in corpus.glob("*/case.yaml"))
    if not dirs:
        print(f"no cases under {corpus}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        silent, shuffled = Path(tmp, "silent"), Path(tmp, "shuffled")
        for i, d in enumerate(dirs):
            _copy_case(d, silent / d.name, None)
            _copy_case(d, shuffled / d.name, dirs[(i + 7) % len(dirs)])
        own_items, own_overturned, _ = _overturns(dirs)
        for title, root in (("silent records", silent), ("records of another case", shuffled)):
            items, overturned, lines = _overturns(sorted(root.iterdir()))
            print(f"{title}: {overturned} of {items} items overturned")
            print("\n".join(lines))
        print(f"the cases' own records: {own_overturned} of {own_items} items overturned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
