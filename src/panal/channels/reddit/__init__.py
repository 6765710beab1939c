"""Reddit: subreddits, searches and the inbox polled; replies with /api/comment (README.md here)."""
