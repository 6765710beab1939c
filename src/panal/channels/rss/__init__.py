"""RSS and Atom feeds: conditional GET polls, refused DTDs, no replies (README.md here)."""
