"""The batch on a Dask cluster started by the test (two worker processes): partitioned JSON
lines, the same result as the local batch case for case, and a second run over the same
output directory writes nothing again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed")

from openimr.batch import Outcome, Settings, expand_cases, run_batch  # noqa: E402
from openimr.distributed import run_on_dask  # noqa: E402


@pytest.fixture(scope="module")
def folder(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dask") / "cases"
    corpus = sorted(
        p for p in (shared / "corpus" / "dwc-cases").iterdir() if (p / "case.yaml").is_file()
    )
    for n, src in enumerate([shared / "examples" / "seed-case", *corpus[:4]]):
        shutil.copytree(src, root / f"case-{n}")
    (root / "case-5").mkdir()
    (root / "case-5" / "case.yaml").write_text("patient: [unclosed\n")
    return root


def test_a_local_cluster_gives_the_local_batch_case_for_case(folder: Path, tmp_path: Path) -> None:
    cases = expand_cases([folder])
    settings = Settings(name_case=True, time_limit=300)
    local: list[Outcome] = []
    run_batch(cases, local.append, settings=settings, jobs=1)

    out = tmp_path / "parts"
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=str(tmp_path / "dask-workers"),
    )
    client = distributed.Client(cluster)
    try:
        results = run_on_dask(client, cases, out, settings=settings, partition_size=2)
        again = run_on_dask(client, cases, out, settings=settings, partition_size=2)
    finally:
        client.close()
        cluster.close()

    files = sorted(out.glob("part-*.jsonl"))
    assert [f.name for f in files] == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert [r.cases for r in results] == [2, 2, 2]
    assert sum(r.failed for r in results) == 1
    remote = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert [line["case"] for line in remote] == cases
    assert remote == [json.loads(o.line) for o in local]
    assert "not valid YAML" in remote[-1]["error"]
    assert all(r.skipped for r in again)
