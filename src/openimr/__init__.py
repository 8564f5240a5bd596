"""openimr: an open, auditable engine for California workers' compensation IMR."""

__version__ = "0.1.0"

__all__ = ["__version__"]
