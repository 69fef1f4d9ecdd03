"""Near-duplicate detection on hash tables: banded pairs join, segment matching, clusters."""
