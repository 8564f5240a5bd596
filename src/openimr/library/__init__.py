"""The guideline library: criteria sets as dated, cited data."""
