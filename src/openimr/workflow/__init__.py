"""openimr.workflow."""
