"""The HTTP API under /api/v1 (django-ninja), assembled from each app's api.py (docs/api.md)."""
