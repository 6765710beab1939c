"""Mastodon: mentions and hashtags by polling and streaming, replies (README.md here)."""
