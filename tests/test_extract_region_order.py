"""A region named as near a mention as another is chosen the same way whatever order the
catalogue lists the places in (that order follows string hashing, which varies by process)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openimr.extract import concepts
from openimr.request import Catalogue

TEXT = "COURSE: The MRI L-spine revealed enhancement, suggestive of seeding of tumor."


def test_the_first_then_longest_of_regions_as_near_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Catalogue.region_spans
    start = TEXT.index("tumor")
    found = set()
    orders: list[Callable[[list[tuple[int, int]]], list[tuple[int, int]]]] = [
        lambda spans: spans,
        lambda spans: spans[::-1],
    ]
    for order in orders:

        def spans(self: Catalogue, text: str, order: Callable[..., list[tuple[int, int]]] = order):
            return order(original(self, text))

        monkeypatch.setattr(Catalogue, "region_spans", spans)
        found.add(concepts._region_near(TEXT, start, start + len("tumor")))
    assert found == {"lumbar-spine"}
