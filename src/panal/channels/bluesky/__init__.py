"""Bluesky / AT Protocol: Jetstream in, search and notifications polled, replies (README.md)."""
