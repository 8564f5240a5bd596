"""The start-up cache: an entry is read back instead of rebuilt, a change to the data gives a
new key, and a cache that cannot be written or read is never an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr import diskcache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(diskcache.ENV, str(where))
    return where


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return value

    return calls, build


def test_an_entry_is_built_once_then_read_from_disk(cache_dir: Path) -> None:
    calls, build = _counting({"a": [1, 2, 3]})
    assert diskcache.cached("thing", build, key="k1") == {"a": [1, 2, 3]}
    assert diskcache.cached("thing", build, key="k1") == {"a": [1, 2, 3]}
    assert len(calls) == 1
    assert (cache_dir / "thing-k1.pickle").is_file()
    # another key (changed data) builds again
    assert diskcache.cached("thing", build, key="k2") == {"a": [1, 2, 3]}
    assert len(calls) == 2


def test_the_key_follows_the_content_of_the_data(tmp_path: Path) -> None:
    data = tmp_path / "pkg"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "rules.yaml").write_text("a: 1\n")
    (data / "notes.bin").write_bytes(b"\x00")  # not data the key reads
    first = diskcache.tree_key(data)
    assert diskcache.tree_key(data) == first
    (data / "notes.bin").write_bytes(b"\x01")
    assert diskcache.tree_key(data) == first
    (data / "sub" / "rules.yaml").write_text("a: 2\n")
    assert diskcache.tree_key(data) != first


def test_a_damaged_entry_is_rebuilt(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / "thing-k1.pickle").write_bytes(b"not a pickle")
    calls, build = _counting(42)
    assert diskcache.cached("thing", build, key="k1") == 42
    assert len(calls) == 1
    assert diskcache.cached("thing", build, key="k1") == 42
    assert len(calls) == 1


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(diskcache.ENV, str(blocker / "cache"))  # under a file: cannot exist
    calls, build = _counting("value")
    assert diskcache.cached("thing", build, key="k") == "value"
    assert diskcache.cached("thing", build, key="k") == "value"
    assert len(calls) == 2


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.ENV, "off")
    assert diskcache.cache_dir() is None
    calls, build = _counting(1)
    diskcache.cached("thing", build, key="k")
    diskcache.cached("thing", build, key="k")
    assert len(calls) == 2


def test_the_default_location_is_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(diskcache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert diskcache.cache_dir() == Path("/somewhere/cache/openimr")


def test_the_cached_library_equals_the_one_loaded_from_yaml(cache_dir: Path) -> None:
    from openimr.library.loader import load_library

    fresh = load_library()
    diskcache.cached("library", load_library, key="lib")
    again = diskcache.cached("library", lambda: pytest.fail("rebuilt"), key="lib")
    assert again == fresh
