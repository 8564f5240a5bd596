"""medspaCy is imported with NLTK deferred (QuickUMLS imports it; openimr never uses it): a new
process that imports medspaCy the way openimr does has not run NLTK's code, and NLTK loads in
full the first time anything reads from it. NLTK imported before is left as it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

pytest.importorskip("nltk")


def _run(code: str) -> str:
    """What ``code`` prints, run in a new process on this checkout's package."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    ).stdout


def test_medspacy_is_imported_without_running_nltk() -> None:
    out = _run(
        "import sys\n"
        "from openimr.nlp import import_medspacy\n"
        "import_medspacy()\n"
        "import quickumls.core\n"
        "print(sorted(m for m in sys.modules if m.startswith('nltk.')))\n"
        "print(quickumls.core.nltk.corpus.__name__)\n"
        "print(type(sys.modules['nltk']) is type(sys), len(sys.modules['nltk'].__version__) > 0)\n"
    )
    assert out.splitlines() == ["[]", "nltk.corpus", "True True"]


def test_a_submodule_import_loads_the_package_first() -> None:
    out = _run(
        "import sys\n"
        "from openimr.nlp import import_medspacy\n"
        "import_medspacy()\n"
        "import nltk.corpus\n"
        "print(type(sys.modules['nltk']) is type(sys), hasattr(nltk, 'word_tokenize'))\n"
    )
    assert out.splitlines() == ["True True"]


def test_nltk_imported_before_is_left_alone() -> None:
    out = _run(
        "import sys\n"
        "import nltk\n"
        "before = sys.modules['nltk']\n"
        "from openimr.nlp import import_medspacy\n"
        "import_medspacy()\n"
        "print(sys.modules['nltk'] is before, type(before) is type(sys))\n"
    )
    assert out.splitlines() == ["True True"]
