"""Facebook Pages: feed comments and Messenger by webhook, replies (README.md here)."""
