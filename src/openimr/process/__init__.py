"""openimr.process."""
