"""Pipeline stage: routing (filled in below)."""
