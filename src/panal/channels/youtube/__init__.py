"""YouTube comments: comment threads polled, replies with comments.insert (README.md here)."""
