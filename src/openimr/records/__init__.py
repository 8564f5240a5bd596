"""Read medical records (text, Markdown, PDF) into :class:`~openimr.model.Record`."""

from openimr.records.readers import SUPPORTED_SUFFIXES, read_record

__all__ = ["SUPPORTED_SUFFIXES", "read_record"]
