"""Telegram bots: webhook with the secret token, replies (README.md here)."""
