"""Mentions: the normalised store, ingestion, the pipeline and search (docs/mentions.md)."""
