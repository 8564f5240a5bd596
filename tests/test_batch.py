"""Batches: folders and lists of cases, several workers, JSON lines in input order in a file,
--resume, the per-case time limit. Each case's line is the review a single-case run gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openimr.batch import BatchInputError, expand_cases

BAD = "patient: [unclosed\n"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openimr", *args],
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
    )


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def folder(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nine cases (three corpus cases and the seed, under new ids), one of them broken,
    named so that name order differs from the order they were made in."""
    root = tmp_path_factory.mktemp("batch") / "cases"
    corpus = sorted(
        p for p in (shared / "corpus" / "dwc-cases").iterdir() if (p / "case.yaml").is_file()
    )
    sources = [shared / "examples" / "seed-case", *corpus[:3]]
    for n in range(8):
        src = sources[n % len(sources)]
        dst = root / f"c{(n * 5) % 8}"
        shutil.copytree(src, dst)
        text = (dst / "case.yaml").read_text()
        lines = [
            f"case_id: CM99-{n:07d}" if line.startswith("case_id:") else line
            for line in text.splitlines()
        ]
        (dst / "case.yaml").write_text("\n".join(lines) + "\n")
    (root / "c8").mkdir()
    (root / "c8" / "case.yaml").write_text(BAD)
    (root / "not-a-case").mkdir()  # no case.yaml: not taken
    return root


@pytest.fixture(scope="module")
def singles(folder: Path) -> dict[str, dict[str, object]]:
    """Each case reviewed alone, in this process (what `openimr review CASE` prints)."""
    from openimr.caseio import load_case
    from openimr.pipeline import review_case
    from openimr.render import review_to_json

    out = {}
    for case in sorted(folder.iterdir()):
        if case.name != "not-a-case" and (case / "case.yaml").read_text() != BAD:
            out[str(case)] = review_to_json(review_case(load_case(case)))
    return out


def test_a_folder_on_two_workers_gives_each_case_its_single_review_in_name_order(
    folder: Path, singles: dict[str, dict[str, object]], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    result = run("review", str(folder), "--jobs", "2", "--output", str(out))
    assert result.returncode == 1, result.stderr  # the broken case
    assert "Traceback" not in result.stderr
    lines = lines_of(out)
    assert [line["case"] for line in lines] == [str(folder / f"c{n}") for n in range(9)]
    assert "not valid YAML" in str(lines[8]["error"])
    for line in lines[:8]:
        case = str(line.pop("case"))
        assert line == singles[case]
    # stdout, no file: the lines are the single reviews themselves
    printed = run("review", str(folder), "--jobs", "2")
    assert printed.returncode == 1
    rows = [json.loads(x) for x in printed.stdout.splitlines()]
    assert rows[:8] == [singles[str(folder / f"c{n}")] for n in range(8)]
    assert rows[8]["case"] == str(folder / "c8") and "error" in rows[8]


def test_unordered_gives_the_same_lines(folder: Path, tmp_path: Path) -> None:
    ordered, unordered = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run("review", str(folder), "-j", "2", "-o", str(ordered))
    run("review", str(folder), "-j", "2", "-o", str(unordered), "--unordered")
    key = lambda line: str(line["case"])  # noqa: E731
    assert sorted(lines_of(unordered), key=key) == sorted(lines_of(ordered), key=key)


def test_a_list_file_and_stdin(folder: Path, tmp_path: Path) -> None:
    listing = tmp_path / "cases.txt"
    listing.write_text(f"# two cases\n{folder / 'c3'}\n\n{folder / 'c1'}\n")
    out = tmp_path / "out.jsonl"
    result = run("review", str(listing), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert [line["case"] for line in lines_of(out)] == [str(folder / "c3"), str(folder / "c1")]
    piped = run("review", "-", "-o", str(out), stdin=f"{folder / 'c2'}\n")
    assert piped.returncode == 0, piped.stderr
    assert [line["case"] for line in lines_of(out)] == [str(folder / "c2")]


def test_resume_keeps_the_reviews_there_and_reviews_only_the_rest(
    folder: Path, singles: dict[str, dict[str, object]], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    first = {"case": str(folder / "c0"), **singles[str(folder / "c0")]}
    first["summary"] = "kept from the first run"  # a resumed run must not review it again
    second = {"case": str(folder / "c1"), "error": "a failure from the first run"}
    cut = json.dumps({"case": str(folder / "c2"), **singles[str(folder / "c2")]})[:200]
    out.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n" + cut)
    result = run("review", str(folder), "-j", "2", "-o", str(out), "--resume")
    assert result.returncode == 1, result.stderr
    lines = lines_of(out)
    assert lines[0] == first
    assert [line["case"] for line in lines] == [str(folder / f"c{n}") for n in range(9)]
    assert lines[1] == {"case": str(folder / "c1"), **singles[str(folder / "c1")]}
    # resuming a finished file reviews only the case whose line is an error
    again = run("review", str(folder), "-o", str(out), "--resume")
    assert again.returncode == 1
    assert len(lines_of(out)) == 9


def test_a_case_over_the_time_limit_gives_an_error_line(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = run(
        "review", str(folder / "c0"), str(folder / "c1"), "-o", str(out), "--time-limit", "0.001"
    )
    assert result.returncode == 1
    lines = lines_of(out)
    assert len(lines) == 2
    assert all("time limit of 0.001 s" in str(line["error"]) for line in lines)


def test_expanding_the_arguments(folder: Path, tmp_path: Path) -> None:
    assert expand_cases([folder / "c4", folder / "c2" / "case.yaml", "/no/such"]) == [
        str(folder / "c4"),
        str(folder / "c2" / "case.yaml"),
        "/no/such",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BatchInputError, match=r"no case\.yaml"):
        expand_cases([empty])
    result = run("review", str(empty))
    assert result.returncode == 2
    assert "empty: no case.yaml in the directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_resume_needs_an_output_file(folder: Path) -> None:
    result = run("review", str(folder), "--resume")
    assert result.returncode == 2
    assert "--resume needs --output" in result.stderr
