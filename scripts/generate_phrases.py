"""Write the generated phrases of extraction/procedures.yaml (``--check``: only compare)."""

from __future__ import annotations

import argparse
import sys

from openimr.extract.phrasegen import TARGET, expected_text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when procedures.yaml is not up to date"
    )
    args = parser.parse_args()
    expected = expected_text()
    if TARGET.read_text(encoding="utf-8") == expected:
        return 0
    if args.check:
        print(f"{TARGET} is not up to date: run scripts/generate_phrases.py", file=sys.stderr)
        return 1
    TARGET.write_text(expected, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
