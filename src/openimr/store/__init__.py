"""openimr.store."""
