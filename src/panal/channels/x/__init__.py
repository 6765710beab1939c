"""X (Twitter) API v2: webhooks, search, mentions, filtered stream, replies (README.md)."""
