"""openimr.letters."""
