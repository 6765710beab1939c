"""App Store Connect customer reviews: polled with an ES256 JWT, answered (README.md)."""
