"""Google Play reviews: polled and answered with a service account (README.md here)."""
