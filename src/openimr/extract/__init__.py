"""Record text -> clinical facts with spans."""

from openimr.extract.extractor import Extractor, extract_facts

__all__ = ["Extractor", "extract_facts"]
