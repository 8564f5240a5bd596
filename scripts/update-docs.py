"""Regenerate the generated parts of docs/ (the library catalogue)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def catalogue() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "openimr", "library", "list", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def splice(text: str, start: str, end: str, body: str) -> str:
    a = text.index(start) + len(start)
    b = text.index(end)
    return text[:a] + "\n" + body + text[b:]


def main() -> None:
    path = ROOT / "docs" / "library.md"
    text = path.read_text()
    path.write_text(splice(text, "<!-- catalogue:start -->", "<!-- catalogue:end -->", catalogue()))


if __name__ == "__main__":
    main()
