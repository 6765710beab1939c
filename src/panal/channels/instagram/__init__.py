"""Instagram: comments, mentions and Direct messages by webhook, replies (README.md here)."""
